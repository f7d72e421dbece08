"""The caller's own appointments: booking in the shop's time zone, once even when retried,
refusals said rather than raised, and listing, moving and cancelling."""

from datetime import timedelta

import pytest

from calls.models import Call
from calls.tests.test_tools import (  # noqa: F401 (fixtures)
    DANA,
    at,
    call_record,
    dana_appointment,
    day,
    db,
    marcus_appointment,
    nothing_happens,
    tools_for,
    use,
)
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


async def test_book_appointment_books_the_caller_in_the_shop_time_zone(shop, customer, oil_change, at, call_record):
    tools = await tools_for(DANA)
    arguments = {
        "service": "Oil change",
        "start": at(9, 30).strftime("%Y-%m-%dT%H:%M"),
        "waiter": True,
        "notes": "Oil light on",
    }
    outcome, content = await use(tools, "book_appointment", arguments)
    assert outcome.ok, content
    assert not outcome.ends_call and not outcome.hands_over
    appointment = await db(Appointment.objects.select_related("customer").get)
    assert appointment.customer == customer
    assert appointment.start == at(9, 30)
    assert (appointment.waiter, appointment.notes, appointment.source) == (True, "Oil light on", "phone_agent")
    assert content["booked"] is True and content["appointment_id"] == appointment.pk
    assert "at 9:30 AM" in content["when"]
    assert content["start"] == at(9, 30).strftime("%Y-%m-%dT%H:%M")
    assert tools.outcome.achieved == {"booked"}
    assert tools.outcome.lines == [f"Booked Oil change for {content['when']}."]


async def test_a_retried_tool_call_books_once(shop, customer, oil_change, at):
    tools = await tools_for(DANA)
    arguments = {"service": "Oil change", "start": at(11).strftime("%Y-%m-%dT%H:%M")}
    first, first_content = await use(tools, "book_appointment", arguments)
    again, again_content = await use(tools, "book_appointment", arguments)
    assert first.ok and again.ok
    assert first_content["appointment_id"] == again_content["appointment_id"]
    assert await db(Appointment.objects.count) == 1


async def test_booking_refusals_are_said_not_raised(shop, customer, oil_change, at, day):
    tools = await tools_for(DANA)
    sunday = day + timedelta(days=6 - day.weekday())
    outcome, content = await use(
        tools, "book_appointment", {"service": "Oil change", "start": f"{sunday.isoformat()}T10:00"}
    )
    assert nothing_happens(outcome) and content["code"] == "closed" and "closed" in content["error"]
    outcome, content = await use(tools, "book_appointment", {"service": "Oil change", "start": "tomorrow at ten"})
    assert nothing_happens(outcome) and "like 2030-06-04T09:30" in content["error"]
    assert not await db(Appointment.objects.exists)
    assert not tools.outcome.achieved and not tools.outcome.lines


async def test_booking_needs_the_caller_on_file(shop, oil_change, at):
    outcome, content = await use(
        await tools_for("+13125550111"),
        "book_appointment",
        {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")},
    )
    assert not outcome.ok and "create_customer" in content["error"]


async def test_upcoming_cancel_and_reschedule_work_on_the_callers_own_appointment(shop, customer, dana_appointment, at):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "get_upcoming_appointments")
    assert [a["appointment_id"] for a in content["appointments"]] == [dana_appointment.pk]
    outcome, content = await use(
        tools,
        "reschedule_appointment",
        {"appointment_id": dana_appointment.pk, "new_start": at(15).strftime("%Y-%m-%dT%H:%M")},
    )
    assert outcome.ok and content["rescheduled"] is True and content["start"].endswith("T15:00")
    moved = content["when"]
    outcome, content = await use(
        tools, "cancel_appointment", {"appointment_id": dana_appointment.pk, "reason": "Car sold"}
    )
    assert outcome.ok and content["cancelled"] is True and content["status"] == "cancelled"
    refreshed = await db(Appointment.objects.get, pk=dana_appointment.pk)
    assert (refreshed.status, refreshed.start) == ("cancelled", at(15))
    assert tools.outcome.achieved == {"rescheduled", "cancelled"}
    assert tools.outcome.lines == [f"Moved Oil change to {moved}.", f"Cancelled Oil change of {moved}."]
    assert Call.Outcome.BOOKED not in tools.outcome.achieved


# --- Calls that end right: the caller's own appointments, rebooking, and how many per call ---------


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


async def test_booking_over_the_callers_own_appointment_is_refused_in_words(
    shop, customer, oil_change, at, dana_appointment
):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(10, 15))})
    assert nothing_happens(outcome) and content["code"] == "customer_overlap"
    when = (await use(tools, "get_upcoming_appointments"))[1]["appointments"][0]["when"]
    assert content["error"] == f"You already have your oil change on {when}, which overlaps that time."
    outcome, content = await use(
        tools,
        "book_appointment",
        {"service": "Oil change", "start": _iso(at(10, 15)), "overlap_reason": "The caller insists"},
    )
    assert nothing_happens(outcome) and "overlap_reason: Extra inputs are not permitted" in content["error"]
    assert await db(Appointment.objects.count) == 1
    assert not tools.outcome.achieved


