"""Looking at the schedule for the day the caller asked for, and offering the nearest free times.

get_available_slots returns a sample of each day's free starts (at most six, spread out), so an
exact time the caller named is asked about with `time`: the answer says whether that start is
free and the nearest free starts either side, before anything is read back. (A result without
that answer, from a model's call before a takeover, falls back to the sample: a time inside it
goes to the read-back and book_appointment re-checks it.) A time found taken is never offered again.
"""

from dataclasses import replace
from datetime import datetime, time, timedelta

from calls.agent.scripted import messages
from calls.agent.scripted.readback import choose, offer_message, spoken_service
from calls.agent.scripted.speech import say_day, say_list, say_time
from calls.agent.scripted.state import Booking
from calls.agent.scripted.tool_times import local_time
from calls.agent.scripted.words import has_any, spoken_numbers

MOST_OFFERED = 3
ROUGHLY = timedelta(minutes=60)  # how far from a hedged time ("like nine") the nearest free one may be
# Choosing among the times offered.
FIRST = ("first", "1st", "earliest", "earlier", "early is", "early if", "earlies", "soonest", "early one", "first one")
CLOSEST = (
    "closest", "nearest", "closer", "close to", "as close as", "near",
    # a time said loosely: "noon or close", "ten or so", "two or thereabouts", "one or near it"
    "or close", "or so", "or thereabouts", "or around", "or about", "or near", "roughly", "approximately",
    "give or take",
)  # fmt: skip
LAST = ("last", "latest", "later one", "late one", "last one")
ANY = (
    "any of those", "any of them", "any one", "anyone", "any is fine", "any works", "either", "either one",
    "whichever", "doesn't matter", "does not matter", "don't mind", "don't care", "whatever's open",
    "whatever is open", "whatever works", "whatever you have", "whatever's available", "whatever is available",
    "whatever's good", "whatever is easiest", "you pick", "you choose", "up to you", "anything works",
    "all good", "all of those work", "they all work", "any time works", "any of these", "any time after",
    "anytime after", "any time before", "anytime before", "any time in the",
)  # fmt: skip
FAR_AHEAD_DAYS = 30  # nothing at all free this far out is more likely the booking horizon than a full day


def check(desk, b, turn):
    """Look up free times for the day asked (and the shop's hours, the first time)."""
    shop, w, now = desk.state.shop, b.when, desk.now()
    today = now.date()
    first, days = (today, 7) if w.asap else (w.day, w.span_days)
    if not w.asap and w.day < today:
        turn.say("That day has already passed.")
        return ask_day(desk, b, turn)
    if days == 1 and closed_turned_away(desk, b, first, turn):
        return
    if w.clock and first == today and w.clock <= now.time():
        turn.say(f"It's already past {say_time(w.clock)} today.")
        b.when = w = replace(w, clock=None, part=None, after=now.time())
    if days == 1:
        _outside_hours(desk, b, turn)
    b.stage = "checking"
    if shop.hours is None and desk.can("shop_info"):
        turn.call("shop_info", topic="hours")
    query = _query(b, first, days)
    if w.clock and not w.asap:
        query["time"] = w.clock.strftime("%H:%M")
    elif w.after and not w.asap and days == 1:
        query["time"] = w.after.strftime("%H:%M")  # "after 2", "between 9 and 11": its start asked about
    turn.call("get_available_slots", **query)
    turn.then = checked


def _query(b, first, days):
    query = {"service": b.service, "date": first.isoformat(), "days": days}
    part = _part(b.when)
    if part:
        query["part_of_day"] = part
    if b.waiter:
        query["waiter"] = True
    if b.moving:
        query["appointment_id"] = b.moving["appointment_id"]  # the time it holds is free to it
    elif b.replacing:
        query["appointment_id"] = b.replacing["appointment_id"]  # cancelled before this one is booked
    if b.vehicle_id and not b.moving:
        query["vehicle_id"] = b.vehicle_id  # the caller's other car may be in at the same time
    return query


