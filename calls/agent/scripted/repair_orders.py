"""The caller's car in the shop: where it stands, what was found and what it is estimated at, when
it can be picked up, going ahead with (or leaving) the work the caller names after a read-back
and a clear yes, and more work asked for while it is in, as a request an advisor prices.

Only get_repair_status says anything about a car: the caller's own, bound to their number. What
the words mean is repair_words.py (which car, what is asked) and work_decisions.py (which lines,
yes or no to each, with work_hints.py: a shop question beside it, "anything under 150", a symptom
for a line); the answer to the read-back and writing it is work_written.py; more work asked for
(and a listed service's price first) is more_work.py; work on two cars decided at once is
several_cars.py; how it is said is repair_speech.py."""

import re

from calls.agent.scripted import decided_work, info, messages, more_work, several_cars, work_written
from calls.agent.scripted.booking_words import vehicle_named
from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.repair_speech import (
    NO_ESTIMATE,
    decision_question,
    estimates_of,
    pickup_when_not_ready,
    priced,
    recommended,
    status_said,
    waiting_lines,
    work_name,
    work_so_far,
)
from calls.agent.scripted.repair_words import (
    IN_SHOP,
    after_hours,
    another_job,
    asks_about_car,
    asks_after_car,
    asks_what,
    order_named,
    orders_named,
    per_car,
    says_in_shop,
    split_request,
    wants_findings,
    wants_pickup,
)
from calls.agent.scripted.speech import say_list
from calls.agent.scripted.state import CarInShop
from calls.agent.scripted.words import has_any, normalize
from calls.agent.scripted.work_decisions import bargains, decides, decision, named_lines, reason_in, thanks_only
from calls.agent.scripted.work_hints import answer_aside, limit_said, price_cap, side_question, under_cap, with_symptoms
from calls.agent.scripted.work_written import UNDECIDED, agrees, narrows, restates, unchanged

OFFER = "I can take a message for an advisor to call you back. Would you like me to do that?"
SERVICED = ("do you", "work on", "service", "can you", "take", "fix")  # "do you work on Fords?" is about the shop
BOTH = ("both", "all my", "my cars", "each of", "all of them", "two cars", "all my cars", "both of them")
RUSH = ("rush", "hurry", "speed it up", "any faster", "any sooner", "need it by", "need the car by", "need it back by")
NEEDED = (
    "necessary", "really need", "do i need", "does it need", "need that", "need it", "padding", "ripping me off",
    "rip off", "why does", "why do", "is it needed", "worth it", "really needed", "upsell",
)  # fmt: skip
TOTAL = (
    "all that", "all of that", "total", "altogether", "all together", "all in", "the whole thing", "damage", "owe",
    "the bill", "come to", "comes to", "add up", "adds up", "for everything", "do everything", "do it all",
    "for all of it", "all of it cost",
)  # fmt: skip
WHEN_BACK = re.compile(
    r"\bwhen (?:am i|do i|will i|can i|are we|do we|will we) (?:get|getting|gonna get) (?:it|him|her|them) back\b"
)
NOT_BOOKING = ("book", "cancel", "reschedule", "list", "vehicle")
THIS_CAR = (
    "my car", "the car", "my truck", "the truck", "on it", "estimate", "you quoted", "you found", "it needs",
    "it need", "you guys found", "the work",
)  # fmt: skip


# "Calling about the truck", "about the estimate", "you called me about the Camry": the car in the shop.
CALLING_ABOUT_IT = re.compile(
    r"\b(?:calling|call|called|ringing) (?:back )?(?:about|regarding|re) (?:the|my|your|our) \w+"
    r"|\b(?:the|your|that) (?:estimate|quote|voicemail|message)\b|\byou (?:guys )?called (?:me|us)\b"
)


