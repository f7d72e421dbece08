"""Advisors see each appointment's calendar sync state and texts, filter by sync state, and resync;
the vehicle page shows its decode and the recalls NHTSA lists."""

import pytest
from django.urls import reverse

from crm.models import Vehicle
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment, TextMessage
from scheduling.tests.vendors import google, run_tasks, twilio  # noqa: F401

APPOINTMENTS = reverse("admin:scheduling_appointment_changelist")
TEXTS = reverse("admin:scheduling_textmessage_changelist")
agent = Actor.phone_agent("CA0005")


@pytest.fixture
def booked(shop, customer, oil_change, at, run_tasks, django_capture_on_commit_callbacks):
    def booking(hour):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book_appointment(customer=customer, service_type=oil_change, start=at(hour), actor=agent)
        appointment.refresh_from_db()
        return appointment

    return booking


def test_the_appointment_page_shows_sync_state_and_texts(signed_in, service_advisor, google, twilio, booked):
    appointment = booked(9)

    page = signed_in(service_advisor).get(reverse("admin:scheduling_appointment_change", args=[appointment.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert appointment.calendar_event_id in html and "Synced" in html
    assert "Texts to the customer" in html and twilio.messages[0]["sid"] in html
    assert "your oil change is booked for" in html


def test_the_list_filters_by_sync_state(signed_in, service_advisor, google, booked):
    synced = booked(9)
    google.outage = 503
    failed = booked(10)

    page = signed_in(service_advisor).get(APPOINTMENTS, {"calendar_sync_state__exact": "failed"})

    shown = [a.pk for a in page.context["cl"].result_list]
    assert shown == [failed.pk] and synced.pk not in shown


def test_resync_repairs_a_failed_appointment(
    signed_in, service_advisor, google, booked, django_capture_on_commit_callbacks
):
    google.outage = 503
    appointment = booked(9)
    assert appointment.calendar_sync_state == "failed"
    google.outage = None

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(service_advisor).post(
            APPOINTMENTS, {"action": "resync_calendar", "_selected_action": [appointment.pk]}, follow=True
        )

    assert "1 appointment queued for calendar sync." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.calendar_sync_state == "synced"
    assert len(google.event_for_appointment(appointment.pk)) == 1


def test_advisors_read_all_texts_but_cannot_change_them(signed_in, service_advisor, twilio, booked):
    appointment = booked(9)
    text = TextMessage.objects.get(appointment=appointment)
    client = signed_in(service_advisor)

    assert client.get(TEXTS, {"status__exact": "sent"}).status_code == 200
    page = client.get(reverse("admin:scheduling_textmessage_change", args=[text.pk]))
    assert page.status_code == 200 and text.twilio_sid in page.content.decode()
    assert client.post(reverse("admin:scheduling_textmessage_change", args=[text.pk]), {"body": "x"}).status_code == 403
    assert client.get(reverse("admin:scheduling_textmessage_add")).status_code == 403


def test_staff_outside_the_groups_see_no_texts(signed_in, staff_without_group, db):
    assert signed_in(staff_without_group).get(TEXTS).status_code == 403


def test_the_vehicle_page_lists_recalls_for_the_model_year(signed_in, service_advisor, customer):
    from django.utils import timezone

    vehicle = Vehicle.objects.create(
        owner=customer,
        vin="2HGFC2F56KH512345",
        year=2019,
        make="Honda",
        model="Civic",
        decode_source="vpic",
        recalls=[
            {
                "campaign": "19V182000",
                "component": "AIR BAGS",
                "summary": "Inflator may rupture.",
                "consequence": "",
                "remedy": "Replace inflator.",
                "reported": "01/03/2019",
                "park_it": False,
            }
        ],
        recalls_checked_at=timezone.now(),
    )

    page = signed_in(service_advisor).get(reverse("admin:crm_vehicle_change", args=[vehicle.pk]))
    listing = signed_in(service_advisor).get(reverse("admin:crm_vehicle_changelist"), {"decode_source__exact": "vpic"})

    html = page.content.decode()
    assert "19V182000" in html and "Inflator may rupture." in html and "NHTSA vPIC" in html
    assert "confirm for this VIN" in html
    assert [v.pk for v in listing.context["cl"].result_list] == [vehicle.pk]


def test_sync_state_and_error_are_on_the_list(signed_in, service_advisor, google, booked):
    google.outage = 503
    booked(9)
    html = signed_in(service_advisor).get(APPOINTMENTS).content.decode()
    assert "Failed" in html
    assert Appointment.objects.get().calendar_sync_error.startswith("Google Calendar answered 503")
