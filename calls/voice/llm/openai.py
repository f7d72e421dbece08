"""The OpenAI brain: streaming chat completions with tools through the openai SDK (3.x, httpx2).

Works with any OpenAI-compatible server (`base_url`). Failures surface as VendorError so the
voice session can apologise and offer to take a message; nothing here decides what is spoken.
"""

import asyncio
import logging

import httpx2
import openai

from calls.voice.errors import VendorError
from calls.voice.llm.base import Brain, Done, TextDelta, TokenUsage, ToolCall
from calls.voice.tls import vendor_tls

log = logging.getLogger(__name__)

VENDOR = "openai"
RETRYABLE_STATUSES = frozenset({408, 409, 429})
PERMANENT_CODES = frozenset({"insufficient_quota", "invalid_api_key", "model_not_found"})


class OpenAIBrain(Brain):
    """One brain per call (or shared: it holds only a connection pool).

    `timeout_s` is the longest silence tolerated between two pieces of the reply;
    `retry_budget_s` bounds the whole wait for its first piece, the SDK's own retries
    (`max_retries`, honouring retry-after-ms) included, so a caller never sits through more
    dead air than that before the session can say something.
    """

    def __init__(
        self,
        api_key,
        base_url=None,
        *,
        model="gpt-4.1-mini",
        timeout_s=2.5,
        max_retries=2,
        retry_budget_s=3.0,
        connect_timeout_s=1.0,
        temperature=0.3,
        max_completion_tokens=300,
    ):
        if not api_key:
            raise VendorError(VENDOR, "no API key configured", retryable=False)
        self.model = model
        self.retry_budget_s = retry_budget_s
        self.temperature = temperature
        self.max_completion_tokens = max_completion_tokens
        self.last_usage = None  # {"prompt_tokens", "completion_tokens", ...} of the latest reply
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=httpx2.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
            max_retries=max_retries,
            http_client=openai.DefaultAsyncHttpxClient(verify=vendor_tls()),
        )

    async def respond(self, messages, tools):
        deadline = asyncio.get_running_loop().time() + self.retry_budget_s
        stream = await self._open(messages, tools, deadline)
        chunks = aiter(stream)  # plain dicts: see _open
        fragments = {}  # tool-call index -> {"id", "name", "arguments": [str]}
        finish_reason = None
        usage = None  # the last chunk's (choices: []), asked for with include_usage
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await anext(chunks, None)
            except TimeoutError as exc:
                raise VendorError(VENDOR, f"no reply within {self.retry_budget_s:g} s", retryable=True) from exc
            while chunk is not None:
                if not isinstance(chunk, dict):
                    raise VendorError(VENDOR, f"unexpected chunk {chunk!r:.80}", retryable=True)
                if chunk.get("usage"):
                    usage = self.last_usage = chunk["usage"]
                choice = (chunk.get("choices") or [{}])[0]
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    yield TextDelta(delta["content"])
                for piece in delta.get("tool_calls") or ():
                    _collect(fragments, piece)
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
                chunk = await anext(chunks, None)
        except openai.APITimeoutError as exc:
            raise VendorError(VENDOR, "the reply stalled (read timeout)", retryable=True) from exc
        except openai.APIError as exc:
            raise _vendor_error(exc) from exc
        except httpx2.TimeoutException as exc:
            raise VendorError(VENDOR, "the reply stalled (read timeout)", retryable=True) from exc
        except httpx2.HTTPError as exc:
            raise VendorError(VENDOR, f"the reply broke off: {exc!r}", retryable=True) from exc
        except ValueError as exc:  # a chunk that is not JSON
            raise VendorError(VENDOR, f"garbled reply: {exc}", retryable=True) from exc
        finally:
            # On barge-in (aclose) this drops the HTTP response so the server stops generating.
            await stream.close()

        if finish_reason is None:
            raise VendorError(VENDOR, "the reply ended without a finish reason", retryable=True)
        for index in sorted(fragments):
            call = fragments[index]
            # Some OpenAI-compatible servers omit ids; the history needs one to pair the result.
            yield ToolCall(
                id=call["id"] or f"call_{index}", name=call["name"] or "", arguments="".join(call["arguments"])
            )
        yield Done(finish_reason, usage=self._token_usage(usage))

    def _token_usage(self, usage):
        """What the vendor bills for this round. A server that sent no usage (an OpenAI-compatible
        one that ignores include_usage) leaves the counts None: unknown, not free."""

        def count(name):
            value = usage.get(name) if isinstance(usage, dict) else None
            return value if isinstance(value, int) and value >= 0 else None

        return TokenUsage(VENDOR, self.model, count("prompt_tokens"), count("completion_tokens"))

    async def close(self):
        await self._client.close()

    async def _open(self, messages, tools, deadline):
        request = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": self.temperature,
            "max_completion_tokens": self.max_completion_tokens,
        }
        if tools:
            request.update(tools=tools, tool_choice="auto", parallel_tool_calls=False)
        try:
            async with asyncio.timeout_at(deadline):
                # The SDK's documented raw-request path rather than chat.completions.create(), and
                # chunks as dicts rather than models: create() re-walks every message and tool
                # schema against its TypedDicts (~4 ms of CPU per turn with a real history) and a
                # chunk model costs ~0.1 ms to build, 50 times a second per call. Retries, error
                # mapping and SSE parsing (mid-stream error events included) stay the SDK's.
                return await self._client.post(
                    "/chat/completions",
                    body=request,
                    cast_to=object,
                    options={"security": {"bearer_auth": True}},
                    stream=True,
                    stream_cls=openai.AsyncStream[object],
                )
        except TimeoutError as exc:
            raise VendorError(VENDOR, f"no reply within {self.retry_budget_s:g} s", retryable=True) from exc
        except openai.APIError as exc:
            raise _vendor_error(exc) from exc


def _collect(fragments, piece):
    call = fragments.setdefault(piece.get("index", 0), {"id": None, "name": None, "arguments": []})
    if piece.get("id"):
        call["id"] = piece["id"]
    function = piece.get("function") or {}
    if function.get("name"):
        call["name"] = function["name"]
    if function.get("arguments"):
        call["arguments"].append(function["arguments"])


def _vendor_error(exc):
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return VendorError(VENDOR, f"cannot reach the server: {exc}", retryable=True)
    code = getattr(exc, "code", None)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retryable = (status in RETRYABLE_STATUSES or status >= 500) and code not in PERMANENT_CODES
        return VendorError(VENDOR, f"HTTP {status} {code or ''}: {exc.message}".replace("  ", " "), retryable=retryable)
    # An error event inside an already started stream: a server-side failure unless it says otherwise.
    retryable = code not in PERMANENT_CODES and getattr(exc, "type", None) != "invalid_request_error"
    return VendorError(VENDOR, f"error in stream: {exc.message}", retryable=retryable)
