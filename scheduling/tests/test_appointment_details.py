"""Changing a booked appointment's notes, vehicle, loaner request and waiting, through the one action."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.models import Customer, Vehicle
from scheduling import availability
from scheduling.actions import (
    NO_VEHICLE,
    Actor,
    BookingRefused,
    book_appointment,
    cancel_appointment,
    set_appointment_status,
    update_appointment_details,
)
from scheduling.availability import BookedInterval, Demand, ServiceRules, ShopRules
from scheduling.models import Appointment, AppointmentChange
from scheduling.tests.test_concurrency import race
from scheduling.tests.vendors import google, run_tasks, twilio  # noqa: F401

agent = Actor.phone_agent("CA0042")
office = Actor.command("test-setup")


def book(customer, service, start, **kwargs):
    return book_appointment(customer=customer, service_type=service, start=start, actor=office, **kwargs)


def refusal(**kwargs):
    with pytest.raises(BookingRefused) as caught:
        update_appointment_details(**kwargs)
    return caught.value


@pytest.fixture
def outback(customer):
    return Vehicle.objects.create(owner=customer, make="Subaru", model="Outback", year=2017)


@pytest.fixture
def civic(customer):
    return Vehicle.objects.create(owner=customer, make="Honda", model="Civic", year=2012)


@pytest.fixture
def booked(shop, customer, oil_change, outback, at):
    return book(customer, oil_change, at(9), vehicle=outback, notes="Oil light on")


# --- What changes and what is recorded -------------------------------------------------------------


def test_it_changes_the_details_and_records_before_and_after(booked, outback, civic, advisor):
    update_appointment_details(
        booked, actor=Actor.advisor(advisor), notes="Also check the wipers", vehicle=civic, loaner_requested=True
    )

    booked.refresh_from_db()
    assert (booked.notes, booked.vehicle, booked.loaner_requested, booked.waiter) == (
        "Also check the wipers",
        civic,
        True,
        False,
    )
    change = booked.changes.first()
    assert (change.action, change.actor_kind, change.actor_user) == ("details", "advisor", advisor)
    before, after = change.details["before"], change.details["after"]
    assert (before["notes"], before["vehicle_id"], before["loaner_requested"]) == ("Oil light on", outback.pk, False)
    assert (after["notes"], after["vehicle_id"], after["loaner_requested"]) == ("Also check the wipers", civic.pk, True)
    assert after["start"] == before["start"] and after["status"] == "booked"


def test_the_calendar_event_is_due_for_a_resync(booked):
    Appointment.objects.filter(pk=booked.pk).update(calendar_sync_state=Appointment.CalendarSync.SYNCED)
    update_appointment_details(booked, actor=agent, notes="Bring the spare key")
    booked.refresh_from_db()
    assert booked.calendar_sync_state == Appointment.CalendarSync.PENDING


def test_it_is_announced_as_a_details_change_only_after_commit(booked, announced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        update_appointment_details(booked.pk, actor=agent, loaner_requested=True)
        assert announced == []
    for callback in callbacks:
        callback()
    assert announced == [(booked.pk, "details")]


def test_details_left_out_or_unchanged_record_nothing(booked, outback, announced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        same = update_appointment_details(
            booked, actor=agent, notes="Oil light on", vehicle=outback, loaner_requested=False, waiter=False
        )
        update_appointment_details(booked, actor=agent)
    assert same.pk == booked.pk
    assert list(booked.changes.values_list("action", flat=True)) == ["booked"]
    assert announced == []


def test_only_the_details_given_are_written(booked, civic):
    # Someone else's note, written after this caller's copy was loaded, is not overwritten.
    stale = Appointment.objects.get(pk=booked.pk)
    update_appointment_details(booked, actor=agent, notes="Customer will call back")
    update_appointment_details(stale, actor=office, vehicle=civic)
    booked.refresh_from_db()
    assert (booked.notes, booked.vehicle) == ("Customer will call back", civic)


def test_the_vehicle_can_be_taken_off(booked):
    update_appointment_details(booked, actor=agent, vehicle=NO_VEHICLE)
    booked.refresh_from_db()
    assert booked.vehicle is None
    assert booked.changes.first().details["after"]["vehicle_id"] is None


# --- What is refused ------------------------------------------------------------------------------------


def test_a_vehicle_of_another_customer_is_refused(booked, other_customer):
    theirs = Vehicle.objects.create(owner=other_customer, make="Ford", model="Focus")
    refused = refusal(appointment=booked, actor=agent, vehicle=theirs, notes="Changed")
    assert (refused.code, refused.message) == ("invalid", "That vehicle isn't on file under this customer.")
    booked.refresh_from_db()
    assert (booked.vehicle.make, booked.notes) == ("Subaru", "Oil light on")
    assert booked.changes.count() == 1


@pytest.mark.parametrize("status", ["arrived", "completed"])
def test_only_booked_or_confirmed_appointments_can_be_edited(booked, status):
    set_appointment_status(booked, "confirmed", actor=office)
    update_appointment_details(booked, actor=agent, notes="Confirmed by phone")
    set_appointment_status(booked, status, actor=office)
    refused = refusal(appointment=booked, actor=agent, notes="Too late")
    assert refused.code == "not_active" and refused.message == f"That appointment is {status}, so it can't be changed."
    booked.refresh_from_db()
    assert booked.notes == "Confirmed by phone"


def test_a_cancelled_appointment_cannot_be_edited(booked):
    cancel_appointment(booked, actor=agent)
    assert refusal(appointment=booked, actor=agent, loaner_requested=True).code == "not_active"


def test_a_caller_can_only_edit_their_own_appointment(booked, customer, other_customer):
    theirs = refusal(appointment=booked, actor=agent, customer=other_customer, notes="Mine now")
    missing = refusal(appointment=999999, actor=agent, customer=other_customer, notes="Mine now")
    assert theirs.code == missing.code == "not_your_appointment"
    assert theirs.message == missing.message
    update_appointment_details(booked, actor=agent, customer=customer, notes="Running late")
    booked.refresh_from_db()
    assert booked.notes == "Running late"


@pytest.mark.parametrize("bad", [{"notes": 42}, {"waiter": "yes"}, {"loaner_requested": 1}, {"vehicle": 7}])
def test_values_of_the_wrong_kind_are_refused_clearly(booked, bad):
    refused = refusal(appointment=booked, actor=agent, **bad)
    assert refused.code == "invalid" and refused.message
    assert booked.changes.count() == 1


# --- Waiting at the shop ----------------------------------------------------------------------------


def test_switching_to_waiting_takes_a_free_seat(booked):
    update_appointment_details(booked, actor=agent, waiter=True)
    booked.refresh_from_db()
    assert booked.waiter
    assert booked.changes.first().details["after"]["waiter"] is True


def test_switching_to_waiting_when_every_seat_is_taken_is_refused(booked, other_customer, oil_change, at):
    # One waiter seat (the shop fixture); the other customer's oil change overlaps by 15 minutes.
    book(other_customer, oil_change, at(9, 15), waiter=True)
    refused = refusal(appointment=booked, actor=agent, waiter=True, notes="Will wait")
    assert (refused.code, refused.message) == (
        "slot_taken",
        "Every waiting spot is taken at that time, so it has to stay a drop-off.",
    )
    booked.refresh_from_db()
    assert (booked.waiter, booked.notes) == (False, "Oil light on")


def test_a_waiter_next_door_does_not_take_the_seat(booked, other_customer, oil_change, at):
    book(other_customer, oil_change, at(9, 30), waiter=True)  # starts as ours ends
    assert update_appointment_details(booked, actor=agent, waiter=True).waiter


def test_a_cancelled_waiter_frees_the_seat(booked, other_customer, oil_change, at):
    cancel_appointment(book(other_customer, oil_change, at(9), waiter=True), actor=office)
    assert update_appointment_details(booked, actor=agent, waiter=True).waiter


def test_a_drop_off_only_service_cannot_switch_to_waiting(shop, customer, brake_job, at):
    appointment = book(customer, brake_job, at(8))
    refused = refusal(appointment=appointment, actor=agent, waiter=True)
    assert refused.code == "waiter_not_allowed" and "drop-off only" in refused.message


def test_giving_up_waiting_is_always_possible(shop, customer, oil_change, at):
    waiting = book(customer, oil_change, at(9), waiter=True)
    shop.waiters_per_slot = 0  # the waiting room is closed for now
    shop.save()
    assert update_appointment_details(waiting, actor=agent, waiter=False).waiter is False


def test_a_customer_who_decides_on_the_day_to_wait_is_not_too_soon(shop, customer, oil_change):
    # Booked long ago; it starts in 20 minutes, well inside the shop's hour of lead time.
    start = timezone.now() + timedelta(minutes=20)
    appointment = Appointment.objects.create(
        customer=customer, service_type=oil_change, start=start, end=start + timedelta(minutes=30)
    )
    assert update_appointment_details(appointment, actor=agent, waiter=True).waiter


@pytest.mark.django_db(transaction=True)
def test_only_one_of_many_customers_switching_to_waiting_gets_the_last_seat(shop, oil_change, at):
    people = [Customer.objects.create(name=f"Caller {i}", phone=f"+1312555{3000 + i:04d}") for i in range(6)]
    shop.bays = 6
    shop.save()
    appointments = [book(who, oil_change, at(10)) for who in people]

    outcomes = race(
        lambda i: update_appointment_details(
            appointments[i].pk, actor=Actor.phone_agent(f"CA{i}"), customer=people[i], waiter=True
        ),
        n=len(people),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Appointment"] + ["BookingRefused"] * 5
    assert {o.code for o in outcomes if isinstance(o, BookingRefused)} == {"slot_taken"}
    assert Appointment.objects.filter(waiter=True).count() == shop.waiters_per_slot == 1


# --- The pure rule --------------------------------------------------------------------------------


CHICAGO = ZoneInfo("America/Chicago")
RULES = ShopRules(timezone=CHICAGO, hours={}, bays=1, waiters_per_slot=1)
OIL = ServiceRules(duration=timedelta(minutes=30), waiter_allowed=True)
NINE, HALF_NINE = datetime(2030, 3, 4, 9, tzinfo=CHICAGO), datetime(2030, 3, 4, 9, 30, tzinfo=CHICAGO)


def test_the_waiter_rule_asks_only_for_a_seat_not_a_bay_or_the_hours():
    # Every bay is already taken (by the appointment itself) and the shop has no hours at all.
    demand = Demand.of([BookedInterval(NINE, HALF_NINE, waiter=False)])
    assert availability.waiter_refusal(RULES, OIL, NINE, HALF_NINE, demand=demand) is None


def test_the_waiter_rule_counts_overlapping_waiters_in_real_time():
    from_9_29 = NINE.astimezone(UTC) + timedelta(minutes=29)
    overlapping = Demand.of([BookedInterval(from_9_29, HALF_NINE + timedelta(hours=1), waiter=True)])
    after = Demand.of([BookedInterval(HALF_NINE, HALF_NINE + timedelta(hours=1), waiter=True)])
    assert availability.waiter_refusal(RULES, OIL, NINE, HALF_NINE, demand=overlapping) == availability.SLOT_TAKEN
    assert availability.waiter_refusal(RULES, OIL, NINE, HALF_NINE, demand=after) is None
    drop_off_only = ServiceRules(duration=timedelta(hours=3), waiter_allowed=False)
    assert availability.waiter_refusal(RULES, drop_off_only, NINE, HALF_NINE) == availability.WAITER_NOT_ALLOWED
    assert availability.waiter_refusal(RULES, OIL, NINE.replace(tzinfo=None), HALF_NINE) == availability.INVALID


# --- What follows a change: the calendar, and no text ---------------------------------------------------


@pytest.mark.usefixtures("run_tasks")
def test_the_calendar_event_shows_the_new_details_and_no_text_is_sent(
    shop, google, twilio, customer, oil_change, civic, at, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(customer, oil_change, at(9), notes="Oil light on")
    with django_capture_on_commit_callbacks(execute=True):
        update_appointment_details(
            appointment, actor=agent, notes="Also the wipers", vehicle=civic, waiter=True, loaner_requested=True
        )

    appointment.refresh_from_db()
    [event] = google.event_for_appointment(appointment.pk)
    assert event["id"] == appointment.calendar_event_id
    assert "Notes: Also the wipers" in event["description"] and "Oil light on" not in event["description"]
    assert "Vehicle: 2012 Honda Civic" in event["description"] and "Waits at the shop" in event["description"]
    assert "Loaner requested" in event["description"]
    assert event["summary"] == "Oil change - Dana Whitfield - 2012 Honda Civic"
    assert appointment.calendar_sync_state == "synced"
    [confirmation] = twilio.messages  # the booking's; a change of details is not texted
    assert "is booked for" in confirmation["body"]
    assert AppointmentChange.objects.filter(appointment=appointment, action="details").count() == 1
