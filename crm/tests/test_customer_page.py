"""A customer's page in the back office: their number as people write it, their appointments with
what last happened to each, and their repair orders, in the same few queries however long the history.

(Their calls and callback requests come from the calls app: calls/tests/test_customer_page_calls.py.)
"""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Vehicle
from scheduling.actions import Actor, book_appointment, reschedule_appointment
from scheduling.models import Appointment, AppointmentChange, RepairOrder

CALL_SID = "CA00000000000000000000000000000042"


def page_of(customer):
    return reverse("admin:crm_customer_change", args=[customer.pk])


def weekday(days_ahead):
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def day_words(day):
    return f"{day:%a %b} {day.day}"


@pytest.fixture
def camry(customer):
    return Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")


@pytest.fixture
def history(shop, customer, camry, oil_change, service_advisor):
    """An appointment the advisor booked and the phone agent moved; a repair order on the Camry."""
    day = weekday(3)
    moved = book_appointment(
        customer=customer,
        service_type=oil_change,
        start=local(day, 13),
        vehicle=camry,
        actor=Actor.advisor(service_advisor),
    )
    reschedule_appointment(moved, new_start=local(day, 14, 30), actor=Actor.phone_agent(CALL_SID))
    order = RepairOrder.objects.create(
        customer=customer,
        vehicle=camry,
        opened_at=local(weekday(-7), 8),
        promised_at=local(weekday(-7), 16),
        mileage_in=48210,
    )
    return day, moved, order


def test_the_phone_number_shows_as_people_write_it(signed_in, service_advisor, customer):
    page = signed_in(service_advisor).get(page_of(customer)).content.decode()

    assert 'value="(312) 555-0147"' in page
    assert 'value="+13125550147"' not in page


def test_saving_the_customer_with_the_number_as_shown_keeps_it_stored_whole(
    signed_in, service_advisor, customer, history
):
    data = {
        "name": "Dana Whitfield",
        "phone": "(312) 555-0147",
        "email": "dana@example.com",
        "sms_opt_in": "on",
        "notes": "Prefers texts",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
    }
    # The read-only sections (appointments, repair orders, calls...) are shown, never posted back.
    response = signed_in(service_advisor).post(page_of(customer), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.phone == "+13125550147" and customer.notes == "Prefers texts"
    assert customer.appointments.count() == 1 and customer.repair_orders.count() == 1


def test_the_appointments_say_when_and_what_last_happened_with_a_link_to_the_call(
    signed_in, service_advisor, customer, history
):
    day, moved, order = history
    page = signed_in(service_advisor).get(page_of(customer)).content.decode()

    assert f"{day_words(day)}, 2:30 PM" in page
    assert f"Moved from {day_words(day)}, 1:00 PM to 2:30 PM by the phone agent on a call" in page
    assert f'<a href="{reverse("call_pages:detail", args=[CALL_SID])}">transcript</a>' in page
    assert reverse("admin:scheduling_appointment_change", args=[moved.pk]) in page


def test_the_repair_orders_show_with_their_times_written_alike(signed_in, service_advisor, customer, history):
    day, moved, order = history
    page = signed_in(service_advisor).get(page_of(customer)).content.decode()

    opened = weekday(-7)
    assert f"{day_words(opened)}, 8:00 AM" in page and f"{day_words(opened)}, 4:00 PM" in page
    assert reverse("admin:scheduling_repairorder_change", args=[order.pk]) in page
    assert "2019 Toyota Camry" in page


def test_a_new_customer_page_has_no_history_sections(signed_in, service_advisor, shop):
    page = signed_in(service_advisor).get(reverse("admin:crm_customer_add")).content.decode()

    assert "repair orders" not in page


def test_when_the_customer_was_added_reads_like_every_other_time(signed_in, service_advisor, customer):
    page = signed_in(service_advisor).get(page_of(customer)).content.decode()

    added = timezone.localtime(customer.created_at)
    assert f"{day_words(added)}, {added:%-I:%M %p}" in page


def long_history(customer, vehicle, oil_change, appointments):
    """`appointments` appointments, each booked then moved on a call; as many repair orders."""
    start = local(weekday(-400), 9)
    made = Appointment.objects.bulk_create(
        [
            Appointment(
                customer=customer,
                vehicle=vehicle,
                service_type=oil_change,
                start=start + timedelta(days=n),
                end=start + timedelta(days=n, minutes=30),
                status=Appointment.Status.COMPLETED,
            )
            for n in range(appointments)
        ]
    )
    snapshot = {"start": start.isoformat(), "vehicle_id": vehicle.pk}
    AppointmentChange.objects.bulk_create(
        [
            AppointmentChange(
                appointment=a,
                action=action,
                actor_kind=kind,
                actor_label=label,
                details={"before": snapshot, "after": {**snapshot, "start": a.start.isoformat()}},
            )
            for a in made
            for action, kind, label in (
                ("booked", "advisor", "avery.advisor"),
                ("rescheduled", "phone_agent", CALL_SID),
            )
        ]
    )
    RepairOrder.objects.bulk_create(
        [
            RepairOrder(
                customer=customer,
                vehicle=vehicle,
                opened_at=start + timedelta(days=n),
                status="picked_up",
                closed_at=start + timedelta(days=n, hours=8),
            )
            for n in range(appointments)
        ]
    )


def test_the_page_needs_the_same_few_queries_however_long_the_history(
    signed_in, service_advisor, shop, oil_change, django_assert_max_num_queries
):
    client = signed_in(service_advisor)
    short = Customer.objects.create(name="Short History", phone="+13125550111")
    long = Customer.objects.create(name="Long History", phone="+13125550122")
    for who, count in ((short, 2), (long, 60)):
        long_history(who, Vehicle.objects.create(owner=who, year=2015, make="Ford", model="Focus"), oil_change, count)
    client.get(page_of(short))  # sessions, content types and permissions warmed up

    with CaptureQueriesContext(connection) as few:
        assert client.get(page_of(short)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(page_of(long)).content.decode()

    assert page.count("by the phone agent on a call") == 30 and "The latest 30." in page
