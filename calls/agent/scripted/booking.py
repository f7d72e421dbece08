"""Booking a service, or moving an appointment: service, day and time, read-back, and a clear
yes before anything is written. Looking at the schedule and offering times is schedule.py; the
read-back itself, readback.py."""

from dataclasses import replace

from calls.agent.scripted import messages, schedule
from calls.agent.scripted.intents import waits_at_shop
from calls.agent.scripted.names import spoken_name
from calls.agent.scripted.readback import choose, confirm, offer_message, spoken_service
from calls.agent.scripted.services import is_symptom
from calls.agent.scripted.speech import say_list, say_moment, say_time, service_phrase
from calls.agent.scripted.state import Booking
from calls.agent.scripted.tool_times import iso, local_time
from calls.agent.scripted.when import When

RETRY_CODES = ("slot_taken", "outside_hours")


def start(desk, u, turn, *, service=None):
    caller = desk.state.caller
    if not caller.caller_id:
        turn.say("I'm sorry, I can't book appointments without caller ID.")
        messages.offer(desk, turn)
        return
    b = Booking(service=service or u.service, waiter=waits_at_shop(u.text))
    if b.service and is_symptom(u.text):
        b.notes = u.text[:500]
    if u.when.said_anything:
        b.when = u.when
    if len(caller.vehicles) == 1:
        b.vehicle_id, b.vehicle = caller.vehicles[0].get("vehicle_id"), caller.vehicles[0].get("vehicle")
    desk.state.task = b
    advance(desk, b, turn)


def start_move(desk, appointment, when, turn):
    b = Booking(service=appointment["service"], moving=appointment, when=when if when.said_anything else None)
    desk.state.task = b
    if b.when is None:
        b.stage = "day"
        desk.ask(turn, f"Sure. What day would you like to move your {spoken_service(b, article=False)} to?")
        return
    advance(desk, b, turn)


def advance(desk, b, turn):
    """Ask for what is still missing, or look at the schedule."""
    if b.service is None:
        b.stage = "service"
        names = desk.service_names()
        listing = f" We do {say_list([service_phrase(n, article=False) for n in names[:5]], 'and')}." if names else ""
        intro = "Sure, I can help you book an appointment." if not b.when else "Sure."
        desk.ask(turn, f"{intro}{listing} What would you like to have done?")
        return
    w = b.when
    if w is not None and w.problem:
        turn.say(w.problem)
        b.when = None
        w = None
    if w is None or (w.day is None and not w.asap):
        b.stage = "day"
        at = f" at {say_time(w.clock)}" if w and w.clock else ""
        if b.moving:
            desk.ask(turn, f"What day would you like to move it to{at}?")
        else:
            desk.ask(turn, f"What day would you like to bring it in{at}?")
        return
    schedule.check(desk, b, turn)


# --- the caller's answers ---------------------------------------------------------------


def capture(desk, b, u, turn):
    if b.stage != "name":
        return False
    name = spoken_name(u.text)
    if name is None:
        return False
    b.new_name = name
    confirm(desk, b, turn)
    return True


def answer(desk, b, u, turn):
    stage = b.stage
    if u.service and u.service != b.service and not b.moving:
        if not (stage == "offered" and schedule.pick(u, b.offered)):
            b.service = u.service
            if b.chosen and not u.when.said_anything:
                b.when = When(day=b.chosen.date(), clock=b.chosen.time())
            elif u.when.said_anything:
                b.when = u.when.merged_over(b.when)
            b.chosen, b.offered = None, []
            advance(desk, b, turn)
            return True
    if stage == "service":
        if u.when.said_anything:
            b.when = u.when.merged_over(b.when)
            desk.ask(turn, "Sure. And what would you like to have done?")
            return True
        return False
    if stage == "day":
        if b.suggested_day and u.yes and not u.when.said_anything:
            b.suggested_day = None
            advance(desk, b, turn)
            return True
        if u.when.said_anything:
            b.suggested_day = None
            b.when = u.when.merged_over(b.when)
            advance(desk, b, turn)
            return True
        return False
    if stage == "offered":
        picked = schedule.pick(u, b.offered)
        if picked:
            choose(desk, b, picked, turn)
            return True
        if u.when.said_anything:
            base = b.when
            if len({s.date() for s in b.offered}) == 1:
                base = replace(base, day=b.offered[0].date(), span_days=1, asap=False)
            b.when = u.when.merged_over(base)
            advance(desk, b, turn)
            return True
        if u.no:
            b.stage, b.when = "day", None
            desk.ask(turn, "No problem. What other day or time would work for you?")
            return True
        if u.yes:
            times = say_list([say_time(s.time()) for s in b.offered])
            desk.ask(turn, f"Great. Which time works best: {times}?")
            return True
        return False
    if stage == "name":
        return False
    if stage == "confirm":
        return _confirmed(desk, b, u, turn)
    return False


