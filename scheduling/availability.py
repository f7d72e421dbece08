"""When a service can start: a pure computation over loaded inputs (no database, no Django).

`slot_starts` lists the bookable starts in a window; `refusal_for` says why one proposed start
cannot be booked (or None). Both apply the same rules through the same code, so what the
phone agent offers is exactly what the booking transaction accepts.

Clock rules: opening hours, lunch and the slot grid are local wall-clock times in the shop's
time zone (a 9:00 slot is 9:00 on a daylight-saving change day too); durations, lead time
and overlaps are real elapsed time, computed in UTC.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)

# Refusal codes (the same strings scheduling.actions.BookingRefused carries).
IN_PAST = "in_past"
TOO_SOON = "too_soon"
TOO_FAR = "too_far"
CLOSED = "closed"
OUTSIDE_HOURS = "outside_hours"
SLOT_TAKEN = "slot_taken"
WAITER_NOT_ALLOWED = "waiter_not_allowed"
INVALID = "invalid"


@dataclass(frozen=True)
class DayHours:
    """One weekday's hours; lunch is optional and must fall inside them."""

    opens: time
    closes: time
    lunch_start: time | None = None
    lunch_end: time | None = None


@dataclass(frozen=True)
class ShopRules:
    timezone: ZoneInfo
    hours: Mapping[int, DayHours]  # weekday (Monday=0) -> hours; a missing weekday is closed
    bays: int
    waiters_per_slot: int
    slot_minutes: int = 30
    min_lead: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=60)
    closures: tuple[tuple[date, date], ...] = ()  # inclusive date ranges

    def is_closed(self, day: date) -> bool:
        return day.weekday() not in self.hours or any(first <= day <= last for first, last in self.closures)


@dataclass(frozen=True)
class ServiceRules:
    duration: timedelta
    waiter_allowed: bool = True


@dataclass(frozen=True)
class BookedInterval:
    """An active appointment: it holds a bay, and a waiter seat when `waiter`."""

    start: datetime
    end: datetime
    waiter: bool = False


@dataclass(frozen=True)
class Demand:
    """What is already taking the shop's capacity around the time asked about."""

    booked: tuple[BookedInterval, ...] = ()
    busy: tuple[tuple[datetime, datetime], ...] = ()  # e.g. calendar blocks; each takes a bay

    @classmethod
    def of(cls, booked: Iterable[BookedInterval] = (), busy: Iterable[tuple[datetime, datetime]] = ()):
        return cls(tuple(booked), tuple(busy))


@dataclass
class _Occupancy:
    """How many bays (and waiter seats) are taken in each clock minute from `origin` on.

    Minutes are counted since the Unix epoch, so buckets line up with the clock and
    back-to-back bookings never share one; partial minutes are rounded outwards.
    """

    origin: int
    bays: list[int]
    waiters: list[int] | None

    @classmethod
    def build(cls, origin: datetime, until: datetime, demand: Demand, *, waiters: bool) -> "_Occupancy":
        base = _minute_floor(origin)
        size = _minute_ceil(until) - base + 1
        bay_steps = [0] * (size + 1)
        waiter_steps = [0] * (size + 1) if waiters else None
        for booking in demand.booked:
            span = _span(base, size, booking.start, booking.end)
            if span:
                bay_steps[span[0]] += 1
                bay_steps[span[1]] -= 1
                if waiter_steps is not None and booking.waiter:
                    waiter_steps[span[0]] += 1
                    waiter_steps[span[1]] -= 1
        for start, end in demand.busy:
            span = _span(base, size, start, end)
            if span:
                bay_steps[span[0]] += 1
                bay_steps[span[1]] -= 1
        return cls(base, list(accumulate(bay_steps)), list(accumulate(waiter_steps)) if waiters else None)

    def has_room(self, start: datetime, end: datetime, rules: ShopRules, waiter: bool) -> bool:
        span = _span(self.origin, len(self.bays) - 1, start, end)
        if span is None:
            return True
        first, last = span
        if max(self.bays[first:last]) >= rules.bays:
            return False
        return not waiter or max(self.waiters[first:last]) < rules.waiters_per_slot


