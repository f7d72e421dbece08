"""Whole calls through the real ASGI app under the production server in which a vendor fails for good and the
offline engine carries the call on: Deepgram's listening dies (offline Whisper hears the rest),
OpenAI answers only 500s (the scripted receptionist books), Deepgram's speech fails (Piper
speaks). The vendor SDKs talk to the loopback fakes; the backups are the real offline engines,
so after Deepgram dies the caller's audio is real speech (Piper through the phone codec)."""

import asyncio
from datetime import datetime, timedelta

import numpy as np
import pytest
from channels.db import database_sync_to_async

from calls.agent.scripted.words import ordinal
from calls.models import Call, CallEvent
from calls.tests import spoken as real
from calls.voice.audio import mulaw_decode
from calls.voice.stt.accuracy import normalize, word_error_rate
from calls.voice.stt.whisper import shared_recognizer
from fakes.deepgram import spoken as carrying
from fakes.openai import server_error, text
from scheduling.models import Appointment

from .test_call_e2e import eventually, greeted, spoken_texts, user_messages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def weekday(shop):
    day = datetime.now(shop.tz).date() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


async def failovers(call_sid, engine):
    def query():
        return list(CallEvent.objects.filter(call__call_sid=call_sid, kind="failover", data__engine=engine))

    return await eventually(query, timeout=15)


async def test_when_deepgram_dies_mid_call_offline_speech_recognition_hears_the_caller(
    live_app, make_caller, deepgram, openai, customer
):
    first = "I need an oil change"
    second = "Can you fit me in on Friday morning?"
    deepgram.stt.script([first])
    openai.script(text("Sure, when would you like to come in?"), text("Friday morning works. Nine o'clock?"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(real.silence(0.2) + real.spoken(first) + real.silence(0.6))
    await caller.wait_for(lambda: len(openai.requests) == 1, timeout=15)
    assert user_messages(openai)[-1] == first  # Deepgram heard this one
    await caller.wait_for(lambda: "when would you like" in spoken_texts(deepgram) and not caller.is_playing, timeout=15)

    deepgram.stt.reject_next(503, times=20)  # it cannot come back
    deepgram.stt.drop_open_streams()
    heard = len(caller.played)
    await caller.say(real.silence(0.3) + real.spoken(second) + real.silence(1.5))
    await caller.wait_for(lambda: len(openai.requests) == 2, timeout=20)
    assert word_error_rate([second], [user_messages(openai)[-1]]) <= 0.2, user_messages(openai)
    await caller.wait_for(lambda: len(caller.played) > heard + 4000, timeout=15)  # the answer is heard

    (event,) = await failovers(caller.call_sid, "stt")
    assert (event.data["vendor"], event.data["to"]) == ("deepgram", "offline")
    assert not caller.closed.is_set()


async def test_when_openai_only_answers_500s_the_scripted_receptionist_books_the_appointment(
    live_app, make_caller, deepgram, openai, shop, customer, weekday
):
    openai.reply = lambda body: server_error(500)
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    asked = f"I'd like an oil change on {weekday:%A} the {ordinal(weekday.day)} at 9"
    await caller.say(carrying(asked))
    await caller.wait_for(lambda: "Shall I book it?" in spoken_texts(deepgram), timeout=20)
    assert not await database_sync_to_async(Appointment.objects.filter(customer=customer).exists)()
    await caller.wait_for(lambda: not caller.is_playing, timeout=15)
    failed_requests = len(openai.requests)
    assert failed_requests >= 1

    await caller.say(carrying("Yes please"))
    appointment = await eventually(
        lambda: Appointment.objects.filter(customer=customer).select_related("service_type").first(), timeout=15
    )
    assert appointment.start == datetime(weekday.year, weekday.month, weekday.day, 9, tzinfo=shop.tz)
    assert appointment.service_type.name == "Oil change"
    await caller.wait_for(lambda: "You're all set" in spoken_texts(deepgram), timeout=15)
    # The rest of the call stays on the scripted receptionist: OpenAI is not asked again.
    assert len(openai.requests) == failed_requests

    (event,) = await failovers(caller.call_sid, "brain")
    assert (event.data["vendor"], event.data["to"]) == ("openai", "scripted")
    await caller.hang_up()
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, outcome="booked").first())
    assert call.ended_at


async def test_when_deepgram_cannot_speak_the_offline_voice_says_the_answer(
    live_app, make_caller, deepgram, openai, customer
):
    answer = "We're open until five today."
    openai.script(text(answer))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    heard = len(caller.played)
    deepgram.tts.fail_next(status=500, times=20)
    utterance = await caller.say(carrying("How late are you open"))
    await caller.wait_for(lambda: len(caller.played) > heard + 8000 and not caller.is_playing, timeout=20)
    assert caller.first_audio_after(utterance.ended_at) - utterance.ended_at < 3.0

    pcm = mulaw_decode(bytes(caller.played[heard:]))
    said = await asyncio.to_thread(shared_recognizer().transcribe, np.asarray(pcm, dtype=np.int16))
    assert set(normalize("open until five").split()) <= set(normalize(said).split()), said
    (event,) = await failovers(caller.call_sid, "tts")
    assert event.data["vendor"] == "deepgram" and event.data["to"] in ("piper", "espeak-ng")
    assert not caller.closed.is_set()
