"""An appointment's history reads as sentences: what happened, who did it, and the call it was on."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from crm.models import Vehicle
from scheduling.actions import (
    NO_VEHICLE,
    Actor,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_appointment_status,
    update_appointment_details,
)
from scheduling.history import describe, describe_all
from scheduling.models import Appointment, AppointmentChange

CALL_SID = "CA0123456789abcdef0123456789abcdef"


def day_words(moment):
    """ "Tue Dec 15", the way every back-office page writes a day."""
    local = timezone.localtime(moment)
    return f"{local:%a %b} {local.day}"


def latest(appointment):
    return appointment.changes.select_related("actor_user").first()


def sentence(appointment):
    return unescape(strip_tags(describe_all([latest(appointment)])[0][1]))


@pytest.fixture
def booked(shop, customer, oil_change, at, service_advisor):
    return book_appointment(
        customer=customer, service_type=oil_change, start=at(13), actor=Actor.advisor(service_advisor)
    )


@pytest.fixture
def camry(customer):
    return Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")


@pytest.fixture
def civic(customer):
    return Vehicle.objects.create(owner=customer, year=2021, make="Honda", model="Civic")


def test_a_booking_says_when_for_and_who_booked_it(booked, at):
    assert sentence(booked) == f"Booked for {day_words(at(13))}, 1:00 PM by avery.advisor"


def test_a_move_by_the_phone_agent_says_from_when_to_when_and_links_the_call(booked, at):
    reschedule_appointment(booked, new_start=at(14, 30), actor=Actor.phone_agent(CALL_SID))

    html = describe(latest(booked))
    assert (
        unescape(strip_tags(html))
        == f"Moved from {day_words(at(13))}, 1:00 PM to 2:30 PM by the phone agent on a call (transcript)"
    )
    assert f'<a href="{reverse("call_pages:detail", args=[CALL_SID])}">transcript</a>' in html


def test_a_move_to_another_day_names_both_days(booked, at, booking_day):
    next_day = booking_day + timedelta(days=7)
    reschedule_appointment(booked, new_start=at(9, day=next_day), actor=Actor.advisor(None))

    assert sentence(booked) == (
        f"Moved from {day_words(at(13))}, 1:00 PM to {day_words(at(9, day=next_day))}, 9:00 AM by an advisor"
    )


def test_a_cancellation_on_a_call_is_the_callers_with_their_reason(booked):
    cancel_appointment(booked, actor=Actor.phone_agent(CALL_SID), reason="can't make it")

    assert sentence(booked) == "Cancelled by the caller on a call: “can't make it” (transcript)"


def test_a_cancellation_in_the_back_office_names_the_advisor(booked, service_advisor):
    cancel_appointment(booked, actor=Actor.advisor(service_advisor), reason="Cancelled in the back office")

    assert sentence(booked) == "Cancelled by avery.advisor: “Cancelled in the back office”"
    assert "<a" not in describe(latest(booked)), "no call to link"


def test_a_vehicle_change_names_both_vehicles(booked, camry, civic):
    update_appointment_details(booked, vehicle=camry, actor=Actor.phone_agent(CALL_SID))
    assert (
        sentence(booked)
        == "Vehicle changed from no vehicle to 2019 Toyota Camry by the phone agent on a call (transcript)"
    )

    update_appointment_details(booked, vehicle=civic, actor=Actor.command("fix_vehicles"))
    assert sentence(booked) == "Vehicle changed from 2019 Toyota Camry to 2021 Honda Civic by the command fix_vehicles"

    update_appointment_details(booked, vehicle=NO_VEHICLE, actor=Actor.command("fix_vehicles"))
    assert sentence(booked) == "Vehicle changed from 2021 Honda Civic to no vehicle by the command fix_vehicles"


def test_a_vehicle_since_removed_is_said_so(booked, camry):
    update_appointment_details(booked, vehicle=camry, actor=Actor.command("fix_vehicles"))
    camry.delete()

    assert (
        sentence(booked) == "Vehicle changed from no vehicle to a vehicle no longer on file by the command fix_vehicles"
    )


def test_several_details_at_once_read_as_one_sentence(booked, service_advisor, oil_change):
    update_appointment_details(
        booked,
        notes="Rattle from the back left",
        waiter=True,
        loaner_requested=True,
        actor=Actor.advisor(service_advisor),
    )

    assert sentence(booked) == (
        "Notes changed to “Rattle from the back left”; now waiting at the shop; loaner requested by avery.advisor"
    )


def test_statuses_read_as_what_the_shop_did(booked, service_advisor):
    set_appointment_status(booked, Appointment.Status.CONFIRMED, actor=Actor.task("confirm_by_text"))
    assert sentence(booked) == "Confirmed by a background task (confirm_by_text)"

    set_appointment_status(booked, Appointment.Status.ARRIVED, actor=Actor.advisor(service_advisor))
    assert sentence(booked) == "Marked arrived by avery.advisor"


def test_an_overlap_an_advisor_booked_over_keeps_its_reason(shop, customer, oil_change, at, service_advisor):
    book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=Actor.advisor(service_advisor))
    second = book_appointment(
        customer=customer,
        service_type=oil_change,
        start=at(9),
        overlap_reason="Two cars",
        actor=Actor.advisor(service_advisor),
    )

    assert sentence(second).endswith("by avery.advisor, over the customer's other appointment: “Two cars”")


def test_words_in_a_record_are_escaped(booked):
    cancel_appointment(booked, actor=Actor.phone_agent(CALL_SID), reason="<script>x</script>")

    assert "&lt;script&gt;" in describe(latest(booked))


def test_an_unknown_kind_of_change_still_reads(booked):
    change = AppointmentChange.objects.create(
        appointment=booked, action="merged", actor_kind="command", actor_label="dedupe", details={}
    )
    assert strip_tags(describe(change)) == "Merged by the command dedupe"


def test_the_appointment_page_shows_the_history_as_sentences_newest_first(booked, at, signed_in, service_advisor):
    reschedule_appointment(booked, new_start=at(14, 30), actor=Actor.phone_agent(CALL_SID))

    response = signed_in(service_advisor).get(reverse("admin:scheduling_appointment_change", args=[booked.pk]))

    page = response.content.decode()
    moved = f"Moved from {day_words(at(13))}, 1:00 PM to 2:30 PM by the phone agent on a call"
    assert moved in page and f"Booked for {day_words(at(13))}, 1:00 PM by avery.advisor" in page
    assert page.index(moved) < page.index("Booked for")
    assert reverse("call_pages:detail", args=[CALL_SID]) in page
    assert "'before'" not in page and "vehicle_id" not in page
