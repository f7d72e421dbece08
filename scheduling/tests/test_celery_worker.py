"""The background work on a real Celery worker (a subprocess: `celery -A ottos worker`) fed by the
real Redis broker, writing to the test database, talking to the loopback vendors.

Bookings are committed for real here (transaction=True): the on-commit signal queues the task,
the worker picks it up, and the fakes see the result.
"""

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from crm.actions import add_vehicle
from crm.models import Vehicle
from fakes.google_calendar import FakeGoogleCalendar
from fakes.nhtsa import FakeNhtsa
from fakes.twilio_rest import FakeTwilioRest
from ottos.celery import app
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment, TextMessage
from scheduling.tasks import reconcile_calendar, send_appointment_text, sync_appointment_to_calendar
from scheduling.tests.vendors import SHOP_NUMBER

pytestmark = pytest.mark.django_db(transaction=True)
agent = Actor.phone_agent("CA0004")
CIVIC = "2HGFC2F56KH512345"


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def vendors():
    with (
        FakeGoogleCalendar(f"bays-{uuid.uuid4().hex[:8]}@garage.example") as google,
        FakeTwilioRest() as twilio,
        FakeNhtsa() as nhtsa,
    ):
        nhtsa.add_vehicle(CIVIC, make="HONDA", model="Civic", year=2019, trim="LX")
        yield google, twilio, nhtsa


@pytest.fixture(scope="module")
def vendor_settings(vendors):
    google, twilio, nhtsa = vendors
    return {
        "GOOGLE_CALENDAR_ID": google.calendar_ids[0],
        "GOOGLE_CALENDAR_BASE_URL": google.api_endpoint,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "TEXTS_ENABLED": True,
        "TEXTS_FROM_NUMBER": SHOP_NUMBER,
        "QUIET_HOURS": None,
        "NHTSA_VPIC_BASE_URL": nhtsa.vpic_base_url,
        "NHTSA_RECALLS_BASE_URL": nhtsa.recalls_base_url,
        "NHTSA_TIMEOUT_SECONDS": 0.5,
        "TASK_RETRY_BACKOFF_SECONDS": 1,
        "CALENDAR_SYNC_MAX_RETRIES": 3,
        "NHTSA_MAX_RETRIES": 4,
    }


@pytest.fixture(scope="module")
def worker(django_db_setup, vendor_settings, tmp_path_factory):
    """`celery -A ottos worker` on the test database, with the same settings as this process."""
    test_db = connection.settings_dict["NAME"]
    database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{test_db}"))
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "false"}
    for name, value in vendor_settings.items():
        env[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    app.control.purge()  # nothing left over from other tests' bookings
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ottos",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "-n",
                name,
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: proc.poll() is not None or app.control.ping(destination=[name], timeout=0.5),
            timeout=60,
            what="the worker to start",
        )
        assert proc.poll() is None, log_path.read_text()[-3000:]
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def live(vendors, vendor_settings, worker):
    google, twilio, nhtsa = vendors
    google.reset()
    twilio.messages.clear()
    twilio.requests.clear()
    nhtsa.requests.clear()
    nhtsa.stall_s = 0
    with override_settings(**vendor_settings):
        yield google, twilio, nhtsa


def book(customer, service, start):
    appointment = book_appointment(customer=customer, service_type=service, start=start, actor=agent)
    return appointment.pk


def test_a_committed_booking_reaches_the_calendar_and_the_customer(live, shop, customer, oil_change, at):
    google, twilio, _ = live

    pk = book(customer, oil_change, at(9))

    google.wait_for(lambda g: g.event_for_appointment(pk), timeout=30)
    wait_until(lambda: twilio.messages, what="the confirmation text")
    wait_until(lambda: Appointment.objects.get(pk=pk).calendar_sync_state == "synced", what="synced state")
    text = TextMessage.objects.get(appointment_id=pk)
    assert text.status == "sent" and text.twilio_sid == twilio.messages[0]["sid"]


def test_a_task_delivered_twice_makes_one_event_and_one_text(live, shop, customer, oil_change, at):
    google, twilio, _ = live
    pk = book(customer, oil_change, at(10))
    extra = [
        sync_appointment_to_calendar.apply_async(args=[pk]),
        sync_appointment_to_calendar.apply_async(args=[pk]),
        send_appointment_text.apply_async(args=[pk, "confirmation"]),
        send_appointment_text.apply_async(args=[pk, "confirmation"]),
    ]

    for result in extra:
        result.get(timeout=30)
    wait_until(lambda: TextMessage.objects.filter(appointment_id=pk, status="sent").exists(), what="the text")

    # Deliveries running at the same moment may both try to create the event; its id is derived
    # from the appointment, so the calendar refuses the second (409) and keeps one.
    assert len(google.event_for_appointment(pk)) == 1
    assert len(twilio.messages) == 1 and TextMessage.objects.filter(appointment_id=pk).count() == 1


def test_rate_limited_once_then_one_event_after_a_real_backoff(live, shop, customer, oil_change, at):
    google, _, _ = live
    google.fail_next(429, "rateLimitExceeded", methods=["POST"], kind="events")

    pk = book(customer, oil_change, at(11))

    google.wait_for(lambda g: g.event_for_appointment(pk), timeout=30)
    wait_until(lambda: Appointment.objects.get(pk=pk).calendar_sync_state == "synced", what="synced state")
    assert len(google.calls("POST", "events")) == 2
    assert len(google.event_for_appointment(pk)) == 1


def test_google_down_for_the_whole_booking_then_the_reconcile_repairs_it(live, shop, customer, oil_change, at):
    google, _, _ = live
    google.outage = 503

    pk = book(customer, oil_change, at(13))

    wait_until(lambda: len(google.calls("POST", "events")) == 4, what="the sync to give up after its retries")
    wait_until(
        lambda: Appointment.objects.get(pk=pk).calendar_sync_error.endswith("503 backendError: Backend Error"),
        what="the failure to be recorded",
    )
    appointment = Appointment.objects.get(pk=pk)
    assert appointment.status == "booked" and appointment.calendar_sync_state == "failed"

    google.outage = None
    assert "1 events created" in reconcile_calendar.delay().get(timeout=30)
    assert len(google.event_for_appointment(pk)) == 1
    assert Appointment.objects.get(pk=pk).calendar_sync_state == "synced"


def test_vpic_timing_out_keeps_the_offline_decode_and_a_later_retry_decodes_it(live, customer):
    _, _, nhtsa = live
    nhtsa.stall_s = 3.0

    vehicle_id = add_vehicle(customer, vin=CIVIC).pk

    wait_until(lambda: Vehicle.objects.get(pk=vehicle_id).decode_source == "offline", what="the offline decode")
    offline = Vehicle.objects.get(pk=vehicle_id)
    assert (offline.year, offline.make, offline.model) == (2019, "Honda", "")

    nhtsa.stall_s = 0
    wait_until(lambda: Vehicle.objects.get(pk=vehicle_id).decode_source == "vpic", what="the retry to decode it")
    decoded = Vehicle.objects.get(pk=vehicle_id)
    assert (decoded.year, decoded.make, decoded.model, decoded.trim) == (2019, "Honda", "Civic", "LX")
