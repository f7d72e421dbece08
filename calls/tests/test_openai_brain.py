"""OpenAIBrain against the OpenAI fake through the real openai SDK: what the voice session relies on."""

import json
import time
from dataclasses import dataclass

import pytest

from calls.voice.errors import VendorError
from calls.voice.llm.base import Done, TextDelta, ToolCall
from calls.voice.llm.openai import OpenAIBrain
from fakes.fixtures import openai as fake  # noqa: F401 (the fixture: a FakeOpenAI)
from fakes.openai import (
    hang,
    insufficient_quota,
    rate_limited,
    server_error,
    stall,
    stream_error,
    text,
    tool_call,
    tool_calls,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_available_slots",
            "description": "Free slots for a service on a day.",
            "parameters": {
                "type": "object",
                "properties": {"date": {"type": "string"}, "service": {"type": "string"}},
                "required": ["date", "service"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "lookup_customer",
            "description": "The caller's record.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]
HISTORY = [
    {"role": "system", "content": "You are the receptionist."},
    {"role": "user", "content": "Can I get an oil change on Tuesday?"},
]


@pytest.fixture
async def brain(fake):
    brain = OpenAIBrain(fake.api_key, fake.base_url, model="gpt-4.1-mini", timeout_s=1.0, max_retries=2)
    yield brain
    await brain.close()


async def events_of(brain, messages=HISTORY, tools=TOOLS):
    return [event async for event in brain.respond(messages, tools)]


@dataclass
class Failure:
    error: VendorError
    events: list  # what the brain said before it failed
    seconds: float  # from asking until the brain was closed after failing


async def failure_of(brain):
    """Ask `brain` (then closed) to answer HISTORY, which must end in a VendorError."""
    events = []
    started = time.monotonic()
    try:
        with pytest.raises(VendorError) as caught:
            async for event in brain.respond(HISTORY, TOOLS):
                events.append(event)
    finally:
        await brain.close()
    return Failure(caught.value, events, time.monotonic() - started)


async def test_text_deltas_stream_in_order_and_end_with_done(fake, brain):
    fake.script(text("Sure. Tuesday at nine works. Shall I book it?"))
    events = await events_of(brain)

    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5
    assert "".join(deltas) == "Sure. Tuesday at nine works. Shall I book it?"
    assert events[-1] == Done("stop")
    assert brain.last_usage["completion_tokens"] == len(deltas)


async def test_the_request_asks_for_one_tool_call_at_a_time_streamed_with_usage(fake, brain):
    fake.script("OK.")
    await events_of(brain)

    body = fake.requests[-1].body
    assert body["model"] == "gpt-4.1-mini" and body["messages"] == HISTORY and body["tools"] == TOOLS
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tool_choice"] == "auto" and body["parallel_tool_calls"] is False
    assert body["temperature"] <= 0.5 and 0 < body["max_completion_tokens"] <= 400


async def test_without_tools_no_tool_options_are_sent(fake, brain):
    fake.script("Goodbye.")
    await events_of(brain, tools=[])
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(fake.requests[-1].body)


async def test_fragmented_tool_calls_come_out_whole_after_the_text(fake, brain):
    fake.script(
        tool_calls(
            tool_call("get_available_slots", {"date": "2030-06-04", "service": "Oil change"}, id="call_slots"),
            tool_call("lookup_customer", {}, id="call_me"),
            text="Let me check Tuesday.",
        )
    )
    events = await events_of(brain)

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me check Tuesday."
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls == [
        ToolCall("call_slots", "get_available_slots", json.dumps({"date": "2030-06-04", "service": "Oil change"})),
        ToolCall("call_me", "lookup_customer", "{}"),
    ]
    assert events[-1] == Done("tool_calls")
    assert all(isinstance(e, TextDelta) for e in events[: events.index(calls[0])])


async def test_a_tool_result_goes_back_and_the_model_speaks_it(fake, brain):
    def reply(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            return text(f"I have {json.loads(last['content'])['slots'][0]} open.")
        return tool_calls(tool_call("get_available_slots", {"date": "2030-06-04", "service": "Oil change"}))

    fake.reply = reply
    first = await events_of(brain)
    call = next(e for e in first if isinstance(e, ToolCall))
    history = HISTORY + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"slots": ["9:00 AM"]})},
    ]
    second = await events_of(brain, history)

    assert "".join(e.text for e in second if isinstance(e, TextDelta)) == "I have 9:00 AM open."
    assert [r.status for r in fake.requests] == [200, 200]


