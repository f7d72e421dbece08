"""Queueing background work as the side effect of a write: after the write commits, and never failing it.

Each side effect has one `queue_...` function beside its task (crm.tasks.queue_vin_decode,
scheduling.tasks.queue_calendar_sync, scheduling.tasks.queue_appointment_text), built on
delay_on_commit; actions, the admin and commands all call those.
"""

from contextlib import contextmanager

from django.db import transaction

_held = None  # a list while held(): what would have been queued


@contextmanager
def held():
    """Within the block nothing is queued: each task that would be is appended to the list
    yielded, (task name, args, kwargs). For rehearsals (manage.py evaluate_calls), whose
    records live in a throwaway database: a worker reading the shop's own database must never
    get their ids, and no customer may get a text from one."""
    global _held
    before, _held = _held, []
    try:
        yield _held
    finally:
        _held = before


def delay_on_commit(task, *args, log, failure, **kwargs):
    """`task.delay(*args, **kwargs)` once the current transaction commits: at once outside a
    transaction, never if it rolls back (a worker must not find rows that were never written).

    A broker that cannot take the task is logged on `log` as `failure`, not raised: the write
    has committed by then, and its caller must not be told it failed.
    """

    if _held is not None:
        _held.append((task.name, args, kwargs))
        return

    def send():
        try:
            task.delay(*args, **kwargs)
        except Exception:
            log.exception(failure)

    transaction.on_commit(send)