def _outside_hours(desk, b, turn):
    """A time the shop is not open that day: say the hours and look at the whole day instead."""
    w = b.when
    opening = desk.state.shop.opening(w.day) if w.day else None
    if w.clock and opening and not opening[0] <= w.clock < opening[1]:
        turn.say(f"On {_weekday_plural(w.day)} we're open from {say_time(opening[0])} to {say_time(opening[1])}.")
        b.when = replace(w, clock=None, part=None)
        return True
    return False


def _part(w):
    if w.clock:
        return "morning" if w.clock.hour < 12 else "afternoon"
    if w.part in ("morning", "afternoon"):
        return w.part
    return "afternoon" if w.part == "evening" else None


def closed_turned_away(desk, b, day, turn):
    reason = desk.state.shop.closed_because(day)
    if reason is None:
        return False
    turn.say(reason)
    following = _next_open_day(desk, day)
    b.suggested_day = following
    if following is None:
        ask_day(desk, b, turn)
    else:
        b.stage, b.when = "day", replace(b.when, day=following, span_days=1, asap=False)
        desk.ask(turn, f"Would {say_day(following)} work instead?")
    return True


def ask_day(desk, b, turn):
    b.stage, b.when = "day", None
    desk.ask(turn, "What other day would work for you?")


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
    if not w.asap and w.span_days == 1 and closed_turned_away(desk, b, w.day, turn):
        return
    found = results.get("get_available_slots") or {}
    if "error" in found:
        return schedule_trouble(desk, b, found, turn)
    minutes = b.minutes = found.get("duration_minutes") or 0
    if b.say_how_long and minutes:  # asked beside the switch to this service
        b.say_how_long = False
        service = spoken_service(b)
        turn.say(f"{service[:1].upper()}{service[1:]} takes about {_say_duration(minutes)}.")
    slots = [s for s in _future(desk, found) if s not in b.taken and not _clashes(b, s, minutes)]
    if not w.asap and w.span_days == 1 and _outside_hours(desk, b, turn):
        w = b.when
        if not slots:  # we asked for the wrong half of the day: ask for all of it
            return check(desk, b, turn)
    if w.clock:
        wanted = datetime.combine(w.day, w.clock)
        free, nearby = _exact(desk, found, wanted)
        if free is None:
            sampled = found.get("more_available") and slots and slots[0] < wanted < slots[-1]
            free = wanted in slots or bool(sampled)
        if free and wanted not in b.taken and not _clashes(b, wanted, minutes):
            return choose(desk, b, wanted, turn)
        slots = sorted({*slots, *(s for s in nearby if s not in b.taken and not _clashes(b, s, minutes))})
        closest = min(slots, key=lambda s: abs(s - wanted), default=None)
        lunch = desk.state.shop.at_lunch(wanted)
        if w.roughly and closest is not None and abs(closest - wanted) <= ROUGHLY:
            # "like nine, I'm not picky": the nearest free time, put to them as one
            said = f"I don't have {say_time(w.clock)}"
            if lunch:
                said = f"We're closed for lunch from {say_time(lunch[0])} to {say_time(lunch[1])}"
            turn.say(f"{said}, but {say_time(closest.time())} is open.")
            return choose(desk, b, closest, turn)
        if slots:
            nearest = sorted(sorted(slots, key=lambda s: abs(s - wanted))[:MOST_OFFERED])
            sorry = f"I'm sorry, {say_time(w.clock)} isn't available on {say_day(w.day)}."
            if lunch:
                sorry = f"I'm sorry, we're closed for lunch from {say_time(lunch[0])} to {say_time(lunch[1])}."
            return offer(desk, b, nearest, turn, f"{sorry}{_too_long(desk, wanted, found)}")
    else:
        if w.after and w.day:  # the window's own start and the free starts nearest it, beyond the sample
            free, nearby = _exact(desk, found, datetime.combine(w.day, w.after))
            near = [*nearby, datetime.combine(w.day, w.after)] if free else nearby
            near = [s for s in near if s > desk.now() and s not in b.taken and not _clashes(b, s, minutes)]
            slots = sorted({*slots, *near})
        fitting = [s for s in slots if fits(w, s)]
        if fitting and w.edge and not w.asap:  # "first thing", "the end of the day": that one time
            return offer(desk, b, [fitting[0] if w.edge == "first" else fitting[-1]], turn, "")
        if fitting:
            return offer(desk, b, _spread(fitting, w), turn, "")
    _look_further(desk, b, turn, found)