def wanted(desk, u):
    """A question about a car in the shop, and the tool to answer it."""
    if not desk.can("get_repair_status"):
        return False
    if u.intent == "status":
        return True
    caller = desk.state.caller
    if u.intent is not None and caller.on_file and not caller.cars_in_shop:
        return False  # "can I bring both my cars in Friday?" from a caller with none in the shop books
    if caller.on_file and not caller.cars_in_shop and u.service and u.when.said_anything:
        return False  # "an oil change and the tires rotated while it's in, Thursday?": a booking
    if caller.on_file and not caller.cars_in_shop and u.service and desk.state.last_booked:
        return False  # "while it's in, could you also do an oil change?" after a booking: on that visit
    if asks_after_car(u.said):
        return True
    if caller.cars_in_shop and not desk.state.cars_seen and decides(u.text) and CALLING_ABOUT_IT.search(u.said):
        return True  # "It's Marcus, calling about the truck. Do the front brake pads, go ahead.": its work
    if caller.cars_in_shop and desk.state.car_in_talk and has_any(u.said, COMING_FOR_IT) and not u.service:
        return True  # "and if I swing by around five, is that cool?" after hearing where the car stands
    if (
        caller.cars_in_shop
        and decides(u.text)
        and any(named_lines(u.text, waiting_lines(order)) for order in desk.state.cars_seen)
    ):
        return True  # "and yeah, the coolant flush too" after the pads were approved
    if (
        u.intent in (None, "list")
        and not u.service
        and orders_named(u.text, desk.state.cars_seen)
        and (has_any(u.said, IN_SHOP) or WHEN_BACK.search(u.said))
    ):
        return True  # "and the truck, any news on that one? When am I getting it back?": a car heard of, in the shop
    if u.intent == "makes" and caller.cars_in_shop and _own_car(u.text, caller) and not has_any(u.said, SERVICED):
        return True  # "what's the story with the Ford?": theirs, in the shop
    if caller.cars_in_shop and _own_car(u.text, caller) and wants_findings(u.said) and not u.service:
        return True  # "what's wrong with my Camry? what's it gonna cost?": theirs, in the shop
    if (
        u.intent in ("price", "duration", "services")
        and u.service
        and not has_any(u.said, THIS_CAR)
        and (car_in(u.text) is None and not (caller.cars_in_shop and says_in_shop(u.said)))
    ):
        return False  # "how much is an oil change?": the shop's price list, not the car in the shop
    return u.intent not in NOT_BOOKING and asks_about_car(u.said, caller, intent=u.intent)


def _own_car(text, caller):
    car = car_in(text)
    return car is not None and any(car.make.lower() in (v.get("vehicle") or "").lower() for v in caller.vehicles)


def start(desk, u, turn):
    caller = desk.state.caller
    if not caller.caller_id or not caller.on_file:
        desk.state.unclear = u.text
        turn.say(
            "I'm sorry, without caller ID I can't look up a car in the shop."
            if not caller.caller_id
            else "I don't have a customer record for this number, so I can't look up a car in the shop."
        )
        messages.offer(desk, turn, OFFER)
        return
    desk.state.task = CarInShop(said=u.text)
    turn.call("get_repair_status")
    turn.then = loaded


