"""Booking in the back office without guessing: times typed as people say them, on the shop's grid,
the free times offered beside the box and with every refusal, the customer's own vehicles, and
walk-ins booked inside the phone agent's minimum lead."""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import Customer, Vehicle
from ottos.lib import clock
from scheduling.actions import Actor, BookingRefused, available_slots, book_appointment
from scheduling.booking_times import ClockTimeField
from scheduling.models import Appointment

BOOK = reverse("admin:scheduling_appointment_add")
FREE_TIMES = reverse("admin:scheduling_appointment_free_times")
VEHICLES = reverse("admin:scheduling_appointment_vehicles")
OFFICE = Actor.command("test-setup")


def booking_form(customer, service_type, day, typed, **overrides):
    data = {
        "customer": customer.pk,
        "vehicle": "",
        "service_type": service_type.pk,
        "start_0": day.isoformat(),
        "start_1": typed,
        "notes": "",
        "booking_key": f"admin:test-{day}-{typed}-{customer.pk}",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def start_errors(response):
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors["start"]


def next_weekday(day, weekday):
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


@pytest.fixture
def desk(signed_in, service_advisor):
    return signed_in(service_advisor)


@pytest.fixture
def full_at_ten(shop, oil_change, other_customer, at):
    third = Customer.objects.create(name="Lena Kowalski", phone="+17735550133")
    for who in (other_customer, third):
        book_appointment(customer=who, service_type=oil_change, start=at(10), actor=OFFICE)


# --- Times as people type them ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, read",
    [
        ("9:15 AM", time(9, 15)),
        ("9:15am", time(9, 15)),
        ("9:15 a.m.", time(9, 15)),
        ("2 pm", time(14)),
        ("2PM", time(14)),
        ("2:30 pm", time(14, 30)),
        ("12 pm", time(12)),
        ("12:30 am", time(0, 30)),
        ("14:00", time(14)),
        ("14:00:00", time(14)),
        (" 8:00 ", time(8)),
    ],
)
def test_it_reads_twelve_and_twenty_four_hour_times(typed, read):
    assert ClockTimeField().clean(typed) == read


@pytest.mark.parametrize("typed", ["25:00", "13 pm", "half nine", "9:75 am"])
def test_it_refuses_a_time_it_cannot_read(typed):
    with pytest.raises(ValidationError, match="Enter a time like 9:15 AM"):
        ClockTimeField().clean(typed)


def test_an_advisor_books_with_a_twelve_hour_time(desk, shop, customer, oil_change, booking_day, at):
    response = desk.post(BOOK, booking_form(customer, oil_change, booking_day, "2:30 pm"))
    assert response.status_code == 302
    assert Appointment.objects.get().start == at(14, 30)


def test_an_off_grid_time_is_refused_with_the_nearest_grid_times(desk, shop, customer, oil_change, booking_day):
    errors = start_errors(desk.post(BOOK, booking_form(customer, oil_change, booking_day, "9:10 AM")))
    assert errors[0] == "9:10 AM isn't a start time: appointments start every 30 minutes from 8:00 AM."
    assert errors[1].startswith("Free that day: 8:30 AM, 9:00 AM, 9:30 AM.")
    assert not Appointment.objects.exists()


# --- Refusals come with free alternatives ---------------------------------------------------------


def test_a_full_slot_is_refused_with_the_nearest_free_times(desk, customer, oil_change, booking_day, full_at_ten):
    errors = start_errors(desk.post(BOOK, booking_form(customer, oil_change, booking_day, "10 am")))
    assert errors[0] == "That time is already fully booked."
    assert errors[1].startswith("Free that day: 9:00 AM, 9:30 AM, 10:30 AM. Next open days: ")
    assert not Appointment.objects.filter(customer=customer).exists()


def test_a_closed_day_offers_the_next_open_days(desk, shop, customer, oil_change, booking_day):
    sunday = next_weekday(booking_day, 6)
    monday, tuesday = sunday + timedelta(days=1), sunday + timedelta(days=2)
    errors = start_errors(desk.post(BOOK, booking_form(customer, oil_change, sunday, "10:00 AM")))
    assert errors[0].startswith("The shop is closed on Sunday")
    assert errors[1] == (
        f"Next open days: {monday:%A, %B} {monday.day}: 8:00 AM, 8:30 AM, 9:00 AM; "
        f"{tuesday:%A, %B} {tuesday.day}: 8:00 AM, 8:30 AM, 9:00 AM."
    )


