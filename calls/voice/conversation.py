"""The conversation of one call, typed, with one writer; rendered for a language model on demand.

Entries are the caller's turns and the agent's rounds. A round holds what the agent said (after
the reply ends: what the caller actually heard of it), the tool calls it made and their
results, so a result can never be separated from its request. Only the session and its
replies write here, through these methods; brains get `render()`: OpenAI chat messages, the
newest part that fits the token budget.

Token counts are estimated (about four characters per token): the budget only needs to keep
requests small and fast, not match the vendor's tokenizer exactly.
"""

from dataclasses import dataclass, field

from calls.voice.llm.base import ToolCall

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
# The most of one piece the model is sent again, turn after turn: a tool's result, a tool call's
# arguments, a caller's turn. The newest exchange is always sent whole, so without these one huge
# piece (a confused model's megabyte of arguments, a tool repeating it) would make every request huge.
MAX_PIECE_CHARS = {"tool": 6000, "arguments": 2000, "user": 4000}


@dataclass
class CallerTurn:
    text: str


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    content: str  # JSON text for the model


@dataclass(eq=False)
class AgentRound:
    """One brain round of a reply (or a fixed line). `text` is None when nothing of it is said."""

    text: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    results: list[ToolResult] = field(default_factory=list)


class Conversation:
    def __init__(self, system_prompt, *, token_budget):
        self.system_prompt = system_prompt
        self.token_budget = token_budget
        self.entries = []  # CallerTurn | AgentRound, oldest first

    # -- writing --------------------------------------------------------------------------

    def caller_said(self, text):
        """A finished caller turn. Words following an agent reply nobody heard continue the turn
        before it (the reply was dropped from the conversation)."""
        if self.entries and isinstance(self.entries[-1], CallerTurn):
            self.entries[-1].text += " " + text
        else:
            self.entries.append(CallerTurn(text))

    def agent_said(self, round):
        """Put an agent round in the conversation (once): it has words or tool calls."""
        if round not in self.entries:
            self.entries.append(round)

    def holds(self, round):
        return any(entry is round for entry in self.entries)

    def heard(self, round, text):
        """The caller heard `text` of the round (maybe nothing): the conversation keeps only that.
        A round with tool calls stays for their sake; one with nothing heard and no calls goes."""
        if round.tool_calls:
            round.text = text or None
        elif text:
            round.text = text
            self.agent_said(round)
        else:
            self.entries = [entry for entry in self.entries if entry is not round]

    def answered(self, round, results):
        """The results of the round's tool calls, in the order of the calls."""
        round.results = list(results)

    # -- reading --------------------------------------------------------------------------

    def messages(self):
        """The whole conversation as OpenAI chat messages (system prompt first)."""
        messages = [{"role": "system", "content": self.system_prompt}]
        for entry in self.entries:
            messages.extend(_messages_of(entry))
        return messages

    def render(self):
        """What a language model is sent: the newest part of `messages()` within the token budget."""
        return trim_history(self.messages(), self.token_budget)


def _messages_of(entry):
    if isinstance(entry, CallerTurn):
        return [{"role": "user", "content": _cut(entry.text, "user")}]
    message = {"role": "assistant", "content": entry.text}
    if entry.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": _cut(call.name, "arguments"), "arguments": _cut(call.arguments, "arguments")},
            }
            for call in entry.tool_calls
        ]
    results = ({"role": "tool", "tool_call_id": r.call_id, "content": _cut(r.content, "tool")} for r in entry.results)
    return [message, *results]


def _cut(text, kind):
    limit = MAX_PIECE_CHARS[kind]
    if len(text) <= limit:
        return text
    return text[:limit] + f" [... {len(text) - limit} more characters cut]"


def estimate_tokens(message):
    """Approximate tokens one chat message costs, tool calls included."""
    chars = len(message.get("content") or "")
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        chars += len(function.get("name") or "") + len(function.get("arguments") or "") + len(call.get("id") or "")
    chars += len(message.get("tool_call_id") or "")
    return MESSAGE_OVERHEAD_TOKENS + (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def trim_history(messages, budget_tokens):
    """The newest part of `messages` that fits in `budget_tokens`, as a new list.

    Leading system messages are always kept. An assistant message with tool_calls and the
    tool results that answer it are kept or dropped together (the API rejects one without
    the other); a tool result with no call before it is dropped for the same reason. The most
    recent exchange is kept even when it alone exceeds the budget: the model must see what the
    caller just said.
    """
    head = 0
    while head < len(messages) and messages[head].get("role") == "system":
        head += 1
    system = list(messages[:head])
    groups = _exchanges(messages[head:])

    remaining = budget_tokens - sum(estimate_tokens(m) for m in system)
    kept = []
    for group in reversed(groups):
        cost = sum(estimate_tokens(m) for m in group)
        if kept and cost > remaining:
            break
        kept.append(group)
        remaining -= cost
    return system + [message for group in reversed(kept) for message in group]


def _exchanges(messages):
    """Split into units that must stay together: [assistant tool_calls, tool, tool...] or one message."""
    groups = []
    index = 0
    while index < len(messages):
        message = messages[index]
        if message.get("role") == "tool":
            index += 1  # orphaned result: its call is gone, the API would refuse it
            continue
        group = [message]
        index += 1
        if message.get("role") == "assistant" and message.get("tool_calls"):
            while index < len(messages) and messages[index].get("role") == "tool":
                group.append(messages[index])
                index += 1
        groups.append(group)
    return groups
