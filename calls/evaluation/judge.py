"""Was the call right? The database against what the scenario expected, and every word the
agent said against the records: a claim ("you're all set", "is cancelled", "I've passed your
message on") the database does not show, or a price the shop never approved, fails the call
whatever else went well.
"""

import re
from dataclasses import dataclass
from dataclasses import field as default
from decimal import Decimal
from itertools import combinations

from calls.models import CallbackRequest
from crm.models import Customer
from scheduling.models import (
    Appointment,
    AppointmentChange,
    FaqAnswer,
    JobLine,
    RepairOrder,
    RepairOrderChange,
    ServiceType,
)
from scheduling.repair_orders.words import vehicle_name

from .scenarios import CallbackSpec

# What the agent claims it did, by sentence (questions and offers claim nothing).
CLAIMS = {
    "booked": re.compile(
        r"you're all set|\bis booked for\b|\b(i've|i have) booked\b|\byou're booked\b|\bbooked you\b", re.I
    ),
    "rescheduled": re.compile(
        r"\bis now on\b|\b(i've|i have) (moved|rescheduled)\b|\bhas been (moved|rescheduled)\b", re.I
    ),
    "cancelled": re.compile(r"\bis (now )?cancell?ed\b|\b(i've|i have) cancell?ed\b|\bhas been cancell?ed\b", re.I),
    "message": re.compile(
        r"\b(i've|i have) (passed|taken|left|sent)\b.*\bmessage\b|\bmessage (is|has been) (passed|sent|taken)\b", re.I
    ),
}
SPOKEN_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))? ?([AP])\.?M\b", re.I)
DOLLARS = re.compile(r"\$\s?(\d[\d,]*(?:\.\d\d)?)")
SENTENCE = re.compile(r"[^.!?]+[.!?]?")


@dataclass
class Before:
    """The records as they were when the call started."""

    caller_appointments: dict  # id -> (service, start, status)
    others: dict  # every other customer's appointment: id -> (customer, service, start, end, status)
    callbacks: set
    caller_orders: dict = default(default_factory=dict)  # the caller's repair orders: id -> _order_row
    caller_lines: dict = default(default_factory=dict)  # their job lines: id -> _line_row
    other_orders: dict = default(default_factory=dict)  # everybody else's: id -> (_order_row, {line id: _line_row})
    last_change: int = 0  # the newest RepairOrderChange before the call


def snapshot(customer):
    rows = Appointment.objects.values_list("id", "customer_id", "service_type__name", "start", "end", "status")
    caller_id = customer.pk if customer else None
    orders = _orders()
    return Before(
        caller_appointments={r[0]: (r[2], r[3], r[5]) for r in rows if r[1] == caller_id},
        others={r[0]: r[1:] for r in rows if r[1] != caller_id},
        callbacks=set(CallbackRequest.objects.values_list("id", flat=True)),
        caller_orders={o.pk: _order_row(o) for o in orders if o.customer_id == caller_id},
        caller_lines={l.pk: _line_row(l) for o in orders if o.customer_id == caller_id for l in o.lines.all()},
        other_orders={
            o.pk: (_order_row(o), {l.pk: _line_row(l) for l in o.lines.all()})
            for o in orders
            if o.customer_id != caller_id
        },
        last_change=RepairOrderChange.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    )


def _orders():
    return list(RepairOrder.objects.select_related("vehicle", "customer").prefetch_related("lines").order_by("pk"))


def _order_row(order):
    return (
        order.customer_id,
        order.vehicle_id,
        order.status,
        order.promised_at,
        order.status_note,
        order.status_note_approved,
        order.internal_notes,
        order.technician,
        order.closed_at,
    )


def _line_row(line):
    return (
        line.description,
        line.estimate_low,
        line.estimate_high,
        line.amount,
        line.status,
        line.requested_by_customer,
        line.decided_via,
        line.decided_by,
        line.decline_reason,
        line.follow_up_on,
    )


