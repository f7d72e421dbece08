"""The scripted receptionist with the caller's own appointments: list, cancel and move them,
always after reading back which one and hearing a clear yes."""

from datetime import timedelta

import pytest

from calls.agent.scripted.speech import say_day
from calls.tests.scripted_calls import DANA, NEWCOMER, call_from, clock, db, local  # noqa: F401 (fixtures)
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


# --- which appointment, however the caller says it ---------------------------------------


@pytest.fixture
def alignment(db):
    from scheduling.models import ServiceType

    return ServiceType.objects.create(name="Wheel alignment", duration_minutes=60, waiter_allowed=True)


@pytest.fixture
def thursday_alignment(shop, customer, alignment, clock):
    return book(customer, alignment, local(shop, clock.date() + timedelta(days=3), 14))


async def test_do_i_have_anything_booked_lists_them_and_books_nothing(shop, clock, thursday_alignment, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hey, do I have anything booked with you guys?")
    thursday = clock.date() + timedelta(days=3)
    assert said == (
        f"You have a wheel alignment on {say_day(thursday)} at 2 PM. Is there anything else I can help you with?"
    ), call.transcript
    assert call.used("get_available_slots") == []


async def test_did_i_book_something_for_a_day_without_one_says_so_and_lists_the_rest(
    shop, clock, tuesday_oil_change, call_from
):
    call = await call_from(DANA)
    said = await call.caller("Did I book something for Wednesday?")
    wednesday, tuesday = clock.date() + timedelta(days=2), clock.date() + timedelta(days=1)
    assert said.startswith(
        f"I don't see anything booked on {say_day(wednesday)}. You have an oil change on {say_day(tuesday)} at 9 AM."
    ), call.transcript


async def test_cancel_the_allignment_but_keep_the_oil_change(
    shop, clock, tuesday_oil_change, thursday_alignment, call_from
):
    call = await call_from(DANA)
    said = await call.caller("Hi, I need to cancel the allignment but keep the oil change.")
    assert said.startswith("Just to confirm, you'd like to cancel your wheel alignment on"), call.transcript
    await call.caller("Yes, cancel the alignment.")
    assert (await db(fresh, thursday_alignment)).status == "cancelled"
    assert (await db(fresh, tuesday_oil_change)).status == "booked"


async def test_cancel_both_after_one_read_back(shop, clock, tuesday_oil_change, friday_brakes, call_from):
    call = await call_from(DANA)
    said = await call.caller("Please cancel both of my appointments.")
    assert said.startswith("Just to confirm, you'd like to cancel your oil change on"), call.transcript
    assert " and your brake pads and rotors on " in said
    said = await call.caller("Yes")
    assert "oil change" in said and "brake pads and rotors" in said, call.transcript
    assert [(await db(fresh, a)).status for a in (tuesday_oil_change, friday_brakes)] == ["cancelled", "cancelled"]


async def test_no_wait_the_other_one_at_the_read_back_reads_back_the_other(
    shop, clock, tuesday_oil_change, friday_brakes, call_from
):
    call = await call_from(DANA)
    await call.caller("Cancel my oil change")
    said = await call.caller("No wait, the other one")
    assert said.startswith("Just to confirm, you'd like to cancel your brake pads and rotors on"), call.transcript
    await call.caller("Yes")
    assert (await db(fresh, friday_brakes)).status == "cancelled"
    assert (await db(fresh, tuesday_oil_change)).status == "booked"


async def test_an_unclear_choice_is_asked_again_by_place_then_a_message_is_offered(
    shop, clock, tuesday_oil_change, friday_brakes, call_from
):
    call = await call_from(DANA)
    await call.caller("I need to cancel an appointment")
    said = await call.caller("the blue one")
    assert "the first is your oil change" in said and "the second is your brake pads" in said, call.transcript
    said = await call.caller("hmm, the thing")
    assert said.endswith("Would you like that?") and "message" in said, call.transcript
    assert call.used("cancel_appointment") == []


async def test_withheld_caller_id_cannot_change_appointments(shop, oil_change, call_from):
    call = await call_from(None)
    said = await call.caller("I need to cancel my appointment")
    assert said.startswith("I'm sorry, I can't look up or change appointments without caller ID."), call.transcript
    assert "message" in said


# --- moves: always the same appointment, to the time asked -------------------------------


async def test_a_bit_later_that_same_day_offers_only_later_times_and_moves(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Could I push my oil change back a bit, later that same day?")
    assert said.startswith(f"I have {say_day(tuesday)} at") and "8 AM" not in said, call.transcript
    await call.caller("The first one")
    await call.caller("Yes")
    moved = await db(fresh, tuesday_oil_change)
    start = moved.start.astimezone(shop.tz)
    assert (start.date(), moved.status) == (tuesday, "booked")
    assert start > tuesday_oil_change.start
    assert call.used("book_appointment") == []


async def test_friday_instead_moves_the_appointment(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    friday = clock.date() + timedelta(days=4)
    said = await call.caller("Can I come Friday instead?")
    assert said.startswith(f"I have {say_day(friday)} at"), call.transcript
    await call.caller("The first one")
    await call.caller("Yes")
    assert (await db(fresh, tuesday_oil_change)).start.astimezone(shop.tz).date() == friday
    assert call.used("book_appointment") == []


async def test_push_it_out_a_week_same_time_moves_it_seven_days(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    week_later = clock.date() + timedelta(days=8)
    said = await call.caller("Can you push my oil change out a week? Same time is fine.")
    assert said.endswith(f"to {say_day(week_later)} at 9 AM. Shall I go ahead?"), call.transcript
    await call.caller("Yes")
    assert (await db(fresh, tuesday_oil_change)).start == local(shop, week_later, 9)


async def test_cant_make_it_with_another_day_asked_moves_rather_than_cancels(
    shop, clock, tuesday_oil_change, call_from
):
    call = await call_from(DANA)
    friday = clock.date() + timedelta(days=4)
    said = await call.caller("I can't make it tomorrow for the oil change. Can we do Friday instead?")
    assert "cancel" not in said and said.startswith(f"I have {say_day(friday)} at"), call.transcript


async def test_same_time_on_thursday(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    thursday = clock.date() + timedelta(days=3)
    said = await call.caller("Could you move my oil change to the same time on Thursday?")
    assert said.endswith(f"to {say_day(thursday)} at 9 AM. Shall I go ahead?"), call.transcript
    await call.caller("Yes")
    assert (await db(fresh, tuesday_oil_change)).start == local(shop, thursday, 9)


async def test_leave_it_at_the_move_read_back_changes_nothing(shop, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    await call.caller("Move my oil change to Thursday at 10")
    said = await call.caller("No, leave it")
    assert said.startswith("No problem, I'll leave your appointment as it is."), call.transcript
    assert (await db(fresh, tuesday_oil_change)).start == tuesday_oil_change.start


async def test_actually_the_other_one_moves_the_other_to_the_same_time(
    shop, clock, tuesday_oil_change, thursday_alignment, call_from
):
    call = await call_from(DANA)
    friday = clock.date() + timedelta(days=4)
    await call.caller("I want to move my Tuesday appointment to Friday at 10")
    said = await call.caller("No, actually the alignment")
    assert said.startswith("So I'll move your wheel alignment from") and f"to {say_day(friday)} at 10 AM" in said
    await call.caller("Yes")
    assert (await db(fresh, thursday_alignment)).start == local(shop, friday, 10)
    assert (await db(fresh, tuesday_oil_change)).start == tuesday_oil_change.start


async def test_after_a_cancel_yes_with_another_service_books_that_service(
    shop, clock, tuesday_oil_change, brake_job, call_from
):
    call = await call_from(DANA)
    await call.caller("Cancel my oil change")
    said = await call.caller("Yes")
    assert said.endswith("Would you like to book a new time for it?"), call.transcript
    said = await call.caller("Yes, brake pads, Wednesday at 9")
    assert "brake pads and rotors" in said and "oil change" not in said, call.transcript


async def test_the_afternoon_one_is_picked_by_part_of_the_day(shop, customer, oil_change, brake_job, clock, call_from):
    friday = clock.date() + timedelta(days=4)
    morning = await db(book, customer, oil_change, local(shop, friday, 8))
    afternoon = await db(book, customer, brake_job, local(shop, friday, 14))
    call = await call_from(DANA)
    said = await call.caller("Cancel the afternoon one on Friday, keep the morning one.")
    assert said == f"Just to confirm, you'd like to cancel your brake pads and rotors on {say_day(friday)} at 2 PM?", (
        call.transcript
    )
    await call.caller("Yes")
    assert (await db(fresh, afternoon)).status == "cancelled"
    assert (await db(fresh, morning)).status == "booked"


# --- checking, and switching between a move and a cancel ----------------------------------


async def test_can_you_check_lists_the_appointments_not_payment(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    said = await call.caller("I think I have something booked with you guys this week, can you check?")
    tuesday = clock.date() + timedelta(days=1)
    assert said.startswith(f"You have an oil change on {say_day(tuesday)} at 9 AM."), call.transcript
    assert "cash" not in said


async def test_look_up_my_booking_with_nothing_booked(shop, customer, oil_change, call_from):
    call = await call_from(DANA)
    said = await call.caller("Could you look up my booking?")
    assert said.startswith("You don't have any upcoming appointments with us."), call.transcript


async def test_just_cancel_it_in_the_middle_of_a_move_cancels_that_one(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Hi, I need to move my oil change.")
    assert said == "Sure. What day would you like to move your oil change to?", call.transcript
    said = await call.caller("Actually, you know what, just cancel it. I'll call back when I know my schedule.")
    assert said == f"Just to confirm, you'd like to cancel your oil change on {say_day(tuesday)} at 9 AM?", (
        call.transcript
    )
    said = await call.caller("Yes, cancel it.")
    assert said.startswith(f"Done. Your oil change on {say_day(tuesday)} at 9 AM is cancelled."), call.transcript
    assert (await db(fresh, tuesday_oil_change)).status == "cancelled"


async def test_cancel_at_the_move_read_back_cancels_instead(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can I move my oil change to Thursday at 10?")
    assert said.endswith("Shall I go ahead?"), call.transcript
    said = await call.caller("Hmm, no, cancel the whole thing.")
    assert said.startswith("Just to confirm, you'd like to cancel your oil change"), call.transcript
    await call.caller("Yes")
    assert (await db(fresh, tuesday_oil_change)).status == "cancelled"


async def test_move_it_instead_at_the_cancel_read_back_moves_it(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    thursday = clock.date() + timedelta(days=3)
    said = await call.caller("I can't make my oil change on Tuesday.")
    assert said.startswith("Just to confirm, you'd like to cancel your oil change"), call.transcript
    said = await call.caller("I don't want to cancel it, can we push it to Thursday at 10?")
    assert said.startswith("So I'll move your oil change from") and said.endswith("Shall I go ahead?"), call.transcript
    await call.caller("Yes")
    moved = await db(fresh, tuesday_oil_change)
    assert (moved.start, moved.status) == (local(shop, thursday, 10), "booked")


async def test_forgetting_the_time_of_an_appointment_tells_it(
    shop, clock, tuesday_oil_change, friday_brakes, call_from
):
    call = await call_from(DANA)
    said = await call.caller("I forgot what time my brake appointment is.")
    friday = clock.date() + timedelta(days=4)
    assert said.startswith(f"You have brake pads and rotors on {say_day(friday)} at 8 AM."), call.transcript


async def test_dropping_one_appointment_cancels_that_one(shop, clock, tuesday_oil_change, friday_brakes, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can you drop the brake job? Keep the oil change though.")
    friday = clock.date() + timedelta(days=4)
    assert said == f"Just to confirm, you'd like to cancel your brake pads and rotors on {say_day(friday)} at 8 AM?", (
        call.transcript
    )
    await call.caller("Yes")
    assert (await db(fresh, friday_brakes)).status != "booked"
    assert (await db(fresh, tuesday_oil_change)).status == "booked"


async def test_asking_to_have_it_another_day_moves_the_appointment(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can I have it Thursday instead, same time?")
    assert "move" in said.lower() or "thursday" in said.lower(), call.transcript
    assert "book it?" not in said, call.transcript


@pytest.mark.parametrize(
    "said",
    [
        "I'm selling the car this weekend, so I won't need that oil change anymore. Can you take me off?",
        "You can scratch the oil change thing. My brother-in-law did it over the weekend.",
    ],
)
async def test_everyday_words_for_a_cancellation_cancel(shop, clock, tuesday_oil_change, call_from, said):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    reply = await call.caller(said)
    assert reply == f"Just to confirm, you'd like to cancel your oil change on {say_day(tuesday)} at 9 AM?", (
        call.transcript
    )


async def test_what_have_i_got_scheduled_lists_them(shop, clock, tuesday_oil_change, call_from):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Can you remind me what I've got scheduled with you guys?")
    assert said.startswith(f"You have an oil change on {say_day(tuesday)} at 9 AM."), call.transcript


@pytest.mark.parametrize("asked, answer", [("nine", "Yes."), ("ten", "Not quite.")])
async def test_is_it_at_a_time_confirms_or_corrects_without_moving(
    shop, clock, tuesday_oil_change, call_from, asked, answer
):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller(f"I have an oil change tomorrow. Is that {asked} o'clock?")
    assert said.startswith(f"{answer} You have an oil change on {say_day(tuesday)} at 9 AM."), call.transcript
    assert (await db(fresh, tuesday_oil_change)).start == tuesday_oil_change.start


async def test_a_question_in_the_same_breath_as_a_cancellation_is_answered_once_it_is_done(
    shop, clock, tuesday_oil_change, call_from
):
    # "Cancel it. And how late are you open?": the cancellation first, then the question, not dropped.
    call = await call_from(DANA)
    said = await call.caller("Please cancel my oil change. And how late are you open on weekdays?")
    assert said.startswith("Just to confirm, you'd like to cancel your oil change"), call.transcript
    said = await call.caller("Yes.")
    assert (await db(fresh, tuesday_oil_change)).status == "cancelled"
    assert "is cancelled. We're open Monday to Friday" in said, call.transcript
    assert said.endswith("Is there anything else I can help you with?"), call.transcript


@pytest.fixture
def full_tuesday_afternoon(shop, customer, other_customer, brake_job, clock):
    """Both bays from 1:00 to 4:00 PM: Dana's brake job, then Marcus's."""
    tuesday = clock.date() + timedelta(days=1)
    return [book(who, brake_job, local(shop, tuesday, 13)) for who in (customer, other_customer)]


async def test_half_an_hour_later_on_a_full_day_moves_into_the_time_only_it_held(
    shop, clock, full_tuesday_afternoon, call_from
):
    tuesday, danas = clock.date() + timedelta(days=1), full_tuesday_afternoon[0]
    call = await call_from(DANA)
    said = await call.caller("Could you push my brake job back half an hour?")
    assert said.endswith(f"to {say_day(tuesday)} at 1:30 PM. Shall I go ahead?"), call.transcript
    await call.caller("Yes")
    assert (await db(fresh, danas)).start == local(shop, tuesday, 13, 30)