def loaded(desk, results, turn):
    task = desk.state.task
    if not isinstance(task, CarInShop):
        return
    found = results.get("get_repair_status") or {}
    if "error" in found:
        desk.state.task = None
        turn.say("I'm sorry, I can't get into the shop's records right now.")
        messages.offer(desk, turn, OFFER)
        return
    task.orders = list(found.get("repair_orders") or [])
    desk.state.cars_seen = task.orders
    task.pickup_today = found.get("pickup_today") or ""
    task.pickup_next = found.get("pickup_next") or ""
    desk.state.caller.cars_in_shop = len(task.orders)
    if not task.orders:
        desk.state.task = None
        desk.state.unclear = task.said
        turn.say("I don't see a car of yours in the shop right now: there's no open repair order under your number.")
        messages.offer(
            desk,
            turn,
            "I can check your appointments, or take a message for an advisor. Would you like me to take a message?",
        )
        return
    order = order_named(task.said, task.orders)
    if order is None and len(task.orders) > 1 and not has_any(normalize(task.said), BOTH):
        # "and if I swing by around five?" right after the truck's status: the truck
        talked = [o for o in task.orders if o["vehicle"] == desk.state.car_in_talk]
        if talked and car_in(task.said) is None and vehicle_named(task.said, desk.state.caller.vehicles) is None:
            order = talked[0]
    if order is None and UNDER_ANOTHER_NAME.search(normalize(task.said)):  # "it's just under her name, Priya"
        desk.state.task = None
        turn.say(f"I'm sorry. {NOT_YOURS} about a car under someone else's name.")
        return desk.anything_else(turn)
    named = orders_named(task.said, task.orders) if order is None else []
    deciding_each = per_car(task.said, task.orders, waiting_lines) if order is None else []
    if (
        order is None
        and len(task.orders) > 1
        and not deciding_each  # "do the wipers on the Camry and the brakes on the truck": decided below
        and (len(named) > 1 or has_any(normalize(task.said), BOTH))
    ):
        asked = named if len(named) > 1 else task.orders  # "how are both my cars doing?"
        deciding = [each for each in asked if waiting_lines(each)]
        for each in asked:
            if len(deciding) != 1 or each is not deciding[0]:
                turn.say(status_said(each, task.said, "", desk.now()))
        if len(deciding) == 1:  # "is the Camry ready? and what do you need from me on the truck?"
            return _about(desk, task, deciding[0], task.said, turn)
        desk.state.task = None
        return desk.anything_else(turn)
    if order is None and len(task.orders) == 1:
        order = task.orders[0]
        own = vehicle_named(task.said, desk.state.caller.vehicles)
        if own is not None and own.get("vehicle") != order["vehicle"]:  # "is my truck done?", the Camry in
            turn.say(
                f"I don't have your {own.get('vehicle')} in the shop. The only car I have for you is your {order['vehicle']}."
            )
        elif _names_another_car(task.said, order):
            turn.say(f"The only car I have in the shop for you is your {order['vehicle']}.")
    cars = deciding_each
    if cars and several_cars.decide(desk, task, cars, task.said, turn):  # "wipers on the Camry, brakes on the truck"
        return
    if order is None:
        return _ask_which(desk, task, turn)
    _about(desk, task, order, task.said, turn)


COMING_FOR_IT = ("swing by", "come by", "stop by", "drop by", "pick it up", "pick up", "come get", "grab it",
                 "i'll come", "i will come", "i'll be in", "i'll be there", "come for it", "i'll get it")  # fmt: skip
NOT_YOURS = "I can only give updates on cars under your own number, so I can't tell you anything"
UNDER_ANOTHER_NAME = re.compile(r"\bunder (?:her|his|their|my (?:wife|husband|partner)'s) name\b")


def _someone_elses_car(text, orders, on_file=()):
    """A car named beside the caller's own that is none of theirs in the shop ("the Outback"), nor
    on their record (`on_file`: their F-150 at home is theirs, only not in the shop), or None."""
    for sentence in re.split(r"(?<=[.?!;,])\s+", text or ""):
        car = car_in(sentence)
        if car is None or vehicle_named(sentence, list(on_file)) is not None:
            continue
        name = " ".join(p for p in (car.make, car.model) if p)
        if not any(
            (car.model and car.model.split()[0].lower() in o["vehicle"].lower())
            or (not car.model and car.make.lower() in o["vehicle"].lower())
            for o in orders
        ):
            return name
    return None


def _names_another_car(text, order):
    car = car_in(text)
    return car is not None and car.make.lower() not in order["vehicle"].lower()


NONE_OF_IT = ("none of that", "none of it", "none of them", "none of those", "not any of it", "no to all",
              "no to everything", "skip all of it", "skip it all", "none")  # fmt: skip
# Asked again about where the car stands (its status is said again); "what's the total?" is not.
STATUS_ASKED = ("ready", "done", "status", "how's it going", "how is it going", "update", "where are we", "finished")


