"""The Deepgram adapters, with the real deepgram-sdk pointed at the loopback fake Deepgram."""

import asyncio

import pytest

from calls.voice.deepgram_client import deepgram_environment
from calls.voice.errors import VendorError
from calls.voice.stt.base import SpeechStarted, Transcript, UtteranceEnd
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.tts.deepgram import DeepgramTTS
from fakes.deepgram import DEFAULT_API_KEY, FakeDeepgram, in_frames, is_speech, silence, spoken, tone
from fakes.fixtures import deepgram as fake  # noqa: F401 (the fixture: a FakeDeepgram)

KEY = DEFAULT_API_KEY
FAST_RECONNECT = (0.01, 0.02, 0.05)


@pytest.fixture
async def stt(fake):
    stt = DeepgramSTT(KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT)
    await stt.start()
    yield stt
    await stt.close()


async def say(stt, audio):
    """Feed audio as Twilio would (20 ms frames), faster than real time."""
    for frame in in_frames(audio):
        await stt.send(frame)


async def events_until(events, done, timeout=5.0):
    received = []
    async with asyncio.timeout(timeout):
        async for event in events:
            received.append(event)
            if done(event):
                return received
    return received


def final_texts(events):
    return [e.text for e in events if isinstance(e, Transcript) and e.is_final and e.text]


def is_utterance_end(event):
    return isinstance(event, UtteranceEnd)


# -- speech to text ----------------------------------------------------------------------------------


async def test_a_caller_utterance_arrives_as_speech_started_then_interims_then_a_final(fake, stt):
    events = stt.events()
    await say(stt, silence(0.4) + spoken("I need an oil change on Tuesday.") + silence(1.2))
    received = await events_until(events, is_utterance_end)
    assert isinstance(received[0], SpeechStarted)
    interims = [e for e in received if isinstance(e, Transcript) and not e.is_final]
    finals = [e for e in received if isinstance(e, Transcript) and e.is_final]
    assert interims and "I need an oil change on Tuesday.".startswith(interims[0].text)
    assert interims[-1].text.startswith("I need an oil")
    assert [(f.text, f.speech_final) for f in finals] == [("I need an oil change on Tuesday.", True)]
    assert received.index(interims[0]) < received.index(finals[0]) < received.index(received[-1])
    assert [e.at for e in received] == sorted(e.at for e in received)


async def test_it_asks_for_the_phone_audio_settings_and_the_configured_model(fake):
    stt = DeepgramSTT(KEY, fake.base_url, model="nova-2-phonecall", endpointing_ms=250, utterance_end_ms=1200)
    await stt.start()
    await stt.close()
    assert fake.stt.streams[0].query == {
        "model": "nova-2-phonecall",
        "encoding": "mulaw",
        "sample_rate": "8000",
        "channels": "1",
        "interim_results": "true",
        "endpointing": "250",
        "utterance_end_ms": "1200",
        "vad_events": "true",
        "smart_format": "true",
        "punctuate": "true",
    }
    assert fake.stt.streams[0].authorization == f"Token {KEY}"


async def test_scripted_lines_stand_for_speech_that_does_not_carry_text(fake, stt):
    fake.stt.script(["Hi, this is Dana.", "Do you have anything Friday?"])
    events = stt.events()
    await say(stt, tone(0.8) + silence(1.2))
    first = await events_until(events, is_utterance_end)
    await say(stt, tone(1.0) + silence(1.2))
    second = await events_until(events, is_utterance_end)
    assert final_texts(first) == ["Hi, this is Dana."]
    assert final_texts(second) == ["Do you have anything Friday?"]


