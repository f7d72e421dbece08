// Browser phone: this page plays Twilio's part of a call, over the same Media Streams protocol
// and the same consumer (/ws/twilio/media/). Microphone audio goes out as 8 kHz mu-law `media`
// frames every 20 ms (phone-worklet.js); the agent's `media` frames are queued for playback in
// order; a `mark` is echoed once the audio sent before it has played; `clear` drops what is
// queued and echoes every mark still waiting. The transcript comes from the live-calls socket.
// window.ottosPhone holds counters for whoever wants to know what happened (the browser tests).
(function () {
  "use strict";
  const root = document.getElementById("phone");
  if (!root) return;
  const form = document.getElementById("phone-form");
  const callButton = document.getElementById("phone-call");
  const hangUpButton = document.getElementById("phone-hang-up");
  const statusLine = document.getElementById("phone-status");
  const transcript = document.getElementById("phone-transcript");
  const outcome = document.getElementById("phone-outcome");
  const keypad = document.getElementById("phone-keypad");
  const roleNames = { user: "You", assistant: "Agent" };
  const PHONE_RATE = 8000;
  const LEAD_S = 0.05; // scheduling slack before the first queued sample plays
  const DECODE = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    DECODE[i] = ((u & 0x80 ? 0x84 - t : t - 0x84) / 32768);
  }

  const stats = (window.ottosPhone = {
    callSid: null, state: "idle", framesSent: 0, framesReceived: 0, secondsReceived: 0,
    secondsPlayed: 0, marksEchoed: 0, marksFlushed: 0, clears: 0, closeCode: null, turns: [], keysSent: "",
  });
  let call = null;

  function setStatus(text, state) {
    statusLine.textContent = text;
    statusLine.dataset.state = state;
    stats.state = state;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function toBase64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  function fromBase64(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function randomHex(bytes) {
    return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // --- what the agent says: a playback queue with Twilio's mark and clear semantics ----------

  class Playback {
    constructor(context, onMark) {
      this.context = context;
      this.onMark = onMark;
      this.sources = new Set();
      this.marks = []; // {name, at}: echo once context.currentTime reaches `at`
      this.playhead = 0;
      this.timer = setInterval(() => this.echoPlayed(), 10);
    }

    play(mulaw) {
      const samples = new Float32Array(mulaw.length);
      for (let i = 0; i < mulaw.length; i++) samples[i] = DECODE[mulaw[i]];
      const buffer = this.context.createBuffer(1, samples.length, PHONE_RATE);
      buffer.copyToChannel(samples, 0);
      const source = this.context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.context.destination);
      const start = Math.max(this.playhead, this.context.currentTime + LEAD_S);
      source.start(start);
      this.playhead = start + buffer.duration;
      this.sources.add(source);
      source.onended = () => {
        if (this.sources.delete(source)) stats.secondsPlayed += buffer.duration;
      };
    }

    mark(name) {
      if (this.playhead <= this.context.currentTime) this.onMark(name);
      else this.marks.push({ name, at: this.playhead });
    }

    echoPlayed() {
      while (this.marks.length && this.marks[0].at <= this.context.currentTime) this.onMark(this.marks.shift().name);
    }

    clear() {
      for (const source of this.sources) {
        this.sources.delete(source);
        source.stop();
      }
      this.playhead = this.context.currentTime;
      const flushed = this.marks;
      this.marks = [];
      stats.marksFlushed += flushed.length;
      for (const mark of flushed) this.onMark(mark.name);
    }

    get remaining() {
      return Math.max(0, this.playhead - this.context.currentTime);
    }

    stop() {
      clearInterval(this.timer);
    }
  }

  // --- one call -------------------------------------------------------------------------------

  class BrowserCall {
    constructor(info, context, microphone) {
      this.info = info;
      this.context = context;
      this.microphone = microphone;
      this.streamSid = "MZ" + randomHex(16);
      this.accountSid = "AC" + "0".repeat(32);
      this.sequence = 0;
      this.chunk = 0;
      this.started = false;
      this.over = false;
      this.playback = new Playback(context, (name) => this.echoMark(name));
    }

    async start() {
      await this.context.audioWorklet.addModule(root.dataset.workletUrl);
      this.capture = new AudioWorkletNode(this.context, "phone-capture");
      this.capture.port.onmessage = (event) => this.sendAudio(event.data);
      this.input = this.context.createMediaStreamSource(this.microphone);
      this.input.connect(this.capture);
      this.followTranscript();
      this.socket = new WebSocket(socketUrl(this.info.stream_path));
      this.socket.onopen = () => this.sendStart();
      this.socket.onmessage = (event) => this.receive(event.data);
      this.socket.onclose = (event) => this.closed(event.code);
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    }

    nextSequence() {
      this.sequence += 1;
      return String(this.sequence);
    }

    sendStart() {
      this.send({ event: "connected", protocol: "Call", version: "1.0.0" });
      this.send({
        event: "start", sequenceNumber: this.nextSequence(), streamSid: this.streamSid,
        start: {
          streamSid: this.streamSid, accountSid: this.accountSid, callSid: this.info.call_sid, tracks: ["inbound"],
          customParameters: { call_token: this.info.call_token, caller: this.info.caller },
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: PHONE_RATE, channels: 1 },
        },
      });
      this.started = true;
      setStatus(`On a call as ${this.info.customer || this.info.caller_display}.`, "connected");
      keypad.hidden = false;
    }

    sendAudio(frame) {
      if (!this.started || this.over) return;
      this.chunk += 1;
      this.send({
        event: "media", sequenceNumber: this.nextSequence(), streamSid: this.streamSid,
        media: { track: "inbound", chunk: String(this.chunk), timestamp: String((this.chunk - 1) * 20), payload: toBase64(frame) },
      });
      stats.framesSent += 1;
    }

    sendKey(digit) {
      if (!this.started || this.over) return;
      this.send({
        event: "dtmf", sequenceNumber: this.nextSequence(), streamSid: this.streamSid,
        dtmf: { track: "inbound_track", digit },
      });
      stats.keysSent += digit;
    }

    echoMark(name) {
      this.send({ event: "mark", sequenceNumber: this.nextSequence(), streamSid: this.streamSid, mark: { name } });
      stats.marksEchoed += 1;
    }

    receive(text) {
      let message;
      try {
        message = JSON.parse(text);
      } catch (error) {
        return;
      }
      if (message.streamSid !== this.streamSid) return;
      if (message.event === "media" && message.media && typeof message.media.payload === "string") {
        const audio = fromBase64(message.media.payload);
        stats.framesReceived += 1;
        stats.secondsReceived += audio.length / PHONE_RATE;
        this.playback.play(audio);
      } else if (message.event === "mark" && message.mark) {
        this.playback.mark(message.mark.name);
      } else if (message.event === "clear") {
        stats.clears += 1;
        this.playback.clear();
      }
    }

    hangUp() {
      if (this.over) return;
      this.send({
        event: "stop", sequenceNumber: this.nextSequence(), streamSid: this.streamSid,
        stop: { accountSid: this.accountSid, callSid: this.info.call_sid },
      });
      if (this.socket) this.socket.close(1000);
      else this.closed(1000);
    }

    closed(code) {
      if (this.over) return;
      this.over = true;
      stats.closeCode = code;
      this.microphone.getTracks().forEach((track) => track.stop());
      if (this.input) this.input.disconnect();
      if (this.capture) this.capture.disconnect();
      const refused = code === 4401 || code === 4403;
      setStatus(refused ? `The agent refused the call (code ${code}).` : "Call ended.", refused ? "refused" : "ended");
      // Let the agent's last words (a goodbye) finish before the speakers go.
      setTimeout(() => {
        this.playback.stop();
        this.context.close();
      }, this.playback.remaining * 1000 + 300);
      hangUpButton.disabled = true;
      callButton.disabled = false;
      keypad.hidden = true;
      this.showOutcome(10);
    }

    async showOutcome(attempts) {
      const response = await fetch(this.info.outcome_url, { credentials: "same-origin" });
      const result = response.ok ? await response.json() : null;
      if (result && !result.ended && attempts > 1) {
        setTimeout(() => this.showOutcome(attempts - 1), 500);
        return;
      }
      if (this.live) this.live.close(); // the call is filed: every turn has been published
      outcome.replaceChildren();
      if (result && result.ended) outcome.append(`${result.summary || result.outcome_display || "Call over."} `);
      const link = el("a", "", "Call details");
      link.href = this.info.details_url;
      outcome.append(link);
      outcome.hidden = false;
    }

    // --- the transcript, as the call recorder publishes it ---------------------------------------

    followTranscript() {
      this.live = new WebSocket(socketUrl(this.info.live_path));
      this.live.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.kind === "turn") this.addTurn(message.data);
        else if (message.kind === "latency") this.addLatency(message.data);
        else if (message.kind === "tool") this.addTool(message.data);
      };
    }

    addTurn(turn) {
      if (transcript.querySelector(`[data-index="${Number(turn.index)}"]`)) return;
      stats.turns.push({ role: turn.role, text: turn.text, interrupted: !!turn.interrupted });
      const item = el("li", `turn turn-${turn.role}${turn.interrupted ? " interrupted" : ""}`);
      item.dataset.index = turn.index;
      const meta = el("p", "meta");
      meta.append(el("span", "speaker", roleNames[turn.role] || turn.role));
      if (turn.interrupted) meta.append(" ", el("span", "badge warn", "Interrupted"));
      const said = turn.role === "assistant" && turn.interrupted ? turn.heard_text || "(nothing heard)" : turn.text;
      item.append(meta, el("p", "said", said || ""));
      transcript.append(item);
    }

    addLatency(figures) {
      if (figures.voice_to_voice_ms == null) return;
      const item = transcript.querySelector(`[data-index="${Number(figures.turn_index)}"] .meta`);
      if (item) item.append(" ", el("span", "muted", `answered in ${Math.round(figures.voice_to_voice_ms)} ms`));
    }

    addTool(tool) {
      const item = el("li", `tool${tool.ok ? "" : " failed"}`);
      item.append(el("p", "note", `${tool.ok ? "Done" : "Failed"}: ${tool.name.replace(/_/g, " ")}`));
      transcript.append(item);
    }
  }

  // --- the buttons ------------------------------------------------------------------------------

  async function placeCall(event) {
    event.preventDefault();
    if (call && !call.over) return;
    callButton.disabled = true;
    transcript.replaceChildren();
    outcome.hidden = true;
    // Created in the click itself: browsers only let a page start audio in answer to the user.
    const context = new AudioContext();
    let microphone = null;
    try {
      setStatus("Asking for the microphone…", "connecting");
      microphone = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      setStatus("Calling…", "connecting");
      const response = await fetch(root.dataset.startUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const info = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(info.error || `the server answered ${response.status}`);
      stats.callSid = info.call_sid;
      call = new BrowserCall(info, context, microphone);
      await call.start();
      hangUpButton.disabled = false;
    } catch (error) {
      if (call && !call.over) {
        call.over = true;
        call.playback.stop();
        if (call.live) call.live.close();
        if (call.socket) call.socket.close();
      }
      if (microphone) microphone.getTracks().forEach((track) => track.stop());
      context.close();
      callButton.disabled = false;
      const why = error && error.name === "NotAllowedError" ? "the microphone was not allowed" : error.message || error;
      setStatus(`Could not place the call: ${why}.`, "refused");
    }
  }

  form.addEventListener("submit", placeCall);
  hangUpButton.addEventListener("click", () => call && call.hangUp());
  keypad.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-key]");
    if (button && call) call.sendKey(button.dataset.key);
  });
  window.addEventListener("pagehide", () => call && call.hangUp());
})();
