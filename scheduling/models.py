import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def _default_timezone():
    return settings.SHOP_TIME_ZONE


def _validate_timezone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone.") from None


class ShopProfile(models.Model):
    """The shop itself: one row. Also the capacity and booking rules the agent books against."""

    name = models.CharField(max_length=120, default="Otto's Auto Repair")
    address = models.CharField(max_length=250, blank=True)
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +13125550100")
    timezone = models.CharField(max_length=64, default=_default_timezone, validators=[_validate_timezone])
    bays = models.PositiveSmallIntegerField(default=4, help_text="Appointments that can run at the same time.")
    waiters_per_slot = models.PositiveSmallIntegerField(
        default=2, help_text="Customers who wait at the shop that can be served at the same time."
    )
    slot_minutes = models.PositiveSmallIntegerField(default=30, help_text="Appointment start times are offered on this grid.")
    min_lead_minutes = models.PositiveIntegerField(
        default=120, help_text="How soon from now the earliest bookable slot may start."
    )
    booking_horizon_days = models.PositiveSmallIntegerField(default=60)

    class Meta:
        verbose_name = "shop profile"

    def __str__(self):
        return self.name

    @classmethod
    def load(cls):
        profile = cls.objects.order_by("pk").first()
        return profile if profile is not None else cls.objects.create()

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.timezone)


class FaqAnswer(models.Model):
    """Text the shop approved for the phone agent to quote. Nothing else is quoted.

    Hours are no topic: callers hear them from OpeningHours and Closure, the rows bookings obey,
    so no text here can contradict them.
    """

    class Topic(models.TextChoices):
        LOCATION = "location", "Location and directions"
        PAYMENT = "payment", "Payment"
        WARRANTY = "warranty", "Warranty"
        LOANERS = "loaners", "Loaner cars and shuttle"
        MAKES = "makes", "Makes serviced"
        OTHER = "other", "Other"

    topic = models.CharField(
        max_length=20, choices=Topic.choices, unique=True,
        help_text="Opening hours and closures are not answered from here: the phone agent reads them from "
                  "Opening hours and Closures, the same rows bookings follow.",
    )
    answer = models.TextField()
    approved = models.BooleanField(default=True, help_text="Only approved answers are read to callers.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic"]
        verbose_name = "approved FAQ answer"

    def __str__(self):
        return self.get_topic_display()


class ServiceType(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=250, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    price_low = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    price_high = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    waiter_allowed = models.BooleanField(
        default=True, help_text="The customer may wait at the shop; otherwise drop-off only."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.duration_minutes is not None and self.duration_minutes <= 0:
            raise ValidationError({"duration_minutes": "A service takes at least a minute."})
        if self.price_low is not None and self.price_high is not None and self.price_low > self.price_high:
            raise ValidationError({"price_high": "The high end of the price range is below the low end."})

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @property
    def price_estimate(self):
        """What callers are told: an estimate, never a quote."""
        if self.price_low is None:
            return ""
        low = f"${self.price_low:,.0f}"
        if self.price_high is None or self.price_high == self.price_low:
            return f"about {low}"
        return f"{low} to ${self.price_high:,.0f}"


class OpeningHours(models.Model):
    """Regular weekly hours. A weekday without a row is a closed day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens = models.TimeField()
    closes = models.TimeField()
    lunch_start = models.TimeField(null=True, blank=True)
    lunch_end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self):
        if self.opens and self.closes and self.opens >= self.closes:
            raise ValidationError("The shop must open before it closes.")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValidationError("Give both the start and the end of lunch, or neither.")
        if self.lunch_start and not (self.opens <= self.lunch_start < self.lunch_end <= self.closes):
            raise ValidationError("Lunch must fall inside opening hours and end after it starts.")


class Closure(models.Model):
    """Holidays and other days the shop is closed (inclusive date range)."""

    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start_date"]

    def __str__(self):
        span = f"{self.start_date}" if self.start_date == self.end_date else f"{self.start_date} to {self.end_date}"
        return f"{self.reason or 'Closed'} ({span})"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError("A closure cannot end before it starts.")


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
    calendar_sync_state = models.CharField(
        max_length=8, choices=CalendarSync.choices, default=CalendarSync.PENDING
    )
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
        local = self.start.astimezone(zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE))
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
    """A text to a customer about an appointment: what was (or will be) sent, and what Twilio said.

    One per appointment, kind and appointment time, so a repeated task never texts twice;
    a rescheduled appointment gets a fresh confirmation for its new time.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        REMINDER = "reminder", "Reminder"
        CANCELLATION = "cancellation", "Cancellation notice"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent (no longer applies)"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="texts")
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="texts")
    to = models.CharField(max_length=16)
    body = models.TextField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    for_start = models.DateTimeField(help_text="The appointment time this message is about.")
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
            models.UniqueConstraint(fields=["appointment", "kind", "for_start"], name="one_text_per_appointment_kind_time"),
        ]
        indexes = [models.Index(fields=["status", "send_after"], name="text_status_send_after")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to} ({self.get_status_display().lower()})"
