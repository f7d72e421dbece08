"""The scripted receptionist reads the history as the voice session keeps it: replies cut by a
barge-in, an unheard reply dropped and the caller's words joined, a history trimmed to a token
budget, results that came in while the caller spoke, and a call another brain started."""

import json
from datetime import timedelta

import pytest

from calls.agent.scripted import ScriptedBrain
from calls.agent.scripted.speech import say_day
from calls.tests.scripted_calls import DANA, GREETING, Dialogue, call_from, clock, db, local, tools_for  # noqa: F401 (fixtures)
from calls.tests.voice_doubles import Call
from calls.voice.conversation import trim_history
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


def starts():
    return list(Appointment.objects.values_list("start", flat=True))


class TrimmedDialogue(Dialogue):
    """The brain sees only what fits the session's token budget."""

    budget = 120

    async def _round(self):
        full, self.history = self.history, trim_history(self.history, self.budget)
        try:
            return await super()._round()
        finally:
            self.history = full


async def test_a_reply_nobody_heard_is_answered_again_with_the_callers_whole_sentence(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday, wednesday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=2)
    await call.caller("oil change tomorrow at 9")
    said = await call.caller("no")
    assert said == "Okay. What day and time would work better?"
    # The caller went on before a word of that was heard: the session drops the reply and joins the words.
    call.history.pop()
    call.history[-1]["content"] += " Wednesday"
    said = await call.agent_turn()
    assert said == f"So that's an oil change on {say_day(wednesday)} at 9 AM. Shall I book it?", call.transcript
    assert tuesday != wednesday


async def test_a_yes_to_a_read_back_cut_off_before_the_question_books_nothing(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("oil change tomorrow at 9")
    call.history[-1]["content"] = said.split(". Shall")[0] + "."  # heard up to the question, then a barge-in
    said = await call.caller("yes")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?", call.transcript
    assert await db(starts) == []
    await call.caller("yes")
    assert await db(starts) == [local(shop, tuesday, 9)]


async def test_a_history_trimmed_to_the_token_budget_still_books(shop, oil_change, customer, clock):
    toolbox = await tools_for(DANA)
    call = TrimmedDialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: clock), toolbox)
    thursday = clock.date() + timedelta(days=3)
    await call.caller("Hi, I'm calling because I would like to get my car in for an oil change sometime this week")
    await call.caller("How about Thursday afternoon?")
    said = await call.caller("the last one")
    assert said == f"So that's an oil change on {say_day(thursday)} at 4:30 PM. Shall I book it?", call.transcript
    await call.caller("yes")
    assert await db(starts) == [local(shop, thursday, 16, 30)]


async def test_a_booking_that_finished_while_the_caller_spoke_is_announced(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    await call.caller("oil change tomorrow at 9")
    call.history.append({"role": "user", "content": "yes"})
    text, calls, _ = await call._round()  # the brain asks for the booking...
    call.history.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls
            ],
        }
    )
    for c in calls:
        outcome = await call.toolbox.call(c.name, c.arguments)
        call.history.append({"role": "tool", "tool_call_id": c.id, "content": outcome.content})
    # ...the caller talks over the filler before the brain could say it was done.
    said = await call.caller("and what are your hours?")
    assert said.startswith(f"You're all set: your oil change is booked for {say_day(tuesday)} at 9 AM."), (
        call.transcript
    )
    assert "We're open Monday to Friday 8 AM to 5 PM" in said
    assert said.endswith("Is there anything else I can help you with?")
    assert await db(starts) == [local(shop, tuesday, 9)]


async def llm_history(toolbox, user_text, calls):
    """A history another brain built: its tool calls, run for real."""
    history = [
        {"role": "system", "content": "You are the phone receptionist of Otto's Auto Repair."},
        {"role": "assistant", "content": GREETING},
        {"role": "user", "content": user_text},
    ]
    for n, (name, arguments) in enumerate(calls):
        call_id = f"call_llm_{n}"
        history.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
                ],
            }
        )
        outcome = await toolbox.call(name, json.dumps(arguments))
        history.append({"role": "tool", "tool_call_id": call_id, "content": outcome.content})
    return history


