"""The scripted receptionist books: service from the caller's words, natural days and times in
the shop's timezone, offers of free times, read-back and a clear yes before anything is written.

The brain's clock is a Monday 10:00 in Chicago a week or two ahead (scripted_calls.brain_clock),
so "tomorrow" is a Tuesday in every run. The shop: weekdays 8-5 with lunch 12-1, Saturday 8-12,
Sunday closed, two bays, 30-minute grid.
"""

import calendar
import re
from datetime import date, timedelta

import pytest

from calls.agent.scripted import ScriptedBrain
from calls.agent.scripted.speech import say_day
from calls.agent.scripted.words import ordinal
from calls.tests.scripted_calls import DANA, NEWCOMER, Dialogue, call_from, clock, db, local, tools_for  # noqa: F401 (fixtures)
from crm.models import Customer, Vehicle
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


def appointments_of(phone):
    return list(
        Appointment.objects.filter(customer__phone=phone).select_related("service_type", "customer").order_by("start")
    )


async def booked_for(phone):
    return await db(appointments_of, phone)


def fill(shop, service, day, hour, minute=0, *, times=2):
    """Take every bay at that time (other customers' bookings)."""
    for _ in range(times):
        n = Customer.objects.count()
        someone = Customer.objects.create(name=f"Other {n}", phone=f"+1773555{n:04d}")
        book_appointment(
            customer=someone, service_type=service, start=local(shop, day, hour, minute), actor=Actor.command("test")
        )


async def test_an_oil_change_tomorrow_at_9_is_read_back_and_booked_after_yes(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Hi, I'd like to get an oil change tomorrow at 9.")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?", call.transcript
    assert await booked_for(DANA) == []
    said = await call.caller("Yes please.")
    assert said.startswith(f"You're all set. An oil change on {say_day(tuesday)} at 9 AM."), call.transcript
    (booked,) = await booked_for(DANA)
    assert (booked.start, booked.service_type, booked.source) == (local(shop, tuesday, 9), oil_change, "phone_agent")
    said = await call.caller("No, that's all, thanks.")
    assert said.endswith("Goodbye!") and call.ended == "end_call"


async def test_squeaking_brakes_next_tuesday_afternoon_books_the_brake_service(
    shop, oil_change, brake_job, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("My brakes are squeaking really bad.")
    assert "What day would you like to bring it in?" in said, call.transcript
    said = await call.caller("Next Tuesday afternoon.")
    # A three-hour job must finish by 5: 1, 1:30 or 2 PM.
    assert f"{say_day(tuesday)} at 1 PM, 1:30 PM or 2 PM" in said, call.transcript
    said = await call.caller("The first one.")
    assert f"So that's brake pads and rotors on {say_day(tuesday)} at 1 PM. Shall I book it?" == said
    await call.caller("Yep.")
    (booked,) = await booked_for(DANA)
    assert (booked.service_type, booked.start) == (brake_job, local(shop, tuesday, 13))
    assert "squeaking" in booked.notes


async def test_the_14th_at_2_is_the_next_such_date_at_2_pm(shop, oil_change, customer, clock, call_from):
    target = clock.date() + timedelta(days=9)  # a Wednesday; its day of the month comes next after the clock
    call = await call_from(DANA)
    said = await call.caller(f"Can I bring my car in for an oil change on the {ordinal(target.day)} at 2?")
    assert said == f"So that's an oil change on {say_day(target)} at 2 PM. Shall I book it?", call.transcript
    await call.caller("Yes.")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, target, 14)


async def test_a_day_of_the_month_already_past_means_next_month(shop, oil_change, customer, clock, call_from):
    said_day = (clock.date() - timedelta(days=3)).day  # that date has gone by this month
    year, month = (clock.year + 1, 1) if clock.month == 12 else (clock.year, clock.month + 1)
    while said_day > calendar.monthrange(year, month)[1]:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    expected = date(year, month, said_day)
    call = await call_from(DANA)
    said = await call.caller(f"I need an oil change on the {ordinal(said_day)}.")
    assert say_day(expected) in said, call.transcript


async def test_a_new_caller_books_tomorrow_morning_and_is_put_on_file_by_name(shop, oil_change, clock, call_from):
    call = await call_from(NEWCOMER)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Do you have anything tomorrow morning for an oil change?")
    assert f"{say_day(tuesday)} at 8 AM, 9:30 AM or 11:30 AM" in said, call.transcript
    said = await call.caller("9:30 works.")
    assert "Can I get your name for the appointment?" in said
    said = await call.caller("Sure, it's Jordan Lee.")
    assert (
        said == f"So that's an oil change on {say_day(tuesday)} at 9:30 AM, under the name Jordan Lee. Shall I book it?"
    )
    said = await call.caller("That's right.")
    assert "You're all set" in said and said.endswith("And what are you driving? The year, make and model is plenty.")
    (booked,) = await booked_for(NEWCOMER)
    assert booked.start == local(shop, tuesday, 9, 30) and booked.customer.name == "Jordan Lee"
    said = await call.caller("Uh, it's a 2015 Nissan Altima.")
    assert said.startswith("Thanks, I've put the 2015 Nissan Altima on the appointment."), call.transcript
    booked = await db(Appointment.objects.select_related("vehicle").get, pk=booked.pk)
    assert (booked.vehicle.year, booked.vehicle.make, booked.vehicle.model) == (2015, "Nissan", "Altima")
    assert booked.vehicle.owner_id == booked.customer_id


async def test_a_new_caller_who_says_no_more_after_booking_is_not_asked_for_the_car_again(
    shop, oil_change, clock, call_from
):
    call = await call_from(NEWCOMER)
    await call.caller("An oil change tomorrow at 9:30, it's Jordan Lee.")
    said = await call.caller("Yes.")
    assert said.endswith("And what are you driving? The year, make and model is plenty."), call.transcript
    said = await call.caller("No, that's all, thanks. Bye.")
    assert said.startswith("Thanks for calling, Jordan."), call.transcript
    (booked,) = await booked_for(NEWCOMER)
    assert booked.vehicle_id is None


async def test_friday_at_half_past_ten(shop, oil_change, customer, clock, call_from):
    friday = clock.date() + timedelta(days=4)
    call = await call_from(DANA)
    said = await call.caller("Oil change Friday at 10:30 please")
    assert said == f"So that's an oil change on {say_day(friday)} at 10:30 AM. Shall I book it?", call.transcript
    await call.caller("sure")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, friday, 10, 30)


