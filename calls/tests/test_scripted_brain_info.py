"""The scripted receptionist answers questions about the shop only from shop_info: the approved
FAQ text, the services and their price ranges; otherwise it offers a message."""

from datetime import timedelta

import pytest

from calls.tests.scripted_calls import DANA, call_from, clock, db, local  # noqa: F401 (fixtures)
from calls.agent.scripted.speech import say_day
from scheduling.models import Appointment, FaqAnswer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_hours_are_the_approved_answer(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What are your hours?")
    assert said == (
        "We're open 8 to 5 on weekdays and 8 to noon on Saturday. Is there anything else I can help you with?"
    ), call.transcript
    assert call.used("shop_info")[0][0] == {"topic": "hours"}


async def test_location_is_the_approved_answer(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Where are you guys located?")
    assert said.startswith("We're at 1200 West Fulton Street, near the Morgan L stop."), call.transcript


async def test_a_price_comes_from_the_service_list_and_leads_to_a_booking(
    shop, oil_change, brake_job, customer, clock, call_from
):
    call = await call_from(DANA)
    said = await call.caller("How much is an oil change?")
    assert said == (
        "An oil change is usually $49 to $89. That's an estimate; the advisor confirms the price after looking "
        "at the car. Would you like to book one?"
    ), call.transcript
    said = await call.caller("Yes")
    assert said.endswith("What day would you like to bring it in?")
    wednesday = clock.date() + timedelta(days=2)
    said = await call.caller("Wednesday at 11")
    assert said == f"So that's an oil change on {say_day(wednesday)} at 11 AM. Shall I book it?"
    await call.caller("yes")
    booked = await db(lambda: list(Appointment.objects.values_list("start", flat=True)))
    assert booked == [local(shop, wednesday, 11)]


async def test_a_price_question_without_a_service_asks_which(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What do you charge?")
    assert said == "Which service would you like a price for? We do brake pads and rotors and oil change.", (
        call.transcript
    )
    said = await call.caller("The brakes")
    assert said.startswith("Brake pads and rotors is usually $250 to $600."), call.transcript


async def test_a_topic_with_no_approved_answer_is_not_guessed(shop, oil_change, customer, call_from):
    await db(FaqAnswer.objects.create, topic="warranty", answer="Lifetime on everything!", approved=False)
    call = await call_from(DANA)
    said = await call.caller("Do your repairs come with a warranty?")
    assert "Lifetime" not in said
    assert said.startswith("I'm not sure about that one.") and said.endswith("Would you like that?"), call.transcript
    said = await call.caller("No, that's okay.")
    assert said.endswith("anything else I can help you with?")


async def test_a_question_in_the_middle_of_booking_is_answered_and_the_booking_resumes(
    shop, oil_change, customer, call_from
):
    call = await call_from(DANA)
    said = await call.caller("I need an oil change")
    assert said.endswith("What day would you like to bring it in?")
    said = await call.caller("Wait, are you open on Saturdays?")
    assert said == (
        "We're open 8 to 5 on weekdays and 8 to noon on Saturday. What day would you like to bring it in?"
    ), call.transcript


async def test_what_services_do_you_offer(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What services do you offer?")
    assert said == "We do brake pads and rotors and oil change. Would you like to book one of those?", call.transcript
