"""Declined work to follow up: the job lines customers said no to, once their follow-up day comes.

decline_job_lines sets a declined line's `follow_up_on` (the shop's declined-work delay). From
that day the line is due. A customer who agreed to texts gets one text per repair order and
follow-up day, naming every line of that order due that day; the text is the record. A line
is followed up while that text is waiting, sending or sent; one that failed or was not sent
puts the line back on the advisors' list (it is never texted twice). Customers who did not
agree to texts stay on the list until an advisor marks the line followed up (actions.mark_followed_up).
"""

from django.conf import settings

from ottos.lib import clock

from ..models import JobLine, ShopProfile, TextMessage
from . import texts

Kind = TextMessage.Kind
# A follow-up text that is on its way or went out: the lines it names are followed up.
FOLLOWED_UP = (TextMessage.Status.SCHEDULED, TextMessage.Status.SENDING, TextMessage.Status.SENT)


def follow_up_key(follow_up_on):
    """The `about` of the follow-up text for an order's lines due on `follow_up_on`."""
    return f"declined:{follow_up_on.isoformat()}"


def due_follow_ups(today=None) -> list[JobLine]:
    """The declined lines whose follow-up day has come (by `today`, the shop's date) and that have
    not been followed up, oldest follow-up day first, each with its order, vehicle and customer.

    Two queries, however many lines.
    """
    if today is None:
        today = clock.now().astimezone(ShopProfile.load().tz).date()
    lines = list(
        JobLine.objects.filter(status=JobLine.Status.DECLINED, follow_up_on__lte=today)
        .exclude(changes__action="followed_up")
        .select_related("repair_order__vehicle", "repair_order__customer")
        .order_by("follow_up_on", "repair_order_id", "id")
    )
    if not lines:
        return []
    followed_up = set(
        TextMessage.objects.filter(
            kind=Kind.DECLINED_WORK,
            status__in=FOLLOWED_UP,
            repair_order_id__in={line.repair_order_id for line in lines},
        ).values_list("repair_order_id", "about")
    )
    return [line for line in lines if (line.repair_order_id, follow_up_key(line.follow_up_on)) not in followed_up]


def queue_follow_up_texts(today=None, *, now=None):
    """Record one follow-up text per repair order and follow-up day for the due lines of customers
    who agreed to texts. Returns the messages (the ones already recorded included); none with texts off.

    Lines declined together share their follow-up day, so they are named in one text.
    """
    if not settings.TEXTS_ENABLED:
        return []
    groups = {}
    for line in due_follow_ups(today):
        if line.repair_order.customer.sms_opt_in:
            groups.setdefault((line.repair_order_id, line.follow_up_on), []).append(line)
    messages = []
    for (_, follow_up_on), lines in groups.items():
        message = texts.queue_declined_work_text(lines[0].repair_order, lines, follow_up_key(follow_up_on), now=now)
        if message is not None:
            messages.append(message)
    return messages
