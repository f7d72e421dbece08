"""get_available_slots: free local start times across the day, and whether an exact time the
caller named is free, with the nearest free starts either side."""

from datetime import timedelta

import pytest

from calls.models import Call
from calls.tests.test_tools import DANA, at, dana_appointment, day, db, tools_for, use  # noqa: F401 (fixtures)
from scheduling.actions import Actor, book_appointment

pytestmark = pytest.mark.django_db(transaction=True)


async def test_get_available_slots_offers_free_local_times_across_the_day(shop, oil_change, day, dana_appointment):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "get_available_slots", {"service": "Oil change", "date": day.isoformat()})
    assert outcome.ok
    starts = [slot["start"] for slot in content["slots"]]
    assert 1 <= len(starts) <= 6
    assert all(s.startswith(day.isoformat()) for s in starts)
    assert starts[0] == f"{day.isoformat()}T08:00"
    assert any(s >= f"{day.isoformat()}T13:00" for s in starts), "afternoons are offered too"
    assert content["more_available"] is True
    assert content["slots"][0]["say"].endswith("at 8:00 AM")
    assert (content["service"], content["duration_minutes"], content["note"]) == ("Oil change", 30, None)
    assert "requested" not in content
    assert tools.outcome.achieved == {Call.Outcome.INFO} and tools.outcome.lines == []
    outcome, content = await use(
        tools, "get_available_slots", {"service": "Oil change", "date": day.isoformat(), "part_of_day": "afternoon"}
    )
    assert all(slot["start"] >= f"{day.isoformat()}T13:00" for slot in content["slots"])


async def test_get_available_slots_on_a_closed_day_has_nothing(shop, oil_change, day):
    sunday = day + timedelta(days=6 - day.weekday())
    outcome, content = await use(
        await tools_for(DANA), "get_available_slots", {"service": "Oil change", "date": sunday.isoformat()}
    )
    assert outcome.ok and content["slots"] == [] and content["note"]


async def test_an_exact_time_is_checked_even_where_the_sample_of_the_day_skips_it(shop, oil_change, day):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools, "get_available_slots", {"service": "Oil change", "date": day.isoformat(), "time": "15:30"}
    )
    assert outcome.ok
    assert f"{day.isoformat()}T15:30" not in [slot["start"] for slot in content["slots"]], "not among the sample"
    requested = content["requested"]
    assert (requested["start"], requested["free"]) == (f"{day.isoformat()}T15:30", True)
    assert requested["say"].endswith("at 3:30 PM")
    assert requested["nearest_before"]["start"] == f"{day.isoformat()}T15:00"
    assert requested["nearest_after"]["start"] == f"{day.isoformat()}T16:00"


async def test_a_taken_exact_time_comes_with_the_nearest_free_starts_either_side(
    shop, customer, other_customer, oil_change, brake_job, day, at
):
    for someone in (customer, other_customer):  # both bays, 9 to noon
        await db(book_appointment, customer=someone, service_type=brake_job, start=at(9), actor=Actor.command("test"))
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools,
        "get_available_slots",
        {"service": "Oil change", "date": day.isoformat(), "time": "10:00", "part_of_day": "morning"},
    )
    assert outcome.ok
    requested = content["requested"]
    assert requested["free"] is False
    assert requested["nearest_before"] == {"start": f"{day.isoformat()}T08:30", "say": _say(day, "8:30 AM")}
    assert requested["nearest_after"]["start"] == f"{day.isoformat()}T13:00", "after lunch, past the morning asked"
    outcome, content = await use(
        tools, "get_available_slots", {"service": "Oil change", "date": day.isoformat(), "time": "8:00"}
    )
    assert content["requested"]["free"] is True and content["requested"]["nearest_before"] is None
    outcome, content = await use(
        tools, "get_available_slots", {"service": "Oil change", "date": day.isoformat(), "time": "17:00"}
    )
    assert content["requested"]["free"] is False, "the shop closes at 5"
    assert content["requested"]["nearest_after"] is None


