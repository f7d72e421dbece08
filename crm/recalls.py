"""Recalls NHTSA lists for a vehicle's make, model and model year, and what the agent may say."""

import logging

from django.utils import timezone

from . import nhtsa
from .models import Vehicle

log = logging.getLogger(__name__)


def check_recalls(vehicle_id):
    """Fetch and store the recalls for the vehicle's make/model/year; their number, or None if
    the vehicle is not decoded enough to ask. Raises nhtsa.NhtsaError (NhtsaUnavailable: retry)."""
    vehicle = Vehicle.objects.filter(pk=vehicle_id).first()
    if vehicle is None or not (vehicle.make and vehicle.model and vehicle.year):
        return None
    recalls = nhtsa.recalls_for(vehicle.make, vehicle.model, vehicle.year)
    Vehicle.objects.filter(pk=vehicle.pk, make=vehicle.make, model=vehicle.model, year=vehicle.year).update(
        recalls=[r.as_dict() for r in recalls], recalls_checked_at=timezone.now()
    )
    return len(recalls)


def recall_notice(vehicle):
    """One sentence the phone agent may say. Never says this particular car is affected."""
    if vehicle.recalls_checked_at is not None:
        count = len(vehicle.recalls)
    elif vehicle.make and vehicle.model and vehicle.year:
        try:
            count = len(nhtsa.recalls_for(vehicle.make, vehicle.model, vehicle.year))
        except nhtsa.NhtsaError as exc:
            log.info("Recall lookup for vehicle %s failed: %s", vehicle.pk, exc)
            return "I can't reach NHTSA's recall list right now; an advisor can check it for you."
    else:
        return "I'd need the year, make and model, or the VIN, to look up recalls."
    listed = "no recalls" if count == 0 else f"{count} recall{'s' if count != 1 else ''}"
    return f"NHTSA lists {listed} for that model year; an advisor will confirm for the specific VIN."
