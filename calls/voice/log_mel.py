"""Whisper's log-mel spectrogram, in numpy: what Whisper's encoder hears (stt/whisper.py), and
Smart Turn too, which is a Whisper-tiny encoder with a classifier head (turn.py).

16 kHz audio; the power spectrum of a 25 ms periodic Hann window every 10 ms (n_fft 400, hop
160, the signal reflected at both ends); 80 Slaney-normalised triangular mel bands (as librosa
and Whisper build them); log10, floored at 8 (80 dB) below the loudest value; then (x + 4) / 4.
One frame per 10 ms: len(audio) // 160 of them (the frame centred past the end is dropped).

It follows OpenAI Whisper's audio.py (MIT) and its numpy ports: faster-whisper's
feature_extractor.py (MIT), which computes in float32 and is what the Whisper recogniser was
tuned with, and transformers' WhisperFeatureExtractor (Apache-2.0; via pipecat's port), which
computes in float64 and is what Smart Turn was trained with; `dtype` chooses. Checked against
stored values of both in calls/tests/test_whisper_log_mel.py.
"""

import functools

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 80


def _hz_to_mel(hz):  # Slaney scale: linear below 1 kHz, logarithmic above
    hz = np.atleast_1d(np.asarray(hz, dtype=np.float64))
    mel = 3.0 * hz / 200.0
    log_region = hz >= 1000.0
    mel[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) * (27.0 / np.log(6.4))
    return mel


def _mel_to_hz(mel):
    mel = np.atleast_1d(np.asarray(mel, dtype=np.float64))
    hz = 200.0 * mel / 3.0
    log_region = mel >= 15.0
    hz[log_region] = 1000.0 * np.exp(np.log(6.4) / 27.0 * (mel[log_region] - 15.0))
    return hz


@functools.cache
def mel_filters(n_mels=N_MELS, dtype=np.float64):
    """Slaney-normalised triangular filters, shape (n_mels, N_FFT // 2 + 1), read-only."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0)[0], _hz_to_mel(SAMPLE_RATE / 2)[0], n_mels + 2))
    bins = np.linspace(0, SAMPLE_RATE // 2, N_FFT // 2 + 1)
    slopes = edges[:, np.newaxis] - bins[np.newaxis, :]
    widths = np.diff(edges)
    down = -slopes[:-2] / widths[:-1, np.newaxis]
    up = slopes[2:] / widths[1:, np.newaxis]
    filters = np.maximum(0.0, np.minimum(down, up))
    filters = (filters * (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]).astype(dtype)
    filters.flags.writeable = False
    return filters


@functools.cache
def _window(dtype):
    window = np.hanning(N_FFT + 1)[:-1].astype(dtype)  # periodic Hann, as torch.hann_window
    window.flags.writeable = False
    return window


def log_mel(audio, n_mels=N_MELS, *, dtype=np.float32, one_thread=False):
    """Float 16 kHz audio -> float32 (n_mels, len(audio) // HOP) Whisper log-mel features.

    `dtype`: the precision of the arithmetic, float32 as faster-whisper (Whisper's recogniser)
    or float64 as transformers (Smart Turn's training). The window is not padded to 30 s:
    the caller pads the audio to the length it wants encoded.

    `one_thread`: the mel product in numpy's own loop (einsum) instead of OpenBLAS. OpenBLAS
    splits it over every core and its threads then spin: for 8 s of audio, 1 ms of wall time but
    52 ms of CPU, where einsum takes 5 ms and 7 ms of CPU (the sums differ in the last bit). The
    recogniser keeps OpenBLAS: a different last bit in float32 changes what Whisper hears.
    """
    x = np.asarray(audio, dtype=dtype)
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:-1]
    power = np.abs(np.fft.rfft(frames * _window(dtype), axis=-1)) ** 2  # (frames, bins)
    filters = mel_filters(n_mels, dtype)
    mel = np.einsum("mb,fb->mf", filters, power, optimize=False) if one_thread else filters @ power.T
    spec = np.log10(np.maximum(mel, 1e-10))  # (n_mels, frames)
    spec = np.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).astype(np.float32, copy=False)
