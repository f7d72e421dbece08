"""Foundation benchmark: caller lookup by phone and 14-day availability on real PostgreSQL + Redis.

Usage (a throwaway PostgreSQL and Redis, started and stopped for the run):
    scripts/with_services.sh .venv/bin/python benchmarks/foundation.py
or against servers you already have (the database is migrated and filled if it lacks data):
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python benchmarks/foundation.py
Options: --customers N (default 100000), --appointments N (default 5000), --runs N (default 2000).

It runs seed_demo --customers N (the demo shop and N customers), adds appointments in bulk
up to N (and customers, should seed_demo be missing), then prints p50/p99 in milliseconds for:
  find_customer_by_phone, cached (Redis hit) and uncached (Redis miss, PostgreSQL, cache fill);
  available_slots over the next 14 days (every query included), and the pure computation alone.
Targets (issue 2): cached p99 <= 1 ms, uncached p99 <= 5 ms, 14-day availability <= 20 ms.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ottos.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")

# Phone numbers this script adds: +1 312 200-0000 upwards (valid, and not the 555 demo range).
FIRST_PHONE = 13122000000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=2_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (postgres://...) and REDIS_URL, or run it through scripts/with_services.sh")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.core.management import get_commands

    if "seed_demo" in get_commands():
        print(f"seed_demo --customers {args.customers} ...", file=sys.stderr)
        call_command("seed_demo", customers=args.customers, verbosity=0, stdout=io.StringIO())
    ensure_shop()
    ensure_customers(args.customers)
    ensure_appointments(args.appointments)

    rows = [
        measure_lookup_uncached(args.runs),
        measure_lookup_cached(args.runs),
        *measure_availability(max(args.runs // 10, 100)),
    ]
    print_table(rows)


# --- Data ----------------------------------------------------------------------------------


def ensure_shop():
    from datetime import time as clock
    from decimal import Decimal

    from scheduling.models import OpeningHours, ServiceType, ShopProfile

    ShopProfile.load()
    if not OpeningHours.objects.exists():
        for weekday in range(5):
            OpeningHours.objects.create(
                weekday=weekday, opens=clock(8), closes=clock(17), lunch_start=clock(12), lunch_end=clock(13)
            )
        OpeningHours.objects.create(weekday=5, opens=clock(8), closes=clock(12))
    services = [
        ("Oil change", 30, True),
        ("Tire rotation", 45, True),
        ("Diagnosis", 90, False),
        ("Brake pads and rotors", 180, False),
    ]
    for name, minutes, waiter in services:
        ServiceType.objects.get_or_create(
            name=name,
            defaults={
                "duration_minutes": minutes,
                "waiter_allowed": waiter,
                "price_low": Decimal(50),
                "price_high": Decimal(400),
            },
        )


def ensure_customers(wanted):
    from crm.models import Customer

    have = Customer.objects.count()
    if have >= wanted:
        print(f"{have} customers on file", file=sys.stderr)
        return
    print(f"Adding {wanted - have} customers ...", file=sys.stderr)
    taken = set(Customer.objects.values_list("phone", flat=True))
    batch, number = [], FIRST_PHONE
    while have < wanted:
        phone = f"+{number}"
        number += 1
        if phone in taken:
            continue
        batch.append(Customer(name=f"Benchmark Customer {number}", phone=phone))
        have += 1
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)
    call_analyze()


def ensure_appointments(wanted):
    """Appointments from 60 days back to 60 days ahead at open hours: ~550 in any 14 days."""
    from django.utils import timezone

    from crm.models import Customer
    from scheduling.models import Appointment, OpeningHours, ServiceType, ShopProfile

    have = Appointment.objects.count()
    if have >= wanted:
        print(f"{have} appointments on file", file=sys.stderr)
        return
    print(f"Adding {wanted - have} appointments ...", file=sys.stderr)
    rng = random.Random(2)
    tz = ShopProfile.load().tz
    hours = {h.weekday: h for h in OpeningHours.objects.all()}
    services = list(ServiceType.objects.filter(active=True))
    customer_ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:20000])
    today = timezone.now().astimezone(tz).date()
    statuses = [Appointment.Status.BOOKED] * 6 + [Appointment.Status.CONFIRMED] * 3 + [Appointment.Status.CANCELLED]
    batch = []
    while have + len(batch) < wanted:
        day = today + timedelta(days=rng.randrange(-60, 60))
        if day.weekday() not in hours:
            continue
        opening = hours[day.weekday()]
        service = rng.choice(services)
        start = datetime.combine(day, opening.opens, tz) + timedelta(minutes=30 * rng.randrange(0, 16))
        if start.time() >= opening.closes:
            continue
        batch.append(
            Appointment(
                customer_id=rng.choice(customer_ids),
                service_type=service,
                start=start,
                end=start + service.duration,
                status=rng.choice(statuses),
                waiter=service.waiter_allowed and rng.random() < 0.3,
                source="command",
            )
        )
    Appointment.objects.bulk_create(batch, batch_size=2000)
    call_analyze()


def call_analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Measurements ------------------------------------------------------------------------------


def timed(fn, runs, before=None):
    samples = []
    for i in range(runs):
        if before:
            before(i)
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def sample_phones(runs):
    """Phones of customers on file, written the ways callers and advisors write them."""
    from crm.models import Customer
    from crm.phones import display_phone

    phones = list(Customer.objects.order_by("?").values_list("phone", flat=True)[:runs])
    styles = [lambda p: p, display_phone, lambda p: p[2:5] + "." + p[5:8] + "." + p[8:], lambda p: "tel:" + p]
    return [styles[i % len(styles)](p) for i, p in enumerate(phones)], phones


def measure_lookup_uncached(runs):
    from crm.actions import find_customer_by_phone
    from crm.phone_cache import forget_cached_phone

    written, e164 = sample_phones(runs)
    for i in range(50):  # warm the connection and the code paths
        find_customer_by_phone(written[i % len(written)])
    samples = timed(
        lambda i: find_customer_by_phone(written[i % len(written)]),
        runs,
        before=lambda i: forget_cached_phone(e164[i % len(e164)]),
    )
    assert find_customer_by_phone(written[0]) is not None
    return "find_customer_by_phone, uncached", samples, 5.0


def measure_lookup_cached(runs):
    from crm.actions import find_customer_by_phone

    written, _ = sample_phones(runs)
    for phone in written:
        find_customer_by_phone(phone)
    samples = timed(lambda i: find_customer_by_phone(written[i % len(written)]), runs)
    return "find_customer_by_phone, cached", samples, 1.0


def measure_availability(runs):
    from django.utils import timezone

    from scheduling import actions, availability
    from scheduling.availability import Demand
    from scheduling.models import Appointment, ServiceType, ShopProfile

    tz = ShopProfile.load().tz
    start = datetime.combine(timezone.now().astimezone(tz).date() + timedelta(days=1), datetime.min.time(), tz)
    end = start + timedelta(days=14)
    services = list(ServiceType.objects.filter(active=True))
    in_window = Appointment.objects.active().overlapping(start, end).count()
    cases = [(s, w) for s in services for w in (False, True) if s.waiter_allowed or not w]

    def query(i):
        service, waiter = cases[i % len(cases)]
        return actions.available_slots(service, start, end, waiter=waiter)

    for i in range(20):
        query(i)
    offered = sum(len(query(i)) for i in range(len(cases))) / len(cases)
    with_db = timed(query, runs)

    now = timezone.now()
    profile = ShopProfile.load()
    rules = actions._shop_rules(profile, start, end)
    demand = Demand.of(actions._booked_between(start, end + timedelta(hours=4)))

    def compute(i):
        service, waiter = cases[i % len(cases)]
        availability.slot_starts(
            rules, actions._service_rules(service), start, end, now=now, demand=demand, waiter=waiter
        )

    pure = timed(compute, runs)
    label = f"available_slots, 14 days ({in_window} active appts, ~{offered:.0f} slots)"
    return [(label, with_db, 20.0), ("  of which the pure computation", pure, None)]


# --- Report ---------------------------------------------------------------------------------------


def print_table(rows):
    from django.db import connection

    from crm.models import Customer
    from scheduling.models import Appointment

    load = os.getloadavg()[0]
    print(
        f"\nPostgreSQL {connection.pg_version // 10000}, {Customer.objects.count()} customers, "
        f"{Appointment.objects.count()} appointments; {os.cpu_count()} CPUs, load average {load:.1f} "
        "(figures from a busy machine overstate the tail)\n"
    )
    header = f"{'measurement':<62} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8}  target"
    print(header)
    print("-" * len(header))
    for label, samples, target in rows:
        centiles = statistics.quantiles(samples, n=100, method="inclusive")
        p50, p99 = statistics.median(samples), centiles[98]
        verdict = "" if target is None else f"p99 <= {target:g} ms  {'ok' if p99 <= target else 'MISSED'}"
        print(f"{label:<62} {len(samples):>5} {p50:>8.3f} {p99:>8.3f}  {verdict}")


if __name__ == "__main__":
    main()
