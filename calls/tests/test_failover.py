"""Failover: when Deepgram fails mid-call the offline engines carry the call on, and the
sentence the caller was saying is not lost. The real Deepgram adapters talk to the loopback
fake Deepgram; the backups are the real offline engines."""

import asyncio
import time

import numpy as np

from calls.tests.spoken import frames_of, silence, spoken
from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.errors import VendorError
from calls.voice.stt.accuracy import normalize, word_error_rate
from calls.voice.stt.base import SpeechToText, Transcript
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.stt.failover import FailoverSTT
from calls.voice.stt.offline import OfflineSTT
from calls.voice.stt.whisper import shared_recognizer
from calls.voice.tts.deepgram import DeepgramTTS
from calls.voice.tts.failover import FailoverTTS, unheard_words
from calls.voice.tts.offline import PiperTTS
from fakes.deepgram import FakeDeepgram

FIRST = "I'd like to book an oil change."
SECOND = "Can you fit me in this Saturday around ten thirty?"


class Collector:
    def __init__(self, stt):
        self.events = []
        self.task = asyncio.create_task(self._read(stt))

    async def _read(self, stt):
        async for event in stt.events():
            self.events.append(event)

    @property
    def finals(self):
        return [e.text for e in self.events if isinstance(e, Transcript) and e.is_final and e.text]

    async def wait_for_finals(self, count, timeout=20):
        async with asyncio.timeout(timeout):
            while len(self.finals) < count:
                await asyncio.sleep(0.02)


async def send_paced(stt, audio, *, every=10):
    for number, frame in enumerate(frames_of(audio)):
        await stt.send(frame)
        if number % every == 0:
            await asyncio.sleep(0.005)  # let the network and the recognizer breathe


async def test_deepgram_dying_mid_sentence_hands_the_sentence_to_offline_stt(deepgram):
    deepgram.stt.script([FIRST])
    switched = []
    stt = FailoverSTT(
        DeepgramSTT(deepgram.api_key, deepgram.base_url, reconnect_delays_s=(0.01,)),
        OfflineSTT,
        on_failover=switched.append,
    )
    await stt.start()
    collector = Collector(stt)
    await send_paced(stt, silence(0.3) + spoken(FIRST) + silence(1.2))
    await collector.wait_for_finals(1)

    second = spoken(SECOND)
    half = len(second) // 2 // 160 * 160
    await send_paced(stt, silence(0.3) + second[:half])
    deepgram.stt.reject_next(503, times=5)  # reconnecting fails too
    deepgram.stt.drop_open_streams()
    await send_paced(stt, second[half:] + silence(1.2))
    await collector.wait_for_finals(2)
    await stt.close()

    assert stt.failed_over and isinstance(switched[0], VendorError)
    first, heard = collector.finals
    assert first == FIRST  # from Deepgram, before it died
    assert normalize(heard).startswith("can you fit me"), heard  # the beginning was not lost
    assert word_error_rate([SECOND], [heard]) <= 0.1, heard


async def send_in_real_time(stt, audio):
    started = time.monotonic()
    for number, frame in enumerate(frames_of(audio)):
        await stt.send(frame)
        await asyncio.sleep(max(0.0, started + (number + 1) * 0.02 - time.monotonic()))


async def test_a_late_final_does_not_cost_the_backup_the_start_of_the_next_sentence():
    # Under load Deepgram's finals come late: the caller is 0.7 s into the next sentence when the
    # first one's final arrives, and Deepgram dies before that sentence's final. The backup must
    # still get all of it: what the final covered on the audio clock, not its arrival, says where.
    with FakeDeepgram(final_delay_s=0.8) as deepgram:
        deepgram.stt.script([FIRST])
        stt = FailoverSTT(DeepgramSTT(deepgram.api_key, deepgram.base_url, reconnect_delays_s=(0.01,)), OfflineSTT)
        await stt.start()
        collector = Collector(stt)
        second = spoken(SECOND)
        half = len(second) // 2 // 160 * 160
        await send_in_real_time(stt, silence(0.3) + spoken(FIRST) + silence(0.4) + second[:half])
        await collector.wait_for_finals(1)
        deepgram.stt.reject_next(503, times=5)  # reconnecting fails too
        deepgram.stt.drop_open_streams()
        await send_paced(stt, second[half:] + silence(1.2))
        await collector.wait_for_finals(2)
        await stt.close()

    assert stt.failed_over
    first, heard = collector.finals
    assert first == FIRST
    assert normalize(heard).startswith("can you fit me"), heard  # the beginning was not lost
    assert word_error_rate([SECOND], [heard]) <= 0.1, heard