def _ask_which(desk, task, turn):
    task.stage = "choose"
    cars = [f"your {o['vehicle']}" for o in task.orders]
    desk.ask(
        turn, f"I see {len(cars)} of your cars in the shop: {say_list(cars, 'and')}. Which one are you asking about?"
    )


# --- what the caller hears -----------------------------------------------------------------


def _about(desk, task, order, said, turn):
    """Answer what `said` asks about `order`: ask for work, decide on work, or where it stands
    (and a shop question asked beside it, after)."""
    task.order = order
    desk.state.car_in_talk = order["vehicle"]
    waiting = waiting_lines(order)
    again = decided_work.settled(desk, task, said, turn)
    if again is True:
        return
    if again:
        task.after = ""
        return more_work.request(desk, task, work_name(again), said, turn, then=decide_after)
    cap = price_cap(said) if waiting else None
    if cap:  # "anything under 150, go ahead"
        return _capped(desk, task, cap, said, turn)
    if (waiting and bargains(said)) and (named_lines(said, waiting) or decides(said)):
        if _within_estimate(desk, task, said, waiting, turn):
            return True
        return decided_work.bargain(desk, task, said, turn)
    asked_price = more_work.priced_service(desk, order, said)
    if asked_price:  # "how much would it be to throw in an oil change?": the shop's price, then add it?
        return more_work.ask_price(desk, task, *asked_price, turn)
    job, rest = split_request(said)
    if job and named_lines(job, waiting):  # "can you do the brakes while it's there?" with the brakes estimated
        _decide(desk, task, f"Go ahead with {job}. {rest}", turn, words=said)
        return answer_aside(desk, said, turn)
    if job:
        if order["vehicle"] not in desk.state.cars_told and asks_after_car(normalize(rest)):
            # "Any idea when it'll be done? Oh, and can you rotate the tires too?": where it stands, then the request
            turn.say(status_said(order, rest, task.pickup_today, desk.now()))
            desk.state.cars_told.add(order["vehicle"])
        task.after = rest if waiting and decides(rest) else ""
        second = another_job(rest)
        task.more_jobs = [(second, said)] if second and second != job else []
        return more_work.request(desk, task, job, said, turn, then=decide_after)
    if waiting and decides(said):
        decided = decision(with_symptoms(said, order, waiting), waiting)
        if decided.named or decided.vague:
            _decide(desk, task, said, turn)
            return answer_aside(desk, said, turn)
    told = desk.state.cars_told
    heard_before = len(turn.lines)
    if order["vehicle"] not in told or has_any(normalize(said), STATUS_ASKED):
        turn.say(status_said(order, said, task.pickup_today, desk.now()))
        if order["ready"] and task.pickup_next and after_hours(said):  # "is it ready? can I grab it at six?"
            turn.say(task.pickup_next)
        elif task.pickup_next and after_hours(said) and order.get("promised_at"):
            # "if it's not, can I pick it up tonight? like seven": a plain no, and when it can be
            turn.say(f"That's after we close, so not tonight, I'm afraid. {task.pickup_next}")
    elif wants_pickup(said) and not order["ready"]:  # "so when can I actually pick it up?"
        turn.say(pickup_when_not_ready(order, desk.now()))
        if side_question(said, ("hours",)):  # "what time do you close today? I'll come get it after work"
            turn.say(task.pickup_today)
    elif wants_pickup(said) or after_hours(said):  # "can I pick it up around seven?": today's hours
        turn.say(task.pickup_today)
        if task.pickup_next and after_hours(said):  # "after six?": and when the shop opens next
            turn.say(task.pickup_next)
    elif order["ready"] and has_any(normalize(said), COMING_FOR_IT):  # "I'll come tomorrow then"
        turn.say("Sounds good, it'll be ready for you.")
    told.add(order["vehicle"])
    desk.state.pickup_talked = desk.state.pickup_talked or bool(order["ready"])
    other = _someone_elses_car(said, task.orders, desk.state.caller.vehicles)
    if other:  # "and my wife's Outback, what's going on with that one?"
        turn.say(f"{NOT_YOURS} about the {other}.")
    if has_any(normalize(said), RUSH) and not order["ready"]:
        turn.say("I can't promise it any sooner, but I can have an advisor call you about the timing.")
    findings = wants_findings(normalize(said)) or order["status"].startswith("inspected")
    question = None
    asked = named_lines(said, waiting)
    if asked and len(asked) < len(waiting):  # "is the flush really necessary?": that line
        turn.say(recommended(asked))
        if has_any(normalize(said), NEEDED):
            turn.say("Whether it's needed is for the technician to explain; your advisor can go over it with you.")
        task.stage, question = "decide", "Which of the work would you like us to go ahead with, if any?"
    elif waiting:
        turn.say(recommended(waiting, total=has_any(normalize(said), TOTAL) and findings))
        task.stage, question = "decide", decision_question(waiting)
    else:
        if findings:
            turn.say(work_so_far(order, total=has_any(normalize(said), TOTAL)))
        if findings and order["status"].startswith("being inspected") and order.get("work"):
            turn.say(NO_ESTIMATE)  # what it needs is not known yet: nothing to price
            desk.state.unclear = f"Please call when you know what the {order['vehicle']} needs and what it will cost."
        desk.state.task = None
    side = side_question(said)
    if side is not None:
        if question:
            desk.state.task_question = desk.state.last_question = question
        return info.ask_shop(desk, side[0], desk.utterance(side[1]), turn)
    if len(turn.lines) == heard_before:  # nothing else to say about it: where it stands, again
        turn.say(status_said(order, said, task.pickup_today, desk.now()))
    if question:
        return desk.ask(turn, question)
    desk.anything_else(turn)


