"""The shop itself: its profile, approved answers, services, hours and closures."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def _default_timezone():
    return settings.SHOP_TIME_ZONE


def _validate_timezone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone.") from None


class ShopProfile(models.Model):
    """The shop itself: one row. Also the capacity and booking rules the agent books against."""

    class AfterHours(models.TextChoices):
        BOOK = "book", "The agent answers and books, as in opening hours"
        MESSAGE = "message", "Callers leave a message (voicemail)"
        TRANSFER = "transfer", "Put callers through to the advisor number"

    name = models.CharField(max_length=120, default="Otto's Auto Repair")
    address = models.CharField(max_length=250, blank=True)
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +13125550100")
    timezone = models.CharField(max_length=64, default=_default_timezone, validators=[_validate_timezone])
    bays = models.PositiveSmallIntegerField(default=4, help_text="Appointments that can run at the same time.")
    waiters_per_slot = models.PositiveSmallIntegerField(
        default=2, help_text="Customers who wait at the shop that can be served at the same time."
    )
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Appointment start times are offered on this grid."
    )
    min_lead_minutes = models.PositiveIntegerField(
        default=120, help_text="How soon from now the earliest bookable slot may start."
    )
    booking_horizon_days = models.PositiveSmallIntegerField(default=60)
    declined_work_follow_up_days = models.PositiveSmallIntegerField(
        default=60,
        help_text="Declined repair work: how many days later the customer is reminded (by text, if they agreed).",
    )
    # What callers hear and where they are put through: the Settings page (/calls/settings/) edits
    # these, and scheduling.shop_settings is the one place that reads them, with the environment's
    # value where a field is left blank (None).
    greeting = models.CharField(
        max_length=300, blank=True, help_text='Blank: "Thanks for calling" and the shop\'s name.'
    )
    recording_disclosure = models.CharField(
        max_length=300, blank=True, help_text="Said after the greeting. Blank: RECORDING_DISCLOSURE."
    )
    advisor_number = models.CharField(
        max_length=16, blank=True, help_text="E.164; transfers ring it. Blank: SHOP_ADVISOR_NUMBER."
    )
    recording_enabled = models.BooleanField(
        null=True, blank=True, default=None, help_text="Keep the calls' audio. Unset: RECORDING_ENABLED."
    )
    text_confirmations = models.BooleanField(
        default=True, help_text="Text customers a confirmation when a booking is made or moved (needs TEXTS_ENABLED)."
    )
    voice = models.CharField(
        max_length=40, blank=True, help_text="The agent's Deepgram voice (a model name). Blank: VOICE_TTS_MODEL."
    )
    after_hours = models.CharField(
        max_length=10,
        choices=AfterHours.choices,
        default=AfterHours.BOOK,
        help_text="Calls outside opening hours (and on closures).",
    )

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
    """One FAQ entry: a question as callers ask it and the answer the shop wrote. The phone agent
    reads an entry only once it is approved; nothing else is quoted.

    Hours are no entry: callers hear them from OpeningHours and Closure, the rows bookings obey,
    so no text here can contradict them.
    """

    class Topic(models.TextChoices):
        LOCATION = "location", "Location and directions"
        PAYMENT = "payment", "Payment"
        WARRANTY = "warranty", "Warranty"
        LOANERS = "loaners", "Loaner cars and shuttle"
        MAKES = "makes", "Makes serviced"
        OTHER = "other", "Other"

    # The question each topic's entry answers, for entries written before questions were asked.
    TOPIC_QUESTIONS = {
        "location": "Where are you located?",
        "payment": "What forms of payment do you take?",
        "warranty": "What warranty do you give on repairs?",
        "loaners": "Do you have loaner cars or a shuttle?",
        "makes": "Which makes do you work on?",
        "other": "Anything else",
    }

    question = models.CharField(max_length=200, help_text='How callers ask it, e.g. "Do you have a shuttle?"')
    answer = models.TextField()
    topic = models.CharField(
        max_length=20,
        choices=Topic.choices,
        blank=True,
        help_text="Optional category: the agent reads every approved entry of a topic when asked about it. "
        "Opening hours and closures are not answered from here: the phone agent reads them from "
        "Opening hours and Closures, the same rows bookings follow.",
    )
    approved = models.BooleanField(default=False, help_text="Only approved entries are read to callers.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "question"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self):
        return self.question


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