async def test_noise_gives_speech_started_then_only_an_empty_end_of_speech():
    # the empty speech_final tells a paused agent that no words are coming: it need not wait for them
    with FakeDeepgram(KEY, no_speech_final=0) as fake:
        stt = DeepgramSTT(KEY, fake.base_url)
        await stt.start()
        events = stt.events()
        await say(stt, tone(0.5) + silence(0.5) + spoken("Okay", seconds=0.4) + silence(1.2))
        received = await events_until(events, is_utterance_end)
        await stt.close()
    kinds = [(type(e).__name__, getattr(e, "text", None), getattr(e, "speech_final", None)) for e in received]
    assert kinds[:3] == [("SpeechStarted", None, None), ("Transcript", "", True), ("SpeechStarted", None, None)]
    assert all(e.text for e in received[3:] if isinstance(e, Transcript))
    assert final_texts(received) == ["Okay"]


async def test_it_never_sends_empty_frames(fake, stt):
    for _ in range(5):
        await stt.send(b"")
    await say(stt, spoken("Still there?") + silence(1.2))
    await events_until(stt.events(), is_utterance_end)
    assert fake.stt.streams[0].empty_frames == 0 and len(fake.stt.streams) == 1


@pytest.mark.parametrize("code", [None, 1011], ids=["tcp-reset", "close-1011"])
async def test_a_drop_mid_utterance_reconnects_and_loses_nothing(fake, stt, code):
    # the socket dies 0.6 s into the caller's sentence; everything after it is sent into the gap
    fake.stt.drop_next(after_audio_s=1.0, code=code)
    events = stt.events()
    await say(stt, silence(0.4) + spoken("My brakes are grinding when I stop.") + silence(1.2))
    received = await events_until(events, is_utterance_end)
    assert " ".join(final_texts(received)) == "My brakes are grinding when I stop."
    assert stt.reconnects == 1 and len(fake.stt.streams) == 2
    assert fake.stt.streams[0].dropped and not fake.stt.streams[0].finals


async def test_reconnects_are_reported_for_the_call_record(fake):
    reported = []
    stt = DeepgramSTT(
        KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT, notify=lambda kind, **data: reported.append((kind, data))
    )
    await stt.start()
    fake.stt.drop_next(after_audio_s=0.6)
    await say(stt, spoken("Do you do alignments?") + silence(1.2))
    await events_until(stt.events(), is_utterance_end)
    await stt.close()
    ((kind, data),) = reported
    assert kind == "reconnect" and data["vendor"] == "deepgram" and data["replayed_s"] >= 0.6


async def test_a_caller_who_keeps_getting_dropped_is_still_heard_while_each_socket_makes_progress():
    # more drops than reconnect attempts, but every socket finalises something before it dies
    drops = len(FAST_RECONNECT) + 2
    # every line ends with speech_final: a turn that only UtteranceEnd ends would not end here when a
    # drop falls between its final and the UtteranceEnd (the session's own timeout ends it then)
    with FakeDeepgram(KEY, no_speech_final=0) as fake:
        stt = DeepgramSTT(KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT)
        await stt.start()
        # Closed with 1011 as Deepgram does: a TCP reset could throw away a final the server had sent
        # and the client not yet read, so whether a socket "made progress" was left to chance.
        fake.stt.drop_next(after_audio_s=2.5, times=drops, code=1011)
        events = stt.events()
        # 2 s of audio a line: 14 s, more than the 12.5 s the dropped sockets take, replays aside, so
        # every drop happens whatever the replays add (with less, the last drop was left to chance)
        lines = [
            "I'd like a quote.",
            "For front brakes.",
            "On a 2014 Camry.",
            "With the V6.",
            "How much?",
            "And how long?",
            "Thanks.",
        ]
        assert len(lines) * 2.0 > drops * 2.5
        received = []
        for line in lines:
            await say(stt, spoken(line, seconds=0.8) + silence(1.2))
            # a drop between a final and its UtteranceEnd loses the UtteranceEnd, never the words
            received += await events_until(events, lambda e: isinstance(e, Transcript) and e.speech_final)
        assert final_texts(received) == lines
        # Every drop happened and the caller was still heard. Counted from the streams the fake saw: a
        # socket dropped while the audio is being replayed into it never counts as a reconnect.
        assert len(fake.stt.streams) == drops + 1 and drops > len(FAST_RECONNECT)
        await stt.close()


