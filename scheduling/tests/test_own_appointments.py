"""A customer's own appointments: never two at once (unless an advisor says why), the others on
the same day mentioned, and what one request or one call has booked."""

from datetime import timedelta

import pytest

from crm.models import Vehicle
from scheduling.actions import (
    Actor,
    BookingRefused,
    also_that_day,
    book_appointment,
    cancel_appointment,
    count_booked_with_key_prefix,
    reschedule_appointment,
    set_appointment_status,
)
from scheduling.models import Appointment
from scheduling.refusals import say_also_that_day, say_when

agent = Actor.phone_agent("CA0001")


def book(customer, service, start, **kwargs):
    return book_appointment(
        customer=customer, service_type=service, start=start, actor=kwargs.pop("actor", agent), **kwargs
    )


def refusal(call, *args, **kwargs):
    with pytest.raises(BookingRefused) as caught:
        call(*args, **kwargs)
    return caught.value


# --- Never two at once --------------------------------------------------------------------------


def test_a_customer_cannot_book_over_their_own_appointment(shop, customer, oil_change, brake_job, at):
    book(customer, oil_change, at(9))
    refused = refusal(book, customer, brake_job, at(8))
    assert refused.code == "customer_overlap"
    assert refused.message == (
        f"You already have your oil change on {say_when(at(9), shop.tz)}, which overlaps that time."
    )
    assert list(Appointment.objects.values_list("service_type__name", flat=True)) == ["Oil change"]


def test_the_refusal_names_the_day_and_time_as_said_aloud(shop, customer, oil_change, at, booking_day):
    book(customer, oil_change, at(9))
    message = refusal(book, customer, oil_change, at(9, 15)).message
    assert message == (
        f"You already have your oil change on {booking_day:%A, %B} {booking_day.day} at 9:00 AM, "
        "which overlaps that time."
    )


def test_two_cars_of_one_customer_may_be_in_at_once_but_never_one_car_twice(shop, customer, oil_change, brake_job, at):
    camry = Vehicle.objects.create(owner=customer, year=2016, make="Toyota", model="Camry")
    truck = Vehicle.objects.create(owner=customer, year=2012, make="Ford", model="F-150")
    book(customer, oil_change, at(8), vehicle=camry)
    both = book(customer, brake_job, at(8), vehicle=truck)  # dropped off together
    assert (both.start, both.vehicle) == (at(8), truck)
    assert refusal(book, customer, oil_change, at(8), vehicle=camry).code == "customer_overlap"
    assert refusal(book, customer, oil_change, at(8)).code == "customer_overlap"  # no car named: could be either
    moved = book(customer, oil_change, at(14), vehicle=truck)
    assert refusal(reschedule_appointment, moved, new_start=at(9), actor=agent).code == "customer_overlap"  # the truck
    assert Appointment.objects.count() == 3


def test_back_to_back_appointments_do_not_overlap(shop, customer, oil_change, brake_job, at):
    book(customer, oil_change, at(9))
    assert book(customer, oil_change, at(9, 30)).start == at(9, 30)
    assert book(customer, oil_change, at(8, 30)).start == at(8, 30)
    assert book(customer, brake_job, at(13)).start == at(13)
    assert book(customer, oil_change, at(16)).start == at(16)
    assert Appointment.objects.filter(customer=customer).count() == 5


def test_other_customers_and_appointments_no_longer_active_are_no_obstacle(
    shop, customer, other_customer, oil_change, at
):
    book(other_customer, oil_change, at(9))
    cancel_appointment(book(customer, oil_change, at(10)), actor=agent)
    assert book(customer, oil_change, at(9)).customer == customer
    assert book(customer, oil_change, at(10)).status == "booked"


def test_an_arrived_appointment_still_holds_the_customer(shop, customer, oil_change, at, advisor):
    first = book(customer, oil_change, at(9))
    set_appointment_status(first, "arrived", actor=Actor.advisor(advisor))
    assert refusal(book, customer, oil_change, at(9), actor=Actor.advisor(advisor)).code == "customer_overlap"


