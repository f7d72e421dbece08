"""The scripted receptionist with the caller's car in the shop: where it stands, what it needs and
what that is estimated at, approving and declining only the work the caller names (after a
read-back and a clear yes), asking for more work, and nothing about anyone else's car."""

from datetime import timedelta
from decimal import Decimal

import pytest

from calls.tests.scripted_calls import DANA, NEWCOMER, call_from, clock, db  # noqa: F401 (fixtures)
from crm.models import Vehicle
from ottos.lib import clock as shop_clock
from scheduling.actions import Actor
from scheduling.models import JobLine, RepairOrder
from scheduling.repair_orders import actions as repair_actions

pytestmark = pytest.mark.django_db(transaction=True)

ADVISOR = Actor.command("test")


@pytest.fixture(autouse=True)
def same_clock(clock):
    """The tools' clock and the receptionist's agree: a Monday, 10 AM."""
    with shop_clock.set_to(clock):
        yield


def open_order(customer, *, make, model, year, status, promised_at=None, note="", note_approved=False, lines=()):
    vehicle = Vehicle.objects.create(owner=customer, make=make, model=model, year=year)
    order = repair_actions.open_repair_order(
        customer=customer,
        vehicle=vehicle,
        actor=ADVISOR,
        promised_at=promised_at,
        status_note=note,
        status_note_approved=note_approved,
        internal_notes="Upsell the flush",
        technician="Rudy",
    )
    for description, low, high in lines:
        repair_actions.add_job_line(order, description=description, estimate_low=low, estimate_high=high, actor=ADVISOR)
    if status != RepairOrder.Status.CHECKED_IN:
        repair_actions.set_repair_status(order, status, actor=ADVISOR)
    return order


def statuses(order):
    return {line.description: line.status for line in JobLine.objects.filter(repair_order=order)}


def line(order, description):
    return JobLine.objects.get(repair_order=order, description=description)


@pytest.fixture
def truck(shop, customer, clock):
    return open_order(
        customer,
        make="Ford",
        model="F-150",
        year=2012,
        status=RepairOrder.Status.AWAITING_APPROVAL,
        promised_at=clock.replace(hour=16) + timedelta(days=1),
        lines=[
            ("Front brake pads", Decimal("189"), Decimal("349")),
            ("Coolant flush", Decimal("129"), Decimal("129")),
            ("Cabin air filter", Decimal("45"), Decimal("45")),
        ],
    )


@pytest.fixture
def camry_ready(shop, customer, clock):
    return open_order(
        customer,
        make="Toyota",
        model="Camry",
        year=2016,
        status=RepairOrder.Status.READY,
        promised_at=clock.replace(hour=15),
        note="We also topped off your washer fluid",
        note_approved=True,
    )


