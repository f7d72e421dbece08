"""An appointment's calendar sync and text are queued once, after the write commits; never for a write
that rolled back; and a broker that is down never fails the booking.

Tasks run in-process against loopback Google Calendar and Twilio; where a test only asks what
was queued, the task is replaced by a recorder.
"""

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from scheduling import tasks
from scheduling.actions import Actor, book_appointment, cancel_appointment, set_appointment_status
from scheduling.models import Appointment, TextMessage
from scheduling.tasks import queue_appointment_text, queue_calendar_sync
from scheduling.tests.vendors import google, run_tasks, twilio  # noqa: F401

agent = Actor.phone_agent("CA0007")
pytestmark = pytest.mark.usefixtures("run_tasks")


class RolledBack(Exception):
    pass


class BrokerDown:
    """A task whose broker refuses the connection, as Celery raises it when Redis is down."""

    def delay(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")


class Recorder:
    def __init__(self):
        self.queued = []

    def delay(self, *args, **kwargs):
        self.queued.append(args)


@pytest.fixture
def appointment(shop, customer, oil_change, at):
    """An appointment written without queueing anything."""
    return Appointment.objects.create(customer=customer, service_type=oil_change, start=at(9), end=at(9, 30))


@pytest.fixture
def book(committed, customer, oil_change, at):
    def booking(hour=9):
        return committed(book_appointment, customer=customer, service_type=oil_change, start=at(hour), actor=agent)

    return booking


def queue_failures(caplog):
    return [r for r in caplog.records if r.name == "scheduling.tasks" and r.getMessage().startswith("Could not queue")]


# --- Calendar sync ----------------------------------------------------------------------------


def test_the_calendar_sync_runs_once_after_the_write_commits(google, appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_calendar_sync(appointment.pk)
        assert google.calls("POST", "events") == []

    appointment.refresh_from_db()
    assert appointment.calendar_sync_state == "synced"
    assert len(google.event_for_appointment(appointment.pk)) == 1
    assert len(google.calls("POST", "events")) == 1


def test_no_calendar_sync_for_a_write_that_rolled_back(google, appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RolledBack), transaction.atomic():
            queue_calendar_sync(appointment.pk)
            raise RolledBack

    assert callbacks == []
    assert google.event_for_appointment(appointment.pk) == []
    appointment.refresh_from_db()
    assert appointment.calendar_sync_state == "pending"


def test_without_a_shop_calendar_nothing_is_queued(
    settings, appointment, monkeypatch, django_capture_on_commit_callbacks
):
    settings.GOOGLE_CALENDAR_ID = ""
    recorder = Recorder()
    monkeypatch.setattr(tasks, "sync_appointment_to_calendar", recorder)

    with django_capture_on_commit_callbacks(execute=True):
        queue_calendar_sync(appointment.pk)

    assert recorder.queued == []


def test_a_broker_outage_leaves_the_booking_pending_for_the_reconcile(google, book, monkeypatch, caplog):
    monkeypatch.setattr(tasks, "sync_appointment_to_calendar", BrokerDown())

    with caplog.at_level(logging.ERROR, logger="scheduling.tasks"):
        appointment = book()

    assert (appointment.status, appointment.calendar_sync_state) == ("booked", "pending")
    assert google.event_for_appointment(appointment.pk) == []
    [record] = queue_failures(caplog)
    assert record.getMessage() == f"Could not queue the calendar sync of appointment {appointment.pk}"
    assert isinstance(record.exc_info[1], OperationalError)


# --- Texts ------------------------------------------------------------------------------------


def test_the_text_goes_out_once_after_the_write_commits(twilio, appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_appointment_text(appointment.pk, TextMessage.Kind.CONFIRMATION)
        assert twilio.messages == []

    [sent] = twilio.messages
    [record] = appointment.texts.all()
    assert (record.kind, record.status, record.twilio_sid) == ("confirmation", "sent", sent["sid"])


def test_no_text_for_a_write_that_rolled_back(twilio, appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RolledBack), transaction.atomic():
            queue_appointment_text(appointment.pk, TextMessage.Kind.CONFIRMATION)
            raise RolledBack

    assert callbacks == []
    assert twilio.messages == []
    assert not TextMessage.objects.exists()


def test_with_texts_turned_off_nothing_is_queued(
    settings, appointment, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TEXTS_ENABLED = False
    recorder = Recorder()
    monkeypatch.setattr(tasks, "send_appointment_text", recorder)

    with django_capture_on_commit_callbacks(execute=True):
        queue_appointment_text(appointment.pk, TextMessage.Kind.CONFIRMATION)

    assert recorder.queued == []


def test_a_broker_outage_loses_the_text_not_the_booking(twilio, book, monkeypatch, caplog):
    monkeypatch.setattr(tasks, "send_appointment_text", BrokerDown())

    with caplog.at_level(logging.ERROR, logger="scheduling.tasks"):
        appointment = book()

    assert appointment.status == "booked"
    assert twilio.messages == []
    [record] = queue_failures(caplog)
    assert record.getMessage() == f"Could not queue the confirmation text for appointment {appointment.pk}"


# --- What each change queues ------------------------------------------------------------------


@pytest.fixture
def queued(google, twilio, monkeypatch):
    """What appointment changes queue: {"calendar": [(appointment_id,), ...], "texts": [(appointment_id, kind)]}."""
    calendar, texts = Recorder(), Recorder()
    monkeypatch.setattr(tasks, "sync_appointment_to_calendar", calendar)
    monkeypatch.setattr(tasks, "send_appointment_text", texts)
    return {"calendar": calendar.queued, "texts": texts.queued}


def test_a_booking_queues_its_calendar_sync_and_confirmation_once_each(queued, book):
    appointment = book()

    assert queued == {"calendar": [(appointment.pk,)], "texts": [(appointment.pk, "confirmation")]}


def test_a_cancellation_queues_the_calendar_sync_and_the_cancellation_text(queued, book, committed):
    appointment = book()
    committed(cancel_appointment, appointment, actor=agent)

    assert queued["calendar"] == [(appointment.pk,)] * 2
    assert queued["texts"] == [(appointment.pk, "confirmation"), (appointment.pk, "cancellation")]


def test_a_status_change_syncs_the_calendar_but_texts_nobody(queued, book, committed):
    appointment = book()
    queued["texts"].clear()
    committed(set_appointment_status, appointment, "confirmed", actor=agent)

    assert queued["calendar"] == [(appointment.pk,)] * 2
    assert queued["texts"] == []
