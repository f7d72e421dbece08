"""The back office and a customer's own appointments: an overlap is refused with the same words
the caller hears, an advisor books over it by giving a reason, and other appointments that day
are pointed out after saving."""

from django.contrib import messages
from django.contrib.messages import get_messages

from scheduling.models import Appointment
from scheduling.refusals import say_when
from scheduling.tests.test_admin import (  # noqa: F401 (fixture)
    BOOK,
    booked,
    booking_form,
    change_url,
    details_form,
    form_errors,
    weekday_at,
)

REASON_BOX = 'type="text" name="overlap_reason"'


def warnings(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == messages.WARNING]


def overlap_message(start):
    return f"You already have your oil change on {say_when(start, start.tzinfo)}, which overlaps that time."


def test_the_reason_box_stays_out_of_the_way_until_an_overlap(signed_in, service_advisor, booked):
    client = signed_in(service_advisor)
    for page in (client.get(BOOK), client.get(change_url(booked))):
        content = page.content.decode()
        assert 'name="overlap_reason"' in content and REASON_BOX not in content


def test_booking_over_the_customers_appointment_says_so_and_asks_for_a_reason(
    signed_in, service_advisor, booked, customer, oil_change
):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, oil_change, weekday_at(9)))
    assert response.status_code == 200
    assert form_errors(response)["overlap_reason"] == [overlap_message(weekday_at(9))]
    page = response.content.decode()
    assert REASON_BOX in page and "Reason to book anyway" in page
    assert Appointment.objects.count() == 1


def test_an_advisor_books_over_it_by_giving_a_reason(signed_in, service_advisor, booked, customer, oil_change):
    response = signed_in(service_advisor).post(
        BOOK, booking_form(customer, oil_change, weekday_at(9), overlap_reason="Her son brings the second car")
    )
    assert response.status_code == 302
    second = Appointment.objects.exclude(pk=booked.pk).get()
    assert (second.customer, second.start, second.status) == (customer, weekday_at(9), "booked")
    change = second.changes.get()
    assert (change.actor_user, change.details["overlap_reason"], change.details["overlapping_appointment"]) == (
        service_advisor,
        "Her son brings the second car",
        booked.pk,
    )


def test_a_reason_given_stays_in_sight_when_something_else_is_refused(
    signed_in, service_advisor, booked, customer, brake_job
):
    response = signed_in(service_advisor).post(
        BOOK, booking_form(customer, brake_job, weekday_at(10), overlap_reason="Two cars")
    )
    assert "while the shop is open" in form_errors(response)["start"][0]
    assert REASON_BOX in response.content.decode() and 'value="Two cars"' in response.content.decode()


def test_moving_onto_the_customers_other_appointment_needs_a_reason(
    signed_in, service_advisor, booked, customer, oil_change
):
    from scheduling.actions import Actor, book_appointment

    later = book_appointment(
        customer=customer, service_type=oil_change, start=weekday_at(15), actor=Actor.command("test-setup")
    )
    client = signed_in(service_advisor)
    response = client.post(change_url(later), details_form(later, start_1="09:00:00"))
    assert form_errors(response)["overlap_reason"] == [overlap_message(weekday_at(9))]
    later.refresh_from_db()
    assert later.start == weekday_at(15)
    response = client.post(change_url(later), details_form(later, start_1="09:00:00", overlap_reason="Two cars"))
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.start == weekday_at(9)
    assert later.changes.first().details["overlap_reason"] == "Two cars"


def test_booking_a_day_on_which_the_customer_has_another_appointment_warns_after_saving(
    signed_in, service_advisor, booked, customer, oil_change
):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, oil_change, weekday_at(14)))
    assert response.status_code == 302
    assert warnings(response) == ["Dana Whitfield also has the oil change at 9:00 AM that day."]


def test_booking_a_day_with_nothing_else_on_it_warns_of_nothing(
    signed_in, service_advisor, booked, customer, oil_change
):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, oil_change, weekday_at(9, days_ahead=8)))
    assert response.status_code == 302
    assert warnings(response) == []


def test_moving_onto_a_day_with_another_appointment_warns_but_saving_other_changes_does_not(
    signed_in, service_advisor, booked, customer, oil_change
):
    from scheduling.actions import Actor, book_appointment

    other_day = book_appointment(
        customer=customer, service_type=oil_change, start=weekday_at(9, days_ahead=8), actor=Actor.command("test-setup")
    )
    client = signed_in(service_advisor)
    response = client.post(change_url(other_day), details_form(other_day, notes="Bring the wheel lock key"))
    assert response.status_code == 302 and warnings(response) == []
    moved_to = weekday_at(14)
    response = client.post(
        change_url(other_day), details_form(other_day, start_0=moved_to.strftime("%Y-%m-%d"), start_1="14:00:00")
    )
    assert response.status_code == 302
    assert warnings(response) == ["Dana Whitfield also has the oil change at 9:00 AM that day."]
