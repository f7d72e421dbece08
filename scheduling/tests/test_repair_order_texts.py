"""Customers who agreed to texts hear that their car is ready or that an estimate is waiting -
once per order and status, never in quiet hours, never once the order has moved on - are
reminded of the work they declined once its follow-up day comes, and get one "we missed you"
after a no-show. Customers who did not agree stay on the advisors' follow-up list.

The real twilio SDK talks to a loopback Twilio REST API; tasks run in-process.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from ottos.lib import clock
from scheduling import texts
from scheduling.actions import set_appointment_status
from scheduling.models import Appointment, RepairOrder, TextMessage
from scheduling.repair_orders import texts as repair_order_texts
from scheduling.repair_orders.actions import (
    Actor,
    add_job_line,
    close_repair_order,
    decline_job_lines,
    open_repair_order,
    set_repair_status,
)
from scheduling.repair_orders.follow_ups import due_follow_ups
from scheduling.repair_orders.tasks import queue_declined_work_follow_ups
from scheduling.tasks import send_appointment_text, send_due_texts
from scheduling.tests.vendors import run_tasks, twilio  # noqa: F401

Status = RepairOrder.Status
pytestmark = pytest.mark.usefixtures("run_tasks")

READY = "Otto's Auto Repair: your 2019 Toyota Camry is ready for pickup."
ESTIMATE = (
    "Otto's Auto Repair: we've looked at your Camry and have an estimate ready; "
    "call us at (312) 555-0100 to go over it."
)


@pytest.fixture
def desk(advisor):
    return Actor.advisor(advisor)


@pytest.fixture
def order(shop, customer, desk):
    camry = customer.vehicles.create(year=2019, make="Toyota", model="Camry")
    return open_repair_order(customer=customer, vehicle=camry, actor=desk)


@pytest.fixture
def move(committed, desk):
    """move(order, status): an advisor sets the status and the change commits."""

    def set_status(order, status):
        return committed(set_repair_status, order, status, actor=desk)

    return set_status


def quiet_now(settings):
    """Quiet hours that cover the present moment and end in two hours."""
    now = timezone.now().astimezone(timezone.get_current_timezone())
    settings.QUIET_HOURS = (
        (now - timedelta(hours=1)).time(),
        (now + timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )


def bodies(twilio):
    return [m["body"] for m in twilio.messages]


# --- The car is ready, the estimate is waiting ------------------------------------------------


def test_a_ready_car_is_texted_with_the_rest_of_todays_hours(shop, twilio, order, desk):
    set_repair_status(order, Status.READY, actor=desk)  # not committed: nothing queued yet
    monday_morning = datetime(2030, 6, 3, 10, 0, tzinfo=shop.tz)

    message = repair_order_texts.queue_status_text(order.pk, Status.READY, now=monday_morning)
    assert texts.send_text(message.pk, now=monday_morning) == "sent"

    [sent] = twilio.messages
    assert sent["to"] == "+13125550147"
    assert sent["body"] == f"{READY} We're open today until 5 PM, closed for lunch from noon to 1."
    message.refresh_from_db()
    assert (message.kind, message.about, message.status, message.twilio_sid) == (
        "repair_status",
        "ready",
        "sent",
        sent["sid"],
    )


def test_a_car_ready_after_closing_is_told_when_the_shop_opens_next(shop, twilio, order, desk):
    set_repair_status(order, Status.READY, actor=desk)
    saturday_afternoon = datetime(2030, 6, 8, 13, 0, tzinfo=shop.tz)

    message = repair_order_texts.queue_status_text(order.pk, Status.READY, now=saturday_afternoon)

    assert message.body == (
        f"{READY} We're closed for the rest of today. We're open again on Monday, June 10 from 8 AM to 5 PM."
    )


def test_a_ready_car_is_texted_once_its_status_commits(twilio, order, move):
    move(order, Status.READY)

    [sent] = bodies(twilio)
    assert sent.startswith(READY)
    assert order.texts.get().status == "sent"


def test_an_estimate_waiting_for_approval_is_texted(twilio, order, move):
    move(order, Status.DIAGNOSING)
    move(order, Status.AWAITING_APPROVAL)

    assert bodies(twilio) == [ESTIMATE]


def test_ready_left_and_set_again_is_texted_once(twilio, order, move):
    move(order, Status.READY)
    move(order, Status.IN_PROGRESS)
    move(order, Status.READY)

    assert len(twilio.messages) == 1
    assert order.texts.count() == 1


def test_each_texted_status_is_texted_once(twilio, order, move):
    for status in (
        Status.AWAITING_APPROVAL,
        Status.IN_PROGRESS,
        Status.AWAITING_APPROVAL,
        Status.READY,
        Status.ON_HOLD,
        Status.READY,
    ):
        move(order, status)

    assert bodies(twilio)[0] == ESTIMATE and bodies(twilio)[1].startswith(READY)
    assert len(twilio.messages) == 2


def test_the_other_steps_and_the_pickup_text_nobody(twilio, order, move, committed, desk):
    for status in (Status.DIAGNOSING, Status.WAITING_PARTS, Status.IN_PROGRESS, Status.ON_HOLD):
        move(order, status)
    committed(close_repair_order, order, actor=desk)

    assert twilio.messages == [] and not TextMessage.objects.exists()


def test_customers_who_did_not_opt_in_get_no_status_text(shop, twilio, other_customer, desk, move):
    fit = other_customer.vehicles.create(year=2015, make="Honda", model="Fit")
    theirs = open_repair_order(customer=other_customer, vehicle=fit, actor=desk)

    move(theirs, Status.AWAITING_APPROVAL)
    move(theirs, Status.READY)

    assert twilio.messages == [] and twilio.requests == []
    assert not TextMessage.objects.exists()


def test_nothing_is_texted_while_texts_are_off(twilio, order, move, settings):
    settings.TEXTS_ENABLED = False

    move(order, Status.READY)

    assert twilio.messages == [] and not TextMessage.objects.exists()


def test_quiet_hours_hold_the_ready_text_until_they_end(shop, twilio, order, move, settings):
    quiet_now(settings)

    move(order, Status.READY)
    send_due_texts.delay()

    assert twilio.messages == []
    held = order.texts.get()
    assert held.status == "scheduled"
    morning = held.send_after
    assert morning > timezone.now() and morning.astimezone(shop.tz).time() == settings.QUIET_HOURS[1]

    assert texts.send_text(held.pk, now=morning) == "sent"
    assert bodies(twilio)[0].startswith(READY)


def test_a_held_ready_text_is_dropped_if_the_car_is_not_ready_when_it_is_due(twilio, order, move, settings):
    quiet_now(settings)
    move(order, Status.READY)
    move(order, Status.IN_PROGRESS)
    held = order.texts.get()

    assert texts.send_text(held.pk, now=held.send_after) == "skipped"

    assert twilio.messages == []
    held.refresh_from_db()
    assert held.status == "skipped" and "repair order changed" in held.error


def test_a_ready_text_that_was_dropped_goes_out_when_the_car_is_ready_again(twilio, order, move, settings):
    quiet_now(settings)
    move(order, Status.READY)
    move(order, Status.IN_PROGRESS)
    held = order.texts.get()
    texts.send_text(held.pk, now=held.send_after)
    settings.QUIET_HOURS = None

    move(order, Status.READY)
    move(order, Status.IN_PROGRESS)
    move(order, Status.READY)

    [sent] = bodies(twilio)
    assert sent.startswith(READY)
    assert order.texts.get().status == "sent"


# --- Declined work ----------------------------------------------------------------------------


@pytest.fixture
def brakes(order, desk):
    return add_job_line(order, description="Front brake pads", estimate_low="189", estimate_high="349", actor=desk)


@pytest.fixture
def wipers(order, desk):
    return add_job_line(order, description="Wiper blades", amount="39", actor=desk)


def decline(order, *lines):
    return decline_job_lines(
        order, [line.pk for line in lines], actor=Actor.phone_agent("CA0077"), via="phone", customer=order.customer
    )


def on_day(day, shop):
    """The shop's clock at 10 AM on `day`."""
    return clock.set_to(datetime(day.year, day.month, day.day, 10, 0, tzinfo=shop.tz))


