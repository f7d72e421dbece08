"""When a service can start: a pure computation over loaded inputs (no database, no Django).

`slot_starts` lists the bookable starts in a window; `refusal_for` says why one proposed start
cannot be booked (or None). Both apply the same rules through the same code, so what the
phone agent offers is exactly what the booking transaction accepts. `waiter_refusal` asks the
same waiter rules of an appointment that is already booked.

Clock rules: opening hours, lunch and the slot grid are local wall-clock times in the shop's
time zone (a 9:00 slot is 9:00 on a daylight-saving change day too); durations, lead time
and overlaps are real elapsed time, counted in epoch seconds.
"""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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


class _Occupancy:
    """How many of something (bays, waiter seats) are taken over time: a step function.

    Built from half-open [start, end) intervals in epoch seconds; a booking that ends at
    9:00 and one that starts at 9:00 never overlap.
    """

    def __init__(self, intervals: Iterable[tuple[float, float]]):
        changes: dict[float, int] = {}
        for start, end in intervals:
            if start < end:
                changes[start] = changes.get(start, 0) + 1
                changes[end] = changes.get(end, 0) - 1
        self.times, self.levels = [-math.inf], [0]  # levels[i] holds from times[i] to times[i + 1]
        level = 0
        for moment in sorted(changes):
            level += changes[moment]
            self.times.append(moment)
            self.levels.append(level)

    def peak(self, start: float, end: float) -> int:
        """The most taken at any instant in [start, end)."""
        first = bisect_right(self.times, start) - 1
        return max(self.levels[first : bisect_left(self.times, end, lo=first + 1)])


@dataclass
class _Capacity:
    bays: _Occupancy
    waiters: _Occupancy | None

    @classmethod
    def of(cls, demand: Demand, *, waiters: bool) -> "_Capacity":
        bays = _Occupancy(
            [(b.start.timestamp(), b.end.timestamp()) for b in demand.booked]
            + [(start.timestamp(), end.timestamp()) for start, end in demand.busy]
        )
        seats = None
        if waiters:
            seats = _Occupancy((b.start.timestamp(), b.end.timestamp()) for b in demand.booked if b.waiter)
        return cls(bays, seats)

    def has_room(self, start: float, end: float, rules: ShopRules, waiter: bool) -> bool:
        if self.bays.peak(start, end) >= rules.bays:
            return False
        return not waiter or self.has_waiter_seat(start, end, rules)

    def has_waiter_seat(self, start: float, end: float, rules: ShopRules) -> bool:
        return self.waiters.peak(start, end) < rules.waiters_per_slot


def _open_periods(rules: ShopRules, day: date) -> list[tuple[float, float]]:
    """The shop's working periods on local date `day` in epoch seconds (lunch splits the day)."""
    if rules.is_closed(day):
        return []
    hours = rules.hours[day.weekday()]
    edges = [(hours.opens, hours.closes)]
    if hours.lunch_start is not None and hours.lunch_end is not None:
        edges = [(hours.opens, hours.lunch_start), (hours.lunch_end, hours.closes)]
    periods = []
    for begin, finish in edges:
        start = datetime.combine(day, begin, tzinfo=rules.timezone).timestamp()
        end = datetime.combine(day, finish, tzinfo=rules.timezone).timestamp()
        if start < end:
            periods.append((start, end))
    return periods


