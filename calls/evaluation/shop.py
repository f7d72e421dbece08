"""The shop a scenario's call meets: the demo shop, a small cast of customers, and the
scenario's own changes (the caller's appointments, closures, full days, other hours).

Everything is written from scratch for each scenario into the evaluation's own database
(evaluate_calls never touches the shop's real records), through the same domain actions the
shop uses where a rule applies, so a scenario cannot declare a state the shop could not be in.
"""

import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

from crm.models import Customer, Vehicle
from crm.phone_cache import forget_cached_phones
from ottos.lib import clock
from scheduling.actions import Actor, book_appointment
from scheduling.management import demo_shop
from scheduling.models import Appointment, Closure, FaqAnswer, JobLine, OpeningHours, ServiceType, ShopProfile
from scheduling.repair_orders import actions as repair_orders

from .judge import snapshot
from .scenarios import RepairOrderSpec, ScenarioError, job_line
from .scenarios import day as parse_day

ACTOR = Actor.command("evaluate_calls")
NEW_CALLER = "+13125550188"  # never on file


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    email: str
    vehicles: tuple  # (year, make, model, serial)


CAST = {
    "dana": Person("Dana Whitfield", "+13125550147", "dana.whitfield@example.com", ((2019, "Honda", "CR-V", 1),)),
    "marcus": Person(
        "Marcus Oyelaran",
        "+17735550199",
        "marcus.o@example.com",
        ((2016, "Toyota", "Camry", 2), (2012, "Ford", "F-150", 3)),
    ),
    "priya": Person("Priya Patel", "+18725550111", "priya.patel@example.com", ((2021, "Subaru", "Outback", 4),)),
}
BYSTANDER = "priya"  # has appointments of her own in every scenario: nobody else may touch them
# ... and her car in the shop: nobody may hear about it, nor change it.
BYSTANDER_ORDER = RepairOrderSpec(
    vehicle=(2021, "Subaru", "Outback"),
    status="awaiting_approval",
    promised=(parse_day("tomorrow"), time(16)),
    note="The head gasket is leaking; the kit comes Friday",
    note_approved=True,
    internal="Asked for a cash discount, say no",
    technician="Bogdan",
    customer=BYSTANDER,
    lines=(job_line("Head gasket replacement $1,840-$2,260"), job_line("Serpentine belt $137 approved")),
)


def caller_phone(caller):
    """The E.164 number a scenario's `caller` calls from; None when caller ID is withheld."""
    if caller == "withheld":
        return None
    if caller == "new":
        return NEW_CALLER
    if caller in CAST:
        return CAST[caller].phone
    if caller.startswith("+") and caller[1:].isdigit():
        return caller
    raise ScenarioError(f"caller is one of {', '.join(CAST)}, new, withheld or an E.164 number, not {caller!r}")


def call_moment(scenario, tz, *, today=None):
    """When the scenario's call happens: its weekday and time, in the first such week at least
    a week from today (inside the booking horizon whatever day the evaluation runs)."""
    today = today or clock.now().astimezone(tz).date()
    first = today + timedelta(days=7)
    day = first + timedelta(days=(scenario.weekday - first.weekday()) % 7)
    return datetime.combine(day, scenario.at, tz)


@dataclass(frozen=True)
class Stage:
    """A scenario's shop, built, with the clock set to the call: what a call mode plays against."""

    moment: object  # the call's aware datetime, shop time
    tz: object
    phone: str | None  # the caller's number; None when withheld
    profile: object
    customer: object  # the caller's record before the call, if any
    before: object  # judge.Before


@contextmanager
def staged(scenario):
    """Wipe the shop, build it as `scenario` declares, and hold the clock at the call's moment."""
    tz = zoneinfo.ZoneInfo(demo_shop.SHOP["timezone"])
    moment = call_moment(scenario, tz)
    phone = caller_phone(scenario.caller)
    wipe()
    with clock.set_to(moment):
        profile = build(scenario, moment.date())
        customer = Customer.objects.filter(phone=phone).first() if phone else None
        yield Stage(moment, tz, phone, profile, customer, snapshot(customer))


def wipe():
    """Empty every table of the shop's apps (fast: one flush statement)."""
    models = [m for label in ("calls", "crm", "scheduling") for m in apps.get_app_config(label).get_models()]
    tables = [m._meta.db_table for m in models]
    phones = list(Customer.objects.values_list("phone", flat=True))  # any number a call put on file, too
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    forget_cached_phones({*phones, *(p.phone for p in CAST.values()), NEW_CALLER})


def build(scenario, call_day):
    """The shop as the scenario declares it, the clock already set to the call's moment."""
    profile = ShopProfile.objects.create(**demo_shop.SHOP)
    _hours(scenario.shop["hours"])
    # One statement per table (these models have no save() or signals of their own): the shop is
    # built again for every scenario, and the evaluation runs in CI.
    ServiceType.objects.bulk_create(
        ServiceType(
            name=name,
            description=description,
            duration_minutes=minutes,
            price_low=low,
            price_high=high,
            waiter_allowed=waiter_allowed,
        )
        for name, description, minutes, low, high, waiter_allowed in demo_shop.SERVICES
    )
    FaqAnswer.objects.bulk_create(
        FaqAnswer(topic=topic, question=FaqAnswer.TOPIC_QUESTIONS[topic], answer=answer, approved=True)
        for topic, answer in demo_shop.FAQ.items()
    )
    for day, reason in scenario.shop["closed"]:
        on = day.on(call_day)
        Closure.objects.create(start_date=on, end_date=on, reason=reason)
    people = {key: _person(person) for key, person in CAST.items()}
    _bystander_appointments(people[BYSTANDER], call_day, profile)
    caller = people.get(scenario.caller)
    if scenario.has and caller is None:
        raise ScenarioError(f"only a caller of the cast ({', '.join(CAST)}) can have appointments before the call")
    for spec in scenario.has:
        _book(caller, spec, call_day, profile)
    for day in scenario.shop["full"]:
        _fill(day.on(call_day), profile)
    _repair_order(people, scenario, BYSTANDER_ORDER, call_day, profile)
    for spec in scenario.repair_orders:
        _repair_order(people, scenario, spec, call_day, profile)
    return profile