async def test_deepgram_refusing_at_the_start_of_the_call_means_offline_from_the_first_word(deepgram):
    deepgram.stt.reject_next(401)
    stt = FailoverSTT(DeepgramSTT("wrong-key", deepgram.base_url, reconnect_delays_s=()), OfflineSTT)
    await stt.start()
    collector = Collector(stt)
    await send_paced(stt, spoken(SECOND) + silence(1.0))
    await collector.wait_for_finals(1)
    await stt.close()
    assert stt.failed_over
    assert word_error_rate([SECOND], collector.finals) <= 0.1, collector.finals


class BrokenBackup(SpeechToText):
    async def start(self):
        raise VendorError("offline", "models missing", retryable=False)

    async def send(self, mulaw):
        pass

    async def events(self):
        return
        yield

    async def close(self):
        pass


async def test_when_the_backup_cannot_start_either_the_error_reaches_the_session(deepgram):
    deepgram.stt.reject_next(401)
    stt = FailoverSTT(DeepgramSTT("wrong-key", deepgram.base_url, reconnect_delays_s=()), BrokenBackup)
    try:
        await stt.start()
    except VendorError as error:
        assert "models missing" in str(error)
    else:
        raise AssertionError("the failure was swallowed")


def heard_words(mulaw):
    return normalize(shared_recognizer().transcribe(mulaw_decode(mulaw))).split()


async def test_tts_vendor_failing_before_any_audio_is_spoken_by_piper(deepgram):
    deepgram.tts.fail_next(500)
    tts = FailoverTTS(DeepgramTTS(deepgram.api_key, deepgram.base_url), PiperTTS())
    sentence = "Your appointment is booked for Tuesday at nine."
    audio = b"".join([chunk async for chunk in tts.synthesize(sentence)])
    assert word_error_rate([sentence], [" ".join(heard_words(audio))]) <= 0.15

    requests_before = len(deepgram.tts.requests)
    audio = b"".join([chunk async for chunk in tts.synthesize("See you then.")])
    assert len(deepgram.tts.requests) == requests_before  # the vendor is left alone for a while
    assert len(audio) > 0.3 * PHONE_RATE
    await tts.close()


async def test_tts_vendor_breaking_mid_sentence_is_finished_by_piper_from_about_where_it_stopped(deepgram):
    sentence = "We have an opening on Wednesday the fifteenth at two in the afternoon with a loaner car."
    deepgram.tts.break_next(after_bytes=3 * PHONE_RATE)  # three seconds played, then the stream breaks
    tts = FailoverTTS(DeepgramTTS(deepgram.api_key, deepgram.base_url), PiperTTS())
    audio = b"".join([chunk async for chunk in tts.synthesize(sentence)])
    vendor_part, backup_part = audio[: 3 * PHONE_RATE], audio[3 * PHONE_RATE :]
    assert np.any(mulaw_decode(vendor_part) != 0)
    heard = heard_words(backup_part)
    words = normalize(sentence).split()
    assert heard[-4:] == words[-4:]  # the end of the sentence is spoken
    assert heard[0] != words[0] and len(heard) < len(words)  # not from the top again
    await tts.close()


def test_unheard_words_back_up_one_word():
    text = "one two three four five six seven eight nine ten"
    assert unheard_words(text, 0.0) == text
    assert unheard_words(text, 2.0).split()[0] == "five"  # 2 s at 2.6 words/s: 5 heard, say the 5th again


async def test_after_the_pause_the_tts_vendor_is_tried_again(deepgram):
    now = [0.0]
    deepgram.tts.fail_next(503)
    tts = FailoverTTS(
        DeepgramTTS(deepgram.api_key, deepgram.base_url), PiperTTS(), retry_after_s=30, clock=lambda: now[0]
    )
    [chunk async for chunk in tts.synthesize("One moment please.")]
    now[0] = 31.0
    [chunk async for chunk in tts.synthesize("Thanks for waiting.")]
    assert deepgram.tts.texts[-1] == "Thanks for waiting."  # the vendor spoke again
    await tts.close()


async def test_barge_in_during_failover_speech_stops_it_cleanly(deepgram):
    deepgram.tts.fail_next(500)
    tts = FailoverTTS(DeepgramTTS(deepgram.api_key, deepgram.base_url), PiperTTS())
    chunks = tts.synthesize("We have openings on Monday, Tuesday, Wednesday and Thursday mornings.")
    first = await anext(chunks)
    await chunks.aclose()
    assert len(first) > 0
    await tts.close()
