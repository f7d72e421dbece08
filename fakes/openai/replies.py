"""What a scripted reply can be, and the builders tests use to script them."""

import json
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptedToolCall:
    name: str
    arguments: str  # JSON text, streamed in fragments
    id: str


@dataclass(frozen=True)
class Reply:
    """A normal answer: text, tool calls, or text then tool calls."""

    text: str = ""
    tool_calls: tuple = ()
    finish_reason: str | None = None  # default: "tool_calls" when there are calls, else "stop"
    first_token_s: float | None = None  # override the fake's latency for this reply
    tokens_per_s: float | None = None


@dataclass(frozen=True)
class HttpError:
    """An error response instead of a stream (before any 200)."""

    status: int
    message: str
    type: str
    code: str | None = None
    headers: tuple = ()  # ((name, value), ...)
    param: str | None = None


@dataclass(frozen=True)
class StreamError:
    """A 200 stream that sends `text_before`, then an SSE `{"error": ...}` event, then ends."""

    text_before: str = ""
    message: str = "The server had an error while processing your request. Sorry about that!"
    type: str = "server_error"


@dataclass(frozen=True)
class Stall:
    """A 200 stream that sends its first chunk (and `text_before`) and then nothing, ever."""

    text_before: str = ""


@dataclass(frozen=True)
class Hang:
    """No answer at all, not even headers: the client's timeout (and retries) must deal with it."""


def text(content, *, first_token_s=None, tokens_per_s=None, finish_reason=None):
    return Reply(text=content, first_token_s=first_token_s, tokens_per_s=tokens_per_s, finish_reason=finish_reason)


def tool_call(name, arguments, *, id=None):
    """`arguments`: a dict (encoded as JSON) or JSON text used as is (may be deliberately broken)."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return ScriptedToolCall(name=name, arguments=arguments, id=id or "call_" + secrets.token_hex(12))


def tool_calls(*calls, text="", first_token_s=None, tokens_per_s=None):
    """One assistant turn with `calls` (parallel calls get index 0, 1, ...), after optional text."""
    return Reply(text=text, tool_calls=tuple(calls), first_token_s=first_token_s, tokens_per_s=tokens_per_s)


def rate_limited(retry_after_ms=5, *, retry_after_s=None):
    """A 429. `retry_after_ms` keeps tests fast; `retry_after_s` sends `retry-after` in whole
    seconds as OpenAI does (give retry_after_ms=None to send it alone: the SDK prefers the ms one)."""
    reset = f"{retry_after_ms}ms" if retry_after_ms is not None else f"{retry_after_s or 1}s"
    headers = (
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", reset),
    )
    if retry_after_ms is not None:
        headers += (("retry-after-ms", str(retry_after_ms)),)
    if retry_after_s is not None:
        headers += (("retry-after", str(retry_after_s)),)
    return HttpError(
        429,
        f"Rate limit reached for requests. Please try again in {reset}.",
        "requests",
        "rate_limit_exceeded",
        headers,
    )


def insufficient_quota():
    return HttpError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    )


def server_error(status=500):
    return HttpError(status, "The server had an error while processing your request. Sorry about that!", "server_error")


def stream_error(text_before="", message=StreamError.message):
    return StreamError(text_before=text_before, message=message)


def stall(text_before=""):
    return Stall(text_before=text_before)


def hang():
    return Hang()


def as_reply(reply):
    """A plain string in a script means text(string)."""
    return text(reply) if isinstance(reply, str) else reply