def _hours(changes):
    rows = [
        OpeningHours(weekday=weekday, opens=opens, closes=closes, lunch_start=lunch_start, lunch_end=lunch_end)
        for weekday, (opens, closes, lunch_start, lunch_end) in demo_shop.HOURS.items()
        if weekday not in changes
    ]
    rows += [
        OpeningHours(weekday=weekday, opens=span[0], closes=span[1])
        for weekday, span in changes.items()
        if span is not None
    ]
    OpeningHours.objects.bulk_create(rows)


def _person(person):
    customer = Customer.objects.create(name=person.name, phone=person.phone, email=person.email, sms_opt_in=True)
    for year, make, model, serial in person.vehicles:
        car = next(c for c in demo_shop.CARS if c[0] == make and c[1] == model)
        Vehicle.objects.create(
            owner=customer,
            year=year,
            make=make,
            model=model,
            vin=demo_shop.make_vin(car, year, 700000 + serial, plant="E"),
        )
    return customer


def _book(customer, spec, call_day, profile):
    service = ServiceType.objects.filter(name__iexact=spec.service).first()
    if service is None:
        raise ScenarioError(f"{spec.text!r}: the shop has no service {spec.service!r}")
    if spec.earliest is None:
        raise ScenarioError(f"{spec.text!r}: an appointment before the call needs a time ('at H:MM')")
    start = datetime.combine(spec.day.on(call_day), spec.earliest, profile.tz)
    return book_appointment(
        customer=customer, service_type=service, start=start, actor=ACTOR, vehicle=customer.vehicles.first()
    )


def _repair_order(people, scenario, spec, call_day, profile):
    """The car in the shop as `spec` declares it, written through the repair-order actions."""
    owner = people.get(spec.customer or scenario.caller)
    if owner is None:
        raise ScenarioError(
            f"a repair order belongs to one of the cast ({', '.join(CAST)}), not {spec.customer or scenario.caller!r}"
        )
    year, make, model = spec.vehicle
    vehicle = next(
        (
            v
            for v in owner.vehicles.all()
            if (v.year, v.make.lower(), v.model.lower()) == (year, make.lower(), model.lower())
        ),
        None,
    )
    if vehicle is None:
        vehicle = Vehicle.objects.create(owner=owner, year=year, make=make, model=model)
    now = clock.now()
    promised = None
    if spec.promised is not None:
        promised = datetime.combine(spec.promised[0].on(call_day), spec.promised[1], profile.tz)
    order = repair_orders.open_repair_order(
        customer=owner,
        vehicle=vehicle,
        actor=ACTOR,
        promised_at=promised,
        status_note=spec.note,
        status_note_approved=spec.note_approved,
        internal_notes=spec.internal,
        technician=spec.technician,
        opened_at=now - timedelta(hours=3),
    )
    for line in spec.lines:
        added = repair_orders.add_job_line(
            order,
            description=line.description,
            actor=ACTOR,
            estimate_low=line.estimate_low,
            estimate_high=line.estimate_high,
            amount=line.amount,
            status=JobLine.Status.RECOMMENDED if line.status == "declined" else line.status,
        )
        if line.status == "declined":
            repair_orders.decline_job_lines(
                order, [added.pk], actor=ACTOR, via=JobLine.Via.IN_PERSON, decided_by=owner.name, reason="Not today"
            )
    repair_orders.set_repair_status(order, spec.status, actor=ACTOR)
    return order


def _bystander_appointments(customer, call_day, profile):
    """Two appointments on the first two open days after the call, written directly: they only
    have to exist (and stay as they are), wherever the scenario's changes put the hours."""
    open_days = [d for d in (call_day + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5][:2]
    for day, hour, service in zip(open_days, (13, 10), ("Oil change", "Brake pads"), strict=True):
        _write(
            customer,
            ServiceType.objects.get(name=service),
            datetime.combine(day, datetime.min.time(), profile.tz).replace(hour=hour),
        )


def _fill(day: date, profile):
    """Every bay taken for the whole day, by customers of the shop who are not in the cast."""
    hours = OpeningHours.objects.filter(weekday=day.weekday()).first()
    if hours is None:
        return
    service = ServiceType.objects.order_by("-duration_minutes").first()
    start = datetime.combine(day, hours.opens, profile.tz)
    end = datetime.combine(day, hours.closes, profile.tz)
    for bay in range(profile.bays):
        holder, _ = Customer.objects.get_or_create(  # the same fleet holds every full day of the scenario
            phone=f"+1630555{9000 + bay:04d}", defaults={"name": f"Fleet account {bay + 1}"}
        )
        _write(holder, service, start, end=end)


def _write(customer, service, start, *, end=None):
    Appointment.objects.create(
        customer=customer,
        service_type=service,
        start=start,
        end=end or start + service.duration,
        source=Appointment.Source.COMMAND,
    )
