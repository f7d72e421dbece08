"""Two requests in one breath: something to do (book a named service, cancel, move or check an
appointment) and a question about the shop (its hours, a price, where it is, paying, warranty,
loaners), in either order: "What time do you close Friday, and can I get a battery put in Friday
around three?", "Cancel my Saturday appointment. And how late are you open on weekdays?".

The request said first is handled now; the other is kept (Conversation.later) and taken up as
soon as the first is done, so neither is dropped. A price question about "that" is about the
service the other request names.
"""

import re

from calls.agent.scripted.intents import detect
from calls.agent.scripted.services import match_service
from calls.agent.scripted.when import parse_when

TASKS = ("cancel", "reschedule", "list")
QUESTIONS = ("hours", "location", "payment", "warranty", "loaners", "price")
ABOUT_THE_JOB = ("price",)  # "what's that gonna run me?": about the service the task names
# Sentences, and clauses joined by "and" (or "also", "plus") that start a request of their own.
PIECES = re.compile(
    r"(?<=[?.!])\s+"
    r"|,?\s+\b(?:and|also|plus)\s+(?=(?:also\s+)?(?:can|could|would|will|what|what's|whats|how|how's|when|where"
    r"|where's|do|does|are|is|please)\b)",
    re.IGNORECASE,
)


QUESTION_WORDS = re.compile(
    r"^(?:(?:and|also|plus|oh|so|hi|hey|um|uh|but|then|one more thing)\b[\s,]*)*"
    r"(?:what|what's|whats|how|how's|when|where|where's|do|does|are|is|can|could|will|would|which|who)\b",
    re.IGNORECASE,
)


def split(text, services, today, intent):
    """(now, later): the words to handle now and the other request's, or (text, None) when the
    words hold one kind of request only. `intent` is what the whole utterance asks: a task is done
    first on all the words (as if the question were not there), a question is answered first."""
    pieces = [p.strip() for p in PIECES.split(text or "") if p and p.strip()]
    if len(pieces) < 2:
        return text, None
    kinds = [_kind(piece, services, today) for piece in pieces]
    if "task" not in kinds or "question" not in kinds:
        return text, None
    if intent in (*TASKS, "book"):
        service = next((match_service(p, services) for p, k in zip(pieces, kinds, strict=True) if k == "task"), None)
        later = [_about(p, service, services) for p, k in zip(pieces, kinds, strict=True) if k == "question"]
        return text, " ".join(later)
    if intent in QUESTIONS:
        now = [p for p, kind in zip(pieces, kinds, strict=True) if kind != "task"]
        later = [p for p, kind in zip(pieces, kinds, strict=True) if kind == "task"]
        return " ".join(now), " ".join(later)
    return text, None


def _kind(piece, services, today):
    intent = detect(piece)
    if intent in TASKS:
        return "task"
    if intent in QUESTIONS:
        # asked, not said: "whatever's open Thursday", "I know you're closed" are no questions
        return "question" if piece.rstrip().endswith("?") or QUESTION_WORDS.match(piece) else None
    if intent in ("book", None) and match_service(piece, services):
        # a booking asked for ("can I get a battery put in Friday?"), not a car's trouble told
        return "task" if intent == "book" or parse_when(piece, today).said_anything else None
    return None


def _about(piece, service, services):
    """ "Roughly what's that gonna run me?" beside a move of the brake job is about the brake job."""
    if service and detect(piece) in ABOUT_THE_JOB and not match_service(piece, services):
        return f"{piece} ({service})"
    return piece