async def test_taking_over_from_a_failed_llm_mid_reply(shop, oil_change, customer, clock):
    toolbox = await tools_for(DANA)
    tuesday = clock.date() + timedelta(days=1)
    history = await llm_history(
        toolbox,
        "Book me an oil change tomorrow at 9",
        [
            ("lookup_customer", {}),
            ("get_available_slots", {"service": "Oil change", "date": tuesday.isoformat()}),
        ],
    )
    call = Dialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: clock), toolbox)
    call.history = history
    said = await call.agent_turn()
    assert said == f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?", call.transcript
    await call.caller("yes")
    assert await db(starts) == [local(shop, tuesday, 9)]


async def test_taking_over_after_the_llm_already_booked_never_books_twice(shop, oil_change, customer, clock):
    toolbox = await tools_for(DANA)
    tuesday = clock.date() + timedelta(days=1)
    history = await llm_history(
        toolbox,
        "Yes, book it",
        [
            ("book_appointment", {"service": "Oil change", "start": f"{tuesday.isoformat()}T09:00"}),
        ],
    )
    call = Dialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: clock), toolbox)
    call.history = history
    said = await call.agent_turn()
    assert said == (
        f"You're all set: your oil change is booked for {say_day(tuesday)} at 9 AM. "
        "Is there anything else I can help you with?"
    ), call.transcript
    assert call.used("book_appointment") == []
    assert await db(starts) == [local(shop, tuesday, 9)]


async def test_the_same_words_on_the_same_clock_get_the_same_replies(shop, oil_change, brake_job, customer, call_from):
    lines = [
        "Hi",
        "My brakes are grinding",
        "next Tuesday afternoon",
        "what about Wednesday morning",
        "never mind",
        "bye",
    ]
    transcripts = []
    for _ in range(2):
        call = await call_from(DANA)
        for line in lines:
            await call.caller(line)
        transcripts.append(call.transcript)
    assert transcripts[0] == transcripts[1]
    assert await db(starts) == []


async def test_a_whole_call_through_the_voice_session(shop, oil_change, customer, clock):
    tuesday = clock.date() + timedelta(days=1)
    brain = ScriptedBrain(timezone=shop.timezone, clock=lambda: clock)
    call = Call(brain=brain, tools=await tools_for(DANA))
    async with call:
        await call.greeted()
        for turns, line in enumerate(["I'd like an oil change tomorrow at 9", "Yes please", "That's all, bye"], 2):
            call.stt.says(line)
            await call.replied(turns, timeout=10)
        await call.until(lambda: call.line.hung_up_at is not None, timeout=10)
    spoken = [turn["heard_text"] for turn in call.assistant_turns()]
    assert spoken[1] == f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?"
    assert spoken[2].startswith("You're all set.") and spoken[3].endswith("Goodbye!")
    assert await db(starts) == [local(shop, tuesday, 9)]


async def test_a_flaw_in_the_script_never_leaves_the_caller_in_silence(
    shop, oil_change, customer, call_from, monkeypatch
):
    from calls.agent.scripted import booking

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(booking, "start", broken)
    call = await call_from(DANA)
    said = await call.caller("I'd like an oil change tomorrow")
    assert said == (
        "I'm sorry, I got a bit lost there. I can take a message for an advisor to call you back. "
        "Would you like me to do that?"
    )
    said = await call.caller("yes")
    assert said == "Sure. What's the message for the advisor?", call.transcript


async def test_a_yes_to_the_sessions_own_offer_of_a_message_takes_one(shop, customer, call_from):
    call = await call_from(DANA)
    # The caller pressed 0; the session tried the transfer itself, it failed, and the session said so.
    call.history += [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "dtmf-2", "type": "function",
             "function": {"name": "transfer_to_advisor", "arguments": '{"reason": "caller pressed 0"}'}},
        ]},
        {"role": "tool", "tool_call_id": "dtmf-2", "content": '{"error": "The transfer didn\'t go through."}'},
        {"role": "assistant", "content": "I'm sorry, I couldn't reach an advisor just now. I can take a message "
                                         "and have someone call you back."},
    ]  # fmt: skip
    said = await call.caller("Yes please")
    assert said == "Sure. What's the message for the advisor?", call.transcript
