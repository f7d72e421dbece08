"""Celery tasks of crm: VIN decoding and recalls. Take ids, reload, idempotent, retry with backoff.

queue_vin_decode is the one way to ask for a decode; actions, the admin and commands call it.
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ottos.lib.queueing import delay_on_commit

from . import decoding, recalls
from .models import Vehicle
from .nhtsa import NhtsaError, NhtsaUnavailable

log = logging.getLogger(__name__)

# Below the Redis visibility timeout (1 h), past which a waiting retry would be delivered twice.
BACKOFF_MAX_SECONDS = 600
RECALLS_MAX_AGE = timedelta(days=30)


def _retry(task, exc):
    if settings.CELERY_TASK_ALWAYS_EAGER or task.request.retries >= settings.NHTSA_MAX_RETRIES:
        return
    countdown = get_exponential_backoff_interval(
        settings.TASK_RETRY_BACKOFF_SECONDS, task.request.retries, BACKOFF_MAX_SECONDS, full_jitter=True
    )
    raise task.retry(exc=exc, countdown=countdown, max_retries=settings.NHTSA_MAX_RETRIES)


@shared_task(bind=True)
def decode_vehicle(self, vehicle_id, force=False):
    """Fill year/make/model/trim from the VIN; with vPIC down keep the offline decode and retry."""
    try:
        outcome = decoding.decode_vehicle(vehicle_id, force=force)
    except NhtsaUnavailable as exc:
        log.info("vPIC unavailable for vehicle %s (%s); kept the offline decode", vehicle_id, exc)
        _retry(self, exc)
        return "offline"
    if outcome == "decoded":
        fetch_recalls.delay(vehicle_id)
    return outcome


def queue_vin_decode(vehicle_id, *, force=False):
    """Decode the vehicle's VIN (then check its recalls) in the background once this transaction commits.

    `force` decodes again a VIN already decoded. A broker outage is logged, not raised: the
    vehicle is saved, and `manage.py decode_vins` decodes what was missed.
    """
    delay_on_commit(
        decode_vehicle,
        vehicle_id,
        force=force,
        log=log,
        failure=f"Could not queue the VIN decode of vehicle {vehicle_id}; `manage.py decode_vins` will do it",
    )


@shared_task(bind=True)
def fetch_recalls(self, vehicle_id):
    try:
        count = recalls.check_recalls(vehicle_id)
    except NhtsaUnavailable as exc:
        _retry(self, exc)
        return "unavailable"
    except NhtsaError as exc:
        log.warning("NHTSA recalls for vehicle %s failed: %s", vehicle_id, exc)
        return "failed"
    return "not_decoded" if count is None else f"{count} recalls"


@shared_task
def refresh_stale_recalls(limit=200):
    """Beat: recheck recalls not looked at for a month (new campaigns appear over time)."""
    stale = (
        Vehicle.objects.exclude(make="")
        .exclude(model="")
        .exclude(year=None)
        .filter(Q(recalls_checked_at=None) | Q(recalls_checked_at__lt=timezone.now() - RECALLS_MAX_AGE))
        .order_by("recalls_checked_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(stale)
    for vehicle_id in ids:
        fetch_recalls.delay(vehicle_id)
    return f"{len(ids)} vehicles queued"
