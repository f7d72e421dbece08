"""The scripted receptionist takes messages, transfers to a person, says goodbye, and offers a
message for an advisor for anything it does not understand."""

from datetime import timedelta

import pytest

from calls.models import Call, CallbackRequest
from calls.tests.scripted_calls import CALL_SID, DANA, NEWCOMER, call_from, clock, db  # noqa: F401 (fixtures)
from fakes.twilio_rest import FakeTwilioRest
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)
ADVISOR = "+13125550123"


def messages():
    return list(CallbackRequest.objects.select_related("customer").order_by("created_at"))


@pytest.fixture
def call_record(db):
    return Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")


async def test_something_it_cannot_do_becomes_a_message_for_an_advisor(
    shop, oil_change, customer, call_record, call_from
):
    call = await call_from(DANA)
    said = await call.caller("Is my car ready to be picked up yet?")
    assert said == (
        "I'm sorry, I can't help with that myself. I can take a message for an advisor to call you back. "
        "Would you like me to do that?"
    ), call.transcript
    said = await call.caller("Yes please")
    assert said.startswith("How urgent is it"), call.transcript
    said = await call.caller("I need it back today")
    read_back = "Okay. I'll pass this on to an advisor: is my car ready to be picked up yet? Shall I send it?"
    assert said == read_back, call.transcript
    assert await db(messages) == []
    said = await call.caller("Yes")
    assert said.startswith("Thanks, Dana. I've passed your message on, and an advisor will call you back today.")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.customer, message.urgency) == (
        "Dana Whitfield",
        DANA,
        customer,
        "soon",
    )
    assert "ready to be picked up" in message.reason


async def test_a_new_caller_leaves_a_message_with_their_name(shop, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("Can I leave a message for Mike?")
    assert said == "Sure. What would you like me to pass on to the advisor?", call.transcript
    said = await call.caller("Tell him the tow truck is dropping my Civic off tonight.")
    assert said == "Can I get your name, please?"
    said = await call.caller("Sam Ortiz")
    assert said.startswith("How urgent is it")
    said = await call.caller("Not urgent, it can wait.")
    assert said == (
        "Okay. I'll pass this on to an advisor: tell him the tow truck is dropping my Civic off tonight. "
        "Shall I send it?"
    ), call.transcript
    await call.caller("yes")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.urgency, message.customer) == ("Sam Ortiz", NEWCOMER, "routine", None)


async def test_a_message_about_something_urgent(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Please have someone call me back about my car, it broke down on the highway")
    assert said.startswith("How urgent is it"), call.transcript
    said = await call.caller("It's an emergency, I'm stranded")
    await call.caller("yes")
    (message,) = await db(messages)
    assert message.urgency == "urgent" and "broke down" in message.reason


async def test_a_withheld_number_can_leave_a_message_with_a_callback_number(shop, oil_change, call_from):
    call = await call_from(None)
    said = await call.caller("I'd like to book an oil change")
    assert said.startswith("I'm sorry, I can't book appointments without caller ID."), call.transcript
    said = await call.caller("Okay, yes")
    assert said == "Sure. What would you like me to pass on to the advisor?"
    await call.caller("I want an oil change on Friday morning")
    said = await call.caller("Lee Park")
    assert said == "What number should the advisor call you back on?", call.transcript
    said = await call.caller("three one two, five five five, zero one nine nine")
    assert said.startswith("How urgent is it"), call.transcript
    await call.caller("whenever")
    await call.caller("yes")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.urgency) == ("Lee Park", "+13125550199", "routine")
    assert await db(Appointment.objects.count) == 0


async def test_asking_for_a_person_transfers_the_call(settings, shop, customer, call_record, call_from):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = ADVISOR
        call = await call_from(DANA)
        said = await call.caller("Can I talk to a real person please?")
        assert said == "Sure. Let me transfer you to an advisor.", call.transcript
        assert call.ended == "transfer"
        (update,) = twilio.calls[CALL_SID]["updates"]
        assert ADVISOR in update["Twiml"]
    saved = await db(Call.objects.get, call_sid=CALL_SID)
    assert saved.transferred and saved.summary.startswith("Dana Whitfield asked to speak with an advisor")


async def test_a_transfer_that_fails_turns_into_a_message(settings, shop, customer, call_record, call_from):
    settings.SHOP_ADVISOR_NUMBER = ""
    call = await call_from(DANA)
    said = await call.caller("I want to speak to the manager")
    assert said == (
        "Sure. Let me transfer you to an advisor. I'm sorry, I couldn't reach an advisor just now. "
        "I can take a message and have someone call you back. Would you like that?"
    ), call.transcript
    assert call.ended is None
    said = await call.caller("yes")
    assert said.startswith("How urgent is it"), call.transcript


async def test_goodbye_ends_the_call(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Actually that's all, bye!")
    assert said == "Thanks for calling, Dana. Have a great day. Goodbye!"
    assert call.ended == "end_call"


async def test_twice_not_understood_while_booking_offers_a_message(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("I want to book an appointment")
    assert said.endswith("What would you like to have done?")
    said = await call.caller("The thingy under the hood is doing the thing")
    assert said.startswith("Sorry, I didn't catch that. "), call.transcript
    said = await call.caller("You know, the thingy")
    assert said.endswith("I can take a message for an advisor to call you back. Would you like me to do that?")


async def test_the_caller_can_ask_to_hear_it_again(shop, oil_change, customer, clock, call_from):
    call = await call_from(DANA)
    first = await call.caller("oil change tomorrow at 9")
    said = await call.caller("Sorry, can you repeat that?")
    assert said == first
    await call.caller("yes")
    (start,) = await db(lambda: list(Appointment.objects.values_list("start", flat=True)))
    assert start.astimezone(shop.tz).date() == clock.date() + timedelta(days=1)
