"""The only ways to read customers by phone and to change customers and vehicles.

The admin, the phone agent's tools, the commands and the Celery tasks all call these.
"""

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction

from .models import Customer, Vehicle
from .phone_cache import customer_with_phone
from .phones import normalize_phone
from .tasks import queue_vin_decode
from .vin import normalize_vin


def find_customer_by_phone(raw_phone):
    """The customer whose phone is `raw_phone` (any reasonable format), or None.

    Raises ValidationError when `raw_phone` is not a phone number at all. Cached, since
    every incoming call asks; saving or deleting a customer drops the entry (crm.signals).
    """
    return customer_with_phone(normalize_phone(raw_phone))


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


def get_or_create_customer(*, phone, name="", email=""):
    """The customer on file for `phone`, created (with `name`, and `email` if it is valid) if there is none.

    Returns (customer, created). A customer already on file is returned as it is: `name` and
    `email` only go on a new record.
    """
    customer = find_customer_by_phone(phone)
    if customer is not None:
        return customer, False
    try:
        customer = create_customer(phone=phone, name=name)
    except ValidationError as exc:
        if exc.code != "phone_taken":
            raise
        return Customer.objects.get(phone=normalize_phone(phone)), False
    if email:
        _keep_email_if_valid(customer, email)
    if customer.name and Customer.objects.filter(name__iexact=customer.name).exclude(pk=customer.pk).exists():
        note_for_advisors(customer, "Put on file by phone under the same name as another customer: check who this is.")
    return customer, True


def add_missing_email(customer, email):
    """Put `email` on a customer who has none: "saved", or why not: "already_on_file" (an address on
    file is changed by an advisor, not by whoever calls from the number), "invalid", or "not_saved"
    (another customer's address: left for an advisor, see _keep_email_if_valid)."""
    if customer.email:
        return "already_on_file"
    try:
        EmailValidator()(email.strip())
    except ValidationError:
        return "invalid"
    _keep_email_if_valid(customer, email.strip())
    return "saved" if customer.email else "not_saved"


def note_for_advisors(customer, text):
    """Add a line to the customer's notes, where advisors see it on the customer's page."""
    customer.notes = "\n".join(filter(None, (customer.notes.strip(), text.strip())))
    customer.save(update_fields=["notes", "updated_at"])


def _keep_email_if_valid(customer, email):
    # A misheard email must not cost the caller their new record: the customer stays, without it.
    # Nor does an e-mail another customer gave: stored, it would tie this caller to their record
    # (and the caller hears nothing of it either way).
    if Customer.objects.filter(email__iexact=email.strip()).exclude(pk=customer.pk).exists():
        note_for_advisors(
            customer,
            "Gave an e-mail address on the phone that is on another customer's record; "
            "it was not saved. Check it with the customer.",
        )
        return
    customer.email = email
    try:
        customer.full_clean()
    except ValidationError:
        customer.email = ""
        return
    customer.save(update_fields=["email", "updated_at"])


def vehicles_of(customer):
    """The customer's vehicles, in their usual order."""
    return list(customer.vehicles.all())


def vehicle_of(customer, vehicle_id):
    """The customer's vehicle with id `vehicle_id`, or None: never another customer's, whatever the id."""
    try:
        return customer.vehicles.filter(pk=vehicle_id).first()
    except (TypeError, ValueError):  # not an id at all
        return None


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
        queue_vin_decode(vehicle.pk)
    return vehicle
