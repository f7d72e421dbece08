"""Times in the back office's appointment forms: typed as people say them, offered from the free slots.

An advisor types "9:15 AM", "9:15am", "2 pm" or "14:00"; the start must be on the shop's slot
grid. Beside the box the day's free starts are listed, from the same `available_slots` the phone
agent offers from (with the walk-in flag: an advisor may book inside the minimum lead), and a
time the rules refuse comes back with the nearest free ones.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from ottos.lib import clock

from .actions import available_slots
from .models import OpeningHours, ShopProfile
from .refusals import BookingRefused, say_time

# Refusals about the time asked for: they come back with free alternatives.
TIME_REFUSALS = {"slot_taken", "outside_hours", "closed", "in_past", "too_soon", "too_far"}

TIME_FORMATS = ["%I:%M %p", "%I %p", "%H:%M", "%H:%M:%S"]
_MERIDIEM = re.compile(r"\s*([ap])\.?\s*m\.?$", re.IGNORECASE)

NEAREST = 3  # free starts offered on the day asked for
NEXT_DAYS = 2  # and on the next days with room
PER_NEXT_DAY = 3
LOOKAHEAD = timedelta(days=15)


def shop_today():
    return clock.now().astimezone(ShopProfile.load().tz).date()


def _midnight(day, tz):
    return datetime.combine(day, time(), tzinfo=tz)


def _label(moment, tz):
    return say_time(moment, tz)


def day_and_time(raw_day, default=None):
    """The day a page asks about: `raw_day` as posted (YYYY-MM-DD), else `default`'s shop day, else today."""
    try:
        return date.fromisoformat((raw_day or "").strip()), None
    except ValueError:
        pass
    if default is not None:
        local = default.astimezone(ShopProfile.load().tz)
        return local.date(), local.time()
    return shop_today(), None


class ClockTimeField(forms.TimeField):
    """A time as people type it: "9:15 AM", "9:15am", "2 pm", "14:00"."""

    input_formats = TIME_FORMATS
    default_error_messages = {"invalid": "Enter a time like 9:15 AM, 2 pm or 14:00."}

    def to_python(self, value):
        if isinstance(value, str):
            value = _MERIDIEM.sub(lambda m: f" {m[1]}m", " ".join(value.split()))
        return super().to_python(value)


class SlotPickerWidget(forms.MultiWidget):
    """A day box and a time box, with the day's free starts beside them as buttons."""

    picker_template = "admin/scheduling/appointment/slot_picker.html"

    def __init__(self, attrs=None):
        widgets = [
            forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "slot-day"}),
            forms.TextInput(
                attrs={"class": "slot-time", "size": "10", "placeholder": "9:15 AM", "autocomplete": "off"}
            ),
        ]
        super().__init__(widgets, attrs)
        self.picker = None  # the form sets a callable returning FreeTimes
        self.fixed_service = None
        self.moving = None  # the appointment being moved: its own time is free to it

    class Media:
        js = ["js/slot-picker.js"]

    def decompress(self, value):
        if not value:
            return [None, None]
        tz = ShopProfile.load().tz
        return [value.astimezone(tz).date(), _label(value, tz)]

    def render(self, name, value, attrs=None, renderer=None):
        boxes = super().render(name, value, attrs, renderer)
        return mark_safe(
            render_to_string(
                self.picker_template,
                {
                    "boxes": boxes,
                    "free": self.picker() if self.picker else None,
                    "fixed_service": self.fixed_service,
                    "moving": self.moving,
                    "free_times_url": reverse("admin:scheduling_appointment_free_times"),
                    "vehicles_url": reverse("admin:scheduling_appointment_vehicles"),
                },
            )
        )


class SlotStartField(forms.MultiValueField):
    """The day and the time, read in the shop's time zone."""

    widget = SlotPickerWidget

    def __init__(self, **kwargs):
        fields = (
            forms.DateField(input_formats=["%Y-%m-%d", "%m/%d/%Y"]),
            ClockTimeField(),
        )
        super().__init__(fields, require_all_fields=True, **kwargs)

    def compress(self, values):
        if not values:
            return None
        day, at = values
        return datetime.combine(day, at, tzinfo=ShopProfile.load().tz)


