"""Booking a service, or moving an appointment: service, day and time, read-back, and a clear
yes before anything is written. Looking at the schedule and offering times is schedule.py; the
read-back itself, readback.py."""

import re
from dataclasses import replace
from datetime import timedelta

from calls.agent.scripted import messages, schedule
from calls.agent.scripted.appointment_words import CANCEL_CLAUSE, SAME_TIME, move_target, names_one_cancelled
from calls.agent.scripted.booking_words import (
    ADDED,
    ADDING,
    AFTER_IT,
    HELD,
    NOT_A_SWAP,
    REFERS_BACK,
    SWAPS,
    asked_about_only,
    cars_per_request,
    name_in_first_clauses,
    named_instead,
    requests_named,
    services_named,
    vehicle_named,
    vehicles_meant,
)
from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.intents import I_CALL_BACK, NOT_NOW, asks_whether_to_wait, detect, drops_off, waits_at_shop
from calls.agent.scripted.names import heard_name, remember
from calls.agent.scripted.readback import choose, confirm, offer_message, spoken_service
from calls.agent.scripted.services import is_symptom, match_service, names, unlisted_job
from calls.agent.scripted.speech import is_plural, say_list, say_moment, say_time, service_phrase
from calls.agent.scripted.state import Booking
from calls.agent.scripted.tool_times import iso, local_time
from calls.agent.scripted.when import When, parse_when
from calls.agent.scripted.words import has_any, latest_statement, normalize

RETRY_CODES = ("slot_taken", "outside_hours", "customer_overlap")


def start(desk, u, turn, *, service=None):
    caller, current = desk.state.caller, desk.state.task
    if current is None and service is None and _changes_just_booked(desk, u, turn):
        return
    if isinstance(current, Booking) and not current.moving and not (service or u.service):
        return _carry_on(desk, current, u, turn)  # "I need to get it in": the booking in hand goes on
    if not caller.caller_id:
        return messages.without_caller_id(desk, turn, u, "I'm sorry, I can't book appointments without caller ID.")
    b = Booking(
        service=service or u.service,
        waiter=waits_at_shop(u.text),
        drop_off=drops_off(u.text),
        wait_asked=asks_whether_to_wait(u.text),
    )
    if b.service is None and desk.state.offer_service and BACK_TO_IT.search(u.said):
        b.service = desk.state.offer_service  # "never mind" to the brake price, then "they're loud, get me in"
    own_whens = []
    if service is None:
        requests = requests_named(u.text, desk.service_names(), desk.today())
        if len(requests) > 1:  # "... and what do you charge for the A/C? I'm not doing that now": no booking
            only_asked = asked_about_only(u.text, desk.service_names())
            requests = [r for r in requests if r[0] not in only_asked] or requests
        named = [name for name, _ in requests]
        if len(named) > 1 and b.service in named:  # "an oil change and a tire rotation": one after the other
            b.service, b.also = named[0], named[1:]
            days = {w.day for _, w in requests if w.day}
            if len(days) > 1:  # "an inspection Monday at eight and an alignment Wednesday": each its own
                own_whens = [w if w.said_anything else None for _, w in requests]
    if b.service is None:
        b.unlisted = unlisted_job(u.text, desk.service_names())
    if b.service and is_symptom(u.text):
        b.notes = u.text[:500]
    if u.when.said_anything:
        b.when = u.when
    elif desk.state.last_booked and service is None and has_any(u.said, SAME_VISIT):
        # "Oh, and while it's in, could you also do an oil change?": the same visit, after the one booked
        start_at = local_time(desk.state.last_booked["start"])
        end = start_at + timedelta(minutes=desk.state.last_booked.get("minutes") or 0)
        b.when = When(day=start_at.date(), clock=end.time()) if end > start_at else When(day=start_at.date())
        b.vehicle_id = desk.state.last_booked.get("vehicle_id")
        b.vehicle = desk.state.last_booked.get("vehicle")
    if own_whens:
        b.when = own_whens[0] or b.when
        b.also_details = [{"when": w} for w in own_whens[1:]]
    vehicle = vehicle_named(latest_statement(u.said), caller.vehicles)  # "the Camry. No, wait, the truck"
    vehicle = vehicle if vehicle is not None else vehicle_named(u.text, caller.vehicles)
    whose = SOMEONE_ELSES.search(u.said) if vehicle is None else None
    if whose:  # "this is actually for my mom's car, not mine": not the one car on file
        b.whose_car = f"your {whose['who']}'s {whose['kind']}"
    elif vehicle is None and (whose := SOMEONE_ELSES_SAID.search(u.said)):
        # "this isn't for my car, it's for my husband's ... His Jeep needs brake pads"
        named = car_in(u.text)
        kind = named.make if named and named.make and not _a_make_on_file(named.make, caller.vehicles) else "car"
        b.whose_car = f"your {whose['who']}'s {kind}"
    if vehicle is None and len(caller.vehicles) == 1 and not whose:
        vehicle = caller.vehicles[0]
    per_car = cars_per_request(u.text, desk.service_names(), caller.vehicles) if b.also else {}
    if b.service in per_car:  # "the Camry needs an oil change and the truck's due for its inspection"
        vehicle = per_car[b.service]
        details = b.also_details or [{} for _ in b.also]
        b.also_details = [
            {**d, "vehicle": per_car[s]} if s in per_car else d for s, d in zip(b.also, details, strict=True)
        ]
    several = vehicles_meant(u.text, caller.vehicles) if vehicle is None and b.service and not b.also else []
    if several:  # "oil changes on both cars": the same service once for each
        vehicle = several[0]
        b.also = [b.service] * (len(several) - 1)
        b.also_details = [{"vehicle": v} for v in several[1:]]
    car = _car_not_on_file(desk, u.text) if not several else None
    if car is not None:  # "my husband's 2014 Ram 1500, put it under me": added to the caller, then booked
        vehicle, b.new_car, b.vehicle = None, car, car.spoken
    if vehicle is not None:
        b.vehicle_id, b.vehicle = vehicle.get("vehicle_id"), vehicle.get("vehicle")
    desk.state.task = b
    advance(desk, b, turn)


