"""The shop's idea of "now": the wall clock, or a clock set to another moment.

Everything that decides with the current time (free slots, the lead time, "today" in a
tool's answer, the receptionist's "tomorrow") asks `now()` rather than the system clock, so
that a caller scenario can be played at "Saturday 22:50" on any day (manage.py
evaluate_calls). Setting the clock moves it for the whole process, every thread included;
time still runs from the moment it was set. Nothing sets it while serving calls.
"""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now():
    """An aware datetime (UTC)."""
    return datetime.now(UTC) + _offset


@contextmanager
def set_to(moment):
    """Within the block, `now()` starts at the aware datetime `moment` and runs on from there."""
    global _offset
    if moment.tzinfo is None:
        raise ValueError("set_to needs an aware datetime")
    before = _offset
    _offset = moment - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = before
