"""Filling in a vehicle from its VIN: NHTSA vPIC when it answers, the offline decoder when not."""

import logging

from django.utils import timezone

from . import nhtsa
from .models import Vehicle

log = logging.getLogger(__name__)


def decode_vehicle(vehicle_id, *, force=False):
    """Decode the vehicle's VIN and store year, make, model and trim. Returns what happened.

    "decoded" (vPIC), "undecodable" (vPIC could not decode it; the offline decode is kept),
    "already_decoded", "no_vin", "missing". When vPIC is unreachable the offline decode
    (manufacturer and model year) is stored and NhtsaUnavailable is raised so the caller
    can try again later. Idempotent.
    """
    vehicle = Vehicle.objects.filter(pk=vehicle_id).first()
    if vehicle is None:
        return "missing"
    if not vehicle.vin:
        return "no_vin"
    if vehicle.decode_source == Vehicle.DecodeSource.VPIC and not force:
        return "already_decoded"
    try:
        decoded = nhtsa.decode_vin(vehicle.vin)
    except nhtsa.NhtsaUnavailable:
        _apply_offline(vehicle)
        raise
    except nhtsa.NhtsaError as exc:
        _apply_offline(vehicle, error=str(exc))
        log.info("vPIC could not decode VIN of vehicle %s: %s", vehicle.pk, exc)
        return "undecodable"
    fields = {
        k: v
        for k, v in (("year", decoded.year), ("make", decoded.make), ("model", decoded.model), ("trim", decoded.trim))
        if v
    }
    _store(vehicle, decoded.as_dict(), Vehicle.DecodeSource.VPIC, **fields)
    return "decoded"


def _apply_offline(vehicle, error=""):
    if vehicle.decode_source == Vehicle.DecodeSource.VPIC:
        return
    decoded = nhtsa.decode_vin_offline(vehicle.vin)
    # Only fills gaps: what an advisor typed is better than a manufacturer name.
    fields = {}
    if decoded.year and not vehicle.year:
        fields["year"] = decoded.year
    if decoded.make and not vehicle.make:
        fields["make"] = decoded.make
    details = decoded.as_dict()
    if error:
        details["vpic_error"] = error
    _store(vehicle, details, Vehicle.DecodeSource.OFFLINE, **fields)


def _store(vehicle, details, source, **fields):
    now = timezone.now()
    # Conditional on the VIN: if someone corrected it meanwhile, this decode is for another car.
    Vehicle.objects.filter(pk=vehicle.pk, vin=vehicle.vin).update(
        decoded=details, decoded_at=now, decode_source=source, updated_at=now, **fields
    )