def in_on(order, shop):
    opened = order.opened_at.astimezone(shop.tz)
    return f"{opened:%b} {opened.day}"


def test_declined_work_is_followed_up_once_on_its_day(shop, twilio, order, brakes, wipers):
    [declined, _] = decline(order, brakes, wipers)
    follow_up_day = declined.follow_up_on
    assert follow_up_day == clock.now().astimezone(shop.tz).date() + timedelta(days=60)

    with on_day(follow_up_day - timedelta(days=1), shop):
        assert queue_declined_work_follow_ups.delay().get() == "0 follow-ups queued"
    with on_day(follow_up_day, shop):
        queue_declined_work_follow_ups.delay()
        queue_declined_work_follow_ups.delay()
        assert due_follow_ups() == []

    assert bodies(twilio) == [
        f"Otto's Auto Repair: when your Camry was in on {in_on(order, shop)} we recommended front brake pads "
        "($189 to $349) and wiper blades (about $39). Call (312) 555-0100 to book them."
    ]
    [record] = TextMessage.objects.filter(kind="declined_work")
    assert (record.repair_order, record.status) == (order, "sent")


def test_work_declined_later_is_followed_up_later_and_alone(shop, twilio, order, brakes, wipers):
    [first] = decline(order, brakes)
    with on_day(clock.now().astimezone(shop.tz).date() + timedelta(days=10), shop):
        [later] = decline(order, wipers)

    with on_day(first.follow_up_on, shop):
        queue_declined_work_follow_ups.delay()
        assert due_follow_ups() == []
    with on_day(later.follow_up_on, shop):
        assert due_follow_ups() == [later]
        queue_declined_work_follow_ups.delay()
        queue_declined_work_follow_ups.delay()

    assert [("brake pads" in b, "wiper blades" in b) for b in bodies(twilio)] == [(True, False), (False, True)]
    assert bodies(twilio)[0].endswith("Call (312) 555-0100 to book it.")