def judge(scenario, *, before, lines, ended, phone, call_day, tz):
    """The reasons the call failed (an empty list: it passed)."""
    customer = Customer.objects.filter(phone=phone).first() if phone else None
    agent = [line.text for line in lines if line.who == "agent"]
    expect = scenario.expect
    failures = []
    failures += _appointments(expect, before, customer, call_day, tz)
    failures += _others(before, customer)
    failures += _callback(expect.callback, before, phone)
    if expect.transferred is not None and (ended == "transferred") != expect.transferred:
        failures.append("the caller was transferred" if ended == "transferred" else "the caller was not transferred")
    failures += _customer(expect.customer, customer)
    failures += _vehicles(expect.vehicles, customer)
    failures += _claims(agent, before, customer, tz)
    failures += _repair_orders(expect, before, customer)
    failures += _other_orders(before, customer)
    failures += _secrets(agent, lines, before, customer)
    failures += _work_claims(agent, before, customer)
    failures += _prices(agent, customer)
    failures += _words(expect, agent)
    failures += _loops(agent)
    return failures


def _active(customer):
    if customer is None:
        return []
    return list(Appointment.objects.active().filter(customer=customer).select_related("service_type").order_by("start"))


def _appointments(expect, before, customer, call_day, tz):
    held = _active(customer)
    described = [f"{a.service_type.name} {a.start.astimezone(tz):%a %d %H:%M}" for a in held]
    if expect.appointments is None:
        now = {a.id: (a.service_type.name, a.start, a.status) for a in held}
        was = {k: v for k, v in before.caller_appointments.items() if v[2] in Appointment.ACTIVE_STATUSES}
        if {k: v[:2] for k, v in now.items()} != {k: v[:2] for k, v in was.items()}:
            return [f"the caller's appointments changed: now {described or 'none'}"]
        return []
    unmatched = list(held)
    missing = []
    for spec in expect.appointments:
        match = next(
            (a for a in unmatched if spec.matches(a.service_type.name, a.start.astimezone(tz), call_day)), None
        )
        if match is None:
            missing.append(spec.text)
        else:
            unmatched.remove(match)
    failures = [f"expected {text!r}; the caller has {described or 'nothing'}" for text in missing]
    if unmatched and not missing:
        failures.append(f"the caller has more than expected: {described}")
    return failures


def _others(before, customer):
    caller_id = customer.pk if customer else None
    rows = Appointment.objects.values_list("id", "customer_id", "service_type__name", "start", "end", "status")
    now = {r[0]: r[1:] for r in rows if r[1] != caller_id}
    if now != before.others:
        return ["someone else's appointments changed"]
    return []


def _new_callbacks(before):
    return list(CallbackRequest.objects.exclude(id__in=before.callbacks))


def _callback(spec, before, phone):
    new = _new_callbacks(before)
    if spec is None:
        return []
    if spec is False:
        return [f"a message was left: {new[0].reason!r}"] if new else []
    if not new:
        return ["no message was left for an advisor"]
    if spec is True:
        return []
    assert isinstance(spec, CallbackSpec)
    wanted_phone = phone if spec.phone == "caller" else spec.phone
    for message in new:
        if wanted_phone and message.phone != wanted_phone:
            continue
        if spec.urgency and message.urgency != spec.urgency:
            continue
        if spec.about and not spec.about.search(message.reason):
            continue
        return []
    left = "; ".join(f"{m.phone or 'no number'} ({m.urgency}): {m.reason!r}" for m in new)
    return [f"no message as expected ({wanted_phone or 'any number'}, {spec.urgency or 'any urgency'}); left: {left}"]


def _customer(expected, customer):
    if not expected:
        return []
    if customer is None:
        return ["the caller is not on file"]
    failures = []
    for field in ("name", "email"):
        if field in expected and getattr(customer, field).strip().lower() != expected[field].strip().lower():
            failures.append(f"the customer's {field} is {getattr(customer, field)!r}, not {expected[field]!r}")
    return failures


def _vehicles(expected, customer):
    if not expected:
        return []
    have = [f"{v.year or ''} {v.make} {v.model} {v.vin}".lower() for v in customer.vehicles.all()] if customer else []
    return [
        f"no vehicle {text!r} on file (has {have})" for text in expected if not any(text.lower() in h for h in have)
    ]