async def test_a_rate_limit_is_retried_without_the_caller_noticing(fake, brain):
    fake.script(rate_limited(retry_after_ms=5), text("Tuesday works."))
    events = await events_of(brain)

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Tuesday works."
    assert [r.status for r in fake.requests] == [429, 200]


async def test_a_persistent_server_error_is_a_retryable_vendor_error_within_three_seconds(fake, brain):
    fake.reply = lambda body: server_error(503)
    started = time.monotonic()
    with pytest.raises(VendorError) as caught:
        await events_of(brain)

    assert caught.value.retryable and "503" in str(caught.value)
    assert len(fake.requests) == 3  # the first try and two SDK retries
    assert time.monotonic() - started < 3.5


async def test_a_long_retry_after_is_cut_short_by_the_budget(fake):
    fake.script(rate_limited(retry_after_ms=60_000), "too late")
    failure = await failure_of(
        OpenAIBrain(fake.api_key, fake.base_url, timeout_s=1.0, max_retries=2, retry_budget_s=0.5)
    )

    assert failure.error.retryable
    assert failure.seconds < 2.0
    assert fake.unused_replies == 1


async def test_a_stalled_reply_fails_after_the_read_timeout_keeping_what_was_said(fake):
    fake.script(stall(text_before="Let me see"))
    failure = await failure_of(OpenAIBrain(fake.api_key, fake.base_url, timeout_s=0.3, max_retries=2))

    assert failure.error.retryable and "stalled" in str(failure.error)
    assert "".join(e.text for e in failure.events) == "Let me see"
    assert failure.seconds < 0.3 + 1.0
    assert len(fake.requests) == 1  # a stream that has begun is never silently replayed


async def test_a_server_that_never_answers_is_given_up_on_within_the_budget(fake):
    fake.reply = lambda body: hang()
    failure = await failure_of(
        OpenAIBrain(fake.api_key, fake.base_url, timeout_s=0.4, max_retries=2, retry_budget_s=1.0)
    )

    assert failure.error.retryable
    assert failure.seconds < 1.0 + 0.5


async def test_a_first_word_later_than_the_budget_is_given_up_on(fake):
    fake.script(text("Finally.", first_token_s=10))
    failure = await failure_of(OpenAIBrain(fake.api_key, fake.base_url, timeout_s=5.0, retry_budget_s=0.5))

    assert failure.error.retryable
    assert failure.seconds < 0.5 + 0.5


async def test_an_error_in_the_middle_of_the_stream_is_retryable(fake, brain):
    fake.script(stream_error(text_before="One moment"))
    with pytest.raises(VendorError) as caught:
        await events_of(brain)
    assert caught.value.retryable


async def test_closing_the_reply_early_hangs_up_on_the_server(fake, brain):
    fake.script(text("Our hours are eight to five on weekdays and eight to noon on Saturday.", tokens_per_s=20))
    reply = brain.respond(HISTORY, TOOLS)
    assert isinstance(await anext(reply), TextDelta)
    assert isinstance(await anext(reply), TextDelta)
    await reply.aclose()

    fake.wait_for(lambda f: f.requests[0].disconnected, timeout=3)
    assert not fake.requests[0].finished


async def test_a_bad_key_is_not_retryable_and_not_retried(fake):
    failure = await failure_of(OpenAIBrain("sk-not-the-key", fake.base_url, max_retries=2))

    assert not failure.error.retryable and "401" in str(failure.error)
    assert len(fake.requests) == 1


async def test_an_exhausted_quota_is_not_retryable(fake, brain):
    fake.reply = lambda body: insufficient_quota()
    with pytest.raises(VendorError) as caught:
        await events_of(brain)
    assert not caught.value.retryable


async def test_a_malformed_history_is_a_permanent_error(fake, brain):
    unanswered = HISTORY + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_x", "type": "function", "function": {"name": "lookup_customer", "arguments": "{}"}}
            ],
        },
        {"role": "user", "content": "Hello?"},
    ]
    with pytest.raises(VendorError) as caught:
        await events_of(brain, unanswered)
    assert not caught.value.retryable and "400" in str(caught.value)


async def test_an_unreachable_server_is_retryable(fake):
    base_url = fake.base_url
    fake.stop()
    failure = await failure_of(OpenAIBrain("sk-any", base_url, timeout_s=0.5, max_retries=0))

    assert failure.error.retryable


def test_a_missing_key_is_a_clear_permanent_error():
    with pytest.raises(VendorError, match="no API key") as caught:
        OpenAIBrain("", None)
    assert not caught.value.retryable
