"""Appointments, their audit trail, and the texts customers get about them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .shop import ServiceType


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        """Appointments that hold a bay."""
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def overlapping(self, start, end):
        return self.filter(start__lt=end, end__gt=start)

    def upcoming(self, now):
        return self.active().filter(start__gte=now).order_by("start")


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CONFIRMED = "confirmed", "Confirmed"
        ARRIVED = "arrived", "Arrived"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class Source(models.TextChoices):
        PHONE_AGENT = "phone_agent", "Phone agent"
        ADVISOR = "advisor", "Service advisor"
        COMMAND = "command", "Command"

    class CalendarSync(models.TextChoices):
        PENDING = "pending", "Pending"
        SYNCED = "synced", "Synced"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED)

    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="appointments")
    vehicle = models.ForeignKey(
        "crm.Vehicle", on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    waiter = models.BooleanField(default=False, help_text="The customer waits at the shop (otherwise drop-off).")
    loaner_requested = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.ADVISOR)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    calendar_event_id = models.CharField(max_length=1024, blank=True)
    calendar_sync_state = models.CharField(max_length=8, choices=CalendarSync.choices, default=CalendarSync.PENDING)
    calendar_sync_error = models.TextField(blank=True)
    calendar_synced_at = models.DateTimeField(null=True, blank=True, help_text="Last sync attempt.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["customer", "start"], name="appt_customer_start"),
            models.Index(fields=["status", "start"], name="appt_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appt_ends_after_start"),
        ]

    def __str__(self):
        local = timezone.localtime(self.start)  # pages and admin run in the shop's zone (its middleware)
        return f"{self.service_type} for {self.customer.name or self.customer.phone} on {local:%a %b %-d %-I:%M %p}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES


class AppointmentChange(models.Model):
    """Audit trail: who changed an appointment, how, and what it was before."""

    class Actor(models.TextChoices):
        PHONE_AGENT = "phone_agent", "Phone agent"
        ADVISOR = "advisor", "Advisor"
        COMMAND = "command", "Command"
        TASK = "task", "Background task"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20)
    actor_kind = models.CharField(max_length=12, choices=Actor.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=120, blank=True, help_text="Call SID, command name or task.")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["appointment", "at"], name="apptchange_appt_at")]

    def __str__(self):
        who = self.actor_user or self.actor_label or self.get_actor_kind_display()
        return f"{self.action} by {who}"


class TextMessage(models.Model):
    """A text to a customer about an appointment or a repair order: what was (or will be) sent,
    and what Twilio said.

    One per appointment, kind and appointment time, so a repeated task never texts twice;
    a rescheduled appointment gets a fresh confirmation for its new time. One per repair order,
    kind and `about` (the status it announces, or the job line it follows up).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        REMINDER = "reminder", "Reminder"
        CANCELLATION = "cancellation", "Cancellation notice"
        NO_SHOW_FOLLOW_UP = "no_show", "Missed appointment: offer to rebook"
        REPAIR_STATUS = "repair_status", "Repair order status"
        DECLINED_WORK = "declined_work", "Declined work follow-up"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent (no longer applies)"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="texts", null=True, blank=True)
    repair_order = models.ForeignKey(
        "scheduling.RepairOrder", on_delete=models.CASCADE, related_name="texts", null=True, blank=True
    )
    about = models.CharField(
        max_length=40, blank=True, help_text="Repair order texts: the status announced, or the job line followed up."
    )
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="texts")
    to = models.CharField(max_length=16)
    body = models.TextField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    for_start = models.DateTimeField(null=True, blank=True, help_text="The appointment time this message is about.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    twilio_sid = models.CharField("Twilio SID", max_length=64, blank=True)
    twilio_status = models.CharField(max_length=20, blank=True, help_text="As Twilio reported it when accepting.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_after = models.DateTimeField(help_text="Not before this time (quiet hours push it to the morning).")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "for_start"], name="one_text_per_appointment_kind_time"
            ),
            models.UniqueConstraint(
                fields=["repair_order", "kind", "about"],
                condition=Q(repair_order__isnull=False),
                name="one_text_per_repair_order_kind_about",
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False) | Q(repair_order__isnull=False), name="text_is_about_something"
            ),
        ]
        indexes = [models.Index(fields=["status", "send_after"], name="text_status_send_after")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to} ({self.get_status_display().lower()})"
