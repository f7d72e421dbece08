"""The scripted receptionist answers questions about the shop only from shop_info: the approved
FAQ text, the hours as the opening hours and closures say them, the services and the price of
the one the caller names; otherwise it says it has no price or no answer and offers a message."""

from datetime import time, timedelta
from decimal import Decimal

import pytest

from calls.agent.scripted.speech import say_day
from calls.tests.scripted_calls import DANA, call_from, clock, db, local  # noqa: F401 (fixtures)
from ottos.lib import clock as shop_clock
from scheduling.models import Appointment, Closure, FaqAnswer, OpeningHours, ServiceType

pytestmark = pytest.mark.django_db(transaction=True)

ANYTHING_ELSE = "Is there anything else I can help you with?"
WEEK = (
    "We're open Monday to Friday 8 AM to 5 PM, closed for lunch from noon to 1, and Saturday 8 AM to noon. "
    "We're closed on Sundays."
)
NO_PRICE = (
    "We don't have a listed price for that. An advisor can give you a quote. Would you like me to take a message "
    "for them to call you back?"
)


def say_date(day):
    """How shop_info says a day: Saturday, June 15."""
    return f"{day:%A, %B} {day.day}"


# --- Hours ---------------------------------------------------------------------------------


async def test_the_hours_are_said_from_the_opening_hours_not_faq_text(shop, oil_change, customer, call_from):
    # The shop fixture also holds an old hours FAQ text ("8 to 5 on weekdays"): it is never read.
    call = await call_from(DANA)
    said = await call.caller("What are your hours?")
    assert said == f"{WEEK} {ANYTHING_ELSE}", call.transcript
    assert call.used("shop_info")[0][0] == {"topic": "hours"}


async def test_after_saturday_changes_the_agent_says_the_new_hours(shop, oil_change, customer, clock, call_from):
    await db(lambda: OpeningHours.objects.filter(weekday=5).update(opens=time(9), closes=time(14)))
    saturday = clock.date() + timedelta(days=5)
    call = await call_from(DANA)
    said = await call.caller("Are you open Saturday?")
    assert said == f"On {say_date(saturday)} we're open from 9 AM to 2 PM. {ANYTHING_ELSE}", call.transcript
    assert call.used("shop_info")[0][0] == {"topic": "hours", "day": saturday.isoformat()}
    said = await call.caller("And what are your hours in general?")
    assert "and Saturday 9 AM to 2 PM. We're closed on Sundays." in said, call.transcript


async def test_a_sunday_question_says_closed_and_when_the_shop_opens_again(shop, customer, clock, call_from):
    sunday, monday = clock.date() + timedelta(days=6), clock.date() + timedelta(days=7)
    call = await call_from(DANA)
    said = await call.caller("Are you guys open on Sunday?")
    assert said == (
        f"We're closed on Sundays. We're open again on {say_date(monday)} from 8 AM to 5 PM. {ANYTHING_ELSE}"
    ), call.transcript
    assert call.used("shop_info")[0][0]["day"] == sunday.isoformat()


async def test_what_time_do_you_close_today_is_answered_from_the_shops_clock(shop, customer, clock, call_from):
    call = await call_from(DANA)
    with shop_clock.set_to(clock):  # the tools' clock and the receptionist's agree: Monday, 10 AM
        said = await call.caller("What time do you close today?")
    assert said == f"We're open today until 5 PM, closed for lunch from noon to 1. {ANYTHING_ELSE}", call.transcript


async def test_a_closure_day_is_answered_from_the_closures(shop, customer, clock, call_from):
    wednesday = clock.date() + timedelta(days=2)
    await db(Closure.objects.create, start_date=wednesday, end_date=wednesday, reason="the team training day")
    call = await call_from(DANA)
    said = await call.caller("Are you open on Wednesday?")
    assert said == (
        f"We're closed on {say_date(wednesday)} for the team training day. "
        f"We're open again on {say_date(wednesday + timedelta(days=1))} from 8 AM to 5 PM. {ANYTHING_ELSE}"
    ), call.transcript


