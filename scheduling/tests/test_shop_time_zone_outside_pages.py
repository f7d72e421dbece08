"""Outside the pages the shop's time zone is the Settings page's too: every Celery task runs in it
(and gives a page that ran one eagerly its own zone back), while SHOP_TIME_ZONE, Django's TIME_ZONE,
still says Chicago."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from scheduling.actions import Actor, book_appointment
from scheduling.shop_settings import save_shop_settings
from scheduling.tests.vendors import run_tasks, twilio  # noqa: F401 (fixtures)

# 1:00 AM on Tuesday, June 4 in Chicago; 11:00 PM on Monday, June 3 in Los Angeles.
MOMENT = datetime(2030, 6, 4, 6, 0, tzinfo=UTC)


@shared_task(name="scheduling.tests.local_time_of")
def local_time_of(iso):
    """A moment as a task reads it in local time: what a text, an event or a date lookup would say."""
    moment = datetime.fromisoformat(iso)
    return timezone.localtime(moment).isoformat(), timezone.localdate(moment).isoformat()


@pytest.fixture
def in_los_angeles(shop):
    assert timezone.get_default_timezone_name() == "America/Chicago"  # SHOP_TIME_ZONE stays as it was
    save_shop_settings(timezone="America/Los_Angeles")


def test_a_task_runs_in_the_zone_the_settings_page_says(in_los_angeles):
    said = local_time_of.apply(args=[MOMENT.isoformat()]).get()
    assert tuple(said) == ("2030-06-03T23:00:00-07:00", "2030-06-03")
    assert timezone.get_current_timezone_name() == "America/Chicago"  # only inside the task


def test_a_task_run_inside_a_page_gives_the_page_its_zone_back(in_los_angeles):
    with timezone.override(ZoneInfo("Asia/Tokyo")):  # the zone a page's middleware activated
        assert tuple(local_time_of.apply(args=[MOMENT.isoformat()]).get())[1] == "2030-06-03"
        assert timezone.get_current_timezone_name() == "Asia/Tokyo"


def test_a_task_runs_on_in_the_default_zone_when_the_shop_s_cannot_be_read(in_los_angeles, monkeypatch):
    def unreadable():
        raise DatabaseError("the database is restarting")

    monkeypatch.setattr("scheduling.shop_time_zone.shop_zone_name", unreadable)
    assert tuple(local_time_of.apply(args=[MOMENT.isoformat()]).get())[1] == "2030-06-04"  # Chicago's day


def test_a_confirmation_text_says_the_time_in_the_page_s_zone(
    in_los_angeles, twilio, run_tasks, committed, customer, oil_change, at
):
    committed(book_appointment, customer=customer, service_type=oil_change, start=at(11), actor=Actor.command("t"))
    [sent] = twilio.messages
    assert f"booked for {at(11):%a, %b} {at(11).day} at 9:00 AM." in sent["body"]  # 11:00 AM in Chicago
