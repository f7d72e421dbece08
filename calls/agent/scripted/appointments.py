"""The caller's own appointments: listing them, picking the one meant, cancelling it (or all of
them) after a clear yes, or handing it to the booking flow to be moved. Which appointment the
words mean, and to when a move asks, is appointment_words.py."""

import re

from calls.agent.scripted import booking, info, messages, schedule
from calls.agent.scripted.appointment_words import (
    INSTEAD,
    checked_when,
    clauses,
    drops,
    keeps_it,
    move_target,
    names_another,
    names_one_cancelled,
    no_longer_needed,
    pick,
    split_move,
    wants_cancel,
    without_checks,
)
from calls.agent.scripted.booking_words import requests_named
from calls.agent.scripted.speech import is_plural, say_day, say_list, say_moment, service_phrase
from calls.agent.scripted.state import Booking, Cancellation, Choosing
from calls.agent.scripted.tool_times import local_time
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, normalize

INSTEAD_OF_BOOKING = ("instead", "rather", "works better", "would be better", "is better")
SHIFTED = ("later", "earlier", "push", "a day", "an hour", "same time", "same day")
NEW_BOOKING = (
    "book", "new appointment", "another appointment", "also", "too", "as well", "like to get", "need a", "need an",
    "get a", "get an", "get my", "another",
)  # fmt: skip
# "I'd like a coolant flush Wednesday, actually Thursday works better": a job asked for by name is a
# new booking, however the day is changed, from a caller who has other appointments too.
NEW_REQUEST = re.compile(
    r"\b(?:i'd|i would|i|we'd|we would|we) (?:like|want|need|wanna) (?:a|an|to get (?:a|an|my)|to book (?:a|an)"
    r"|to schedule (?:a|an)|to set up (?:a|an)) (?!(?:different|later|earlier|new|other|another)\b)"
)
CALLING = ("call back", "call you", "call me", "talk later", "talk to you")  # "I'll call back later" moves nothing
VERBS = {"cancel": "cancel", "move": "move", "list": "check"}
# "Can we bump that to Tuesday?", "can I have it Tuesday?", "could we make it Thursday?": with a day or
# time said, the appointment the caller has goes there.
MOVE_ASKED = re.compile(
    r"\b(?:bump|bumped|push|pushed|move|moved|shift|switch|swap|slide|scoot|change|put|make|have|do)"
    r" (?:it|that|this|them|that one|this one|the appointment|my appointment|that appointment)\b(?! (?:done|looked|checked|fixed|seen))"
)


# "I can't make it Tuesday, can we do Thursday instead?": a new time asked for, so a move.
ASKS_ANOTHER_TIME = (
    "instead", "rather", "reschedule", "re schedule", "rebook", "move it", "move that", "move the", "move my",
    "push it", "push that", "push my", "switch it", "can we do", "could we do", "can i do", "could i do",
    "can we make it", "could we make it", "how about", "what about", "can i come", "could i come",
    "can i bring it", "could i bring it", "can i drop it", "another day", "another time", "different day",
    "different time", "a later", "an earlier", "later in the week", "works better", "would be better",
)  # fmt: skip


REBOOKS = re.compile(
    r"\bcancel\b.*\b(?:and|then)\b.*\b(?:put me (?:in|down)|book me|move (?:me|it) to|rebook|re book|switch (?:me|it) to)\b"
    r".*\b(?:instead|monday|tuesday|wednesday|thursday|friday|saturday|tomorrow|next week)\b"
)


# The caller will book again themselves, later: no "Would you like to book a new time for it?".
REBOOK_LATER = re.compile(
    r"\b(?:i'll|i will|i'm gonna|i'm going to|gonna|will) (?:call|ring|get back|phone)(?: you)?(?: back)?"
    r"(?: (?:and|to) (?:set|book|rebook|re book|schedule|reschedule|figure))?"
    r"|\b(?:set up|book|schedule|figure out) (?:something|a new time|another time|another one) (?:new )?(?:later|once|when|after)"
    r"|\b(?:rebook|re book|reschedule) (?:later|when|once|after|myself|down the road)"
    r"|\bno need to (?:reschedule|rebook)|\b(?:don't|do not) (?:need|want) to (?:reschedule|rebook)"
    r"|\b(?:got|getting|had|having) it done (?:somewhere|elsewhere|near|at|by|closer)\b|\bended up (?:getting|having) it done\b"
    r"|\b(?:gonna|going to|will|'ll) do (?:it|them|that|those)(?: for me| myself)?\b"
)


