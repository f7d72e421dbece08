"""Queue the slow work an appointment change causes: the calendar event and the customer's text."""

import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from . import calendar
from .models import TextMessage
from .signals import appointment_changed

log = logging.getLogger(__name__)

_TEXT_FOR_ACTION = {
    "booked": TextMessage.Kind.CONFIRMATION,
    "rescheduled": TextMessage.Kind.CONFIRMATION,
    "cancelled": TextMessage.Kind.CANCELLATION,
}


@receiver(appointment_changed, dispatch_uid="scheduling.queue_appointment_work")
def queue_appointment_work(sender, appointment_id, action, **kwargs):
    # The signal is sent after commit already; on_commit also covers a sender inside a transaction.
    transaction.on_commit(lambda: _queue(appointment_id, action))


def _queue(appointment_id, action):
    from .tasks import send_appointment_text, sync_appointment_to_calendar

    # A broker outage must not fail the booking: the appointment stays "pending" and the
    # reconcile syncs it; texts are only lost for this one change.
    if calendar.is_configured():
        try:
            sync_appointment_to_calendar.delay(appointment_id)
        except Exception:
            log.exception("Could not queue the calendar sync of appointment %s", appointment_id)
    kind = _TEXT_FOR_ACTION.get(action)
    if kind and settings.TEXTS_ENABLED:
        try:
            send_appointment_text.delay(appointment_id, kind)
        except Exception:
            log.exception("Could not queue the %s text for appointment %s", kind, appointment_id)
