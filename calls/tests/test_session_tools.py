"""The voice session's tool loop: results in history, fillers, depth limit, timeouts, endings."""

import asyncio
import json

from calls.tests.voice_doubles import Call, PhoneLine, ShopTools, ToneTTS, tool_call
from calls.voice.session import ToolOutcome

BOOKED = ToolOutcome(json.dumps({"booked": True, "when": "Tuesday 9:00"}), ok=True)


def tool_results(messages):
    return [m for m in messages if m["role"] == "tool"]


async def test_a_tool_result_goes_back_to_the_brain_and_the_answer_is_spoken():
    tools = ShopTools({"book_appointment": BOOKED})
    script = [tool_call("book_appointment", service="oil change")]
    async with Call(script, ["You're booked for Tuesday at nine."], tools=tools) as call:
        await call.greeted()
        call.stt.says("Book me an oil change Tuesday at nine.")
        await call.replied(2)
        assert tools.calls == [("book_appointment", '{"service": "oil change"}')]
        messages = call.brain.calls[1][0]
        assert messages[-2:] == [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_book_appointment",
                        "type": "function",
                        "function": {"name": "book_appointment", "arguments": '{"service": "oil change"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_book_appointment", "content": BOOKED.content},
        ]
        assert call.tts.requests[-1] == "You're booked for Tuesday at nine."
        (record,) = call.recorder.tools
        assert (record["name"], record["ok"], record["result"]) == ("book_appointment", True, BOOKED.content)
        assert call.brain.calls[0][1] == tools.schemas()


async def test_a_completed_booking_stays_in_history_when_the_caller_interrupts():
    tools = ShopTools({"book_appointment": BOOKED}, delays={"book_appointment": 0.3})
    script = ["Let me book that.", tool_call("book_appointment")]
    async with Call(script, ["Yes, you're all set for Tuesday."], tools=tools, filler_after_s=5.0) as call:
        await call.greeted()
        call.stt.says("Book Tuesday at nine.")
        await call.until(lambda: tools.calls)
        call.stt.says("Wait, did that go through?")
        await call.until(lambda: len(call.brain.calls) == 2, timeout=3)
        assert tools.completed == ["book_appointment"]
        messages = call.brain.calls[1][0]
        assert tool_results(messages) == [
            {"role": "tool", "tool_call_id": "call_book_appointment", "content": BOOKED.content}
        ]
        roles = [m["role"] for m in messages[-4:]]
        assert roles == ["user", "assistant", "tool", "user"]
        assert messages[-1]["content"] == "Wait, did that go through?"
        await call.replied(3)
        assert len(tools.calls) == 1  # booked once


async def test_a_slow_tool_gets_exactly_one_filler():
    tools = ShopTools(
        {"get_available_slots": BOOKED},
        delays={"get_available_slots": 0.3},
        fillers={"get_available_slots": "One moment while I check the schedule."},
    )
    first, second = [tool_call("get_available_slots")], [tool_call("get_available_slots", call_id="again")]
    async with Call(first, second, ["Tuesday at nine is open."], tools=tools, filler_after_s=0.1) as call:
        await call.greeted()
        call.stt.says("What do you have Tuesday?")
        await call.replied(2)
        assert len(tools.completed) == 2
        fillers = [text for text in call.tts.requests if text.startswith("One moment")]
        assert fillers == ["One moment while I check the schedule."]
        assert call.recorder.events_of("filler") == [{"turn": 2, "text": "One moment while I check the schedule."}]
        assert call.session.history[-1] == {"role": "assistant", "content": "Tuesday at nine is open."}


async def test_a_quick_tool_gets_no_filler():
    tools = ShopTools({"get_available_slots": BOOKED})
    async with Call([tool_call("get_available_slots")], ["Nine is open."], tools=tools, filler_after_s=0.3) as call:
        await call.greeted()
        call.stt.says("What do you have Tuesday?")
        await call.replied(2)
        assert call.recorder.events_of("filler") == []


async def test_the_tool_loop_stops_at_the_depth_limit_and_offers_a_message():
    tools = ShopTools({"lookup_customer": ToolOutcome("{}", ok=True)})
    scripts = [[tool_call("lookup_customer", call_id=f"c{n}")] for n in range(6)]
    async with Call(*scripts, tools=tools, max_tool_depth=5) as call:
        await call.greeted()
        call.stt.says("Who am I?")
        await call.replied(2)
        assert len(tools.calls) == 5
        assert len(call.brain.calls) == 6
        assert call.session.history[-1] == {"role": "assistant", "content": call.config.tool_depth_apology}
        assert call.recorder.events_of("tool_depth_limit") == [{"turn": 2, "depth": 5}]
        calls = [m for m in call.session.history if m.get("tool_calls")]
        assert len(calls) == len(tool_results(call.session.history)) == 5


async def test_a_tool_that_times_out_gives_the_model_an_error_it_can_explain():
    tools = ShopTools({"book_appointment": BOOKED}, delays={"book_appointment": 5})
    script = [tool_call("book_appointment")]
    async with Call(script, ["Sorry, the booking system is slow."], tools=tools, tool_timeout_s=0.2) as call:
        await call.greeted()
        call.stt.says("Book it.")
        await call.replied(2)
        (result,) = tool_results(call.brain.calls[1][0])
        assert "took too long" in json.loads(result["content"])["error"]
        assert call.recorder.tools[0]["ok"] is False
        assert call.recorder.events_of("tool_timeout")


async def test_end_call_says_the_goodbye_then_hangs_up_after_it_played():
    tools = ShopTools({"end_call": ToolOutcome('{"ok": true}', ok=True, ends_call=True)})
    tts = ToneTTS(ms_per_char=5.0)
    script = ["Thanks for calling, goodbye!", tool_call("end_call")]
    async with Call(script, tools=tools, tts=tts) as call:
        await call.greeted()
        call.stt.says("That's all, bye.")
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "agent_ended"
        assert len(call.brain.calls) == 1  # the goodbye was already said
        assert call.line.hung_up_at is not None
        last_mark = call.line.marks_sent[-1]
        assert last_mark in call.line.heard_marks  # the goodbye played before the hang-up
        assert call.assistant_turns()[-1]["heard_text"] == "Thanks for calling, goodbye!"


async def test_the_call_ends_as_agent_ended_even_when_closing_the_stream_stops_the_session():
    class ConsumerLikeLine(PhoneLine):
        async def hang_up(self):  # the consumer closes the socket and files the call right away
            await super().hang_up()
            await asyncio.create_task(self.session.stop("caller_hung_up"))

    tools = ShopTools({"end_call": ToolOutcome('{"ok": true}', ok=True, ends_call=True)})
    async with Call(["Bye now!", tool_call("end_call")], tools=tools, line=ConsumerLikeLine()) as call:
        await call.greeted()
        call.stt.says("Bye.")
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "agent_ended"
        assert [event["reason"] for event in call.recorder.events_of("ended")] == ["agent_ended"]


async def test_end_call_without_words_asks_the_brain_for_them():
    tools = ShopTools({"end_call": ToolOutcome('{"ok": true}', ok=True, ends_call=True)})
    async with Call([tool_call("end_call")], ["Have a great day!"], tools=tools) as call:
        await call.greeted()
        call.stt.says("Bye.")
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "agent_ended"
        assert call.tts.requests[-1] == "Have a great day!"


async def test_a_transfer_ends_the_conversation_and_the_session_waits_for_twilio():
    tools = ShopTools({"transfer_to_advisor": ToolOutcome('{"ok": true}', ok=True, hands_over=True)})
    script = ["I'll put you through to an advisor.", tool_call("transfer_to_advisor", reason="warranty question")]
    async with Call(script, tools=tools) as call:
        await call.greeted()
        call.stt.says("I want to talk to a person.")
        await call.until(lambda: call.recorder.events_of("transferring"))
        assert call.line.heard_marks[-1] == call.line.marks_sent[-1]  # what was said was played
        call.stt.says("Hello?")
        await asyncio.sleep(0.05)
        assert len(call.brain.calls) == 1  # no more conversation once transferring
        assert call.line.hung_up_at is None
        await asyncio.wait({call.task}, timeout=2)
        assert call.task.result() == "transferred"
        assert call.line.hung_up_at is None  # the Django side moved the call; we do not end it


async def test_pressing_zero_transfers_to_an_advisor():
    tools = ShopTools({"transfer_to_advisor": ToolOutcome('{"ok": true}', ok=True, hands_over=True)})
    tts = ToneTTS(ms_per_char=3.0)
    script = ["Here is a long explanation of our brake service. It has many parts."]
    async with Call(script, tools=tools, tts=tts) as call:
        await call.greeted()
        call.stt.says("Tell me about brakes.")
        await call.until(lambda: call.line.heard_marks[-1:] == ["t2-s1"])
        call.session.on_dtmf("0")
        await call.until(lambda: tools.calls)
        assert call.line.clears  # the reply stopped
        assert tools.calls == [("transfer_to_advisor", '{"reason": "caller pressed 0"}')]
        assert call.config.transfer_line in call.tts.requests
        await asyncio.wait({call.task}, timeout=2)
        assert call.task.result() == "transferred"


async def test_a_failed_transfer_is_explained_and_the_conversation_goes_on():
    tools = ShopTools({"transfer_to_advisor": ToolOutcome('{"error": "no advisor"}', ok=False)})
    async with Call(["Okay, what's the message?"], tools=tools) as call:
        await call.greeted()
        call.session.on_dtmf("0")
        await call.replied(2)
        assert call.tts.requests[-1] == "I can take a message and have someone call you back."
        call.stt.says("Please have them call me.")
        await call.replied(3)
        messages = call.brain.calls[0][0]
        assert tool_results(messages)[0]["content"] == '{"error": "no advisor"}'


async def test_an_empty_answer_from_the_brain_is_not_dead_air():
    async with Call([""]) as call:
        await call.greeted()
        call.stt.says("Hello?")
        await call.replied(2)
        assert call.tts.requests[-1] == call.config.empty_reply
