"""The back office's appointment forms.

A slot is only known to be free once it has been taken, so these forms validate by calling
the booking actions: a refusal (full slot, closed day, ...) becomes a form error with the
action's own words, and nothing is written. The admin then shows the appointment the action
returned instead of saving the form's instance itself.

A time that overlaps the customer's other appointment is refused like the rest, but an advisor
may book over it: the refusal brings up a box for the reason, which the action records.

Times are typed as people say them ("9:15 AM", "2 pm", "14:00") and must be on the shop's slot
grid; the free starts of the chosen day are offered beside the box (scheduling.booking_times),
and a refused time comes back with the nearest free ones. Advisors book walk-ins: the phone
agent's minimum lead does not hold them, the past does.
"""

import uuid

from django import forms
from django.db import transaction

from crm.models import Vehicle

from .actions import (
    NO_VEHICLE,
    BookingRefused,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_appointment_status,
    update_appointment_details,
)
from .booking_times import (
    TIME_REFUSALS,
    SlotStartField,
    alternatives,
    day_and_time,
    free_times,
    off_grid,
    shop_today,
)
from .models import Appointment, ServiceType

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
        required=False,
        max_length=300,
        widget=forms.HiddenInput,
        label="Reason to book anyway",
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
            wanted = self.time_wanted()  # before add_error takes the field out of cleaned_data
            self.add_error(field if field in self.fields else None, refusal.message)
            if field == "start" and refusal.code in TIME_REFUSALS:
                self.offer_alternatives(*wanted)

    def clean(self):
        cleaned = super().clean()
        service_type, start, waiter = self.time_wanted()
        if start is not None and service_type is not None and start != self.stored_start():
            refusal = off_grid(start)
            if refusal:
                self.add_error("start", refusal)
                self.offer_alternatives(service_type, start, waiter)
        return cleaned

    def time_wanted(self):
        """(service type, start, waiting) as asked for on the page; None where not known yet."""
        raise NotImplementedError

    def stored_start(self):
        return None

    def offer_alternatives(self, service_type, start, waiter):
        """The refused time's nearest free ones that day, and the next days with room, as a second error
        (an appointment being moved counts its own time as free)."""
        moving = self.instance.pk
        offered = alternatives(service_type, start, waiter=waiter, moving=moving) if service_type and start else ""
        if offered:
            self.add_error("start", offered)

    def show_free_times(self, service_type, day, waiter, *, fixed_service=False, moving=None):
        """The slot picker beside the start box: the day's free starts, computed only if the page is shown.
        `moving`: the appointment being moved, whose own time is free to it."""
        widget = self.fields["start"].widget
        widget.picker = lambda: free_times(service_type, day, waiter=waiter, moving=moving)
        widget.fixed_service = service_type if fixed_service else None
        widget.moving = moving

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


def _posted_or_initial(form, name):
    if form.is_bound:
        return form.data.get(form.add_prefix(name))
    value = form.initial.get(name)
    return getattr(value, "pk", value)


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _customer_vehicles(form, customer_id):
    """The vehicle list shows the chosen customer's vehicles only (the save checks the owner too)."""
    field = form.fields["vehicle"]
    if customer_id is None:
        field.widget.choices = [("", "Pick the customer first")]
        return
    vehicles = Vehicle.objects.filter(owner_id=customer_id).order_by("-year", "id")
    field.widget.choices = [("", "---------"), *((v.pk, str(v)) for v in vehicles)]


class AppointmentBookingForm(AppointmentActionForm):
    # Makes a double-clicked Save book once: the key travels with the rendered form.
    booking_key = forms.CharField(widget=forms.HiddenInput, initial=_new_booking_key, max_length=100)
    start = SlotStartField(label="Day and time")

    class Meta:
        model = Appointment
        fields = ["customer", "vehicle", "service_type", "waiter", "start", "loaner_requested", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = ServiceType.objects.filter(active=True).order_by("name")
        self.fields["start"].initial = [shop_today(), ""]
        _customer_vehicles(self, _pk(_posted_or_initial(self, "customer")))
        service_type = ServiceType.objects.filter(pk=_pk(_posted_or_initial(self, "service_type"))).first()
        day, _ = day_and_time(self.data.get(self.add_prefix("start_0")) if self.is_bound else None)
        waiter = bool(self.data.get(self.add_prefix("waiter"))) if self.is_bound else False
        self.show_free_times(service_type, day, waiter)

    def time_wanted(self):
        data = self.cleaned_data
        return data.get("service_type"), data.get("start"), bool(data.get("waiter"))

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
            walk_in=True,
        )


class AppointmentChangeForm(AppointmentActionForm):
    """Move an appointment, change its details and its status; customer and service stay as booked."""

    DETAILS = ("notes", "vehicle", "loaner_requested", "waiter")
    start = SlotStartField(label="Day and time")

    class Meta:
        model = Appointment
        fields = ["start", "status", "vehicle", "waiter", "loaner_requested", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Validation writes the posted values into the instance; these are what was stored.
        self.stored = {name: getattr(self.instance, name) for name in ("start", "status", *self.DETAILS)}
        self.step = None
        appointment = self.instance
        _customer_vehicles(self, appointment.customer_id)
        stored_day, _ = day_and_time(None, appointment.start)
        day, _ = (
            day_and_time(self.data.get(self.add_prefix("start_0")), appointment.start)
            if self.is_bound
            else (stored_day, None)
        )
        waiter = bool(self.data.get(self.add_prefix("waiter"))) if self.is_bound else appointment.waiter
        self.show_free_times(appointment.service_type, day, waiter, fixed_service=True, moving=appointment)

    def time_wanted(self):
        return self.instance.service_type, self.cleaned_data.get("start"), bool(self.cleaned_data.get("waiter"))

    def stored_start(self):
        return self.stored["start"]

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
                appointment = cancel_appointment(
                    appointment.pk, actor=self.actor, reason="Cancelled in the back office"
                )
            else:
                appointment = set_appointment_status(appointment.pk, status, actor=self.actor)
        if appointment is self.instance:
            appointment.refresh_from_db()  # nothing changed; drop the form's unsaved values
        return appointment

    def _move(self, appointment):
        if self.cleaned_data["start"] == self.stored["start"]:
            return appointment
        self.step = "move"
        return reschedule_appointment(
            appointment.pk,
            new_start=self.cleaned_data["start"],
            actor=self.actor,
            overlap_reason=self.cleaned_data.get("overlap_reason", ""),
            walk_in=True,
        )

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