def asks_another_time(u):
    """A "can't make it" that asks for another time rather than a cancellation (no "cancel" said)."""
    return not wants_cancel(u.text) and has_any(u.said, ASKS_ANOTHER_TIME)


def start(desk, u, turn, *, purpose):
    """purpose: "list", "cancel" or "move"."""
    one_service = len(requests_named(u.text, desk.service_names(), desk.today())) <= 1
    if purpose == "cancel" and (asks_another_time(u) or (REBOOKS.search(u.said) and one_service)):
        purpose = "move"  # "cancel Tuesday's and put me in Thursday instead": one appointment, moved
    caller = desk.state.caller
    if not caller.caller_id:
        return messages.without_caller_id(
            desk, turn, u, "I'm sorry, I can't look up or change appointments without caller ID."
        )
    if not caller.on_file:
        turn.say("I don't see any appointments under this phone number.")
        desk.ask(turn, "Would you like to book one?")
        desk.state.awaiting = "book_new"
        return
    desk.state.task = Choosing(purpose=purpose, options=[], said=u.text)
    turn.call("get_upcoming_appointments")
    turn.then = loaded


# "My oil change to Thursday", "new my brake pads appointment to Thursday": a move, whatever the
# speech recogniser made of the verb ("move" is often lost or heard as "new").
MOVED_TO = re.compile(
    r"\bmy (?:[\w/'-]+ ){1,4}(?:appointment |booking )?to (?:next |this |the )?"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|\d{1,2}(?: ?(?:st|nd|rd|th))?)\b"
)


def moved_to(u):
    """Whether the caller said one of their jobs to a new day, with or without a verb heard."""
    return bool(u.service and MOVED_TO.search(u.said) and not has_any(u.said, NEW_BOOKING))


def existing_purpose(desk, u):
    """ "Can I come Friday instead?", "can we do it an hour later?", "can you cancel it?" from a
    caller with appointments and nothing else under way: "move" or "cancel" one of them."""
    state = desk.state
    has_some = state.appointments if state.appointments is not None else state.caller.upcoming
    if not has_some or state.task is not None or has_any(u.said, NEW_BOOKING):
        return None
    if u.service and NEW_REQUEST.search(u.said) and not MOVE_ASKED.search(u.said):
        return None
    if "cancel" in u.said.split() or drops(u.text, desk.service_names()):
        return "cancel"
    if no_longer_needed(u.text, desk.service_names()):
        return "cancel"  # "I'm selling the car, so I won't need that rotation anymore"
    if has_any(u.said, CALLING):
        return None
    checking = checked_when(u.text, desk.today())
    if checking:  # "is my inspection at two?" is a question, unless a move is asked besides it
        rest = [desk.utterance(part) for part in clauses(without_checks(u.text, desk.today()))]
        return "move" if any(_moved(part) for part in rest) else "list"
    return "move" if _moved(u) else None


def _moved(u):
    moved = (u.when.said_anything and has_any(u.said, INSTEAD_OF_BOOKING)) or has_any(u.said, SHIFTED)
    return moved or bool(u.when.said_anything and MOVE_ASKED.search(u.said))


