"""Audio that the fake Deepgram can "recognise", and the mu-law arithmetic it needs.

A fake cannot really recognise speech, so caller speech is a convention:

- `spoken(text)` is mu-law audio that *carries its own transcript*: loud square-wave-like
  samples whose bytes encode `text` in a repeated packet (sync, length, UTF-8 nibbles, checksum).
  It survives any chunking, buffering and replay (only byte order matters), and lets many
  concurrent calls each say their own lines. Its length is realistic (~65 ms per character).
- Any other non-silent audio is an utterance whose text comes from the fake's script
  (`FakeDeepgram.stt.script([...])`), or the empty transcript (noise) when the script is empty.
- `silence(seconds)` is what Twilio sends between words (0xFF, digital silence).

Speech/silence is decided per 20 ms frame from the decoded samples' RMS, so a real recording or
a tone also counts as speech.
"""

import numpy as np

SAMPLE_RATE = 8000
FRAME_BYTES = 160  # 20 ms
MULAW_SILENCE = 0xFF
SPEECH_RMS = 400.0
SECONDS_PER_CHARACTER = 0.065

_BIAS = 0x84
_CLIP = 32635
_SYNC = bytes([0x15, 0x9A, 0x15, 0x9A, 0x15, 0x9A])  # mid-loud bytes: never used by data nibbles


def _decode_table():
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = ((((u & 0x0F) << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


_DECODE = _decode_table()


def decode_mulaw(data):
    """mu-law bytes -> int16 samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def encode_mulaw(samples):
    """int16 samples -> mu-law bytes (G.711)."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0)
    x = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(x)).astype(np.int32) - 7, 0, 7)
    mantissa = (x >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def is_speech(frame):
    if not frame:
        return False
    samples = decode_mulaw(frame).astype(np.float64)
    return float(np.sqrt(np.mean(samples * samples))) >= SPEECH_RMS


def in_frames(audio):
    """`audio` cut into 20 ms frames (the last may be shorter), as Twilio sends a caller's voice."""
    return [audio[i : i + FRAME_BYTES] for i in range(0, len(audio), FRAME_BYTES)]


def silence(seconds):
    return bytes([MULAW_SILENCE]) * _frames(seconds) * FRAME_BYTES


def tone(seconds, *, frequency=220.0, amplitude=6000, start_sample=0):
    """A voiced-sounding tone (carrier with a slow tremolo): clearly not silence to a listener."""
    n = round(seconds * SAMPLE_RATE)
    t = (np.arange(n) + start_sample) / SAMPLE_RATE
    envelope = 0.75 + 0.25 * np.sin(2 * np.pi * 3.0 * t)
    return encode_mulaw(amplitude * envelope * np.sin(2 * np.pi * frequency * t))


def spoken(text, *, seconds=None):
    """mu-law audio of the caller saying `text` (see the module docstring)."""
    payload = text.encode("utf-8")
    if not payload or len(payload) > 0xFFFF:
        raise ValueError("spoken() needs 1..65535 bytes of text")
    if seconds is None:
        seconds = max(0.4, SECONDS_PER_CHARACTER * len(text))
    size = _frames(seconds) * FRAME_BYTES
    nibbles = [(len(payload) >> shift) & 0x0F for shift in (12, 8, 4, 0)]
    for byte in payload:
        nibbles += [byte >> 4, byte & 0x0F]
    checksum = sum(payload) & 0xFF
    nibbles += [checksum >> 4, checksum & 0x0F]
    packet = _SYNC + bytes(n | (0x80 if i % 2 else 0x00) for i, n in enumerate(nibbles))
    repeats = -(-size // len(packet))
    return (packet * repeats)[:size]


def read_spoken(data):
    """The text carried by `spoken()` audio somewhere in `data`, or None."""
    start = data.find(_SYNC)
    while start != -1:
        text = _read_packet(data, start + len(_SYNC))
        if text is not None:
            return text
        start = data.find(_SYNC, start + 1)
    return None


def carries_text(data):
    return data.find(_SYNC) != -1


def _read_packet(data, at):
    def nibbles(count):
        chunk = data[at : at + count]
        if len(chunk) < count or any(b & 0x70 for b in chunk):
            return None
        return [b & 0x0F for b in chunk]

    header = nibbles(4)
    if header is None:
        return None
    length = (header[0] << 12) | (header[1] << 8) | (header[2] << 4) | header[3]
    at += 4
    body = nibbles(2 * length + 2)
    if body is None:
        return None
    payload = bytes((body[i] << 4) | body[i + 1] for i in range(0, 2 * length, 2))
    if ((body[-2] << 4) | body[-1]) != sum(payload) & 0xFF:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _frames(seconds):
    return max(0, round(seconds * SAMPLE_RATE / FRAME_BYTES))