# A car of a relative's or a friend's, named by no make or model ("my mom's car", "my son's truck").
SOMEONE_ELSES = re.compile(
    r"\b(?:my|our) (?P<who>mom|mum|mother|dad|father|wife|husband|son|daughter|kid|sister|brother|grandma"
    r"|grandmother|grandpa|grandfather|aunt|uncle|girlfriend|boyfriend|partner|fiancee?|neighbou?r|friend|roommate"
    r"|mother-in-law|father-in-law|stepdad|stepmom|boss)'s (?P<kind>car|truck|van|minivan|suv|vehicle|jeep)\b"
)
# ... or told apart from the car: "it's for my husband's, he's hopeless on the phone. His Jeep ..."
SOMEONE_ELSES_SAID = re.compile(
    r"\b(?:for|it's|its|it is|this is) (?:my|our) (?P<who>mom|mum|mother|dad|father|wife|husband|son|daughter|kid"
    r"|sister|brother|grandma|grandmother|grandpa|grandfather|aunt|uncle|girlfriend|boyfriend|partner|fiancee?"
    r"|neighbou?r|friend|roommate|mother-in-law|father-in-law|stepdad|stepmom|boss)'s\b"
    r"(?! (?:appointment|name|number|phone|birthday|account|place|house|work|job)\b)"
)


def _a_make_on_file(make, vehicles):
    return any(normalize(make) in normalize(v.get("vehicle") or "") for v in vehicles)


SAME_VISIT = ("while it's in", "while it's there", "while it is in", "while it's at the shop", "same visit",
              "while you have it", "while you've got it", "while the car's there", "same time")  # fmt: skip
BACK_TO_IT = re.compile(r"\b(?:it|that|them|they|they're|those|that one)\b")


def moves_one_held(desk, u):
    """An appointment the caller has, named by its day, with another day asked for (see HELD)."""
    state = desk.state
    if not (state.appointments if state.appointments is not None else state.caller.upcoming):
        return False
    held = HELD.search(u.said)
    if held is None or has_any(u.said, ADDED):
        return False
    today = desk.today()
    was, wanted = parse_when(held[0], today), parse_when(u.said[held.end() :], today)
    return bool(was.day and wanted.day and wanted.day != was.day)


def _car_not_on_file(desk, text):
    """The car the caller names by make and model ("a 2014 Ram 1500") when it is none of theirs on file."""
    if not desk.can("add_vehicle"):
        return None
    car = car_in(text)
    if car is None or not car.model or not car.make:
        return None
    vehicles = desk.state.caller.vehicles
    if vehicle_named(text, vehicles) is not None:
        return None
    spoken = normalize(car.spoken)
    for v in vehicles:
        on_file = normalize(v.get("vehicle") or "")
        if normalize(car.model) in on_file or (car.make and normalize(car.make) in on_file and not car.year):
            return None
    return car if spoken else None


def takes_back_to(desk, task, u):
    """ "Scratch that, make it Monday" at a booking: a new day or time instead, not a drop."""
    if not isinstance(task, Booking) or task.stage not in ("day", "offered", "confirm"):
        return False
    later = latest_statement(u.said)
    if later == u.said or has_any(later, ("call back", "call you back", "another time", "some other time")):
        return False
    return parse_when(later, desk.today()).said_anything


def _changes_just_booked(desk, u, turn):
    """ "Can we make that three thirty instead?" right after a booking: the one just made moves.
    "Make it a tire rotation instead, same time": another service takes its place."""
    done = desk.state.last_booked
    if not done:
        return False
    if _swapped_in(desk, u, done):
        return _replace_just_booked(desk, u, done, turn)
    if not u.when.said_anything or not has_any(u.said, REFERS_BACK):
        return False
    if u.service and u.service != done["service"] and not has_any(u.said, REFERS_BACK[:13]):
        return False  # "an oil change too, same time Thursday": another booking, not this one moved
    start_at = local_time(done["start"])
    asked = done.get("when") or When()  # the window the caller gave ("between 9 and 11") still holds
    window = When(day=start_at.date(), part=asked.part, after=asked.after, before=asked.before)
    when = u.when.merged_over(window)
    if u.when.day is None and u.when.clock is None and not u.when.part:
        return False
    start_move(desk, done, when, turn)
    return True