def _ask_decision(desk, task, turn):
    task.stage = "decide"
    desk.ask(turn, decision_question(waiting_lines(task.order)))


# --- deciding on the work ------------------------------------------------------------------


def capture(desk, task, u, turn):
    if task.stage == "choose":
        return _chosen(desk, task, u, turn)
    if task.stage == "add":
        return more_work.added(desk, task, u, turn)
    if task.several and task.stage == "confirm":
        return several_cars.answer(desk, task, u, turn)
    if task.stage not in ("decide", "confirm"):
        return False
    waiting = waiting_lines(task.order)
    cap = price_cap(u.text) if waiting else None
    if cap:
        return _capped(desk, task, cap, u.text, turn) or True
    if bargains(u.text):
        if _within_estimate(desk, task, u.text, waiting, turn, answer=u):
            return True
        if task.stage == "confirm" and _yes_but_one_on_condition(desk, task, u, waiting, turn):
            return True
        return decided_work.bargain(desk, task, u.text, turn) or True
    job, rest = split_request(u.text)
    if job and named_lines(job, waiting):
        _decide(desk, task, f"Go ahead with {job}. {rest}", turn, answer=u, words=u.text)
        return answer_aside(desk, u.text, turn) or True
    if job:
        if task.stage == "confirm" and (task.approve or task.decline) and _yes_first(u) and desk.heard_question():
            # "Yeah, and could you also check the tire pressure?": the read-back stands, and the request
            task.after = u.text
            return more_work.request(desk, task, job, u.text, turn, then=_write_read_back) or True
        task.after = rest if decides(rest) else ""
        return more_work.request(desk, task, job, u.text, turn, then=decide_after) or True
    decided = decision(with_symptoms(u.text, task.order, waiting), waiting)
    if task.stage == "decide" and not decided.named and has_any(normalize(u.text), NEEDED):
        # "Is that really needed though? Or is that one of those upsell things?": the technician's reason, again
        if task.order.get("note"):
            turn.say(f"The technician's note says: {task.order['note'].rstrip('.')}.")
        turn.say("Whether it's needed is for the technician to explain; your advisor can go over it with you.")
        desk.ask(turn, "Which of the work would you like us to go ahead with, if any?")
        return True
    if task.stage == "confirm" and narrows(task, decided, u):  # "yes, pads and rotors" to three read back
        task.approve = decided.approve
        task.decline = [x for x in waiting if x in task.decline or x in decided.decline]
        _read_back(desk, task, turn)
        return True
    if task.stage == "confirm" and (agrees(u) or restates(task, decided, u)) and unchanged(task, decided):
        if not desk.heard_question():
            _read_back(desk, task, turn)
            return True
        return work_written.write(desk, task, u, turn) or True
    done = _decide(desk, task, u.text, turn, answer=u)
    if done:
        answer_aside(desk, u.text, turn)
    return done