def loaded(desk, results, turn):
    task = desk.state.task
    if not isinstance(task, Choosing):
        return
    found = results.get("get_upcoming_appointments") or {}
    if "error" in found:
        desk.state.task = None
        turn.say("I'm sorry, I can't get into the schedule right now.")
        messages.offer(desk, turn)
        return
    options = list(found.get("appointments") or [])
    desk.state.appointments = options
    if task.purpose == "list":
        desk.state.task = None
        turn.say(_listing_for(desk, task.said, options))
        if not options:
            desk.ask(turn, "Would you like to book one?")
            desk.state.awaiting = "book_new"
            return
        asked = desk.utterance(task.said)
        if asked.intent in info.TOPICS and checked_when(task.said, desk.today()):
            return info.ask_shop(desk, asked.intent, asked, turn)  # "... and can I wait there?" answered next
        return desk.anything_else(turn)
    if not options:
        desk.state.task = None
        turn.say("I don't see any upcoming appointments for you.")
        desk.ask(turn, "Would you like to book one?")
        desk.state.awaiting = "book_new"
        return
    task.options = options
    found = _pick(desk, task, task.said)
    if found.missing:
        turn.say(f"I don't see {service_phrase(found.missing)} booked for you.")
    elif found.one is not None:
        return _proceed(desk, task, [found.one], turn)
    elif found.several and found.chosen:
        return _proceed(desk, task, found.chosen, turn)
    elif not found.named and len(options) == 1:
        return _proceed(desk, task, options, turn)
    narrowed = found.chosen if found.named and len(found.chosen) > 1 else options
    _ask_which(desk, task, narrowed, turn)


MOVE_ALL = re.compile(
    r"\b(?:both|them all|each of them|every one of them|everything"
    r"|all (?:of )?(?:them|those|three|3|four|4|my appointments|the appointments))\b"
)


def _pick(desk, task, text, *, current=None):
    which = split_move(text, desk.today())[0] if task.purpose == "move" else None
    if task.purpose == "cancel":  # "... the inspection on Friday. The tire thing on Wednesday, keep that one."
        sentences = re.split(r"(?<=[.?!;])\s+", text or "")
        text = " ".join(p for p in sentences if not (KEPT.search(normalize(p)) and not wants_cancel(p))) or text
    return pick(
        text, task.options, desk.today(), services=desk.service_names(), current=current,
        everything=task.purpose == "cancel" or bool(MOVE_ALL.search(normalize(text))), which=which,
    )  # fmt: skip


def _ask_which(desk, task, options, turn, *, ordinals=False):
    verb = VERBS[task.purpose]
    if len(options) == 1:
        only = options[0]
        desk.ask(turn, f"You have your {_what(only)} on {_when(only)}. Is that the one you'd like to {verb}?")
        return
    if ordinals:
        places = ("first", "second", "third", "fourth", "fifth", "sixth")
        described = [f"the {places[i]} is your {_what(a)} on {_when(a)}" for i, a in enumerate(options[:6])]
        desk.ask(turn, f"Let me list them: {say_list(described, 'and')}. Which one would you like to {verb}?")
        return
    described = [f"your {_what(a)} on {_when(a)}" for a in options]
    desk.ask(
        turn, f"You have {len(options)} appointments: {say_list(described, 'and')}. Which one would you like to {verb}?"
    )


def _proceed(desk, task, chosen, turn):
    if task.purpose == "cancel":
        cancellation = Cancellation(stage="confirm", appointment=chosen[0], reason=_reason(task.said), said=task.said)
        cancellation.also = list(chosen[1:])
        desk.state.task = cancellation
        _confirm(desk, cancellation, turn)
        return
    appointment = chosen[0]
    if len(chosen) > 1 and desk.state.later is None:  # "move all three to next week, same times": in turn
        _, to = split_move(task.said, desk.today())
        if to:
            rest = [f"Move my {_what(other)} on {_when(other)} to {to}." for other in chosen[1:]]
            desk.state.later, desk.state.later_after = rest[0], rest[1:]
    target = move_target(task.said, appointment, desk.today())
    booking.start_move(desk, appointment, target or parse_when("", desk.today()), turn, said=task.said)


def _confirm(desk, c, turn):
    c.stage = "confirm"
    if c.also:
        described = [f"your {_what(a)} on {_when(a)}" for a in [c.appointment, *c.also]]
        desk.ask(turn, f"Just to confirm, you'd like to cancel {say_list(described, 'and')}?")
        return
    desk.ask(turn, f"Just to confirm, you'd like to cancel your {_what(c.appointment)} on {_when(c.appointment)}?")