def test_too_soon_names_a_real_opening_never_the_night_or_a_closed_day(shop, customer, oil_change, booking_day):
    friday = next_weekday(booking_day, 4)
    saturday = friday + timedelta(days=1)
    with clock.set_to(datetime.combine(friday, time(16, 40), tzinfo=shop.tz)):
        with pytest.raises(BookingRefused) as refused:
            book_appointment(
                customer=customer,
                service_type=oil_change,
                actor=Actor.phone_agent("CA-1"),
                start=datetime.combine(friday, time(17), tzinfo=shop.tz),
            )
    assert refused.value.code == "too_soon"
    assert refused.value.message == (
        f"That's too soon to book; the earliest start is {saturday:%A, %B} {saturday.day} at 8:00 AM."
    )


# --- Walk-ins: the minimum lead is the phone agent's ----------------------------------------------


def test_an_advisor_books_a_walk_in_inside_the_minimum_lead(desk, shop, customer, oil_change, booking_day, at):
    with clock.set_to(at(10, 10)):  # the shop asks callers for an hour's notice
        response = desk.post(BOOK, booking_form(customer, oil_change, booking_day, "10:30 AM"))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.source) == (at(10, 30), Appointment.Source.ADVISOR)


def test_a_walk_in_may_take_the_slot_that_started_a_moment_ago(desk, shop, customer, oil_change, booking_day, at):
    with clock.set_to(at(10, 3)):
        assert desk.post(BOOK, booking_form(customer, oil_change, booking_day, "10:00 AM")).status_code == 302
    assert Appointment.objects.get().start == at(10)


def test_an_advisor_cannot_book_in_the_past(desk, shop, customer, oil_change, booking_day, at):
    with clock.set_to(at(10, 10)):
        errors = start_errors(desk.post(BOOK, booking_form(customer, oil_change, booking_day, "9:30 AM")))
    assert errors[0] == "That time has already passed."
    assert errors[1].startswith("Free that day: 10:30 AM, 11:00 AM, 11:30 AM.")
    assert not Appointment.objects.exists()


def test_the_phone_agent_stays_held_to_the_minimum_lead(shop, customer, oil_change, at):
    agent = Actor.phone_agent("CA-2")
    with clock.set_to(at(10, 10)):
        with pytest.raises(BookingRefused) as refused:
            book_appointment(customer=customer, service_type=oil_change, start=at(10, 30), actor=agent)
        with pytest.raises(ValueError):
            book_appointment(customer=customer, service_type=oil_change, start=at(10, 30), actor=agent, walk_in=True)
        offered = available_slots(oil_change, at(0), at(12))
        at_the_counter = available_slots(oil_change, at(0), at(12), walk_in=True)
    assert refused.value.code == "too_soon"
    assert offered[0] == at(11, 30)
    assert at_the_counter[0] == at(10, 30)
    assert not Appointment.objects.exists()


# --- The customer's vehicles -----------------------------------------------------------------------


def test_the_vehicle_list_holds_only_the_customers_vehicles(desk, shop, customer, other_customer, oil_change):
    outback = Vehicle.objects.create(owner=customer, year=2018, make="Subaru", model="Outback")
    Vehicle.objects.create(owner=other_customer, make="Honda", model="CR-V")
    form = desk.get(BOOK, {"customer": customer.pk}).context["adminform"].form
    assert [label for value, label in form.fields["vehicle"].widget.choices] == ["---------", "2018 Subaru Outback"]
    assert str(form["customer"].value()) == str(customer.pk)
    found = desk.get(VEHICLES, {"customer": customer.pk}).json()
    assert found == {"vehicles": [{"id": outback.pk, "label": "2018 Subaru Outback"}]}


def test_without_a_customer_the_vehicle_list_asks_for_one(desk, shop):
    form = desk.get(BOOK).context["adminform"].form
    assert list(form.fields["vehicle"].widget.choices) == [("", "Pick the customer first")]


def test_a_vehicle_of_another_customer_is_refused_with_whose_it_is(
    desk, shop, customer, other_customer, oil_change, booking_day
):
    theirs = Vehicle.objects.create(owner=other_customer, make="Honda", model="CR-V")
    response = desk.post(BOOK, booking_form(customer, oil_change, booking_day, "2 pm", vehicle=theirs.pk))
    assert response.context["adminform"].form.errors["vehicle"][0].startswith("That vehicle belongs to Marcus Oyelaran")
    assert not Appointment.objects.exists()


# --- Booking from the customer's page --------------------------------------------------------------


def test_the_customer_page_offers_to_book_for_them(desk, shop, customer):
    page = desk.get(reverse("admin:crm_customer_change", args=[customer.pk])).content.decode()
    assert f'href="{BOOK}?customer={customer.pk}"' in page and "Book for this customer" in page


def test_the_booking_page_opens_on_today_with_the_free_times(desk, shop, customer, oil_change, booking_day, at):
    with clock.set_to(at(10, 10)):
        response = desk.get(BOOK, {"customer": customer.pk, "service_type": oil_change.pk})
        page = response.content.decode()
    assert f'name="start_0" value="{booking_day.isoformat()}"' in page
    assert 'data-time="10:30 AM"' in page and 'data-time="10:00 AM"' not in page
    assert "js/slot-picker.js" in page


