"""Whole calls (as in test_call_e2e.py) where the vendors are as awkward as the real ones:
parallel tool calls, words before a tool call, a rate limit asking for a real wait, a reply that
stalls mid-sentence, a hang-up while sentences are still queued, a network hiccup while the caller
talks. The fakes' jitter (Aura's first byte and chunks, OpenAI's first token and cut tool-call
arguments) is on in all of them."""

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async

from calls.models import Call, ToolInvocation, Turn, TurnLatency
from fakes.deepgram import spoken
from fakes.openai import rate_limited, stall, text, tool_call, tool_calls

from .test_call_e2e import eventually, greeted, longest_silence, played_marks, spoken_texts

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_AIR_LIMIT_S = 3.0


def slots(day):
    return {
        "service": "Oil change",
        "date": day.isoformat(),
        "days": None,
        "part_of_day": None,
        "waiter": None,
        "time": None,
    }


@pytest.fixture
def day(shop):
    day = datetime.now(shop.tz).date() + timedelta(days=3)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return day


async def test_two_tool_calls_in_one_message_are_both_run_and_both_answered(
    live_app, make_caller, deepgram, openai, customer, day
):
    first, second = (
        tool_call("get_available_slots", slots(day)),
        tool_call("get_available_slots", slots(day + timedelta(days=1))),
    )
    openai.script(tool_calls(first, second), text("Both days have openings in the morning."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("Anything for an oil change on either of the next two days"))
    await caller.wait_for(lambda: "Both days have openings" in spoken_texts(deepgram), timeout=15)

    history = openai.requests[1].body["messages"]
    (asked,) = [m for m in history if m.get("tool_calls")]
    assert [c["id"] for c in asked["tool_calls"]] == [first.id, second.id]
    assert [c["function"]["arguments"] for c in asked["tool_calls"]] == [first.arguments, second.arguments]
    answers = [m for m in history if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in answers] == [first.id, second.id]
    assert day.isoformat() in answers[0]["content"] or "slots" in answers[0]["content"]
    await caller.hang_up()
    tools = await eventually(
        lambda: list(
            ToolInvocation.objects.filter(call__call_sid=caller.call_sid).order_by("pk").values_list("name", "ok")
        )
    )
    assert tools == [("get_available_slots", True), ("get_available_slots", True)]


async def test_words_before_a_tool_call_are_said_first_and_kept_with_the_call(
    live_app, make_caller, deepgram, openai, customer, day
):
    lookup = tool_call("get_available_slots", slots(day))
    openai.script(
        tool_calls(lookup, text="Let me look at the schedule for you."), text("The morning is wide open that day.")
    )
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("When could you do an oil change"))
    await caller.wait_for(lambda: "wide open" in spoken_texts(deepgram), timeout=15)

    texts = deepgram.tts.texts
    said_first = next(i for i, t in enumerate(texts) if "Let me look at the schedule" in t)
    assert said_first < next(i for i, t in enumerate(texts) if "wide open" in t)
    history = openai.requests[1].body["messages"]
    (asked,) = [m for m in history if m.get("tool_calls")]
    assert asked["content"] == "Let me look at the schedule for you."
    assert [c["id"] for c in asked["tool_calls"]] == [lookup.id]
    assert history[history.index(asked) + 1]["tool_call_id"] == lookup.id
    await caller.wait_for(lambda: not caller.is_playing, timeout=15)
    await caller.hang_up()
    turn = await eventually(
        lambda: Turn.objects.filter(
            call__call_sid=caller.call_sid, role="assistant", text__contains="wide open"
        ).first()
    )
    assert turn.heard_text.startswith("Let me look at the schedule for you.")


def answered(caller, utterance):
    return caller.first_audio_after(utterance.ended_at) is not None