def _grid(rules: ShopRules, day: date) -> list[float]:
    """The day's slot starts in epoch seconds: every `slot_minutes` of wall-clock time from opening."""
    hours = rules.hours[day.weekday()]
    step = timedelta(minutes=max(rules.slot_minutes, 1))
    opens = datetime.combine(day, hours.opens)
    closes = datetime.combine(day, hours.closes)
    count = -(-(closes - opens) // step)
    opens_local = opens.replace(tzinfo=rules.timezone)
    if opens_local.utcoffset() == closes.replace(tzinfo=rules.timezone).utcoffset():
        # No clock change while open (nearly every day): wall-clock steps are real-time steps.
        first, seconds = opens_local.timestamp(), step.total_seconds()
        return [first + n * seconds for n in range(count)]
    starts = []
    for n in range(count):
        wall = opens + n * step
        instant = wall.replace(tzinfo=rules.timezone).astimezone(UTC)
        # Skip wall times that do not exist (the hour skipped when clocks spring forward).
        if instant.astimezone(rules.timezone).replace(tzinfo=None) == wall:
            starts.append(instant.timestamp())
    return starts


def _fits_hours(periods, start: float, end: float) -> bool:
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
    if waiter and not service.waiter_allowed:
        return []
    # Real time is counted in epoch seconds: aware arithmetic in one zone follows the wall clock.
    now_s = now.timestamp()
    earliest = max(window_start.timestamp(), now_s + rules.min_lead.total_seconds())
    before = window_end.timestamp()
    latest = min(before, now_s + rules.horizon.total_seconds())  # inclusive
    if earliest >= before or earliest > latest:
        return []
    duration = service.duration.total_seconds()
    capacity = _Capacity.of(demand, waiters=waiter)
    tz = rules.timezone
    day = datetime.fromtimestamp(earliest, tz).date()
    last_day = datetime.fromtimestamp(latest, tz).date()
    found = []
    while day <= last_day:
        periods = _open_periods(rules, day)
        if periods:
            for start in _grid(rules, day):
                if earliest <= start < before and start <= latest:
                    end = start + duration
                    if _fits_hours(periods, start, end) and capacity.has_room(start, end, rules, waiter):
                        found.append(datetime.fromtimestamp(start, tz))
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
    # Aware arithmetic in one zone follows the wall clock; real time needs UTC.
    start, now = start.astimezone(UTC), now.astimezone(UTC)
    refusal = _timing_refusal(rules, start, now)
    if refusal:
        return refusal
    if waiter and not service.waiter_allowed:
        return WAITER_NOT_ALLOWED
    periods = _open_periods(rules, start.astimezone(rules.timezone).date())
    if not periods:
        return CLOSED
    begin = start.timestamp()
    end = begin + service.duration.total_seconds()
    if not _fits_hours(periods, begin, end):
        return OUTSIDE_HOURS
    if not _Capacity.of(demand, waiters=waiter).has_room(begin, end, rules, waiter):
        return SLOT_TAKEN
    return None


def waiter_refusal(
    rules: ShopRules,
    service: ServiceRules,
    start: datetime,
    end: datetime,
    *,
    demand: Demand = Demand(),
) -> str | None:
    """Why a booked appointment [start, end) cannot become one the customer waits at, or None.

    Only the waiter rules are asked (the service allows waiting; a waiter seat is free the
    whole time): the appointment's time and bay were accepted when it was booked, and a
    customer who decides on the day to wait is not "too soon" or out of a bay.
    """
    if start.tzinfo is None or end.tzinfo is None:
        return INVALID
    if not service.waiter_allowed:
        return WAITER_NOT_ALLOWED
    if not _Capacity.of(demand, waiters=True).has_waiter_seat(start.timestamp(), end.timestamp(), rules):
        return SLOT_TAKEN
    return None


@dataclass(frozen=True)
class SlotRoom:
    """One slot of a day's grid, and what is still free all through it."""

    start: datetime
    end: datetime
    bays_left: int
    waiter_seats_left: int


def room_by_slot(rules: ShopRules, day: date, *, demand: Demand = Demand()) -> list[SlotRoom]:
    """Each slot on local date `day`'s grid inside the opening hours (lunch left out), with the bays
    and waiter seats free all through it, counted as bookings are: for the advisors' board."""
    periods = _open_periods(rules, day)
    if not periods:
        return []
    capacity = _Capacity.of(demand, waiters=True)
    starts = _grid(rules, day)
    tz = rules.timezone
    found = []
    for start, following in zip(starts, [*starts[1:], math.inf], strict=True):
        period = next((p for p in periods if p[0] <= start < p[1]), None)
        if period is None:
            continue
        end = min(following, period[1])
        found.append(
            SlotRoom(
                datetime.fromtimestamp(start, tz),
                datetime.fromtimestamp(end, tz),
                max(rules.bays - capacity.bays.peak(start, end), 0),
                max(rules.waiters_per_slot - capacity.waiters.peak(start, end), 0),
            )
        )
    return found