async def test_moving_onto_the_callers_other_appointment_is_refused_in_words(
    shop, customer, oil_change, at, dana_appointment
):
    tools = await tools_for(DANA)
    _, later = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(15))})
    outcome, content = await use(
        tools, "reschedule_appointment", {"appointment_id": later["appointment_id"], "new_start": _iso(at(10))}
    )
    assert nothing_happens(outcome) and content["code"] == "customer_overlap"
    assert content["error"].startswith("You already have your oil change on ")
    assert (await db(Appointment.objects.get, pk=later["appointment_id"])).start == at(15)
    assert Call.Outcome.RESCHEDULED not in tools.outcome.achieved


async def test_rebooking_a_slot_cancelled_on_the_same_call_books_it_anew(shop, customer, oil_change, at):
    tools = await tools_for(DANA)
    arguments = {"service": "Oil change", "start": _iso(at(11))}
    _, first = await use(tools, "book_appointment", arguments)
    await use(tools, "cancel_appointment", {"appointment_id": first["appointment_id"]})
    outcome, again = await use(tools, "book_appointment", arguments)
    assert outcome.ok and again["booked"] is True and again["status"] == "booked"
    assert again["appointment_id"] != first["appointment_id"]
    statuses = await db(lambda: dict(Appointment.objects.values_list("pk", "status")))
    assert statuses == {first["appointment_id"]: "cancelled", again["appointment_id"]: "booked"}
    _, retried = await use(tools, "book_appointment", arguments)
    assert retried["appointment_id"] == again["appointment_id"]


async def test_a_call_books_at_most_three_appointments(shop, customer, oil_change, at, day):
    tools = await tools_for(DANA)
    for hour in (8, 10, 14):
        outcome, content = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(hour))})
        assert outcome.ok, content
    outcome, content = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(16))})
    assert nothing_happens(outcome) and content == {
        "error": "I can book up to three appointments on one call; an advisor can help with more — "
        "shall I take a message?",
        "code": "call_limit",
    }
    assert await db(Appointment.objects.count) == 3
    outcome, retried = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(14))})
    assert outcome.ok, "a retry of one already booked is not a fourth"
    assert await db(Appointment.objects.count) == 3


async def test_a_booking_cancelled_on_the_call_no_longer_counts_and_other_calls_have_their_own(
    shop, customer, oil_change, at
):
    from calls.tests.scripted_calls import tools_for as tools_for_call

    tools = await tools_for(DANA)
    booked = [
        (await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(hour))}))[1]
        for hour in (8, 10, 14)
    ]
    await use(tools, "cancel_appointment", {"appointment_id": booked[0]["appointment_id"]})
    outcome, _ = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(15))})
    assert outcome.ok
    later_call = await tools_for_call(DANA, call_sid="CA" + "7" * 32)
    outcome, _ = await use(later_call, "book_appointment", {"service": "Oil change", "start": _iso(at(16))})
    assert outcome.ok
    assert await db(Appointment.objects.filter(status="booked").count) == 4


async def test_booking_on_a_day_with_another_appointment_says_so(shop, customer, oil_change, at, day, dana_appointment):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "book_appointment", {"service": "Oil change", "start": _iso(at(14))})
    assert outcome.ok
    assert content["also_that_day"] == "The caller also has the oil change at 10:00 AM that day."
    outcome, content = await use(
        tools, "book_appointment", {"service": "Oil change", "start": _iso(at(10, on=day + timedelta(days=1)))}
    )
    assert outcome.ok and "also_that_day" not in content


async def test_moving_onto_a_day_with_another_appointment_says_so(
    shop, customer, oil_change, at, day, dana_appointment
):
    tools = await tools_for(DANA)
    _, other_day = await use(
        tools, "book_appointment", {"service": "Oil change", "start": _iso(at(9, on=day + timedelta(days=1)))}
    )
    outcome, content = await use(
        tools, "reschedule_appointment", {"appointment_id": other_day["appointment_id"], "new_start": _iso(at(15))}
    )
    assert outcome.ok
    assert content["also_that_day"] == "The caller also has the oil change at 10:00 AM that day."


async def test_update_appointment_puts_the_callers_car_and_waiting_on_their_own_appointment_only(
    shop, customer, other_customer, oil_change, at, dana_appointment, marcus_appointment
):
    from crm.models import Vehicle

    camry = await db(Vehicle.objects.create, owner=customer, year=2019, make="Toyota", model="Camry")
    truck = await db(Vehicle.objects.create, owner=other_customer, year=2012, make="Ford", model="F-150")
    tools = await tools_for(DANA)
    arguments = {"appointment_id": dana_appointment.pk, "vehicle_id": camry.pk, "waiter": True}
    outcome, content = await use(tools, "update_appointment", arguments)
    assert outcome.ok, content
    assert (content["vehicle"], content["waiter"]) == ("2019 Toyota Camry", True)
    mine = await db(Appointment.objects.get, pk=dana_appointment.pk)
    assert (mine.vehicle_id, mine.waiter, mine.start) == (camry.pk, True, dana_appointment.start)

    for refused in (
        {"appointment_id": marcus_appointment.pk, "vehicle_id": camry.pk},  # someone else's appointment
        {"appointment_id": dana_appointment.pk, "vehicle_id": truck.pk},  # someone else's car
        {"appointment_id": dana_appointment.pk},  # nothing to change
    ):
        outcome, content = await use(tools, "update_appointment", refused)
        assert nothing_happens(outcome) and "error" in content, refused
    theirs = await db(Appointment.objects.get, pk=marcus_appointment.pk)
    assert (theirs.vehicle_id, theirs.waiter) == (None, False)
    assert (await db(Appointment.objects.get, pk=dana_appointment.pk)).vehicle_id == camry.pk
