"""The FakeOpenAI server: routes, authentication, scripted replies, latency, recording."""

import asyncio
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from fakes.jitter import Jitter
from fakes.openai.replies import Hang, HttpError, Stall, StreamError, as_reply, server_error
from fakes.openai.validation import invalid, validation_problem
from fakes.openai.wire import STALL, Completion
from fakes.server import LoopbackFake

DEFAULT_API_KEY = "sk-fake-openai-key"


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


class FakeOpenAI(LoopbackFake):
    """`first_token_s` is a number (fixed) or a (low, high) range drawn from a random.Random
    seeded with `seed` (fakes.jitter). The default, 0.2-0.7 s, is roughly what gpt-4.1-mini takes to
    its first token on a short prompt, varying request to request: code that only works when the model answers at once (a timer
    started late, a filler racing the reply) fails here as it would in production. The tests'
    fixture (fakes.fixtures.openai) keeps jitter but narrows it to 50-250 ms, so that a call of
    ten turns does not spend seconds waiting; a test that needs exact timing sets a number."""

    name = "openai"

    def __init__(
        self, *, api_key=DEFAULT_API_KEY, first_token_s=(0.2, 0.7), tokens_per_s=None, sends_usage=True, seed=0
    ):
        self.api_key = api_key
        # False: like an OpenAI-compatible server that ignores stream_options.include_usage
        self.sends_usage = sends_usage
        self.first_token_s = first_token_s
        self.tokens_per_s = tokens_per_s  # None: as fast as possible
        self.jitter = Jitter(seed)  # first-token delays and the cuts of tool-call arguments
        self.reply = None  # callable(request_body) -> reply, used when the script is empty
        self.requests = []
        self.reply_errors = []  # exceptions raised by `reply`
        self._script = deque()
        self._changed = threading.Condition()
        self._stopping = False  # a stalled reply gives up once set

    # -- lifecycle: a stalled reply must not hold up stop()
    def start(self):
        self._stopping = False
        return super().start()

    def stop(self):
        self._stopping = True
        super().stop()

    @property
    def base_url(self):
        return f"{self._server.base_url}/v1"

    # -- scripting
    def script(self, *replies):
        """Queue replies, one per request, in order. A plain string means text(string)."""
        self._script.extend(as_reply(reply) for reply in replies)

    @property
    def unused_replies(self):
        return len(self._script)

    def reset(self):
        self._script.clear()
        self.reply = None
        self.requests.clear()

    # -- assertions: wait_for(predicate) (LoopbackFake), woken by each recorded request
    def _notify(self):
        with self._changed:
            self._changed.notify_all()

    # -- the server
    def _make_app(self):
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models/{model}", self._model)
        return app

    async def _model(self, request):
        """Any model is available (the fake answers chat for any model): for `check_services`."""
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error_response(
                RecordedRequest(None, dict(request.headers), time.monotonic()),
                HttpError(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            )
        return web.json_response(
            {"id": request.match_info["model"], "object": "model", "created": 1700000000, "owned_by": "openai"}
        )

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
            return _error_response(
                record,
                HttpError(
                    401,
                    "Incorrect API key provided. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
            )
        try:
            record.body = json.loads(raw)
        except ValueError:
            return _error_response(record, invalid("We could not parse the JSON body of your request."))
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
                return as_reply(self.reply(body))
            except Exception as exc:  # a bug in the test's reply function: say so, do not retry
                self.reply_errors.append(exc)
                return HttpError(
                    500,
                    f"FakeOpenAI: the reply function raised {exc!r}",
                    "fake_error",
                    headers=(("x-should-retry", "false"),),
                )
        return HttpError(
            500, "FakeOpenAI: no reply scripted for this request", "fake_error", headers=(("x-should-retry", "false"),)
        )

    def _latency(self, reply):
        first = getattr(reply, "first_token_s", None)
        rate = getattr(reply, "tokens_per_s", None)
        return self.jitter.draw(self.first_token_s if first is None else first), (
            self.tokens_per_s if rate is None else rate
        )

    async def _stream(self, request, record, reply):
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "x-request-id": "req_" + secrets.token_hex(16),
                "openai-processing-ms": "1",
            }
        )
        await response.prepare(request)
        first_token_s, tokens_per_s = self._latency(reply)
        gap = 1.0 / tokens_per_s if tokens_per_s else 0.0
        chunks = Completion(record.body, self.jitter.random)
        include_usage = self.sends_usage and bool((record.body.get("stream_options") or {}).get("include_usage"))

        async def send(payload, pause):
            if pause:
                await self._pause(request, pause)
            await response.write(b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n")

        try:
            for index, payload in enumerate(chunks.events(reply, include_usage)):
                if payload is STALL:
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
            body = Completion(record.body, self.jitter.random).completion(reply)
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


def _error_response(record, error):
    record.status = error.status
    return web.json_response(
        {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}},
        status=error.status,
        headers=dict(error.headers),
    )


def _client_gone(request):
    transport = request.transport
    return transport is None or transport.is_closing()