def _yes_but_one_on_condition(desk, task, u, waiting, turn):
    """ "Yeah: the coolant flush yes, and the rotors only if it's under two fifty, otherwise have
    someone call me" to the flush read back: the flush is approved as read back, and the rotors'
    condition goes to an advisor as a message (nothing is approved on a condition)."""
    parts = [p for p in re.split(r"\s*(?:[,;:.!?]|\band\b)\s*", u.text) if p.strip()]
    conditional = [p for p in parts if bargains(p) or re.search(r"\bonly if\b|\bif\b", p, re.IGNORECASE)]
    on_condition = [line for p in conditional for line in named_lines(p, waiting)]
    read_back = {line["line_id"] for line in task.approve}
    if not on_condition or read_back & {line["line_id"] for line in on_condition}:
        return False  # a condition on what was read back: no yes to it
    plain = " ".join(p for p in parts if p not in conditional)
    agreed = decision(plain, task.approve)
    if not (agrees(u) or agreed.approve) or agreed.decline:
        return False
    names = say_list([work_name(line) for line in on_condition], "and the")
    task.message = f"About the {names}: {'; '.join(conditional)}"[:1000]
    turn.say(f"I can't approve the {names} on a condition, so I'll pass that to your advisor.")
    return work_written.write(desk, task, u, turn) or True


def _yes_first(u):
    words = u.said.split()
    return bool(words) and words[0] in (
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "right",
        "correct",
        "perfect",
    )


def _write_read_back(desk, task, turn):
    """The decision read back and agreed to with a request for more work, once the request is in."""
    said, task.after = task.after, ""
    task.stage = "confirm"
    return work_written.write(desk, task, desk.utterance(said), turn)


def _chosen(desk, task, u, turn):
    order = order_named(u.text, task.orders) or _by_place(u.said, task.orders)
    if order is None:
        task.misses += 1
        if task.misses < 2:
            _ask_which(desk, task, turn)
            return True
        for each in task.orders:  # still unclear: where each of them stands
            turn.say(status_said(each, task.said, task.pickup_today, desk.now()))
        desk.state.task = None
        desk.anything_else(turn)
        return True
    task.misses = 0
    _about(desk, task, order, f"{task.said} {u.text}", turn)
    return True


def _by_place(said, orders):
    places = {"first": 0, "second": 1, "last": -1, "other": -1}
    for word, index in places.items():
        if re.search(rf"\b{word}\b", said):
            return orders[index]
    return None


