"""Phone audio: G.711 mu-law codec, resampling and 20 ms framing.

The codec is two numpy lookup tables built once from the G.711 formula (bit-exact with the
stdlib `audioop`, which is deprecated and gone in Python 3.13). Resampling is soxr.
PCM here is always mono int16 numpy arrays; mu-law is `bytes`.
"""

import numpy as np
import soxr

PHONE_RATE = 8000
FRAME_MS = 20
FRAME_SAMPLES = PHONE_RATE * FRAME_MS // 1000  # 160
FRAME_BYTES = FRAME_SAMPLES  # one mu-law byte per sample
MULAW_SILENCE = 0xFF  # encodes 0

_BIAS = 0x84
_CLIP = 8159  # in the 14-bit domain


def _build_encode_table():
    # Indexed by the int16 sample viewed as uint16 (so -1 is 65535).
    pcm = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32) >> 2
    negative = pcm < 0
    magnitude = np.minimum(np.where(negative, -pcm, pcm), _CLIP) + (_BIAS >> 2)
    segment = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), magnitude)
    code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)  # past the last segment: the largest code
    mask = np.where(negative, 0x7F, 0xFF)
    return (code ^ mask).astype(np.uint8)


def _build_decode_table():
    u = ~np.arange(256, dtype=np.uint8)
    t = (((u & 0x0F).astype(np.int32) << 3) + _BIAS) << ((u & 0x70).astype(np.int32) >> 4)
    return np.where(u & 0x80, _BIAS - t, t - _BIAS).astype(np.int16)


_ENCODE = _build_encode_table()
_DECODE = _build_decode_table()


def mulaw_encode(pcm):
    """int16 samples (array-like) -> mu-law bytes."""
    samples = np.asarray(pcm, dtype=np.int16)
    return _ENCODE[samples.view(np.uint16)].tobytes()


def mulaw_decode(data):
    """mu-law bytes -> int16 numpy array."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def float_to_int16(samples):
    """Float audio in [-1, 1] -> int16 (clipped)."""
    return (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767).astype(np.int16)


def int16_to_float(samples):
    return np.asarray(samples, dtype=np.float32) / 32768.0


def resample(pcm, from_rate, to_rate):
    """Resample a whole int16 (or float32) array with soxr (high quality)."""
    samples = np.asarray(pcm)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    return soxr.resample(samples, from_rate, to_rate, quality="HQ")


class ResampleStream:
    """Streaming resampler: push chunks as they arrive, get output as soon as it is ready.

    soxr keeps a few milliseconds of history, so output lags input slightly; `flush()`
    returns the tail at the end of the stream.
    """

    def __init__(self, from_rate, to_rate, dtype=np.int16):
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._dtype = np.dtype(dtype)
        self._stream = soxr.ResampleStream(from_rate, to_rate, 1, dtype=self._dtype.name, quality="HQ")

    def push(self, samples):
        return self._stream.resample_chunk(np.asarray(samples, dtype=self._dtype), last=False)

    def flush(self):
        return self._stream.resample_chunk(np.zeros(0, dtype=self._dtype), last=True)


def mulaw_silence(ms):
    return bytes([MULAW_SILENCE]) * (PHONE_RATE * ms // 1000)


def split_frames(mulaw, *, pad=True):
    """Cut mu-law bytes into 20 ms frames; the short last frame is padded with silence."""
    frames = [mulaw[i : i + FRAME_BYTES] for i in range(0, len(mulaw), FRAME_BYTES)]
    if pad and frames and len(frames[-1]) < FRAME_BYTES:
        frames[-1] = frames[-1] + bytes([MULAW_SILENCE]) * (FRAME_BYTES - len(frames[-1]))
    return frames


class FrameBuffer:
    """Collects byte chunks of any size and hands out whole frames of `frame_bytes`."""

    def __init__(self, frame_bytes=FRAME_BYTES):
        self.frame_bytes = frame_bytes
        self._pending = bytearray()

    def push(self, data):
        """Add bytes; return the list of complete frames now available."""
        self._pending.extend(data)
        whole = len(self._pending) - len(self._pending) % self.frame_bytes
        frames = [bytes(self._pending[i : i + self.frame_bytes]) for i in range(0, whole, self.frame_bytes)]
        del self._pending[:whole]
        return frames

    def flush(self, *, pad=True):
        """The remainder as a last frame (padded with mu-law silence), or [] when empty."""
        if not self._pending:
            return []
        rest = bytes(self._pending)
        self._pending.clear()
        if pad:
            rest += bytes([MULAW_SILENCE]) * (self.frame_bytes - len(rest))
        return [rest]

    def __len__(self):
        return len(self._pending)
