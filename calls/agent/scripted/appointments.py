"""The caller's own appointments: listing them, picking one, cancelling it (after a clear yes),
or handing it to the booking flow to be moved."""

from calls.agent.scripted import booking, messages
from calls.agent.scripted.services import match_service
from calls.agent.scripted.speech import say_list, say_moment, service_phrase
from calls.agent.scripted.state import Cancellation, Choosing
from calls.agent.scripted.tool_times import local_time
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, normalize


def start(desk, u, turn, *, purpose):
    """purpose: "list", "cancel" or "move"."""
    caller = desk.state.caller
    if not caller.caller_id:
        turn.say("I'm sorry, I can't look up appointments without caller ID.")
        messages.offer(desk, turn)
        return
    if not caller.on_file:
        turn.say("I don't see any appointments under this phone number.")
        desk.ask(turn, "Would you like to book one?")
        desk.state.awaiting = "book_new"
        return
    desk.state.task = Choosing(purpose=purpose, options=[], said=u.text)
    turn.call("get_upcoming_appointments")
    turn.then = loaded


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
    if task.purpose == "list":
        desk.state.task = None
        turn.say(_listing(options))
        if not options:
            desk.ask(turn, "Would you like to book one?")
            desk.state.awaiting = "book_new"
            return
        return desk.anything_else(turn)
    if not options:
        desk.state.task = None
        turn.say("I don't see any upcoming appointments for you.")
        desk.ask(turn, "Would you like to book one?")
        desk.state.awaiting = "book_new"
        return
    task.options = options
    which, _ = _split_move(task.said, desk.today()) if task.purpose == "move" else (task.said, None)
    chosen = options[0] if len(options) == 1 else _matching(desk, which, options)
    if chosen is not None:
        return _proceed(desk, task, chosen, turn)
    described = [f"your {_what(a)} on {_when(a)}" for a in options]
    verb = "cancel" if task.purpose == "cancel" else "move"
    desk.ask(
        turn, f"You have {len(options)} appointments: {say_list(described, 'and')}. Which one would you like to {verb}?"
    )


def _proceed(desk, task, appointment, turn):
    if task.purpose == "cancel":
        cancellation = Cancellation(stage="confirm", appointment=appointment, reason=_reason(task.said))
        desk.state.task = cancellation
        _confirm(desk, cancellation, turn)
        return
    _, target = _split_move(task.said, desk.today())
    booking.start_move(desk, appointment, parse_when(target, desk.today()), turn)


def _confirm(desk, c, turn):
    c.stage = "confirm"
    desk.ask(turn, f"Just to confirm, you'd like to cancel your {_what(c.appointment)} on {_when(c.appointment)}?")


def cancelled(desk, results, turn):
    c = desk.state.task
    done = results.get("cancel_appointment") or {}
    desk.state.task = None
    if done.get("cancelled"):
        turn.say(f"Done. Your {_what(done)} on {_when(done)} is cancelled.")
        desk.state.offer_service = done.get("service")
        desk.ask(turn, "Would you like to book a new time for it?")
        desk.state.awaiting = "book_service"
        return
    turn.say("I'm sorry, I couldn't cancel that.")
    if done.get("code") == "not_active":
        turn.say(done.get("error", ""))
        return desk.anything_else(turn)
    desk.state.unclear = (
        f"Caller wants to cancel their {_what(c.appointment)} on {_when(c.appointment)}." if c else None
    )
    messages.offer(desk, turn)


# --- the caller's answers ---------------------------------------------------------------


def capture(desk, task, u, turn):
    return False


def answer(desk, task, u, turn):
    if isinstance(task, Choosing):
        chosen = _matching(desk, u.text, task.options, ordinals=True)
        if chosen is None:
            return False
        desk.state.task = task
        _proceed(desk, task, chosen, turn)
        return True
    if task.stage == "confirm":
        if u.yes:
            if not desk.heard_question():
                _confirm(desk, task, turn)
                return True
            arguments = {"appointment_id": task.appointment["appointment_id"]}
            if task.reason:
                arguments["reason"] = task.reason
            turn.call("cancel_appointment", **arguments)
            turn.then = cancelled
            return True
        if u.no:
            desk.state.task = None
            turn.say("Okay, I'll leave it as it is.")
            desk.anything_else(turn)
            return True
    return False


def dropped(desk, task):
    return "No problem, I'll leave your appointments as they are."


# --- which appointment ------------------------------------------------------------------


def _matching(desk, text, options, *, ordinals=False):
    said = normalize(text)
    if ordinals:
        if has_any(said, ("first", "first one", "earlier", "earliest", "sooner")):
            return options[0]
        if has_any(said, ("second", "second one", "other one", "later", "last", "last one")) and len(options) >= 2:
            return options[1] if has_any(said, ("second", "other one")) else options[-1]
    candidates = options
    service = match_service(text, sorted({a["service"] for a in options}))
    if service:
        candidates = [a for a in candidates if a["service"] == service]
    when = parse_when(text, desk.today())
    if when.day:
        candidates = [a for a in candidates if local_time(a["start"]).date() == when.day]
    if when.clock:
        candidates = [a for a in candidates if local_time(a["start"]).time() == when.clock]
    narrowed = service or when.day or when.clock
    return candidates[0] if narrowed and len(candidates) == 1 else None


def _split_move(text, today):
    """("my Tuesday oil change", "Thursday at 10") from "move my Tuesday oil change to Thursday at 10"."""
    said = normalize(text)
    cuts = [i for i in range(len(said)) if said.startswith(" to ", i) or said.startswith(" for ", i)]
    for cut in reversed(cuts):
        target = said[cut:].split(" ", 2)[-1]
        if parse_when(target, today).said_anything:
            return said[:cut], target
    return said, said


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
