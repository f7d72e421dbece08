"""Offline text to speech: Piper speaks a sentence as 8 kHz mu-law, first phrase first;
espeak-ng stands in when Piper is missing."""

import numpy as np
import pytest

from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.errors import VendorError
from calls.voice.stt.accuracy import word_error_rate
from calls.voice.stt.whisper import shared_recognizer
from calls.voice.tts.offline import EspeakTTS, PiperTTS, offline_tts, phrases

SENTENCE = "Sure, we have an opening on Tuesday the 14th at 2 in the afternoon, or Wednesday at 9 in the morning."


def rms(mulaw):
    pcm = mulaw_decode(mulaw).astype(np.float64)
    return float(np.sqrt(np.mean(pcm**2))) if len(pcm) else 0.0


async def collect(tts, text):
    return [chunk async for chunk in tts.synthesize(text)]


async def test_piper_speaks_a_sentence_as_phone_audio_of_plausible_length():
    chunks = await collect(PiperTTS(), SENTENCE)
    audio = b"".join(chunks)
    seconds = len(audio) / PHONE_RATE
    words = len(SENTENCE.split())
    assert words / 4.5 < seconds < words / 1.5  # between brisk and slow speech
    assert rms(audio) > 1000  # audible, not silence
    assert len(chunks) > 1  # streamed, not one blob at the end


async def test_the_first_chunk_is_the_first_phrase_not_the_whole_sentence():
    tts = PiperTTS()
    chunks = tts.synthesize(SENTENCE)
    first = await anext(chunks)
    await chunks.aclose()
    assert 0.2 * PHONE_RATE < len(first) < 2.0 * PHONE_RATE
    assert rms(first) > 1000


async def test_what_piper_says_is_what_was_written():
    audio = b"".join(await collect(PiperTTS(), SENTENCE))
    heard = shared_recognizer().transcribe(mulaw_decode(audio))
    assert word_error_rate([SENTENCE], [heard]) <= 0.15, heard


async def test_barge_in_stops_synthesis_early():
    tts = PiperTTS()
    chunks = tts.synthesize(SENTENCE + " " + SENTENCE)
    received = [await anext(chunks)]
    await chunks.aclose()  # the caller started talking
    with pytest.raises(StopAsyncIteration):
        await anext(chunks)
    assert len(b"".join(received)) < 3 * PHONE_RATE


async def test_empty_text_gives_no_audio():
    assert await collect(PiperTTS(), "  ") == []
    assert await collect(PiperTTS(), "...") == []


def test_phrases_keep_every_word_in_order_and_start_short():
    pieces = phrases(SENTENCE)
    assert " ".join(p.text for p in pieces).split() == SENTENCE.split()
    assert len(pieces[0].text.split()) <= 8
    assert all(len(p.text.split()) <= 16 for p in pieces)
    assert pieces[-1].pause_ms > pieces[0].pause_ms


def test_the_default_offline_voice_is_piper():
    assert isinstance(offline_tts(), PiperTTS)


async def test_espeak_speaks_when_installed():
    audio = b"".join(await collect(EspeakTTS(), "Your car is ready."))
    assert 0.5 * PHONE_RATE < len(audio) < 3 * PHONE_RATE
    assert rms(audio) > 500


async def test_espeak_missing_is_a_clear_vendor_error():
    with pytest.raises(VendorError, match="espeak-ng"):
        await collect(EspeakTTS(binary="/nonexistent/espeak-ng"), "Hello.")
