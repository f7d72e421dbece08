"""Keeping the conversation the model sees inside a token budget.

Token counts are estimated (about four characters per token): the budget only needs to keep
requests small and fast, not match the vendor's tokenizer exactly.
"""

import json

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_tokens(message):
    """Approximate tokens one chat message costs, tool calls included."""
    chars = len(_text_of(message.get("content")))
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


def _text_of(content):
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return json.dumps(content)