async def test_sockets_that_die_before_finalising_anything_end_in_a_vendor_error(fake, stt):
    fake.stt.drop_next(after_audio_s=0.6, times=len(FAST_RECONNECT) + 1)
    events = stt.events()
    with pytest.raises(VendorError) as failure:
        await say(stt, spoken("This never gets through", seconds=1.5) + silence(1.2))
        await events_until(events, is_utterance_end)
    # It tried again (the fake saw new streams) before giving up; whether an attempt counts as a
    # reconnect depends on where the drop lands in the replay, which the audio clock leaves to chance.
    assert failure.value.retryable is False and 1 < len(fake.stt.streams) <= len(FAST_RECONNECT) + 1


async def test_a_drop_after_a_final_does_not_repeat_what_was_already_transcribed(fake, stt):
    events = stt.events()
    await say(stt, spoken("Hi, it's Sam.") + silence(1.2))
    first = await events_until(events, is_utterance_end)
    fake.stt.drop_open_streams()
    second_audio = silence(0.2) + spoken("Is my car ready?") + silence(1.2)
    await say(stt, second_audio)
    second = await events_until(events, is_utterance_end)
    assert final_texts(first) + final_texts(second) == ["Hi, it's Sam.", "Is my car ready?"]
    assert stt.reconnects == 1
    # replayed: the silence after the first final (not covered by it) and the second sentence, no more
    assert fake.stt.streams[1].audio_seconds <= (len(silence(1.2)) + len(second_audio)) / 8000


async def test_a_dropped_script_line_is_still_transcribed_after_reconnecting(fake, stt):
    fake.stt.script(["Can you look at my transmission?"])
    fake.stt.drop_next(after_audio_s=0.5)
    events = stt.events()
    await say(stt, tone(1.2) + silence(1.2))
    received = await events_until(events, is_utterance_end)
    assert final_texts(received) == ["Can you look at my transmission?"]


async def test_when_reconnecting_keeps_failing_events_raises_a_final_vendor_error(fake, stt):
    events = stt.events()
    fake.stt.reject_next(503, times=len(FAST_RECONNECT))
    fake.stt.drop_open_streams()
    with pytest.raises(VendorError) as failure:
        await events_until(events, lambda event: False)
    assert failure.value.retryable is False and failure.value.vendor == "deepgram"
    assert fake.stt.rejected == [503] * len(FAST_RECONNECT)


async def test_a_revoked_key_mid_call_is_not_retried(fake):
    stt = DeepgramSTT(KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT)
    await stt.start()
    fake.stt.api_key = "rotated"
    fake.stt.drop_open_streams()
    with pytest.raises(VendorError) as failure:
        await events_until(stt.events(), lambda event: False)
    assert failure.value.retryable is False and fake.stt.rejected == [401]
    await stt.close()


async def test_a_wrong_key_fails_start_without_retrying(fake):
    stt = DeepgramSTT("not-the-key", fake.base_url, reconnect_delays_s=FAST_RECONNECT)
    with pytest.raises(VendorError) as failure:
        await stt.start()
    assert failure.value.retryable is False and "401" in str(failure.value)
    assert fake.stt.rejected == [401]
    await stt.close()


async def test_start_rides_out_a_brief_outage(fake):
    fake.stt.reject_next(503, times=2)
    stt = DeepgramSTT(KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT)
    await stt.start()
    await stt.close()
    assert fake.stt.rejected == [503, 503] and len(fake.stt.streams) == 1


async def test_start_gives_up_on_a_long_outage_with_a_retryable_error(fake):
    fake.stt.reject_next(503, times=10)
    stt = DeepgramSTT(KEY, fake.base_url, reconnect_delays_s=FAST_RECONNECT)
    with pytest.raises(VendorError) as failure:
        await stt.start()
    assert failure.value.retryable is True and len(fake.stt.rejected) == 1 + len(FAST_RECONNECT)