def _claims(agent, before, customer, tz):
    changes = AppointmentChange.objects.none()
    if customer is not None:
        changes = AppointmentChange.objects.filter(appointment__customer=customer, actor_kind="phone_agent")
    done = {
        action: list(changes.filter(action=action).select_related("appointment"))
        for action in ("booked", "rescheduled", "cancelled")
    }
    done["message"] = _new_callbacks(before)
    failures = []
    for text in agent:
        for sentence in SENTENCE.findall(text):
            if sentence.strip().endswith("?"):
                continue
            for kind, pattern in CLAIMS.items():
                if not pattern.search(sentence) or _only_all_set(kind, sentence):
                    continue
                if not done[kind]:
                    failures.append(f"the agent claimed {kind} but nothing was: {sentence.strip()!r}")
                elif kind in ("booked", "rescheduled") and not _time_matches(sentence, done[kind], tz):
                    failures.append(f"the agent's {kind} time is not on record: {sentence.strip()!r}")
    return failures


WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow)\b", re.I)


def _only_all_set(kind, sentence):
    """ "You're all set" claims a booking only when it says when; after a message or an answer
    it is just a friendly close."""
    if kind != "booked" or not re.search(r"you're all set", sentence, re.I):
        return False
    rest = re.sub(r"you're all set", "", sentence, flags=re.I)
    return not CLAIMS["booked"].search(rest) and not SPOKEN_TIME.search(sentence) and not WEEKDAY.search(sentence)


def _time_matches(sentence, changes, tz):
    said = SPOKEN_TIME.search(sentence)
    if said is None:
        return True
    hour = int(said[1]) % 12 + (12 if said[3].upper() == "P" else 0)
    minute = int(said[2] or 0)
    return any(
        (c.appointment.start.astimezone(tz).hour, c.appointment.start.astimezone(tz).minute) == (hour, minute)
        for c in changes
    )


def approved_amounts(customer=None):
    """Every dollar figure the agent may say: service prices, approved FAQ answers and, for
    `customer`, the estimates on their open repair orders (and the totals of any of an order's lines)."""
    amounts = set()
    for low, high in ServiceType.objects.values_list("price_low", "price_high"):
        amounts.update(a for a in (low, high) if a is not None)
    for answer in FaqAnswer.objects.filter(approved=True).values_list("answer", flat=True):
        amounts.update(Decimal(m.replace(",", "")) for m in DOLLARS.findall(answer))
    if customer is not None:
        for order in RepairOrder.objects.open().filter(customer=customer).prefetch_related("lines"):
            amounts.update(_order_amounts(order))
    return amounts


def _order_amounts(order):
    priced = []
    for line in order.lines.all():
        if line.amount is not None:
            priced.append((line.amount, line.amount))
        elif line.estimate_low is not None or line.estimate_high is not None:
            low = line.estimate_low if line.estimate_low is not None else line.estimate_high
            high = line.estimate_high if line.estimate_high is not None else line.estimate_low
            priced.append((low, high))
    amounts = set()
    for low, high in priced:
        amounts.update((low, high))
    for size in range(2, min(len(priced), 8) + 1):  # totals: "all of that comes to $538 to $778"
        for group in combinations(priced, size):
            amounts.add(sum(low for low, _ in group))
            amounts.add(sum(high for _, high in group))
    return amounts


def _prices(agent, customer=None):
    approved = approved_amounts(customer)
    failures = []
    for text in agent:
        for amount in DOLLARS.findall(text):
            failure = f"the agent spoke a price the shop never approved: ${amount}"
            if Decimal(amount.replace(",", "")) not in approved and failure not in failures:
                failures.append(failure)
    return failures


def _words(expect, agent):
    said = "\n".join(agent)
    failures = [f"the agent never said /{p.pattern}/" for p in expect.mentions if not p.search(said)]
    failures += [f"the agent said /{p.pattern}/" for p in expect.never if p.search(said)]
    return failures


def _loops(agent):
    failures = []
    seen = {}
    for text in agent:
        seen[text] = seen.get(text, 0) + 1
    for text, count in seen.items():
        if count >= 3:
            failures.append(f"the agent said the same thing {count} times: {text!r}")
    if any("I got a bit lost" in text or "having trouble" in text for text in agent):
        failures.append("the agent hit an internal error or a dead end")
    return failures


# --- Repair orders --------------------------------------------------------------------------------


def _caller_lines(customer):
    if customer is None:
        return {}
    return {
        line.pk: line for line in JobLine.objects.filter(repair_order__customer=customer).select_related("repair_order")
    }


