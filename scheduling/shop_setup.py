"""The owners' changes to the shop's week, closures, services and FAQ entries: the one way the
managers' pages write them. Each change is validated by the model's own rules and saved whole or
not at all, so the agent never reads half a week.
"""

from dataclasses import dataclass
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Closure, FaqAnswer, OpeningHours


@dataclass(frozen=True)
class DayHours:
    """One weekday's hours as the owner set them; `opens` None means closed all day."""

    weekday: int
    opens: time | None = None
    closes: time | None = None
    lunch_start: time | None = None
    lunch_end: time | None = None

    @property
    def closed(self):
        return self.opens is None


def set_weekly_hours(days):
    """Replace the week's hours with `days` (one DayHours per weekday given). A closed day loses its
    OpeningHours row (a weekday without one is closed). Raises ValidationError keyed by weekday
    and saves nothing if any day is wrong."""
    rows, errors = {}, {}
    for day in days:
        if day.closed:
            continue
        row = OpeningHours.objects.filter(weekday=day.weekday).first() or OpeningHours(weekday=day.weekday)
        row.opens, row.closes, row.lunch_start, row.lunch_end = day.opens, day.closes, day.lunch_start, day.lunch_end
        try:
            row.full_clean(exclude=["weekday"])
        except ValidationError as exc:
            errors[day.weekday] = exc.messages
        rows[day.weekday] = row
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        closed = [day.weekday for day in days if day.closed]
        OpeningHours.objects.filter(weekday__in=closed).delete()
        for row in rows.values():
            row.save()


def add_closure(start_date, end_date, reason=""):
    closure = Closure(start_date=start_date, end_date=end_date, reason=reason.strip())
    closure.full_clean()
    closure.save()
    return closure


def remove_closure(pk):
    """Remove the closure `pk`; False if it was gone already."""
    deleted, _ = Closure.objects.filter(pk=pk).delete()
    return bool(deleted)


def save_services(services):
    """Save the services changed on the page (ServiceType instances, validated), all or none."""
    with transaction.atomic():
        for service in services:
            service.full_clean()
            service.save()


def save_faq_entry(entry):
    """Save a FAQ entry; the agent reads it only once `approved` is set."""
    entry.full_clean()
    entry.save()
    return entry


def delete_faq_entry(pk):
    deleted, _ = FaqAnswer.objects.filter(pk=pk).delete()
    return bool(deleted)