async def test_this_saturday_offers_the_morning_the_shop_is_open(shop, oil_change, customer, clock, call_from):
    saturday = clock.date() + timedelta(days=5)
    call = await call_from(DANA)
    said = await call.caller("Could I get an oil change this Saturday?")
    assert f"{say_day(saturday)} at 8 AM, 9:30 AM or 11:30 AM" in said, call.transcript
    said = await call.caller("Let's do nine thirty.")
    assert f"on {say_day(saturday)} at 9:30 AM. Shall I book it?" in said, call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, saturday, 9, 30)


async def test_in_two_weeks_then_the_last_time_offered(shop, oil_change, customer, clock, call_from):
    monday = clock.date() + timedelta(days=14)
    call = await call_from(DANA)
    said = await call.caller("I'd like to schedule an oil change in two weeks")
    assert say_day(monday) in said and "Which works best for you?" in said, call.transcript
    said = await call.caller("the last one")
    assert "4:30 PM. Shall I book it?" in said, call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, monday, 16, 30)


async def test_the_earliest_opening_is_offered_when_the_caller_asks_for_it(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    said = await call.caller("What's the earliest you can fit me in for an oil change?")
    assert said.startswith("I have") and "Which works best for you?" in said, call.transcript
    said = await call.caller("The first one is fine.")
    assert said.endswith("Shall I book it?")
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start > clock


# --- corrections --------------------------------------------------------------------------


async def test_no_wednesday_moves_the_read_back_to_wednesday_at_the_same_time(
    shop, oil_change, customer, clock, call_from
):
    tuesday, wednesday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=2)
    call = await call_from(DANA)
    said = await call.caller("Book me an oil change Tuesday at 9.")
    assert f"{say_day(tuesday)} at 9 AM" in said
    said = await call.caller("No, Wednesday.")
    assert said == f"So that's an oil change on {say_day(wednesday)} at 9 AM. Shall I book it?", call.transcript
    await call.caller("Yes.")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, wednesday, 9)


async def test_actually_make_it_2_pm_keeps_the_day(shop, oil_change, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    await call.caller("I want an oil change on Thursday at 10 in the morning.")
    said = await call.caller("Actually, make it 2 PM.")
    assert said == f"So that's an oil change on {say_day(thursday)} at 2 PM. Shall I book it?", call.transcript
    await call.caller("Perfect, yes.")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, thursday, 14)


