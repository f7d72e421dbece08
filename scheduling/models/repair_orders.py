"""Repair orders: the shop's work on a car that is in the shop, from check-in to pickup.

A repair order usually grows from an appointment. Its status climbs a ladder callers can be
told about in plain words (see scheduling.repair_orders.words); its job lines are the work
estimated, approved, declined and done. Every change goes through scheduling.repair_orders.actions
and leaves a RepairOrderChange.

What the phone agent may say comes only from the status, the promised time, the job lines'
descriptions and estimates, and `status_note` once an advisor approved it; `internal_notes`
and `technician` are for the shop alone.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .appointments import AppointmentChange


class RepairOrderQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=RepairOrder.Status.PICKED_UP)


class RepairOrder(models.Model):
    class Status(models.TextChoices):
        CHECKED_IN = "checked_in", "Checked in"
        DIAGNOSING = "diagnosing", "Diagnosing"
        AWAITING_APPROVAL = "awaiting_approval", "Estimate sent, waiting for approval"
        WAITING_PARTS = "waiting_parts", "Waiting for parts"
        IN_PROGRESS = "in_progress", "In progress"
        READY = "ready", "Ready for pickup"
        PICKED_UP = "picked_up", "Picked up"
        ON_HOLD = "on_hold", "On hold"

    # The ladder, in order; ON_HOLD stands beside it (any open order can be held and resumed).
    LADDER = (
        Status.CHECKED_IN,
        Status.DIAGNOSING,
        Status.AWAITING_APPROVAL,
        Status.WAITING_PARTS,
        Status.IN_PROGRESS,
        Status.READY,
        Status.PICKED_UP,
    )
    OPEN_STATUSES = (
        Status.CHECKED_IN,
        Status.DIAGNOSING,
        Status.AWAITING_APPROVAL,
        Status.WAITING_PARTS,
        Status.IN_PROGRESS,
        Status.READY,
        Status.ON_HOLD,
    )

    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="repair_orders")
    vehicle = models.ForeignKey("crm.Vehicle", on_delete=models.PROTECT, related_name="repair_orders")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repair_orders",
        help_text="The appointment the car came in for, if any.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKED_IN)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    promised_at = models.DateTimeField(
        null=True, blank=True, help_text="When the shop told the customer it would be ready."
    )
    status_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="A sentence for the customer about where things stand. The phone agent reads it only once approved.",
    )
    status_note_approved = models.BooleanField(
        "note approved for callers",
        default=False,
        help_text="The phone agent may read the status note to the customer.",
    )
    internal_notes = models.TextField(blank=True, help_text="For the shop only: never read to callers.")
    technician = models.CharField(max_length=80, blank=True, help_text="For the shop only: never told to callers.")
    mileage_in = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RepairOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="ro_customer_status"),
            models.Index(fields=["status", "promised_at"], name="ro_status_promised"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="ro_closes_after_opening",
            ),
        ]

    def __str__(self):
        return f"RO {self.number}: {self.vehicle}"

    @property
    def number(self):
        return f"{self.pk:05d}" if self.pk else "new"

    @property
    def is_open(self):
        return self.status != self.Status.PICKED_UP


class JobLine(models.Model):
    """One piece of work on a repair order: estimated, then approved or declined, then done."""

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", "Recommended, waiting for the customer"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        DONE = "done", "Done"

    class Via(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        TEXT = "text", "By text"

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    estimate_low = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    estimate_high = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="The price, when it is one figure."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECOMMENDED)
    requested_by_customer = models.BooleanField(
        default=False, help_text="The customer asked for this (e.g. on the phone); an advisor prices it."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    decided_by = models.CharField(
        max_length=120,
        blank=True,
        help_text="Who approved or declined: the customer's name, or the advisor who took it.",
    )
    decided_call_sid = models.CharField(
        "call", max_length=64, blank=True, help_text="The phone call the decision was made on."
    )
    decided_words = models.TextField(blank=True, help_text="What the customer said when deciding, as heard.")
    decline_reason = models.CharField(max_length=200, blank=True)
    follow_up_on = models.DateField(null=True, blank=True, help_text="Declined work: when to remind the customer.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["repair_order", "id"]
        indexes = [models.Index(fields=["status", "follow_up_on"], name="jobline_status_follow_up")]

    def __str__(self):
        return self.description

    def clean(self):
        if self.estimate_low is not None and self.estimate_high is not None and self.estimate_low > self.estimate_high:
            raise ValidationError({"estimate_high": "The high end of the estimate is below the low end."})

    @property
    def estimate(self):
        """What a caller is told: an estimate in dollars, or "" when the line is not priced yet."""
        if self.amount is not None:
            return f"about ${self.amount:,.0f}"
        if self.estimate_low is None and self.estimate_high is None:
            return ""
        low = self.estimate_low if self.estimate_low is not None else self.estimate_high
        high = self.estimate_high if self.estimate_high is not None else self.estimate_low
        if low == high:
            return f"about ${low:,.0f}"
        return f"${low:,.0f} to ${high:,.0f}"

    @property
    def value(self):
        """The line's money for figures: the amount, else the estimate's high end (or low end)."""
        for figure in (self.amount, self.estimate_high, self.estimate_low):
            if figure is not None:
                return figure
        return None


class RepairOrderChange(models.Model):
    """Audit trail: who changed a repair order or one of its lines, how, and what it was before."""

    repair_order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="changes")
    line = models.ForeignKey(JobLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20)
    actor_kind = models.CharField(max_length=12, choices=AppointmentChange.Actor.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=120, blank=True, help_text="Call SID, command name or task.")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["repair_order", "at"], name="rochange_ro_at")]

    def __str__(self):
        who = self.actor_user or self.actor_label or self.actor_kind
        return f"{self.action} by {who}"
