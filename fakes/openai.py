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
`tokens_per_s`) is set on the fake or per reply.
"""

import asyncio
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from fakes.server import LoopbackServer

DEFAULT_API_KEY = "sk-fake-openai-key"
TOOL_ARGUMENT_FRAGMENT_CHARS = 8


# ---- what a scripted reply can be -------------------------------------------------------------

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


def rate_limited(retry_after_ms=5):
    headers = (("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "0"),
               ("x-ratelimit-reset-requests", f"{retry_after_ms}ms"))
    if retry_after_ms is not None:
        headers += (("retry-after-ms", str(retry_after_ms)),)
    return HttpError(429, f"Rate limit reached for requests. Please try again in {retry_after_ms}ms.",
                     "requests", "rate_limit_exceeded", headers)


def insufficient_quota():
    return HttpError(429, "You exceeded your current quota, please check your plan and billing details.",
                     "insufficient_quota", "insufficient_quota")


def server_error(status=500):
    return HttpError(status, "The server had an error while processing your request. Sorry about that!",
                     "server_error")


def stream_error(text_before="", message=StreamError.message):
    return StreamError(text_before=text_before, message=message)


def stall(text_before=""):
    return Stall(text_before=text_before)


def hang():
    return Hang()


# ---- what the fake remembers --------------------------------------------------------------------

@dataclass
class RecordedRequest:
    body: dict | None
    headers: dict
    received_at: float  # time.monotonic()
    status: int | None = None  # the HTTP status answered
    reply: object = None  # the scripted reply used (None for auth/validation failures)
    finished: bool = False  # the whole reply was written
    disconnected: bool = False  # the client hung up before the reply was complete

    @property
    def messages(self):
        return (self.body or {}).get("messages") or []

    @property
    def tools(self):
        return (self.body or {}).get("tools") or []

    @property
    def stream(self):
        return bool((self.body or {}).get("stream"))


class FakeOpenAI:
    def __init__(self, *, api_key=DEFAULT_API_KEY, first_token_s=0.0, tokens_per_s=None):
        self.api_key = api_key
        self.first_token_s = first_token_s
        self.tokens_per_s = tokens_per_s  # None: as fast as possible
        self.reply = None  # callable(request_body) -> reply, used when the script is empty
        self.requests = []
        self.reply_errors = []  # exceptions raised by `reply`
        self._script = deque()
        self._changed = threading.Condition()
        self._stopping = False
        self._server = None

    # -- lifecycle
    def start(self):
        self._stopping = False
        if self._server is None:
            self._server = LoopbackServer(self._make_app())
            self._server.start()
        return self

    def stop(self):
        self._stopping = True
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        return f"{self._server.base_url}/v1"

    # -- scripting
    def script(self, *replies):
        """Queue replies, one per request, in order. A plain string means text(string)."""
        self._script.extend(_as_reply(reply) for reply in replies)

    @property
    def unused_replies(self):
        return len(self._script)

    def reset(self):
        self._script.clear()
        self.reply = None
        self.requests.clear()

    # -- assertions
    def wait_for(self, predicate, timeout=5.0):
        """Block until predicate(fake) is true (requests are recorded from the server thread)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("FakeOpenAI: condition not met in time")
                self._changed.wait(left)

    def _notify(self):
        with self._changed:
            self._changed.notify_all()

    # -- the server
    def _make_app(self):
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        return app

    async def _chat_completions(self, request):
        raw = await request.read()
        record = RecordedRequest(body=None, headers=dict(request.headers), received_at=time.monotonic())
        self.requests.append(record)
        try:
            response = await self._answer(request, raw, record)
            record.finished = not record.disconnected
            return response
        except asyncio.CancelledError:
            record.disconnected = True
            raise
        finally:
            self._notify()

    async def _answer(self, request, raw, record):
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error_response(record, HttpError(
                401, "Incorrect API key provided. You can find your API key at "
                     "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"))
        try:
            record.body = json.loads(raw)
        except ValueError:
            return _error_response(record, _invalid("We could not parse the JSON body of your request."))
        problem = validation_problem(record.body)
        if problem:
            return _error_response(record, problem)

        reply = self._next_reply(record.body)
        record.reply = reply
        if isinstance(reply, HttpError):
            return _error_response(record, reply)
        if isinstance(reply, Hang):
            try:
                await self._stall(request)
            except ConnectionError:
                record.disconnected = True
                return web.Response(status=499)
        record.status = 200
        if record.stream:
            return await self._stream(request, record, reply)
        return await self._complete(request, record, reply)

    def _next_reply(self, body):
        if self._script:
            return self._script.popleft()
        if self.reply is not None:
            try:
                return _as_reply(self.reply(body))
            except Exception as exc:  # a bug in the test's reply function: say so, do not retry
                self.reply_errors.append(exc)
                return HttpError(500, f"FakeOpenAI: the reply function raised {exc!r}", "fake_error",
                                 headers=(("x-should-retry", "false"),))
        return HttpError(500, "FakeOpenAI: no reply scripted for this request", "fake_error",
                         headers=(("x-should-retry", "false"),))

    def _latency(self, reply):
        first = getattr(reply, "first_token_s", None)
        rate = getattr(reply, "tokens_per_s", None)
        return (self.first_token_s if first is None else first), (self.tokens_per_s if rate is None else rate)

    async def _stream(self, request, record, reply):
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
            "x-request-id": "req_" + secrets.token_hex(16), "openai-processing-ms": "1",
        })
        await response.prepare(request)
        first_token_s, tokens_per_s = self._latency(reply)
        gap = 1.0 / tokens_per_s if tokens_per_s else 0.0
        chunks = _Chunks(record.body)
        include_usage = bool((record.body.get("stream_options") or {}).get("include_usage"))

        async def send(payload, pause):
            if pause:
                await self._pause(request, pause)
            await response.write(b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n")

        try:
            for index, payload in enumerate(chunks.events(reply, include_usage)):
                if payload is _STALL:
                    await self._stall(request)
                # The role chunk comes after the first-token latency, the first words right with it.
                pause = first_token_s if index == 0 else 0.0 if index == 1 or not payload.get("choices") else gap
                await send(payload, pause)
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionError:
            record.disconnected = True
        return response

    async def _complete(self, request, record, reply):
        first_token_s, tokens_per_s = self._latency(reply)
        if isinstance(reply, StreamError):
            record.status = 500
            return _error_response(record, server_error())
        try:
            if isinstance(reply, Stall):
                await self._stall(request)
            body = _Chunks(record.body).completion(reply)
            tokens = body["usage"]["completion_tokens"]
            await self._pause(request, first_token_s + (tokens / tokens_per_s if tokens_per_s else 0.0))
        except ConnectionError:
            record.disconnected = True
            return web.Response(status=499)
        return web.json_response(body)

    async def _pause(self, request, seconds):
        await asyncio.sleep(seconds)
        if _client_gone(request):
            raise ConnectionResetError("client closed the connection")

    async def _stall(self, request):
        while not self._stopping:
            await self._pause(request, 0.05)
        raise ConnectionResetError("fake stopping")


_STALL = {}


class _Chunks:
    """Builds chat.completion(.chunk) payloads for one request."""

    def __init__(self, body):
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = body.get("model") or "gpt-4.1-mini"
        self.prompt_tokens = sum(len(json.dumps(m)) // 4 for m in body.get("messages") or [])
        self.completion_tokens = 0

    def chunk(self, delta=None, finish_reason=None, *, include_usage=False, choices=True):
        payload = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                   "model": self.model, "system_fingerprint": "fp_fake"}
        payload["choices"] = [{"index": 0, "delta": delta or {}, "logprobs": None,
                               "finish_reason": finish_reason}] if choices else []
        if include_usage:
            payload["usage"] = None
        return payload

    def usage(self):
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def events(self, reply, include_usage):
        """The chunk payloads of a stream, with _STALL where the stream goes quiet."""
        u = include_usage
        words = getattr(reply, "text", None) or getattr(reply, "text_before", "")
        calls = getattr(reply, "tool_calls", ())
        yield self.chunk({"role": "assistant", "content": "" if words or not calls else None, "refusal": None},
                         include_usage=u)
        for token in split_tokens(words):
            self.completion_tokens += 1
            yield self.chunk({"content": token}, include_usage=u)
        if isinstance(reply, Stall):
            yield _STALL
        if isinstance(reply, StreamError):
            yield {"error": {"message": reply.message, "type": reply.type, "param": None, "code": None}}
            return
        for index, call in enumerate(calls):
            self.completion_tokens += 1
            yield self.chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                              "function": {"name": call.name, "arguments": ""}}]}, include_usage=u)
            for start in range(0, len(call.arguments), TOOL_ARGUMENT_FRAGMENT_CHARS):
                self.completion_tokens += 1
                fragment = call.arguments[start:start + TOOL_ARGUMENT_FRAGMENT_CHARS]
                yield self.chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]},
                                 include_usage=u)
        yield self.chunk({}, reply.finish_reason or ("tool_calls" if calls else "stop"), include_usage=u)
        if include_usage:
            usage_chunk = self.chunk(choices=False)
            usage_chunk["usage"] = self.usage()
            yield usage_chunk

    def completion(self, reply):
        message = {"role": "assistant", "content": reply.text or None, "refusal": None, "annotations": []}
        self.completion_tokens = len(split_tokens(reply.text))
        if reply.tool_calls:
            message["tool_calls"] = [{"id": c.id, "type": "function",
                                      "function": {"name": c.name, "arguments": c.arguments}}
                                     for c in reply.tool_calls]
            self.completion_tokens += sum(1 + len(c.arguments) // 4 for c in reply.tool_calls)
        finish_reason = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "system_fingerprint": "fp_fake", "service_tier": "default",
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
                "usage": self.usage()}