async def test_a_different_service_named_at_the_read_back_replaces_the_first(
    shop, oil_change, brake_job, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    await call.caller("Oil change tomorrow at 8")
    said = await call.caller("Oh wait, it's the brakes I need done, not the oil.")
    assert said == f"So that's brake pads and rotors on {say_day(tuesday)} at 8 AM. Shall I book it?", call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.service_type == brake_job


# --- full times, impossible and closed days ------------------------------------------------


async def test_a_full_time_gets_the_nearest_free_times_offered(shop, oil_change, brake_job, customer, clock, call_from):
    tuesday = clock.date() + timedelta(days=1)
    await db(fill, shop, brake_job, tuesday, 8)  # both bays 8 to 11
    call = await call_from(DANA)
    said = await call.caller("Oil change Tuesday at 9 please.")
    assert said.startswith(f"I'm sorry, 9 AM isn't available on {say_day(tuesday)}."), call.transcript
    assert said.endswith("I have 11 AM or 11:30 AM. Which works best for you?"), call.transcript
    said = await call.caller("11 is good")
    assert f"{say_day(tuesday)} at 11 AM. Shall I book it?" in said, call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, tuesday, 11)


async def test_a_taken_time_inside_the_days_sample_is_found_taken_before_the_read_back(
    shop, oil_change, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    await db(fill, shop, oil_change, tuesday, 10)
    call = await call_from(DANA)
    said = await call.caller("Oil change Tuesday at 10 please.")
    asked = [arguments for name, arguments, _ in call.tools_used if name == "get_available_slots"]
    assert asked[-1]["time"] == "10:00"
    assert said.startswith(f"I'm sorry, 10 AM isn't available on {say_day(tuesday)}."), call.transcript
    assert said.endswith("I have 9 AM, 9:30 AM or 10:30 AM. Which works best for you?"), call.transcript
    said = await call.caller("9:30 then")
    assert said.endswith(f"{say_day(tuesday)} at 9:30 AM. Shall I book it?"), call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, tuesday, 9, 30)


async def test_a_time_taken_between_read_back_and_yes_is_refused_and_alternatives_offered(
    shop, oil_change, customer, clock, call_from
):
    wednesday = clock.date() + timedelta(days=2)
    call = await call_from(DANA)
    said = await call.caller("an oil change Wednesday at 10 AM")
    assert said.endswith("Shall I book it?")
    await db(fill, shop, oil_change, wednesday, 10)  # someone else is quicker
    said = await call.caller("Yes.")
    assert "That time is already fully booked." in said and "Which works best for you?" in said, call.transcript
    assert await booked_for(DANA) == []
    said = await call.caller("10:30")
    assert said.endswith("Shall I book it?"), call.transcript
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, wednesday, 10, 30)


async def test_a_fully_booked_day_offers_the_next_openings(shop, brake_job, customer, clock, call_from):
    friday = clock.date() + timedelta(days=4)
    await db(fill, shop, brake_job, friday, 8)
    await db(fill, shop, brake_job, friday, 13)
    call = await call_from(DANA)
    said = await call.caller("Can you do my brakes on Friday?")
    assert said.startswith(f"I'm sorry, we're fully booked on {say_day(friday)}.")
    assert f"The nearest openings are {say_day(friday + timedelta(days=1))} at 8 AM" in said, call.transcript


async def test_february_30th_is_explained_and_the_day_asked_again(shop, oil_change, customer, clock, call_from):
    call = await call_from(DANA)
    said = await call.caller("Oil change on February 30th.")
    assert said.startswith("There's no February 30th") and said.endswith("What day would you like to bring it in?")
    wednesday = clock.date() + timedelta(days=2)
    said = await call.caller("Wednesday at 3 then")
    assert said == f"So that's an oil change on {say_day(wednesday)} at 3 PM. Shall I book it?", call.transcript


async def test_sunday_is_closed_and_the_next_open_day_suggested(shop, oil_change, customer, clock, call_from):
    sunday, monday = clock.date() + timedelta(days=6), clock.date() + timedelta(days=7)
    call = await call_from(DANA)
    said = await call.caller("Can I come in Sunday for an oil change?")
    assert said == f"We're closed on Sundays. Would {say_day(monday)} work instead?", call.transcript
    said = await call.caller("Yeah that works")
    assert f"{say_day(monday)} at 8 AM" in said, call.transcript
    said = await call.caller("The second one")
    assert said.endswith("Shall I book it?")
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start.astimezone(shop.tz).date() == monday and booked.start.astimezone(shop.tz).weekday() == 0
    assert sunday.weekday() == 6