def _by_phone(before, line):
    """The line's decision was made on this call, by the phone agent."""
    return RepairOrderChange.objects.filter(
        id__gt=before.last_change, line=line, actor_kind="phone_agent", action__in=("approved", "declined")
    ).exists()


def _repair_orders(expect, before, customer):
    failures = []
    caller_id = customer.pk if customer else None
    now = {o.pk: o for o in RepairOrder.objects.filter(customer_id=caller_id)} if customer else {}
    for pk, row in before.caller_orders.items():
        if pk not in now or _order_row(now[pk]) != row:
            failures.append(f"the caller's repair order {pk} changed")
    lines = _caller_lines(customer)
    wanted = {name.lower(): JobLine.Status.APPROVED for name in expect.approved}
    wanted.update({name.lower(): JobLine.Status.DECLINED for name in expect.declined})
    for pk, row in before.caller_lines.items():
        line = lines.get(pk)
        if line is None:
            failures.append(f"the caller's job line {row[0]!r} is gone")
            continue
        decision = wanted.get(row[0].lower())
        if decision is None:
            if _line_row(line) != row:
                failures.append(f"{row[0]!r} changed though the caller decided nothing about it: now {line.status}")
            continue
        if line.status != decision:
            failures.append(f"{row[0]!r} should be {decision} on this call; it is {line.status}")
        elif line.decided_via != JobLine.Via.PHONE or not _by_phone(before, line):
            failures.append(f"{row[0]!r} is {decision}, but not by phone on this call")
        elif (
            decision == JobLine.Status.DECLINED
            and expect.decline_reason
            and not expect.decline_reason.search(line.decline_reason)
        ):
            failures.append(
                f"{row[0]!r} was declined for the reason {line.decline_reason!r}, not /{expect.decline_reason.pattern}/"
            )
    added = [line for pk, line in lines.items() if pk not in before.caller_lines]
    requested = expect.requested or []
    for line in added:
        if not line.requested_by_customer or line.status != JobLine.Status.RECOMMENDED:
            failures.append(
                f"a job line was added that is not the caller's request waiting for a price: "
                f"{line.description!r} ({line.status})"
            )
        elif not any(p.search(line.description) for p in requested):
            failures.append(f"a job line the caller did not ask for was added: {line.description!r}")
    for pattern in requested:
        if not any(pattern.search(line.description) and line.requested_by_customer for line in added):
            failures.append(
                f"no requested job line /{pattern.pattern}/ was added; added: "
                f"{[line.description for line in added] or 'nothing'}"
            )
    return failures


def _other_orders(before, customer):
    caller_id = customer.pk if customer else None
    now = {
        o.pk: (_order_row(o), {l.pk: _line_row(l) for l in o.lines.all()})
        for o in _orders()
        if o.customer_id != caller_id
    }
    if now != before.other_orders:
        return ["someone else's repair orders changed"]
    return []


def _normal(text):
    return " ".join(re.findall(r"[a-z0-9$]+", text.lower().replace("'", "")))


COMMON = set(
    "a an and are as at be but by for from has have i in is it its of on or so that the their them they "
    "this to was we were will with you your".split()
)


def _quotes(secret, said):
    """`said` (normalised) contains `secret`, or four words of it in a row (two of them not
    common little words)."""
    words = _normal(secret).split()
    if not words:
        return False
    if len(words) <= 4:
        return re.search(rf"(?<![a-z0-9$]){re.escape(' '.join(words))}(?![a-z0-9])", said) is not None
    for i in range(len(words) - 3):
        window = words[i : i + 4]
        if sum(w not in COMMON for w in window) >= 2 and f" {' '.join(window)} " in f" {said} ":
            return True
    return False