def _swapped_in(desk, u, done):
    """The service named in place of the one just booked ("swap the oil change for a rotation"), or None."""
    if not has_any(u.said, SWAPS) or has_any(u.said, NOT_A_SWAP):
        return None
    names = desk.service_names()
    instead = named_instead(u.said, names)  # "I need an alignment instead of the rotation"
    if instead and instead != done["service"]:
        return instead
    named = [n for n in services_named(u.said, names) if n != done["service"]]
    for piece in re.split(r"\b(?:for|with|to|instead of|and)\b", latest_statement(u.said)):  # "swap X for Y"
        service = match_service(piece, names) if piece.strip() else None
        if service and service != done["service"] and service not in named:
            named.append(service)
    if u.service and u.service != done["service"] and u.service in named:
        return u.service
    return named[-1] if named else None


def _replace_just_booked(desk, u, done, turn):
    service = _swapped_in(desk, u, done)
    start_at = local_time(done["start"])
    when = When(day=start_at.date(), clock=start_at.time())  # "same time" unless another is said
    if u.when.said_anything:
        when = u.when.merged_over(when)
    caller = desk.state.caller
    b = Booking(service=service, when=when, replacing=done, waiter=waits_at_shop(u.text))
    vehicle = caller.vehicles[0] if len(caller.vehicles) == 1 else None
    if done.get("vehicle_id"):
        b.vehicle_id, b.vehicle = done.get("vehicle_id"), done.get("vehicle")
    elif vehicle is not None:
        b.vehicle_id, b.vehicle = vehicle.get("vehicle_id"), vehicle.get("vehicle")
    desk.state.task = b
    advance(desk, b, turn)
    return True


def _carry_on(desk, b, u, turn):
    if u.when.said_anything:
        b.when = u.when.merged_over(b.when)
        b.chosen, b.offered = None, []
        return advance(desk, b, turn)
    desk.ask(turn, desk.state.task_question or "What day would you like to bring it in?")


def start_move(desk, appointment, when, turn, *, said=""):
    b = Booking(service=appointment["service"], moving=appointment, when=when if when.said_anything else None)
    added = _added_with_move(desk, appointment, said)
    if added:  # "move my rotation to Thursday and add an oil change right after it"
        b.also = [added]
        b.also_details = [{"after": has_any(normalize(said), AFTER_IT)}]
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
        if b.unlisted:  # "do you guys offer towing? my buddy's car needs to come in": no "Sure" to that
            intro, b.unlisted = f"I don't see anything for {b.unlisted} on our list of services.", None
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
    if b.stage != "name" or has_any(u.said, (*schedule.FIRST, *schedule.LAST, "second", "third")):
        return False  # "the first one" is no name
    name = heard_name(u.text) or name_in_first_clauses(u.text)
    if name is None:
        return False
    said_before = b.new_name
    if b.full_name_asked and said_before and len(name.full.split()) == 1 and name.full != said_before:
        name = replace(name, full=f"{name.full} {said_before}")  # "Eleanor", after "Mrs. Pruitt"
    remember(desk, name)  # b.new_name too; a spelled name is spelled back in the read-back
    car = _car_not_on_file(desk, u.text) if not (b.vehicle_id or b.new_car or b.also) else None
    if car is not None:  # "Theo Marchetti ... And it's a 2017 Nissan Altima": not asked again after
        b.new_car, b.vehicle, b.whose_car = car, car.spoken, None
    confirm(desk, b, turn)
    return True


def answer(desk, b, u, turn):
    if u.yes and desk.state.awaiting == "take_message":
        return False  # a yes to the offer of a message, not to the booking
    if b.moving and u.intent == "reschedule" and b.stage in ("day", "offered"):
        # "Move tomorrow's brake appointment to Monday afternoon" said again: the day it goes to
        target = move_target(u.text, b.moving, desk.today())
        if target is not None and target.said_anything:
            u = replace(u, when=target)
    if b.moving and names_one_cancelled(u.text, desk.state.cancelled, b.moving, desk.today(), desk.service_names()):
        u = desk.utterance(CANCEL_CLAUSE.sub(" ", u.text, count=1))  # "Yes. Cancel Friday, brakes Wednesday at one."
    misses = b.misses
    u = _about_this_one(desk, b, u)
    if _other_vehicle(desk, b, u, turn) or _a_car_not_on_file(desk, b, u, turn):
        return True
    if _answer(desk, b, u, turn):
        if b.misses == misses:
            b.misses = 0  # the booking moved on
        return True
    if b.stage in ("day", "offered", "confirm") and not (u.intent or u.service or u.when.said_anything):
        return _unclear(desk, b, u, turn)
    return False


ALSO_THIS = ("also", "too", "as well", "while it's in", "while it's there", "while you're at it", "same visit", "add")