async def test_a_time_already_past_today_is_explained_and_later_times_offered(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    said = await call.caller("oil change today at 9")
    assert said.startswith("It's already past 9 AM today."), call.transcript
    assert "Which works best for you?" in said
    said = await call.caller("the first one")
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert booked.start > clock and booked.start.date() == clock.date()


async def test_a_time_before_opening_gets_the_hours_and_times_that_day(shop, oil_change, customer, clock, call_from):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    said = await call.caller("oil change tomorrow at 7 in the morning")
    assert said.startswith("On Tuesdays we're open from 8 AM to 5 PM."), call.transcript
    assert f"{say_day(tuesday)} at 8 AM" in said


async def test_changing_your_mind_books_nothing(shop, oil_change, customer, clock, call_from):
    call = await call_from(DANA)
    await call.caller("oil change tomorrow at 9")
    said = await call.caller("Actually, never mind.")
    assert said.startswith("No problem, I won't book anything.") and said.endswith("anything else I can help you with?")
    assert await booked_for(DANA) == []


@pytest.fixture
def diagnostic(db):
    from scheduling.models import ServiceType

    return ServiceType.objects.create(
        name="Check engine light diagnostic", duration_minutes=60, price_low=99, price_high=149, waiter_allowed=False
    )


async def test_a_check_engine_light_is_booked_as_the_diagnostic(
    shop, oil_change, diagnostic, customer, clock, call_from
):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("My check engine light came on this morning")
    assert said == "What day would you like to bring it in?", call.transcript
    said = await call.caller("Thursday at 8")
    assert said == f"So that's a check engine light diagnostic on {say_day(thursday)} at 8 AM. Shall I book it?"
    await call.caller("yes")
    (booked,) = await booked_for(DANA)
    assert (booked.service_type, booked.start) == (diagnostic, local(shop, thursday, 8))
    assert "check engine light came on" in booked.notes


async def test_a_holiday_closure_is_explained_with_its_reason(shop, oil_change, customer, clock, call_from):
    from scheduling.models import Closure

    thursday = clock.date() + timedelta(days=3)
    await db(Closure.objects.create, start_date=thursday, end_date=thursday, reason="the team training day")
    call = await call_from(DANA)
    said = await call.caller("oil change Thursday at 10")
    assert said == (
        f"We're closed on {say_day(thursday)} for the team training day. "
        f"Would {say_day(thursday + timedelta(days=1))} work instead?"
    ), call.transcript
    said = await call.caller("yes please")
    assert said == f"So that's an oil change on {say_day(thursday + timedelta(days=1))} at 10 AM. Shall I book it?"


async def test_a_day_past_the_booking_horizon_is_explained(shop, oil_change, customer, clock, call_from):
    far = clock.date() + timedelta(days=58)  # a Wednesday, past the shop's 60-day horizon from today
    call = await call_from(DANA)
    said = await call.caller(f"I'd like an oil change on {far:%B} {ordinal(far.day)}")
    assert said == (
        f"I'm sorry, I don't have anything open on {say_day(far)}; we may not be booking that far ahead. "
        "What other day would work for you?"
    ), call.transcript


# --- however callers phrase it ------------------------------------------------------------


@pytest.fixture
def tire_rotation(db):
    from scheduling.models import ServiceType

    return ServiceType.objects.create(name="Tire rotation", duration_minutes=30, waiter_allowed=True)


def said_first_offer(said, day):
    """The first time an offer on `day` names ("... Tuesday, December 15th at 8 AM, ..." -> 8:00)."""
    match = re.search(rf"{re.escape(say_day(day))} at (\d{{1,2}})(?::(\d\d))? ([AP])M", said)
    assert match, said
    hour = int(match[1]) % 12 + (12 if match[3] == "P" else 0)
    return hour, int(match[2] or 0)


async def test_tuesday_at_eight_actually_ten_books_ten(shop, oil_change, customer, clock, call_from):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    said = await call.caller("I'd like an oil change Tuesday at eight. Actually, can we do ten instead?")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 10 AM. Shall I book it?", call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, tuesday, 10)


async def test_i_meant_the_afternoon_at_the_read_back_offers_the_afternoon(
    shop, oil_change, customer, clock, call_from
):
    wednesday = clock.date() + timedelta(days=2)
    call = await call_from(DANA)
    await call.caller("Oil change Wednesday at 9")
    said = await call.caller("Sorry, I meant the afternoon")
    assert f"{say_day(wednesday)} at 1 PM" in said and "Which works best for you?" in said, call.transcript
    await call.caller("The first one")
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, wednesday, 13)


