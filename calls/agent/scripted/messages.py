"""Offering to take a message for an advisor, and taking it: what about, who, how urgent, read back,
then take_message."""

import re

from calls.agent.scripted.names import spoken_name
from calls.agent.scripted.state import Message
from calls.agent.scripted.words import has_any, normalize, spoken_numbers

OFFER = "I can take a message and have an advisor call you back. Would you like that?"
URGENT = (
    "urgent", "emergency", "stranded", "stuck", "broke down", "broken down", "unsafe", "dangerous", "right away",
    "asap", "as soon as possible", "immediately", "right now", "very", "it's urgent",
)  # fmt: skip
SOON = ("today", "this afternoon", "this morning", "tonight", "soon", "end of the day", "before five", "quickly")
ROUTINE = (
    "not urgent", "no rush", "whenever", "can wait", "it can wait", "tomorrow", "no hurry", "not really",
    "routine", "a day or two", "this week", "not at all", "no", "nope",
)  # fmt: skip
URGENCY_QUESTION = "How urgent is it: is it an emergency, do you need a call back today, or can it wait a day or two?"


def offer(desk, turn, question=OFFER, *, aside=False):
    """Offer to take a message for an advisor: a yes to `question` starts one."""
    desk.ask(turn, question, aside=aside)
    desk.state.awaiting = "take_message"


def start(desk, turn, *, reason=None):
    caller = desk.state.caller
    message = Message(reason=reason or None, name=caller.name)
    desk.state.task = message
    desk.state.unclear = None
    advance(desk, message, turn)


def reason_in(text):
    """The message itself when the request carries it ("have someone call me about my invoice")."""
    said = " ".join(text.split())
    match = re.search(r"\b(?:about|regarding|because|that)\b\s+(.{6,})", said, flags=re.IGNORECASE)
    return match[1].rstrip(".?! ") if match else None


def advance(desk, m, turn):
    caller = desk.state.caller
    if not m.reason:
        m.stage = "reason"
        desk.ask(turn, "Sure. What would you like me to pass on to the advisor?")
    elif not m.name:
        m.stage = "name"
        desk.ask(turn, "Can I get your name, please?")
    elif not caller.caller_id and not m.callback:
        m.stage = "callback"
        desk.ask(turn, "What number should the advisor call you back on?")
    elif not m.urgency:
        m.stage = "urgency"
        desk.ask(turn, URGENCY_QUESTION)
    else:
        m.stage = "confirm"
        desk.ask(turn, f"Okay. I'll pass this on to an advisor: {_read_back(m.reason)} Shall I send it?")


def capture(desk, m, u, turn):
    """Free text: the message itself, the caller's name, a callback number."""
    if m.stage == "reason":
        if len(u.said.split()) < 2 and not u.said.isalpha():
            return False
        m.reason = u.text.strip()[:1000]
    elif m.stage == "name":
        name = spoken_name(u.text)
        if name is None:
            return False
        m.name = name
    elif m.stage == "callback":
        number = _phone_digits(u.text)
        if number is None:
            return False
        m.callback = number
    else:
        return False
    advance(desk, m, turn)
    return True


def answer(desk, m, u, turn):
    if m.stage == "urgency":
        urgency = _urgency(u)
        if urgency is None:
            return False
        m.urgency = urgency
        advance(desk, m, turn)
        return True
    if m.stage == "confirm":
        if u.yes:
            if not desk.heard_question():
                advance(desk, m, turn)
                return True
            arguments = {"name": m.name, "reason": m.reason, "urgency": m.urgency}
            if m.callback:
                arguments["callback_number"] = m.callback
            turn.call("take_message", **arguments)
            turn.then = taken
            return True
        if u.no:
            m.reason = None
            m.stage = "reason"
            desk.ask(turn, "Okay, let's fix that. What would you like me to pass on?")
            return True
    return False


def taken(desk, results, turn):
    m = desk.state.task
    done = results.get("take_message") or {}
    if done.get("message_taken"):
        desk.state.task = None
        when = "as soon as possible" if m.urgency == "urgent" else "today" if m.urgency == "soon" else "soon"
        name = f", {m.name.split()[0]}" if m.name else ""
        turn.say(f"Thanks{name}. I've passed your message on, and an advisor will call you back {when}.")
        return desk.anything_else(turn)
    error = done.get("error", "")
    if "callback" in error.lower() or "call back" in error.lower():
        m.callback = None
        m.stage = "callback"
        desk.ask(turn, "I didn't get a number I can use. What number should the advisor call you back on?")
        return
    desk.state.task = None
    turn.say("I'm sorry, I couldn't save your message just now. Please call back a little later.")
    desk.anything_else(turn)


def dropped(desk, m):
    return "No problem, I won't send a message."


QUESTION_WORDS = (
    "is", "are", "can", "could", "do", "does", "did", "will", "would", "when", "what", "where", "why", "how",
    "should", "has", "have", "was",
)  # fmt: skip


def _read_back(reason):
    """The caller's words as a clause: "is my car ready yet?", "the tow truck comes tonight."."""
    text = " ".join(reason.split()).rstrip(".!? ")
    first = text.split(" ", 1)[0]
    question = reason.rstrip().endswith("?") or first.lower() in QUESTION_WORDS
    if first not in ("I", "I'm", "I've", "I'll", "I'd") and not first.isupper():
        text = text[:1].lower() + text[1:]
    return f"{text}{'?' if question else '.'}"


def _urgency(u):
    said = u.said
    if has_any(said, ("not urgent", "no rush", "no hurry", "can wait", "not really", "not an emergency")):
        return "routine"
    if has_any(said, URGENT) or u.yes and not has_any(said, SOON):
        return "urgent"
    if has_any(said, SOON):
        return "soon"
    if has_any(said, ROUTINE) or u.no:
        return "routine"
    return None


def _phone_digits(text):
    digits = []
    for word in spoken_numbers(normalize(text).replace("-", " ")):
        if word.number is not None and word.text.isdigit():
            digits.append(word.text)
        elif word.number is not None and word.number < 10:
            digits.append(str(word.number))
        elif word.text in ("oh", "o"):
            digits.append("0")
    number = "".join(digits)
    return number if 10 <= len(number) <= 11 else None