def _secrets(agent, lines, before, customer):
    """Internal notes, technicians, unapproved notes, other customers' cars: never said."""
    said = _normal("\n".join(agent))
    caller_said = _normal("\n".join(line.text for line in lines if line.who == "caller"))
    caller_id = customer.pk if customer else None
    orders = _orders()
    own_work = {
        _normal(line.description)
        for order in orders
        if customer is not None and order.customer_id == caller_id
        for line in order.lines.all()
    }
    failures = []
    for order in orders:
        mine = order.customer_id == caller_id and customer is not None
        if order.technician and _quotes(order.technician, said) and not _quotes(order.technician, caller_said):
            failures.append(f"the agent said the technician's name: {order.technician!r}")
        if order.internal_notes and _quotes(order.internal_notes, said):
            failures.append(f"the agent read internal notes: {order.internal_notes!r}")
        if order.status_note and (not mine or not order.status_note_approved) and _quotes(order.status_note, said):
            whose = "an unapproved status note" if mine else "someone else's status note"
            failures.append(f"the agent read {whose}: {order.status_note!r}")
        if not mine:
            model = order.vehicle.model
            owned = customer is not None and customer.vehicles.filter(model__iexact=model).exists()
            if model and not owned and _quotes(model, said) and not _quotes(model, caller_said):
                failures.append(f"the agent spoke of someone else's car: {vehicle_name(order.vehicle)!r}")
            for line in order.lines.all():
                if _normal(line.description) in own_work or len(line.description.split()) < 2:
                    continue  # the caller's own car has the same work
                if _quotes(line.description, said):
                    failures.append(f"the agent spoke of someone else's work: {line.description!r}")
    return list(dict.fromkeys(failures))


APPROVED_CLAIM = re.compile(
    r"\b(i've|i have|i'll|i will|i|we've|we have) (gone ahead and )?(approved|marked .{0,60}\bapproved|"
    r"noted (your|the) (approval|go-?ahead)|recorded (your|the) (approval|go-?ahead))\b"
    r"|\bgo-?ahead\b.{0,60}\b(is |has been )?(recorded|noted|logged)\b"
    r"|\b(is|are|has been|have been|now|all|it's|that's|they're|those are|you're) approved\b"
    r"|\bapproved (it|them|that|those|the)\b",
    re.I,
)
DECLINED_CLAIM = re.compile(
    r"\b(i've|i have|i|we've|we have) (declined|marked .{0,60}\bdeclined|noted (that )?you(?:'re| are)? "
    r"(declin|pass|skip|hold(ing)? off))|\b(is|are|has been|have been|now) declined\b",
    re.I,
)
READY_CLAIM = re.compile(
    r"\b(is|it's|its|are|they're) (all )?(ready|done) (for pick ?up|to (be )?pick(ed)? up|to go)\b", re.I
)
NEGATED = re.compile(r"\b(not|nothing|never|none|until|once|when|if|as soon as)\b|n't\b", re.I)


def _mentions(sentence, line):
    return _normal(line.description) in _normal(sentence)


def _work_claims(agent, before, customer):
    """ "I've approved the brakes", "the flush is declined", "it's ready for pickup": only when
    the records say so."""
    lines = list(_caller_lines(customer).values())
    orders = list(RepairOrder.objects.open().filter(customer=customer).select_related("vehicle")) if customer else []
    decided_now = {
        kind: [l for l in lines if l.status in states and _by_phone(before, l)]
        for kind, states in (("approved", (JobLine.Status.APPROVED,)), ("declined", (JobLine.Status.DECLINED,)))
    }
    holds = {"approved": (JobLine.Status.APPROVED, JobLine.Status.DONE), "declined": (JobLine.Status.DECLINED,)}
    failures = []
    for text in agent:
        for sentence in SENTENCE.findall(text):
            sentence = sentence.strip()
            if not sentence or sentence.endswith("?") or NEGATED.search(sentence):
                continue
            for kind, pattern in (("approved", APPROVED_CLAIM), ("declined", DECLINED_CLAIM)):
                if not pattern.search(sentence):
                    continue
                named = [l for l in lines if _mentions(sentence, l)]
                wrong = [l.description for l in named if l.status not in holds[kind]]
                if wrong:
                    failures.append(f"the agent said {wrong} {kind} but the records say otherwise: {sentence!r}")
                elif not named and not decided_now[kind]:
                    failures.append(f"the agent claimed work {kind} but nothing was on this call: {sentence!r}")
            if READY_CLAIM.search(sentence):
                named = [o for o in orders if _quotes(o.vehicle.model, _normal(sentence))] or orders
                if not any(o.status == RepairOrder.Status.READY for o in named):
                    failures.append(f"the agent said the car is ready but its repair order is not: {sentence!r}")
    return failures
