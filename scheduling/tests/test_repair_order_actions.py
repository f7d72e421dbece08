"""Repair orders change only through their actions: the status climbs the ladder, a closed order
stays closed, a caller reaches only their own orders and work, a decision is recorded once, and
every change leaves an audit row."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest

from ottos.lib import clock
from scheduling.models import JobLine, RepairOrder, RepairOrderChange
from scheduling.repair_orders.actions import (
    Actor,
    RepairOrderRefused,
    add_job_line,
    approve_job_lines,
    close_repair_order,
    decline_job_lines,
    mark_lines_done,
    open_orders_for,
    open_repair_order,
    request_work,
    set_promised_time,
    set_repair_status,
    set_status_note,
)

Status = RepairOrder.Status
agent = Actor.phone_agent("CA0042")


@pytest.fixture
def camry(customer):
    return customer.vehicles.create(year=2019, make="Toyota", model="Camry")


@pytest.fixture
def desk(advisor):
    return Actor.advisor(advisor)


@pytest.fixture
def order(shop, customer, camry, desk):
    return open_repair_order(customer=customer, vehicle=camry, actor=desk, mileage_in=48210)


@pytest.fixture
def brakes(order, desk):
    return add_job_line(order, description="Front brake pads", estimate_low="189", estimate_high="349", actor=desk)


@pytest.fixture
def wipers(order, desk):
    return add_job_line(order, description="Wiper blades", amount="39", actor=desk)


def changes(order):
    return list(order.changes.order_by("at", "id").values_list("action", flat=True))


@contextmanager
def refused(code):
    """with refused("closed"): the block raises RepairOrderRefused with that code."""
    with pytest.raises(RepairOrderRefused) as info:
        yield info
    assert info.value.code == code, info.value


# --- The order and its ladder -----------------------------------------------------------------


def test_checking_a_car_in_opens_an_order_on_the_first_step(order, desk, advisor):
    assert (order.status, order.mileage_in, order.closed_at) == ("checked_in", 48210, None)
    [opened] = order.changes.all()
    assert (opened.action, opened.actor_kind, opened.actor_user) == ("opened", "advisor", advisor)
    assert opened.details["after"]["status"] == "checked_in"


def test_only_the_customers_own_vehicle_can_be_checked_in(shop, customer, other_customer, desk):
    someone_elses = other_customer.vehicles.create(year=2015, make="Honda", model="Fit")

    with refused("invalid"):
        open_repair_order(customer=customer, vehicle=someone_elses, actor=desk)
    assert not RepairOrder.objects.exists()


def test_the_status_moves_along_the_ladder_and_each_move_is_audited(order, desk):
    for status in (Status.DIAGNOSING, Status.AWAITING_APPROVAL, Status.IN_PROGRESS, Status.READY):
        set_repair_status(order, status, actor=desk)

    order.refresh_from_db()
    assert order.status == "ready"
    moves = [
        (c.details["before"]["status"], c.details["after"]["status"])
        for c in order.changes.filter(action="status").order_by("at", "id")
    ]
    assert moves == [
        ("checked_in", "diagnosing"),
        ("diagnosing", "awaiting_approval"),
        ("awaiting_approval", "in_progress"),
        ("in_progress", "ready"),
    ]


def test_an_order_can_step_back_and_be_held(order, desk):
    set_repair_status(order, Status.READY, actor=desk)
    set_repair_status(order, Status.IN_PROGRESS, actor=desk)
    set_repair_status(order, Status.ON_HOLD, actor=desk)

    order.refresh_from_db()
    assert order.status == "on_hold"


def test_setting_the_status_an_order_already_has_changes_nothing(order, desk):
    set_repair_status(order, Status.READY, actor=desk)
    set_repair_status(order, Status.READY, actor=desk)

    assert changes(order) == ["opened", "status"]


def test_picking_up_is_closing_the_order_not_a_status(order, desk):
    with refused("invalid"):
        set_repair_status(order, Status.PICKED_UP, actor=desk)
    with refused("invalid"):
        set_repair_status(order, "washed", actor=desk)

    closed = close_repair_order(order, actor=desk)
    again = close_repair_order(order, actor=desk)

    assert (closed.status, again.closed_at) == ("picked_up", closed.closed_at)
    assert closed.closed_at >= closed.opened_at
    assert changes(order) == ["opened", "closed"]
    assert open_orders_for(order.customer) == []


def test_a_closed_order_refuses_every_change_to_its_work(order, brakes, desk):
    close_repair_order(order, actor=desk)

    with refused("closed"):
        set_repair_status(order, Status.READY, actor=desk)
    with refused("closed"):
        add_job_line(order, description="Cabin air filter", actor=desk)
    with refused("closed"):
        request_work(order, description="Tire rotation", actor=agent, customer=order.customer)
    with refused("closed"):
        approve_job_lines(order, [brakes.pk], actor=agent, via="phone", customer=order.customer)

    brakes.refresh_from_db()
    assert brakes.status == "recommended"
    assert order.lines.count() == 1 and changes(order) == ["opened", "line_added", "closed"]


def test_promised_time_and_note_are_recorded_and_a_note_is_approved_only_with_words(order, desk):
    promised = clock.now().replace(microsecond=0) + timedelta(hours=5)
    set_promised_time(order, promised, actor=desk)
    set_status_note(order, "  ", approved=True, actor=desk)
    set_status_note(order, "Waiting on a sensor from the dealer.", approved=True, actor=desk)

    order.refresh_from_db()
    assert order.promised_at == promised
    assert (order.status_note, order.status_note_approved) == ("Waiting on a sensor from the dealer.", True)
    assert changes(order) == ["opened", "promised", "note"]  # the empty approved note changed nothing

    with pytest.raises(ValueError):
        set_promised_time(order, promised.replace(tzinfo=None), actor=desk)


# --- Whose order ------------------------------------------------------------------------------


def test_another_customers_order_reads_as_missing(order, brakes, other_customer):
    with refused("not_yours") as info:
        request_work(order, description="Tire rotation", actor=agent, customer=other_customer)
    assert info.value.message == "I couldn't find that repair order under your name."
    with refused("not_yours"):
        approve_job_lines(order, [brakes.pk], actor=agent, via="phone", customer=other_customer)
    with refused("not_yours"):
        decline_job_lines(order, [brakes.pk], actor=agent, via="phone", customer=other_customer)

    brakes.refresh_from_db()
    assert brakes.status == "recommended" and order.lines.count() == 1
    assert open_orders_for(other_customer) == []


def test_work_on_another_order_reads_as_missing(shop, order, brakes, customer, desk):
    second_car = customer.vehicles.create(year=2012, make="Ford", model="Escape")
    other_order = open_repair_order(customer=customer, vehicle=second_car, actor=desk)
    other_line = add_job_line(other_order, description="Timing belt", amount="650", actor=desk)

    with refused("not_yours"):
        approve_job_lines(order, [brakes.pk, other_line.pk], actor=agent, via="phone", customer=customer)

    assert set(JobLine.objects.values_list("status", flat=True)) == {"recommended"}


def test_a_caller_sees_their_open_orders_with_their_work(order, brakes, wipers, customer):
    [mine] = open_orders_for(customer)
    assert mine == order and [line.description for line in mine.lines.all()] == ["Front brake pads", "Wiper blades"]


# --- Decisions on the work --------------------------------------------------------------------


def test_an_approval_is_recorded_once_even_when_retried(order, brakes, wipers):
    [first] = approve_job_lines(
        order,
        [brakes.pk],
        actor=agent,
        via="phone",
        customer=order.customer,
        decided_by="Dana Whitfield",
        words="Yes, go ahead with the brakes.",
    )
    approved_at = first.decided_at

    retried = approve_job_lines(
        order,
        [brakes.pk, wipers.pk],
        actor=Actor.phone_agent("CA0043"),
        via="phone",
        customer=order.customer,
        words="Yeah, brakes and wipers.",
    )

    brakes.refresh_from_db()
    assert (brakes.status, brakes.decided_at, brakes.decided_words) == (
        "approved",
        approved_at,
        "Yes, go ahead with the brakes.",
    )
    assert (brakes.decided_via, brakes.decided_by, brakes.decided_call_sid) == ("phone", "Dana Whitfield", "CA0042")
    assert [line.status for line in retried] == ["approved", "approved"]
    approvals = order.changes.filter(action="approved")
    assert sorted(approvals.values_list("line__description", flat=True)) == ["Front brake pads", "Wiper blades"]
    assert approvals.get(line=brakes).actor_label == "CA0042"


def test_a_decline_sets_the_follow_up_from_the_shops_setting(shop, order, brakes, desk):
    shop.declined_work_follow_up_days = 45
    shop.save()

    [declined] = decline_job_lines(
        order, [brakes.pk], actor=desk, via="in_person", decided_by="Dana", reason="Will do it next month"
    )

    today = clock.now().astimezone(shop.tz).date()
    assert declined.follow_up_on == today + timedelta(days=45)
    assert (declined.status, declined.decline_reason, declined.decided_via) == (
        "declined",
        "Will do it next month",
        "in_person",
    )
    [audit] = order.changes.filter(action="declined")
    assert (audit.details["before"]["status"], audit.details["after"]["status"]) == ("recommended", "declined")


def test_a_declined_line_cannot_be_approved_nor_an_approved_one_declined(order, brakes, wipers, desk):
    decline_job_lines(order, [brakes.pk], actor=desk, via="in_person")
    approve_job_lines(order, [wipers.pk], actor=desk, via="in_person")

    with refused("already_decided") as info:
        approve_job_lines(order, [brakes.pk], actor=agent, via="phone", customer=order.customer)
    assert info.value.message == "Front brake pads is already declined."
    with refused("already_decided"):
        decline_job_lines(order, [wipers.pk], actor=agent, via="phone", customer=order.customer)

    assert dict(order.lines.values_list("description", "status")) == {
        "Front brake pads": "declined",
        "Wiper blades": "approved",
    }


def test_a_decision_names_its_work_and_a_known_way(order, brakes, desk):
    with refused("invalid"):
        approve_job_lines(order, [], actor=desk, via="phone")
    with refused("invalid"):
        approve_job_lines(order, [brakes.pk], actor=desk, via="carrier pigeon")


def test_asking_twice_for_the_same_work_adds_one_line(order, customer):
    first = request_work(
        order,
        description="Rotate the  tires",
        actor=agent,
        customer=customer,
        words="Can you rotate the tires while it's there?",
    )
    second = request_work(order, description="rotate the tires", actor=agent, customer=customer)

    assert second == first
    [line] = order.lines.all()
    assert (line.requested_by_customer, line.status, line.estimate) == (True, "recommended", "")
    assert line.decided_words == "Can you rotate the tires while it's there?"
    assert changes(order) == ["opened", "line_added"]


def test_work_is_done_only_once_approved(order, brakes, desk):
    with refused("invalid"):
        mark_lines_done(order, [brakes.pk], actor=desk)
    approve_job_lines(order, [brakes.pk], actor=desk, via="in_person")

    mark_lines_done(order, [brakes.pk], actor=desk)
    mark_lines_done(order, [brakes.pk], actor=desk)

    brakes.refresh_from_db()
    assert brakes.status == "done"
    assert order.changes.filter(action="line_done").count() == 1


def test_a_line_is_priced_sensibly(order, desk):
    with refused("invalid"):
        add_job_line(order, description="Alignment", estimate_low="200", estimate_high="90", actor=desk)
    with refused("invalid"):
        add_job_line(order, description="Alignment", amount="-5", actor=desk)
    with refused("invalid"):
        add_job_line(order, description="   ", actor=desk)

    line = add_job_line(order, description="Alignment", estimate_low="89", actor=desk)
    assert (line.estimate_low, line.estimate) == (Decimal("89.00"), "about $89")


# --- Announcing -------------------------------------------------------------------------------


def test_each_change_is_announced_once_after_it_commits(order, desk, django_capture_on_commit_callbacks):
    from scheduling.signals import repair_order_changed

    heard = []

    def listen(sender, repair_order_id, action, status, **kwargs):
        heard.append((repair_order_id, action, status))

    repair_order_changed.connect(listen, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as pending:
            set_repair_status(order, Status.READY, actor=desk)
            assert heard == []
        for callback in pending:
            callback()
    finally:
        repair_order_changed.disconnect(listen)

    assert heard == [(order.pk, "status", "ready")]
    assert RepairOrderChange.objects.filter(repair_order=order, action="status").count() == 1
