"""Importing customers and vehicles from a spreadsheet, row by row, through crm.actions.

Used by `manage.py import_customers`. Each row is checked (phone, VIN, year, opt-in), compared
with the rows before it and with the customers on file, then written in its own transaction:
a row is imported whole or not at all. Re-importing a file adds nothing.

Within one file, several rows may share a phone (one row per vehicle of the same customer);
a row is rejected when it repeats an earlier row's vehicle, gives the phone a different name,
or gives a VIN already used for another phone.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .actions import add_vehicle, create_customer
from .models import Customer
from .phones import display_phone, normalize_phone
from .vin import normalize_vin

COLUMNS = ("name", "phone", "email", "vin", "year", "make", "model", "sms_opt_in")
_YES = {"y", "yes", "true", "1", "x"}
_NO = {"", "n", "no", "false", "0"}


class RowRejected(Exception):
    """The row is not imported; the message says why, for the person fixing the file."""


def _reason(exc):
    if not hasattr(exc, "error_dict"):
        return "; ".join(exc.messages)
    return "; ".join(
        message if field == "__all__" else f"{field}: {message}"
        for field, errors in exc.message_dict.items()
        for message in errors
    )


def _opt_in(value):
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RowRejected(f"sms_opt_in must be yes or no, not {value!r}")


def _year(value):
    text = value.strip()
    if not text:
        return None
    latest = timezone.now().year + 2
    if not text.isdigit() or not 1900 <= int(text) <= latest:
        raise RowRejected(f"year must be a model year from 1900 to {latest}, not {value!r}")
    return int(text)


class Import:
    def __init__(self):
        self.ignored_columns = []
        self.counts = dict.fromkeys(["created", "existing", "vehicles_added", "vehicles_existing"], 0)
        self._phones = {}  # E.164 -> (line, name) of the first accepted row
        self._vins = {}  # VIN -> (line, E.164)
        self._vehicles = {}  # (E.164, vehicle identity) -> line

    def check_header(self, fieldnames):
        if not fieldnames:
            raise RowRejected("the file is empty (a header row naming the columns is needed)")
        names = [(name or "").strip().lower() for name in fieldnames]
        if "phone" not in names:
            raise RowRejected(f"no 'phone' column in the header; the columns are {', '.join(COLUMNS)}")
        duplicates = sorted({name for name in names if names.count(name) > 1 and name})
        if duplicates:
            raise RowRejected(f"the header names {', '.join(duplicates)} more than once")
        self.ignored_columns = [name for name in names if name not in COLUMNS]
        return names

    def import_row(self, row, line):
        """Import one row (a dict of column -> text); RowRejected says why it was not."""
        values = {name: (row.get(name) or "").strip() for name in COLUMNS}
        try:
            phone = normalize_phone(values["phone"])
        except ValidationError as exc:
            raise RowRejected(f"phone: {_reason(exc)}") from None
        vin = ""
        if values["vin"]:
            try:
                vin = normalize_vin(values["vin"])
            except ValidationError as exc:
                raise RowRejected(f"VIN: {_reason(exc)}") from None
        year, sms_opt_in = _year(values["year"]), _opt_in(values["sms_opt_in"])
        vehicle = {"vin": vin, "year": year, "make": values["make"], "model": values["model"]}
        identity = self._vehicle_identity(vehicle)
        self._check_against_earlier_rows(phone, values["name"], vin, identity)

        try:
            with transaction.atomic():
                customer, created = self._customer(phone, values, sms_opt_in)
                added = self._vehicle(customer, vehicle, identity) if identity else False
        except ValidationError as exc:
            raise RowRejected(_reason(exc)) from None
        if created:
            self.counts["created"] += 1
        elif phone not in self._phones:  # an earlier row of this file may have created it
            self.counts["existing"] += 1
        if identity:
            self.counts["vehicles_added" if added else "vehicles_existing"] += 1
        self._phones.setdefault(phone, (line, values["name"]))
        if vin:
            self._vins.setdefault(vin, (line, phone))
        if identity:
            self._vehicles[(phone, identity)] = line

    def summary(self, *, rejected, dry_run):
        c = self.counts
        text = (
            f"{c['created']} customers created, {c['existing']} already on file (left as they were); "
            f"{c['vehicles_added']} vehicles added, {c['vehicles_existing']} already on file; "
            f"{rejected} rows rejected."
        )
        return f"Dry run, nothing saved: {text}" if dry_run else text

    # -- inside

    @staticmethod
    def _vehicle_identity(vehicle):
        if vehicle["vin"]:
            return ("vin", vehicle["vin"])
        described = (vehicle["year"], vehicle["make"].lower(), vehicle["model"].lower())
        return ("described", *described) if any(described) else None

    def _check_against_earlier_rows(self, phone, name, vin, identity):
        earlier = self._phones.get(phone)
        if earlier:
            first_line, first_name = earlier
            if identity is None:
                raise RowRejected(f"duplicate of line {first_line} (same phone {display_phone(phone)})")
            if (phone, identity) in self._vehicles:
                raise RowRejected(
                    f"duplicate of line {self._vehicles[(phone, identity)]} "
                    f"(same phone {display_phone(phone)} and vehicle)"
                )
            if name and first_name and name.casefold() != first_name.casefold():
                raise RowRejected(
                    f"phone {display_phone(phone)} is already on line {first_line} for {first_name!r}, not {name!r}"
                )
        if vin and vin in self._vins and self._vins[vin][1] != phone:
            raise RowRejected(f"VIN {vin} is already on line {self._vins[vin][0]} for another phone")

    def _customer(self, phone, values, sms_opt_in):
        existing = Customer.objects.filter(phone=phone).first()
        if existing is not None:
            return existing, False
        customer = create_customer(phone=phone, name=values["name"], email=values["email"], sms_opt_in=sms_opt_in)
        return customer, True

    def _vehicle(self, customer, vehicle, identity):
        """Add the vehicle unless the customer already has it; True if it was added."""
        if identity[0] == "vin":
            if customer.vehicles.filter(vin=vehicle["vin"]).exists():
                return False
        else:
            _, year, make, model = identity
            if customer.vehicles.filter(vin="", year=year, make__iexact=make, model__iexact=model).exists():
                return False
        add_vehicle(customer, **vehicle)
        return True