def _cancel(c, appointment, turn):
    arguments = {"appointment_id": appointment["appointment_id"]}
    if c.reason:
        arguments["reason"] = c.reason
    turn.call("cancel_appointment", **arguments)
    turn.then = cancelled


def cancelled(desk, results, turn):
    c = desk.state.task
    done = results.get("cancel_appointment") or {}
    if done.get("cancelled"):
        _forget(desk, done)
        several = isinstance(c, Cancellation) and c.stage == "several"
        verb = "are" if is_plural(done.get("service") or "") else "is"
        turn.say(f"{'' if several else 'Done. '}Your {_what(done)} on {_when(done)} {verb} cancelled.")
        if isinstance(c, Cancellation) and c.also:
            c.appointment = c.also.pop(0)
            return _cancel(c, c.appointment, turn)
        desk.state.task = None
        if several or desk.take_up_later(turn):  # "... and how late are you open?" answered now
            return desk.anything_else(turn) if several else None
        desk.state.offer_service = done.get("service")
        said = getattr(c, "said", "")
        others = {name for name, _ in requests_named(said, desk.service_names(), desk.today())} - {done.get("service")}
        if not others and REBOOK_LATER.search(normalize(f"{said} {desk.last_heard}")):
            return desk.anything_else(turn)  # "I'll call and set up something new once I'm back": not asked
        desk.ask(turn, "Would you like to book a new time for it?")
        desk.state.awaiting = "book_service"
        return
    desk.state.task = None
    turn.say("I'm sorry, I couldn't cancel that.")
    if done.get("code") == "not_active":
        turn.say(done.get("error", ""))
        return desk.anything_else(turn)
    desk.state.unclear = (
        f"Caller wants to cancel their {_what(c.appointment)} on {_when(c.appointment)}."
        if isinstance(c, Cancellation)
        else None
    )
    messages.offer(desk, turn)


def _forget(desk, done):
    known = desk.state.appointments or []
    desk.state.appointments = [a for a in known if a["appointment_id"] != done.get("appointment_id")]
    desk.state.cancelled += [a for a in known if a["appointment_id"] == done.get("appointment_id")]


# --- the caller's answers ---------------------------------------------------------------


def capture(desk, task, u, turn):
    return False


def intercept(desk, task, u, turn):
    """Before anything else hears it: a yes that says "cancel that" at the cancel read-back, a
    switch between moving and cancelling ("actually, just cancel it"), and a correction or
    "leave it" while a move is under way."""
    if _switches(desk, task, u, turn):
        return True
    if _which_car(desk, task, u, turn):
        return True
    if isinstance(task, Cancellation) and task.stage == "confirm" and u.yes:
        return answer(desk, task, u, turn)
    if isinstance(task, Cancellation) and task.stage == "confirm" and task.also and _only_some(desk, task, u, turn):
        return True
    if not (isinstance(task, Booking) and task.moving) or task.stage == "writing":
        return False
    if keeps_it(u.text) and not u.when.said_anything:
        desk.state.task = None
        turn.say("No problem, I'll leave your appointment as it is.")
        desk.anything_else(turn)
        return True
    options = desk.state.appointments or []
    if task.stage == "offered" and schedule.pick(u, task.offered):
        return False  # "the Thursday one" is a time offered
    # "Yes, please. Just the inspection, the tire rotation stays.": the one kept is not the one meant
    other = names_another(_without_kept(u.text), options, desk.today(), task.moving, services=desk.service_names())
    if other is None or _time_by(u.said, other):
        return False
    asked_before = task.when if task.when and task.when.day else None
    target = move_target(u.text, other, desk.today(), apart=True) or asked_before
    booking.start_move(desk, other, target or parse_when("", desk.today()), turn)
    return True