def _answer(desk, b, u, turn):
    stage = b.stage
    if (
        stage in ("service", "day", "offered")
        and not b.moving
        and not (u.yes or u.when.said_anything)
        and (has_any(u.said, NOT_NOW) or has_any(u.said, I_CALL_BACK))
    ):  # "Not yet for the alignment. I'll call back once I check my schedule.": no day asked again
        desk.state.task = None
        turn.say("No problem. Just give us a call when you're ready to book.")
        desk.anything_else(turn)
        return True
    if b.busy and not b.moving and u.no and not u.when.said_anything and _put_off(u, b.service):
        # "No, no A/C for now, just the check engine light": the next one of the breath is not wanted
        desk.state.task = None
        turn.say(f"No problem, I won't book {spoken_service(b)}.")
        desk.anything_else(turn)
        return True
    if stage == "confirm" and _adds_another(b, u):
        # "Yeah, that's great, oh, and could you also rotate the tires while it's in there?"
        b.also = [*b.also, u.service]
        b.also_details = [*b.also_details, {"after": True}]
        if u.yes:
            write(desk, b, turn)
        else:
            confirm(desk, b, turn)
        return True
    both = stage == "confirm" and u.yes and b.service and names(u.text, b.service)  # "yeah, oil change on the
    if u.service and u.service != b.service and not b.moving and not both:  # Camry, rotation on the truck"
        if not (stage == "offered" and _picked(b, u)):
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
        if b.suggested_day and u.when.asap and not u.when.day and AFTER_THAT.search(u.said):
            # "what's the soonest you've got after that?" to "Would Friday work instead?": Friday, earliest
            b.when = replace(u.when, day=b.suggested_day, span_days=1, asap=False, browsing=False, edge="first")
            b.suggested_day = None
            advance(desk, b, turn)
            return True
        if u.when.said_anything:
            b.suggested_day = None
            when = u.when
            if b.moving and not when.clock and has_any(u.said, SAME_TIME):  # "Friday, same time if possible"
                when = replace(when, clock=local_time(b.moving["start"]).time(), part=None)
            b.when = when.merged_over(b.when)
            advance(desk, b, turn)
            return True
        return False
    if stage == "offered":
        picked = _picked(b, u)
        if picked:
            choose(desk, b, picked, turn)
            return True
        if u.when.said_anything:
            base = b.when
            if len({s.date() for s in b.offered}) == 1:
                base = replace(base, day=b.offered[0].date(), span_days=1, asap=False)
            when = u.when.merged_over(base)
            if has_any(u.said, schedule.ANY) and not (when.clock or when.edge or when.asap):
                when = replace(when, edge="first")  # "Thursday afternoon, whatever's open": its first time
            nearest = _nearest_offered(b, when)
            if nearest is not None and when == b.when:
                # "Thursday, around noon, either side of lunch is fine", asked again to the times
                # offered for it: the one nearest, not the same offer round and round
                choose(desk, b, nearest, turn)
                return True
            b.when = when
            advance(desk, b, turn)
            return True
        if u.no:
            b.stage, b.when = "day", None
            desk.ask(turn, "No problem. What other day or time would work for you?")
            return True
        if u.yes:
            if b.misses:  # asked which already: the earliest, read back before anything is booked
                turn.say("Let's go with the earliest, then.")
                choose(desk, b, b.offered[0], turn)
                return True
            b.misses += 1
            times = say_list([say_time(s.time()) for s in b.offered])
            desk.ask(turn, f"Great. Which time works best: {times}?")
            return True
        return False
    if stage == "name":
        return False
    if stage == "confirm":
        return _confirmed(desk, b, u, turn)
    return False


WHICH_WEEK = re.compile(r"\b(?:next|this|coming|week|weeks|today|tomorrow)\b|\d(?:st|nd|rd|th)\b")
PUT_OFF = (*NOT_NOW, "for now", "just the", "only the", "skip", "don't need", "don't want", "never mind", "forget",
           "not doing", "no need", "leave the", "leave it", "hold off", "next time")  # fmt: skip


def _put_off(u, service):
    """ "No, no A/C for now, just the check engine light": that one is not wanted (not "no, the
    rotation's for the truck", which says which car)."""
    return names(u.text, service) and has_any(u.said, PUT_OFF)


def _adds_another(b, u):
    """Another service asked for beside the one read back, not instead of it."""
    return bool(
        u.service and u.service != b.service and u.service not in b.also and not b.moving
        and has_any(u.said, ALSO_THIS) and not has_any(u.said, ("instead", "rather", "not the", "change it"))
    )  # fmt: skip


def _about_this_one(desk, b, u):
    """Of "eight Monday for the inspection, and the first one Wednesday for the alignment", the part
    about the service being booked now."""
    if b.moving or not b.service or u.service == b.service and not b.also:
        return u
    said = latest_statement(u.said)
    pieces = [p for p in re.split(r"\b(?:and also|and then|and|plus|also|as well as)\b", said) if p.strip()]
    names = desk.service_names()
    ours = [p for p in pieces if match_service(p, names) == b.service]
    if len(pieces) < 2 or len(ours) != 1 or all(match_service(p, names) in (None, b.service) for p in pieces):
        return u
    piece = ours[0].strip()
    return replace(
        u, text=piece, said=piece, service=b.service,
        when=parse_when(piece, desk.today(), expect_time=b.stage in ("day", "offered", "confirm")),
    )  # fmt: skip