async def test_keepalives_hold_the_stream_open_while_no_audio_is_sent():
    with FakeDeepgram(KEY, idle_timeout_s=0.4) as fake:
        stt = DeepgramSTT(KEY, fake.base_url, keepalive_s=0.1, reconnect_delays_s=FAST_RECONNECT)
        await stt.start()
        await asyncio.sleep(1.0)
        assert fake.stt.streams[0].open and fake.stt.streams[0].keepalives >= 3
        assert stt.reconnects == 0 and len(fake.stt.streams) == 1
        await stt.close()


async def test_close_delivers_the_last_words_then_ends_the_events(fake):
    stt = DeepgramSTT(KEY, fake.base_url)
    await stt.start()
    await say(stt, spoken("Thanks, bye", seconds=0.8))
    await stt.close()
    await stt.close()
    received = [event async for event in stt.events()]
    assert final_texts(received) == ["Thanks, bye"]
    assert fake.stt.streams[0].close_stream and fake.stt.streams[0].close_code == 1000
    await stt.send(spoken("too late"))  # ignored after close
    assert len(fake.stt.streams) == 1


async def test_a_ws_base_url_works_too(fake):
    stt = DeepgramSTT(KEY, fake.base_url.replace("http://", "ws://"))
    await stt.start()
    await stt.close()
    assert len(fake.stt.streams) == 1


@pytest.mark.parametrize(
    "base_url, rest, socket",
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765", "ws://127.0.0.1:8765"),
        ("ws://127.0.0.1:8765/", "http://127.0.0.1:8765", "ws://127.0.0.1:8765"),
        ("https://dg.shop.example/deepgram/", "https://dg.shop.example/deepgram", "wss://dg.shop.example/deepgram"),
        ("wss://dg.shop.example", "https://dg.shop.example", "wss://dg.shop.example"),
    ],
)
def test_the_base_url_gives_both_the_rest_and_the_socket_origins(base_url, rest, socket):
    environment = deepgram_environment(base_url)
    assert (environment.base, environment.production) == (rest, socket)


@pytest.mark.parametrize("base_url", ["ftp://x", "127.0.0.1:8765", "http://"])
def test_a_base_url_that_is_not_http_or_ws_is_refused(base_url):
    with pytest.raises(ValueError):
        deepgram_environment(base_url)


def test_no_base_url_means_deepgram_itself():
    assert deepgram_environment(None).production == "wss://api.deepgram.com"


# -- text to speech ------------------------------------------------------------------------------------


@pytest.fixture
async def tts(fake):
    tts = DeepgramTTS(KEY, fake.base_url, first_byte_timeout_s=1.0)
    yield tts
    await tts.close()


async def test_speech_is_raw_mulaw_proportional_to_the_text(fake, tts):
    short = b"".join([chunk async for chunk in tts.synthesize("Sure.")])
    long = b"".join([chunk async for chunk in tts.synthesize("Your oil change is booked for Tuesday at ten.")])
    assert short[:4] != b"RIFF" and long[:4] != b"RIFF"
    assert len(short) == fake.tts.audio_bytes_for("Sure.")
    assert len(long) == fake.tts.audio_bytes_for("Your oil change is booked for Tuesday at ten.")
    assert is_speech(long[:160])
    assert fake.tts.requests[0].query == {
        "model": "aura-2-thalia-en",
        "encoding": "mulaw",
        "sample_rate": "8000",
        "container": "none",
    }
    assert fake.tts.texts == ["Sure.", "Your oil change is booked for Tuesday at ten."]


async def test_the_voice_is_configurable(fake):
    tts = DeepgramTTS(KEY, fake.base_url, model="aura-2-apollo-en")
    assert [chunk async for chunk in tts.synthesize("Hello")]
    await tts.close()
    assert fake.tts.requests[0].query["model"] == "aura-2-apollo-en"