def _time_by(said, other):
    """ "Whatever finishes right when the oil change starts", "just before the oil change": a time
    told by the other appointment, not a switch to moving it."""
    name = normalize(other["service"]).split()[0]
    return (
        re.search(
            rf"\b(?:before|after|when|until|till|ahead of|behind|next to|right before|right after)\b"
            rf"(?:\s+\w+){{0,2}}\s+{re.escape(name)}",
            said,
        )
        is not None
    )


WHICH_CAR_ASKED = re.compile(
    r"\b(?:which|what) (?:car|vehicle|truck)\b|\bis (?:that|it|this)(?: the one)? (?:for|on) (?:the|my)\b"
    r"|\b(?:for|on) the [\w-]+(?: [\w-]+)? or the\b"
)


def _which_car(desk, task, u, turn):
    """ "Wait, is that the one for the Camry or the truck?" about the appointment being cancelled or
    moved: the car it is booked for, then the question again."""
    appointment = task.appointment if isinstance(task, Cancellation) else getattr(task, "moving", None)
    if not appointment or not u.text.rstrip().endswith("?") or not WHICH_CAR_ASKED.search(u.said):
        return False
    vehicle = appointment.get("vehicle")
    turn.say(f"That one's for your {vehicle}." if vehicle else "That one doesn't have a car on it.")
    if desk.state.task_question:
        desk.ask(turn, desk.state.task_question)
    return True


def _switches(desk, task, u, turn):
    """Moving one, the caller would rather cancel it (or the other way round): the same
    appointment (or the one now named) goes the other way."""
    options = desk.state.appointments or []
    if isinstance(task, Booking) and task.moving and task.stage != "writing" and wants_cancel(u.text):
        other = names_another(u.text, options, desk.today(), task.moving, services=desk.service_names())
        if names_one_cancelled(u.text, desk.state.cancelled, task.moving, desk.today(), desk.service_names()):
            return False  # "Yes. Cancel Friday, brakes Wednesday at one.": the one cancelled already, said again
        c = Cancellation(stage="confirm", appointment=other or task.moving, reason=_reason(u.text), said=u.text)
        desk.state.task = c
        _confirm(desk, c, turn)
        return True
    if isinstance(task, Cancellation) and task.stage == "confirm" and not task.also and wants_move(desk, u):
        other = names_another(u.text, options, desk.today(), task.appointment, services=desk.service_names())
        if other is not None and u.intent != "reschedule":
            return False  # "no, Friday instead": which one to cancel
        appointment = other or task.appointment
        target = move_target(u.text, appointment, desk.today())
        booking.start_move(desk, appointment, target or parse_when("", desk.today()), turn, said=u.text)
        return True
    if isinstance(task, Choosing):
        purpose = "cancel" if wants_cancel(u.text) else "move" if wants_move(desk, u) else task.purpose
        if purpose != task.purpose:
            task.purpose, task.misses = purpose, 0
            task.said = f"{task.said} {u.text}" if purpose == "move" else u.text
            found = _pick(desk, task, u.text)
            if found.one is not None or len(task.options) == 1:
                return _proceed(desk, task, [found.one or task.options[0]], turn) or True
            _ask_which(desk, task, found.chosen if found.named and found.chosen else task.options, turn)
            return True
    return False


def wants_move(desk, u):
    """ "Actually, can I just move it instead?": a move asked for, not a correction of which."""
    said = u.said
    if u.intent == "reschedule":
        return True
    return bool(u.when.said_anything and INSTEAD.search(said) and not re.search(r"\b(?:one|appointment)\b", said))


