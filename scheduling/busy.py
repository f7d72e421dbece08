"""Busy time outside Otto's own appointments (the shop's Google Calendar), each taking a bay.

Staff block bays straight in the shop calendar; free/busy tells us when. The answer is cached
per shop-local day (GOOGLE_FREEBUSY_CACHE_SECONDS; a beat task keeps the next two weeks
warm), so the phone agent reads it from the cache. A stale day is served as it is while one
background thread refreshes it. Only a day never fetched costs a lookup, bounded by
GOOGLE_FREEBUSY_TIMEOUT_SECONDS; if Google is unreachable, availability comes from the
database alone, we say so in the log, and nobody waits on Google again for a while.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from . import calendar
from .calendar import CalendarError

log = logging.getLogger(__name__)

# After a failed lookup, how long every caller skips Google and uses the database alone.
UNREACHABLE_BACKOFF_SECONDS = 30
# How long a day's answer stays usable at all (stale, while a refresh is under way).
STALE_FACTOR = 10


def external_busy(start, end):
    """Busy intervals [(start, end), ...] overlapping [start, end), as aware datetimes."""
    if not calendar.is_configured() or end <= start:
        return []
    days = _days(start, end)
    keys = {day: _key(day) for day in days}
    found = cache.get_many(list(keys.values()))
    now = time.time()
    stale, missing, busy = [], [], []
    for day in days:
        entry = found.get(keys[day])
        if entry is None:
            missing.append(day)
            continue
        if now - entry["at"] > settings.GOOGLE_FREEBUSY_CACHE_SECONDS:
            stale.append(day)
        busy.extend(entry["busy"])
    if missing:
        busy.extend(_fetch_now(missing))
    if stale:
        _refresh_in_background(stale)
    start_ts, end_ts = start.timestamp(), end.timestamp()
    return sorted(
        (datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC))
        for s, e in {tuple(span) for span in busy}
        if s < end_ts and e > start_ts
    )


def refresh(start, end, *, quick=False):
    """Fetch free/busy for the shop-local days covering [start, end) and cache it. Raises CalendarError."""
    days = _days(start, end)
    tz = _tz()
    first = datetime.combine(days[0], datetime.min.time(), tz)
    last = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)
    spans = calendar.shop_calendar().busy(first, last, quick=quick)
    at = time.time()
    entries = {}
    for day in days:
        day_start = datetime.combine(day, datetime.min.time(), tz)
        day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
        entries[_key(day)] = {
            "at": at,
            "busy": [[s.timestamp(), e.timestamp()] for s, e in spans if s < day_end and e > day_start],
        }
    cache.set_many(entries, settings.GOOGLE_FREEBUSY_CACHE_SECONDS * STALE_FACTOR)
    cache.delete(_unreachable_key())
    return sum((e["busy"] for e in entries.values()), [])


def _fetch_now(days):
    reason = cache.get(_unreachable_key())
    if reason is not None:
        log.info("Google Calendar unreachable (%s); availability from the database alone", reason)
        return []
    tz = _tz()
    try:
        return refresh(
            datetime.combine(days[0], datetime.min.time(), tz),
            datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz),
            quick=True,
        )
    except CalendarError as exc:
        cache.set(_unreachable_key(), str(exc), UNREACHABLE_BACKOFF_SECONDS)
        log.warning("Google Calendar free/busy failed (%s); availability from the database alone", exc)
        return []


def _refresh_in_background(days):
    if not cache.add(f"{_prefix()}:refreshing:{days[0]}:{days[-1]}", 1, timeout=30):
        return  # someone is already on it
    tz = _tz()
    start = datetime.combine(days[0], datetime.min.time(), tz)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)

    def run():
        try:
            refresh(start, end)
        except CalendarError as exc:
            log.warning("Refreshing Google Calendar free/busy failed: %s", exc)
        except Exception:
            log.exception("Refreshing Google Calendar free/busy failed")

    threading.Thread(target=run, name="freebusy-refresh", daemon=True).start()


def _tz():
    from .shop_time_zone import shop_zone_name  # the Settings page's zone, as every reader's

    return ZoneInfo(shop_zone_name())


def _days(start, end):
    tz = _tz()
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _prefix():
    return f"scheduling:freebusy:{settings.GOOGLE_CALENDAR_ID}"


def _key(day):
    return f"{_prefix()}:{day.isoformat()}"


def _unreachable_key():
    return f"{_prefix()}:unreachable"
