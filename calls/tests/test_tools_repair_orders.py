"""The repair-order tools: the caller's own cars in the shop, what they may hear about them, and
approving, declining and asking for work, only on the lines they named and only on their own orders."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from calls.models import Call
from calls.tests.test_tools import CALL_SID, DANA, db, nothing_happens, tools_for, use
from crm.models import Vehicle
from scheduling.actions import Actor
from scheduling.models import JobLine, RepairOrder, RepairOrderChange
from scheduling.repair_orders import actions as repair_actions

pytestmark = pytest.mark.django_db(transaction=True)

ADVISOR = Actor.command("test")


def open_order(
    customer,
    *,
    make="Toyota",
    model="Camry",
    year=2019,
    status=RepairOrder.Status.AWAITING_APPROVAL,
    promised_at=None,
    note="",
    note_approved=False,
    lines=(),
):
    vehicle = Vehicle.objects.create(owner=customer, make=make, model=model, year=year)
    order = repair_actions.open_repair_order(
        customer=customer,
        vehicle=vehicle,
        actor=ADVISOR,
        promised_at=promised_at,
        status_note=note,
        status_note_approved=note_approved,
        internal_notes="Customer is a pain, upsell the flush",
        technician="Rudy Alvarez",
    )
    for description, low, high in lines:
        repair_actions.add_job_line(order, description=description, estimate_low=low, estimate_high=high, actor=ADVISOR)
    if status != RepairOrder.Status.CHECKED_IN:
        repair_actions.set_repair_status(order, status, actor=ADVISOR)
    return order


def lines_of(order):
    return list(JobLine.objects.filter(repair_order=order).order_by("id"))


@pytest.fixture
def camry(shop, customer):
    promised = datetime.now(shop.tz).replace(hour=16, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return open_order(
        customer,
        promised_at=promised,
        note="Waiting on the rotors from the supplier.",
        note_approved=True,
        lines=[("Front brake pads", Decimal("189"), Decimal("349")), ("Coolant flush", Decimal("120"), Decimal("120"))],
    )


@pytest.fixture
def marcus_civic(shop, other_customer):
    return open_order(
        other_customer, make="Honda", model="Civic", year=2012, lines=[("Timing belt", Decimal("600"), Decimal("900"))]
    )


async def test_status_gives_the_callers_own_orders_in_words_they_may_hear(camry, marcus_civic):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "get_repair_status")
    assert outcome.ok
    (order,) = content["repair_orders"]
    assert order["repair_order_id"] == camry.pk and order["vehicle"] == "2019 Toyota Camry"
    assert order["status"] == "inspected, and the estimate is waiting for your go-ahead"
    assert order["note"] == "Waiting on the rotors from the supplier."
    assert [(w["work"], w["estimate"], w["status"]) for w in order["work"]] == [
        ("Front brake pads", "$189 to $349", "waiting for your decision"),
        ("Coolant flush", "about $120", "waiting for your decision"),
    ]
    assert content["pickup_today"]
    assert content["pickup_next"].startswith("We're open again "), content["pickup_next"]  # after today's close
    assert "Rudy" not in outcome.content and "pain" not in outcome.content and "upsell" not in outcome.content
    assert "Civic" not in outcome.content and "Timing" not in outcome.content
    assert tools.outcome.achieved == {Call.Outcome.INFO}


async def test_a_note_no_advisor_approved_is_not_read(shop, customer):
    await db(open_order, customer, note="Looks like the head gasket, tell them gently", note_approved=False)
    outcome, content = await use(await tools_for(DANA), "get_repair_status")
    assert content["repair_orders"][0]["note"] is None
    assert "gasket" not in outcome.content


async def test_a_caller_with_no_car_in_the_shop_is_told_so(shop, customer, marcus_civic):
    outcome, content = await use(await tools_for(DANA), "get_repair_status")
    assert outcome.ok and content["repair_orders"] == []
    assert "no car in the shop" in content["note"]
    assert "Civic" not in outcome.content


@pytest.mark.parametrize(("phone", "expected"), [(None, "Caller ID is withheld"), ("+13125550188", "isn't on file")])
async def test_withheld_or_unknown_callers_get_nothing(shop, camry, phone, expected):
    outcome, content = await use(await tools_for(phone), "get_repair_status")
    assert nothing_happens(outcome) and expected in content["error"]


async def test_another_customers_order_is_never_revealed_or_changed_even_with_its_ids(customer, marcus_civic):
    tools = await tools_for(DANA)
    (belt,) = await db(lines_of, marcus_civic)
    for name, arguments in [
        ("approve_work", {"repair_order_id": marcus_civic.pk, "line_ids": [belt.pk], "caller_words": "I'm his wife"}),
        ("decline_work", {"repair_order_id": marcus_civic.pk, "line_ids": [belt.pk], "caller_words": "no"}),
        ("request_work", {"repair_order_id": marcus_civic.pk, "description": "oil change", "caller_words": "also"}),
    ]:
        outcome, content = await use(tools, name, arguments)
        assert nothing_happens(outcome), name
        assert content["error"].startswith("I couldn't find that repair order under your name."), content
        assert "Civic" not in outcome.content and "Timing" not in outcome.content
    assert [line.status for line in await db(lines_of, marcus_civic)] == ["recommended"]
    assert not tools.outcome.achieved


async def test_a_line_of_another_order_cannot_ride_on_the_callers_own(camry, marcus_civic):
    (belt,) = await db(lines_of, marcus_civic)
    outcome, content = await use(
        await tools_for(DANA),
        "approve_work",
        {"repair_order_id": camry.pk, "line_ids": [belt.pk], "caller_words": "yes"},
    )
    assert nothing_happens(outcome) and "isn't on this repair order" in content["error"]
    assert (await db(JobLine.objects.get, pk=belt.pk)).status == "recommended"


async def test_approving_named_lines_approves_only_those_with_the_call_and_the_words(camry):
    brakes, flush = await db(lines_of, camry)
    tools = await tools_for(DANA)
    words = "yeah go ahead with the brakes"
    outcome, content = await use(
        tools, "approve_work", {"repair_order_id": camry.pk, "line_ids": [brakes.pk], "caller_words": words}
    )
    assert outcome.ok and content["approved"] is True
    assert content["work"] == [{"line_id": brakes.pk, "work": "Front brake pads", "estimate": "$189 to $349"}]
    brakes, flush = await db(lines_of, camry)
    assert brakes.status == "approved" and flush.status == "recommended"
    assert (brakes.decided_via, brakes.decided_call_sid, brakes.decided_words, brakes.decided_by) == (
        "phone",
        CALL_SID,
        words,
        "Dana Whitfield",
    )
    assert brakes.decided_at is not None
    assert tools.outcome.achieved == {Call.Outcome.APPROVED}
    assert "Front brake pads ($189 to $349)" in tools.outcome.summary()


async def test_a_retried_approval_is_recorded_once(camry):
    brakes, _ = await db(lines_of, camry)
    tools = await tools_for(DANA)
    arguments = {"repair_order_id": camry.pk, "line_ids": [brakes.pk], "caller_words": "do the brakes"}
    first, _ = await use(tools, "approve_work", arguments)
    again, content = await use(tools, "approve_work", {**arguments, "caller_words": "yes, the brakes"})
    assert first.ok and again.ok and content["approved"] is True
    brakes = await db(JobLine.objects.get, pk=brakes.pk)
    assert brakes.decided_words == "do the brakes"
    approvals = await db(lambda: RepairOrderChange.objects.filter(line=brakes, action="approved").count())
    assert approvals == 1


async def test_a_decline_keeps_the_reason_and_sets_a_follow_up(camry):
    _, flush = await db(lines_of, camry)
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools,
        "decline_work",
        {
            "repair_order_id": camry.pk,
            "line_ids": [flush.pk],
            "caller_words": "not the flush, too expensive right now",
            "reason": "too expensive right now",
        },
    )
    assert outcome.ok and content["declined"] is True
    flush = await db(JobLine.objects.get, pk=flush.pk)
    assert flush.status == "declined" and flush.decline_reason == "too expensive right now"
    assert flush.follow_up_on is not None and flush.decided_call_sid == CALL_SID
    assert Call.Outcome.APPROVED not in tools.outcome.achieved


async def test_work_already_declined_is_not_approved_behind_the_callers_back(camry):
    _, flush = await db(lines_of, camry)
    tools = await tools_for(DANA)
    await use(tools, "decline_work", {"repair_order_id": camry.pk, "line_ids": [flush.pk], "caller_words": "no"})
    outcome, content = await use(
        tools, "approve_work", {"repair_order_id": camry.pk, "line_ids": [flush.pk], "caller_words": "yes"}
    )
    assert nothing_happens(outcome) and content["code"] == "already_decided"


async def test_approving_nothing_named_is_refused(camry):
    outcome, content = await use(
        await tools_for(DANA),
        "approve_work",
        {"repair_order_id": camry.pk, "line_ids": [], "caller_words": "whatever it needs"},
    )
    assert nothing_happens(outcome) and "Name the work" in content["error"]
    assert {line.status for line in await db(lines_of, camry)} == {"recommended"}


async def test_asking_for_more_work_adds_an_unpriced_request_for_the_advisor_once(camry):
    tools = await tools_for(DANA)
    arguments = {
        "repair_order_id": camry.pk,
        "description": "Rotate the tires",
        "caller_words": "can you rotate the tires while it's there",
    }
    outcome, content = await use(tools, "request_work", arguments)
    again, _ = await use(tools, "request_work", arguments)
    assert outcome.ok and again.ok and content["requested"] is True and "request" in content["note"]
    requested = [line for line in await db(lines_of, camry) if line.requested_by_customer]
    assert len(requested) == 1
    (line,) = requested
    assert (line.description, line.status, line.estimate) == ("Rotate the tires", "recommended", "")
    assert line.decided_words == "can you rotate the tires while it's there"


async def test_a_picked_up_car_is_no_longer_open(camry):
    await db(repair_actions.close_repair_order, camry, actor=ADVISOR)
    outcome, content = await use(await tools_for(DANA), "get_repair_status")
    assert content["repair_orders"] == []


async def test_several_cars_are_all_listed(shop, customer, camry):
    await db(open_order, customer, make="Ford", model="F-150", year=2015, status=RepairOrder.Status.READY)
    _, content = await use(await tools_for(DANA), "get_repair_status")
    assert [(o["vehicle"], o["ready"]) for o in content["repair_orders"]] == [
        ("2015 Ford F-150", True),
        ("2019 Toyota Camry", False),
    ]


def test_a_call_that_approved_work_is_filed_as_approved_unless_it_booked_or_transferred():
    from calls.actions import decide_outcome

    assert decide_outcome({Call.Outcome.APPROVED, Call.Outcome.INFO}, caller_spoke=True) == Call.Outcome.APPROVED
    assert decide_outcome({Call.Outcome.APPROVED, Call.Outcome.MESSAGE}, caller_spoke=True) == Call.Outcome.APPROVED
    assert decide_outcome({Call.Outcome.APPROVED, Call.Outcome.BOOKED}, caller_spoke=True) == Call.Outcome.BOOKED
    assert Call.Outcome.APPROVED.label == "Work approved"