def _confirmed(desk, b, u, turn):
    w = u.when
    same = (w.day in (None, b.chosen.date())) and (w.clock in (None, b.chosen.time())) and not w.asap
    if w.said_anything and not same:
        b.when = w.merged_over(When(day=b.chosen.date(), clock=b.chosen.time()))
        b.chosen = None
        advance(desk, b, turn)
        return True
    if u.yes:
        if not desk.heard_question():
            confirm(desk, b, turn)  # they said yes before hearing the whole read-back
            return True
        return write(desk, b, turn)
    if u.no:
        b.stage, b.when, b.chosen = "day", None, None
        desk.ask(turn, "Okay. What day and time would work better?")
        return True
    return False


def write(desk, b, turn):
    b.stage = "writing"
    if b.moving:
        turn.call("reschedule_appointment", appointment_id=b.moving["appointment_id"], new_start=iso(b.chosen))
        turn.then = moved
        return True
    if not desk.state.caller.on_file:
        turn.call("create_customer", name=b.new_name)
        turn.then = customer_created
        return True
    arguments = {"service": b.service, "start": iso(b.chosen)}
    if b.vehicle_id:
        arguments["vehicle_id"] = b.vehicle_id
    if b.waiter:
        arguments["waiter"] = True
    if b.notes:
        arguments["notes"] = b.notes
    turn.call("book_appointment", **arguments)
    turn.then = booked
    return True


def customer_created(desk, results, turn):
    b = desk.state.task
    created = results.get("create_customer") or {}
    if "error" in created or not isinstance(b, Booking):
        turn.say("I'm sorry, I couldn't set up your record just now.")
        return offer_message(desk, turn, b)
    write(desk, b, turn)


def booked(desk, results, turn):
    b, done = desk.state.task, results.get("book_appointment") or {}
    if _went_through(desk, b, done, "booked", turn):
        turn.say(f"You're all set. {_capital(spoken_service(b))} on {say_moment(local_time(done['start']))}.")
        desk.anything_else(turn)


def moved(desk, results, turn):
    b, done = desk.state.task, results.get("reschedule_appointment") or {}
    if _went_through(desk, b, done, "rescheduled", turn):
        turn.say(f"Done. Your {spoken_service(b, article=False)} is now on {say_moment(local_time(done['start']))}.")
        desk.anything_else(turn)


def _went_through(desk, b, result, flag, turn):
    """True when the write went through (the task is then done); otherwise the caller hears why
    and what now."""
    if result.get(flag):
        desk.state.task = None
        return True
    _refused(desk, b, result, turn)
    return False


def _refused(desk, b, result, turn):
    code = result.get("code")
    if (
        not isinstance(b, Booking)
        or not code
        or code in ("invalid", "not_your_appointment", "not_active", "service_inactive")
    ):
        turn.say("I'm sorry, I couldn't make that change." if b and b.moving else "I'm sorry, I couldn't book that.")
        return offer_message(desk, turn, b)
    turn.say(result.get("error") or "That time doesn't work.")
    if code == "waiter_not_allowed":
        b.waiter = False
        return confirm(desk, b, turn)
    if code in RETRY_CODES:
        b.taken.append(b.chosen)
        b.when = When(day=b.chosen.date(), clock=b.chosen.time())
        b.chosen = None
        return schedule.check(desk, b, turn)
    b.chosen = None
    schedule.ask_day(desk, b, turn)


def dropped(desk, b):
    return "No problem, I'll leave your appointment as it is." if b.moving else "No problem, I won't book anything."


# --- little helpers ---------------------------------------------------------------------


def _capital(text):
    return text[:1].upper() + text[1:]