def _decide(desk, task, text, turn, *, answer=None, words=None):
    """The caller's words about the waiting work: lines named (read back for a yes), "whatever it
    needs" (the lines listed, asked which), a no or "let me think" (nothing approved)."""
    waiting = waiting_lines(task.order)
    text = with_symptoms(text, task.order, waiting)
    decided = decision(text, waiting, offered_one=task.stage == "decide" and len(waiting) == 1)
    if decided.named:
        for line in decided.approve:
            task.approve = [*[x for x in task.approve if x["line_id"] != line["line_id"]], line]
            task.decline = [x for x in task.decline if x["line_id"] != line["line_id"]]
        for line in decided.decline:
            task.decline = [*[x for x in task.decline if x["line_id"] != line["line_id"]], line]
            task.approve = [x for x in task.approve if x["line_id"] != line["line_id"]]
        for line in decided.undecided:
            task.approve = [x for x in task.approve if x["line_id"] != line["line_id"]]
            task.decline = [x for x in task.decline if x["line_id"] != line["line_id"]]
        task.reason = decided.reason or task.reason  # "can't afford that this month": kept for a later no
        task.words = f"{task.words} / {words or text}".strip(" /")
        if not (task.approve or task.decline):
            left = {line["line_id"] for line in decided.undecided}
            if left and left >= {line["line_id"] for line in waiting}:  # "not yet, I'll decide later"
                desk.state.task = None
                names = say_list([work_name(line) for line in decided.undecided], "and the")
                turn.say(f"No problem, I'll leave the {names} for now. The estimate will be here when you're ready.")
                desk.anything_else(turn)
                return True
            task.stage = "decide"
            desk.ask(turn, "Okay, nothing's approved. Which would you like us to go ahead with, if any?")
            return True
        said_on = [*decided.approve, *decided.decline, *decided.undecided]
        asked = [line for line in _asked_about(text, waiting) if line not in said_on]
        if asked:  # "Brakes, yes. And the cabin filter, how much is that?": its estimate, then the read-back
            turn.say(estimates_of(asked))
        _read_back(desk, task, turn)
        return True
    if decided.vague:
        turn.say("I can only approve work you name, so let me go through it.")
        turn.say(recommended(waiting))
        desk.ask(turn, decision_question(waiting))
        task.stage, task.approve, task.decline = "decide", [], []
        return True
    if answer is None:
        return False
    said = answer.said
    reason = reason_in(text)
    if has_any(said, NONE_OF_IT) and reason and not has_any(said, UNDECIDED):
        # "None of that, thanks. Money's tight this month.": all of it left, for that reason
        task.approve, task.decline, task.reason = [], list(waiting), reason
        task.words = f"{task.words} / {words or text}".strip(" /")
        _read_back(desk, task, turn)
        return True
    if answer.no or has_any(said, UNDECIDED):
        if task.stage == "confirm" and not has_any(said, UNDECIDED):  # "no" to the read-back: which, then?
            task.stage, task.approve, task.decline = "decide", [], []
            desk.ask(turn, "Okay, nothing's approved. Which would you like us to go ahead with, if any?")
            return True
        desk.state.task = None
        turn.say("No problem, I won't approve anything for now. The estimate will be here when you're ready.")
        desk.anything_else(turn)
        return True
    if wants_findings(said):
        asked = named_lines(text, waiting)
        turn.say(recommended(asked or waiting, total=not asked and has_any(said, TOTAL)))
        _ask_decision(desk, task, turn)
        return True
    asked = named_lines(text, waiting)
    if asked and asks_what(said) and answer.text.rstrip().endswith("?"):  # "what's a serpentine belt?"
        names = say_list([work_name(line) for line in asked], "and the")
        turn.say(f"Your advisor can go over the {names} with you in more detail.", recommended(asked))
        _ask_decision(desk, task, turn)
        return True
    if wants_pickup(said):
        turn.say(status_said(task.order, said, task.pickup_today, desk.now()))
        desk.ask(turn, desk.state.task_question or "Which of those would you like us to go ahead with?")
        return True
    if answer.yes and task.stage == "decide" and not answer.text.rstrip().endswith("?") and not thanks_only(said):
        names = [work_name(line) for line in waiting]
        desk.ask(turn, f"Sure. Which of them: {say_list(names, 'or')}? Or more than one?")
        return True
    return False


