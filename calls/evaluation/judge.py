"""Was the call right? The database against what the scenario expected, and every word the
agent said against the records: a claim ("you're all set", "is cancelled", "I've passed your
message on") the database does not show, or a price the shop never approved, fails the call
whatever else went well.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from calls.models import CallbackRequest
from crm.models import Customer
from scheduling.models import Appointment, AppointmentChange, FaqAnswer, ServiceType

from .scenarios import CallbackSpec

# What the agent claims it did, by sentence (questions and offers claim nothing).
CLAIMS = {
    "booked": re.compile(r"you're all set|\bis booked for\b|\b(i've|i have) booked\b|\byou're booked\b|\bbooked you\b", re.I),
    "rescheduled": re.compile(r"\bis now on\b|\b(i've|i have) (moved|rescheduled)\b|\bhas been (moved|rescheduled)\b", re.I),
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


def snapshot(customer):
    rows = Appointment.objects.values_list("id", "customer_id", "service_type__name", "start", "end", "status")
    caller_id = customer.pk if customer else None
    return Before(
        caller_appointments={r[0]: (r[2], r[3], r[5]) for r in rows if r[1] == caller_id},
        others={r[0]: r[1:] for r in rows if r[1] != caller_id},
        callbacks=set(CallbackRequest.objects.values_list("id", flat=True)),
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
    failures += _prices(agent)
    failures += _words(expect, agent)
    failures += _loops(agent)
    return failures


def _active(customer):
    if customer is None:
        return []
    return list(
        Appointment.objects.active().filter(customer=customer).select_related("service_type").order_by("start")
    )


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
    return [f"no vehicle {text!r} on file (has {have})" for text in expected if not any(text.lower() in h for h in have)]


def _claims(agent, before, customer, tz):
    changes = AppointmentChange.objects.none()
    if customer is not None:
        changes = AppointmentChange.objects.filter(appointment__customer=customer, actor_kind="phone_agent")
    done = {action: list(changes.filter(action=action).select_related("appointment")) for action in
            ("booked", "rescheduled", "cancelled")}
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
    """"You're all set" claims a booking only when it says when; after a message or an answer
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


def approved_amounts():
    amounts = set()
    for low, high in ServiceType.objects.values_list("price_low", "price_high"):
        amounts.update(a for a in (low, high) if a is not None)
    for answer in FaqAnswer.objects.filter(approved=True).values_list("answer", flat=True):
        amounts.update(Decimal(m.replace(",", "")) for m in DOLLARS.findall(answer))
    return amounts


def _prices(agent):
    approved = approved_amounts()
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