def answer(desk, task, u, turn):
    if isinstance(task, Choosing):
        return _chosen(desk, task, u, turn)
    if task.stage != "confirm":
        return False
    options = desk.state.appointments or [task.appointment]
    text = _without_kept(u.text)  # "Yes. Only the brakes. The oil change on Friday, that one I keep."
    if not task.also and YES_FIRST.match(u.said) and _cancels_this_one(desk, task, u.text, options):
        # "Yes. Cancel Friday, brakes Wednesday at one.": this one, the rest is the other request
        text = u.text.split(",")[0]
    other = None if task.also else names_another(text, options, desk.today(), task.appointment)
    several = pick(text, options, desk.today(), everything=True)
    if other is None and several.several and len(several.chosen) > 1 and not task.also:
        task.appointment, task.also = several.chosen[0], list(several.chosen[1:])
        _confirm(desk, task, turn)
        return True
    if other is not None:
        task.appointment = other
        _confirm(desk, task, turn)
        return True
    # "Yes, cancel both of them. No need to reschedule.": a yes first, whatever "no" comes after
    yes = u.yes or (YES_FIRST.match(u.said) is not None and not keeps_it(u.text))
    if yes and task.also and has_any(u.said, ONLY_THESE):  # "Yes, the inspection. Just that one, not the tires."
        both = [task.appointment, *task.also]
        only = pick(NOT_THIS.sub(" ", text), both, desk.today(), services=desk.service_names())
        if only.named and 0 < len(only.chosen) < len(both):
            task.appointment, task.also = only.chosen[0], list(only.chosen[1:])
    if yes:
        if not desk.heard_question():
            _confirm(desk, task, turn)
            return True
        if task.also:
            task.stage = "several"
        _cancel(task, task.appointment, turn)
        return True
    if u.no or keeps_it(u.text):
        desk.state.task = None
        turn.say("Okay, I'll leave it as it is." if not task.also else "Okay, I'll leave them as they are.")
        desk.anything_else(turn)
        return True
    return False


def _cancels_this_one(desk, task, text, options):
    """ "Yes. Cancel Friday, ...": the words after "cancel", up to the comma, name the one read back."""
    clause = re.search(r"\bcancel\b([^,.;!?]*)", text or "", re.IGNORECASE)
    if clause is None or not clause[1].strip():
        return False
    found = pick(clause[1], options, desk.today(), services=desk.service_names())
    return found.one is not None and found.one["appointment_id"] == task.appointment["appointment_id"]


def _only_some(desk, task, u, turn):
    """ "Hmm, actually, only the rotation. Leave the alignment, don't cancel that one." to the
    read-back of several: the read-back again, of those meant (True); nothing narrowed (False)."""
    if not has_any(u.said, ONLY_THESE + ("leave", "keep", "don't cancel")):
        return False
    both = [task.appointment, *task.also]
    meant = _without_kept(u.text)
    only = pick(NOT_THIS.sub(" ", meant), both, desk.today(), services=desk.service_names())
    if not (only.named and 0 < len(only.chosen) < len(both)):
        return False
    task.appointment, task.also = only.chosen[0], list(only.chosen[1:])
    _confirm(desk, task, turn)
    return True


ONLY_THESE = ("just", "only", "not the", "not my", "not both", "that one", "this one")
NOT_THIS = re.compile(r"\b(?:not|but not)\s+(?:the|my|your)\s+[\w-]+(?:\s+[\w-]+)?", re.IGNORECASE)
YES_FIRST = re.compile(r"^(?:yes|yeah|yep|yup|sure|correct|that's right|please do|go ahead)\b(?! but\b)")
KEPT = re.compile(r"\b(?:keep|keeping|i'll keep|stays|stay|leave|leaving)\b(?! (?:it|them) (?:off|out))")


def _without_kept(text):
    """The words without a sentence or clause that keeps an appointment ("that one I keep", "the
    brakes moved to Monday, and the oil change stays on Wednesday")."""
    parts = re.split(
        r"(?<=[.?!;])\s+|,?\s+(?:and|but)\s+(?=the|my|your)", text or ""
    )  # "..., and the oil change stays"
    kept = [p for p in parts if not KEPT.search(normalize(p))]
    return " ".join(kept) if kept and len(kept) < len(parts) else text


