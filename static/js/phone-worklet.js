// Microphone -> 8 kHz G.711 mu-law, 20 ms (160-byte) frames posted to the page as they fill.
// Runs on the audio thread, so the frames keep the microphone's own clock.
"use strict";

const PHONE_RATE = 8000;
const FRAME_BYTES = 160;
const CUTOFF_HZ = 3500; // below the 4 kHz Nyquist of the phone line, so nothing folds back

function lowPassTaps(rate) {
  // Windowed sinc (Hamming), about 2 ms long: a transition band of ~1.5 kHz at any input rate.
  let count = Math.round((2.2 * rate) / 1000) | 1;
  const middle = (count - 1) / 2;
  const taps = new Float32Array(count);
  const fc = CUTOFF_HZ / rate;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - middle;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    taps[i] = sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (count - 1)));
    sum += taps[i];
  }
  for (let i = 0; i < count; i++) taps[i] /= sum;
  return taps;
}

function mulawEncode(sample) {
  // sample in [-1, 1] -> one G.711 mu-law byte (the same formula as calls/voice/audio.py).
  const pcm = Math.max(-32768, Math.min(32767, Math.round(sample * 32767))) >> 2;
  const magnitude = Math.min(Math.abs(pcm), 8159) + 33;
  let segment = 0;
  for (let limit = 0x3f; magnitude > limit && segment < 8; limit = (limit << 1) | 1) segment++;
  const code = segment >= 8 ? 0x7f : (segment << 4) | ((magnitude >> (segment + 1)) & 0x0f);
  return code ^ (pcm < 0 ? 0x7f : 0xff);
}

class PhoneCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.taps = lowPassTaps(sampleRate);
    this.history = new Float32Array(this.taps.length * 2);
    this.head = 0;
    this.step = sampleRate / PHONE_RATE; // input samples per output sample
    this.next = 0; // where the next output sample falls, in input samples from now
    this.previous = 0; // the last filtered input sample
    this.frame = new Uint8Array(FRAME_BYTES);
    this.filled = 0;
  }

  filtered(sample) {
    // The ring is stored twice over so the taps always read one contiguous window.
    const size = this.taps.length;
    this.history[this.head] = this.history[this.head + size] = sample;
    this.head = (this.head + 1) % size;
    let sum = 0;
    for (let i = 0; i < size; i++) sum += this.taps[i] * this.history[this.head + i];
    return sum;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let n = 0; n < channel.length; n++) {
      const current = this.filtered(channel[n]);
      // Output samples between the previous input sample (-1) and this one (0), interpolated.
      while (this.next <= 0) {
        this.frame[this.filled++] = mulawEncode(this.previous + (current - this.previous) * (1 + this.next));
        this.next += this.step;
        if (this.filled === FRAME_BYTES) {
          this.port.postMessage(this.frame, [this.frame.buffer]);
          this.frame = new Uint8Array(FRAME_BYTES);
          this.filled = 0;
        }
      }
      this.previous = current;
      this.next -= 1;
    }
    return true;
  }
}

registerProcessor("phone-capture", PhoneCapture);