async def test_blank_text_makes_no_request(fake, tts):
    assert [chunk async for chunk in tts.synthesize("  \n ")] == []
    assert fake.tts.requests == []


async def test_text_longer_than_deepgram_accepts_is_sent_in_pieces(fake, tts):
    text = "We can do that. " * 200
    audio = b"".join([chunk async for chunk in tts.synthesize(text)])
    assert len(fake.tts.requests) == 2 and all(len(r.text) <= 2000 for r in fake.tts.requests)
    assert " ".join(fake.tts.texts) == " ".join(text.split())
    assert len(audio) == sum(fake.tts.audio_bytes_for(t) for t in fake.tts.texts)


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (400, False)])
async def test_a_refused_request_is_a_vendor_error_that_says_whether_to_retry(fake, tts, status, retryable):
    fake.tts.fail_next(status)
    with pytest.raises(VendorError) as failure:
        async for _ in tts.synthesize("Hello"):
            pass
    assert failure.value.retryable is retryable and str(status) in str(failure.value)
    assert b"".join([chunk async for chunk in tts.synthesize("Hello")])  # the next sentence works


async def test_a_wrong_key_is_not_retryable(fake):
    tts = DeepgramTTS("wrong", fake.base_url)
    with pytest.raises(VendorError) as failure:
        async for _ in tts.synthesize("Hello"):
            pass
    assert failure.value.retryable is False
    await tts.close()


async def test_a_stalled_server_times_out_as_a_retryable_error(fake):
    fake.tts.stall_next()
    tts = DeepgramTTS(KEY, fake.base_url, first_byte_timeout_s=0.3)
    with pytest.raises(VendorError) as failure:
        async for _ in tts.synthesize("Hello"):
            pass
    assert failure.value.retryable is True and "timed out" in str(failure.value)
    await tts.close()


async def test_a_stream_cut_mid_sentence_is_a_retryable_error(fake, tts):
    fake.tts.chunk_bytes = 800  # the cut lands exactly after 1600 bytes
    fake.tts.break_next(after_bytes=1600)
    received = b""
    with pytest.raises(VendorError) as failure:
        async for chunk in tts.synthesize("This sentence will be cut off half way through."):
            received += chunk
    assert failure.value.retryable is True and len(received) == 1600


async def test_closing_the_iterator_early_stops_the_stream():
    text = "Let me read you the full list of everything we found during the inspection. " * 3
    with FakeDeepgram(KEY, tts_realtime_factor=20) as fake:
        tts = DeepgramTTS(KEY, fake.base_url)
        chunks = tts.synthesize(text)
        first = await anext(chunks)
        await chunks.aclose()
        async with asyncio.timeout(5):
            while not fake.tts.requests[0].aborted:
                await asyncio.sleep(0.02)
        assert first and fake.tts.requests[0].bytes_sent < fake.tts.audio_bytes_for(text) / 2
        await tts.close()


class AudioClock:
    """Our clock as the caller's audio arrives: 20 ms per frame."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("drop", [False, True], ids=["one-connection", "reconnected-mid-sentence"])
async def test_a_final_says_when_the_caller_stopped_talking_on_our_clock(fake, drop):
    clock = AudioClock()
    stt = DeepgramSTT(KEY, fake.base_url, clock=clock)
    await stt.start()
    if drop:
        fake.stt.drop_next(after_audio_s=1.0)
    words = spoken("My brakes are grinding when I stop.")
    events = stt.events()
    for frame in in_frames(silence(0.4) + words + silence(1.2)):
        clock.now += len(frame) / 8000
        await stt.send(frame)
        await asyncio.sleep(0)
    received = await events_until(events, is_utterance_end)
    await stt.close()
    final = [e for e in received if isinstance(e, Transcript) and e.is_final and e.text][-1]
    speech_ended = 1000.0 + 0.4 + len(words) / 8000
    assert final.speech_ended_at == pytest.approx(speech_ended, abs=0.025)
    assert final.at >= final.speech_ended_at
