"""Whole calls through the real ASGI app under the production server, as Twilio would place them: signed
webhook -> media stream -> caller speech -> Deepgram (fake) -> OpenAI (fake, scripted tool
calls) -> the booking in PostgreSQL -> speech back with marks; barge-in, ending, transfer,
and each vendor or database fault."""

import asyncio
import json
import time
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async

from calls.models import Call, CallbackRequest, ToolInvocation, Turn, TurnLatency
from fakes.deepgram import spoken
from fakes.openai import Stall, rate_limited, server_error, text, tool_call, tool_calls
from scheduling.models import Appointment

from .conftest import ADVISOR

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_AIR_LIMIT_S = 3.0


@pytest.fixture
def day(shop):
    day = datetime.now(shop.tz).date() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@pytest.fixture
def nine_am(shop, day):
    return datetime(day.year, day.month, day.day, 9, tzinfo=shop.tz)


async def eventually(query, timeout=10.0):
    """Poll the database until `query()` returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = await database_sync_to_async(query)()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing from {query} in {timeout} s")
        await asyncio.sleep(0.05)


def played_marks(caller):
    return [m for m in caller.marks if not m.flushed]


async def greeted(caller):
    """The whole greeting has played (every mark sent so far came back, nothing queued)."""
    await caller.wait_for(lambda: caller.marks and not caller.is_playing, timeout=15)
    await asyncio.sleep(0.2)


def longest_silence(caller, since, until):
    """The longest stretch in [since, until] with no agent audio playing for the caller."""
    spans = [(start, end or until) for start, end in caller.playback_spans if (end or until) > since and start < until]
    edges = [since] + [x for span in spans for x in span] + [until]
    return max(b - a for a, b in zip(edges[::2], edges[1::2]))


def spoken_texts(deepgram):
    return " ".join(deepgram.tts.texts)


def user_messages(openai):
    return [m["content"] for m in openai.requests[-1].body["messages"] if m["role"] == "user"]


async def test_a_regular_caller_books_an_oil_change(live_app, make_caller, deepgram, openai, customer, nine_am):
    booking = {
        "service": "Oil change",
        "start": nine_am.strftime("%Y-%m-%dT%H:%M"),
        "vehicle_id": None,
        "waiter": None,
        "loaner_requested": None,
        "notes": None,
    }
    openai.script(
        tool_calls(tool_call("book_appointment", booking)),
        text("You're all set for an oil change at nine. Anything else?"),
    )
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    assert "Hi Dana, thanks for calling Otto's Auto Repair" in spoken_texts(deepgram)
    greeting_marks = len(played_marks(caller))

    utterance = await caller.say(spoken("I need an oil change at nine please"))
    appointment = await eventually(lambda: Appointment.objects.filter(customer=customer).first())
    assert (appointment.start, appointment.source) == (nine_am, "phone_agent")
    await caller.wait_for(lambda: len(played_marks(caller)) > greeting_marks and not caller.is_playing, timeout=15)
    assert "You're all set for an oil change at nine." in spoken_texts(deepgram)
    assert caller.first_audio_after(utterance.ended_at) - utterance.ended_at < DEAD_AIR_LIMIT_S
    assert user_messages(openai)[-1] == "I need an oil change at nine please"
    tool_result = [m for m in openai.requests[-1].body["messages"] if m["role"] == "tool"][-1]
    assert json.loads(tool_result["content"])["appointment_id"] == appointment.pk
    assert caller.clears == []

    await caller.hang_up()
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, outcome="booked").first())
    assert call.customer_id == customer.pk and call.ended_at
    assert "Booked Oil change" in call.summary
    roles = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call).values_list("role", flat=True)))()
    assert "user" in roles and roles[0] == "assistant"
    tool = await database_sync_to_async(ToolInvocation.objects.get)(call=call)
    assert (tool.name, tool.ok) == ("book_appointment", True)
    latency = await database_sync_to_async(TurnLatency.objects.filter(call=call).first)()
    assert latency is not None and 0 < latency.voice_to_voice_ms < DEAD_AIR_LIMIT_S * 1000


async def test_barge_in_clears_twilio_and_keeps_only_what_the_caller_heard(
    live_app, make_caller, deepgram, openai, customer
):
    first, second, third = (
        "We have Tuesday at nine in the morning.",
        "We also have Wednesday at ten thirty.",
        "And Thursday afternoon at two is open too.",
    )
    openai.script(text(f"{first} {second} {third}"), text("Wednesday at ten thirty it is."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    before = len(played_marks(caller))

    await caller.say(spoken("When can you fit me in"))
    await caller.wait_for(lambda: len(played_marks(caller)) > before, timeout=15)  # the first sentence was heard
    interrupted_at = time.monotonic()
    await caller.say(spoken("Actually Wednesday works"))
    await caller.wait_for(lambda: caller.clears, timeout=5)
    assert caller.clears[0] - interrupted_at < 1.0

    await caller.wait_for(lambda: len(openai.requests) == 2, timeout=10)
    history = openai.requests[1].body["messages"]
    interrupted = [m for m in history if m["role"] == "assistant" and m.get("content") and first in m["content"]]
    assert interrupted, history
    assert third not in interrupted[-1]["content"], "the model is told only what the caller heard"
    assert (
        history[-1] == {"role": "user", "content": "Actually Wednesday works"} or "Wednesday" in history[-1]["content"]
    )
    await caller.hang_up()
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    assert call.interrupted and call.interruption_count >= 1
    turn = await eventually(lambda: Turn.objects.filter(call=call, interrupted=True).first())
    assert turn.heard_text.startswith(first) and third not in turn.heard_text


async def test_saying_goodbye_ends_the_call_from_our_side(live_app, make_caller, deepgram, openai, customer):
    openai.script(tool_calls(tool_call("end_call", {}), text="Thanks for calling, Dana. Goodbye!"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("That's all thanks bye"))
    await asyncio.wait_for(caller.closed.wait(), 15)
    assert caller.close_code == 1000
    assert "Goodbye" in spoken_texts(deepgram)
    await caller.wait_for(lambda: caller.after_stream_twiml, timeout=5)
    assert "<Hangup />" in caller.after_stream_twiml and "<Dial" not in caller.after_stream_twiml
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    assert call.outcome == "info"


async def test_pressing_zero_puts_the_caller_through_to_an_advisor(live_app, make_caller, twilio_rest, customer):
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.send_dtmf("0")
    await caller.wait_for(lambda: twilio_rest.calls.get(caller.call_sid, {}).get("updates"), timeout=10)
    (update,) = twilio_rest.calls[caller.call_sid]["updates"]
    assert ADVISOR in update["Twiml"]
    await caller.hang_up()  # Twilio stops the stream once the new TwiML takes over
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, outcome="transferred").first())
    assert call.transferred


# --- faults ----------------------------------------------------------------------------------


async def test_a_deepgram_drop_mid_sentence_loses_nothing(live_app, make_caller, deepgram, openai, customer):
    openai.script(text("Sure, let me look at Friday morning."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    said = "I need an oil change on Friday morning please"
    utterance = caller.speak(spoken(said))
    await asyncio.sleep(0.8)
    deepgram.stt.drop_open_streams()
    await utterance.sent.wait()
    await caller.wait_for(lambda: openai.requests, timeout=15)
    assert user_messages(openai)[-1] == said
    assert len(deepgram.stt.streams) >= 2
    await caller.wait_for(lambda: "Friday morning." in spoken_texts(deepgram), timeout=10)


@pytest.fixture
def without_offline_backup(phone_agent):
    """The vendors alone, as with VOICE_FAILOVER=false: what the session itself does when one fails.

    (With the offline backup, the failures are covered by test_failover_calls.py.)
    """
    phone_agent.VOICE_FAILOVER = False


@pytest.mark.parametrize("failure", [server_error(500), server_error(503), Stall()], ids=["500", "503", "stall"])
async def test_when_openai_fails_the_caller_hears_an_apology_and_an_offer_to_take_a_message(
    without_offline_backup, live_app, make_caller, deepgram, openai, customer, failure
):
    openai.script(failure, failure, failure, failure)
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    utterance = await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(lambda: "take a message" in spoken_texts(deepgram), timeout=15)
    await caller.wait_for(lambda: not caller.is_playing, timeout=15)
    assert longest_silence(caller, utterance.ended_at, time.monotonic()) < DEAD_AIR_LIMIT_S
    assert not caller.closed.is_set()


async def test_a_rate_limit_is_retried_and_the_caller_gets_the_answer(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(rate_limited(), text("Yes, we do brake jobs."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    utterance = await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(lambda: "Yes, we do brake jobs." in spoken_texts(deepgram), timeout=10)
    # The speech was asked for; its first audio reaches the caller a moment later.
    await caller.wait_for(lambda: caller.first_audio_after(utterance.ended_at) is not None, timeout=10)
    assert caller.first_audio_after(utterance.ended_at) - utterance.ended_at < DEAD_AIR_LIMIT_S


async def test_a_text_to_speech_failure_does_not_end_the_call(
    without_offline_backup, live_app, make_caller, deepgram, openai, customer
):
    openai.script(text("Yes, we do brake jobs."), text("We're open until five today."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    deepgram.tts.fail_next(status=500)
    await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(lambda: len(openai.requests) == 1, timeout=10)
    await asyncio.sleep(1.5)
    heard = caller.received_bytes
    await caller.say(spoken("How late are you open"))
    await caller.wait_for(lambda: caller.received_bytes > heard + 4000, timeout=15)
    assert "open until five" in spoken_texts(deepgram)
    assert not caller.closed.is_set()


async def test_a_database_error_in_a_tool_is_apologised_for_and_the_call_goes_on(
    live_app, make_caller, deepgram, openai, customer, nine_am, appointments_table_gone
):
    booking = {
        "service": "Oil change",
        "start": nine_am.strftime("%Y-%m-%dT%H:%M"),
        "vehicle_id": None,
        "waiter": None,
        "loaner_requested": None,
        "notes": None,
    }
    openai.script(
        tool_calls(tool_call("book_appointment", booking)),
        text("I'm sorry, our booking system isn't answering. Can I take a message for an advisor?"),
    )
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("Book me an oil change at nine"))
    await caller.wait_for(lambda: "Can I take a message" in spoken_texts(deepgram), timeout=15)
    tool_result = [m for m in openai.requests[-1].body["messages"] if m["role"] == "tool"][-1]
    assert "offer to take a message" in json.loads(tool_result["content"])["error"]
    assert not caller.closed.is_set()


async def test_hanging_up_mid_reply_cancels_everything_and_files_the_call(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(text("Let me tell you all about our services. " * 6))
    already_running = set(live_app.tasks())
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    before = len(played_marks(caller))
    await caller.say(spoken("What services do you offer"))
    await caller.wait_for(lambda: len(played_marks(caller)) > before, timeout=15)
    await caller.hang_up()
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    assert call.end_reason == "caller_hung_up"
    assert call.outcome == "info"

    def left_running():
        return sorted(t.get_name() for t in live_app.tasks() if t not in already_running)

    deadline = time.monotonic() + 5
    while left_running() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert left_running() == []
    assert all(not s.open for s in deepgram.stt.streams), "the speech-to-text stream was closed"


async def test_a_number_keyed_on_the_phone_reaches_the_agent_as_the_callers_turn(
    live_app, make_caller, deepgram, openai, customer
):
    message = {
        "name": "Dana Whitfield",
        "reason": "Brakes grinding",
        "urgency": "routine",
        "callback_number": "+17735550123",
    }
    openai.script(
        text("Sure. What number should the advisor call you back on? You can key it in and press pound."),
        tool_calls(tool_call("take_message", message)),
        text("Done: an advisor will call you on 7 7 3, 5 5 5, 0 1 2 3."),
    )
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("Have someone call me back about my brakes grinding, on my cell"))
    await caller.wait_for(lambda: "key it in" in spoken_texts(deepgram) and not caller.is_playing, timeout=15)
    for key in "7735550123#":
        await caller.send_dtmf(key)
    callback = await eventually(lambda: CallbackRequest.objects.filter(call__call_sid=caller.call_sid).first())
    assert callback.phone == "+17735550123"
    assert user_messages(openai)[-1] == "(keyed on the phone) 7735550123"
    turn = await eventually(
        lambda: Turn.objects.filter(call__call_sid=caller.call_sid, role="user", text__startswith="(keyed").first()
    )
    assert turn.text == "(keyed on the phone) 7735550123"
    await caller.hang_up()


async def test_the_stored_latency_starts_where_the_caller_stopped_talking(
    live_app, make_caller, deepgram, openai, customer
):
    # The final transcript arrives only after Deepgram's endpointing wait; the latency recorded must
    # still start at the caller's end of speech (the last word's end on the audio clock), as the
    # caller lives it, not at the final's arrival.
    openai.script(text("Sure, what day works for you?"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    utterance = await caller.say(spoken("Can I bring my car in this week"))
    await caller.wait_for(lambda: caller.first_audio_after(utterance.ended_at), timeout=15)
    heard_after_ms = (caller.first_audio_after(utterance.ended_at) - utterance.ended_at) * 1000
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid).first())
    latency = await eventually(lambda: TurnLatency.objects.filter(call=call).first())
    assert latency.voice_to_voice_ms >= 300, "the endpointing wait (300 ms) is part of what the caller waited"
    assert abs(latency.voice_to_voice_ms - heard_after_ms) <= 40, (latency.voice_to_voice_ms, heard_after_ms)
    await caller.hang_up()


async def test_a_long_sentence_in_several_finals_ended_only_by_utterance_end_is_answered_whole(
    live_app, make_caller, deepgram, openai, customer
):
    # As Deepgram does in noise: the sentence comes as several finals, none with speech_final, and
    # only UtteranceEnd ends the turn. It reaches the model once and whole, and the latency recorded
    # still starts where the caller stopped talking (the last final's last word).
    deepgram.stt.no_speech_final = 1.0
    openai.script(text("Sure, Friday morning works."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    said = "I need an oil change and a tire rotation on my Civic sometime on Friday morning please"
    utterance = await caller.say(spoken(said))
    await caller.wait_for(lambda: caller.first_audio_after(utterance.ended_at), timeout=15)
    heard_after_ms = (caller.first_audio_after(utterance.ended_at) - utterance.ended_at) * 1000
    assert user_messages(openai) == [said]
    stream = deepgram.stt.streams[-1]
    finals = [m for m in stream.sent if m["type"] == "Results" and m["is_final"]]
    assert len(finals) >= 3 and not any(m["speech_final"] for m in finals)
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid).first())
    latency = await eventually(lambda: TurnLatency.objects.filter(call=call).first())
    assert latency.voice_to_voice_ms >= 1000, "the utterance-end wait (1 s) is part of what the caller waited"
    assert abs(latency.voice_to_voice_ms - heard_after_ms) <= 40, (latency.voice_to_voice_ms, heard_after_ms)
    await caller.hang_up()
