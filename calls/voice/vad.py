"""Voice activity detection on 8 kHz caller audio, and the speech/silence state machine.

Silero VAD v6 runs from the ONNX file shipped in the `silero-vad` package on onnxruntime.
The package itself is installed without its dependencies and never imported (its
`__init__` pulls in torch); only its data file is used. webrtcvad is the fallback when
onnxruntime or the model file is missing: near free, but it hears noise as speech.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calls.voice.audio import PHONE_RATE
from calls.voice.packaged_onnx import PackagedModel

log = logging.getLogger(__name__)

WINDOW_SAMPLES = 256  # silero's window at 8 kHz: 32 ms
_CONTEXT_SAMPLES = 32  # silero v5+ expects the tail of the previous window in front of each one

SILERO = PackagedModel(
    "silero_vad",
    Path("data", "silero_vad.onnx"),
    missing="silero-vad's ONNX model is not installed (requirements/offline.txt)",
)


def silero_model_path():
    """Path of the 8/16 kHz silero ONNX model inside the installed package, or None."""
    return SILERO.path()


class SileroVAD:
    """Speech probability for each 32 ms window of one stream (the session is shared, the state is not)."""

    name = "silero"
    window_samples = WINDOW_SAMPLES

    def __init__(self):
        self._session = SILERO.session()
        self.reset()

    def reset(self):
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)

    def probability(self, window):
        """One window of WINDOW_SAMPLES int16 samples -> probability of speech in [0, 1]."""
        samples = np.asarray(window, dtype=np.float32) / 32768.0
        x = np.concatenate([self._context, samples])[np.newaxis, :]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": np.array(PHONE_RATE, dtype=np.int64)}
        )
        self._context = samples[-_CONTEXT_SAMPLES:]
        return float(out[0][0])


class WebRtcVAD:
    """Fallback: webrtcvad's yes/no per 16 ms, averaged over the same 32 ms windows."""

    name = "webrtcvad"
    window_samples = WINDOW_SAMPLES

    def __init__(self, mode=2):
        import webrtcvad

        self._vad = webrtcvad.Vad(mode)

    def reset(self):
        pass

    def probability(self, window):
        samples = np.asarray(window, dtype=np.int16)
        half = len(samples) // 2  # 128 samples = 16 ms, not a size webrtcvad takes: use 10 ms pieces
        votes = [self._vad.is_speech(samples[i : i + 80].tobytes(), PHONE_RATE) for i in range(0, half * 2 - 79, 80)]
        return sum(votes) / len(votes)


def load_vad():
    """Silero when it can run here, else webrtcvad (logged, since it is worse in noise)."""
    try:
        return SileroVAD()
    except (ImportError, RuntimeError) as error:
        log.warning("Silero VAD unavailable (%s); falling back to webrtcvad", error)
        return WebRtcVAD()


def warm_up():
    """Load the shared VAD model now rather than on a caller's first word."""
    load_vad().probability(np.zeros(WINDOW_SAMPLES, dtype=np.int16))


@dataclass(frozen=True)
class VadEvent:
    """kind: "speech_started" | "pause" | "resumed" | "speech_ended"; `sample` counts from stream start.

    "pause" is the first silent window after speech (a good moment to start decoding early);
    "resumed" cancels a pause; "speech_ended" comes after `endpoint_ms` of silence.
    For "pause" and "speech_ended", `sample` is where speech stopped.
    """

    kind: str
    sample: int


class SpeechDetector:
    """Turns window probabilities into speech start / pause / end events (counted in samples,
    so audio replayed faster than real time is segmented exactly as live audio)."""

    def __init__(self, vad=None, *, threshold=0.5, start_ms=64, endpoint_ms=300):
        self.vad = vad or load_vad()
        self.threshold = threshold
        self.release = max(threshold - 0.15, 0.05)  # hysteresis, as silero's own iterator does
        window_ms = 1000 * self.vad.window_samples // PHONE_RATE
        self.start_windows = max(1, round(start_ms / window_ms))
        self.endpoint_samples = PHONE_RATE * endpoint_ms // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        self.position = 0  # samples consumed
        self.in_speech = False
        self._voiced_run = 0
        self._speech_stop = None  # sample where the current pause began

    def push(self, pcm):
        """Feed int16 8 kHz samples; returns the events they caused, in order."""
        self._pending = np.concatenate([self._pending, np.asarray(pcm, dtype=np.int16)])
        events = []
        size = self.vad.window_samples
        while len(self._pending) >= size:
            window, self._pending = self._pending[:size], self._pending[size:]
            events.extend(self._step(self.vad.probability(window)))
            self.position += size
        return events

    def _step(self, probability):
        end = self.position + self.vad.window_samples
        if not self.in_speech:
            self._voiced_run = self._voiced_run + 1 if probability >= self.threshold else 0
            if self._voiced_run >= self.start_windows:
                self.in_speech = True
                self._speech_stop = None
                start = end - self._voiced_run * self.vad.window_samples
                return [VadEvent("speech_started", start)]
            return []
        if probability >= self.release:
            if self._speech_stop is not None and probability >= self.threshold:
                self._speech_stop = None
                return [VadEvent("resumed", self.position)]
            return []
        if self._speech_stop is None:
            self._speech_stop = self.position
            return [VadEvent("pause", self.position)]
        if end - self._speech_stop >= self.endpoint_samples:
            stop, self._speech_stop = self._speech_stop, None
            self.in_speech = False
            self._voiced_run = 0
            return [VadEvent("speech_ended", stop)]
        return []