def _capped(desk, task, cap, said, turn):
    """ "Anything under 150, go ahead": the lines whose whole estimate is under it, read back.
    "The belt, if it's under three hundred, go ahead. Not the brakes": the limit is the belt's only."""
    waiting = waiting_lines(task.order)
    if _capped_lines(desk, task, cap, said, waiting, turn):
        return True
    under = under_cap(waiting, cap)
    over = [line for line in waiting if line not in under]
    task.words = f"{task.words} / {said}".strip(" /")
    if not under:
        task.stage, task.approve, task.decline = "decide", [], []
        turn.say("None of the work is estimated under that, so I haven't approved anything.")
        turn.say(recommended(waiting))
        return desk.ask(turn, decision_question(waiting))
    task.approve, task.decline, task.left = under, [line for line in task.decline if line in over], over
    if over:
        names = say_list([work_name(line) for line in over], "and the")
        turn.say(f"The estimate for the {names} can go over that, so I'll leave it for now.")
    _read_back(desk, task, turn)


def _capped_lines(desk, task, cap, said, waiting, turn):
    """The limit said in a sentence that names its work: that work goes ahead if its estimate is
    under the limit, and the other sentences decide the rest as they would without it (False: the
    limit names no work, so it is for all of it)."""
    sentences = [s for s in re.split(r"(?<=[.?!;])\s+", said) if s.strip()]
    capped = [s for s in sentences if price_cap(s)]
    if len(capped) != 1:
        return False
    named = named_lines(capped[0], waiting)
    if not named:
        return False
    under = under_cap(named, cap)
    over = [line for line in named if line not in under]
    rest = [s for s in sentences if s is not capped[0]]
    if under:
        rest.append(f"Go ahead with the {say_list([work_name(line) for line in under], 'and the')}.")
    text = " ".join(rest)
    if not decision(with_symptoms(text, task.order, waiting), waiting).named:
        return False
    if over:
        names = say_list([work_name(line) for line in over], "and the")
        turn.say(f"The estimate for the {names} can go over that, so I'll leave it for now.")
    _decide(desk, task, text, turn, words=said)
    task.left = [*task.left, *[line for line in over if line not in task.left]]
    return True


def _within_estimate(desk, task, said, waiting, turn, *, answer=None):
    """ "Do the front brake pads, as long as it doesn't go past the 349 you said": a limit at or above
    the top of the line's estimate asks for nothing the estimate does not already promise, so it is
    a go-ahead (read back as any other). A limit under the estimate stays a condition (False)."""
    sentences = [sentence for sentence in re.split(r"(?<=[.?!;])\s+", said or "") if sentence.strip()]
    plain, changed = [], False
    for sentence in sentences:
        named = named_lines(sentence, waiting) if bargains(sentence) else []
        limit = limit_said(sentence) if named else None
        tops = [_top_of(line) for line in named]
        if limit and all(top is not None and top <= limit for top in tops):
            plain.append(f"Go ahead with the {say_list([work_name(line) for line in named], 'and the')}.")
            changed = True
        else:
            plain.append(sentence)
    if not changed or any(bargains(sentence) for sentence in plain):
        return False
    return _decide(desk, task, " ".join(plain), turn, answer=answer, words=said)


def _top_of(line):
    figures = re.findall(r"\$([\d,]+)", line.get("estimate") or "")
    return int(figures[-1].replace(",", "")) if figures else None


def _asked_about(text, waiting):
    """The lines the caller's questions name ("and the cabin filter, how much is that?")."""
    questions = " ".join(s for s in re.split(r"(?<=[.?!;])\s+", text or "") if s.rstrip().endswith("?"))
    return named_lines(questions, waiting) if questions else []


def _read_back(desk, task, turn):
    task.stage = "confirm"
    parts = []
    if task.approve:
        parts.append(f"go ahead with the {say_list([priced(line) for line in task.approve], 'and the')}")
    if task.decline:
        parts.append(f"hold off on the {say_list([work_name(line) for line in task.decline], 'and the')}")
    desk.ask(turn, f"Just to confirm: you'd like us to {' and '.join(parts)}. Is that right?")


def decide_after(desk, task, turn):
    """The decision said with a request for more work, once the request is in."""
    return _decide(desk, task, task.after, turn)


def answer(desk, task, u, turn):
    return False


def dropped(desk, task):
    return "No problem, I won't approve or change anything."