@dataclass
class FreeTimes:
    """What the slot picker shows: the day's free starts, or why there are none and the next days with room."""

    service_type: object = None
    day: date | None = None
    waiter: bool = False
    times: list = field(default_factory=list)  # (day "YYYY-MM-DD", label "9:30 AM")
    next_days: list = field(default_factory=list)  # (day label, [(day, label), ...])
    note: str = ""

    def render(self):
        return render_to_string("admin/scheduling/appointment/free_times.html", {"free": self})


def _free_starts(service_type, day, waiter, moving):
    """The free starts from `day` on, over LOOKAHEAD (from now when `day` is past), in the shop's zone."""
    tz = ShopProfile.load().tz
    start = _midnight(day, tz)
    end = max(start, clock.now()) + LOOKAHEAD
    return tz, available_slots(service_type, start, end, waiter=waiter, walk_in=True, exclude=moving)


def _split(starts, day, tz):
    that_day, later = [], {}
    for start in starts:
        local_day = start.astimezone(tz).date()
        if local_day == day:
            that_day.append(start)
        elif local_day > day and (local_day in later or len(later) < NEXT_DAYS):
            later.setdefault(local_day, []).append(start)
    return that_day, later


def free_times(service_type, day, *, waiter, moving=None):
    """The slot picker's content for `service_type` on `day`; `moving`: the appointment being moved."""
    day = day or shop_today()
    free = FreeTimes(service_type, day, waiter)
    if service_type is None:
        free.note = "Pick a service to see the free times."
        return free
    try:
        tz, starts = _free_starts(service_type, day, waiter, moving)
    except BookingRefused as refusal:
        free.note = refusal.message
        return free
    that_day, later = _split(starts, day, tz)
    free.times = [(day.isoformat(), _label(s, tz)) for s in that_day]
    if not that_day:
        free.note = f"Nothing is free on {day:%A, %B} {day.day}."
        free.next_days = [
            (f"{d:%A, %B} {d.day}", [(d.isoformat(), _label(s, tz)) for s in found[:PER_NEXT_DAY]])
            for d, found in later.items()
        ]
    return free


def alternatives(service_type, wanted, *, waiter, moving=None):
    """'Free that day: 9:30 AM, 10:00 AM. Next open days: Monday, December 7: 8:00 AM, ...' for a refused time
    (`moving`: the appointment being moved, whose own time counts as free)."""
    try:
        tz, starts = _free_starts(service_type, wanted.astimezone(ShopProfile.load().tz).date(), waiter, moving)
    except BookingRefused:
        return ""
    day = wanted.astimezone(tz).date()
    that_day, later = _split(starts, day, tz)
    nearest = sorted(sorted(that_day, key=lambda s: abs(s - wanted))[:NEAREST])
    said = []
    if nearest:
        said.append(f"Free that day: {', '.join(_label(s, tz) for s in nearest)}.")
    if later:
        days = "; ".join(
            f"{d:%A, %B} {d.day}: {', '.join(_label(s, tz) for s in found[:PER_NEXT_DAY])}"
            for d, found in later.items()
        )
        said.append(f"Next open days: {days}.")
    return " ".join(said) or "Nothing is free in the next two weeks."


def off_grid(start):
    """Why `start` is not on the shop's slot grid (starts every slot_minutes from opening), or None."""
    profile = ShopProfile.load()
    local = start.astimezone(profile.tz)
    hours = OpeningHours.objects.filter(weekday=local.weekday()).first()
    if hours is None:
        return None  # a closed day: the booking rules say so
    step = timedelta(minutes=max(profile.slot_minutes, 1))
    since_opening = local.replace(tzinfo=None) - datetime.combine(local.date(), hours.opens)
    if since_opening < timedelta(0) or not since_opening % step:
        return None
    return (
        f"{_label(start, profile.tz)} isn't a start time: appointments start every {profile.slot_minutes} "
        f"minutes from {hours.opens:%-I:%M %p}."
    )
