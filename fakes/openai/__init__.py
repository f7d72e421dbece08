"""A loopback OpenAI Chat Completions server that speaks the real wire protocol.

Point the real SDK at it: `AsyncOpenAI(api_key=fake.api_key, base_url=fake.base_url)`.

    with FakeOpenAI() as fake:
        fake.script(text("Sure, Tuesday works."),
                    tool_calls(tool_call("get_available_slots", {"date": "2030-06-04"})),
                    rate_limited(), text("Booked."))
        fake.reply = lambda body: text("Anything else?")   # used when the script runs out
        ...
        fake.requests[-1].messages, fake.requests[-1].tools

Each request takes the next scripted reply; when the script is empty `fake.reply(body)` decides
(a callable, so a test can answer from the conversation, e.g. read the last tool result).
Replies: text / tool calls (optionally after text) / HTTP errors / an error event mid-stream /
a stall after the first chunk / a hang before any response. Latency (`first_token_s`,
`tokens_per_s`) is set on the fake or per reply; by default the first token comes after a
jittered 0.2-0.7 s, and tool-call arguments arrive cut at irregular places (inside strings and
escapes too), the first piece sometimes with the call's name, reproducibly for a given `seed`.
"""

from fakes.openai.app import DEFAULT_API_KEY, FakeOpenAI, RecordedRequest
from fakes.openai.replies import (
    Hang,
    HttpError,
    Reply,
    ScriptedToolCall,
    Stall,
    StreamError,
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
from fakes.openai.validation import validation_problem

__all__ = [
    "DEFAULT_API_KEY",
    "FakeOpenAI",
    "Hang",
    "HttpError",
    "RecordedRequest",
    "Reply",
    "ScriptedToolCall",
    "Stall",
    "StreamError",
    "hang",
    "insufficient_quota",
    "rate_limited",
    "server_error",
    "stall",
    "stream_error",
    "text",
    "tool_call",
    "tool_calls",
    "validation_problem",
]