async def test_is_my_car_ready_reads_the_status_the_note_and_todays_hours(camry_ready, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hi, is my car ready yet?")
    assert said.startswith(
        "Your 2016 Toyota Camry is ready for pickup. We also topped off your washer fluid. "
        "You can pick it up any time we're open. We're open today until 5 PM"
    ), call.transcript
    assert "Rudy" not in said and "Upsell" not in said
    assert said.endswith("Is there anything else I can help you with?")


async def test_when_can_i_pick_it_up_and_when_do_you_close_are_answered_together(shop, customer, clock, call_from):
    await db(
        open_order,
        customer,
        make="Honda",
        model="CR-V",
        year=2019,
        status=RepairOrder.Status.IN_PROGRESS,
        promised_at=clock.replace(hour=16),
    )
    call = await call_from(DANA)
    said = await call.caller("When can I pick up my car, and what time do you guys close today?")
    assert "Your 2019 Honda CR-V is being worked on." in said, call.transcript
    assert "We're planning to have it ready today by 4 PM." in said
    assert "We're open today until 5 PM" in said


async def test_whats_the_damage_lists_the_estimates_as_estimates_and_approves_nothing(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hi, you guys called about my truck. So what's the damage?")
    assert (
        "The technician recommends front brake pads, estimated at $189 to $349, coolant flush, about $129 and "
        "cabin air filter, about $45. All together that's an estimated $363 to $523. Those are estimates; "
        "the final price comes from your advisor."
    ) in said, call.transcript
    assert said.endswith("Which of those would you like us to go ahead with?")
    said = await call.caller("Okay, let me think about it and I'll call you back.")
    assert said.startswith("No problem, I won't approve anything for now."), call.transcript
    assert set((await db(statuses, truck)).values()) == {"recommended"}
    assert call.used("approve_work") == []


async def test_go_ahead_with_the_brakes_is_read_back_and_approved_after_a_yes(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Hey, calling about the estimate on my truck.")
    said = await call.caller("Yeah go ahead with the brakes.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349. "
        "Is that right?"
    ), call.transcript
    assert (await db(statuses, truck))["Front brake pads"] == "recommended"
    said = await call.caller("Yes.")
    assert said.startswith(
        "Done. I've approved the front brake pads, estimated at $189 to $349. That's an estimate; the final "
        "price comes from your advisor."
    ), call.transcript
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "recommended",
        "Cabin air filter": "recommended",
    }
    brakes = await db(line, truck, "Front brake pads")
    assert brakes.decided_via == "phone" and brakes.decided_call_sid
    assert "go ahead with the brakes" in brakes.decided_words and "Yes" in brakes.decided_words


async def test_the_pads_but_not_the_flush_approves_one_and_declines_the_other_with_the_reason(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hi, about my truck. Do the pads but hold off on the flush, money's tight right now.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349 and hold "
        "off on the coolant flush. Is that right?"
    ), call.transcript
    said = await call.caller("Yep.")
    assert "I've approved the front brake pads" in said and "holding off on the coolant flush" in said
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "declined",
        "Cabin air filter": "recommended",
    }
    flush = await db(line, truck, "Coolant flush")
    assert flush.decline_reason == "money's tight right now" and flush.follow_up_on is not None


async def test_whatever_it_needs_approves_nothing_until_the_caller_names_the_work(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("It's about the truck. Look, just do whatever it needs.")
    assert said.startswith("I can only approve work you name, so let me go through it."), call.transcript
    assert "front brake pads" in said and "coolant flush" in said and "cabin air filter" in said
    assert set((await db(statuses, truck)).values()) == {"recommended"}
    said = await call.caller("Hmm okay, just the brake pads for now, the rest can wait.")
    assert said.startswith("Just to confirm: you'd like us to go ahead with the front brake pads"), call.transcript
    await call.caller("Yes")
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "recommended",
        "Cabin air filter": "recommended",
    }


async def test_a_change_of_mind_before_the_yes_is_read_back_again(truck, call_from):
    call = await call_from(DANA)
    await call.caller("What did you guys find on my truck?")
    said = await call.caller("Do the break pads and the flush.")
    assert "front brake pads" in said and "coolant flush" in said, call.transcript
    said = await call.caller("Actually no, not the flush.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349 and hold "
        "off on the coolant flush. Is that right?"
    ), call.transcript
    await call.caller("Yes that's right")
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "declined",
        "Cabin air filter": "recommended",
    }


