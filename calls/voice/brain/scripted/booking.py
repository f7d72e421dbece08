"""Booking a service, or moving an appointment: service, day and time, a look at the schedule,
offers of the nearest free times, read-back, and a clear yes before anything is written."""

from dataclasses import replace
from datetime import datetime, time, timedelta

from calls.voice.brain.scripted.intents import waits_at_shop
from calls.voice.brain.scripted.names import spoken_name
from calls.voice.brain.scripted.services import is_symptom
from calls.voice.brain.scripted.speech import say_day, say_list, say_moment, say_time, service_phrase
from calls.voice.brain.scripted.state import Booking
from calls.voice.brain.scripted.when import When
from calls.voice.brain.scripted.words import has_any, ordinal, spoken_numbers

STEPS = ("checked", "alternatives", "customer_created", "booked", "moved")
MOST_OFFERED = 3
RETRY_CODES = ("slot_taken", "outside_hours")


def start(desk, u, turn, *, service=None):
    caller = desk.state.caller
    if not caller.caller_id:
        turn.say("I'm sorry, I can't book appointments without caller ID.")
        desk.ask(turn, "I can take a message and have an advisor call you back. Would you like that?")
        desk.state.awaiting = "take_message"
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
        desk.ask(turn, f"Sure. What day would you like to move your {_service(b, article=False)} to?")
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
    check(desk, b, turn)


def check(desk, b, turn):
    """Look up free times for the day asked (and the shop's hours, the first time)."""
    shop, w, now = desk.state.shop, b.when, desk.now()
    today = now.date()
    first, days = (today, 7) if w.asap else (w.day, w.span_days)
    if not w.asap and w.day < today:
        turn.say("That day has already passed.")
        return _ask_day(desk, b, turn)
    if days == 1 and _closed_turned_away(desk, b, first, turn):
        return
    if w.clock and first == today and w.clock <= now.time():
        turn.say(f"It's already past {say_time(w.clock)} today.")
        b.when = w = replace(w, clock=None, part=None, after=now.time())
    if days == 1:
        _outside_hours(desk, b, turn)
    b.stage = "checking"
    if shop.hours is None and desk.can("shop_info"):
        turn.call("shop_info", topic="hours")
    turn.call("get_available_slots", **_query(b, first, days))
    turn.then = "booking.checked"


def _query(b, first, days):
    query = {"service": b.service, "date": first.isoformat(), "days": days}
    part = _part(b.when)
    if part:
        query["part_of_day"] = part
    if b.waiter:
        query["waiter"] = True
    return query


def _outside_hours(desk, b, turn):
    """A time the shop is not open that day: say the hours and look at the whole day instead."""
    w = b.when
    opening = desk.state.shop.opening(w.day) if w.day else None
    if w.clock and opening and not opening[0] <= w.clock < opening[1]:
        turn.say(f"On {_weekday_plural(w.day)} we're open from {say_time(opening[0])} to {say_time(opening[1])}.")
        b.when = replace(w, clock=None)
        return True
    return False


def _part(w):
    if w.clock:
        return "morning" if w.clock.hour < 12 else "afternoon"
    if w.part in ("morning", "afternoon"):
        return w.part
    return "afternoon" if w.part == "evening" else None


def _closed_turned_away(desk, b, day, turn):
    reason = desk.state.shop.closed_because(day)
    if reason is None:
        return False
    turn.say(reason)
    following = _next_open_day(desk, day)
    b.when = None if following is None else replace(b.when, day=following, span_days=1, asap=False)
    b.suggested_day = following
    b.stage = "day"
    if following is None:
        desk.ask(turn, "What other day would work for you?")
    else:
        desk.ask(turn, f"Would {say_day(following)} work instead?")
    return True


def _next_open_day(desk, day):
    for ahead in range(1, 15):
        candidate = day + timedelta(days=ahead)
        if desk.state.shop.closed_because(candidate) is None:
            return candidate
    return None


def checked(desk, results, turn):
    b = desk.state.task
    if not isinstance(b, Booking):
        return
    w = b.when
    if not w.asap and w.span_days == 1 and _closed_turned_away(desk, b, w.day, turn):
        return
    found = results.get("get_available_slots") or {}
    if "error" in found:
        return _schedule_trouble(desk, b, found, turn)
    if not w.asap and w.span_days == 1 and _outside_hours(desk, b, turn):
        w = b.when
    slots = [s for s in _future(desk, found) if s not in b.taken]
    if w.clock:
        wanted = datetime.combine(w.day, w.clock)
        sampled = found.get("more_available") and slots and slots[0] < wanted < slots[-1]
        if wanted in slots or (sampled and wanted not in b.taken):
            # Offers are a sample of the day; the booking itself re-checks the exact time.
            return choose(desk, b, wanted, turn)
        if slots:
            nearest = sorted(sorted(slots, key=lambda s: abs(s - wanted))[:MOST_OFFERED])
            return offer(desk, b, nearest, turn, f"I'm sorry, {say_time(w.clock)} isn't available on {say_day(w.day)}.")
    else:
        fitting = [s for s in slots if _fits(w, s)]
        if fitting:
            return offer(desk, b, _spread(fitting, w), turn, "")
    _look_further(desk, b, turn)


