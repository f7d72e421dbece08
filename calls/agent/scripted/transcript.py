"""Reading the history the session hands over (OpenAI chat messages), as a language model would.

The brain is called once per assistant round with the whole (possibly trimmed) history: what
is new since its last round is the caller's latest words and the results of its own tool
calls. After a barge-in the session keeps only what the caller heard of a reply, and when
nothing of it was heard it drops the reply and appends the caller's next words to their
previous message; both are recognised here.
"""

import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    name: str | None
    arguments: dict
    result: dict


@dataclass(frozen=True)
class News:
    user_text: str | None  # the caller's latest words not answered yet
    results: list  # ToolResults not seen before, oldest first
    recent_ids: frozenset  # of those, the ones answering calls made after the caller last spoke
    last_heard: str  # what the caller heard of the latest thing said to them
    merged: bool  # user_text is the previous utterance continued (the reply to it went unheard)
    takeover: bool  # the history holds another brain's turns and none of ours


def content_text(content):
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def _loads(text):
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except (TypeError, ValueError):
        return {"error": str(text)}
    return value if isinstance(value, dict) else {"value": value}


def _squash(text):
    return re.sub(r"\s+", " ", text or "").strip()


class Reader:
    """Remembers what this brain said and consumed, to find what is new in each history."""

    def __init__(self):
        self.own_call_ids = set()
        self.seen_call_ids = set()
        self.own_texts = []
        self.last_user_text = None

    def said(self, text, call_ids):
        if text:
            self.own_texts.append(_squash(text))
            del self.own_texts[:-20]
        self.own_call_ids.update(call_ids)

    def is_own(self, message):
        if message.get("role") != "assistant":
            return False
        if any(call.get("id") in self.own_call_ids for call in message.get("tool_calls") or ()):
            return True
        heard = _squash(content_text(message.get("content")))
        return bool(heard) and any(text.startswith(heard) or heard.startswith(text) for text in self.own_texts)

    def news(self, messages):
        calls = {}
        results = []
        recent = set()
        last_own = last_user = last_spoken = -1
        for index, message in enumerate(messages):
            role = message.get("role")
            if role == "assistant":
                if content_text(message.get("content")).strip():
                    last_spoken = index
                if self.is_own(message):
                    last_own = index
                for call in message.get("tool_calls") or ():
                    function = call.get("function") or {}
                    calls[call.get("id")] = (function.get("name"), function.get("arguments"))
            elif role == "user":
                last_user = index
            elif role == "tool":
                call_id = message.get("tool_call_id")
                if call_id in self.seen_call_ids:
                    continue
                name, arguments = calls.get(call_id, (None, None))
                results.append(ToolResult(call_id, name, _loads(arguments or "{}"), _loads(message.get("content"))))
                if last_user < index:
                    recent.add(call_id)
        never_spoke = not (self.own_texts or self.own_call_ids)
        takeover = never_spoke and any(m.get("role") == "tool" for m in messages)
        user_text = None
        merged = False
        if last_user > last_own:
            user_text = _squash(content_text(messages[last_user].get("content"))) or None
            previous = self.last_user_text
            if user_text and previous and user_text != previous and user_text.startswith(previous):
                # Continued only if the earlier words are gone as a message of their own ("Yes",
                # then "Yes, the state inspection" is two answers, not one).
                merged = not any(
                    m.get("role") == "user" and _squash(content_text(m.get("content"))) == previous
                    for m in messages[:last_user]
                )
        if takeover:
            results = [r for r in results if r.call_id not in self.own_call_ids]
        self.seen_call_ids.update(r.call_id for r in results)
        last_heard = content_text(messages[last_spoken].get("content")) if last_spoken >= 0 else ""
        if user_text:
            self.last_user_text = user_text
        recent = frozenset(call_id for call_id in recent if any(r.call_id == call_id for r in results))
        return News(
            user_text=user_text,
            results=results,
            recent_ids=recent,
            last_heard=last_heard,
            merged=merged,
            takeover=takeover,
        )
