"""The scripted receptionist takes messages, transfers to a person, says goodbye, and offers a
message for an advisor for anything it does not understand."""

from datetime import timedelta

import pytest

from calls.models import Call, CallbackRequest
from calls.tests.scripted_calls import CALL_SID, DANA, NEWCOMER, call_from, clock, db  # noqa: F401 (fixtures)
from crm.models import Customer
from fakes.twilio_rest import FakeTwilioRest
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)
ADVISOR = "+13125550123"

ASK_FOR_NUMBER = "What number should the advisor call you back on? You can say it, or key it in and press pound."


def messages():
    return list(CallbackRequest.objects.select_related("customer").order_by("created_at"))


@pytest.fixture
def call_record(db):
    return Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")


async def test_something_it_cannot_do_becomes_a_message_for_an_advisor(
    shop, oil_change, customer, call_record, call_from
):
    call = await call_from(DANA)
    said = await call.caller("Is my car ready to be picked up yet? I need it back today.")
    # No car of hers is in the shop (no open repair order): she hears so, and is offered a message.
    assert said.endswith(
        "I can check your appointments, or take a message for an advisor. Would you like me to take a message?"
    ), call.transcript
    said = await call.caller("Yes please")
    read_back = (
        "I'll pass this on to an advisor: is my car ready to be picked up yet? I need it back today. "
        "They'll call you back today on the number you're calling from. Shall I send it?"
    )
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
    assert said == "Sure. What's the message for the advisor?", call.transcript
    said = await call.caller("Tell him the tow truck is dropping my Civic off tonight.")
    assert said == "Can I get your name, please?"
    said = await call.caller("Sam Ortiz")
    assert said == (
        "I'll pass this on for Mike from Sam Ortiz: tell him the tow truck is dropping my Civic off tonight. "
        "They'll call you back today on the number you're calling from. Shall I send it?"
    ), call.transcript  # "tonight": today
    said = await call.caller("Actually it's not urgent, it can wait.")
    assert "They'll call you back on the number you're calling from." in said, call.transcript
    await call.caller("yes")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.urgency, message.customer) == ("Sam Ortiz", NEWCOMER, "routine", None)


