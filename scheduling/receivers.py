"""Queue the slow work an appointment change causes: the calendar event and the customer's text."""

from django.dispatch import receiver

from .models import TextMessage
from .signals import appointment_changed
from .tasks import queue_appointment_text, queue_calendar_sync

_TEXT_FOR_ACTION = {
    "booked": TextMessage.Kind.CONFIRMATION,
    "rescheduled": TextMessage.Kind.CONFIRMATION,
    "cancelled": TextMessage.Kind.CANCELLATION,
}


@receiver(appointment_changed, dispatch_uid="scheduling.queue_appointment_work")
def queue_appointment_work(sender, appointment_id, action, **kwargs):
    # appointment_changed is sent after commit, so the queue functions' on_commit sends at once.
    queue_calendar_sync(appointment_id)
    kind = _TEXT_FOR_ACTION.get(action)
    if kind:
        queue_appointment_text(appointment_id, kind)