def _picked(b, u):
    near = b.when.clock if b.when else None
    picked = schedule.pick(u, b.offered, near=near)
    if picked is None and u.first_choice is not None:  # "Eleven, if that's open. Otherwise after lunch."
        picked = schedule.pick(u.first_choice, b.offered, near=near)
    return picked


SWITCHED = ("instead", "rather", "make it", "switch", "change it", "swap")


def switched_and_asked_how_long(desk, b, u, turn):
    """ "Can we make it a coolant flush instead of the oil change? Still Monday morning. How long
    does a coolant flush take?": the booking takes the new service, and how long it takes is said
    with its times (True); not a switch with a question (False)."""
    if b.moving or b.stage not in ("day", "offered", "confirm") or not has_any(u.said, SWITCHED):
        return False
    told = " ".join(s for s in re.split(r"(?<=[.?!])\s+", u.text) if detect(s) != "duration").strip()
    # the service switched to, in the words that switch: not "since the rotation last time" after them
    switch = next((c for c in map(normalize, re.split(r"[.,;!?]", told)) if has_any(c, SWITCHED)), "")
    names = desk.service_names()
    target = named_instead(switch, names) or match_service(switch, names)
    if not target or target == b.service:
        return False
    rest = desk.utterance(told)
    if rest.when.said_anything:  # "Same afternoon.", "Still Monday morning."
        b.when = rest.when.merged_over(b.when)
    elif b.chosen:
        b.when = When(day=b.chosen.date(), clock=b.chosen.time())
    b.service, b.chosen, b.offered, b.say_how_long = target, None, [], True
    advance(desk, b, turn)
    return True


def _nearest_offered(b, when):
    """Of the times offered on the day asked, the one nearest the time asked (the earlier of two as near)."""
    if not (when.clock and b.offered):
        return None
    on_the_day = [s for s in b.offered if when.day in (None, s.date())]
    if not on_the_day:
        return None
    wanted = when.clock.hour * 60 + when.clock.minute
    return min(on_the_day, key=lambda s: (abs(s.hour * 60 + s.minute - wanted), s))


def about_this(b, u):
    """A question about "that" while booking (its price) is about the service being booked."""
    if not isinstance(b, Booking) or u.service or not b.service:
        return u
    return replace(u, text=f"{u.text} ({b.service})", service=b.service)


def _unclear(desk, b, u, turn):
    """An answer that fits nothing: the receptionist asks once more; the second time running the
    question gets simpler (the earliest time, a plain yes or no); after that, a message for an advisor."""
    if desk.state.misses < 1:
        return False  # "Sorry, I didn't catch that", and the question again
    b.misses += 1
    if b.stage == "offered" and len(b.offered) > 1:
        schedule.offer(desk, b, b.offered[:1], turn, "Let me make it simple: the earliest")
        return True
    if b.stage == "day" and b.misses == 1 and not b.moving:
        turn.say("Let me look for the earliest time I have.")
        b.when = When(asap=True)
        advance(desk, b, turn)
        return True
    if b.stage == "confirm" and b.misses == 1:
        booking = f"{spoken_service(b)} on {say_moment(b.chosen)}"
        desk.ask(turn, f"Sorry, just so I get it right: shall I book {booking}, yes or no?")
        return True
    turn.say("I'm sorry, I'm not getting this right over the phone.")
    offer_message(desk, turn, b)
    return True


def _other_vehicle(desk, b, u, turn):
    """ "It's for the truck": another of the caller's vehicles, taken without losing the place."""
    vehicle = vehicle_named(u.text, desk.state.caller.vehicles)
    if vehicle is None or vehicle.get("vehicle_id") == b.vehicle_id or b.moving:
        return False
    b.vehicle_id, b.vehicle = vehicle.get("vehicle_id"), vehicle.get("vehicle")
    if u.when.said_anything or u.service or u.yes or u.no or (b.stage == "offered" and _picked(b, u)):
        return False  # the rest of the answer still counts
    if b.stage == "confirm":
        confirm(desk, b, turn)
    elif desk.state.task_question:
        desk.ask(turn, f"Got it, the {b.vehicle}. {desk.state.task_question}")
    else:
        return False
    return True


def _a_car_not_on_file(desk, b, u, turn):
    """ "No, not my CR-V, it's his Jeep. A 2014 Jeep Grand Cherokee." to the read-back naming the
    caller's one car on file: the car named (or "your son's car", asked after) instead, read back."""
    if b.stage != "confirm" or b.moving or b.replacing or not b.vehicle_id or b.also:
        return False
    car = _car_not_on_file(desk, u.text)
    whose = SOMEONE_ELSES.search(u.said) or SOMEONE_ELSES_SAID.search(u.said)
    if car is None and whose is None:
        return False
    b.vehicle_id = None
    if car is not None:
        b.new_car, b.vehicle, b.whose_car = car, car.spoken, None
    else:
        b.vehicle, b.whose_car = None, f"your {whose['who']}'s {whose.groupdict().get('kind') or 'car'}"
    if u.when.said_anything and not _confirms_the_time(b, u):
        return False  # "... and make it Saturday": the rest of the answer still counts
    confirm(desk, b, turn)
    return True


