"""The advisors' appointment list: a day (or the days ahead) runs earliest first, everything else
latest first; a column heading clicked still wins."""

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.actions import Actor, book_appointment

APPOINTMENTS = reverse("admin:scheduling_appointment_changelist")


@pytest.fixture
def three_on_a_day(shop, customer, other_customer, oil_change, at):
    office = Actor.command("test-setup")
    return [
        book_appointment(customer=who, service_type=oil_change, start=at(hour), actor=office)
        for who, hour in ((customer, 14), (other_customer, 9), (customer, 10))
    ]


def local_hours(response):
    return [timezone.localtime(appointment.start).hour for appointment in response.context["cl"].result_list]


def test_a_day_runs_earliest_first(signed_in, service_advisor, three_on_a_day, booking_day):
    day = {"start__year": booking_day.year, "start__month": booking_day.month, "start__day": booking_day.day}

    assert local_hours(signed_in(service_advisor).get(APPOINTMENTS, day)) == [9, 10, 14]


@pytest.mark.parametrize("when", ["upcoming", "week"])
def test_the_days_ahead_run_earliest_first(signed_in, service_advisor, three_on_a_day, when):
    result = signed_in(service_advisor).get(APPOINTMENTS, {"when": when}).context["cl"].result_list
    starts = [appointment.start for appointment in result]
    assert starts == sorted(starts) and (len(starts) == 3 or when == "week")


def test_the_whole_list_runs_latest_first_and_a_clicked_heading_wins(signed_in, service_advisor, three_on_a_day):
    client = signed_in(service_advisor)
    starts = [appointment.start for appointment in client.get(APPOINTMENTS).context["cl"].result_list]
    assert starts == sorted(starts, reverse=True)

    clicked = [appointment.start for appointment in client.get(APPOINTMENTS, {"o": "1"}).context["cl"].result_list]
    assert clicked == sorted(clicked)