def test_moving_onto_the_customers_other_appointment_is_refused(shop, customer, oil_change, brake_job, at):
    book(customer, oil_change, at(9))
    brakes = book(customer, brake_job, at(13))
    refused = refusal(reschedule_appointment, brakes, new_start=at(8), actor=agent, customer=customer)
    assert refused.code == "customer_overlap" and "your oil change" in refused.message
    brakes.refresh_from_db()
    assert brakes.start == at(13)
    assert list(brakes.changes.values_list("action", flat=True)) == ["booked"]


def test_an_appointment_never_overlaps_itself_when_moved(shop, customer, brake_job, at):
    brakes = book(customer, brake_job, at(8))
    assert reschedule_appointment(brakes, new_start=at(8, 30), actor=agent, customer=customer).start == at(8, 30)


def test_the_shops_own_rules_are_said_before_the_overlap(shop, customer, oil_change, brake_job, at):
    book(customer, brake_job, at(13))
    assert refusal(book, customer, brake_job, at(14, 30)).code == "outside_hours"


def test_when_their_own_appointment_fills_the_slot_it_is_named_rather_than_fully_booked(shop, customer, oil_change, at):
    shop.bays = 1
    shop.save()
    book(customer, oil_change, at(9))
    assert refusal(book, customer, oil_change, at(9)).code == "customer_overlap"


# --- An advisor may book over it, with a reason on record ------------------------------------------


def test_an_advisor_books_over_an_overlap_with_a_reason_on_record(shop, customer, oil_change, at, advisor):
    first = book(customer, oil_change, at(9))
    second = book(
        customer, oil_change, at(9), actor=Actor.advisor(advisor), overlap_reason="  Two cars: hers and her son's  "
    )
    assert second.pk != first.pk
    assert Appointment.objects.filter(customer=customer, start=at(9), status="booked").count() == 2
    change = second.changes.get()
    assert (change.action, change.actor_user) == ("booked", advisor)
    assert change.details["overlap_reason"] == "Two cars: hers and her son's"
    assert change.details["overlapping_appointment"] == first.pk


def test_an_advisor_moves_onto_an_overlap_with_a_reason_on_record(shop, customer, oil_change, brake_job, at, advisor):
    oil = book(customer, oil_change, at(9))
    brakes = book(customer, brake_job, at(13))
    moved = reschedule_appointment(
        brakes, new_start=at(8), actor=Actor.advisor(advisor), overlap_reason="Customer drops both cars at 8"
    )
    assert moved.start == at(8)
    change = moved.changes.get(action="rescheduled")
    assert (change.details["overlap_reason"], change.details["overlapping_appointment"]) == (
        "Customer drops both cars at 8",
        oil.pk,
    )


def test_a_reason_does_not_override_the_shops_rules(shop, customer, oil_change, at, advisor):
    shop.bays = 1
    shop.save()
    book(customer, oil_change, at(9))
    refused = refusal(book, customer, oil_change, at(9), actor=Actor.advisor(advisor), overlap_reason="Two cars")
    assert refused.code == "slot_taken"
    assert Appointment.objects.count() == 1


def test_a_reason_with_nothing_to_override_is_not_recorded(shop, customer, oil_change, at, advisor):
    appointment = book(customer, oil_change, at(9), actor=Actor.advisor(advisor), overlap_reason="Just in case")
    assert "overlap_reason" not in appointment.changes.get().details


def test_the_phone_agent_can_never_book_over_an_overlap(shop, customer, oil_change, brake_job, at):
    book(customer, oil_change, at(9))
    brakes = book(customer, brake_job, at(13))
    with pytest.raises(ValueError):
        book(customer, oil_change, at(9), overlap_reason="The caller insisted")
    with pytest.raises(ValueError):
        reschedule_appointment(brakes, new_start=at(8), actor=agent, overlap_reason="The caller insisted")
    assert Appointment.objects.filter(start=at(9)).count() == 1
    brakes.refresh_from_db()
    assert brakes.start == at(13)


