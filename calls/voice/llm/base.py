"""The brain: the conversation and tool schemas in, streamed text and tool calls out.

A brain is sent the conversation rendered as OpenAI chat-completions messages
(calls.voice.conversation.Conversation.render(): dicts with role/content, assistant
tool_calls and tool results), the lingua franca every brain here reads.
"""

import abc
from dataclasses import dataclass


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(frozen=True)
class Done:
    finish_reason: str  # "stop", "tool_calls", "length", ...


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