async def test_a_no_at_the_read_back_approves_nothing(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Is my truck ready? Go ahead with the first one.")
    said = await call.caller("No, wait.")
    assert "nothing's approved" in said, call.transcript
    assert set((await db(statuses, truck)).values()) == {"recommended"}


async def test_with_two_cars_it_asks_which_and_answers_for_the_one_named(truck, camry_ready, call_from):
    call = await call_from(DANA)
    said = await call.caller("Is my car done?")
    assert said == (
        "I see 2 of your cars in the shop: your 2016 Toyota Camry and your 2012 Ford F-150. "
        "Which one are you asking about?"
    ), call.transcript
    said = await call.caller("The truck")
    assert said.startswith("Your 2012 Ford F-150 is inspected, and the estimate is waiting for your go-ahead."), (
        call.transcript
    )
    call = await call_from(DANA, call_sid="CA" + "7d" * 16)
    said = await call.caller("Is the Camry done?")
    assert said.startswith("Your 2016 Toyota Camry is ready for pickup."), call.transcript


async def test_more_work_while_it_is_there_is_a_request_for_the_advisor(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can you rotate the tires on my truck while it's there?")
    assert said.startswith(
        "I've passed that on as a request: rotate the tires. Your advisor will price it and check with you"
    ), call.transcript
    requested = await db(line, truck, "Rotate the tires")
    assert requested.requested_by_customer and requested.status == "recommended" and requested.estimate == ""


async def test_a_caller_with_no_car_in_the_shop_is_told_so_and_offered_a_message(
    shop, customer, other_customer, call_from
):
    await db(
        open_order,
        other_customer,
        make="Subaru",
        model="Outback",
        year=2021,
        status=RepairOrder.Status.READY,
        note="Head gasket done",
        note_approved=True,
    )
    call = await call_from(DANA)
    said = await call.caller("Hi, I'm picking up my neighbor's Outback. Is it ready?")
    assert said.startswith("I don't see a car of yours in the shop right now"), call.transcript
    assert "gasket" not in said.lower() and "ready for pickup" not in said
    said = await call.caller("Yes please")
    assert call.used("take_message") == [] and said  # the message is being taken


@pytest.mark.parametrize("phone", [None, NEWCOMER])
async def test_withheld_or_unknown_callers_hear_nothing_and_approve_nothing(truck, call_from, phone):
    call = await call_from(phone)
    said = await call.caller("Is my truck ready? Just go ahead and do the brakes.")
    assert "$" not in said and "brake" not in said.lower(), call.transcript
    assert "take a message" in said
    assert set((await db(statuses, truck)).values()) == {"recommended"}


async def test_without_the_repair_tool_a_status_question_still_offers_a_call_back(shop, customer, clock):
    from calls.agent.scripted import ScriptedBrain
    from calls.tests.scripted_calls import Dialogue, tools_for

    tools = await tools_for(DANA)
    schemas = [s for s in tools.specs() if s.name != "get_repair_status"]

    class Without:
        outcome = tools.outcome

        def specs(self):
            return schemas

        async def call(self, name, arguments):
            return await tools.call(name, arguments)

    call = Dialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: clock), Without())
    said = await call.caller("Is my car ready yet?")
    assert "an advisor can" in said, call.transcript


