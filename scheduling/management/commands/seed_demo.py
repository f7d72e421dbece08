"""Fill the database with a realistic demo shop; running it again changes nothing."""

import random
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from crm.actions import create_customer
from crm.models import Customer, Vehicle
from crm.phone_cache import forget_cached_phones
from crm.phones import display_phone
from scheduling.actions import Actor, BookingRefused, available_slots, book_appointment, set_appointment_status
from scheduling.management import demo_shop
from scheduling.models import (
    Appointment,
    Closure,
    FaqAnswer,
    JobLine,
    OpeningHours,
    RepairOrder,
    RepairOrderChange,
    ServiceType,
    ShopProfile,
)
from scheduling.repair_orders import actions as repair_orders
from scheduling.shop_time_zone import in_shop_time_zone

ACTOR = Actor.command("seed_demo")
BATCH = 5000


class Command(BaseCommand):
    help = (
        "Create the demo shop (hours, closures, services, FAQ), ~50 customers with vehicles, two weeks of "
        "appointments and cars in the shop (a repair order in every status). Idempotent. --customers N adds generated customers up to N in total."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=0,
            metavar="N",
            help="Total customers wanted; generated ones (with a vehicle each) make up the difference.",
        )

    @in_shop_time_zone()  # "today" is the shop's, as its Settings page says
    def handle(self, *, customers, verbosity, **options):
        if customers < 0:
            raise CommandError("--customers must be zero or more.")
        profile = self.shop()
        services = self.services()
        self.faq()
        people, new_people = self.cast()
        booked, new_bookings, refused = self.appointments(profile, people, services)
        in_shop, new_orders = self.repair_orders(profile, people)
        generated = self.bulk(max(0, customers - len(people)), verbosity)
        demo = people[0]
        return (
            f"{profile.name}: {len(services)} services, {FaqAnswer.objects.count()} FAQ answers, "
            f"{Customer.objects.count()} customers ({new_people + generated} new), "
            f"{Vehicle.objects.count()} vehicles, {booked} demo appointments in the next two weeks "
            f"({new_bookings} new, {refused} refused), {in_shop} repair orders ({new_orders} new).\n"
            f"Demo caller: {demo.name}, {display_phone(demo.phone)} ({demo.phone})."
        )

    # --- The shop ------------------------------------------------------------------------------

    def shop(self):
        profile = ShopProfile.objects.order_by("pk").first()
        if profile is None:
            profile = ShopProfile.objects.create(**demo_shop.SHOP)
        for weekday, (opens, closes, lunch_start, lunch_end) in demo_shop.HOURS.items():
            OpeningHours.objects.get_or_create(
                weekday=weekday,
                defaults={"opens": opens, "closes": closes, "lunch_start": lunch_start, "lunch_end": lunch_end},
            )
        for start, end, reason in demo_shop.holiday_closures(timezone.localdate()):
            Closure.objects.get_or_create(start_date=start, end_date=end, defaults={"reason": reason})
        return profile

    def services(self):
        services = []
        for name, description, minutes, low, high, waiter_allowed in demo_shop.SERVICES:
            service, _ = ServiceType.objects.get_or_create(
                name=name,
                defaults={
                    "description": description,
                    "duration_minutes": minutes,
                    "price_low": low,
                    "price_high": high,
                    "waiter_allowed": waiter_allowed,
                },
            )
            services.append(service)
        return services

    def faq(self):
        for topic, answer in demo_shop.FAQ.items():
            FaqAnswer.objects.get_or_create(
                topic=topic,
                defaults={"question": FaqAnswer.TOPIC_QUESTIONS[topic], "answer": answer, "approved": True},
            )

    # --- Customers -----------------------------------------------------------------------------

    def cast(self):
        people, created = [], 0
        for person in demo_shop.cast():
            customer = Customer.objects.filter(phone=person["phone"]).first()
            if customer is None:
                customer = create_customer(
                    phone=person["phone"], name=person["name"], email=person["email"], sms_opt_in=True
                )
                created += 1
            self.vehicle(customer, person)
            people.append(customer)
        by_name = {customer.name: customer for customer in people}
        for n, (name, car, year, mileage) in enumerate(demo_shop.SECOND_CARS):
            self.vehicle(
                by_name[name],
                {
                    "car": car,
                    "year": year,
                    "mileage": mileage,
                    "vin": demo_shop.make_vin(car, year, 800000 + n, plant="D"),
                },
            )
        return people, created

    def vehicle(self, customer, person):
        if Vehicle.objects.filter(vin=person["vin"]).exists():
            return
        # Written directly rather than through crm.actions.add_vehicle: these VINs are made up,
        # so queueing NHTSA decodes for them would only slow the seed and muddle the demo.
        make, model, _, _ = person["car"]
        vehicle = Vehicle(
            owner=customer, vin=person["vin"], year=person["year"], make=make, model=model, mileage=person["mileage"]
        )
        vehicle.full_clean()
        vehicle.save()

    # --- Appointments ----------------------------------------------------------------------------

    def appointments(self, profile, people, services):
        """About two in three customers get one appointment in the next two weeks."""
        rng = random.Random("seed_demo")
        today = timezone.localtime(timezone.now(), profile.tz).date()
        booked = new = refused = 0
        for n, customer in enumerate(people):
            service = services[rng.randrange(len(services))]
            first_offset = rng.randrange(14)
            pick, waiter, confirm = rng.random(), rng.random() < 0.3, rng.random() < 0.4
            if n and n % 3 == 0:
                continue
            key = f"seed_demo:{customer.phone}:1"
            if Appointment.objects.filter(idempotency_key=key).exists():
                booked += 1
                continue
            waiter = waiter and service.waiter_allowed
            start = self.free_start(profile, service, today, first_offset, pick, waiter)
            if start is None:
                refused += 1
                continue
            try:
                appointment = book_appointment(
                    customer=customer,
                    service_type=service,
                    start=start,
                    actor=ACTOR,
                    vehicle=customer.vehicles.first(),
                    waiter=waiter,
                    idempotency_key=key,
                )
                if confirm:
                    set_appointment_status(appointment, Appointment.Status.CONFIRMED, actor=ACTOR)
            except BookingRefused:
                refused += 1
                continue
            booked += 1
            new += 1
        return booked, new, refused

    @staticmethod
    def free_start(profile, service, today, first_offset, pick, waiter):
        """A free start on the first open day from today + 1 + first_offset, wrapping within two weeks."""
        for offset in range(14):
            day = today + timedelta(days=1 + (first_offset + offset) % 14)
            start_of_day = datetime.combine(day, datetime.min.time(), tzinfo=profile.tz)
            slots = available_slots(service, start_of_day, start_of_day + timedelta(days=1), waiter=waiter)
            if slots:
                return slots[int(pick * len(slots))]
        return None

    # --- Cars in the shop ---------------------------------------------------------------------

    def repair_orders(self, profile, people):
        """The demo's repair orders (demo_shop.REPAIR_ORDERS), each opened once: a car that has
        ever had one from seed_demo is left as it is, whatever an advisor did with it since."""
        by_name = {customer.name: customer for customer in people}
        today = timezone.localtime(timezone.now(), profile.tz).date()
        count = new = 0
        for spec in demo_shop.REPAIR_ORDERS:
            customer = by_name[spec["customer"]]
            make, model = spec["car"]
            vehicle = customer.vehicles.get(make=make, model=model)
            count += 1
            seeded = RepairOrderChange.objects.filter(
                repair_order__vehicle=vehicle, action="opened", actor_kind=ACTOR.kind, actor_label=ACTOR.label
            )
            if seeded.exists():
                continue
            self.repair_order(profile, today, customer, vehicle, spec)
            new += 1
        return count, new

    @transaction.atomic
    def repair_order(self, profile, today, customer, vehicle, spec):
        parts_day = demo_shop.open_day(today, 2)
        now = timezone.now()
        moments = {  # a car came in (and went) in the past, whatever the hour seed_demo runs
            key: min(self.moment(profile, today, spec[key], parts_day, past=True), now)
            for key in ("opened", "closed")
            if key in spec
        }
        if "promised" in spec:
            moments["promised"] = self.moment(profile, today, spec["promised"], parts_day)
        note = spec.get("note", "").format(parts_day=f"{parts_day:%A}")
        order = repair_orders.open_repair_order(
            customer=customer,
            vehicle=vehicle,
            actor=ACTOR,
            promised_at=moments.get("promised"),
            mileage_in=vehicle.mileage,
            status_note=note,
            status_note_approved=spec.get("note_approved", False),
            internal_notes=spec.get("internal", ""),
            technician=spec.get("technician", ""),
            opened_at=moments["opened"],
        )
        for description, low, high, amount, status, *reason in spec["lines"]:
            if status == "requested":
                repair_orders.request_work(order, description=description, actor=ACTOR, customer=customer)
                continue
            line = repair_orders.add_job_line(
                order,
                description=description,
                actor=ACTOR,
                estimate_low=low,
                estimate_high=high,
                amount=amount,
                status=JobLine.Status.RECOMMENDED if status == "declined" else status,
            )
            if status == "declined":
                repair_orders.decline_job_lines(
                    order,
                    [line.pk],
                    actor=ACTOR,
                    via=JobLine.Via.IN_PERSON,
                    decided_by=customer.name,
                    reason=reason[0] if reason else "",
                )
        if spec["status"] == RepairOrder.Status.PICKED_UP:
            repair_orders.close_repair_order(order, actor=ACTOR, closed_at=moments.get("closed"))
        else:
            repair_orders.set_repair_status(order, spec["status"], actor=ACTOR)
        return order

    @staticmethod
    def moment(profile, today, when, parts_day, *, past=False):
        days, at = when
        day = parts_day if days == "parts" else demo_shop.open_day(today, days, past=past)
        hour, minute = (int(part) for part in at.split(":"))
        return datetime.combine(day, datetime.min.time(), tzinfo=profile.tz).replace(hour=hour, minute=minute)

    # --- Large data sets -----------------------------------------------------------------------

    def bulk(self, count, verbosity):
        """Generated customers 0..count-1 (each with a vehicle), written in batches; returns how many were new."""
        if count > demo_shop.BULK_CAPACITY:
            raise CommandError(f"At most {demo_shop.BULK_CAPACITY} generated customers are possible.")
        created = 0
        with tqdm(total=count, unit=" customers", disable=None if verbosity else True) as progress:
            for first in range(0, count, BATCH):
                created += self.bulk_batch(range(first, min(first + BATCH, count)))
                progress.update(min(BATCH, count - first))
        return created

    @transaction.atomic
    def bulk_batch(self, indexes):
        generated = [demo_shop.bulk_customer(i) for i in indexes]
        existing = set(Customer.objects.filter(phone__in=[g[1] for g in generated]).values_list("phone", flat=True))
        fresh = [g for g in generated if g[1] not in existing]
        if not fresh:
            return 0
        customers = Customer.objects.bulk_create(
            [Customer(name=name, phone=phone) for name, phone, *_ in fresh], batch_size=1000
        )
        Vehicle.objects.bulk_create(
            [
                Vehicle(owner=customer, vin=vin, year=year, make=car[0], model=car[1])
                for customer, (_, _, vin, car, year) in zip(customers, fresh, strict=True)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        # bulk_create sends no signals: drop any cached "no such customer" for these numbers.
        forget_cached_phones([customer.phone for customer in customers])
        return len(customers)
