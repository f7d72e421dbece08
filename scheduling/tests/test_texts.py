"""Customers who opted in get a confirmation, a reminder the day before and a cancellation notice -
once each, never in quiet hours - and every text is on record with Twilio's SID and status.

The real twilio SDK talks to a loopback Twilio REST API; tasks run in-process.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from scheduling import texts
from scheduling.actions import Actor, book_appointment, cancel_appointment, reschedule_appointment
from scheduling.models import Appointment, TextMessage
from scheduling.shop_settings import save_shop_settings
from scheduling.tasks import queue_reminders, send_appointment_text, send_due_texts
from scheduling.tests.vendors import SHOP_NUMBER, run_tasks, twilio  # noqa: F401

agent = Actor.phone_agent("CA0003")
pytestmark = pytest.mark.usefixtures("run_tasks")


@pytest.fixture
def book(committed, customer, oil_change):
    def booking(start, *, who=None):
        return committed(book_appointment, customer=who or customer, service_type=oil_change, start=start, actor=agent)

    return booking


def quiet_now(settings):
    """Quiet hours that cover the present moment and end in two hours."""
    tz = timezone.get_current_timezone()
    now = timezone.now().astimezone(tz)
    settings.QUIET_HOURS = (
        (now - timedelta(hours=1)).time(),
        (now + timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )


def test_a_booking_texts_a_confirmation_and_records_it(shop, twilio, book, at):
    appointment = book(at(9))

    [sent] = twilio.messages
    assert (sent["to"], sent["from"]) == ("+13125550147", SHOP_NUMBER)
    assert sent["body"] == (
        f"Otto's Auto Repair: your oil change is booked for {at(9):%a, %b} {at(9).day} at 9:00 AM. "
        "Call (312) 555-0100 to change it."
    )
    [record] = appointment.texts.all()
    assert (record.kind, record.status, record.twilio_sid, record.twilio_status) == (
        "confirmation",
        "sent",
        sent["sid"],
        "queued",
    )
    assert record.body == sent["body"] and record.sent_at is not None and record.attempts == 1


def test_customers_who_did_not_opt_in_get_nothing(shop, twilio, book, other_customer, at):
    appointment = book(at(9), who=other_customer)

    assert twilio.messages == [] and twilio.requests == []
    assert not appointment.texts.exists()


def test_nothing_is_texted_while_texts_are_off(shop, twilio, book, settings, at):
    settings.TEXTS_ENABLED = False
    book(at(9))
    assert twilio.messages == [] and not TextMessage.objects.exists()


def test_rescheduling_and_cancelling_are_texted_too(shop, twilio, book, committed, at):
    appointment = book(at(9))
    committed(reschedule_appointment, appointment, new_start=at(14), actor=agent)
    committed(cancel_appointment, appointment, actor=agent)

    bodies = [m["body"] for m in twilio.messages]
    assert len(bodies) == 3
    assert "is moved to" in bodies[1] and "at 2:00 PM" in bodies[1]
    assert "oil change on" in bodies[2] and "at 2:00 PM is cancelled" in bodies[2]
    assert [t.kind for t in appointment.texts.order_by("created_at")] == [
        "confirmation",
        "confirmation",
        "cancellation",
    ]


def test_a_text_task_delivered_twice_sends_one_text(shop, twilio, book, at):
    appointment = book(at(9))

    send_appointment_text.delay(appointment.pk, "confirmation")
    send_appointment_text.delay(appointment.pk, "confirmation")

    assert len(twilio.messages) == 1
    assert appointment.texts.count() == 1


def test_quiet_hours_hold_the_text_until_morning(shop, twilio, book, settings, at):
    quiet_now(settings)

    appointment = book(at(9))
    send_due_texts.delay()

    assert twilio.messages == []
    [held] = appointment.texts.all()
    assert held.status == "scheduled"
    morning = held.send_after
    assert morning > timezone.now() and morning.astimezone(shop.tz).time() == settings.QUIET_HOURS[1]

    assert texts.due_messages(now=morning) == [held.pk]
    assert texts.send_text(held.pk, now=morning) == "sent"
    assert len(twilio.messages) == 1


def test_a_move_before_the_first_confirmation_went_out_is_texted_as_a_booking(
    shop, twilio, book, committed, settings, at
):
    quiet_now(settings)
    appointment = book(at(9))
    committed(reschedule_appointment, appointment, new_start=at(14), actor=agent)
    morning = appointment.texts.first().send_after

    for message_id in texts.due_messages(now=morning):
        texts.send_text(message_id, now=morning)

    [sent] = twilio.messages
    assert "is booked for" in sent["body"] and "at 2:00 PM" in sent["body"]
    assert sorted(appointment.texts.values_list("status", flat=True)) == ["sent", "skipped"]


def test_quiet_hours_wrap_past_midnight(shop, settings):
    settings.QUIET_HOURS = (time(21), time(8))
    tz = shop.tz
    evening = datetime(2030, 6, 4, 22, 15, tzinfo=tz)
    early = datetime(2030, 6, 5, 6, 0, tzinfo=tz)
    noon = datetime(2030, 6, 5, 12, 0, tzinfo=tz)

    assert texts.first_allowed_time(evening, tz) == datetime(2030, 6, 5, 8, 0, tzinfo=tz)
    assert texts.first_allowed_time(early, tz) == datetime(2030, 6, 5, 8, 0, tzinfo=tz)
    assert texts.first_allowed_time(noon, tz) == noon
    assert texts.first_allowed_time(datetime(2030, 6, 5, 21, 0, tzinfo=tz), tz) == datetime(2030, 6, 6, 8, 0, tzinfo=tz)


def test_a_held_confirmation_is_dropped_if_the_appointment_is_cancelled_first(
    shop, twilio, book, committed, settings, at
):
    quiet_now(settings)
    appointment = book(at(9))
    committed(cancel_appointment, appointment, actor=agent)
    morning = appointment.texts.first().send_after

    for message_id in texts.due_messages(now=morning):
        texts.send_text(message_id, now=morning)

    assert [m["body"].endswith("is cancelled. Call (312) 555-0100 to book again.") for m in twilio.messages] == [True]
    statuses = dict(appointment.texts.values_list("kind", "status"))
    assert statuses == {"confirmation": "skipped", "cancellation": "sent"}


def test_twilio_overloaded_then_fine_sends_once(shop, twilio, book, at):
    twilio.fail_next(500, resource="Messages")

    appointment = book(at(9))

    assert len(twilio.messages) == 1
    record = appointment.texts.get()
    assert record.status == "sent" and record.attempts == 2


def test_a_number_twilio_refuses_is_recorded_and_not_retried(shop, twilio, book, at):
    twilio.invalid_numbers.add("+13125550147")

    appointment = book(at(9))

    record = appointment.texts.get()
    assert record.status == "failed" and "21211" in record.error
    assert len([r for r in twilio.requests if r.path.endswith("/Messages.json")]) == 1


def test_twilio_down_gives_up_after_the_retries(shop, twilio, book, at):
    twilio.fail_next(503, resource="Messages", times=10)

    appointment = book(at(9))

    record = appointment.texts.get()
    assert record.status == "failed" and "503" in record.error
    assert record.attempts == 3  # the first try and TEXTS_MAX_RETRIES=2 more


def test_a_reminder_goes_out_the_day_before_once(shop, twilio, book, at):
    appointment = book(at(9))
    day_before = at(10) - timedelta(days=1)

    assert texts.reminders_due(now=day_before) == [appointment.pk]
    reminder = texts.queue_text(appointment.pk, "reminder", now=day_before)
    assert texts.send_text(reminder.pk, now=day_before) == "sent"

    assert texts.reminders_due(now=day_before) == []
    assert twilio.messages[-1]["body"].startswith("Reminder from Otto's Auto Repair: your oil change is tomorrow,")
    assert appointment.texts.filter(kind="reminder").count() == 1


def test_no_reminder_right_after_the_confirmation(shop, twilio, book, at):
    appointment = book(at(9))
    day_before = at(10) - timedelta(days=1)
    TextMessage.objects.filter(appointment=appointment).update(created_at=day_before - timedelta(hours=2))

    assert texts.reminders_due(now=day_before) == []


def test_the_reminder_beat_texts_tomorrows_appointments(shop, twilio, customer, other_customer, oil_change):
    tomorrow_noon = datetime.combine(timezone.now().astimezone(shop.tz).date() + timedelta(days=1), time(12), shop.tz)
    for who in (customer, other_customer):
        Appointment.objects.create(
            customer=who, service_type=oil_change, start=tomorrow_noon, end=tomorrow_noon + timedelta(minutes=30)
        )

    assert queue_reminders.delay().get() == "1 reminders queued"
    queue_reminders.delay()

    [sent] = twilio.messages
    assert sent["to"] == customer.phone and "tomorrow" in sent["body"]


def test_a_message_left_mid_send_by_a_dead_worker_is_not_resent(shop, twilio, book, at):
    appointment = book(at(9))
    stuck = appointment.texts.get()
    TextMessage.objects.filter(pk=stuck.pk).update(status="sending", updated_at=timezone.now() - timedelta(hours=1))

    send_due_texts.delay()

    stuck.refresh_from_db()
    assert stuck.status == "failed" and "not resent" in stuck.error
    assert len(twilio.messages) == 1


def test_confirmations_turned_off_on_the_settings_page_are_not_texted(shop, twilio, book, committed, at):
    save_shop_settings(text_confirmations=False)
    appointment = book(at(9))
    assert twilio.messages == [] and not appointment.texts.exists()
    committed(cancel_appointment, appointment, actor=agent)  # other texts still go out
    assert [message.kind for message in appointment.texts.all()] == ["cancellation"]
    assert len(twilio.messages) == 1