def _look_further(desk, b, turn):
    w = b.when
    first = desk.today() if w.asap else w.day
    last = first + timedelta(days=(7 if w.asap else w.span_days) - 1)
    if w.asap:
        turn.say("I'm sorry, I don't see anything open in the next week.")
        return _nothing_soon(desk, b, turn)
    span = say_day(first) if last == first else "that week"
    part = f" {w.part}" if w.part and last == first else ""
    turn.say(f"I'm sorry, we're fully booked on {span}{part}.")
    query = _query(b, last + timedelta(days=1), 7)
    if w.clock:
        query.pop("part_of_day", None)
    b.when = replace(w, day=last + timedelta(days=1), span_days=7)
    turn.call("get_available_slots", **query)
    turn.then = "booking.alternatives"


def alternatives(desk, results, turn):
    b = desk.state.task
    if not isinstance(b, Booking):
        return
    found = results.get("get_available_slots") or {}
    if "error" in found:
        return _schedule_trouble(desk, b, found, turn)
    slots = [s for s in _future(desk, found) if _fits(replace(b.when, clock=None), s)]
    if not slots:
        turn.say("I don't see anything open the week after either.")
        return _nothing_soon(desk, b, turn)
    offer(desk, b, slots[:MOST_OFFERED], turn, "The nearest openings are")


def _nothing_soon(desk, b, turn):
    desk.state.task = None
    desk.state.unclear = f"Caller wants {_service(b)} but found no free time soon."
    desk.ask(turn, "I can take a message for an advisor to find you a time. Would you like that?")
    desk.state.awaiting = "take_message"


def offer(desk, b, slots, turn, intro):
    b.offered = list(slots)
    b.stage = "offered"
    days = []
    for slot in slots:
        if not days or days[-1][0] != slot.date():
            days.append((slot.date(), []))
        days[-1][1].append(say_time(slot.time()))
    if len(days) == 1 and say_day(days[0][0]) in " ".join(turn.lines + [intro]):
        listing = say_list(days[0][1])  # the day was just said
    else:
        phrases = [f"{say_day(day)} at {say_list(times)}" for day, times in days]
        listing = say_list(phrases, ", or" if len(phrases) > 1 else "or").replace(", , or", ", or")
    if intro.endswith("are"):
        sentence = f"{intro} {listing}."
    else:
        sentence = f"{intro} I have {listing}.".strip()
    turn.say(sentence)
    desk.ask(turn, "Would that work?" if len(slots) == 1 else "Which works best for you?")


def choose(desk, b, moment, turn):
    b.chosen = moment
    b.offered = []
    caller = desk.state.caller
    if not b.moving and not caller.on_file and not b.new_name:
        b.stage = "name"
        desk.ask(turn, f"I can do {say_moment(moment)}. Can I get your name for the appointment?")
        return
    confirm(desk, b, turn)


def confirm(desk, b, turn):
    b.stage = "confirm"
    if b.moving:
        old = say_moment(_local(b.moving["start"]))
        desk.ask(turn, f"So I'll move your {_service(b, article=False)} from {old} to {say_moment(b.chosen)}. Shall I go ahead?")
        return
    vehicle = f" for your {b.vehicle}" if b.vehicle else ""
    name = f", under the name {b.new_name}" if b.new_name else ""
    desk.ask(turn, f"So that's {_service(b)} on {say_moment(b.chosen)}{vehicle}{name}. Shall I book it?")


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
        if not (stage == "offered" and _pick(u, b.offered)):
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
        picked = _pick(u, b.offered)
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
        if w.day and not w.clock and not w.part:
            b.when = replace(b.when, clock=b.chosen.time())
        b.chosen = None
        advance(desk, b, turn)
        return True
    if u.yes:
        if not desk.heard(desk.state.last_question or ""):
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
        turn.call("reschedule_appointment", appointment_id=b.moving["appointment_id"], new_start=_iso(b.chosen))
        turn.then = "booking.moved"
        return True
    if not desk.state.caller.on_file:
        turn.call("create_customer", name=b.new_name)
        turn.then = "booking.customer_created"
        return True
    arguments = {"service": b.service, "start": _iso(b.chosen)}
    if b.vehicle_id:
        arguments["vehicle_id"] = b.vehicle_id
    if b.waiter:
        arguments["waiter"] = True
    if b.notes:
        arguments["notes"] = b.notes
    turn.call("book_appointment", **arguments)
    turn.then = "booking.booked"
    return True


def customer_created(desk, results, turn):
    b = desk.state.task
    created = results.get("create_customer") or {}
    if "error" in created or not isinstance(b, Booking):
        turn.say("I'm sorry, I couldn't set up your record just now.")
        return _offer_message(desk, turn, b)
    write(desk, b, turn)


def booked(desk, results, turn):
    b = desk.state.task
    done = results.get("book_appointment") or {}
    if done.get("booked"):
        desk.state.task = None
        turn.say(f"You're all set. {_capital(_service(b))} on {say_moment(_local(done['start']))}.")
        return desk.anything_else(turn)
    _refused(desk, b, done, turn)


