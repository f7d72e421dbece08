"""The only ways to write call records and messages for advisors (webhooks, consumer, tools)."""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.actions import find_customer_by_phone
from crm.phones import normalize_phone

from .models import Call, CallbackRequest

logger = logging.getLogger(__name__)

# When several things happened on one call, the call is filed under the first of these.
OUTCOME_PRECEDENCE = (
    Call.Outcome.TRANSFERRED,
    Call.Outcome.BOOKED,
    Call.Outcome.RESCHEDULED,
    Call.Outcome.CANCELLED,
    Call.Outcome.MESSAGE,
    Call.Outcome.INFO,
)


def caller_phone(from_number):
    """The caller's E.164 number, or None when caller ID is withheld or not a phone
    ("anonymous", "client:alice", a SIP URI)."""
    if not from_number or from_number.lower().startswith(("client:", "sip:")):
        return None
    try:
        return normalize_phone(from_number)
    except ValidationError:
        return None


def open_call(*, call_sid, from_number, to_number, status=Call.Status.RINGING):
    """The Call for `call_sid`, created on Twilio's first webhook (its retries find it again)."""
    phone = caller_phone(from_number)
    customer = find_customer_by_phone(phone) if phone else None
    call, created = Call.objects.get_or_create(
        call_sid=call_sid,
        defaults={
            "from_number": from_number[:128],
            "to_number": to_number[:128],
            "customer": customer,
            "status": status if status in Call.Status.values else Call.Status.RINGING,
        },
    )
    return call


def record_call_status(call_sid, status, duration_s=None):
    """Apply a status callback. Returns the Call, or None for a call we never saw."""
    if status not in Call.Status.values:
        logger.warning("Unknown Twilio call status %r for %s: ignored", status, call_sid)
        status = None
    fields = {}
    if status:
        fields["status"] = status
    if duration_s is not None:
        fields["duration_s"] = duration_s
    updated = Call.objects.filter(call_sid=call_sid).update(**fields) if fields else 0
    if status in Call.TERMINAL_STATUSES:
        Call.objects.filter(call_sid=call_sid, ended_at__isnull=True).update(ended_at=timezone.now())
    if not updated and fields:
        logger.warning("Status callback for unknown call %s", call_sid)
        return None
    return Call.objects.filter(call_sid=call_sid).first()


def stream_started(call_sid, stream_sid):
    """The media stream is up: the call is in progress. Returns the Call with its customer."""
    Call.objects.filter(call_sid=call_sid).update(stream_sid=stream_sid, status=Call.Status.IN_PROGRESS)
    return Call.objects.select_related("customer").get(call_sid=call_sid)


def decide_outcome(outcomes, *, caller_spoke):
    for outcome in OUTCOME_PRECEDENCE:
        if outcome in outcomes:
            return outcome
    return Call.Outcome.INFO if caller_spoke else Call.Outcome.ABANDONED


def finish_call(call_sid, *, end_reason, outcomes=(), caller_spoke=False, summary="", interruption_count=0):
    """The conversation is over: file it. A summary already saved (by a transfer) is kept."""
    call = Call.objects.get(call_sid=call_sid)
    if call.transferred:
        outcomes = {*outcomes, Call.Outcome.TRANSFERRED}
    # The transfer tool's own save may not have run: the caller leaves the stream as soon as
    # Twilio takes the call to the advisor, which cancels the tool mid-write.
    call.transferred = Call.Outcome.TRANSFERRED in outcomes
    call.outcome = decide_outcome(outcomes, caller_spoke=caller_spoke)
    call.end_reason = end_reason[:40]
    call.summary = call.summary or summary
    call.interruption_count = interruption_count
    call.interrupted = interruption_count > 0
    call.ended_at = call.ended_at or timezone.now()
    call.save(
        update_fields=[
            "outcome", "transferred", "end_reason", "summary", "interruption_count", "interrupted", "ended_at",
        ]
    )
    return call


def mark_transferred(call_sid, summary):
    Call.objects.filter(call_sid=call_sid).update(transferred=True, summary=summary)


def mark_agent_failed(call_sid, reason):
    """The agent could not carry on; the stream-ended TwiML then hands the caller to a person."""
    Call.objects.filter(call_sid=call_sid).update(end_reason=f"agent_error: {reason}"[:40])


def take_message(*, call_sid, customer, name, phone, reason, urgency=CallbackRequest.Urgency.ROUTINE):
    """Leave a message for the advisors: they see it in the admin until someone marks it done."""
    call = Call.objects.filter(call_sid=call_sid).first()
    return CallbackRequest.objects.create(
        call=call, customer=customer, name=name[:120], phone=phone, reason=reason, urgency=urgency
    )