def _exact(desk, found, wanted):
    """(free, nearest free starts either side) from the answer about the exact time asked for;
    (None, []) when the result has no such answer."""
    exact = found.get("requested")
    if not isinstance(exact, dict) or exact.get("start") is None:
        return None, []
    try:
        if local_time(exact["start"]) != wanted:
            return None, []
    except (TypeError, ValueError):
        return None, []
    nearby = _future(desk, {"slots": [exact.get("nearest_before"), exact.get("nearest_after")]})
    return exact.get("free") is True, nearby


def _too_long(desk, wanted, found):
    """ " It takes about 3 hours, and we close at 5 PM." when that is why a time does not work."""
    opening = desk.state.shop.opening(wanted.date())
    minutes = found.get("duration_minutes") or 0
    if not opening or not minutes or (wanted + timedelta(minutes=minutes)).time() <= opening[1]:
        return ""
    return f" It takes about {_say_duration(minutes)}, and we close at {say_time(opening[1])}."


def _say_duration(minutes):
    """90 -> "an hour and a half", 120 -> "2 hours", 45 -> "45 minutes"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    length = "an hour" if hours == 1 else f"{hours} hours"
    if rest:
        length += " and a half" if rest == 30 else f" {rest} minutes"
    return length


def _clashes(b, start, minutes):
    """Would `start` overlap what this call already booked for the caller (for the same car, or
    either with no car named: two cars may be dropped off together)?"""
    end = start + timedelta(minutes=minutes)
    return any(
        start < busy_end and busy_start < end and (car is None or b.vehicle_id is None or car == b.vehicle_id)
        for busy_start, busy_end, car in b.busy
    )


def _nothing_left_today(desk, b, found):
    """Why a day asked for that is today has nothing free: the truth, not "fully booked"."""
    now, w = desk.now(), b.when
    opening = desk.state.shop.opening(now.date())
    closes = opening[1] if opening else None
    closed = closes is not None and now.time() >= closes
    if w.part == "morning" and now.hour >= 12:
        return "This morning is already over" + (", and we're closed for the rest of today." if closed else ".")
    if closed:
        return "We've already closed for today."
    minutes = found.get("duration_minutes") or 0
    if closes and minutes and (now + timedelta(minutes=minutes)).time() > closes:
        return f"It's too late to fit {spoken_service(b)} in today; we close at {say_time(closes)}."
    return "I'm sorry, I don't have anything left today."


def _look_further(desk, b, turn, found=None):
    w = b.when
    first = desk.today() if w.asap else w.day
    last = first + timedelta(days=(7 if w.asap else w.span_days) - 1)
    if w.asap:
        turn.say("I'm sorry, I don't see anything open in the next week.")
        return _nothing_soon(desk, b, turn)
    if (first - desk.today()).days > FAR_AHEAD_DAYS:
        turn.say(f"I'm sorry, I don't have anything open on {say_day(first)}; we may not be booking that far ahead.")
        return ask_day(desk, b, turn)
    span = say_day(first) if last == first else "that week"
    part = f" in the {w.part}" if w.part and last == first else ""
    if first == last == desk.today():
        turn.say(_nothing_left_today(desk, b, found or {}))
    else:
        turn.say(f"I'm sorry, we're fully booked on {span}{part}.")
    query = _query(b, last + timedelta(days=1), 7)
    if w.clock:
        query.pop("part_of_day", None)
    b.when = replace(w, day=last + timedelta(days=1), span_days=7)
    turn.call("get_available_slots", **query)
    turn.then = alternatives


def alternatives(desk, results, turn):
    b = desk.state.task
    if not isinstance(b, Booking):
        return
    found = results.get("get_available_slots") or {}
    if "error" in found:
        return schedule_trouble(desk, b, found, turn)
    minutes = found.get("duration_minutes") or b.minutes
    slots = [s for s in _future(desk, found) if fits(replace(b.when, clock=None), s) and not _clashes(b, s, minutes)]
    if not slots:
        turn.say("I don't see anything open the week after either.")
        return _nothing_soon(desk, b, turn)
    offer(desk, b, slots[:MOST_OFFERED], turn, "The nearest openings are")


def _nothing_soon(desk, b, turn):
    desk.state.task = None
    desk.state.unclear = f"Caller wants {spoken_service(b)} but found no free time soon."
    messages.offer(desk, turn, "I can take a message for an advisor to find you a time. Would you like that?")


AGAIN = "Would one of those work, or shall I look at another day?"


def offer(desk, b, slots, turn, intro):
    b.offered = list(slots)
    b.stage = "offered"
    b.misses = 0
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
    question = "Would that work?" if len(slots) == 1 else "Which works best for you?"
    still = f"Those are still the times I have: {listing}."
    again = desk.state.last_said.endswith((f"{sentence} {question}", f"{still} {AGAIN}"))
    b.same_offers = b.same_offers + 1 if again else 0
    if b.same_offers >= 3:  # the caller and I are going round in circles: an advisor instead
        turn.say("I'm sorry, I'm not getting this right over the phone.")
        return offer_message(desk, turn, b)
    if b.same_offers == 2:  # never the same offer three times running
        sentence, question = still, AGAIN
    turn.say(sentence)
    desk.ask(turn, question)


def schedule_trouble(desk, b, result, turn):
    if result.get("code") == "waiter_not_allowed" and b.waiter:
        turn.say(result["error"])
        b.waiter = False
        return check(desk, b, turn)
    turn.say("I'm sorry, I can't get into the schedule right now.")
    offer_message(desk, turn, b)


def pick(u, offered, *, near=None):
    """The offered time the caller chose ("the first one", "the 10:30", "whatever's earliest",
    "the one on Thursday", "any of those", "whichever's closest" to `near` or the time they say),
    or None."""
    if not offered:
        return None
    said, w = u.said, u.when
    if w.day and not any(s.date() == w.day for s in offered):
        return None  # another day altogether
    target = w.clock or near
    if target and has_any(said, CLOSEST):
        return min(offered, key=lambda s: (abs(datetime.combine(s.date(), target) - s), s))
    if not w.clock and (w.part or w.after or w.before) and not any(fits(w, s) for s in offered):
        return None  # "mornings are best, early as you've got" to afternoon times: another part of the day
    if not w.clock:
        if has_any(said, FIRST) or w.edge == "first":
            return offered[0]
        if has_any(said, LAST) or w.edge == "last":
            return offered[-1]
        for n, words in ((2, ("second", "2nd", "2 nd")), (3, ("third", "3rd", "3 rd"))):
            if has_any(said, words) and len(offered) >= n:
                return offered[n - 1]
        if has_any(said, ("middle one", "the middle")) and len(offered) == 3:
            return offered[1]
        vague = not (w.day or w.part or w.after or w.before)
        if vague and has_any(said, ANY):
            return offered[0]
        if has_any(said, ANY):  # "Tuesday morning, whatever's open": the first of those that fit
            fitting = [s for s in offered if fits(w, s) and w.day in (None, s.date())]
            if fitting:
                return fitting[0]
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


def _future(desk, found):
    now = desk.now()
    slots = []
    for slot in found.get("slots") or []:
        try:
            moment = local_time(slot["start"])
        except (KeyError, TypeError, ValueError):
            continue
        if moment > now:
            slots.append(moment)
    return sorted(slots)


def fits(w, slot):
    """Does `slot` fall in the part of the day and the window `w` asks for?"""
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