async def test_a_rate_limit_asking_for_a_second_is_waited_out_and_the_model_answers(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(rate_limited(retry_after_ms=None, retry_after_s=1), text("Yes, we do brake jobs."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    utterance = await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(lambda: "Yes, we do brake jobs." in spoken_texts(deepgram), timeout=10)
    # (the TTS request comes 90-250 ms before its audio: wait for the audio itself)
    await caller.wait_for(lambda: answered(caller, utterance) and not caller.is_playing, timeout=10)
    assert [r.status for r in openai.requests] == [429, 200]
    assert openai.requests[1].received_at - openai.requests[0].received_at >= 1.0
    assert caller.first_audio_after(utterance.ended_at) - utterance.ended_at < DEAD_AIR_LIMIT_S


async def test_a_rate_limit_asking_for_half_a_minute_is_not_waited_out_in_silence(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(rate_limited(retry_after_ms=None, retry_after_s=30))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    said_before = len(deepgram.tts.texts)
    utterance = await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(
        lambda: len(deepgram.tts.texts) > said_before + 1 and answered(caller, utterance) and not caller.is_playing,
        timeout=15,
    )
    assert caller.first_audio_after(utterance.ended_at) - utterance.ended_at < DEAD_AIR_LIMIT_S
    assert longest_silence(caller, utterance.ended_at, time.monotonic()) < DEAD_AIR_LIMIT_S
    assert not caller.closed.is_set()


async def test_a_reply_stalling_mid_sentence_is_carried_on_without_dead_air(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(stall(text_before="Yes, we do brake jobs, and the next opening we"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    said_before = len(deepgram.tts.texts)
    utterance = await caller.say(spoken("Do you do brake jobs"))
    await caller.wait_for(lambda: "Sorry about that" in spoken_texts(deepgram), timeout=15)
    await caller.wait_for(lambda: not caller.is_playing, timeout=15)
    assert longest_silence(caller, utterance.ended_at, time.monotonic()) < DEAD_AIR_LIMIT_S
    # The half sentence is cut off audibly and taken back, then the backup answers the turn.
    after = " ".join(deepgram.tts.texts[said_before:])
    assert after.startswith("Yes, we do brake jobs, and the next opening we... Sorry about that. ")
    assert len(after) > len("Yes, we do brake jobs, and the next opening we... Sorry about that. ") + 10
    assert not caller.closed.is_set()


async def test_hanging_up_with_sentences_still_queued_keeps_only_what_was_heard(
    live_app, make_caller, deepgram, openai, customer
):
    first, second, third = (
        "We have Tuesday at nine in the morning.",
        "We also have Wednesday at ten thirty.",
        "And Thursday afternoon at two is open too.",
    )
    openai.script(text(f"{first} {second} {third}"))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    before = len(played_marks(caller))
    await caller.say(spoken("When can you fit me in"))
    await caller.wait_for(lambda: len(played_marks(caller)) > before, timeout=15)
    await caller.wait_for(lambda: caller.pending_marks, timeout=5)
    await caller.hang_up()  # `stop` at once: the marks still queued never come back
    assert caller.pending_marks

    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    assert call.end_reason == "caller_hung_up"
    turn = await eventually(lambda: Turn.objects.filter(call=call, role="assistant", text__contains=third).first())
    assert turn.heard_text.startswith(first) and third not in turn.heard_text
    assert turn.interrupted


async def test_media_held_by_a_network_hiccup_and_then_burst_in_is_heard_right(
    live_app, make_caller, deepgram, openai, customer
):
    openai.script(text("Sure, Friday morning works."))
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    said = "I need an oil change on Friday morning please"
    utterance = caller.speak(spoken(said))
    await asyncio.sleep(0.6)
    caller.hiccup(0.8)
    await utterance.sent.wait()
    await caller.wait_for(lambda: "Friday morning works." in spoken_texts(deepgram), timeout=15)
    assert [m["content"] for m in openai.requests[-1].body["messages"] if m["role"] == "user"][-1] == said
    await caller.wait_for(lambda: answered(caller, utterance) and not caller.is_playing, timeout=10)
    await caller.hang_up()
    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    latency = await eventually(lambda: TurnLatency.objects.filter(call=call).first())
    figures = [latency.stt_final_ms, latency.llm_first_token_ms, latency.tts_first_byte_ms, latency.first_audio_ms]
    assert all(figure is not None and figure >= 0 for figure in figures), figures
    assert 0 <= latency.voice_to_voice_ms < DEAD_AIR_LIMIT_S * 1000 + 800


async def test_hanging_up_while_the_greeting_plays_on_after_talking_over_it_keeps_only_what_was_heard(
    live_app, make_caller, deepgram, openai, customer
):
    deepgram.tts.audio_s_per_char = 0.1  # a greeting of several seconds
    openai.script(text("Sure, an oil change. What day suits you?"))
    caller = make_caller(live_app)
    await caller.dial()
    await caller.wait_for(lambda: caller.received, timeout=10)
    await caller.say(spoken("I need an oil change"))  # over the greeting, which plays on whole
    await caller.wait_for(lambda: openai.requests, timeout=10)
    assert caller.is_playing, "the end of the greeting has not played yet"
    await caller.hang_up()

    call = await eventually(lambda: Call.objects.filter(call_sid=caller.call_sid, ended_at__isnull=False).first())
    greeting = await eventually(lambda: Turn.objects.filter(call=call, role="assistant").order_by("pk").first())
    assert greeting.text.endswith("How can I help you today?")
    assert "How can I help you today?" not in greeting.heard_text
    assert greeting.interrupted
