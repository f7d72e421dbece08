"""Time staff block in the shop's Google Calendar takes a bay; the phone agent never waits on Google."""

import logging
import time
from datetime import timedelta

import pytest

from scheduling import busy
from scheduling.actions import Actor, BookingRefused, available_slots, book_appointment
from scheduling.tasks import refresh_calendar_busy
from scheduling.tests.vendors import google, run_tasks  # noqa: F401

agent = Actor.phone_agent("CA0002")


def free_busy_calls(google):
    return len(google.calls("POST", "freeBusy"))


def slots(oil_change, at):
    return available_slots(oil_change, at(8), at(17))


def test_a_block_in_the_calendar_takes_a_bay(shop, google, customer, other_customer, oil_change, at):
    google.add_event(at(9).isoformat(), at(10).isoformat(), summary="Lift 1 out of service")
    book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=agent)  # the other bay

    offered = slots(oil_change, at)

    assert at(9) not in offered  # the block and the booking fill both bays
    assert at(9, 30) in offered  # the block alone leaves one
    with pytest.raises(BookingRefused) as refused:
        book_appointment(customer=other_customer, service_type=oil_change, start=at(9), actor=agent)
    assert refused.value.code == "slot_taken"


def test_without_blocks_both_bays_are_offered(shop, google, customer, oil_change, at):
    book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=agent)
    assert at(9) in slots(oil_change, at)


def test_free_busy_is_asked_once_then_read_from_the_cache(shop, google, oil_change, at):
    first = slots(oil_change, at)
    google.outage = 503  # from here on Google would fail; nobody asks it

    assert slots(oil_change, at) == first
    assert free_busy_calls(google) == 1


def test_the_beat_task_warms_two_weeks_so_lookups_need_no_google(shop, google, oil_change, at, run_tasks):
    google.add_event(at(9).isoformat(), at(10).isoformat())
    assert refresh_calendar_busy.delay().get().startswith("1 busy spans")
    google.outage = 503

    busy_spans = busy.external_busy(at(8), at(17))

    assert busy_spans == [(at(9), at(10))]
    assert free_busy_calls(google) == 1


def test_our_own_synced_bookings_are_not_counted_twice(
    shop, google, customer, oil_change, at, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=agent)
    assert len(google.events()) == 1
    busy.refresh(at(8), at(17))

    assert busy.external_busy(at(8), at(17)) == []
    assert at(9) in slots(oil_change, at)  # one bay taken by the booking, one still free


def test_google_down_means_database_only_availability_and_a_log_line(shop, google, customer, oil_change, at, caplog):
    google.outage = 503
    book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=agent)

    with caplog.at_level(logging.WARNING, logger="scheduling.busy"):
        offered = slots(oil_change, at)

    assert at(9) in offered and at(8) in offered
    assert any("availability from the database alone" in r.getMessage() for r in caplog.records)
    asked = free_busy_calls(google)
    slots(oil_change, at)
    assert free_busy_calls(google) == asked  # no second wait on a Google that just failed


def test_a_slow_google_is_not_waited_for(shop, google, oil_change, at, settings, caplog):
    settings.GOOGLE_FREEBUSY_TIMEOUT_SECONDS = 0.3
    google.latency_s = 3.0

    with caplog.at_level(logging.WARNING, logger="scheduling.busy"):
        offered = slots(oil_change, at)

    assert at(9) in offered
    assert any("did not answer in time" in r.getMessage() for r in caplog.records)


def test_a_stale_answer_is_used_while_a_fresh_one_is_fetched(shop, google, oil_change, at, settings):
    assert busy.external_busy(at(8), at(17)) == []
    google.add_event(at(13).isoformat(), at(14).isoformat())
    settings.GOOGLE_FREEBUSY_CACHE_SECONDS = 0  # everything cached is stale from now on

    assert busy.external_busy(at(8), at(17)) == []  # the cached answer, at once
    google.wait_for(lambda g: free_busy_calls(g) == 2)
    deadline = time.monotonic() + 5
    while busy.external_busy(at(8), at(17)) != [(at(13), at(14))]:
        assert time.monotonic() < deadline, "the background refresh never landed"
        time.sleep(0.05)


def test_without_a_calendar_there_is_no_external_busy_time(shop, settings, at):
    settings.GOOGLE_CALENDAR_ID = ""
    assert busy.external_busy(at(8), at(17)) == []


def test_busy_time_spanning_days_is_cached_per_day(shop, google, at):
    next_day = at(8) + timedelta(days=1)
    midnight = next_day.replace(hour=0)
    google.add_event(at(16).isoformat(), (next_day + timedelta(hours=1)).isoformat(), summary="Bay 2 rebuild")

    assert busy.external_busy(at(8), at(17)) == [(at(16), midnight)]
    assert busy.external_busy(next_day, next_day + timedelta(hours=9)) == [(midnight, next_day + timedelta(hours=1))]
    assert busy.external_busy(at(8), next_day + timedelta(hours=9)) == [
        (at(16), midnight),
        (midnight, next_day + timedelta(hours=1)),
    ]
    assert free_busy_calls(google) == 2