def _minute_floor(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _minute_ceil(moment: datetime) -> int:
    return -int(-moment.timestamp() // 60)


def _span(base, size, start, end):
    """Minute indexes [first, last) covering start..end, clipped to [0, size); None if empty."""
    first = max(_minute_floor(start) - base, 0)
    last = min(_minute_ceil(end) - base, size)
    return (first, last) if first < last else None


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def open_periods(rules: ShopRules, day: date) -> list[tuple[datetime, datetime]]:
    """The shop's working periods on local date `day` as UTC instants (lunch splits the day)."""
    if rules.is_closed(day):
        return []
    hours = rules.hours[day.weekday()]
    tz = rules.timezone
    edges = [(hours.opens, hours.closes)]
    if hours.lunch_start is not None and hours.lunch_end is not None:
        edges = [(hours.opens, hours.lunch_start), (hours.lunch_end, hours.closes)]
    periods = []
    for begin, finish in edges:
        start, end = _aware(day, begin, tz).astimezone(UTC), _aware(day, finish, tz).astimezone(UTC)
        if start < end:
            periods.append((start, end))
    return periods


def _grid_starts(rules: ShopRules, day: date) -> list[datetime]:
    """The day's slot grid in UTC: every `slot_minutes` of wall-clock time from opening."""
    hours = rules.hours[day.weekday()]
    tz = rules.timezone
    step = timedelta(minutes=rules.slot_minutes)
    wall = datetime.combine(day, hours.opens)
    closes = datetime.combine(day, hours.closes)
    starts = []
    while wall < closes:
        local = wall.replace(tzinfo=tz)
        instant = local.astimezone(UTC)
        # Skip wall times that do not exist (the hour skipped when clocks spring forward).
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            starts.append(instant)
        wall += step
    return starts


def _fits_hours(periods, start: datetime, end: datetime) -> bool:
    return any(begin <= start and end <= finish for begin, finish in periods)


def _timing_refusal(rules: ShopRules, start: datetime, now: datetime) -> str | None:
    if start < now:
        return IN_PAST
    if start < now + rules.min_lead:
        return TOO_SOON
    if start > now + rules.horizon:
        return TOO_FAR
    return None


def slot_starts(
    rules: ShopRules,
    service: ServiceRules,
    window_start: datetime,
    window_end: datetime,
    *,
    now: datetime,
    demand: Demand = Demand(),
    waiter: bool = False,
) -> list[datetime]:
    """Bookable start times in [window_start, window_end), in the shop's time zone, ascending."""
    for moment in (window_start, window_end, now):
        if moment.tzinfo is None:
            raise ValueError("slot_starts needs timezone-aware datetimes")
    window_start, window_end, now = (m.astimezone(UTC) for m in (window_start, window_end, now))
    if waiter and not service.waiter_allowed:
        return []
    earliest = max(window_start, now + rules.min_lead)
    latest = min(window_end, now + rules.horizon + MINUTE)
    if earliest >= latest:
        return []
    tz = rules.timezone
    occupancy = _Occupancy.build(earliest, latest + service.duration, demand, waiters=waiter)
    day, last_day = earliest.astimezone(tz).date(), latest.astimezone(tz).date()
    found = []
    while day <= last_day:
        periods = open_periods(rules, day)
        if periods:
            for start in _grid_starts(rules, day):
                if not earliest <= start < latest or start > now + rules.horizon:
                    continue
                end = start + service.duration
                if _fits_hours(periods, start, end) and occupancy.has_room(start, end, rules, waiter):
                    found.append(start.astimezone(tz))
        day += timedelta(days=1)
    return found


def refusal_for(
    rules: ShopRules,
    service: ServiceRules,
    start: datetime,
    *,
    now: datetime,
    demand: Demand = Demand(),
    waiter: bool = False,
) -> str | None:
    """Why `start` cannot be booked for `service` (a refusal code above), or None if it can.

    Any minute may be proposed (an advisor may book off the grid); the grid only decides
    which starts are offered.
    """
    if start.tzinfo is None or now.tzinfo is None:
        return INVALID
    # Arithmetic on aware datetimes in one zone follows the wall clock; real time needs UTC.
    start, now = start.astimezone(UTC), now.astimezone(UTC)
    refusal = _timing_refusal(rules, start, now)
    if refusal:
        return refusal
    if waiter and not service.waiter_allowed:
        return WAITER_NOT_ALLOWED
    day = start.astimezone(rules.timezone).date()
    periods = open_periods(rules, day)
    if not periods:
        return CLOSED
    end = start + service.duration
    if not _fits_hours(periods, start, end):
        return OUTSIDE_HOURS
    if not _Occupancy.build(start, end, demand, waiters=waiter).has_room(start, end, rules, waiter):
        return SLOT_TAKEN
    return None
