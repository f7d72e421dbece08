"""The scripted receptionist with the caller's own appointments: list, cancel and move them,
always after reading back which one and hearing a clear yes."""

from datetime import timedelta

import pytest

from calls.tests.scripted_calls import DANA, NEWCOMER, call_from, clock, db, local  # noqa: F401 (fixtures)
from calls.agent.scripted.speech import say_day
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


def book(customer, service, start):
    return book_appointment(customer=customer, service_type=service, start=start, actor=Actor.command("test"))


def fresh(appointment):
    return Appointment.objects.get(pk=appointment.pk)


@pytest.fixture
def tuesday_oil_change(shop, customer, oil_change, clock):
    return book(customer, oil_change, local(shop, clock.date() + timedelta(days=1), 9))


@pytest.fixture
def friday_brakes(shop, customer, brake_job, clock):
    return book(customer, brake_job, local(shop, clock.date() + timedelta(days=4), 8))


async def test_when_is_my_appointment_lists_them_all(shop, clock, tuesday_oil_change, friday_brakes, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hi, when is my appointment?")
    tuesday, friday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=4)
    assert said.startswith(
        f"You have 2 upcoming appointments: an oil change on {say_day(tuesday)} at 9 AM and "
        f"brake pads and rotors on {say_day(friday)} at 8 AM."
    ), call.transcript
    assert said.endswith("Is there anything else I can help you with?")


async def test_no_appointments_to_list_offers_to_book_one(shop, customer, oil_change, call_from):
    call = await call_from(DANA)
    said = await call.caller("Do I have an appointment coming up?")
    assert said == "You don't have any upcoming appointments with us. Would you like to book one?", call.transcript
    said = await call.caller("Yes")
    assert said.endswith("What would you like to have done?"), call.transcript


async def test_cancelling_the_only_appointment_after_a_yes(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("I need to cancel my appointment, something came up at work.")
    assert said == f"Just to confirm, you'd like to cancel your oil change on {say_day(tuesday)} at 9 AM?", (
        call.transcript
    )
    assert (await db(fresh, tuesday_oil_change)).status == "booked"
    said = await call.caller("Yes, please cancel it.")
    assert said.startswith(f"Done. Your oil change on {say_day(tuesday)} at 9 AM is cancelled."), call.transcript
    cancelled = await db(fresh, tuesday_oil_change)
    assert cancelled.status == "cancelled"
    said = await call.caller("No thanks.")
    assert said.endswith("anything else I can help you with?")
    said = await call.caller("No, that's it.")
    assert said.endswith("Goodbye!") and call.ended == "end_call"


async def test_a_no_at_the_cancel_read_back_keeps_the_appointment(shop, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    await call.caller("Cancel my oil change")
    said = await call.caller("No, wait, don't.")
    assert said.startswith("Okay, I'll leave it as it is."), call.transcript
    assert (await db(fresh, tuesday_oil_change)).status == "booked"
    assert call.used("cancel_appointment") == []


async def test_with_two_appointments_the_caller_picks_which_to_cancel(
    shop, clock, tuesday_oil_change, friday_brakes, call_from
):
    call = await call_from(DANA)
    said = await call.caller("I'd like to cancel an appointment")
    assert said.endswith("Which one would you like to cancel?"), call.transcript
    said = await call.caller("The brake one")
    assert said.startswith("Just to confirm, you'd like to cancel your brake pads and rotors on"), call.transcript
    await call.caller("yes")
    assert (await db(fresh, friday_brakes)).status == "cancelled"
    assert (await db(fresh, tuesday_oil_change)).status == "booked"


async def test_moving_the_oil_change_to_thursday_at_10(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    tuesday, thursday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=3)
    said = await call.caller("Can I move my oil change to Thursday at 10?")
    assert said == (
        f"So I'll move your oil change from {say_day(tuesday)} at 9 AM to {say_day(thursday)} at 10 AM. "
        "Shall I go ahead?"
    ), call.transcript
    assert (await db(fresh, tuesday_oil_change)).start == local(shop, tuesday, 9)
    said = await call.caller("Go ahead.")
    assert said.startswith(f"Done. Your oil change is now on {say_day(thursday)} at 10 AM."), call.transcript
    moved = await db(fresh, tuesday_oil_change)
    assert (moved.start, moved.status) == (local(shop, thursday, 10), "booked")


async def test_rescheduling_asks_for_the_new_day_and_offers_times(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    wednesday = clock.date() + timedelta(days=2)
    said = await call.caller("I need to reschedule.")
    assert said == "Sure. What day would you like to move your oil change to?", call.transcript
    said = await call.caller("Wednesday afternoon")
    assert f"{say_day(wednesday)} at 1 PM" in said and said.endswith("Which works best for you?"), call.transcript
    said = await call.caller("The second one")
    assert said.startswith("So I'll move your oil change from") and said.endswith("Shall I go ahead?")
    await call.caller("Yes")
    moved = await db(fresh, tuesday_oil_change)
    assert moved.start.astimezone(shop.tz).date() == wednesday and moved.start.astimezone(shop.tz).hour >= 13


async def test_moving_the_tuesday_one_when_there_are_two(shop, clock, tuesday_oil_change, friday_brakes, call_from):
    call = await call_from(DANA)
    wednesday = clock.date() + timedelta(days=2)
    said = await call.caller("Could I move my Tuesday appointment to Wednesday at 11?")
    assert said.startswith("So I'll move your oil change from") and f"to {say_day(wednesday)} at 11 AM" in said
    await call.caller("yes")
    assert (await db(fresh, tuesday_oil_change)).start == local(shop, wednesday, 11)
    assert (await db(fresh, friday_brakes)).start == friday_brakes.start


async def test_a_caller_not_on_file_has_nothing_to_move_and_may_book(shop, oil_change, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("I want to reschedule my appointment")
    assert said == "I don't see any appointments under this phone number. Would you like to book one?", call.transcript
    said = await call.caller("Sure, an oil change")
    assert said.endswith("What day would you like to bring it in?"), call.transcript
