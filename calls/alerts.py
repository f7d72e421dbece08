"""Urgent callback requests alert the advisors at once: a text to each on-call number (Twilio) and
an e-mail to each address (Django's mail backend), as configured in URGENT_ALERT_SMS_TO and
URGENT_ALERT_EMAIL_TO.

Sent once per request: the send is claimed by setting `alerted_at` with a conditional update, so a
repeated task sends nothing twice. What failed is kept in `alert_error` (no numbers in the log).
"""

import logging

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from twilio.base.exceptions import TwilioException

from crm.phones import display_phone
from ottos.lib.twilio_rest import rest_client
from scheduling.models import ShopProfile

from .models import CallbackRequest

log = logging.getLogger(__name__)

TWILIO_TIMEOUT_SECONDS = 10
SMS_REASON_CHARS = 240


def alerts_configured():
    return bool(settings.URGENT_ALERT_SMS_TO or settings.URGENT_ALERT_EMAIL_TO)


def alert_text(callback):
    """The alert's words: who to call back, on what number, and why."""
    who = callback.name or (callback.customer.name if callback.customer_id and callback.customer.name else "A caller")
    number = display_phone(callback.phone) if callback.phone else "no number given"
    kind = "voicemail" if callback.is_voicemail else "message"
    reason = " ".join(callback.reason.split())
    if len(reason) > SMS_REASON_CHARS:
        reason = reason[: SMS_REASON_CHARS - 1].rstrip() + "…"
    return f"URGENT {kind} for {ShopProfile.load().name}: call back {who} at {number}. {reason}"


def send_urgent_alert(callback_id, *, client=None):
    """Alert the advisors about an urgent callback request, once. Returns what happened, in words."""
    if not alerts_configured():
        return "no alert channel configured"
    now = timezone.now()
    claimed = CallbackRequest.objects.filter(
        pk=callback_id, urgency=CallbackRequest.Urgency.URGENT, alerted_at__isnull=True
    ).update(alerted_at=now)
    if not claimed:
        return "not urgent, gone, or already alerted"
    callback = CallbackRequest.objects.select_related("customer").get(pk=callback_id)
    body = alert_text(callback)
    failures = []
    if settings.URGENT_ALERT_SMS_TO:
        failures += _text(body, client)
    if settings.URGENT_ALERT_EMAIL_TO:
        failures += _email(body)
    sent = len(settings.URGENT_ALERT_SMS_TO) + len(settings.URGENT_ALERT_EMAIL_TO) - len(failures)
    CallbackRequest.objects.filter(pk=callback_id).update(alert_error="\n".join(failures)[:2000])
    if failures:
        log.warning("Urgent callback %s: %d of its alerts failed", callback_id, len(failures))
    return f"{sent} alerts sent, {len(failures)} failed"


def _text(body, client):
    failures = []
    try:
        client = client or rest_client(timeout=TWILIO_TIMEOUT_SECONDS)
    except Exception as exc:  # misconfigured credentials: the e-mail may still go
        return [f"Text alerts: no Twilio client ({exc})"]
    for index, number in enumerate(settings.URGENT_ALERT_SMS_TO, 1):
        try:
            client.messages.create(to=number, from_=settings.TEXTS_FROM_NUMBER, body=body)
        except (TwilioException, requests.RequestException) as exc:
            status = getattr(exc, "status", None)
            failures.append(f"Text to on-call number {index}: {'Twilio answered ' + str(status) if status else exc}")
    return failures


def _email(body):
    subject = body.split(":", 1)[0]
    try:
        send_mail(subject, body, None, list(settings.URGENT_ALERT_EMAIL_TO), fail_silently=False)
    except Exception as exc:  # SMTP refused or unreachable: recorded, never raised into the task
        return [f"E-mail alert: {type(exc).__name__}: {exc}"]
    return []
