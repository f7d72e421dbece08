"""The media-stream consumer: only Twilio's stream for this call gets in, and nothing a
stream sends can crash it. Driven in-process through the ASGI app, as Twilio would."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from calls.models import Call
from calls.telephony import consumer
from fakes.deepgram import spoken
from fakes.twilio_caller import silence
from ottos.asgi import application

from .conftest import ADVISOR

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_with(caller):
    await asyncio.wait_for(caller.closed.wait(), 5)
    return caller.close_code


async def greeted(caller):
    await caller.wait_for(lambda: caller.received_bytes > 8000, timeout=10)


async def test_a_stream_with_a_bad_handshake_signature_is_closed_4403(make_caller):
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream(signature="not-what-twilio-would-send")
    assert await refused_with(caller) == 4403


async def test_a_stream_without_a_handshake_signature_gets_in_on_its_token(make_caller):
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream(signature="")
    await caller.send_start()
    await greeted(caller)
    assert not caller.closed.is_set()


async def test_a_stream_without_a_call_token_is_closed_4401(make_caller):
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    await caller.send_start(parameters={"caller": caller.from_number})
    assert await refused_with(caller) == 4401
    assert caller.received_bytes == 0


async def test_a_forged_token_is_closed_4401(make_caller):
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    await caller.send_start(parameters={**caller.parameters, "call_token": caller.parameters["call_token"][:-2] + "xx"})
    assert await refused_with(caller) == 4401


async def test_another_calls_token_is_closed_4401(make_caller):
    mallory, dana = make_caller(application, from_number="+17735550111"), make_caller(application)
    await mallory.ring()
    await dana.ring()
    await mallory.open_stream()
    await mallory.send_start(parameters={**mallory.parameters, "call_token": dana.parameters["call_token"]})
    assert await refused_with(mallory) == 4401


async def test_a_token_is_good_for_one_stream_only(make_caller):
    first = make_caller(application)
    await first.ring()
    await first.open_stream()
    await first.send_start()
    await greeted(first)
    replay = make_caller(application, call_sid=first.call_sid, from_number=first.from_number)
    replay.stream_url, replay.parameters = first.stream_url, first.parameters
    await replay.open_stream()
    await replay.send_start()
    assert await refused_with(replay) == 4401
    assert not first.closed.is_set()


MALFORMED = {
    "not JSON": "{this is not json",
    "a JSON array": "[1, 2, 3]",
    "an unknown event": json.dumps({"event": "dance", "streamSid": "MZ1"}),
    "no event at all": json.dumps({"hello": "world"}),
    "media that is not base64": json.dumps({"event": "media", "media": {"payload": "***not base64***"}}),
    "media with a number for payload": json.dumps({"event": "media", "media": {"payload": 12345}}),
    "media without media": json.dumps({"event": "media"}),
    "a mark without a name": json.dumps({"event": "mark", "mark": {}}),
    "a dtmf that is not a key": json.dumps({"event": "dtmf", "dtmf": {"digit": "10"}}),
    "an oversized frame": json.dumps({"event": "media", "media": {"payload": "A" * 100_000}}),
    "JSON nested past the interpreter's limit": "[" * 30_000 + "]" * 30_000,
    "an event that is a list": json.dumps({"event": ["media"], "streamSid": "MZ1"}),
    "an event that is an object": json.dumps({"event": {"name": "stop"}, "streamSid": "MZ1"}),
}


async def test_it_survives_every_malformed_frame_before_and_during_the_call(make_caller, openai, caplog, monkeypatch):
    # One call takes them all (a call each cost CI a minute): each must be logged as ignored,
    # before the start and again mid-call, and the caller is still answered after them.
    monkeypatch.setattr(consumer, "MAX_LOGGED_BAD_FRAMES", 2 * len(MALFORMED))  # log every one here
    openai.script("Sure, I can help with an oil change.")
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    for frame in MALFORMED.values():
        await caller.send_text(frame)
    await caller.send_start()
    await greeted(caller)
    for frame in MALFORMED.values():
        await caller.send_text(frame)
    heard_before = caller.received_bytes
    await caller.say(spoken("I need an oil change") + silence(1.5))
    await caller.wait_for(lambda: caller.received_bytes > heard_before + 8000, timeout=10)
    assert not caller.closed.is_set()
    ignored = [r.getMessage() for r in caplog.records if " ignored " in r.getMessage()]
    assert len(ignored) == 2 * len(MALFORMED), "\n".join(ignored)


async def test_media_before_start_and_binary_frames_are_ignored(make_caller):
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    await caller.send_json({"event": "media", "media": {"payload": "//////////8="}})
    await caller.link.communicator.send_to(bytes_data=b"\x00\x01binary")
    await caller.send_start()
    await greeted(caller)
    assert not caller.closed.is_set()


async def test_the_agent_speaks_twilio_json_on_the_callers_stream(make_caller):
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    await caller.wait_for(lambda: caller.marks, timeout=10)
    assert caller.unexpected == []
    assert all(r.size == 160 for r in caller.received)


async def test_hanging_up_files_the_call_and_leaves_nothing_running(make_caller, customer):
    already_running = asyncio.all_tasks()
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    await caller.hang_up()
    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.ended_at is not None
    assert (call.outcome, call.end_reason, call.customer_id) == ("abandoned", "caller_hung_up", customer.pk)
    assert call.stream_sid == caller.stream_sid
    await asyncio.sleep(0.2)
    assert sorted(t.get_name() for t in asyncio.all_tasks() - already_running if not t.done()) == []


async def test_when_the_agent_cannot_start_the_caller_is_put_through_to_a_person(make_caller, phone_agent):
    phone_agent.VOICE_STT = "deepgram"
    phone_agent.DEEPGRAM_API_KEY = ""  # Deepgram asked for without its key: no speech engine can be built
    caller = make_caller(application)
    await caller.dial()
    await asyncio.wait_for(caller.closed.wait(), 5)
    assert caller.close_code == 1000
    await caller.wait_for(lambda: caller.after_stream_twiml, timeout=5)
    twiml = caller.after_stream_twiml
    # Put through with a whisper for the advisor, and to voicemail if nobody answers (test_handoffs.py).
    assert "/twilio/dial-ended/" in twiml and "/twilio/whisper/" in twiml and f">{ADVISOR}</Number></Dial>" in twiml
    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.end_reason.startswith("agent_error")


async def test_a_quiet_call_outlives_the_channel_layers_blocking_read(make_caller):
    """Every consumer waits on Redis for channel messages in 5 s blocking reads; a call that is
    quiet for longer than that must not be dropped (redis-py's default read timeout is 5 s too)."""
    caller = make_caller(application)
    await caller.dial()
    await asyncio.sleep(7)
    assert not caller.closed.is_set(), f"stream closed with {caller.close_code}: {caller.link.error!r}"


async def test_a_regular_caller_is_greeted_by_name_before_the_recording_notice(make_caller, deepgram, customer):
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    spoken = " ".join(deepgram.tts.texts)
    assert spoken.startswith("Hi Dana, thanks for calling Otto's Auto Repair.")
    assert spoken.index("recorded") < spoken.index("How can I help you today?")


@pytest.mark.parametrize("caller_id", ["anonymous", "client:kiosk"])
async def test_a_withheld_caller_id_gets_a_general_greeting(make_caller, deepgram, customer, caller_id):
    caller = make_caller(application, from_number=caller_id)
    await caller.dial()
    await greeted(caller)
    assert " ".join(deepgram.tts.texts).startswith("Thanks for calling Otto's Auto Repair.")
    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.customer_id is None and call.from_number == caller_id