async def test_a_message_about_something_urgent_is_urgent_without_asking(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Please have someone call me back about my car, it broke down on the highway")
    assert "How urgent" not in said and said.endswith(
        "as soon as possible on the number you're calling from. Shall I send it?"
    ), call.transcript
    await call.caller("yes")
    (message,) = await db(messages)
    assert message.urgency == "urgent" and "broke down" in message.reason


@pytest.mark.parametrize(
    "said, urgency",
    [
        ("My brakes failed on the way home, can someone call me back?", "urgent"),
        ("There's smoke coming from the hood, can somebody call me", "urgent"),
        ("You did my brakes yesterday and the pedal feels soft, I'm scared to drive it. Call me right away.", "urgent"),
        ("The brakes aren't really grabbing since you did them, can someone call me back?", "urgent"),
        ("My car smells really strongly of gas, like raw fuel. Can somebody call me back?", "urgent"),
        ("There's a burning smell and coolant pouring out underneath, can someone call me", "urgent"),
        ("Can an advisor call me back today about my invoice?", "soon"),
        ("Have someone call me as soon as possible about my invoice", "soon"),
        ("Could someone call me about the warranty paperwork? No rush.", "routine"),
    ],
)
async def test_how_urgent_a_message_is_comes_from_the_callers_words(shop, customer, call_from, said, urgency):
    call = await call_from(DANA)
    reply = await call.caller(said)
    assert reply.endswith("Shall I send it?"), call.transcript
    await call.caller("Yes")
    (message,) = await db(messages)
    assert message.urgency == urgency, call.transcript


@pytest.mark.parametrize(
    "said, number, read_back",
    [
        (
            "Call my cell instead, it's seven seven three, five five five, zero one two three.",
            "+17735550123",
            "7 7 3, 5 5 5, 0 1 2 3",
        ),
        (
            "My wife's number is three one two five five five oh one nine eight.",
            "+13125550198",
            "3 1 2, 5 5 5, 0 1 9 8",
        ),
        ("Use my cell, three one two double five five oh one nine eight.", "+13125550198", "3 1 2, 5 5 5, 0 1 9 8"),
        ("My cell is 773-555-0142, better to use that.", "+17735550142", "7 7 3, 5 5 5, 0 1 4 2"),
        ("Call me at (312) 555 0198.", "+13125550198", "3 1 2, 5 5 5, 0 1 9 8"),
        ("It's 312 555 0190, sorry, no, 0191.", "+13125550191", "3 1 2, 5 5 5, 0 1 9 1"),
    ],
)
async def test_a_callback_number_the_caller_gives_wins_over_caller_id(
    shop, customer, call_from, said, number, read_back
):
    call = await call_from(DANA)
    reply = await call.caller(f"Can someone call me back about the estimate for my brakes? {said}")
    assert f"They'll call you back at {read_back}. Shall I send it?" in reply, call.transcript
    await call.caller("Yes")
    (message,) = await db(messages)
    assert (message.phone, message.customer) == (number, customer)
    assert "estimate for my brakes" in message.reason and "five" not in message.reason


async def test_a_number_corrected_at_the_read_back_replaces_the_first(shop, customer, call_from):
    call = await call_from(DANA)
    await call.caller("Have someone call me about my warranty claim at 312 555 0190")
    said = await call.caller("No wait, it's 312 555 0191")
    assert "3 1 2, 5 5 5, 0 1 9 1" in said, call.transcript
    await call.caller("Yes")
    (message,) = await db(messages)
    assert message.phone == "+13125550191"


async def test_a_new_caller_gives_the_reason_first_and_the_name_in_a_later_turn(shop, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("Yeah hi, my brakes are grinding pretty bad, can somebody call me back?")
    assert said == "Can I get your name, please?", call.transcript
    said = await call.caller("It's Jordan Reyes.")
    assert said.startswith("I'll pass this on to an advisor from Jordan Reyes: my brakes are grinding pretty bad.")
    await call.caller("Yes this number is fine.")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.urgency) == ("Jordan Reyes", NEWCOMER, "routine")


async def test_a_name_given_when_asked_what_to_pass_on_is_taken_as_the_name(shop, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("Can someone call me back?")
    assert said == "Sure. What's the message for the advisor?", call.transcript
    said = await call.caller("This is Jordan Reyes.")
    assert said == "Thanks, Jordan. What's the message for the advisor?", call.transcript
    said = await call.caller("My check engine light is flashing")
    assert said.startswith("I'll pass this on to an advisor from Jordan Reyes: my check engine light is flashing.")
    said = await call.caller("Yes, that's it")
    assert call.ended is None, call.transcript
    (message,) = await db(messages)
    assert (message.name, message.reason) == ("Jordan Reyes", "My check engine light is flashing")


@pytest.mark.parametrize(
    "said, name, spelling",
    [
        ("It's Linh Nguyen. Nguyen is N G U Y E N.", "Linh Nguyen", "L I N H, N G U Y E N"),
        (
            "Last name Babich. B as in boy, A, B as in boy, I, C, H. First name Goran.",
            "Goran Babich",
            "G O R A N, B A B I C H",
        ),
        ("S I O B H A N, last name Kelly, K-E-L-L-Y", "Siobhan Kelly", "S I O B H A N, K E L L Y"),
    ],
)
async def test_a_spelled_name_is_spelled_back_with_the_message(shop, call_from, said, name, spelling):
    call = await call_from(NEWCOMER)
    await call.caller("I'd like a callback about my coolant leak.")
    reply = await call.caller(said)
    assert f"from {name}, spelled {spelling}: my coolant leak." in reply, call.transcript
    assert "as in" not in reply
    await call.caller("Yes, that's it")
    (message,) = await db(messages)
    assert message.name == name


async def test_a_withheld_number_can_leave_a_message_with_a_callback_number(shop, oil_change, call_from):
    call = await call_from(None)
    said = await call.caller("I'd like to book an oil change")
    assert said.startswith("I'm sorry, I can't book appointments without caller ID."), call.transcript
    said = await call.caller("Okay, yes")
    assert said == "Can I get your name, please?", call.transcript  # the message is what they asked for
    said = await call.caller("Lee Park")
    assert said == ASK_FOR_NUMBER, call.transcript
    said = await call.caller("This number is fine")
    assert "doesn't show up" in said, call.transcript
    said = await call.caller("three one two, five five five, zero one nine nine")
    assert "at 3 1 2, 5 5 5, 0 1 9 9. Shall I send it?" in said, call.transcript
    await call.caller("yes")
    (message,) = await db(messages)
    assert (message.name, message.phone, message.urgency) == ("Lee Park", "+13125550199", "routine")
    assert "book an oil change" in message.reason
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
    said = await call.caller("I want to speak to the manager about my bill")
    assert said == (
        "Sure. Let me transfer you to an advisor. I'm sorry, I couldn't reach an advisor just now. "
        "I can take a message and have someone call you back. Would you like that?"
    ), call.transcript
    assert call.ended is None
    said = await call.caller("yes")
    assert said.startswith("I'll pass this on to an advisor: my bill."), call.transcript
    await call.caller("yes")
    (message,) = await db(messages)
    assert (message.phone, message.reason) == (DANA, "my bill")


@pytest.mark.parametrize(
    "said",
    [
        "Operator.",
        "A real human please",
        "Can I talk to someone?",
        "Representative. Human. Agent.",
        "Can you patch me through to whoever does your parts ordering?",
        "I'd rather just be put through.",
    ],  # fmt: skip
)
async def test_however_a_person_is_asked_for_the_call_is_transferred(
    settings, shop, customer, call_record, call_from, said
):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = ADVISOR
        call = await call_from(DANA)
        reply = await call.caller(said)
        assert reply == "Sure. Let me transfer you to an advisor.", call.transcript
        assert call.ended == "transfer"


async def test_asking_for_someone_to_call_back_is_a_message_not_a_transfer(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can someone email me a copy of my invoice? No need to put me through, a message is fine")
    assert said.startswith("I'll pass this on to an advisor: can someone email me a copy of my invoice?")
    assert call.ended is None


async def test_goodbye_ends_the_call(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Actually that's all, bye!")
    assert said.startswith("Thanks for calling, Dana. Have a") and said.endswith(". Goodbye!")
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


async def test_a_new_callers_spelled_name_is_confirmed_and_booked_under(shop, oil_change, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("Hi, I'd like to book an oil change for Wednesday afternoon.")
    assert said.endswith("Which works best for you?"), call.transcript
    said = await call.caller("It's Siobhan, S I O B H A N, last name Kelly, K E L L Y.")
    assert said == "Thanks, Siobhan. I have Siobhan Kelly, spelled S I O B H A N, K E L L Y. Is that right?"
    said = await call.caller("Yes that's right")
    assert said.endswith("Which works best for you?") and "That's Right" not in said, call.transcript
    said = await call.caller("The first one")
    assert "under the name Siobhan Kelly, spelled S I O B H A N, K E L L Y" in said, call.transcript
    await call.caller("Yes")
    customer = await db(Customer.objects.get, phone=NEWCOMER)
    assert customer.name == "Siobhan Kelly"


async def test_a_name_corrected_with_a_letter_is_fixed_before_booking(shop, oil_change, call_from):
    call = await call_from(NEWCOMER)
    await call.caller("I need an oil change on Wednesday afternoon")
    said = await call.caller("The first one")
    assert said.endswith("Can I get your name for the appointment?"), call.transcript
    said = await call.caller("It's Kaitlin Smith")
    assert "under the name Kaitlin Smith" in said, call.transcript
    said = await call.caller("No, it's with a Y")
    assert "under the name Kaitlyn Smith" in said, call.transcript
    await call.caller("Yes")
    customer = await db(Customer.objects.get, phone=NEWCOMER)
    assert customer.name == "Kaitlyn Smith"


async def test_a_name_spelled_with_an_apostrophe_and_a_hyphen_keeps_them(shop, oil_change, call_from):
    call = await call_from(NEWCOMER)
    await call.caller("I need an oil change on Wednesday afternoon")
    said = await call.caller("The first one")
    assert said.endswith("Can I get your name for the appointment?"), call.transcript
    said = await call.caller("Kevin O'Brien-Walsh. O, apostrophe, B-R-I-E-N, hyphen, Walsh.")
    assert "Kevin O'Brien-Walsh, spelled K E V I N, O apostrophe B R I E N hyphen W A L S H" in said, call.transcript
    await call.caller("Yes")
    said = await call.caller("Yes")
    customer = await db(Customer.objects.get, phone=NEWCOMER)
    assert customer.name == "Kevin O'Brien-Walsh", call.transcript


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Mary-Kate D'Angelo. D, apostrophe, A-N-G-E-L-O.", "Mary-Kate D'Angelo"),
        ("It's Mary-Kate, M-A-R-Y hyphen K-A-T-E", "Mary-Kate"),
        ("sean o'neil", "Sean O'Neil"),
    ],
)
def test_names_with_apostrophes_and_hyphens_are_names(said, name):
    from calls.agent.scripted.names import spoken_name

    assert spoken_name(said) == name


async def test_a_callback_number_said_with_the_area_code_last(shop, oil_change, call_from):
    call = await call_from(None)
    said = await call.caller(
        "My car died on the highway, please have someone call me back about a tow. "
        "My number's five five five, oh one two three, area code seven seven three."
    )
    said = await call.caller("Carla Reyes")
    assert "at 7 7 3, 5 5 5, 0 1 2 3. Shall I send it?" in said, call.transcript
    await call.caller("Yes")
    (message,) = await db(messages)
    assert message.phone == "+17735550123"


@pytest.mark.parametrize(
    "said",
    [
        "five five five, oh one two three, area code seven seven three",
        "555-0123, area code 773",
        "five five five oh one two three and the area code is seven seven three",
    ],
)
def test_the_area_code_said_last_goes_first(said):
    from calls.agent.scripted.phone_numbers import phone_number

    assert phone_number(said) == "+17735550123"


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Dmitri Sokolov. D M I T R I, S O K O L O V.", "Dmitri Sokolov"),
        ("S I O B H A N, K E L L Y", "Siobhan Kelly"),
        ("B, O, B", "Bob"),
        ("Yusuf Okonkwo, last name O-K-O-N-K-W-O.", "Yusuf Okonkwo"),
    ],
)
def test_a_spelling_applies_to_the_part_it_spells(said, name):
    from calls.agent.scripted.names import spoken_name

    assert spoken_name(said) == name


async def test_a_name_with_a_company_is_the_name_and_the_company_goes_in_the_message(settings, shop, call_from):
    settings.SHOP_ADVISOR_NUMBER = ""
    call = await call_from(None)
    await call.caller("I'm dropping off a silver Altima for Ken Alvarez. Can I talk to someone in the shop?")
    said = await call.caller("Yes")
    assert said == "Can I get your name, please?", call.transcript
    said = await call.caller("Dwayne, with Ace Towing.")
    assert said == ASK_FOR_NUMBER, call.transcript
    said = await call.caller("708-555-0151")
    assert "from Dwayne at Ace Towing:" in said, call.transcript
    await call.caller("Yes")
    (message,) = await db(messages)
    assert message.name == "Dwayne" and "Ace Towing" in message.reason and "Altima" in message.reason


async def test_an_angry_callers_message_keeps_its_substance_not_filler(settings, shop, call_from):
    settings.SHOP_ADVISOR_NUMBER = ""
    call = await call_from(None)
    await call.caller("Put me through to someone who actually knows something. Don't give me the robot runaround.")
    said = await call.caller("Yes, obviously.")
    assert said == "Sure. What's the message for the advisor?", call.transcript
    await call.caller("Tell them it's about the overcharge on my bill.")
    said = await call.caller("Just say Frank.")
    assert said == ASK_FOR_NUMBER, call.transcript
    await call.caller("312-555-0190")
    await call.caller("Yes, obviously.")
    (message,) = await db(messages)
    assert message.name == "Frank" and "overcharge" in message.reason


async def test_a_withheld_caller_who_wants_an_estimate_emailed_leaves_the_address_in_the_message(shop, call_from):
    call = await call_from(None)
    said = await call.caller(
        "I'm calling from my office so my number shows up blocked. I'd like a written estimate for brakes "
        "on my Jeep emailed to me. Can somebody do that?"
    )
    assert said == "Can I get your name, please?", call.transcript
    await call.caller("Joanna Kowalski.")
    said = await call.caller("773-555-0163, that's my cell.")
    assert said == "What email address should they send it to?", call.transcript
    said = await call.caller("It's J, dot, K-O-W-A-L-S-K-I, at gmail dot com.")
    assert "The email address is j dot kowalski at gmail dot com. Shall I send it?" in said, call.transcript
    await call.caller("Yes, please.")
    (message,) = await db(messages)
    assert (message.name, message.phone) == ("Joanna Kowalski", "+17735550163")
    assert "written estimate" in message.reason and "j.kowalski@gmail.com" in message.reason
    assert "blocked" not in message.reason  # about the caller ID, not for the advisor


async def test_a_work_number_with_an_extension_is_called_back_on_the_number_with_the_extension_noted(
    shop, customer, call_from
):
    call = await call_from(DANA)
    await call.caller("Can you have an advisor call me about my brakes squeaking again?")
    said = await call.caller("Call my work line, 312-555-0142, extension 214.")
    assert "at 3 1 2, 5 5 5, 0 1 4 2, extension 2 1 4" in said, call.transcript
    await call.caller("Yes.")
    (message,) = await db(messages)
    assert message.phone == "+13125550142" and "Extension 214" in message.reason and "brakes" in message.reason


async def test_a_caller_who_would_rather_get_a_text_is_not_promised_a_call(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can somebody get back to me about the rattle in my dash? Just text me, I'm at work.")
    assert "call you back" not in said and "text you back" in said, call.transcript
    assert said.endswith("on the number you're calling from. Shall I send it?"), call.transcript
    said = await call.caller("Yes.")
    assert "text you back" in said and "call you back" not in said, call.transcript
    (message,) = await db(messages)
    assert "rattle in my dash" in message.reason and "rather get a text" in message.reason
    assert "text me" not in message.reason.lower()  # how to answer, not what about


async def test_asking_for_a_text_at_the_read_back_changes_the_promise(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Could someone call me about my brake estimate?")
    assert said.endswith("They'll call you back on the number you're calling from. Shall I send it?"), call.transcript
    said = await call.caller("Actually, can they text me instead?")
    assert "I'll ask them to text you back on the number you're calling from. Shall I send it?" in said, call.transcript
    await call.caller("Yep.")
    (message,) = await db(messages)
    assert "brake estimate" in message.reason and "rather get a text" in message.reason
