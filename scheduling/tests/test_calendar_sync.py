"""Bookings reach the shop's Google Calendar once, stay in step, and survive Google's bad days.

The real google-api-python-client talks to a loopback Calendar API; tasks run in-process
(test_celery_worker.py runs them on a real worker).
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scheduling.actions import Actor, book_appointment, cancel_appointment, reschedule_appointment
from scheduling.calendar import parse_time
from scheduling.calendar_sync import event_id_for_appointment
from scheduling.models import Appointment
from scheduling.tasks import reconcile_calendar, sync_appointment_to_calendar
from scheduling.tests.vendors import google, run_tasks  # noqa: F401

agent = Actor.phone_agent("CA0001")
pytestmark = pytest.mark.usefixtures("run_tasks")


@pytest.fixture
def book(customer, oil_change, django_capture_on_commit_callbacks):
    """Book (and commit) an oil change for the customer at `start`."""

    def booking(start, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book_appointment(
                customer=customer, service_type=oil_change, start=start, actor=agent, **kwargs
            )
        appointment.refresh_from_db()
        return appointment

    return booking


def events_of(google, appointment):
    return google.event_for_appointment(appointment.pk)


def test_a_booking_appears_once_in_the_shop_calendar(shop, google, book, at):
    appointment = book(at(9), notes="Oil light on")

    [event] = events_of(google, appointment)
    assert parse_time(event["start"]) == at(9) and parse_time(event["end"]) == at(9, 30)
    assert event["summary"] == "Oil change - Dana Whitfield"
    assert "(312) 555-0147" in event["description"] and "Notes: Oil light on" in event["description"]
    assert event["transparency"] == "transparent"  # our bookings never show up again as "busy"
    assert appointment.calendar_sync_state == "synced"
    assert appointment.calendar_event_id == event["id"] == event_id_for_appointment(appointment)
    assert appointment.calendar_sync_error == "" and appointment.calendar_synced_at is not None


def test_rescheduling_moves_the_same_event(shop, google, book, committed, at):
    appointment = book(at(9))
    appointment = committed(reschedule_appointment, appointment, new_start=at(14), actor=agent)

    [event] = events_of(google, appointment)
    assert parse_time(event["start"]) == at(14)
    assert event["id"] == appointment.calendar_event_id
    assert len(google.calls("POST", "events")) == 1 and len(google.calls("PATCH", "events")) == 1
    assert appointment.calendar_sync_state == "synced"


def test_cancelling_deletes_the_event(shop, google, book, committed, at):
    appointment = book(at(9))
    appointment = committed(cancel_appointment, appointment, actor=agent)

    assert events_of(google, appointment) == []
    assert appointment.calendar_sync_state == "synced"


def test_rate_limited_then_accepted_makes_exactly_one_event(shop, google, book, at):
    google.fail_next(429, "rateLimitExceeded", methods=["POST"], kind="events")

    appointment = book(at(9))

    assert len(events_of(google, appointment)) == 1
    assert len(google.calls("POST", "events")) == 2
    assert appointment.calendar_sync_state == "synced"


def test_user_rate_limit_403_is_retried_too(shop, google, book, at):
    google.fail_next(403, "userRateLimitExceeded", methods=["POST"], kind="events")

    appointment = book(at(9))

    assert len(events_of(google, appointment)) == 1 and appointment.calendar_sync_state == "synced"


def test_an_insert_whose_answer_was_lost_is_not_made_twice(shop, google, book, at):
    google.fail_next(503, methods=["POST"], kind="events", after_applying=True)  # Google stored it; we never heard

    appointment = book(at(9))

    assert len(events_of(google, appointment)) == 1
    assert appointment.calendar_sync_state == "synced"
    assert appointment.calendar_event_id == events_of(google, appointment)[0]["id"]


def test_a_permanent_refusal_is_recorded_and_not_retried(shop, google, book, at):
    google.fail_next(403, "forbidden", kind="events", message="You need to have writer access to this calendar.")

    appointment = book(at(9))

    assert appointment.status == "booked"
    assert appointment.calendar_sync_state == "failed"
    assert "writer access" in appointment.calendar_sync_error
    assert len(google.calls("POST", "events")) == 1


def test_google_down_for_the_whole_booking_keeps_it_and_the_reconcile_repairs_it(shop, google, book, at):
    google.outage = 503

    appointment = book(at(9))

    assert Appointment.objects.filter(pk=appointment.pk, status="booked").exists()
    assert appointment.calendar_sync_state == "failed"
    assert "503" in appointment.calendar_sync_error
    assert len(google.calls("POST", "events")) == 4  # first try and three retries, then it gave up

    google.outage = None
    reconcile_calendar.delay()

    appointment.refresh_from_db()
    assert len(events_of(google, appointment)) == 1
    assert appointment.calendar_sync_state == "synced" and appointment.calendar_sync_error == ""


def test_a_task_delivered_twice_makes_one_event(shop, google, book, at):
    appointment = book(at(9))

    sync_appointment_to_calendar.delay(appointment.pk)
    sync_appointment_to_calendar.delay(appointment.pk)

    assert len(events_of(google, appointment)) == 1
    assert len(google.calls("POST", "events")) == 1


def test_a_first_sync_repeated_after_a_crash_adopts_the_event_it_made(shop, google, book, at):
    appointment = book(at(9))
    # As if the worker died after Google stored the event but before we recorded its id.
    Appointment.objects.filter(pk=appointment.pk).update(calendar_event_id="", calendar_sync_state="pending")

    sync_appointment_to_calendar.delay(appointment.pk)

    appointment.refresh_from_db()
    assert len(events_of(google, appointment)) == 1
    assert appointment.calendar_sync_state == "synced"


def test_an_unrecorded_event_deleted_by_hand_is_recreated_under_a_new_id(shop, google, book, at):
    appointment = book(at(9))
    first_id = appointment.calendar_event_id
    Appointment.objects.filter(pk=appointment.pk).update(calendar_event_id="", calendar_sync_state="pending")
    google.delete_event(first_id)  # its id lingers, deleted: inserting it again answers 409

    sync_appointment_to_calendar.delay(appointment.pk)

    appointment.refresh_from_db()
    [event] = events_of(google, appointment)
    assert event["id"] == appointment.calendar_event_id != first_id
    assert appointment.calendar_sync_state == "synced"


def test_a_cancelled_appointment_whose_event_was_deleted_by_hand_settles_quietly(shop, google, book, committed, at):
    appointment = book(at(9))
    google.delete_event(appointment.calendar_event_id)  # staff removed it in Google Calendar

    appointment = committed(cancel_appointment, appointment, actor=agent)
    assert appointment.calendar_sync_state == "synced" and appointment.calendar_sync_error == ""
    assert len(google.calls("DELETE", "events")) == 1  # answered 410, taken as done

    sync_appointment_to_calendar.delay(appointment.pk)
    reconcile_calendar.delay()
    reconcile_calendar.delay()
    appointment.refresh_from_db()
    assert appointment.calendar_sync_state == "synced"
    assert len(google.calls("DELETE", "events")) == 2  # the repeated task's one, none from the reconciles


def test_an_event_deleted_by_hand_is_recreated_for_an_active_appointment(shop, google, book, at):
    appointment = book(at(9))
    old_id = appointment.calendar_event_id
    google.delete_event(old_id)

    result = reconcile_calendar.delay().get()

    appointment.refresh_from_db()
    [event] = events_of(google, appointment)
    assert event["id"] == appointment.calendar_event_id != old_id
    assert parse_time(event["start"]) == at(9)
    assert "1 events created" in result


def test_an_event_moved_by_hand_is_put_back(shop, google, book, at):
    appointment = book(at(9))
    google.move_event(appointment.calendar_event_id, at(15).isoformat(), at(15, 30).isoformat())

    reconcile_calendar.delay()

    [event] = events_of(google, appointment)
    assert parse_time(event["start"]) == at(9)


def test_the_reconcile_removes_what_it_can_attribute_and_leaves_staff_events_alone(shop, google, book, at):
    appointment = book(at(9))
    staff_block = google.add_event(at(13).isoformat(), at(14).isoformat(), summary="Lift 2 inspection")
    stray = google.add_event(
        at(10).isoformat(),
        at(10, 30).isoformat(),
        summary="Oil change - someone",
        transparency="transparent",
        extendedProperties={"private": {"appointment_id": "999999", "source": "ottos"}},
    )
    duplicate = google.add_event(
        at(9).isoformat(),
        at(9, 30).isoformat(),
        summary="Oil change - Dana Whitfield",
        extendedProperties={"private": {"appointment_id": str(appointment.pk), "source": "ottos"}},
    )

    reconcile_calendar.delay()

    live = {e["id"] for e in google.events()}
    assert staff_block["id"] in live
    assert stray["id"] not in live and duplicate["id"] not in live
    assert appointment.calendar_event_id in live


def test_the_reconcile_changes_nothing_when_all_is_in_step(shop, google, book, at):
    book(at(9))
    book(at(10))
    before = len(google.requests)

    result = reconcile_calendar.delay().get()

    assert [r.method for r in google.requests[before:]] == ["GET"]  # one listing, no writes
    assert "2 already right" in result


def test_sync_calendar_command_repairs_and_reports(shop, google, book, at):
    appointment = book(at(9))
    google.delete_event(appointment.calendar_event_id)
    out, err = StringIO(), StringIO()

    call_command("sync_calendar", "--days", "14", stdout=out, stderr=err)

    assert "1 events created" in out.getvalue()
    assert "Appointments" in err.getvalue()  # the progress bar
    assert len(events_of(google, appointment)) == 1


def test_sync_calendar_command_says_when_google_cannot_be_read(shop, google):
    google.outage = 503
    with pytest.raises(CommandError, match="could not be read"):
        call_command("sync_calendar", "--days", "3", stdout=StringIO(), stderr=StringIO())


def test_without_a_calendar_bookings_just_stay_pending(
    shop, customer, oil_change, at, settings, django_capture_on_commit_callbacks
):
    settings.GOOGLE_CALENDAR_ID = ""
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=agent)
    appointment.refresh_from_db()
    assert appointment.calendar_sync_state == "pending" and appointment.calendar_event_id == ""
    assert sync_appointment_to_calendar.delay(appointment.pk).get() == "not_configured"


def test_events_keep_the_shop_time_zone_and_the_vehicle(
    shop, google, customer, oil_change, at, django_capture_on_commit_callbacks
):
    from crm.models import Vehicle

    vehicle = Vehicle.objects.create(owner=customer, vin="2HGFC2F56KH512345", year=2019, make="Honda", model="Civic")
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(
            customer=customer, service_type=oil_change, start=at(9), actor=agent, vehicle=vehicle, waiter=True
        )
    [event] = google.events()
    assert event["summary"] == "Oil change - Dana Whitfield - 2019 Honda Civic"
    assert event["start"]["timeZone"] == "America/Chicago"
    assert event["start"]["dateTime"].endswith(("-05:00", "-06:00"))
    assert "VIN 2HGFC2F56KH512345" in event["description"] and "Waits at the shop" in event["description"]
    assert parse_time(event["end"]) - parse_time(event["start"]) == timedelta(minutes=30)