def _chosen(desk, task, u, turn):
    """The answer to "which one?"."""
    found = _pick(desk, task, u.text)
    chosen = found.one
    if chosen is None and found.several and found.chosen:
        return _proceed(desk, task, found.chosen, turn) or True
    if chosen is None and u.yes and len(task.options) == 1:
        chosen = task.options[0]
    if chosen is not None:
        if task.purpose == "move" and not move_target(task.said, chosen, desk.today()):
            # "the alignment, to Friday": the new time may come with it; "the one on Thursday" only says which
            if move_target(u.text, chosen, desk.today(), apart=True):
                task.said = u.text
        return _proceed(desk, task, [chosen], turn) or True
    if u.no and not found.named:
        desk.state.task = None
        turn.say("Okay, I'll leave your appointments as they are.")
        desk.anything_else(turn)
        return True
    if u.intent not in (None, task.purpose, "cancel", "reschedule", "list"):
        return False
    task.misses += 1
    if task.misses >= 2:
        desk.state.task = None
        desk.state.unclear = f"Caller wants to {VERBS[task.purpose]} an appointment: {task.said}"
        turn.say("I'm sorry, I'm not sure which appointment you mean.")
        messages.offer(desk, turn)
        return True
    turn.say("Sorry, I'm not sure which one you mean.")
    narrowed = found.chosen if found.named and len(found.chosen) > 1 else task.options
    _ask_which(desk, task, narrowed, turn, ordinals=True)
    return True


def dropped(desk, task):
    return "No problem, I'll leave your appointments as they are."


# --- saying them ------------------------------------------------------------------------


def _listing_for(desk, text, options):
    """All of them, or the ones asked about ("did I book something for Thursday?")."""
    if not options:
        return _listing(options)
    asked = _each_asked_about(desk, text, options)
    if 1 < len(asked) < len(options):  # "what time is the inspection? And is the oil change still on?": both
        return f"You have {say_list([f'{service_phrase(a["service"])} on {_when(a)}' for a in asked], 'and')}."
    if len(asked) > 1:
        return _listing(asked)
    w = parse_when(text, desk.today())
    found = pick(text, options, desk.today(), services=desk.service_names())
    if w.day and w.span_days == 1 and not found.named:
        return f"I don't see anything booked on {say_day(w.day)}. {_listing(options)}"
    if found.missing:
        return f"I don't see {service_phrase(found.missing)} booked for you. {_listing(options)}"
    if found.named and found.chosen and len(found.chosen) < len(options):
        return _checked(desk, text, found.chosen) + _listing(found.chosen)
    return _checked(desk, text, options) + _listing(options)


def _each_asked_about(desk, text, options):
    """The appointments named, sentence by sentence, in the order they are booked."""
    named = []
    for sentence in re.split(r"(?<=[?.!])\s+", text or ""):
        found = pick(sentence, options, desk.today(), services=desk.service_names())
        if found.named and found.chosen and not found.missing:
            named += [a for a in found.chosen if a not in named]
    return sorted(named, key=lambda a: a["start"])


def _checked(desk, text, chosen):
    """ "Yes. " or "Not quite. " to "is that two o'clock?" about the one appointment meant; "" when
    no day or time was asked to be confirmed."""
    w = checked_when(text, desk.today())
    if w is None or len(chosen) != 1:
        return ""
    start = local_time(chosen[0]["start"])
    right = True
    if w.clock is not None:
        right = (start.hour % 12, start.minute) == (w.clock.hour % 12, w.clock.minute)
    elif w.part == "morning":
        right = start.hour < 12
    elif w.part in ("afternoon", "evening"):
        right = start.hour >= 12
    if w.day is not None and w.span_days == 1:
        right = right and start.date() == w.day
    return "Yes. " if right else "Not quite. "


def _listing(options):
    if not options:
        return "You don't have any upcoming appointments with us."
    described = [f"{service_phrase(a['service'])} on {_when(a)}" for a in options]
    if len(options) == 1:
        return f"You have {described[0]}."
    return f"You have {len(options)} upcoming appointments: {say_list(described, 'and')}."


def _reason(text):
    said = normalize(text)
    for marker in ("because", "since", "as i"):
        if f" {marker} " in f" {said} ":
            return said.split(f"{marker} ", 1)[1][:300]
    return ""


def _what(appointment):
    return service_phrase(appointment.get("service") or "appointment", article=False)


def _when(appointment):
    return say_moment(local_time(appointment["start"]))
