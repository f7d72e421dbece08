"""The brain: the conversation and tool schemas in, streamed text and tool calls out.

A brain is sent the conversation rendered as OpenAI chat-completions messages
(calls.voice.conversation.Conversation.render(): dicts with role/content, assistant
tool_calls and tool results), the lingua franca every brain here reads.
"""

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(frozen=True)
class TokenUsage:
    """What one request to a language-model vendor used, as the vendor reported it (and bills it)."""

    vendor: str  # "openai"
    model: str
    prompt_tokens: int | None  # None: the server did not say (the round's cost is unknown)
    completion_tokens: int | None


@dataclass(frozen=True)
class Done:
    finish_reason: str  # "stop", "tool_calls", "length", ...
    # The round's usage when the brain is a metered vendor that reported it; None for a brain
    # that costs nothing (the scripted receptionist). Not part of what the round said.
    usage: TokenUsage | None = field(default=None, compare=False)


BrainEvent = TextDelta | ToolCall | Done


class Brain(abc.ABC):
    @abc.abstractmethod
    def respond(self, messages, tools):
        """Async iterator of BrainEvent for the next assistant turn.

        `messages`: the history (system prompt first); `tools`: OpenAI tool schemas.
        Text may come before tool calls. Ends with one Done. Closing the iterator early
        (barge-in) cancels the request. Raises VendorError on failure.
        """

    async def close(self):
        """Release connections. Safe to call twice."""
