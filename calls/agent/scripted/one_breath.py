"""Two requests in one breath: something to do (book a named service, cancel, move or check an
appointment) and a question about the shop (its hours, a price, where it is, paying, warranty,
loaners), in either order: "What time do you close Friday, and can I get a battery put in Friday
around three?", "Cancel my Saturday appointment. And how late are you open on weekdays?".

The request said first is handled now; the other is kept (Conversation.later) and taken up as
soon as the first is done, so neither is dropped. A price question about "that" is about the
service the other request names.
"""

import re

from calls.agent.scripted.intents import TELL_SOMEONE, detect
from calls.agent.scripted.services import match_service
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import normalize

TASKS = ("cancel", "reschedule", "list")
QUESTIONS = ("hours", "location", "payment", "warranty", "loaners", "price", "duration")
JOB_QUESTIONS = ("price", "duration")  # about one service: answered by shop_info, not in passing
ABOUT_THE_JOB = (
    "price",
    "duration",
)  # "what's that gonna run me?", "can I wait for it?": about the service the task names
# Sentences, and clauses joined by "and" (or "also", "plus") that start a request of their own.
PIECES = re.compile(
    r"(?<=[?.!])\s+"
    r"|,?\s+\b(?:and|also|plus)\b[\s,]+(?=(?:(?:also|um|uh|oh|so|then)[\s,]+)*(?:can|could|would|will|what|what's"
    r"|whats|how|how's|when|where|where's|do|does|are|is|please)\b)",
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
    named = match_service(text, services)  # "my battery keeps dying. Can you swap it out tomorrow?"
    told = " ".join(p for p in pieces if not (p.rstrip().endswith("?") or QUESTION_WORDS.match(p)))
    day_told = parse_when(told, today).said_anything  # "I need brake pads on the Camry. Wednesday."
    kinds = [_kind(piece, services, today, named=named, day_told=day_told) for piece in pieces]
    two = _two_tasks(pieces, kinds, services) or _shop_then_job(pieces, kinds, named, services)
    if two:
        return two
    if "task" not in kinds or "question" not in kinds:
        return text, None
    if intent in (*TASKS, "book"):
        service = _corrected_service(pieces, services) or next(
            (match_service(p, services) for p, k in zip(pieces, kinds, strict=True) if k == "task"), None
        )
        later = [_about(p, service, services) for p, k in zip(pieces, kinds, strict=True) if k == "question"]
        return text, " ".join(later)
    if intent in QUESTIONS:
        service = next((match_service(p, services) for p, k in zip(pieces, kinds, strict=True) if k == "task"), None)
        first_asked = kinds.index("question")  # "Hi, it's Dana, I know you're about to close.": said, not asked
        rest = [
            p
            for i, (p, kind) in enumerate(zip(pieces, kinds, strict=True))
            if kind != "question" and not (kind is None and i < first_asked and detect(p) in QUESTIONS)
        ]
        job = match_service(" ".join(rest), services) or named  # not the A/C whose price was asked
        asked = [p for p, kind in zip(pieces, kinds, strict=True) if kind == "question"]
        job_asked = []
        if (service or job) and detect(asked[0]) not in JOB_QUESTIONS:
            # "Are you open already? ... I need an alignment tomorrow. Can I just sit there and
            # wait?": the shop's question now, the job's own with the booking, which answers it
            job_asked = [p for p in asked[1:] if detect(p) in JOB_QUESTIONS]
            asked = [p for p in asked if p not in job_asked]
            rest = [p for p in pieces if p in rest or p in job_asked]
        # the question now ("how much is that again?": the job's); the rest ("Tuesday, noonish.") with the task
        now = [_about(p, service or job, services) for p in asked]
        later = [p if p in job_asked else _for_job(p, job, services) for p in rest]
        return " ".join(now), " ".join(later)
    return text, None


# Asking for a visit to be booked, not for work on the car already in the shop.
BOOKING_ASKED = re.compile(
    r"\b(?:book|schedule|appointment|put (?:me|it|her|him|the \w+) (?:down|in)|set (?:it |me )?up"
    r"|(?:get|bring) (?:it|her|him|the \w+) in)\b",
    re.IGNORECASE,
)


def task_then_message(text):
    """(now, later) for "I wanna book an oil change Monday. And could you tell Bernie that Gwen says
    thanks?": the booking now, the word for someone next; None when no such word is asked."""
    pieces = [p.strip() for p in PIECES.split(text or "") if p and p.strip()]
    for i, piece in enumerate(pieces[1:], 1):
        first = detect(" ".join(pieces[:i]))
        if TELL_SOMEONE.search(normalize(piece)) and first in (*TASKS, "book"):
            return " ".join(pieces[:i]), " ".join(pieces[i:])
    return None


def car_then_task(text, services):
    """(now, later) for "Is the Camry ready? And while I have you, can you book the F-150 for a
    tire rotation? The Wednesday after." or "... the inspection Monday, can you bump it to
    Tuesday?": the car in the shop now, the booking or the appointment's change next; None when
    the words ask for neither."""
    pieces = [p.strip() for p in PIECES.split(text or "") if p and p.strip()]
    for i, piece in enumerate(pieces[1:], 1):
        if (BOOKING_ASKED.search(piece) and match_service(piece, services)) or detect(piece) in TASKS:
            return " ".join(pieces[:i]), " ".join(pieces[i:])
    return None


def _shop_then_job(pieces, kinds, named, services):
    """ "Are you open tomorrow? And if I bring it in for an oil change, can I wait for it?": the
    shop's question now, the job's next (a job's question said first carries the other in passing)."""
    if "task" in kinds or not kinds:
        return None
    asked_first = pieces[0].rstrip().endswith("?") or QUESTION_WORDS.match(pieces[0])
    if kinds[0] != "question" and not (detect(pieces[0]) == "makes" and asked_first):  # "do you work on Teslas?"
        return None
    if detect(pieces[0]) in JOB_QUESTIONS:
        return None
    asked = [p for p in pieces[1:] if p.rstrip().endswith("?") or QUESTION_WORDS.match(p)]
    later = next((p for p in asked if detect(p) in JOB_QUESTIONS), None)
    if later is None:
        return None
    cut = pieces.index(later)
    return " ".join(pieces[:cut]), " ".join(_for_job(p, named, services) for p in pieces[cut:])


def _two_tasks(pieces, kinds, services):
    """ "Cancel the oil change, and can you move the alignment to Friday?": two things to do, each to
    its own appointment, done one after the other; (now, later) or None."""
    tasks = [(p, detect(p), match_service(p, services)) for p, k in zip(pieces, kinds, strict=True) if k == "task"]
    if len(tasks) != 2:
        return None
    (first, did, one), (second, then, other) = tasks
    if did == then or not (one and other) or one == other or "book" in (did, then) or None in (did, then):
        return None  # not "... The car's pulling to the right a little.": a trouble told, no second task
    cut = pieces.index(second)
    return " ".join(pieces[:cut]), " ".join(pieces[cut:])


ASKS_FOR_IT = re.compile(
    r"^(?:(?:so|and|then|um|uh|okay|ok)\b[\s,]*)*(?:(?:can|could|would|will) you\b"
    r"|(?:can|could) (?:i|we) (?:get|come|bring|book|do|have|drop|swing)\b)",
    re.IGNORECASE,
)


# "The tire thing on Wednesday, keep that one.": an appointment named to leave alone, no request
# (kept apart from the cancel said before it, and then not taken up as a booking).
KEEPS = re.compile(
    r"\b(?:keep|leave) (?:that|this|the other|it|them|the \w+(?: \w+)?)(?: one)?(?: as (?:is|it is))?\s*[.!]?$"
    r"|\b(?:that one|it|that) (?:stays|can stay|is fine|is good)\b|\b(?:don't|do not) (?:cancel|touch|move) (?:that|it|the other)\b",
    re.IGNORECASE,
)


def _kind(piece, services, today, *, named=None, day_told=False):
    intent = detect(piece)
    if intent in TASKS:
        return "task"
    if intent in QUESTIONS:
        # asked, not said: "whatever's open Thursday", "I know you're closed" are no questions
        return "question" if piece.rstrip().endswith("?") or QUESTION_WORDS.match(piece) else None
    if intent in ("book", None) and match_service(piece, services):
        # a booking asked for ("can I get a battery put in Friday?"), not a car's trouble told
        if intent == "book" or parse_when(piece, today).said_anything:
            return "task"
        asked = piece.rstrip().endswith("?") or QUESTION_WORDS.match(piece)
        return "task" if day_told and not asked else None
    if intent in ("book", None) and named and ASKS_FOR_IT.match(piece) and parse_when(piece, today).said_anything:
        return "task"  # "Can you swap it out tomorrow, noonish?", the battery named before
    if intent == "book" and named and parse_when(piece, today).said_anything:
        return "task"  # "Can I bring it in Thursday at nine?", the check engine light told before
    return None


CORRECTED = re.compile(r"\b(?:instead|rather|make (?:it|that)|switch (?:it|that) to|change (?:it|that) to)\b", re.I)


def _corrected_service(pieces, services):
    """ "A coolant flush Thursday. Actually, scratch the coolant ... do the transmission fluid
    service instead. What's that gonna run me?": the service the caller settled on, or None."""
    for piece in reversed(pieces):
        for clause in reversed(re.split(r"[,;]", piece)):
            if CORRECTED.search(clause) and (service := match_service(clause, services)):
                return service
    return None


def _for_job(piece, service, services):
    """ "Can you swap it out tomorrow?" after "my battery keeps dying" asks for the battery job."""
    if service and not match_service(piece, services):
        return f"{piece} ({service})"
    return piece


def _about(piece, service, services):
    """ "Roughly what's that gonna run me?" beside a move of the brake job is about the brake job."""
    if service and detect(piece) in ABOUT_THE_JOB and not match_service(piece, services):
        return f"{piece} ({service})"
    return piece