def split_tokens(content):
    """Roughly how a model streams text: a word (with its leading space) or a piece of a long word."""
    tokens = []
    for word in re.findall(r"\s*\S+|\s+$", content or ""):
        tokens.extend(word[i:i + 6] for i in range(0, len(word), 6))
    return tokens


# ---- request validation (the 400s OpenAI gives) ---------------------------------------------------

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def validation_problem(body):
    """The HttpError OpenAI would answer for this request body, or None if it is acceptable."""
    if not isinstance(body, dict):
        return _invalid("The request body must be a JSON object.")
    if not body.get("model"):
        return _invalid("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _invalid("[] is too short - 'messages'", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return _invalid(f"Invalid value for 'messages[{i}].role'.", f"messages.[{i}].role")
    problem = _tool_order_problem(messages)
    if problem:
        return problem
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return _invalid("Invalid type for 'tools': expected an array.", "tools")
        for i, tool in enumerate(tools):
            if not (isinstance(tool, dict) and tool.get("type") == "function"
                    and isinstance(tool.get("function"), dict) and tool["function"].get("name")):
                return _invalid(f"Missing required parameter: 'tools[{i}].function.name'.", f"tools[{i}]")
    if "parallel_tool_calls" in body and not tools:
        return _invalid("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
                        "when 'tools' are specified.", "parallel_tool_calls")
    if "tool_choice" in body and not tools and body["tool_choice"] != "none":
        return _invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
                        "specified.", "tool_choice")
    if body.get("stream_options") is not None and not body.get("stream"):
        return _invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    return None


def _tool_order_problem(messages):
    pending = set()  # tool_call_ids still waiting for their tool message
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return _invalid("Invalid parameter: messages with role 'tool' must be a response to a "
                                "preceeding message with 'tool_calls'.", f"messages.[{i}].role")
            pending.discard(call_id)
            continue
        if pending:
            return _invalid("An assistant message with 'tool_calls' must be followed by tool messages "
                            "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                            f"response messages: {', '.join(sorted(pending))}", f"messages.[{i}].role")
        if role == "assistant":
            pending = {call.get("id") for call in message.get("tool_calls") or ()}
    if pending:
        return _invalid("An assistant message with 'tool_calls' must be followed by tool messages responding "
                        f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                        f"{', '.join(sorted(pending))}", "messages")
    return None


def _invalid(message, param=None):
    return HttpError(400, message, "invalid_request_error", param=param)


def _error_response(record, error):
    record.status = error.status
    return web.json_response(
        {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}},
        status=error.status, headers=dict(error.headers),
    )


def _as_reply(reply):
    return text(reply) if isinstance(reply, str) else reply


def _client_gone(request):
    transport = request.transport
    return transport is None or transport.is_closing()

