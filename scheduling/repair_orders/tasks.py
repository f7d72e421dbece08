"""Celery tasks of repair orders: the customer's status texts and the declined-work follow-ups.

They live beside the repair orders rather than in scheduling.tasks, which they build on:
scheduling.tasks must not import this package (the package's admin reaches scheduling.tasks).
Like every task here they take ids, reload, and change nothing twice when repeated.
"""

import logging

from celery import shared_task
from django.conf import settings

from ottos.lib.queueing import delay_on_commit

from ..models import TextMessage
from ..tasks import send_recorded_text, send_text_message
from . import follow_ups, texts

log = logging.getLogger(__name__)


@shared_task(bind=True)
def send_repair_status_text(self, repair_order_id, status):
    """Record the text announcing that a repair order reached `status` (ready, estimate waiting) and
    send it when due."""
    message = texts.queue_status_text(repair_order_id, status)
    if message is None:
        return "not_applicable"
    return send_recorded_text(self, message.pk)


def queue_repair_order_text(repair_order_id, status):
    """Text the customer that their repair order reached `status`, in the background, once this
    transaction commits.

    Nothing is queued with texts turned off or for a status nobody is texted about; whether the
    text applies (opted in, order still in that status, not texted before) is decided by the
    task. A broker outage is logged, not raised: this one text is lost, the order is not.
    """
    if not settings.TEXTS_ENABLED or status not in texts.TEXTED_STATUSES:
        return
    delay_on_commit(
        send_repair_status_text,
        repair_order_id,
        str(status),
        log=log,
        failure=f"Could not queue the {status} text for repair order {repair_order_id}",
    )


@shared_task
def queue_declined_work_follow_ups():
    """Beat: one text per repair order and follow-up day about the work an opted-in customer declined."""
    if not settings.TEXTS_ENABLED:
        return "texts disabled"
    messages = follow_ups.queue_follow_up_texts()
    for message in messages:
        if message.status == TextMessage.Status.SCHEDULED:
            send_text_message.delay(message.pk)
    return f"{len(messages)} follow-ups queued"
