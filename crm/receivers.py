"""Queue a VIN decode when a vehicle with a VIN is added."""

import logging

from django.db import transaction
from django.dispatch import receiver

from .signals import vehicle_added

log = logging.getLogger(__name__)


@receiver(vehicle_added, dispatch_uid="crm.queue_vin_decode")
def queue_vin_decode(sender, vehicle_id, **kwargs):
    transaction.on_commit(lambda: _queue(vehicle_id))


def _queue(vehicle_id):
    from .tasks import decode_vehicle

    try:
        decode_vehicle.delay(vehicle_id)
    except Exception:  # a broker outage must not fail the caller who added the vehicle
        log.exception("Could not queue the VIN decode of vehicle %s; `manage.py decode_vins` will do it", vehicle_id)
