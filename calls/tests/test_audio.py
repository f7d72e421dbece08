"""The phone codec and resampling: bit-exact G.711 mu-law without audioop, soxr resampling."""

import numpy as np
import pytest

from calls.voice.audio import (
    FRAME_BYTES,
    FrameBuffer,
    ResampleStream,
    mulaw_decode,
    mulaw_encode,
    mulaw_silence,
    resample,
    split_frames,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def g711_encode(sample):
    """The textbook G.711 mu-law encoder (Sun's g711.c, as audioop used), one sample at a time."""
    pcm = sample >> 2
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + 0x21
    for segment, end in enumerate((0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)):
        if pcm <= end:
            return ((segment << 4) | ((pcm >> (segment + 1)) & 0x0F)) ^ mask
    return 0x7F ^ mask


def g711_decode(code):
    code = ~code & 0xFF
    t = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return 0x84 - t if code & 0x80 else t - 0x84


def tone(frequency, rate, seconds=1.0, amplitude=12000):
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def dominant_frequency(samples, rate):
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]


def test_it_encodes_every_int16_sample_like_the_g711_formula():
    expected = bytes(g711_encode(int(sample)) for sample in ALL_INT16)
    assert mulaw_encode(ALL_INT16) == expected


def test_it_decodes_every_code_like_the_g711_formula():
    codes = bytes(range(256))
    assert mulaw_decode(codes).tolist() == [g711_decode(code) for code in codes]


def test_known_values():
    assert mulaw_encode([0, 32767, -32768, -1, 1]) == bytes([0xFF, 0x80, 0x00, 0x7E, 0xFF])
    assert mulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00])).tolist() == [0, 0, 32124, -32124]


def test_decoding_then_encoding_returns_every_code():
    codes = bytes(range(256))
    roundtrip = mulaw_encode(mulaw_decode(codes))
    # 0x7F and 0xFF are both zero: G.711 has a negative and a positive zero, and zero encodes as 0xFF.
    assert roundtrip == bytes(0xFF if code == 0x7F else code for code in codes)


def test_encoding_then_decoding_stays_within_the_step_size():
    decoded = mulaw_decode(mulaw_encode(ALL_INT16)).astype(np.int32)
    error = np.abs(decoded - ALL_INT16.astype(np.int32))
    clipped = np.abs(ALL_INT16.astype(np.int32)) > 32124
    # mu-law's step grows with amplitude: at most 1/32 of the value (plus the zero region).
    assert np.all(error[~clipped] <= np.abs(ALL_INT16[~clipped].astype(np.int32)) // 16 + 8)


def test_it_rejects_nothing_and_accepts_empty_input():
    assert mulaw_encode(np.zeros(0, dtype=np.int16)) == b""
    assert len(mulaw_decode(b"")) == 0


@pytest.mark.parametrize(("source", "target"), [(8000, 16000), (22050, 8000), (16000, 8000), (24000, 8000)])
def test_resampling_keeps_duration_and_pitch(source, target):
    signal = tone(440, source)
    out = resample(signal, source, target)
    assert out.dtype == np.int16
    assert abs(len(out) - target) <= 1
    assert abs(dominant_frequency(out, target) - 440) < 3


def test_the_stream_resampler_matches_in_length_and_pitch_when_fed_in_20_ms_pieces():
    signal = tone(1000, 22050, seconds=2)
    stream = ResampleStream(22050, 8000)
    pieces = [stream.push(signal[i : i + 441]) for i in range(0, len(signal), 441)]
    out = np.concatenate([*pieces, stream.flush()])
    assert abs(len(out) - 16000) <= 2
    assert abs(dominant_frequency(out, 8000) - 1000) < 3
    assert sum(len(p) for p in pieces[:5]) > 0  # output comes while input is still arriving


def test_phone_band_audio_survives_the_codec():
    original = tone(700, 8000)
    decoded = mulaw_decode(mulaw_encode(original))
    noise = decoded.astype(np.float64) - original
    snr = 10 * np.log10(np.mean(original.astype(np.float64) ** 2) / np.mean(noise**2))
    assert snr > 30  # G.711 gives ~38 dB on a loud tone


def test_frames_are_20_ms_and_the_last_one_is_padded_with_silence():
    frames = split_frames(bytes(range(200)) * 2)
    assert [len(f) for f in frames] == [FRAME_BYTES, FRAME_BYTES, FRAME_BYTES]
    assert frames[-1].endswith(bytes([0xFF]) * 80)
    assert mulaw_silence(20) == bytes([0xFF]) * 160


def test_frame_buffer_regroups_chunks_of_any_size_without_losing_bytes():
    buffer = FrameBuffer()
    data = bytes(i % 251 for i in range(1000))
    frames = []
    for start in range(0, len(data), 77):
        frames += buffer.push(data[start : start + 77])
    assert all(len(f) == FRAME_BYTES for f in frames)
    assert len(buffer) == 1000 % FRAME_BYTES
    frames += buffer.flush()
    assert b"".join(frames)[:1000] == data
    assert buffer.flush() == []