def _confirms_the_time(b, u):
    w = u.when
    return w.day in (None, b.chosen.date()) and w.clock in (None, b.chosen.time())


def _confirmed(desk, b, u, turn):
    w = u.when
    same = w.day in (None, b.chosen.date()) and w.clock in (None, b.chosen.time()) and not w.asap
    same = same and schedule.fits(w, b.chosen)  # "I meant the afternoon" at a morning read-back
    if u.yes and not (w.day or w.clock or w.part or w.after or w.before):
        same = True  # "Yes, the earliest one, book it." to the earliest time read back
    if u.yes and w.clock and b.when and w.clock == b.when.clock and w.day in (None, b.chosen.date()):
        same = True  # "Thursday around noon, go ahead" to 1 PM, the nearest to noon read back for it
    if (
        u.yes
        and w.day
        and w.day.weekday() == b.chosen.weekday()
        and w.clock in (None, b.chosen.time())
        and not WHICH_WEEK.search(u.said)  # "yes, Tuesday next week at ten" to Tuesday the 15th is no yes
    ):
        same = same or not (
            w.asap or w.after or w.before or (w.part and not w.clock)
        )  # "yes, the Wednesday after, at eight"
    if (
        u.yes
        and w.day
        and (b.chosen.date() - w.day).days == 7
        and w.clock in (None, b.chosen.time())
        and re.search(r"\bnext (?:week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", u.said)
    ):
        same = True  # "Yes, next Thursday at ten-thirty" to next week's Thursday read back: that one, not this one
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
    if b.moving and b.chosen == local_time(b.moving["start"]):  # nothing to change: say so, truthfully
        desk.state.task = None
        turn.say(
            f"Your {spoken_service(b, article=False)} is already on {say_moment(b.chosen)}, so nothing needs to change."
        )
        desk.anything_else(turn)
        return True
    if b.moving:
        turn.call("reschedule_appointment", appointment_id=b.moving["appointment_id"], new_start=iso(b.chosen))
        turn.then = moved
        return True
    if not desk.state.caller.on_file:
        email = desk.state.caller.email
        turn.call("create_customer", name=b.new_name, **({"email": email} if email else {}))
        turn.then = customer_created
        return True
    if b.new_car is not None and not b.vehicle_id:
        turn.call("add_vehicle", **_car_arguments(b.new_car))
        turn.then = car_added
        return True
    if b.replacing:  # the one it replaces goes first: the caller's own booking must not block it
        turn.call("cancel_appointment", appointment_id=b.replacing["appointment_id"], reason=f"Changed to {b.service}")
        turn.then = replaced
        return True
    _book(b, turn)
    return True


def car_added(desk, results, turn):
    """The car named is on the caller's record now: the booking goes on it (or on none, if that failed)."""
    b = desk.state.task
    if not isinstance(b, Booking):
        return desk.anything_else(turn)
    done = results.get("add_vehicle") or {}
    b.new_car = None
    if done.get("vehicle_id"):
        b.vehicle_id, b.vehicle = done["vehicle_id"], done.get("vehicle") or b.vehicle
        desk.state.caller.vehicles.append({"vehicle_id": done["vehicle_id"], "vehicle": b.vehicle})
    else:
        b.vehicle = None
    write(desk, b, turn)


def replaced(desk, results, turn):
    b = desk.state.task
    done = results.get("cancel_appointment") or {}
    if not isinstance(b, Booking):
        return desk.anything_else(turn)
    if not done.get("cancelled"):
        turn.say("I'm sorry, I couldn't change that booking.")
        return offer_message(desk, turn, b)
    b.replacing = None
    desk.state.last_booked = None
    _book(b, turn)


def _book(b, turn):
    arguments = {"service": b.service, "start": iso(b.chosen)}
    if b.vehicle_id:
        arguments["vehicle_id"] = b.vehicle_id
    if b.waiter:
        arguments["waiter"] = True
    notes = " ".join(re.sub(r"\s*\([^()]*\)", "", b.notes or "").split())  # not the "(Oil change)" we noted
    if notes:
        arguments["notes"] = notes
    turn.call("book_appointment", **arguments)
    turn.then = booked


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
        desk.state.last_booked = {
            "appointment_id": done.get("appointment_id"), "service": b.service, "start": done["start"],
            "vehicle_id": b.vehicle_id, "vehicle": b.vehicle, "when": b.when, "minutes": b.minutes,
            # "can I wait, or do I have to leave it?" asked: whether they wait is asked after the car
            "wait_unknown": (b.wait_asked or desk.state.wait_asked_for == b.service)
            and bool(done.get("wait_at_shop"))
            and not (b.waiter or b.drop_off),
        }  # fmt: skip
        turn.say(f"You're all set. {_capital(spoken_service(b))} on {say_moment(local_time(done['start']))}.")
        if desk.state.leaving:  # "Yep, book it. Gotta run, bye!": nothing more asked
            desk.state.leaving = False
            return desk.goodbye(turn)
        if b.also:
            return _book_next(desk, b, local_time(done["start"]), turn)
        if not _follow_up(desk, b, done, turn):
            desk.anything_else(turn)


