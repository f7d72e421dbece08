"""Celery tasks of scheduling: calendar sync and the customer's texts.

Tasks take ids and reload, are acknowledged late (settings), and are idempotent: a repeated
or redelivered task changes nothing twice. Retryable vendor errors retry with exponential
backoff and full jitter; permanent ones are recorded and not retried. Without a worker
(the embedded default runs tasks in-process) nothing is retried inline: the failure is
recorded for the reconcile or an advisor's "resync".

queue_calendar_sync and queue_appointment_text are the one way to ask for that work after an
appointment changes; the appointment_changed receiver and the admin call them. Repair orders'
texts are scheduling.repair_orders.tasks (which uses send_recorded_text).
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from ottos.lib.queueing import delay_on_commit

from . import busy, calendar, calendar_sync, texts
from .calendar import CalendarError
from .models import TextMessage

log = logging.getLogger(__name__)

BACKOFF_MAX_SECONDS = 600


def _retry(task, exc, max_retries):
    """Raise Retry with backoff and jitter if another attempt is allowed; else return."""
    if settings.CELERY_TASK_ALWAYS_EAGER or task.request.retries >= max_retries:
        return
    countdown = get_exponential_backoff_interval(
        settings.TASK_RETRY_BACKOFF_SECONDS, task.request.retries, BACKOFF_MAX_SECONDS, full_jitter=True
    )
    raise task.retry(exc=exc, countdown=countdown, max_retries=max_retries)


def _will_retry(task, exc, max_retries):
    return exc.retryable and not settings.CELERY_TASK_ALWAYS_EAGER and task.request.retries < max_retries


# --- Google Calendar ---------------------------------------------------------------------------


@shared_task(bind=True)
def sync_appointment_to_calendar(self, appointment_id):
    """Create, update or delete the appointment's calendar event to match the appointment."""
    if not calendar.is_configured():
        return "not_configured"
    try:
        return calendar_sync.sync_appointment(appointment_id)
    except CalendarError as exc:
        max_retries = settings.CALENDAR_SYNC_MAX_RETRIES
        calendar_sync.record_failure(appointment_id, exc, will_retry=_will_retry(self, exc, max_retries))
        log.warning("Calendar sync of appointment %s failed: %s", appointment_id, exc)
        if exc.retryable:
            _retry(self, exc, max_retries)
        return "failed"


def queue_calendar_sync(appointment_id):
    """Bring the appointment's calendar event in line with it, in the background, once this transaction commits.

    Nothing is queued without a shop calendar. A broker outage is logged, not raised: the
    appointment stays "pending" and the reconcile (or an advisor's resync) syncs it.
    """
    if not calendar.is_configured():
        return
    delay_on_commit(
        sync_appointment_to_calendar,
        appointment_id,
        log=log,
        failure=f"Could not queue the calendar sync of appointment {appointment_id}",
    )


@shared_task(bind=True)
def reconcile_calendar(self, days=None):
    """Beat: repair drift between the next days' appointments and the calendar."""
    if not calendar.is_configured():
        return "not_configured"
    try:
        summary = calendar_sync.reconcile(days)
    except CalendarError as exc:
        log.warning("Calendar reconcile could not run: %s", exc)
        return f"failed: {exc}"
    log.info("Calendar reconcile: %s", summary)
    return str(summary)


@shared_task
def refresh_calendar_busy(days=None):
    """Beat: keep free/busy for the next days in the cache so the phone agent never waits."""
    if not calendar.is_configured():
        return "not_configured"
    now = timezone.now()
    try:
        spans = busy.refresh(now, now + timedelta(days=days or settings.CALENDAR_RECONCILE_DAYS))
    except CalendarError as exc:
        log.warning("Refreshing Google Calendar free/busy failed: %s", exc)
        return f"failed: {exc}"
    return f"{len(spans)} busy spans cached"


# --- Texts -------------------------------------------------------------------------------------


@shared_task(bind=True)
def send_appointment_text(self, appointment_id, kind):
    """Record the confirmation/reminder/cancellation/no-show text for an appointment and send it when due."""
    message = texts.queue_text(appointment_id, kind)
    if message is None:
        return "not_applicable"
    return send_recorded_text(self, message.pk)


def queue_appointment_text(appointment_id, kind):
    """Text the customer about the appointment (`kind`: a TextMessage.Kind), in the background, once
    this transaction commits.

    Nothing is queued with texts turned off; whether the text applies (opted in, still
    upcoming) is decided when it is sent. A broker outage is logged, not raised: this one
    text is lost, the appointment is not.
    """
    if not settings.TEXTS_ENABLED:
        return
    delay_on_commit(
        send_appointment_text,
        appointment_id,
        kind,
        log=log,
        failure=f"Could not queue the {kind} text for appointment {appointment_id}",
    )


@shared_task(bind=True)
def send_text_message(self, message_id):
    return send_recorded_text(self, message_id)


def send_recorded_text(task, message_id):
    """Send a recorded TextMessage from inside `task`: Twilio unreachable or overloaded retries the
    task with backoff, and after the last retry the message is marked failed."""
    try:
        return texts.send_text(message_id)
    except texts.TextNotSent as exc:
        _retry(task, exc, settings.TEXTS_MAX_RETRIES)
        TextMessage.objects.filter(pk=message_id, status=TextMessage.Status.SCHEDULED).update(
            status=TextMessage.Status.FAILED
        )
        return TextMessage.Status.FAILED


@shared_task
def send_due_texts():
    """Beat: send what quiet hours held back, and settle messages a dead worker left mid-send."""
    stuck = texts.release_stuck()
    due = texts.due_messages()
    for message_id in due:
        send_text_message.delay(message_id)
    return f"{len(due)} due, {stuck} stuck marked failed"


@shared_task
def queue_reminders():
    """Beat: a reminder the day before each appointment of an opted-in customer."""
    if not settings.TEXTS_ENABLED:
        return "texts disabled"
    queued = 0
    for appointment_id in texts.reminders_due():
        if texts.queue_text(appointment_id, TextMessage.Kind.REMINDER) is not None:
            queued += 1
    for message_id in texts.due_messages():
        send_text_message.delay(message_id)
    return f"{queued} reminders queued"
