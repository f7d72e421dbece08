"""The only ways to read customers by phone and to change customers and vehicles.

The admin, the phone agent's tools, the commands and the Celery tasks all call these.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Customer, Vehicle
from .phones import normalize_phone
from .vin import normalize_vin

_MISSING = "missing"


def _cache_key(e164):
    return f"crm:customer-by-phone:{e164}"


def forget_cached_phone(e164):
    cache.delete(_cache_key(e164))


def forget_cached_phones(e164s):
    """forget_cached_phone for many numbers in one round trip (after bulk writes, which send no signals)."""
    cache.delete_many([_cache_key(e164) for e164 in e164s])


def find_customer_by_phone(raw_phone):
    """The customer whose phone is `raw_phone` (any reasonable format), or None.

    Raises ValidationError when `raw_phone` is not a phone number at all. Cached, since
    every incoming call asks; saving or deleting a customer drops the entry (crm.signals).
    """
    e164 = normalize_phone(raw_phone)
    key = _cache_key(e164)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _MISSING else cached
    customer = Customer.objects.filter(phone=e164).first()
    cache.set(key, customer if customer is not None else _MISSING, settings.CUSTOMER_CACHE_SECONDS)
    return customer


def create_customer(*, phone, name="", email="", sms_opt_in=False, notes=""):
    """Create a customer; ValidationError if the phone is invalid or already on file."""
    e164 = normalize_phone(phone)
    customer = Customer(phone=e164, name=name.strip(), email=email.strip(), sms_opt_in=sms_opt_in, notes=notes)
    customer.full_clean()
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ValidationError(f"A customer with phone {e164} is already on file.", code="phone_taken") from None
    return customer


def get_or_create_customer(*, phone, name=""):
    """The customer on file for `phone`, created (with `name`) if there is none."""
    customer = find_customer_by_phone(phone)
    if customer is not None:
        return customer, False
    try:
        return create_customer(phone=phone, name=name), True
    except ValidationError as exc:
        if exc.code != "phone_taken":
            raise
        return Customer.objects.get(phone=normalize_phone(phone)), False


def add_vehicle(customer, *, vin="", year=None, make="", model="", trim="", mileage=None):
    """Add a vehicle to `customer`. A VIN already on this customer's vehicle returns that vehicle.

    Raises ValidationError for a malformed VIN, or one that belongs to another customer
    (never saying whose).
    """
    vin = normalize_vin(vin) if vin else ""
    if vin:
        existing = Vehicle.objects.filter(vin=vin).first()
        if existing is not None:
            if existing.owner_id != customer.pk:
                raise ValidationError(
                    "That VIN is on file under a different customer; an advisor will need to check it.",
                    code="vin_other_owner",
                )
            return existing
    vehicle = Vehicle(owner=customer, vin=vin, year=year, make=make, model=model, trim=trim, mileage=mileage)
    vehicle.full_clean()
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        raise ValidationError("That VIN was just added for another customer.", code="vin_other_owner") from None
    if vin:
        transaction.on_commit(lambda: _vehicle_added(vehicle.pk))
    return vehicle


def _vehicle_added(vehicle_id):
    from .signals import vehicle_added

    vehicle_added.send(sender=Vehicle, vehicle_id=vehicle_id)
