"""The back office's repair-order forms.

As with appointments (scheduling.forms), these validate by calling the repair-order actions: a
refusal becomes a form error in the action's own words and nothing is written. The admin then
shows the order the actions returned instead of saving the form's instance itself.
"""

from django import forms
from django.db import transaction

from ..models import JobLine, RepairOrder
from .actions import (
    SHOP_DETAILS,
    RepairOrderRefused,
    add_job_line,
    move_repair_order,
    open_repair_order,
    set_promised_time,
    set_shop_details,
    set_status_note,
)

Status = RepairOrder.Status
CHANGEABLE = [
    "status",
    "promised_at",
    "status_note",
    "status_note_approved",
    "technician",
    "mileage_in",
    "internal_notes",
]


class RepairOrderActionForm(forms.ModelForm):
    """Base: runs `apply()` (the repair-order actions) once the fields themselves are valid."""

    actor = None  # the admin sets Actor.advisor(request.user) per request

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():  # a refusal half-way undoes the earlier steps
                self.instance = self.apply()
        except RepairOrderRefused as refusal:
            self.add_error(None, refusal.message)

    def apply(self):
        raise NotImplementedError

    def save(self, commit=True):
        # The actions already wrote everything; this only hands the admin the result.
        if self.errors:
            raise ValueError("The repair order could not be saved because the form has errors.")
        self.save_m2m = lambda: None
        return self.instance


class RepairOrderOpenForm(RepairOrderActionForm):
    """Check a car in."""

    class Meta:
        model = RepairOrder
        fields = [
            "customer",
            "vehicle",
            "appointment",
            "promised_at",
            "mileage_in",
            "status_note",
            "status_note_approved",
            "technician",
            "internal_notes",
        ]

    def clean(self):
        cleaned = super().clean()
        customer, vehicle = cleaned.get("customer"), cleaned.get("vehicle")
        if customer and vehicle and vehicle.owner_id != customer.pk:
            self.add_error("vehicle", f"That vehicle belongs to {vehicle.owner}, not to {customer}.")
        return cleaned

    def apply(self):
        data = self.cleaned_data
        return open_repair_order(
            customer=data["customer"],
            vehicle=data["vehicle"],
            actor=self.actor,
            appointment=data.get("appointment"),
            promised_at=data.get("promised_at"),
            mileage_in=data.get("mileage_in"),
            status_note=data.get("status_note", ""),
            status_note_approved=data.get("status_note_approved", False),
            internal_notes=data.get("internal_notes", ""),
            technician=data.get("technician", ""),
        )


class RepairOrderChangeForm(RepairOrderActionForm):
    """Status, promised time, the note for callers and the shop's own details, each through its action."""

    EDITABLE = CHANGEABLE

    class Meta:
        model = RepairOrder
        fields = CHANGEABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Validation writes the posted values into the instance; these are what was stored.
        self.stored = {name: getattr(self.instance, name) for name in self.EDITABLE}

    def apply(self):
        data, order, actor = self.cleaned_data, self.instance, self.actor
        changed = {name for name in self.EDITABLE if name in data and data[name] != self.stored[name]}
        if "promised_at" in changed and _to_the_second(data["promised_at"]) == _to_the_second(
            self.stored["promised_at"]
        ):
            changed.discard("promised_at")  # the page shows seconds: a time set elsewhere came back unchanged
        if changed & set(SHOP_DETAILS):
            order = set_shop_details(order, actor=actor, **{name: data[name] for name in SHOP_DETAILS})
        if "promised_at" in changed:
            order = set_promised_time(order, data["promised_at"], actor=actor)
        if changed & {"status_note", "status_note_approved"}:
            order = set_status_note(order, data["status_note"], approved=data["status_note_approved"], actor=actor)
        if "status" in changed:
            order = move_repair_order(order, data["status"], actor=actor)
        if order is self.instance:
            order.refresh_from_db()  # nothing changed; drop the form's unsaved values
        return order


def _to_the_second(moment):
    return moment.replace(microsecond=0) if moment is not None else None


class NewJobLineForm(forms.ModelForm):
    """A line of work added on the order page; the admin adds it through add_job_line."""

    class Meta:
        model = JobLine
        fields = ["description", "estimate_low", "estimate_high", "amount", "requested_by_customer"]


class JobLineDecisionForm(forms.ModelForm):
    """An existing line: shown as it is, with what the customer decided at the counter."""

    APPROVE, DECLINE, DONE = "approve", "decline", "done"
    decision = forms.ChoiceField(
        required=False,
        label="customer's decision (in person)",
        choices=[("", "—"), (APPROVE, "Approved in person"), (DECLINE, "Declined in person"), (DONE, "Work done")],
    )
    reason = forms.CharField(required=False, max_length=200, label="reason declined")

    class Meta:
        model = JobLine
        fields = []


def add_lines(order, forms_, *, actor):
    """The new lines from the "add work" rows; returns the refusals, as sentences."""
    refused = []
    for form in forms_:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        data = form.cleaned_data
        try:
            add_job_line(
                order,
                description=data["description"],
                actor=actor,
                estimate_low=data.get("estimate_low"),
                estimate_high=data.get("estimate_high"),
                amount=data.get("amount"),
                requested_by_customer=data.get("requested_by_customer", False),
            )
        except RepairOrderRefused as refusal:
            refused.append(f"{data.get('description') or 'New work'}: {refusal.message}")
    return refused