# --- The same request again ----------------------------------------------------------------------


def test_the_same_request_after_cancelling_books_anew(shop, customer, oil_change, at):
    first = book(customer, oil_change, at(9), idempotency_key="CA0001:book:1")
    cancel_appointment(first, actor=agent, customer=customer)
    again = book(customer, oil_change, at(9), idempotency_key="CA0001:book:1")
    assert again.pk != first.pk and again.status == "booked"
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert (first.idempotency_key, again.idempotency_key) == (f"CA0001:book:1#{first.pk}", "CA0001:book:1")
    assert list(again.changes.values_list("action", flat=True)) == ["booked"]
    assert book(customer, oil_change, at(9), idempotency_key="CA0001:book:1").pk == again.pk


def test_a_request_whose_appointment_is_over_books_anew(shop, customer, oil_change, at, advisor):
    first = book(customer, oil_change, at(9), idempotency_key="retry-me")
    set_appointment_status(first, "completed", actor=Actor.advisor(advisor))
    assert book(customer, oil_change, at(9), idempotency_key="retry-me").pk != first.pk
    assert Appointment.objects.count() == 2


def test_a_refused_rebooking_leaves_the_old_key_where_it_was(shop, customer, other_customer, oil_change, at):
    shop.bays = 1
    shop.save()
    first = book(customer, oil_change, at(9), idempotency_key="retry-me")
    cancel_appointment(first, actor=agent)
    book(other_customer, oil_change, at(9))
    assert refusal(book, customer, oil_change, at(9), idempotency_key="retry-me").code == "slot_taken"
    first.refresh_from_db()
    assert first.idempotency_key == "retry-me"


# --- What one call booked ----------------------------------------------------------------------


def test_a_calls_bookings_are_counted_from_the_appointments_that_stand(shop, customer, other_customer, oil_change, at):
    book(customer, oil_change, at(8), idempotency_key="CA0001:a")
    cancelled = book(customer, oil_change, at(9), idempotency_key="CA0001:b")
    cancel_appointment(cancelled, actor=agent)
    book(customer, oil_change, at(10), idempotency_key="CA0001:c")
    book(other_customer, oil_change, at(10), idempotency_key="CA0002:a")
    book(customer, oil_change, at(14))
    assert count_booked_with_key_prefix("CA0001:") == 2
    assert count_booked_with_key_prefix("CA0001:", besides="CA0001:c") == 1
    assert count_booked_with_key_prefix("CA0003:") == 0


# --- The others on the same day -----------------------------------------------------------------


def test_also_that_day_lists_the_customers_other_active_appointments_that_day(
    shop, customer, other_customer, oil_change, brake_job, at, booking_day
):
    nine = book(customer, oil_change, at(9))
    cancel_appointment(book(customer, oil_change, at(15)), actor=agent)
    book(customer, oil_change, at(9, day=booking_day + timedelta(days=1)))
    book(other_customer, oil_change, at(10))
    four = book(customer, oil_change, at(16))
    brakes = book(customer, brake_job, at(13))
    assert also_that_day(brakes) == [nine, four]
    assert also_that_day(nine) == [brakes, four]


def test_the_other_appointments_that_day_are_said_in_a_sentence(shop, customer, oil_change, brake_job, at):
    nine = book(customer, oil_change, at(9))
    assert say_also_that_day("The caller", [nine], shop.tz) == "The caller also has the oil change at 9:00 AM that day."
    brakes = book(customer, brake_job, at(13))
    assert say_also_that_day("Dana Whitfield", [nine, brakes], shop.tz) == (
        "Dana Whitfield also has the oil change at 9:00 AM and the brake pads and rotors at 1:00 PM that day."
    )
