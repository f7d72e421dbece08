"""The caller's keypad in the voice loop: a number keyed in is the caller's turn (marked as keyed),
ended by # or a pause, * starts over; keys the shop chose route to an advisor only when pressed
first; keying over the agent stops it to listen."""

import asyncio

from calls.tests.voice_doubles import Call, ShopTools
from calls.voice.session import ToolOutcome


def user_texts(call):
    return [m["content"] for m in call.session.history if m["role"] == "user"]


def press(call, keys):
    for key in keys:
        call.session.on_dtmf(key)


async def test_a_number_keyed_and_ended_with_pound_is_the_callers_turn():
    async with Call(["What number should we call?"], ["Got it: 7 7 3, 5 5 5, 0 1 2 3."]) as call:
        await call.greeted()
        call.stt.says("Please have someone call me back.")
        await call.replied(2)
        press(call, "7735550123#")
        await call.replied(3)
        assert user_texts(call)[-1] == "(keyed on the phone) 7735550123"
        assert call.recorder.turns[-2]["role"] == "user" and "7735550123" in call.recorder.turns[-2]["text"]
        assert call.assistant_messages()[-1] == "Got it: 7 7 3, 5 5 5, 0 1 2 3."


async def test_star_starts_over_and_a_pause_ends_the_entry():
    async with Call(["What number?"], ["Thanks."], keyed_timeout_s=0.3) as call:
        await call.greeted()
        call.stt.says("Call me back please.")
        await call.replied(2)
        press(call, "555*3125550199")  # a slip, then the number, and no #
        await call.replied(3)
        assert user_texts(call)[-1] == "(keyed on the phone) 3125550199"


async def test_a_routing_key_routes_only_when_pressed_first():
    tools = ShopTools({"transfer_to_advisor": ToolOutcome('{"transferred": true}', ok=True, hands_over=True)})
    async with Call(["What number?"], ["Thanks."], tools=tools, advisor_keys=frozenset("01")) as call:
        await call.greeted()
        call.stt.says("Call me back please.")
        await call.replied(2)
        press(call, "2120#")  # 1 and 0 inside a number are digits
        await call.replied(3)
        assert user_texts(call)[-1] == "(keyed on the phone) 2120" and not tools.calls
        press(call, "1")
        await call.until(lambda: tools.calls)
        assert tools.calls == [("transfer_to_advisor", '{"reason": "caller pressed 1"}')]
        await asyncio.wait({call.task}, timeout=2)
        assert call.task.result() == "transferred"


async def test_keying_over_the_agent_stops_it_and_no_reprompt_interrupts_the_entry():
    long_answer = "We are open from seven thirty to five thirty. " * 8
    async with Call([long_answer], ["Thanks, noted."], silence_reprompt_s=0.3, keyed_timeout_s=2.0) as call:
        await call.greeted()
        call.stt.says("What are your hours? And take my number.")
        await call.until(lambda: len(call.line.frames) > 5 and call.session.agent_speaking)
        press(call, "773")
        await call.until(lambda: call.line.clears)  # the agent went quiet to listen
        await asyncio.sleep(0.5)  # slower than the silence re-prompt: keying is no silence
        assert call.config.reprompt not in call.tts.requests
        press(call, "5550123#")
        await call.replied(3)
        # The cut-off answer went unheard, so the brain gets the question and the keyed number together.
        assert user_texts(call)[-1].endswith("And take my number. (keyed on the phone) 7735550123")
