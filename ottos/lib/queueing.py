"""Queueing background work as the side effect of a write: after the write commits, and never failing it.

Each side effect has one `queue_...` function beside its task (crm.tasks.queue_vin_decode,
scheduling.tasks.queue_calendar_sync, scheduling.tasks.queue_appointment_text), built on
delay_on_commit; actions, the admin and commands all call those.
"""

from django.db import transaction


def delay_on_commit(task, *args, log, failure, **kwargs):
    """`task.delay(*args, **kwargs)` once the current transaction commits: at once outside a
    transaction, never if it rolls back (a worker must not find rows that were never written).

    A broker that cannot take the task is logged on `log` as `failure`, not raised: the write
    has committed by then, and its caller must not be told it failed.
    """

    def send():
        try:
            task.delay(*args, **kwargs)
        except Exception:
            log.exception(failure)

    transaction.on_commit(send)
