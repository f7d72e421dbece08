"""However a call ends, its record says how: managers act on these figures, so a call the agent
ended must not read as one the caller hung up. Driven as Twilio would, against the app served by
the production server (which, unlike an in-process test client, tells the app the socket closed as soon as the
app closes it: the race that filed a goodbye as a hang-up)."""

import asyncio
import logging
import time

import pytest
from channels.db import database_sync_to_async

from calls.models import Call
from fakes.deepgram import spoken
from fakes.openai.replies import tool_call, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)


async def greeted(caller):
    await caller.wait_for(lambda: caller.marks and not caller.is_playing, timeout=15)


async def filed(caller, timeout=15.0):
    """The call's record once the call has been filed (ended_at is set then)."""
    deadline = time.monotonic() + timeout
    while True:
        call = await database_sync_to_async(
            Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first
        )()
        if call is not None and call.outcome:
            return call
        if time.monotonic() > deadline:
            raise TimeoutError("the call was not filed")
        await asyncio.sleep(0.05)


async def test_the_caller_hanging_up(live_app, make_caller, caplog):
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.hang_up()
    assert (await filed(caller)).end_reason == "caller_hung_up"
    # Twilio closes the socket right after its `stop`: the app's own close then meets a closed
    # socket, which is no failure of the call.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_the_agent_saying_goodbye(live_app, make_caller, openai):
    openai.script(tool_calls(tool_call("end_call", {}), text="Thanks for calling. Goodbye!"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("That's all thanks bye"))
    await asyncio.wait_for(caller.closed.wait(), 15)
    assert (await filed(caller)).end_reason == "agent_ended"
    await caller.wait_for(lambda: caller.after_stream_twiml, timeout=5)
    assert "<Dial" not in caller.after_stream_twiml  # a goodbye is not handed to a person


async def test_silence(live_app, make_caller, phone_agent):
    phone_agent.VOICE_SILENCE_REPROMPT_S = 0.4
    caller = make_caller(live_app)
    await caller.dial()
    await asyncio.wait_for(caller.closed.wait(), 20)
    assert (await filed(caller)).end_reason == "silence"


async def test_the_time_limit(live_app, make_caller, phone_agent):
    phone_agent.VOICE_MAX_CALL_S = 2.0
    caller = make_caller(live_app)
    await caller.dial()
    await asyncio.wait_for(caller.closed.wait(), 20)
    assert (await filed(caller)).end_reason == "max_call_length"


async def test_a_transfer(live_app, make_caller, twilio_rest):
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.send_dtmf("0")
    await caller.wait_for(lambda: twilio_rest.calls.get(caller.call_sid, {}).get("updates"), timeout=10)
    await caller.hang_up()  # Twilio's stop: the advisor's <Dial> has taken the call over
    call = await filed(caller)
    assert (call.end_reason, call.outcome) == ("transferred", "transferred")


async def test_a_stream_that_breaks_is_a_stream_error_and_the_caller_is_put_through_to_a_person(live_app, make_caller):
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.lose_stream()  # the socket goes without Twilio's stop; Twilio asks what next
    assert "<Dial" in caller.after_stream_twiml
    assert (await filed(caller)).end_reason == "stream_error"