async def test_a_question_about_one_line_approves_nothing_even_followed_by_okay(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Remind me, how much was the coolant flush on the truck again?")
    assert "coolant flush, about $129" in said and "brake" not in said, call.transcript
    said = await call.caller("Okay. I'll let you know.")
    assert "won't approve anything" in said, call.transcript
    assert set((await db(statuses, truck)).values()) == {"recommended"}


async def test_a_bargain_is_no_approval(truck, call_from):
    call = await call_from(DANA)
    await call.caller(
        "That brake estimate on my truck is crazy. Can you do the pads for a hundred fifty? Then I'll say yes."
    )
    await call.caller("So is that a yes on 150?")
    assert call.used("approve_work") == []
    assert set((await db(statuses, truck)).values()) == {"recommended"}


async def test_a_line_named_by_its_price_and_a_request_in_the_same_breath(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller(
        "About the truck: do the hundred and twenty nine dollar one. Oh, and while you're in there, can you guys "
        "swap out my wiper blades? They're streaking."
    )
    assert said.startswith("I've passed that on as a request: swap out my wiper blades."), call.transcript
    assert said.endswith(
        "Just to confirm: you'd like us to go ahead with the coolant flush, about $129. Is that right?"
    )
    await call.caller("Yes")
    found = await db(statuses, truck)
    assert found["Coolant flush"] == "approved" and found["Front brake pads"] == "recommended"
    assert found["Swap out my wiper blades"] == "recommended"


async def test_an_approval_on_a_condition_approves_nothing_and_offers_the_advisor(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller(
        "About the truck. Go ahead with the brake pads as long as it comes in under three hundred bucks."
    )
    assert said.startswith("I can't approve work on a condition or change a price myself."), call.transcript
    assert said.endswith("I can have your advisor call you about the price. Would you like that?")
    assert set((await db(statuses, truck)).values()) == {"recommended"}


async def test_taking_back_an_approval_leaves_it_on_record_and_the_advisor_a_message(truck, call_from):
    from calls.models import CallbackRequest

    call = await call_from(DANA)
    await call.caller("Go ahead with the front brake pads on my truck.")
    await call.caller("Yes")
    said = await call.caller("Oh wait, no. Don't do the pads, my brother can do them.")
    assert said.startswith("The front brake pads are already approved, so I can't take that back myself."), (
        call.transcript
    )
    assert (await db(statuses, truck))["Front brake pads"] == "approved"
    (message,) = await db(lambda: list(CallbackRequest.objects.all()))
    assert message.urgency == "urgent" and "hold off on the front brake pads" in message.reason


async def test_work_declined_earlier_and_wanted_after_all_goes_back_to_the_advisor_as_a_request(truck, call_from):
    flush = await db(line, truck, "Coolant flush")
    await db(repair_actions.decline_job_lines, truck, [flush.pk], actor=ADVISOR, via="in_person", reason="Not today")
    call = await call_from(DANA)
    said = await call.caller(
        "I said no to the coolant flush when I dropped off the truck, but actually, go ahead and do it."
    )
    assert "was declined earlier" in said and "I've passed that on as a request: coolant flush." in said, (
        call.transcript
    )
    assert (await db(lambda: JobLine.objects.get(pk=flush.pk))).status == "declined", call.transcript
    requested = await db(lambda: JobLine.objects.get(repair_order=truck, requested_by_customer=True))
    assert requested.description == "Coolant flush" and requested.status == "recommended"


async def test_with_a_car_in_the_shop_the_price_list_and_bookings_still_answer_their_own_questions(
    shop, oil_change, camry_ready, call_from
):
    call = await call_from(DANA)
    said = await call.caller("How much is an oil change?")
    assert "$49" in said and "Camry" not in said, call.transcript
    assert call.used("get_repair_status") == []


async def test_forget_the_line_ill_do_it_myself_declines_it_with_the_reason(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Hey, calling about the estimate on my truck.")
    said = await call.caller("Eh, forget the cabin filter then, I'll do it myself.")
    assert said == "Just to confirm: you'd like us to hold off on the cabin air filter. Is that right?", call.transcript
    await call.caller("Yes.")
    assert (await db(line, truck, "Cabin air filter")).status == "declined"
    assert "myself" in (await db(line, truck, "Cabin air filter")).decline_reason


async def test_a_hedged_yes_goes_ahead_and_the_other_thing_waits(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Hey, calling about the estimate on my truck.")
    said = await call.caller("Ugh. Yeah, I guess do the brakes. Leave the other stuff for now, I'll decide later.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349. "
        "Is that right?"
    ), call.transcript
    await call.caller("Yes.")
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "recommended",
        "Cabin air filter": "recommended",
    }


async def test_a_yes_to_holding_off_on_all_of_it_declines_them(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("I'm not doing any of that on my truck: not the brakes, not the flush, not the filter.")
    assert said.startswith("Just to confirm: you'd like us to hold off on the front brake pads"), call.transcript
    await call.caller("Yes, none of it.")
    assert set((await db(statuses, truck)).values()) == {"declined"}, call.transcript
    assert call.used("approve_work") == []


async def test_anything_under_a_cap_goes_ahead_only_with_lines_whose_whole_estimate_is_under_it(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("On my truck, anything under one fifty just go ahead. The rest I'll think about.")
    assert said == (
        "The estimate for the front brake pads can go over that, so I'll leave it for now. Just to confirm: you'd "
        "like us to go ahead with the coolant flush, about $129 and the cabin air filter, about $45. Is that right?"
    ), call.transcript
    await call.caller("Yes, the cheap ones, not the brakes.")
    assert await db(statuses, truck) == {
        "Front brake pads": "recommended",
        "Coolant flush": "approved",
        "Cabin air filter": "approved",
    }


async def test_a_misheard_line_is_that_line_and_both_means_the_two_named(shop, customer, clock, call_from):
    order = await db(
        open_order,
        customer,
        make="Ford",
        model="F-150",
        year=2012,
        status=RepairOrder.Status.AWAITING_APPROVAL,
        lines=[
            ("Front brake pads", Decimal("189"), Decimal("349")),
            ("Front rotors", Decimal("220"), Decimal("300")),
            ("Coolant flush", Decimal("129"), Decimal("129")),
        ],
    )
    call = await call_from(DANA)
    said = await call.caller("Yeah on the truck, do the pads and the rotters both.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349 and the "
        "front rotors, estimated at $220 to $300. Is that right?"
    ), call.transcript
    await call.caller("Yes.")
    assert (await db(statuses, order))["Coolant flush"] == "recommended"
    assert (await db(statuses, order))["Front rotors"] == "approved"


async def test_fewer_lines_named_at_the_read_back_are_read_back_again(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Hey, calling about the estimate on my truck.")
    await call.caller("Do the brakes and the flush.")
    said = await call.caller("Yes, the brakes.")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349. "
        "Is that right?"
    ), call.transcript
    await call.caller("Yes.")
    assert (await db(statuses, truck))["Coolant flush"] == "recommended"


async def test_a_yes_that_says_the_read_back_again_is_a_yes(truck, call_from):
    call = await call_from(DANA)
    await call.caller("About my truck, hold off on the coolant flesh. I don't want that one.")
    said = await call.caller("Yes, no coolant flush.")
    assert said.startswith("I've noted that you're holding off on the coolant flush"), call.transcript
    assert (await db(statuses, truck))["Coolant flush"] == "declined"


async def test_a_symptom_the_note_ties_to_a_line_names_that_line(shop, customer, clock, call_from):
    order = await db(
        open_order,
        customer,
        make="Honda",
        model="CR-V",
        year=2019,
        status=RepairOrder.Status.AWAITING_APPROVAL,
        note_approved=True,
        note="The squeal when you start it is the serpentine belt; it's cracked.",
        lines=[("Serpentine belt", Decimal("137"), Decimal("137")), ("Cabin air filter", Decimal("45"), Decimal("45"))],
    )
    call = await call_from(DANA)
    await call.caller("Hi, what did you find on my Honda?")
    said = await call.caller("Okay, fix the thing that makes the squeaking noise. The other stuff can wait.")
    assert said == "Just to confirm: you'd like us to go ahead with the serpentine belt, about $137. Is that right?", (
        call.transcript
    )
    await call.caller("Yes.")
    assert await db(statuses, order) == {"Serpentine belt": "approved", "Cabin air filter": "recommended"}


async def test_a_car_named_by_its_make_is_that_car_in_the_shop(truck, camry_ready, call_from):
    call = await call_from(DANA)
    said = await call.caller("What's the story with the Ford?")
    assert said.startswith("Your 2012 Ford F-150 is inspected"), call.transcript
    assert call.used("shop_info") == []


async def test_also_while_my_car_is_there_and_can_you_also_look_at_are_requests(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Hi, while my F-150 is there, could you guys also rotate the tires?")
    assert said.startswith("I've passed that on as a request: rotate the tires."), call.transcript
    call = await call_from(DANA, call_sid="CA" + "8e" * 16)
    said = await call.caller(
        "Yes, do the brake pads on my truck. And can you also look at my left headlight, it's out."
    )
    assert "I've passed that on as a request: check my left headlight." in said, call.transcript
    assert said.endswith(
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at "
        "$189 to $349. Is that right?"
    )
    call = await call_from(DANA, call_sid="CA" + "9f" * 16)
    said = await call.caller("Go ahead with the flush on my truck, and while it's in, can you also do an oil change?")
    assert "I've passed that on as a request: oil change." in said, call.transcript
    assert said.endswith(
        "Just to confirm: you'd like us to go ahead with the coolant flush, about $129. Is that right?"
    )


async def test_a_shop_question_beside_an_approval_is_answered_and_the_approval_goes_on(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("Okay so, do the brake pads on the truck. Oh wait, are you open Saturday?")
    assert [args["topic"] for args, _ in call.used("shop_info")] == ["hours"], call.transcript
    assert "8" in said and "noon" in said.lower() or "12" in said
    assert said.endswith(
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349. "
        "Is that right?"
    )
    await call.caller("Yes.")
    said = await call.caller("Cool. And yeah, the coolant flush too.")
    assert said == "Just to confirm: you'd like us to go ahead with the coolant flush, about $129. Is that right?", (
        call.transcript
    )


# --- how callers talk: held-out set 2 -------------------------------------------------------------


def two_lines(customer, first, second, *, make="Honda", model="CR-V", year=2019):
    return open_order(
        customer, make=make, model=model, year=year, status=RepairOrder.Status.AWAITING_APPROVAL, lines=[first, second]
    )


BELTS = (("Serpentine belt", Decimal("137"), Decimal("137")), ("Timing belt", Decimal("890"), Decimal("1100")))


async def test_the_cheaper_one_is_the_line_with_the_lower_estimate_and_the_other_no_declines_it(
    shop, customer, clock, call_from
):
    order = await db(two_lines, customer, *BELTS)
    call = await call_from(DANA)
    await call.caller("Hi, I think you have my Honda? somebody said there's two things")
    said = await call.caller("ok which one's cheaper? do the cheaper one. the other one no, money's tight this month")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the serpentine belt, about $137 and hold off on the timing "
        "belt. Is that right?"
    ), call.transcript
    await call.caller("Yes.")
    assert await db(statuses, order) == {"Serpentine belt": "approved", "Timing belt": "declined"}
    assert "money" in (await db(line, order, "Timing belt")).decline_reason


async def test_a_long_word_misspelled_as_heard_names_its_line_and_leaving_one_for_now_is_no_decline(
    shop, customer, clock, call_from
):
    order = await db(
        two_lines,
        customer,
        ("Wheel alignment", Decimal("99"), Decimal("149")),
        ("Tire rotation", Decimal("29"), Decimal("29")),
    )
    call = await call_from(DANA)
    await call.caller("Morning, you have my CR-V in there")
    said = await call.caller("not sure about the rotation yet, leave that one for now. do the alinement though")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the wheel alignment, estimated at $99 to $149. Is that right?"
    ), call.transcript
    await call.caller("yes, the alinement")
    assert await db(statuses, order) == {"Wheel alignment": "approved", "Tire rotation": "recommended"}


async def test_skip_the_misheard_line_too_pricey_declines_it_with_the_reason(shop, customer, clock, call_from):
    order = await db(
        two_lines,
        customer,
        ("Transmission fluid service", Decimal("179"), Decimal("299")),
        ("Coolant flush", Decimal("129"), Decimal("129")),
        make="Ford",
        model="F-150",
        year=2012,
    )
    call = await call_from(DANA)
    await call.caller("Calling about my truck")
    said = await call.caller("nah skip the transmition one, too pricey. the coolant flush is fine, do that")
    assert "go ahead with the coolant flush, about $129 and hold off on the transmission fluid service" in said, (
        call.transcript
    )
    await call.caller("right, flush yes, transmition no")
    assert await db(statuses, order) == {"Transmission fluid service": "declined", "Coolant flush": "approved"}
    assert "pricey" in (await db(line, order, "Transmission fluid service")).decline_reason


async def test_no_on_the_one_line_offered_with_a_reason_is_a_decline(shop, customer, clock, call_from):
    order = await db(
        open_order,
        customer,
        make="Ford",
        model="F-150",
        year=2012,
        status=RepairOrder.Status.AWAITING_APPROVAL,
        lines=[("Front brake pads", Decimal("189"), Decimal("349"))],
    )
    call = await call_from(DANA)
    await call.caller("About the truck, what did you find?")
    said = await call.caller("alright, well I can't swing it this week anyway, so no on the brakes")
    assert said == "Just to confirm: you'd like us to hold off on the front brake pads. Is that right?", call.transcript
    await call.caller("Yes.")
    assert await db(statuses, order) == {"Front brake pads": "declined"}
    assert "swing" in (await db(line, order, "Front brake pads")).decline_reason


async def test_my_car_is_in_there_is_the_car_in_the_shop_and_look_at_the_ac_is_a_request(
    shop, customer, clock, call_from
):
    order = await db(
        open_order,
        customer,
        make="Honda",
        model="CR-V",
        year=2019,
        status=RepairOrder.Status.IN_PROGRESS,
        promised_at=clock.replace(hour=16),
    )
    call = await call_from(DANA)
    said = await call.caller("hey Dana here, my Honda's in there for the oil change")
    assert said.startswith("Your 2019 Honda CR-V is being worked on."), call.transcript
    said = await call.caller("while you've got it, could you guys look at the AC? it's been blowing kinda warm")
    assert said.startswith("I've passed that on as a request: check the ac."), call.transcript
    assert (await db(line, order, "Check the ac")).requested_by_customer


async def test_what_it_all_comes_to_is_the_total_of_the_estimates(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("About the truck. what's it all come to if I do everything?")
    assert "All together that's an estimated $363 to $523. Those are estimates" in said, call.transcript
    assert call.used("approve_work") == []


async def test_a_yes_that_leaves_a_line_not_read_back_for_later_is_a_yes(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("On my truck, do the pads I suppose. I'll let you know about the flush")
    assert said.startswith("Just to confirm: you'd like us to go ahead with the front brake pads"), call.transcript
    said = await call.caller("yeah, the pads. not the flush yet")
    assert said.startswith("Done. I've approved the front brake pads"), call.transcript
    assert (await db(statuses, truck))["Coolant flush"] == "recommended"


async def test_a_yes_to_the_lines_under_a_cap_that_leaves_the_rest_for_later_is_a_yes(truck, call_from):
    call = await call_from(DANA)
    said = await call.caller("On my truck, honestly anything under a hundred fifty bucks just do it")
    assert said.endswith("the coolant flush, about $129 and the cabin air filter, about $45. Is that right?"), (
        call.transcript
    )
    await call.caller("yes, the flush and the cabin filter. not the brakes yet")
    assert await db(statuses, truck) == {
        "Front brake pads": "recommended",
        "Coolant flush": "approved",
        "Cabin air filter": "approved",
    }


async def test_whats_wrong_with_my_car_while_it_is_diagnosed_has_no_estimate_and_no_service_price(
    shop, customer, clock, oil_change, call_from
):
    order = await db(
        open_order,
        customer,
        make="Toyota",
        model="Camry",
        year=2016,
        status=RepairOrder.Status.DIAGNOSING,
        lines=[("Check engine light diagnostic", Decimal("99"), Decimal("149"))],
    )
    await db(lambda: JobLine.objects.filter(repair_order=order).update(status="approved"))
    call = await call_from(DANA)
    said = await call.caller("what's wrong with my Camry? any idea what it's gonna cost?")
    assert said.startswith(
        "Your 2016 Toyota Camry is being inspected: the technician is still working out what it needs."
    ), call.transcript
    assert "There's no estimate for the repair yet" in said and "Rudy" not in said
    assert call.used("shop_info") == []


async def test_both_cars_asked_after_and_work_named_on_each_car_decided_on_its_own_car(
    truck, shop, customer, call_from
):
    camry = await db(
        open_order,
        customer,
        make="Toyota",
        model="Camry",
        year=2016,
        status=RepairOrder.Status.AWAITING_APPROVAL,
        lines=[("Wiper blades", Decimal("35"), Decimal("35"))],
    )
    call = await call_from(DANA)
    said = await call.caller("hey, both of mine are there right?")
    assert "Your 2012 Ford F-150 is inspected" in said and "Your 2016 Toyota Camry is inspected" in said, (
        call.transcript
    )
    said = await call.caller("yeah do the wipers on the Camry and the brakes on the truck, forget the flush")
    assert said == (
        "Just to confirm: on your 2016 Toyota Camry, go ahead with the wiper blades, about $35; and on your 2012 "
        "Ford F-150, go ahead with the front brake pads, estimated at $189 to $349 and hold off on the coolant "
        "flush. Is that right?"
    ), call.transcript
    await call.caller("right, wipers on the Camry, brakes on the truck, no flush")
    assert await db(statuses, camry) == {"Wiper blades": "approved"}
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "declined",
        "Cabin air filter": "recommended",
    }


async def test_the_reason_given_first_is_kept_when_the_decision_is_said_again(shop, customer, clock, call_from):
    order = await db(
        two_lines,
        customer,
        ("Tire rotation", Decimal("29"), Decimal("29")),
        ("Wheel alignment", Decimal("99"), Decimal("149")),
        make="Toyota",
        model="Camry",
        year=2016,
    )
    call = await call_from(DANA)
    said = await call.caller(
        "On the Camry. skip the alignment, I just had one done at Costco like two months ago. rotation's fine though"
    )
    assert said == (
        "Just to confirm: you'd like us to go ahead with the tire rotation, about $29 and hold off on the wheel "
        "alignment. Is that right?"
    ), call.transcript
    await call.caller("yes, rotation yes, alignment no")
    await call.caller("yep")
    assert await db(statuses, order) == {"Tire rotation": "approved", "Wheel alignment": "declined"}
    assert "costco" in (await db(line, order, "Wheel alignment")).decline_reason


async def test_and_the_filter_too_at_the_read_back_adds_it(truck, call_from):
    call = await call_from(DANA)
    await call.caller("Go ahead with the brakes on my truck")
    said = await call.caller("oh wait, and the cabin filter too, might as well")
    assert said == (
        "Just to confirm: you'd like us to go ahead with the front brake pads, estimated at $189 to $349 and the "
        "cabin air filter, about $45. Is that right?"
    ), call.transcript
    await call.caller("yes")
    assert await db(statuses, truck) == {
        "Front brake pads": "approved",
        "Coolant flush": "recommended",
        "Cabin air filter": "approved",
    }


async def test_the_price_of_a_listed_service_while_the_car_is_in_then_add_it_as_a_request(
    shop, customer, clock, oil_change, call_from
):
    order = await db(
        open_order,
        customer,
        make="Honda",
        model="CR-V",
        year=2019,
        status=RepairOrder.Status.IN_PROGRESS,
        promised_at=clock.replace(hour=16),
    )
    call = await call_from(DANA)
    said = await call.caller("my Honda's in for the brakes. how much would it be to throw in an oil change?")
    assert "$49" in said and "$89" in said, call.transcript
    assert said.endswith("Would you like me to add an oil change to the order as a request for your advisor?")
    said = await call.caller("yeah ok add that")
    assert said.startswith("I've passed that on as a request: oil change."), call.transcript
    assert (await db(line, order, "Oil change")).requested_by_customer


async def test_what_is_a_line_is_answered_from_the_estimate_and_the_decision_stays_open(truck, call_from):
    call = await call_from(DANA)
    await call.caller("About my truck, what did you find?")
    said = await call.caller("what's a coolant flush? is that a big deal?")
    assert said == (
        "Your advisor can go over the coolant flush with you in more detail. The technician recommends coolant "
        "flush, about $129. Those are estimates; the final price comes from your advisor. Which of those would you "
        "like us to go ahead with?"
    ), call.transcript
    assert call.used("approve_work") == []


async def test_a_no_to_adding_the_priced_service_adds_nothing_and_since_you_have_it_is_a_request(
    shop, customer, clock, oil_change, call_from
):
    order = await db(
        open_order,
        customer,
        make="Ford",
        model="F-150",
        year=2012,
        status=RepairOrder.Status.IN_PROGRESS,
        promised_at=clock.replace(hour=16),
    )
    call = await call_from(DANA)
    said = await call.caller("my truck's in for the brakes. how much is an oil change?")
    assert "$49" in said and said.endswith("as a request for your advisor?"), call.transcript
    said = await call.caller("no that's fine, just the brakes")
    assert said.startswith("No problem, I won't add it."), call.transcript
    said = await call.caller("since you have it, can you check the tire pressure too?")
    assert said.startswith("I've passed that on as a request: check the tire pressure."), call.transcript
    assert [x.description for x in await db(lambda: list(JobLine.objects.filter(repair_order=order)))] == [
        "Check the tire pressure"
    ]
