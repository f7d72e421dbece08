"""Fixtures for the background-work tests: loopback Google Calendar, Twilio and NHTSA with the
settings pointing the real clients at them, and Celery tasks run in-process.

Import the ones a test module uses (`from scheduling.tests.vendors import google, ...`).
"""

import uuid

import pytest

from fakes.google_calendar import FakeGoogleCalendar
from fakes.nhtsa import FakeNhtsa
from fakes.twilio_rest import FakeTwilioRest

SHOP_NUMBER = "+13125550100"


@pytest.fixture
def google(settings):
    """The shop calendar. A fresh calendar id per test keeps cached free/busy apart."""
    calendar_id = f"bays-{uuid.uuid4().hex[:8]}@garage.example"
    with FakeGoogleCalendar(calendar_id, time_zone="America/Chicago") as fake:
        settings.GOOGLE_CALENDAR_ID = calendar_id
        settings.GOOGLE_CALENDAR_BASE_URL = fake.api_endpoint
        settings.CALENDAR_SYNC_MAX_RETRIES = 3
        yield fake


@pytest.fixture
def twilio(settings):
    with FakeTwilioRest() as fake:
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TEXTS_ENABLED = True
        settings.TEXTS_FROM_NUMBER = SHOP_NUMBER
        settings.TEXTS_MAX_RETRIES = 2
        settings.QUIET_HOURS = None
        yield fake


@pytest.fixture
def nhtsa(settings):
    with FakeNhtsa() as fake:
        settings.NHTSA_VPIC_BASE_URL = fake.vpic_base_url
        settings.NHTSA_RECALLS_BASE_URL = fake.recalls_base_url
        settings.NHTSA_TIMEOUT_SECONDS = 2.0
        settings.NHTSA_MAX_RETRIES = 1
        yield fake


@pytest.fixture
def run_tasks():
    """Queued Celery tasks run in this process at once (retries too, without the wait).

    A task's error does not escape .delay(); `.get()` on the result raises it.
    """
    from ottos.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
