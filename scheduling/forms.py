"""The back office's appointment forms.

A slot is only known to be free once it has been taken, so these forms validate by calling
the booking actions: a refusal (full slot, closed day, ...) becomes a form error with the
action's own words, and nothing is written. The admin then shows the appointment the action
returned instead of saving the form's instance itself.

A time that overlaps the customer's other appointment is refused like the rest, but an advisor
may book over it: the refusal brings up a box for the reason, which the action records.
"""

import uuid

from django import forms
from django.db import transaction

from .actions import (
    NO_VEHICLE,
    BookingRefused,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_appointment_status,
    update_appointment_details,
)
from .models import Appointment

# Which field a refusal is about; anything else is shown above the form.
REFUSAL_FIELDS = {
    "slot_taken": "start",
    "outside_hours": "start",
    "closed": "start",
    "in_past": "start",
    "too_soon": "start",
    "too_far": "start",
    "service_inactive": "service_type",
    "waiter_not_allowed": "waiter",
    "customer_overlap": "overlap_reason",
}

# A refused change of details is about the vehicle or the waiting box, never the time.
DETAILS_REFUSAL_FIELDS = {"invalid": "vehicle", "slot_taken": "waiter", "waiter_not_allowed": "waiter"}


def _new_booking_key():
    return f"admin:{uuid.uuid4()}"


class AppointmentActionForm(forms.ModelForm):
    """Base: runs `apply()` (the domain actions) once the fields themselves are valid."""

    actor = None  # the admin sets Actor.advisor(request.user) per request

    # Hidden until the customer's other appointment is in the way (see offer_overlap_reason).
    overlap_reason = forms.CharField(
        required=False, max_length=300, widget=forms.HiddenInput, label="Reason to book anyway",
        help_text="To keep both appointments, say why; the reason goes into this appointment's history.",
    )

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():  # a refusal half-way undoes the earlier steps
                self.instance = self.apply()
        except BookingRefused as refusal:
            if refusal.code == "customer_overlap" or self.cleaned_data.get("overlap_reason"):
                self.offer_overlap_reason()
            field = self.field_for(refusal)
            self.add_error(field if field in self.fields else None, refusal.message)

    def offer_overlap_reason(self):
        """Show the reason box: the refusal names the overlap, and a reason given stays in sight."""
        self.fields["overlap_reason"].widget = forms.TextInput(attrs={"maxlength": "300", "size": "80"})

    def apply(self):
        raise NotImplementedError

    def field_for(self, refusal):
        return REFUSAL_FIELDS.get(refusal.code)

    def save(self, commit=True):
        # The actions already wrote everything; this only hands the admin the result.
        if self.errors:
            raise ValueError("The appointment could not be saved because the form has errors.")
        self.save_m2m = lambda: None
        return self.instance


class AppointmentBookingForm(AppointmentActionForm):
    # Makes a double-clicked Save book once: the key travels with the rendered form.
    booking_key = forms.CharField(widget=forms.HiddenInput, initial=_new_booking_key, max_length=100)

    class Meta:
        model = Appointment
        fields = ["customer", "vehicle", "service_type", "start", "waiter", "loaner_requested", "notes"]

    def clean(self):
        cleaned = super().clean()
        customer, vehicle = cleaned.get("customer"), cleaned.get("vehicle")
        if customer and vehicle and vehicle.owner_id != customer.pk:
            self.add_error("vehicle", f"That vehicle belongs to {vehicle.owner}, not to {customer}.")
        return cleaned

    def apply(self):
        data = self.cleaned_data
        return book_appointment(
            customer=data["customer"],
            service_type=data["service_type"],
            start=data["start"],
            actor=self.actor,
            vehicle=data.get("vehicle"),
            waiter=data.get("waiter", False),
            loaner_requested=data.get("loaner_requested", False),
            notes=data.get("notes", ""),
            idempotency_key=data["booking_key"],
            overlap_reason=data.get("overlap_reason", ""),
        )


class AppointmentChangeForm(AppointmentActionForm):
    """Move an appointment, change its details and its status; customer and service stay as booked."""

    DETAILS = ("notes", "vehicle", "loaner_requested", "waiter")

    class Meta:
        model = Appointment
        fields = ["start", "status", "vehicle", "waiter", "loaner_requested", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Validation writes the posted values into the instance; these are what was stored.
        self.stored = {name: getattr(self.instance, name) for name in ("start", "status", *self.DETAILS)}
        self.step = None

    def apply(self):
        data = self.cleaned_data
        appointment = self.instance
        details = {name: data[name] for name in self.DETAILS if data[name] != self.stored[name]}
        if details.get("vehicle", NO_VEHICLE) is None:
            details["vehicle"] = NO_VEHICLE
        # A waiter seat given up goes before a move, so the new time is only asked for what is kept.
        waiter_off = details.get("waiter") is False
        if waiter_off:
            appointment = self._change_details(appointment, details)
        appointment = self._move(appointment)
        if not waiter_off:
            appointment = self._change_details(appointment, details)
        status = data["status"]
        if status != self.stored["status"]:
            self.step = "status"
            if status == Appointment.Status.CANCELLED:
                appointment = cancel_appointment(appointment.pk, actor=self.actor, reason="Cancelled in the back office")
            else:
                appointment = set_appointment_status(appointment.pk, status, actor=self.actor)
        if appointment is self.instance:
            appointment.refresh_from_db()  # nothing changed; drop the form's unsaved values
        return appointment

    def _move(self, appointment):
        if self.cleaned_data["start"] == self.stored["start"]:
            return appointment
        self.step = "move"
        return reschedule_appointment(appointment.pk, new_start=self.cleaned_data["start"], actor=self.actor,
                                      overlap_reason=self.cleaned_data.get("overlap_reason", ""))

    @property
    def moved(self):
        """The appointment now starts at another time than the page showed (once it is valid)."""
        return self.instance.start != self.stored["start"]

    def _change_details(self, appointment, details):
        if not details:
            return appointment
        self.step = "details"
        return update_appointment_details(appointment.pk, actor=self.actor, **details)

    def field_for(self, refusal):
        if self.step == "details":
            return DETAILS_REFUSAL_FIELDS.get(refusal.code)
        return super().field_for(refusal)