# --- The slot picker's free times ------------------------------------------------------------------


def test_the_free_times_are_the_days_free_starts(desk, oil_change, booking_day, full_at_ten):
    page = desk.get(FREE_TIMES, {"service": oil_change.pk, "day": booking_day.isoformat()}).content.decode()
    assert 'data-time="9:30 AM"' in page and 'data-time="10:30 AM"' in page
    assert 'data-time="10:00 AM"' not in page and 'data-time="12:00 PM"' not in page  # full; lunch


def test_a_drop_off_only_service_says_so_when_asked_to_wait(desk, shop, brake_job, booking_day):
    page = desk.get(FREE_TIMES, {"service": brake_job.pk, "day": booking_day.isoformat(), "waiter": "1"})
    assert "drop-off only" in page.content.decode()


def test_a_full_day_shows_the_next_open_days(desk, shop, oil_change, booking_day):
    sunday = next_weekday(booking_day, 6)
    page = desk.get(FREE_TIMES, {"service": oil_change.pk, "day": sunday.isoformat()}).content.decode()
    assert "Nothing is free on Sunday" in page
    assert f'data-day="{(sunday + timedelta(days=1)).isoformat()}" data-time="8:00 AM"' in page


def test_the_free_times_need_the_same_few_queries_however_busy(
    desk, shop, oil_change, booking_day, at, django_assert_max_num_queries
):
    def ask():
        return desk.get(FREE_TIMES, {"service": oil_change.pk, "day": booking_day.isoformat()})

    ask()  # the session and permissions are warm
    with django_assert_max_num_queries(10):
        assert ask().status_code == 200
    for n in range(12):  # both bays from 8:00 to 11:00
        owner = Customer.objects.create(name=f"Customer {n}", phone=f"+1312555{3000 + n:04d}")
        book_appointment(
            customer=owner, service_type=oil_change, start=at(8) + timedelta(minutes=30 * (n % 6)), actor=OFFICE
        )
    with django_assert_max_num_queries(10):
        assert ask().status_code == 200


@pytest.mark.parametrize("persona", ["staff_without_group", "outsider"])
def test_only_bookers_see_the_free_times_and_vehicles(request, signed_in, persona, shop, oil_change, customer):
    client = signed_in(request.getfixturevalue(persona))
    for url, query in ((FREE_TIMES, {"service": oil_change.pk}), (VEHICLES, {"customer": customer.pk})):
        response = client.get(url, query)
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response.url.startswith(reverse("admin:login"))


# --- Moving an appointment follows the same rules ---------------------------------------------------


def test_moving_takes_a_twelve_hour_time_on_the_grid(desk, shop, customer, oil_change, booking_day, at):
    booked = book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=OFFICE)
    url = reverse("admin:scheduling_appointment_change", args=[booked.pk])
    page = {"start_0": booking_day.isoformat(), "status": "booked", "notes": ""}
    errors = start_errors(desk.post(url, {**page, "start_1": "3:10 pm"}))
    assert errors[0] == "3:10 PM isn't a start time: appointments start every 30 minutes from 8:00 AM."
    assert errors[1].startswith("Free that day: 2:30 PM, 3:00 PM, 3:30 PM.")
    assert desk.post(url, {**page, "start_1": "3 pm"}).status_code == 302
    booked.refresh_from_db()
    assert booked.start == at(15)


def test_moving_offers_the_times_only_the_appointment_itself_holds(
    desk, customer, other_customer, brake_job, booking_day, at
):
    danas, _ = (  # both bays from 1:00 to 4:00 PM
        book_appointment(customer=who, service_type=brake_job, start=at(13), actor=OFFICE)
        for who in (customer, other_customer)
    )
    url = reverse("admin:scheduling_appointment_change", args=[danas.pk])
    page = desk.get(url).content.decode()
    assert 'data-time="1:30 PM"' in page and f'data-moving="{danas.pk}"' in page
    asked = {"service": brake_job.pk, "day": booking_day.isoformat()}
    assert 'data-time="1:30 PM"' in desk.get(FREE_TIMES, {**asked, "moving": danas.pk}).content.decode()
    assert 'data-time="1:30 PM"' not in desk.get(FREE_TIMES, asked).content.decode()  # for a new booking: full
    form = {"start_0": booking_day.isoformat(), "status": "booked", "notes": ""}
    errors = start_errors(desk.post(url, {**form, "start_1": "1:15 pm"}))
    assert errors[1].startswith("Free that day: 1:00 PM, 1:30 PM")
    assert desk.post(url, {**form, "start_1": "1:30 pm"}).status_code == 302
    danas.refresh_from_db()
    assert danas.start == at(13, 30)