def moved(desk, results, turn):
    b = desk.state.task
    done = results.get("reschedule_appointment") or {}
    if done.get("rescheduled"):
        desk.state.task = None
        turn.say(f"Done. Your {_service(b, article=False)} is now on {say_moment(_local(done['start']))}.")
        return desk.anything_else(turn)
    _refused(desk, b, done, turn)


def _refused(desk, b, result, turn):
    code = result.get("code")
    if not isinstance(b, Booking) or not code or code in ("invalid", "not_your_appointment", "not_active", "service_inactive"):
        turn.say("I'm sorry, I couldn't make that change." if b and b.moving else "I'm sorry, I couldn't book that.")
        return _offer_message(desk, turn, b)
    turn.say(result.get("error") or "That time doesn't work.")
    if code == "waiter_not_allowed":
        b.waiter = False
        return confirm(desk, b, turn)
    if code in RETRY_CODES:
        b.taken.append(b.chosen)
        b.when = When(day=b.chosen.date(), clock=b.chosen.time())
        b.chosen = None
        return check(desk, b, turn)
    b.chosen = None
    _ask_day(desk, b, turn)


def _schedule_trouble(desk, b, result, turn):
    if result.get("code") == "waiter_not_allowed" and b.waiter:
        turn.say(result["error"])
        b.waiter = False
        return check(desk, b, turn)
    turn.say("I'm sorry, I can't get into the schedule right now.")
    _offer_message(desk, turn, b)


def _offer_message(desk, turn, b):
    desk.state.task = None
    if b is not None:
        desk.state.unclear = f"Caller wanted {_service(b)}" + (f" on {say_moment(b.chosen)}." if b.chosen else ".")
    desk.ask(turn, "I can take a message and have an advisor call you back. Would you like that?")
    desk.state.awaiting = "take_message"


def _ask_day(desk, b, turn):
    b.stage, b.when = "day", None
    desk.ask(turn, "What other day would work for you?")


def dropped(desk, b):
    return "No problem, I'll leave your appointment as it is." if b.moving else "No problem, I won't book anything."


# --- picking among offers ---------------------------------------------------------------


def _pick(u, offered):
    if not offered:
        return None
    said = u.said
    if has_any(said, ("first", "earliest", "earlier", "1st")) and not u.when.clock:
        return offered[0]
    if has_any(said, ("last", "latest", "later one", "last one")) and not u.when.clock:
        return offered[-1]
    for n in (2, 3):
        if has_any(said, (ordinal(n), ("second", "third")[n - 2])) and len(offered) >= n and not u.when.clock:
            return offered[n - 1]
    w = u.when
    if w.clock:
        matches = [s for s in offered if s.time() == w.clock and (w.day is None or s.date() == w.day)]
        if not matches and w.clock.hour > 12:  # "the 9" heard as 9 PM by the afternoon rule
            matches = [s for s in offered if s.time() == time(w.clock.hour - 12, w.clock.minute)]
        return matches[0] if len(matches) == 1 else None
    said_hours = {word.number for word in spoken_numbers(said) if word.number and 1 <= word.number <= 12}
    if said_hours and not w.day:  # "11 is good", "let's say the 2"
        matches = [s for s in offered if (s.hour % 12 or 12) in said_hours]
        on_the_hour = [s for s in matches if s.minute == 0]
        if len(matches) > 1 and len(on_the_hour) == 1 and not has_any(said, ("30", "thirty", "half")):
            matches = on_the_hour
        if len(matches) == 1:
            return matches[0]
    if w.day:
        matches = [s for s in offered if s.date() == w.day]
        return matches[0] if len(matches) == 1 else None
    if u.yes and len(offered) == 1:
        return offered[0]
    return None


# --- little helpers ---------------------------------------------------------------------


def _future(desk, found):
    now = desk.now()
    slots = []
    for slot in found.get("slots") or []:
        try:
            moment = _local(slot["start"])
        except (KeyError, TypeError, ValueError):
            continue
        if moment > now:
            slots.append(moment)
    return sorted(slots)


def _fits(w, slot):
    t = slot.time()
    if w.part == "morning" and t.hour >= 12:
        return False
    if w.part in ("afternoon", "evening") and t.hour < 12:
        return False
    if w.after and t < w.after:
        return False
    if w.before and t >= w.before:
        return False
    return True


def _spread(slots, w):
    if w.asap or w.span_days > 1:
        return slots[:MOST_OFFERED]
    if len(slots) <= MOST_OFFERED:
        return slots
    step = (len(slots) - 1) / (MOST_OFFERED - 1)
    return [slots[round(i * step)] for i in range(MOST_OFFERED)]


def _weekday_plural(day):
    return f"{day:%A}s"


def _service(b, *, article=True):
    return service_phrase(b.service, article=article) if b and b.service else "the appointment"


def _capital(text):
    return text[:1].upper() + text[1:]


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


def _local(iso):
    return datetime.fromisoformat(iso).replace(tzinfo=None)