async def test_a_holiday_named_by_its_reason_is_answered_for_its_day(shop, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    await db(Closure.objects.create, start_date=thursday, end_date=thursday, reason="Thanksgiving")
    call = await call_from(DANA)
    said = await call.caller("What are your hours?")
    assert said == f"{WEEK} We're also closed on {say_date(thursday)} for Thanksgiving. {ANYTHING_ELSE}"
    said = await call.caller("So you're not open on Thanksgiving?")
    assert said.startswith(f"We're closed on {say_date(thursday)} for Thanksgiving. We're open again on "), (
        call.transcript
    )


async def test_a_holiday_asked_about_first_is_found_among_the_closures(shop, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    await db(Closure.objects.create, start_date=thursday, end_date=thursday, reason="Thanksgiving")
    call = await call_from(DANA)
    said = await call.caller("Are you open on Thanksgiving?")
    assert said.startswith(f"We're closed on {say_date(thursday)} for Thanksgiving. We're open again on "), (
        call.transcript
    )
    assert [arguments for arguments, _ in call.used("shop_info")] == [
        {"topic": "hours"},
        {"topic": "hours", "day": thursday.isoformat()},
    ]


async def test_a_question_in_the_middle_of_booking_is_answered_and_the_booking_resumes(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    said = await call.caller("I need an oil change")
    assert said.endswith("What day would you like to bring it in?")
    said = await call.caller("Wait, are you open on Saturdays?")
    saturday = clock.date() + timedelta(days=5)
    assert said == (f"On {say_date(saturday)} we're open from 8 AM to noon. What day would you like to bring it in?"), (
        call.transcript
    )


# --- Approved answers ----------------------------------------------------------------------


async def test_location_is_the_approved_answer(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Where are you guys located?")
    assert said.startswith("We're at 1200 West Fulton Street, near the Morgan L stop."), call.transcript


async def test_a_topic_with_no_approved_answer_is_not_guessed(shop, oil_change, customer, call_from):
    await db(FaqAnswer.objects.create, topic="warranty", answer="Lifetime on everything!", approved=False)
    call = await call_from(DANA)
    said = await call.caller("Do your repairs come with a warranty?")
    assert "Lifetime" not in said
    assert said.startswith("I'm not sure about that one.") and said.endswith("Would you like that?"), call.transcript
    said = await call.caller("No, that's okay.")
    assert said.endswith("anything else I can help you with?")


async def test_what_services_do_you_offer(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What services do you offer?")
    assert said == "We do brake pads and rotors and oil change. Would you like to book one of those?", call.transcript


# --- Prices --------------------------------------------------------------------------------


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


async def test_a_plural_service_reads_naturally(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("How much are break pads?")
    assert said == (
        "Brake pads and rotors are usually $250 to $600. That's an estimate; the advisor confirms the price after "
        "looking at the car. Would you like to book that?"
    ), call.transcript


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("How much for oil chains?", "An oil change is usually $49 to $89."),
        ("What do you charge for an allignment?", "A wheel alignment is usually $99 to $149."),
    ],
)
async def test_speech_recognition_slips_still_name_the_service(
    shop, oil_change, brake_job, customer, call_from, question, answer
):
    await db(
        ServiceType.objects.create,
        name="Wheel alignment",
        duration_minutes=60,
        price_low=Decimal("99"),
        price_high=Decimal("149"),
    )
    call = await call_from(DANA)
    said = await call.caller(question)
    assert said.startswith(f"{answer} That's an estimate;"), call.transcript


@pytest.mark.parametrize(
    "question",
    [
        "How much for a timing belt?",
        "What do you charge for a transmission rebuild?",
        "How much would new tires be?",
    ],
)
async def test_a_job_the_shop_does_not_list_gets_no_other_services_price(
    shop, oil_change, brake_job, customer, call_from, question
):
    await db(
        ServiceType.objects.create,
        name="Transmission fluid service",
        duration_minutes=90,
        price_low=Decimal("179"),
        price_high=Decimal("299"),
    )
    await db(
        ServiceType.objects.create,
        name="Tire rotation",
        duration_minutes=30,
        price_low=Decimal("29"),
        price_high=Decimal("49"),
    )
    call = await call_from(DANA)
    said = await call.caller(question)
    assert said == NO_PRICE, call.transcript
    assert "$" not in said
    said = await call.caller("Yes please")
    assert f"{question[:1].lower()}{question[1:]}" in said, call.transcript  # the message is the question asked


@pytest.mark.parametrize(
    "question",
    [
        "What's the ballpark for brake pads?",
        "So my brakes squeak a bit, what would brake pads set me back?",
        "What do you guys usually get for a brake job?",
    ],
)
async def test_a_price_asked_any_way_is_the_listed_price(shop, oil_change, brake_job, customer, call_from, question):
    call = await call_from(DANA)
    said = await call.caller(question)
    assert said.startswith("Brake pads and rotors are usually $250 to $600."), call.transcript


async def test_a_price_question_without_a_service_asks_which(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What do you charge?")
    assert said == "Which service would you like a price for? We do brake pads and rotors and oil change.", (
        call.transcript
    )
    said = await call.caller("The brakes")
    assert said.startswith("Brake pads and rotors are usually $250 to $600."), call.transcript


async def test_naming_an_unlisted_job_after_which_service_gets_no_price(
    shop, oil_change, brake_job, customer, call_from
):
    call = await call_from(DANA)
    await call.caller("What do you charge?")
    said = await call.caller("A timing belt")
    assert said == NO_PRICE, call.transcript


# --- How long a job takes, and waiting for it ------------------------------------------------


async def test_how_long_a_job_takes_is_answered_not_booked(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("how long's a break job take")
    assert said == (
        "Brake pads and rotors take about 3 hours. Those are drop-off only, so you'd leave the car with us. "
        "Would you like to book that?"
    ), call.transcript
    assert not await db(Appointment.objects.exists)


async def test_a_caller_may_wait_for_a_waiter_service(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("if i come in for an oil change can i just wait")
    assert said == (
        "An oil change takes about 30 minutes. You're welcome to wait while it's done. Would you like to book one?"
    ), call.transcript
    said = await call.caller("Yes")
    assert said.endswith("What day would you like to bring it in?"), call.transcript


async def test_how_long_in_the_middle_of_booking_resumes_the_booking(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("I need an oil change")
    assert said.endswith("What day would you like to bring it in?")
    said = await call.caller("how long does it take")
    assert said.startswith("An oil change takes about 30 minutes."), call.transcript
    assert said.endswith("What day would you like to bring it in?"), call.transcript


# --- Location and makes, however they are asked ------------------------------------------------


async def test_parking_and_the_train_get_the_location_answer(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("is there somewhere to park when i drop off")
    assert said.startswith("We're at 1200 West Fulton Street"), call.transcript
    said = await call.caller("and how close are you to the train")
    assert said.startswith("We're at 1200 West Fulton Street"), call.transcript


async def test_a_service_on_a_motorcycle_gets_the_makes_answer_and_no_booking(shop, oil_change, customer, call_from):
    await db(FaqAnswer.objects.create, topic="makes", answer="We don't work on motorcycles.", approved=True)
    call = await call_from(DANA)
    said = await call.caller("can you guys do an oil change on my harley")
    assert said == f"We don't work on motorcycles. {ANYTHING_ELSE}", call.transcript
    said = await call.caller("do you do hybrids")
    assert said == f"We don't work on motorcycles. {ANYTHING_ELSE}", call.transcript
    assert not await db(Appointment.objects.exists)


async def test_open_over_lunch_is_answered_from_the_hours(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("are you open over lunch could i swing by at 12:15 to drop off a key")
    assert "closed for lunch from noon to 1" in said, call.transcript


async def test_a_price_and_where_the_shop_is_in_one_breath_are_both_answered(shop, oil_change, customer, call_from):
    await db(
        ServiceType.objects.create,
        name="Wheel alignment",
        duration_minutes=60,
        price_low=Decimal("99"),
        price_high=Decimal("149"),
    )
    call = await call_from(DANA)
    said = await call.caller("How much for an alignment, and where are you guys?")
    assert said.startswith("A wheel alignment is usually $99 to $149."), call.transcript
    assert "We're at 1200 West Fulton Street, near the Morgan L stop." in said, call.transcript
    assert said.endswith("Would you like to book one?"), call.transcript


async def test_where_and_when_in_one_breath_are_both_answered(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Where are you located, and what are your hours?")
    assert said.startswith("We're at 1200 West Fulton Street, near the Morgan L stop."), call.transcript
    assert WEEK in said, call.transcript


async def test_a_price_and_a_duration_asked_together_are_both_answered(shop, oil_change, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("What do you charge for an oil change, and how long does it take?")
    assert "$49 to $89" in said and ("minute" in said or "hour" in said), call.transcript


async def test_what_are_you_charging_is_a_price_question(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hey, what are you guys charging for brake pads these days?")
    assert said.startswith("Brake pads and rotors are usually $250 to $600."), call.transcript


async def test_can_i_sit_there_or_is_it_all_day_asks_about_waiting(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("If I bring it in for an oil change, can I just sit there, or is it an all-day thing?")
    assert "wait" in said and "Would you like to book" in said, call.transcript
    assert "$" not in said


async def test_two_price_questions_get_a_price_and_no_listed_price(shop, oil_change, brake_job, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Two things. How much are brake pads? And my exhaust is super loud, how much to fix that?")
    assert said.startswith("Brake pads and rotors are usually $250 to $600."), call.transcript
    assert "we don't have a listed price" in said and "quote" in said, call.transcript
    assert said.count("$") == 2