WHICH_CAR = "And what are you driving? The year, make and model is plenty."
WAIT_OR_DROP = "Will you wait for it, or drop it off?"


def _follow_up(desk, b, done, turn):
    """One question about the booking just made, asked once it is safe (a caller who hangs up
    loses nothing): which car, when that is not known, or else whether they wait for it."""
    caller = desk.state.caller
    if b.moving or b.replacing or (b.busy and not (b.new_name and not b.vehicle_id)):
        return False  # of several booked, no one question; but a new caller's car, once, after the last
    if b.whose_car and not b.vehicle_id and desk.can("add_vehicle"):  # "my mom's car": which it is
        if b.whose_car.endswith(("car", "truck", "van", "minivan", "suv", "vehicle")):
            desk.ask(turn, f"And what is {b.whose_car}? The year, make and model is plenty.")
        else:  # "your husband's Jeep": its make said already
            desk.ask(turn, f"And what year and model is {b.whose_car}?")
        desk.state.awaiting = "new_car"
        return True
    if b.new_name and not b.vehicle_id and desk.can("add_vehicle"):
        desk.ask(
            turn, WHICH_CAR
        )  # a new customer who named no car: what is coming in (before the breath's other request)
        desk.state.awaiting = "new_car"
        return True
    if desk.state.later is not None:
        return False  # the other request of the breath comes first
    if not desk.can("update_appointment"):
        return False
    cars = [v for v in caller.vehicles if v.get("vehicle_id")]
    if caller.on_file and not b.vehicle_id and len(cars) > 1:
        names = [f"the {_short_car(v.get('vehicle') or '')}" for v in cars]
        desk.ask(turn, f"And which car is it for: {say_list(names, 'or')}?")
        desk.state.awaiting = "booking_car"
        return True
    if done.get("wait_at_shop") and not (b.waiter or b.drop_off):
        (desk.state.last_booked or {}).pop("wait_unknown", None)  # asked now, not again after a car
        desk.ask(turn, WAIT_OR_DROP)
        desk.state.awaiting = "wait_or_drop"
        return True
    return False


def _short_car(vehicle):
    """ "2016 Toyota Camry" is "Camry"; a car with no model keeps its make."""
    words = [w for w in vehicle.split() if not w.isdigit()]
    return " ".join(words[1:]) or " ".join(words) or "car"


def car_chosen(desk, u, turn):
    """The answer to "which car is it for?": put on the booking just made (True), or no car of the
    caller's named (False: the words are taken as anything else would be)."""
    vehicles = desk.state.caller.vehicles
    vehicle = vehicle_named(u.text, vehicles)
    if vehicle is None:  # "The Camry I guess, the truck's tires are newer": the one said first
        first = next((c for c in re.split(r"[,.;!?]|\bbecause\b|\bsince\b", u.text) if c.strip()), "")
        vehicle = vehicle_named(first, vehicles)
    booked = desk.state.last_booked or {}
    if vehicle is None or not booked.get("appointment_id"):
        return False
    turn.call("update_appointment", appointment_id=booked["appointment_id"], vehicle_id=vehicle["vehicle_id"])
    turn.then = car_put_on
    return True


def waiting_chosen(desk, u, turn):
    """The answer to WAIT_OR_DROP: waiting is put on the booking just made; dropping off needs no
    change (True), anything else is taken as it would be (False)."""
    booked = desk.state.last_booked or {}
    if not booked.get("appointment_id") or has_any(u.said.replace("oil change", "oil"), CHANGES):
        return False  # "oh wait, did I say Tuesday? I meant Thursday": a change, not an answer
    if drops_off(u.text):  # "I'll drop it off and grab it at lunch"
        turn.say("Sounds good, we'll see you when you drop it off.")
        desk.anything_else(turn)
        return True
    plain = not (u.when.said_anything or (u.service and u.service != booked.get("service")))  # "for the oil change"
    if waits_at_shop(u.text) or (plain and WAITING.search(u.said)):
        turn.call("update_appointment", appointment_id=booked["appointment_id"], waiter=True)
        turn.then = waiting_noted
        return True
    return False


CHANGES = ("scratch", "instead", "actually", "cancel", "change", "move", "switch", "did i say", "i meant")
# "Wait.", "I'll wait", "she can wait", "I'd stay": waiting, said plainly (not "oh wait, ...")
WAITING = re.compile(
    r"^(?:(?:yeah|yes|um|uh|ok|okay|i think|probably|oh)\s+)*"
    r"(?:(?:i'll|ill|i will|we'll|she'll|he'll|they'll|i can|she can|he can|we can|i'd|id)\s+(?:just\s+)?"
    r"(?:wait|stay|be waiting|hang around)\b|(?:wait|waiting)(?:\s+(?:please|there|for it|for the [\w ]+))?$)"
)


