"""The JSON OpenAI sends back: chat.completion.chunk payloads of a stream, or one chat.completion."""

import json
import re
import secrets
import time

from fakes.openai.replies import Stall, StreamError

TOOL_ARGUMENT_FRAGMENT_CHARS = (1, 12)
STALL = object()  # marks where a stalled stream goes quiet


class Completion:
    """The payloads answering one request; `rng` (a random.Random) cuts the tool-call arguments."""

    def __init__(self, body, rng):
        self.rng = rng
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = body.get("model") or "gpt-4.1-mini"
        self.prompt_tokens = sum(len(json.dumps(m)) // 4 for m in body.get("messages") or [])
        self.completion_tokens = 0

    def chunk(self, delta=None, finish_reason=None, *, include_usage=False, choices=True):
        payload = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
        }
        payload["choices"] = (
            [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish_reason}] if choices else []
        )
        if include_usage:
            payload["usage"] = None
        return payload

    def usage(self):
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def events(self, reply, include_usage):
        """The chunk payloads of a stream, with STALL where the stream goes quiet."""
        u = include_usage
        words = getattr(reply, "text", None) or getattr(reply, "text_before", "")
        calls = getattr(reply, "tool_calls", ())
        yield self.chunk(
            {"role": "assistant", "content": "" if words or not calls else None, "refusal": None}, include_usage=u
        )
        for token in split_tokens(words):
            self.completion_tokens += 1
            yield self.chunk({"content": token}, include_usage=u)
        if isinstance(reply, Stall):
            yield STALL
        if isinstance(reply, StreamError):
            yield {"error": {"message": reply.message, "type": reply.type, "param": None, "code": None}}
            return
        for index, call in enumerate(calls):
            fragments = split_arguments(call.arguments, self.rng)
            # Sometimes the first piece of the arguments comes with the name, as from the real API.
            with_name = fragments.pop(0) if fragments and self.rng.random() < 0.5 else ""
            self.completion_tokens += 1
            yield self.chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": with_name},
                        }
                    ]
                },
                include_usage=u,
            )
            for fragment in fragments:
                self.completion_tokens += 1
                yield self.chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, include_usage=u
                )
        yield self.chunk({}, reply.finish_reason or ("tool_calls" if calls else "stop"), include_usage=u)
        if include_usage:
            usage_chunk = self.chunk(choices=False)
            usage_chunk["usage"] = self.usage()
            yield usage_chunk

    def completion(self, reply):
        message = {"role": "assistant", "content": reply.text or None, "refusal": None, "annotations": []}
        self.completion_tokens = len(split_tokens(reply.text))
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in reply.tool_calls
            ]
            self.completion_tokens += sum(1 + len(c.arguments) // 4 for c in reply.tool_calls)
        finish_reason = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
            "service_tier": "default",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": self.usage(),
        }


def split_arguments(arguments, rng):
    """Tool-call arguments in pieces of irregular length, as tokens cut JSON: through keys, string
    values and escapes (a backslash always ends a piece, its escaped character starts the next)."""
    low, high = TOOL_ARGUMENT_FRAGMENT_CHARS
    pieces, start = [], 0
    while start < len(arguments):
        end = min(start + rng.randint(low, high), len(arguments))
        escape = arguments.find("\\", start, end - 1)
        if escape >= 0:
            end = escape + 1
        pieces.append(arguments[start:end])
        start = end
    return pieces


def split_tokens(content):
    """Roughly how a model streams text: a word (with its leading space) or a piece of a long word."""
    tokens = []
    for word in re.findall(r"\s*\S+|\s+$", content or ""):
        tokens.extend(word[i : i + 6] for i in range(0, len(word), 6))
    return tokens