def test_customers_who_did_not_opt_in_stay_on_the_advisors_list(shop, twilio, other_customer, desk):
    fit = other_customer.vehicles.create(year=2015, make="Honda", model="Fit")
    theirs = open_repair_order(customer=other_customer, vehicle=fit, actor=desk)
    timing_belt = add_job_line(theirs, description="Timing belt", amount="650", actor=desk)
    [declined] = decline(theirs, timing_belt)

    with on_day(declined.follow_up_on + timedelta(days=3), shop):
        queue_declined_work_follow_ups.delay()
        [due] = due_follow_ups()

    assert twilio.messages == []
    assert due == timing_belt and due.repair_order.customer == other_customer
    assert due_follow_ups(today=declined.follow_up_on - timedelta(days=1)) == []


def test_a_follow_up_text_that_failed_puts_the_work_back_on_the_list_and_is_not_retried(shop, twilio, order, brakes):
    twilio.invalid_numbers.add("+13125550147")
    [declined] = decline(order, brakes)

    with on_day(declined.follow_up_on, shop):
        queue_declined_work_follow_ups.delay()
        queue_declined_work_follow_ups.delay()
        assert due_follow_ups() == [brakes]

    assert TextMessage.objects.get(kind="declined_work").status == "failed"
    assert len([r for r in twilio.requests if r.path.endswith("/Messages.json")]) == 1


def test_the_follow_up_list_takes_two_queries_however_long(shop, customer, desk, django_assert_num_queries):
    for number in range(4):
        car = customer.vehicles.create(year=2010 + number, make="Toyota", model="Corolla")
        ro = open_repair_order(customer=customer, vehicle=car, actor=desk)
        lines = [add_job_line(ro, description=f"Job {n}", amount="100", actor=desk) for n in range(2)]
        decline(ro, *lines)
    day = clock.now().astimezone(shop.tz).date() + timedelta(days=61)

    with django_assert_num_queries(2):
        due = due_follow_ups(today=day)
        seen = [(line.repair_order.vehicle.year, line.repair_order.customer.name) for line in due]

    assert len(seen) == 8


# --- No-shows ---------------------------------------------------------------------------------


@pytest.fixture
def missed(shop, customer, oil_change):
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    return Appointment.objects.create(
        customer=customer, service_type=oil_change, start=start, end=start + timedelta(minutes=30)
    )


def test_a_no_show_gets_one_text_offering_to_rebook(shop, twilio, missed, committed, desk):
    committed(set_appointment_status, missed, "no_show", actor=desk)
    send_appointment_text.delay(missed.pk, "no_show")

    same_day = missed.start.astimezone(shop.tz).date() == timezone.now().astimezone(shop.tz).date()
    assert bodies(twilio) == [
        f"Otto's Auto Repair: we missed you for your oil change {'today' if same_day else 'yesterday'}. "
        "Call (312) 555-0100 to rebook."
    ]
    [record] = missed.texts.all()
    assert (record.kind, record.for_start, record.status) == ("no_show", missed.start, "sent")


def test_arriving_late_is_not_a_no_show_text(shop, twilio, missed, committed, desk):
    committed(set_appointment_status, missed, "arrived", actor=desk)

    assert twilio.messages == [] and not missed.texts.exists()


def test_no_show_customers_who_did_not_opt_in_get_nothing(shop, twilio, missed, committed, desk):
    missed.customer.sms_opt_in = False
    missed.customer.save()

    committed(set_appointment_status, missed, "no_show", actor=desk)

    assert twilio.messages == [] and not missed.texts.exists()


def test_a_no_show_marked_in_quiet_hours_says_the_right_day_in_the_morning(
    shop, twilio, missed, committed, desk, settings
):
    quiet_now(settings)

    committed(set_appointment_status, missed, "no_show", actor=desk)

    held = missed.texts.get()
    assert twilio.messages == [] and held.status == "scheduled"
    morning = held.send_after.astimezone(shop.tz)
    day = "today" if morning.date() == missed.start.astimezone(shop.tz).date() else "yesterday"
    assert f"for your oil change {day}." in held.body
