"""Whisper's log-mel front end (calls/voice/log_mel.py) gives the numbers the models were run with.

The stored values were computed, on the same audio, by faster-whisper 1.2.1's FeatureExtractor
(the recogniser's front end until it was written here: bit-identical then) and by turn.py's
port of transformers' WhisperFeatureExtractor (Smart Turn's; bit-identical too)."""

import numpy as np
import pytest

from calls.voice import turn
from calls.voice.log_mel import HOP, SAMPLE_RATE, log_mel, mel_filters

# (mel band, frame) -> value: the silence before, the vowel's partials, the floor 8 below the peak
POINTS = [(0, 0), (0, 150), (5, 200), (10, 120), (20, 250), (40, 180), (60, 220), (79, 799)]
FASTER_WHISPER = [-0.91656, 0.119935, 0.880322, 0.291232, 0.522471, 0.428182, 0.191135, -0.91656]
SMART_TURN = [-0.136663, 0.899833, 1.660219, 1.071129, 1.302368, 1.208079, 0.971033, -0.136663]


def a_vowel(seconds=2.0):
    """A voice-like sound: 39 harmonics of a pitch gliding around 120 Hz, faded in and out."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(120 + 30 * np.sin(2 * np.pi * 0.7 * t)) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 40)) * np.sin(np.pi * t / seconds) ** 2
    return (0.1 * voice).astype(np.float32)


def eight_seconds_with_a_vowel_at_one():
    audio = np.zeros(8 * SAMPLE_RATE, dtype=np.float32)
    audio[SAMPLE_RATE : 3 * SAMPLE_RATE] = a_vowel()
    return audio


def test_the_recognisers_features_are_faster_whispers():
    features = log_mel(eight_seconds_with_a_vowel_at_one())

    assert features.shape == (80, 800) and features.dtype == np.float32
    assert [features[point] for point in POINTS] == pytest.approx(FASTER_WHISPER, abs=1e-5)
    assert features.mean() == pytest.approx(-0.6763808, abs=1e-5)


def test_smart_turns_features_are_the_ones_it_was_trained_on():
    features = turn.log_mel(eight_seconds_with_a_vowel_at_one())

    assert features.shape == (80, 800) and features.dtype == np.float32
    assert [features[point] for point in POINTS] == pytest.approx(SMART_TURN, abs=1e-5)
    assert features.mean() == pytest.approx(0.1035165, abs=1e-5)


@pytest.mark.parametrize("samples", [SAMPLE_RATE, SAMPLE_RATE + 37, 28 * SAMPLE_RATE + 8000])
def test_there_is_one_frame_per_hop_of_audio(samples):
    assert log_mel(np.zeros(samples, dtype=np.float32)).shape == (80, samples // HOP)


def test_nothing_is_more_than_8_below_the_loudest_and_silence_sits_on_that_floor():
    features = log_mel(eight_seconds_with_a_vowel_at_one())

    assert features.max() - features.min() == pytest.approx(2.0, abs=1e-6)  # (x + 4) / 4 of a span of 8
    assert np.all(features[:, :50] == features.min())


def test_the_mel_bands_are_slaney_triangles_that_cover_the_spectrum():
    filters = mel_filters()

    assert filters.shape == (80, 201)
    assert np.all(filters >= 0) and np.all(filters.sum(axis=0)[1:-1] > 0)
    assert not filters.flags.writeable
    assert np.array_equal(mel_filters(80, np.float32), filters.astype(np.float32))