async def test_a_service_taken_back_in_the_same_breath_is_not_booked(
    shop, oil_change, tire_rotation, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    said = await call.caller("Can I get an oil change, no wait, a tire rotation, tomorrow at 9?")
    assert said == f"So that's a tire rotation on {say_day(tuesday)} at 9 AM. Shall I book it?", call.transcript


async def test_whatevers_early_is_takes_the_earliest_time_offered(shop, oil_change, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("I need an oil change Thursday.")
    first = said_first_offer(said, thursday)
    said = await call.caller("Whatever's early is.")  # Whisper's "earliest"
    assert said.endswith("Shall I book it?"), call.transcript
    await call.caller("Yep")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, thursday, *first)


async def test_whichevers_closest_takes_the_offered_time_nearest_the_one_asked(
    shop, oil_change, customer, clock, call_from
):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("Oil change Thursday at quarter to nine")
    assert said.startswith(f"I'm sorry, 8:45 AM isn't available on {say_day(thursday)}."), call.transcript
    said = await call.caller("Whichever's closest")
    assert said.endswith("Shall I book it?"), call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start in (local(shop, thursday, 8, 30), local(shop, thursday, 9))


async def test_answers_that_fit_no_offer_get_a_simpler_question_not_a_loop(
    shop, oil_change, customer, clock, call_from
):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("I need an oil change Thursday.")
    first = said_first_offer(said, thursday)
    said = await call.caller("Hmm, banana")
    assert said.startswith("Sorry, I didn't catch that."), call.transcript
    said = await call.caller("Purple monkey")
    assert not said.startswith("Sorry, I didn't catch that.") and said.endswith("Would that work?"), call.transcript
    said = await call.caller("Yes")
    assert said.endswith("Shall I book it?"), call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, thursday, *first)


async def test_any_of_those_takes_the_earliest(shop, oil_change, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    first = said_first_offer(await call.caller("I need an oil change Thursday."), thursday)
    said = await call.caller("Any of those is fine")
    assert said.endswith("Shall I book it?"), call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, thursday, *first)


async def test_first_thing_offers_the_first_time_of_the_morning(shop, oil_change, customer, clock, call_from):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("Oil change Thursday, first thing in the morning")
    assert said == f"I have {say_day(thursday)} at 8 AM. Would that work?", call.transcript


async def test_late_on_saturday_this_saturday_morning_is_said_to_be_over_not_fully_booked(
    shop, oil_change, customer, clock
):
    saturday = clock.date() + timedelta(days=5)
    late = local(shop, saturday, 22, 50)
    call = Dialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: late), await tools_for(DANA))
    said = await call.caller("Hi, can I get an oil change this Saturday morning?")
    assert said.startswith("This morning is already over, and we're closed for the rest of today."), call.transcript
    assert "fully booked" not in said
    assert f"The nearest openings are {say_day(saturday + timedelta(days=2))} at 8 AM" in said


async def test_an_oil_change_and_a_tire_rotation_are_both_booked(
    shop, oil_change, tire_rotation, customer, clock, call_from
):
    thursday = clock.date() + timedelta(days=3)
    call = await call_from(DANA)
    said = await call.caller("I need an oil change and a tire rotation Thursday morning")
    assert "Which works best for you?" in said, call.transcript
    await call.caller("The first one")
    said = await call.caller("Yes")
    assert "You're all set. An oil change" in said and "Now for a tire rotation." in said, call.transcript
    await call.caller("The first one")
    await call.caller("Yes")
    oil, rotation = await booked_for(DANA)
    assert oil.service_type == oil_change and rotation.service_type == tire_rotation
    assert oil.end <= rotation.start and rotation.start.astimezone(shop.tz).date() == thursday


async def test_the_truck_is_the_callers_f150(shop, oil_change, customer, clock, call_from):
    await db(Vehicle.objects.create, owner=customer, year=2016, make="Toyota", model="Camry")
    truck = await db(Vehicle.objects.create, owner=customer, year=2012, make="Ford", model="F-150")
    call = await call_from(DANA)
    said = await call.caller("I need to bring the truck in for an oil change Thursday at 10")
    assert said.endswith("at 10 AM for your 2012 Ford F-150. Shall I book it?"), call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.vehicle_id == truck.pk


async def test_how_long_while_choosing_is_answered_and_the_question_asked_again(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    await call.caller("I need an oil change Thursday.")
    said = await call.caller("How long does that take? Do I have to leave it all day?")
    assert "30 minutes" in said and said.endswith("Which works best for you?"), call.transcript


async def test_scratch_that_make_it_wednesday_at_the_read_back_changes_the_day(
    shop, oil_change, customer, clock, call_from
):
    tuesday, wednesday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=2)
    call = await call_from(DANA)
    said = await call.caller("An oil change Tuesday at ten, please.")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 10 AM. Shall I book it?", call.transcript
    said = await call.caller("Actually scratch that, make it Wednesday, same time.")
    assert said == f"So that's an oil change on {say_day(wednesday)} at 10 AM. Shall I book it?", call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, wednesday, 10)


async def test_make_that_three_thirty_right_after_booking_moves_the_booking(
    shop, oil_change, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    await call.caller("An oil change Tuesday at two thirty please.")
    said = await call.caller("Yes")
    assert said.startswith("You're all set."), call.transcript
    said = await call.caller("Oh shoot, can we make that three thirty instead?")
    assert "3:30 PM" in said and "move" in said, call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, tuesday, 15, 30), call.transcript


