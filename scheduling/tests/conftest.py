"""Fixtures for scheduling tests: a weekday a few days ahead to book on, an advisor, and running an
action to commit."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def booking_day(shop):
    """A Monday-to-Friday date 3 to 9 days from today, in the shop's time zone."""
    day = timezone.now().astimezone(shop.tz).date() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@pytest.fixture
def at(shop, booking_day):
    """at(9, 30) -> 9:30 local on booking_day; at(9, day=other_date) for another day."""

    def local(hour, minute=0, *, day=None):
        return datetime(*(day or booking_day).timetuple()[:3], hour, minute, tzinfo=shop.tz)

    return local


@pytest.fixture
def advisor(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("priya", password="not-used-here", is_staff=True)


@pytest.fixture
def announced():
    """Every appointment_changed signal sent during the test, as (appointment_id, action)."""
    from scheduling.signals import appointment_changed

    sent = []

    def listen(sender, appointment_id, action, **kwargs):
        sent.append((appointment_id, action))

    appointment_changed.connect(listen, weak=False)
    yield sent
    appointment_changed.disconnect(listen)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(action, *args, **kwargs): run an action as if its request committed, then reload what it returned."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        result.refresh_from_db()
        return result

    return run
