"""Queue the slow work an appointment or repair order change causes: the calendar event and the customer's text."""

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Appointment, ShopProfile, TextMessage
from .repair_orders.tasks import queue_repair_order_text
from .shop_settings import TIME_ZONE_CACHE_KEY, TIME_ZONE_CACHE_SECONDS
from .signals import appointment_changed, repair_order_changed
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
    elif action == "status" and settings.TEXTS_ENABLED and _is_no_show(appointment_id):
        queue_appointment_text(appointment_id, TextMessage.Kind.NO_SHOW_FOLLOW_UP)


def _is_no_show(appointment_id):
    return Appointment.objects.filter(pk=appointment_id, status=Appointment.Status.NO_SHOW).exists()


@receiver(repair_order_changed, dispatch_uid="scheduling.queue_repair_order_work")
def queue_repair_order_work(sender, repair_order_id, action, status, **kwargs):
    # Sent after commit too. Only a status move is announced: line and note changes keep the status.
    if action == "status":
        queue_repair_order_text(repair_order_id, status)


@receiver(post_save, sender=ShopProfile, dispatch_uid="scheduling.remember_shop_time_zone")
def remember_shop_time_zone(sender, instance, **kwargs):
    """The pages' time zone is cached (scheduling/shop_time_zone.py): an edit in the admin shows at once."""
    cache.set(TIME_ZONE_CACHE_KEY, instance.timezone, TIME_ZONE_CACHE_SECONDS)