async def test_two_services_with_their_own_days_in_one_breath_each_get_theirs(
    shop, oil_change, tire_rotation, customer, clock, call_from
):
    tuesday, wednesday = clock.date() + timedelta(days=1), clock.date() + timedelta(days=2)
    call = await call_from(DANA)
    said = await call.caller("A tire rotation Tuesday at nine, and an oil change Wednesday at eleven.")
    assert said == f"So that's a tire rotation on {say_day(tuesday)} at 9 AM. Shall I book it?", call.transcript
    said = await call.caller("Yes")
    assert f"oil change on {say_day(wednesday)} at 11 AM" in said, call.transcript
    await call.caller("Yes")
    booked = await booked_for(DANA)
    assert [(b.service_type, b.start) for b in booked] == [
        (tire_rotation, local(shop, tuesday, 9)),
        (oil_change, local(shop, wednesday, 11)),
    ], call.transcript


def test_my_batterys_dying_is_the_battery_service():
    from calls.agent.scripted.services import match_service

    names = ["Oil change", "Battery replacement", "Brake pads and rotors"]
    assert match_service("My battery's dying on me, could you swap it?", names) == "Battery replacement"


async def test_a_tire_rotation_instead_right_after_booking_replaces_the_oil_change(
    shop, oil_change, tire_rotation, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    await call.caller("An oil change Tuesday at two please.")
    said = await call.caller("Yes")
    assert said.startswith("You're all set."), call.transcript
    said = await call.caller("Actually no, scratch that. Make it a tire rotation instead, same time.")
    assert said == f"So that's a tire rotation on {say_day(tuesday)} at 2 PM. Shall I book it?", call.transcript
    await call.caller("Yes")
    (booked,) = [b for b in await booked_for(DANA) if b.is_active]
    assert (booked.service_type, booked.start) == (tire_rotation, local(shop, tuesday, 14)), call.transcript


async def test_at_to_thirty_is_two_thirty(shop, oil_change, customer, clock, call_from):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    said = await call.caller("I need an oil change tomorrow at to thirty in the afternoon.")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 2:30 PM. Shall I book it?", call.transcript


async def test_a_time_said_after_asking_about_the_hours_is_the_answer(shop, oil_change, customer, clock, call_from):
    saturday = clock.date() + timedelta(days=5)
    call = await call_from(DANA)
    await call.caller("Can I bring it in Saturday at two for an oil change?")
    said = await call.caller("Oh, you close early on Saturdays? Then ten in the morning.")
    assert said == f"So that's an oil change on {say_day(saturday)} at 10 AM. Shall I book it?", call.transcript


def test_symptoms_name_the_battery_and_the_inspection_but_a_dome_light_is_no_check_engine_light():
    from calls.agent.scripted.messages import sounds_urgent
    from calls.agent.scripted.services import match_service
    from calls.agent.scripted.words import normalize

    names = ["Oil change", "Battery replacement", "State inspection", "Check engine light diagnostic"]
    assert match_service("It won't start in the mornings, it just clicks", names) == "Battery replacement"
    assert match_service("my kid left the dome light on and it was dead", names) == "Battery replacement"
    assert match_service("I need the F-150 inspected for my registration", names) == "State inspection"
    assert match_service("it needs an emissions test", names) == "State inspection"
    assert match_service("the check engine light is on", names) == "Check engine light diagnostic"
    assert not sounds_urgent(normalize("My car won't start in the mornings, it just clicks."))
    assert sounds_urgent(normalize("My car won't start and I'm stuck in a parking lot."))


async def test_a_window_between_9_and_11_is_offered_inside_it_and_kept_when_the_day_changes(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    said = await call.caller("Can I get an oil change Thursday, between 9 and 11?")
    times = re.findall(r"\b(\d{1,2}(?::\d\d)? [AP]M)\b", said)
    assert times and all(t.split(":")[0].split()[0] in ("9", "10") for t in times), call.transcript
    said = await call.caller("The earliest one in that window.")
    assert "9 AM" in said and "Shall I book it?" in said, call.transcript
    await call.caller("Yes")
    said = await call.caller("Hang on, Thursday's no good. Can we do the same window Friday instead?")
    friday = clock.date() + timedelta(days=4)
    assert say_day(friday) in said and "8 AM" not in said and "PM" not in said, call.transcript


async def test_whenever_you_open_is_a_booking_at_opening_time_not_an_hours_question(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    saturday = clock.date() + timedelta(days=5)
    said = await call.caller("Can I get an oil change Saturday, whenever you open?")
    assert f"{say_day(saturday)} at 8 AM" in said and "Would that work?" in said, call.transcript


async def test_did_i_say_tuesday_i_meant_thursday_moves_the_booking_just_made(
    shop, tire_rotation, customer, clock, call_from
):
    call = await call_from(DANA)
    await call.caller("I'd like to book a tire rotation for Tuesday at 9 in the morning.")
    await call.caller("Yes")
    said = await call.caller("Oh wait, did I say Tuesday? I meant Thursday. Thursday at 9, sorry.")
    thursday = clock.date() + timedelta(days=3)
    assert f"to {say_day(thursday)} at 9 AM" in said, call.transcript
    await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, thursday, 9), call.transcript


def test_between_windows_rejected_days_and_a_battery_that_wont_hold_a_charge():
    from datetime import time

    from calls.agent.scripted.intents import detect
    from calls.agent.scripted.when import parse_when

    today = date(2026, 12, 17)  # a Thursday
    w = parse_when("something between 9 and 11?", today)
    assert (w.after, w.before, w.part) == (time(9), time(11), "morning")
    w = parse_when("from 1 to 3", today)
    assert (w.after, w.before) == (time(13), time(15))
    assert parse_when("Friday's no good, can we do Monday instead?", today).day == date(2026, 12, 21)
    assert parse_when("not this Monday, a week from Monday", today).day == date(2026, 12, 28)
    assert detect("The Camry won't hold a charge. Can you do a battery today, after 2?") != "price"
    assert detect("Are you open tomorrow? I'd like an oil change whenever you open.") == "book"


def test_greetings_british_half_hours_round_and_rejected_times_and_alignment_symptoms():
    from datetime import time

    from calls.agent.scripted.services import match_service
    from calls.agent.scripted.when import parse_when

    today = date(2026, 12, 17)  # a Thursday
    w = parse_when("Evening. Can somebody take a look Monday? I can drop it before work, like seven thirty.", today)
    assert (w.day, w.clock) == (date(2026, 12, 21), time(7, 30))
    assert parse_when("Half eleven, eleven thirty.", today).clock == time(11, 30)
    assert parse_when("Tuesday, half ten if possible", today).clock == time(10, 30)
    w = parse_when("Friday then, 'round eleven, or right after lunch.", today)
    assert (w.clock, w.part) == (time(11), "morning")
    assert parse_when("Eleven if you got it, else right after lunch.", today, expect_time=True).clock == time(11)
    w = parse_when("Seven thirty, right when you open.", today, expect_time=True)
    assert (w.clock, w.asap, w.day) == (time(7, 30), False, None)
    w = parse_when("I can't do eight on Friday anymore. Later that day, like right after lunch?", today)
    assert (w.clock, w.part) == (None, "afternoon")
    names = ["Tire rotation", "Wheel alignment", "Oil change"]
    assert match_service("My car pulls to the right, just put new tires on it too", names) == "Wheel alignment"
    assert match_service("the steering wheel is off-center", names) == "Wheel alignment"
    assert match_service("I've got uneven tire wear on the fronts", names) == "Wheel alignment"
    assert match_service("I'd like to book a tyre rotation", names) == "Tire rotation"


async def test_mornings_best_early_as_you_have_after_afternoon_times_offers_the_first_morning_time(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Evening! I need an oil change tomorrow afternoon.")
    assert "PM" in said and "Which works best" in said, call.transcript
    said = await call.caller("Actually, morning's best, early as you've got.")
    assert f"{say_day(tuesday)} at 8 AM" in said and "Would that work?" in said, call.transcript
    await call.caller("Yes")
    said = await call.caller("Yes")
    (booked,) = await booked_for(DANA)
    assert booked.start == local(shop, tuesday, 8), call.transcript


async def test_the_same_offer_is_never_made_three_times_running(shop, oil_change, customer, clock, call_from):
    call = await call_from(DANA)
    first = await call.caller("I need an oil change tomorrow afternoon.")
    second = await call.caller("Hmm, afternoon, I guess.")
    third = await call.caller("Hmm, afternoon, I guess.")
    assert len({first, second, third}) > 1 or first != third, call.transcript
    assert third != first, call.transcript


async def test_first_thing_with_a_time_at_the_read_back_keeps_the_day_read_back(
    shop, oil_change, customer, clock, call_from
):
    # "first thing, eight thirty" is that time on the day in hand, not the soonest time from today.
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Hi, I'd like to get an oil change tomorrow at 10.")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 10 AM. Shall I book it?", call.transcript
    said = await call.caller("No, first thing, eight thirty.")
    assert said == f"So that's an oil change on {say_day(tuesday)} at 8:30 AM. Shall I book it?", call.transcript


async def test_checking_the_line_mid_booking_gets_a_yes_and_the_same_question(
    shop, oil_change, customer, clock, call_from
):
    # "Hello? Can you hear me?" at the read-back asks nothing new: the read-back stands and is asked again.
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    question = f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?"
    assert await call.caller("Hi, I'd like to get an oil change tomorrow at 9.") == question, call.transcript
    said = await call.caller("Hello? Can you hear me?")
    assert said == f"Yes, I can hear you. {question}", call.transcript
    said = await call.caller("Yes please.")
    assert said.startswith("You're all set."), call.transcript
    assert len(await booked_for(DANA)) == 1


async def test_a_question_asked_before_a_booking_in_the_same_breath_is_answered_and_the_booking_follows(
    shop, oil_change, customer, clock, call_from
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("What time do you close tomorrow, and can I get an oil change tomorrow at 9?")
    assert said.endswith(f"So that's an oil change on {say_day(tuesday)} at 9 AM. Shall I book it?"), call.transcript
    assert "5 PM" in said, call.transcript
    await call.caller("Yes.")
    assert len(await booked_for(DANA)) == 1


async def test_a_new_caller_who_says_her_email_and_spells_a_hyphenated_name_is_filed_with_both(
    shop, oil_change, clock, call_from
):
    call = await call_from(NEWCOMER)
    said = await call.caller(
        "Hi, I'm not in your system. Could I get an oil change tomorrow at 9:30? And send the confirmation to "
        "my email. It's siobhan, S-I-O-B-H-A-N, dot K-R, at example dot com."
    )
    assert "Can I get your name for the appointment?" in said, call.transcript  # the address is not a name
    said = await call.caller("Siobhan Kowalczyk-Reyes. The last name is hyphenated: K-O-W-A-L-C-Z-Y-K, hyphen, Reyes.")
    assert "under the name Siobhan Kowalczyk-Reyes, spelled" in said, call.transcript
    await call.caller("Yes.")
    (booked,) = await booked_for(NEWCOMER)
    assert (booked.customer.name, booked.customer.email) == ("Siobhan Kowalczyk-Reyes", "siobhan.kr@example.com")


async def test_once_booked_the_caller_is_asked_whether_they_wait_and_the_answer_goes_on_the_booking(
    shop, oil_change, brake_job, customer, clock, call_from
):
    tuesday = clock.date() + timedelta(days=1)
    call = await call_from(DANA)
    await call.caller("An oil change tomorrow at 9, please.")
    said = await call.caller("Yes.")
    assert said.endswith("Will you wait for it, or drop it off?"), call.transcript
    said = await call.caller("I'll wait, I'll bring my laptop.")
    assert said.startswith("Great, I've noted that you'll wait for it."), call.transcript
    (booked,) = await booked_for(DANA)
    assert (booked.start, booked.waiter) == (local(shop, tuesday, 9), True)

    # A drop-off only job is not asked about.
    call = await call_from(DANA)
    await call.caller("Brake pads tomorrow at two, please.")
    said = await call.caller("Yes.")
    assert said.endswith("Is there anything else I can help you with?"), call.transcript
    # A change of mind right after, not an answer about waiting, is heard as a change.
    call = await call_from(DANA)
    await call.caller("An oil change tomorrow at 11, please.")
    said = await call.caller("Yes.")
    assert said.endswith("Will you wait for it, or drop it off?"), call.transcript
    said = await call.caller("Oh wait, did I say tomorrow? I meant Thursday at 11.")
    assert f"to {say_day(clock.date() + timedelta(days=3))} at 11 AM" in said, call.transcript
    # Nor a caller who already said they leave the car.
    call = await call_from(DANA, call_sid="CA" + "d0" * 16)
    await call.caller("An oil change tomorrow at ten, I'll drop it off on my way to work.")
    said = await call.caller("Yes.")
    assert said.endswith("Is there anything else I can help you with?"), call.transcript
    assert [a.waiter for a in await booked_for(DANA)] == [True, False, False, False]


async def test_a_caller_with_two_cars_is_asked_which_one_once_booked_and_it_goes_on_the_booking(
    shop, oil_change, customer, clock, call_from
):
    await db(Vehicle.objects.create, owner=customer, year=2016, make="Toyota", model="Camry")
    truck = await db(Vehicle.objects.create, owner=customer, year=2012, make="Ford", model="F-150")
    call = await call_from(DANA)
    await call.caller("Oil change. Thursday. Nine. I'll wait for it.")
    said = await call.caller("Yep.")
    assert said.endswith("And which car is it for: the Camry or the F-150?"), call.transcript
    said = await call.caller("The truck, the Camry's was done last month.")
    assert said.startswith("Thanks, I've put the 2012 Ford F-150 on the appointment."), call.transcript
    (booked,) = await booked_for(DANA)
    thursday = clock.date() + timedelta(days=3)
    assert (booked.start, booked.vehicle_id, booked.waiter) == (local(shop, thursday, 9), truck.pk, True)