def car_put_on(desk, results, turn):
    _details_noted(
        desk, results, turn, lambda done: f"Thanks, I've put the {done.get('vehicle') or 'car'} on the appointment."
    )


def waiting_noted(desk, results, turn):
    _details_noted(desk, results, turn, lambda done: "Great, I've noted that you'll wait for it.")


def _details_noted(desk, results, turn, said):
    done = results.get("update_appointment") or {}
    if done.get("updated"):
        turn.say(said(done))
    elif done.get("code") and done.get("code") not in ("invalid", "not_your_appointment", "not_active"):
        turn.say(done.get("error") or "I couldn't note that.", "Your appointment is still booked.")  # no seat free
    else:
        turn.say("I couldn't note that just now, but the appointment is booked.")
    desk.anything_else(turn)


def car_for_booking(desk, u, turn):
    """The answer to WHICH_CAR: the car goes on the caller's record and on the booking just made
    (True), or nothing was named (False: the words are taken as anything else would be)."""
    car = car_in(u.text)
    booked = desk.state.last_booked or {}
    if car is None or not booked.get("appointment_id"):
        return False
    turn.call("add_vehicle", **_car_arguments(car, appointment_id=booked["appointment_id"]))
    turn.then = car_noted
    return True


def _car_arguments(car, **more):
    """add_vehicle's arguments for a car the caller named, cut to the fields' lengths."""
    arguments = {"make": car.make[:40], **more}
    if car.model:
        arguments["model"] = car.model[:60]
    if car.year:
        arguments["year"] = car.year
    return arguments


def car_noted(desk, results, turn):
    done = results.get("add_vehicle") or {}
    if done.get("vehicle_id"):
        vehicle = done.get("vehicle") or "car"
        desk.state.caller.vehicles.append({"vehicle_id": done["vehicle_id"], "vehicle": vehicle})
        turn.say(f"Thanks, I've put the {vehicle} on the appointment.")
    else:
        turn.say("I couldn't note the car just now, but the appointment is booked.")
    booked = desk.state.last_booked or {}
    if booked.pop("wait_unknown", False) and booked.get("appointment_id") and desk.can("update_appointment"):
        desk.ask(turn, WAIT_OR_DROP)
        desk.state.awaiting = "wait_or_drop"
        return
    desk.anything_else(turn)


def _book_next(desk, b, start, turn):
    """The next service asked for in the same breath, at the time asked, around the one just booked."""
    details = b.also_details[0] if b.also_details else {}
    end = start + timedelta(minutes=b.minutes)
    when = details.get("when") or (When(day=start.date()) if b.moving else b.when) or When(day=start.date())
    if details.get("after") and b.minutes:
        when = When(day=start.date(), clock=end.time())
    vehicle = details.get("vehicle")
    following = Booking(
        service=b.also[0], also=b.also[1:], also_details=b.also_details[1:], when=when, waiter=b.waiter,
        vehicle_id=vehicle.get("vehicle_id") if vehicle else b.vehicle_id,
        vehicle=vehicle.get("vehicle") if vehicle else b.vehicle, new_name=b.new_name,
        busy=[*b.busy, (start, end, b.vehicle_id)],
    )  # fmt: skip
    if b.moving and not following.vehicle_id:
        only = desk.state.caller.vehicles
        if len(only) == 1:
            following.vehicle_id, following.vehicle = only[0].get("vehicle_id"), only[0].get("vehicle")
    desk.state.task = following
    turn.say(f"Now for {spoken_service(following)}.")
    advance(desk, following, turn)


def moved(desk, results, turn):
    b, done = desk.state.task, results.get("reschedule_appointment") or {}
    if _went_through(desk, b, done, "rescheduled", turn):
        desk.state.last_booked = {
            "appointment_id": b.moving.get("appointment_id"), "service": b.service, "start": done["start"],
            "vehicle_id": b.moving.get("vehicle_id") or b.vehicle_id, "vehicle": b.moving.get("vehicle") or b.vehicle,
            "when": b.when,
        }  # fmt: skip
        verb = "are" if is_plural(b.service or "") else "is"
        turn.say(
            f"Done. Your {spoken_service(b, article=False)} {verb} now on {say_moment(local_time(done['start']))}."
        )
        if b.also:
            return _book_next(desk, b, local_time(done["start"]), turn)
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


AFTER_THAT = re.compile(r"\bafter (?:that|then|it|this|the closure|you reopen|you're back)\b")


def dropped(desk, b):
    return "No problem, I'll leave your appointment as it is." if b.moving else "No problem, I won't book anything."


# --- little helpers ---------------------------------------------------------------------


def _added_with_move(desk, appointment, said):
    """A new service asked for while moving another ("and add an oil change"), or None."""
    said = normalize(said)
    if not said or not has_any(said, ADDING):
        return None
    for name in services_named(said, desk.service_names()):
        if name != appointment.get("service"):
            return name
    return None


def _capital(text):
    return text[:1].upper() + text[1:]
