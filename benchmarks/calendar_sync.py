"""Calendar sync benchmark: commit-to-calendar latency on a local Celery worker, and what the
warm free/busy cache adds to available_slots. Real PostgreSQL, Redis, worker and Google client;
the calendar is the loopback fake (fakes/google_calendar.py).

Usage (a throwaway PostgreSQL and Redis, started and stopped for the run):
    scripts/with_services.sh .venv/bin/python benchmarks/calendar_sync.py
Options: --bookings N (default 100), --concurrency N (worker processes, default 2), --runs N (default 500).

Prints p50/p95 in milliseconds for:
  commit -> event stored in the calendar, one booking at a time (each waits for its event), and
  for a burst of N bookings committed back to back (includes queueing on the worker);
  available_slots (1 day and 14 days) without a calendar and with the free/busy cache warm.
Targets (issue 4): the warm cache adds <= 2 ms to available_slots (p50 difference).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ottos.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")

# Phone numbers this script adds: +1 312 300-0000 upwards.
FIRST_PHONE = 13123000000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (postgres://...) and REDIS_URL, or run it through scripts/with_services.sh")

    from fakes.google_calendar import FakeGoogleCalendar

    with FakeGoogleCalendar(f"bench-{uuid.uuid4().hex[:8]}@garage.example") as google:
        # Before Django reads its settings, so this process and the worker agree.
        os.environ.update(
            GOOGLE_CALENDAR_ID=google.calendar_ids[0],
            GOOGLE_CALENDAR_BASE_URL=google.api_endpoint,
            CELERY_TASK_ALWAYS_EAGER="false",
            TEXTS_ENABLED="false",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        service = ensure_shop()
        add_staff_blocks(google)
        worker = start_worker(args.concurrency)
        try:
            one_by_one = measure_sync_latency(google, service, args.bookings, wait_each=True)
            burst = measure_sync_latency(google, service, args.bookings, wait_each=False)
        finally:
            stop_worker(worker)
        rows = [
            (f"commit -> event in calendar, one at a time ({args.bookings})", one_by_one, None),
            (f"commit -> event in calendar, burst of {args.bookings}", burst, None),
            *measure_free_busy_overhead(service, args.runs),
        ]
        print_table(rows, args.concurrency, google)


# --- Setting up --------------------------------------------------------------------------------


def ensure_shop():
    from datetime import time as clock

    from scheduling.models import OpeningHours, ServiceType, ShopProfile

    profile = ShopProfile.load()
    profile.bays, profile.min_lead_minutes = 4, 60
    profile.save()
    if not OpeningHours.objects.exists():
        for weekday in range(6):
            OpeningHours.objects.create(weekday=weekday, opens=clock(8), closes=clock(17))
    service, _ = ServiceType.objects.get_or_create(name="Oil change", defaults={"duration_minutes": 30})
    return service


def add_staff_blocks(google):
    """A block a day for two weeks (a lift out of service), so free/busy has something to say."""
    from django.utils import timezone

    from scheduling.models import ShopProfile

    tz = ShopProfile.load().tz
    today = timezone.now().astimezone(tz).date()
    for n in range(1, 15):
        start = datetime.combine(today + timedelta(days=n), datetime.min.time(), tz) + timedelta(hours=13)
        google.add_event(start.isoformat(), (start + timedelta(hours=2)).isoformat(), summary="Lift 3 service")


def start_worker(concurrency):
    from ottos.celery import app

    app.control.purge()
    name = f"bench-{uuid.uuid4().hex[:8]}@localhost"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ottos",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "-n",
            name,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=sys.stderr,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("The Celery worker did not start")
    return proc


def stop_worker(proc):
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def customers(n):
    from crm.models import Customer

    found = []
    for i in range(n):
        customer, _ = Customer.objects.get_or_create(
            phone=f"+{FIRST_PHONE + i}", defaults={"name": f"Benchmark Customer {i}"}
        )
        found.append(customer)
    return found


# --- Measurements ------------------------------------------------------------------------------


def measure_sync_latency(google, service, bookings, *, wait_each):
    """Book `bookings` free slots; per booking, seconds from COMMIT to the event stored in the fake."""
    from django.db import transaction
    from django.utils import timezone

    from scheduling.actions import Actor, BookingRefused, available_slots, book_appointment
    from scheduling.calendar_sync import event_id_for_appointment

    actor = Actor.command("benchmark")
    now = timezone.now()
    slots = iter(available_slots(service, now, now + timedelta(days=30)))
    people = iter(customers(bookings * 2))
    committed = []  # (appointment, time.time() at commit)
    while len(committed) < bookings:
        start = next(slots)
        stamp = []
        try:
            with transaction.atomic():
                # Registered before the booking's own hooks, so it runs first, right after COMMIT.
                transaction.on_commit(lambda: stamp.append(time.time()))
                appointment = book_appointment(customer=next(people), service_type=service, start=start, actor=actor)
        except BookingRefused:
            continue
        committed.append((appointment, stamp[0]))
        if wait_each:
            event_id = event_id_for_appointment(appointment)
            google.wait_for(lambda g: event_id in g.stored_at, timeout=30)
    waits = []
    for appointment, at in committed:
        event_id = event_id_for_appointment(appointment)
        google.wait_for(lambda g: event_id in g.stored_at, timeout=60)
        waits.append((google.stored_at[event_id] - at) * 1000)
    return waits


def timed(fn, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def interleaved(first, second, runs):
    """Time two callables alternately, so machine load drifts over both alike."""
    a, b = [], []
    for _ in range(runs):
        a.extend(timed(first, 1))
        b.extend(timed(second, 1))
    return a, b


def measure_free_busy_overhead(service, runs):
    from django.conf import settings
    from django.utils import timezone

    from scheduling import busy
    from scheduling.actions import available_slots
    from scheduling.models import ShopProfile

    tz = ShopProfile.load().tz
    day = datetime.combine(timezone.now().astimezone(tz).date() + timedelta(days=2), datetime.min.time(), tz)
    calendar_id = settings.GOOGLE_CALENDAR_ID
    rows = []
    for label, end in (("1 day", day + timedelta(days=1)), ("14 days", day + timedelta(days=14))):
        busy.refresh(day, end + timedelta(days=1))  # warm, as the beat task keeps it
        assert busy.external_busy(day, end), "the staff blocks should be in the cache"

        def warm():
            return available_slots(service, day, end)

        def no_calendar():
            settings.GOOGLE_CALENDAR_ID = ""  # cheaper than override_settings, which would be timed too
            try:
                return available_slots(service, day, end)
            finally:
                settings.GOOGLE_CALENDAR_ID = calendar_id

        for _ in range(20):
            warm(), no_calendar()
        plain, cached = interleaved(no_calendar, warm, runs)
        lookup = timed(lambda: busy.external_busy(day, end + service.duration), runs)
        rows.append((f"available_slots, {label}, no calendar", plain, None))
        rows.append((f"available_slots, {label}, free/busy cache warm", cached, ("vs", plain)))
        rows.append((f"  of which external_busy (warm cache), {label}", lookup, None))
    return rows


# --- Report ---------------------------------------------------------------------------------------


def print_table(rows, concurrency, google):
    from django.db import connection

    load = os.getloadavg()[0]
    print(
        f"\nPostgreSQL {connection.pg_version // 10000}, Redis broker, Celery worker with {concurrency} processes, "
        f"loopback Google Calendar; {os.cpu_count()} CPUs, load average {load:.1f}\n"
    )
    header = f"{'measurement':<58} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9}  target"
    print(header)
    print("-" * len(header))
    for label, samples, target in rows:
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=100, method="inclusive")[94]
        verdict = ""
        if target and target[0] == "vs":
            added = p50 - statistics.median(target[1])
            verdict = f"adds {added:+.3f} ms (p50); <= 2 ms {'ok' if added <= 2.0 else 'MISSED'}"
        print(f"{label:<58} {len(samples):>5} {p50:>9.3f} {p95:>9.3f}  {verdict}")
    inserts = len(google.calls("POST", "events"))
    print(f"\n{inserts} event inserts for {len(google.events()) - 14} bookings (no duplicates means equal)")


if __name__ == "__main__":
    main()