async def test_moving_an_appointment_counts_the_time_it_holds_as_free(
    shop, customer, other_customer, brake_job, day, at
):
    """Dana's brakes at 1:00 PM, Marcus's too: the afternoon is full, but for Dana half an hour later is free."""
    danas, _ = [
        await db(book_appointment, customer=who, service_type=brake_job, start=at(13), actor=Actor.command("test"))
        for who in (customer, other_customer)
    ]
    tools = await tools_for(DANA)
    asked = {"service": "Brake pads and rotors", "date": day.isoformat(), "time": "13:30"}
    outcome, content = await use(tools, "get_available_slots", asked)
    assert content["requested"]["free"] is False  # a new booking: both bays are taken
    outcome, content = await use(tools, "get_available_slots", {**asked, "appointment_id": danas.pk})
    assert outcome.ok and content["requested"]["free"] is True
    outcome, content = await use(
        tools, "reschedule_appointment", {"appointment_id": danas.pk, "new_start": f"{day.isoformat()}T13:30"}
    )
    assert outcome.ok and content["start"] == f"{day.isoformat()}T13:30"


async def test_only_the_callers_own_appointment_frees_its_time(shop, customer, other_customer, brake_job, day, at):
    marcus = await db(
        book_appointment, customer=other_customer, service_type=brake_job, start=at(13), actor=Actor.command("test")
    )
    outcome, content = await use(
        await tools_for(DANA),
        "get_available_slots",
        {"service": "Brake pads and rotors", "date": day.isoformat(), "appointment_id": marcus.pk},
    )
    assert not outcome.ok and "get_upcoming_appointments" in content["error"]


def _say(day, clock):
    return f"{day:%A, %B} {day.day} at {clock}"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"service": "Oil change", "date": "next tuesday"}, "date must be a day like"),
        ({"service": "Oil change", "date": "2030-06-04", "time": "2pm"}, "time must be a 24-hour shop local time"),
        ({"service": "Oil change", "date": "2030-06-04", "time": "24:00"}, "like 14:30"),
        ({"service": "Unicorn detailing", "date": "2030-06-04"}, "Services: Oil change"),
    ],
)
async def test_get_available_slots_explains_bad_input(shop, oil_change, arguments, expected):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "get_available_slots", arguments)
    assert not outcome.ok and expected in content["error"]
    assert not tools.outcome.achieved, "a refused question is not an answer"


async def test_a_service_is_found_whatever_its_capitalization(shop, oil_change, day):
    outcome, content = await use(
        await tools_for(DANA), "get_available_slots", {"service": "oil CHANGE", "date": day.isoformat()}
    )
    assert outcome.ok and content["service"] == "Oil change"


async def test_the_callers_own_appointment_is_not_offered_over_but_another_of_their_cars_may_overlap_it(
    shop, customer, oil_change, day, at, dana_appointment
):
    from crm.models import Vehicle
    from scheduling.models import Appointment

    camry = await db(Vehicle.objects.create, owner=customer, year=2019, make="Toyota", model="Camry")
    truck = await db(Vehicle.objects.create, owner=customer, year=2012, make="Ford", model="F-150")
    await db(Appointment.objects.filter(pk=dana_appointment.pk).update, vehicle=camry)
    tools = await tools_for(DANA)
    query = {"service": "Oil change", "date": day.isoformat(), "time": "10:00"}
    _, content = await use(tools, "get_available_slots", query)
    assert content["requested"]["free"] is False, "her own oil change holds 10:00; booking it would be refused"
    outcome, booked = await use(tools, "book_appointment", {"service": "Oil change", "start": f"{day}T10:00"})
    assert booked["code"] == "customer_overlap"
    _, content = await use(tools, "get_available_slots", {**query, "vehicle_id": truck.pk})
    assert content["requested"]["free"] is True, "the truck may be dropped off beside the Camry"
    outcome, booked = await use(
        tools, "book_appointment", {"service": "Oil change", "start": f"{day}T10:00", "vehicle_id": truck.pk}
    )
    assert outcome.ok and booked["booked"] is True
