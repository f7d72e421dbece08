"""The only ways to write call records and messages for advisors (webhooks, consumer, tools)."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.actions import find_customer_by_phone
from crm.phones import normalize_phone

from .models import Call, CallbackRequest
from .tasks import queue_urgent_alert, queue_voicemail_transcription

logger = logging.getLogger(__name__)

# When several things happened on one call, the call is filed under the first of these.
OUTCOME_PRECEDENCE = (
    Call.Outcome.TRANSFERRED,
    Call.Outcome.BOOKED,
    Call.Outcome.APPROVED,
    Call.Outcome.RESCHEDULED,
    Call.Outcome.CANCELLED,
    Call.Outcome.MESSAGE,
    Call.Outcome.INFO,
)

OPEN_STATUSES = (Call.Status.RINGING, Call.Status.IN_PROGRESS)
# end_reason prefixes of an agent that could not go on (its stream broke, it could not hear the
# caller, it failed): Twilio then puts the caller through to an advisor, or to the voicemail.
AGENT_FAILED_REASONS = ("agent_error", "stream_error", "stt_failed")
# end_reason prefixes after which the caller goes on with a person (or the voicemail): the call goes on.
HANDED_OVER_REASONS = ("transferred", *AGENT_FAILED_REASONS)
VOICEMAIL_PENDING = "Voicemail (not transcribed yet)"


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
    """Apply Twilio's status callback: its word on how the call ended and how long it lasted
    replaces what finish_call filed. Returns the Call, or None for a call we never saw."""
    if status not in Call.Status.values:
        logger.warning("Unknown Twilio call status %r for %s: ignored", status, call_sid)
        status = None
    calls = Call.objects.filter(call_sid=call_sid)
    fields = {} if duration_s is None else {"duration_s": duration_s}
    if status in Call.TERMINAL_STATUSES:
        fields["status"] = status
    if fields:
        calls.update(**fields)
    if status in Call.TERMINAL_STATUSES:
        calls.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    elif status:
        # Callbacks can come late or twice: a "ringing" or "in-progress" does not reopen a call that has ended.
        calls.exclude(status__in=Call.TERMINAL_STATUSES).update(status=status)
    call = calls.first()
    if call is None and (status or fields):
        logger.warning("Status callback for unknown call %s", call_sid)
    return call


def stream_started(call_sid, stream_sid):
    """The media stream is up: the call is in progress. Returns the Call with its customer."""
    Call.objects.filter(call_sid=call_sid).update(stream_sid=stream_sid, status=Call.Status.IN_PROGRESS)
    return Call.objects.select_related("customer").get(call_sid=call_sid)


def decide_outcome(outcomes, *, caller_spoke):
    for outcome in OUTCOME_PRECEDENCE:
        if outcome in outcomes:
            return outcome
    return Call.Outcome.INFO if caller_spoke else Call.Outcome.ABANDONED


def finish_call(
    call_sid, *, end_reason, outcomes=(), caller_spoke=False, summary="", interruption_count=0, ended_at=None
):
    """The conversation is over (at `ended_at`, default now): file it. A summary already saved (by a
    transfer) is kept.

    The end of the stream is the end of the call, unless the caller goes on with a person: then
    Twilio's status callback ends it later (record_call_status)."""
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
    call.ended_at = call.ended_at or ended_at or timezone.now()
    with transaction.atomic():  # nobody sees the call filed but not yet ended
        call.save(
            update_fields=[
                "outcome",
                "transferred",
                "end_reason",
                "summary",
                "interruption_count",
                "interrupted",
                "ended_at",
            ]
        )
        if call.transferred:  # the transfer tool's own mark may have been cancelled
            Call.objects.filter(pk=call.pk, handover="").update(handover=Call.Handover.ADVISOR)
        if not goes_on_with_a_person(call):
            _end_with_the_stream(call)
    return call


def goes_on_with_a_person(call):
    """After the stream the caller is with an advisor: put through by the agent, or by the
    stream-ended webhook when the agent or its stream failed (calls/telephony/webhooks.py)."""
    return call.transferred or call.end_reason.startswith(HANDED_OVER_REASONS)


def _end_with_the_stream(call):
    # One conditional update: Twilio's status callback may have come first (a caller who hangs up
    # can be reported completed before the stream's stop arrives), and its status and CallDuration
    # stay. Otherwise the call is completed, its length by our clock until Twilio reports its own.
    seconds = max(0, round((call.ended_at - call.started_at).total_seconds()))
    Call.objects.filter(pk=call.pk).update(
        status=Case(When(status__in=OPEN_STATUSES, then=Value(Call.Status.COMPLETED)), default=F("status")),
        duration_s=Coalesce(F("duration_s"), Value(seconds)),
    )
    call.refresh_from_db(fields=["status", "duration_s"])


def agent_failed(call):
    """The stream ended under a caller still on the line, because the agent could not go on
    (or with no reason noted: it broke before it could say)."""
    return not call.end_reason or call.end_reason.startswith(AGENT_FAILED_REASONS)


def mark_transferred(call_sid, summary):
    """Twilio took the transfer: the caller is ringing an advisor (the whisper reads `summary`)."""
    Call.objects.filter(call_sid=call_sid).update(transferred=True, summary=summary, handover=Call.Handover.ADVISOR)


def hand_over(call_sid, to):
    """Twilio is told to put the caller through to an advisor or to the voicemail, after the
    stream ended (calls/telephony/webhooks.py). Returns the Call with its customer, or None."""
    Call.objects.filter(call_sid=call_sid).update(handover=to, handover_ended_at=None)
    return Call.objects.select_related("customer").filter(call_sid=call_sid).first()


def dial_ended(call_sid, *, dial_status, caller_status, duration_s=None):
    """The advisor's phone stopped ringing or the advisor hung up (<Dial action>). Returns what
    Twilio should do with the caller next: "voicemail" when nobody took the call and the caller is
    still on the line, else "hang_up". Only the first report acts: a replay just hangs up."""
    call = Call.objects.filter(call_sid=call_sid).first()
    if call is None:
        return "hang_up"
    claimed = Call.objects.filter(
        pk=call.pk, handover=Call.Handover.ADVISOR, handover_ended_at__isnull=True, status__in=OPEN_STATUSES
    )
    answered = dial_status in ("completed", "answered")
    if answered or caller_status in Call.TERMINAL_STATUSES:
        if not claimed.exists():
            return "hang_up"
        call.events.create(kind="dial_ended", data={"dial_status": dial_status[:20], "duration_s": duration_s})
        # Twilio bills the advisor's leg only when it was answered; its length is DialCallDuration.
        Call.objects.filter(pk=call.pk).update(advisor_leg_s=max(0, duration_s or 0) if answered else 0)
        _close_handover(call)
        return "hang_up"
    if not claimed.update(handover=Call.Handover.VOICEMAIL):
        return "hang_up"
    call.events.create(kind="dial_ended", data={"dial_status": dial_status[:20], "duration_s": duration_s})
    return "voicemail"


def _close_handover(call):
    """Twilio is told to hang up: the caller's call is over (its status callback may say so too,
    and its own figures stay). It leaves the live page."""
    now = timezone.now()
    seconds = max(0, round((now - call.started_at).total_seconds()))
    Call.objects.filter(pk=call.pk).update(
        handover_ended_at=Coalesce(F("handover_ended_at"), Value(now)),
        status=Case(When(status__in=OPEN_STATUSES, then=Value(Call.Status.COMPLETED)), default=F("status")),
        duration_s=Coalesce(F("duration_s"), Value(seconds)),
        ended_at=Coalesce(F("ended_at"), Value(now)),
    )


def handover_underway(call_sid):
    """The Call whose caller Twilio is putting through to an advisor right now (for the whisper), or None."""
    return (
        Call.objects.select_related("customer")
        .filter(
            call_sid=call_sid, handover=Call.Handover.ADVISOR, handover_ended_at__isnull=True, status__in=OPEN_STATUSES
        )
        .first()
    )


def file_voicemail(call_sid, *, recording_sid, recording_url="", duration_s=None):
    """The caller left a voicemail (<Record action>): a callback request for the advisors at once,
    its transcript later (calls.tasks.transcribe_voicemail, queued here on commit). Returns the
    CallbackRequest, or None for a call that was not at the voicemail or a recording filed before
    (Twilio's retry, or a replay)."""
    call = Call.objects.select_related("customer").filter(call_sid=call_sid, handover=Call.Handover.VOICEMAIL).first()
    if call is None:
        return None
    phone = caller_phone(call.from_number)
    customer = call.customer or (find_customer_by_phone(phone) if phone else None)
    try:
        with transaction.atomic():
            callback = CallbackRequest.objects.create(
                call=call,
                customer=customer,
                name=(customer.name if customer else "")[:120],
                phone=phone or "",
                reason=VOICEMAIL_PENDING,
                recording_sid=recording_sid[:64],
                recording_url=recording_url[:500],
                recording_duration_s=duration_s,
            )
            _close_handover(call)
            queue_voicemail_transcription(callback.pk)
    except IntegrityError:
        return None  # this recording is filed already
    return callback


OVER_CAPACITY = "over_capacity"


def hand_over_over_capacity(call_sid, to, load):
    """The agent's lines are full (calls/telephony/admission.py): the call goes straight to a person
    (`to`: an advisor, or the voicemail), filed as such with the load that turned it away."""
    Call.objects.filter(call_sid=call_sid).update(
        outcome=Call.Outcome.OVER_CAPACITY,
        end_reason=OVER_CAPACITY,
        handover=to,
        handover_ended_at=None,
    )
    call = Call.objects.select_related("customer").filter(call_sid=call_sid).first()
    if call is not None:
        call.events.create(kind=OVER_CAPACITY, data={"to": to, **load})
    return call


def refused_over_capacity(call):
    return call.end_reason == OVER_CAPACITY


AFTER_HOURS = "after_hours"


def hand_over_after_hours(call_sid, to):
    """The shop is closed and says callers go to a person (`to`: an advisor, or the voicemail)
    rather than to the agent: filed as a transfer or a message. Twilio's retry changes nothing."""
    outcome = Call.Outcome.TRANSFERRED if to == Call.Handover.ADVISOR else Call.Outcome.MESSAGE
    updated = (
        Call.objects.filter(call_sid=call_sid)
        .exclude(end_reason=AFTER_HOURS)
        .update(
            outcome=outcome,
            transferred=to == Call.Handover.ADVISOR,
            end_reason=AFTER_HOURS,
            handover=to,
            handover_ended_at=None,
        )
    )
    call = Call.objects.select_related("customer").filter(call_sid=call_sid).first()
    if call is not None and updated:
        call.events.create(kind=AFTER_HOURS, data={"to": to})
    return call


def handed_over_after_hours(call):
    return call.end_reason == AFTER_HOURS


def note_end_reason(call_sid, reason):
    """Why the stream is about to end, noted before it closes: Twilio asks the stream-ended webhook
    what to do with the caller at once, sooner than the call is filed (calls/telephony/webhooks.py)."""
    Call.objects.filter(call_sid=call_sid).update(end_reason=reason[:40])


def mark_agent_failed(call_sid, reason):
    """The agent could not carry on; the stream-ended TwiML then hands the caller to a person."""
    Call.objects.filter(call_sid=call_sid).update(end_reason=f"agent_error: {reason}"[:40])


def take_message(*, call_sid, customer, name, phone, reason, urgency=CallbackRequest.Urgency.ROUTINE):
    """Leave a message for the advisors: they see it in the admin until someone marks it done; an
    urgent one alerts them at once (calls.alerts)."""
    call = Call.objects.filter(call_sid=call_sid).first()
    callback = CallbackRequest.objects.create(
        call=call, customer=customer, name=name[:120], phone=phone, reason=reason, urgency=urgency
    )
    if urgency == CallbackRequest.Urgency.URGENT:
        queue_urgent_alert(callback.pk)
    return callback


def mark_called_back(callback, *, by, note="", at=None):
    """An advisor called the customer back: the request leaves the inbox, with who, when and
    their note. Returns False when someone else got there first (their name and note stay)."""
    at = at or timezone.now()
    done = CallbackRequest.objects.filter(pk=callback.pk, handled_at__isnull=True).update(
        handled_at=at, handled_by=by, handled_note=note.strip()
    )
    if done:
        callback.handled_at, callback.handled_by, callback.handled_note = at, by, note.strip()
    return bool(done)


def admit_incoming_call(*, call_sid, from_number, to_number, status=Call.Status.RINGING, idempotency_token=""):
    """Open the call for Twilio's incoming-call webhook, or say why the request is a replay.

    Twilio signs no timestamp, so a captured webhook verifies for ever. Only the call's first
    webhook and Twilio's own retries of it are answered (None: connect the caller), until the
    stream starts. A retry carries the first request's I-Twilio-Idempotency-Token, kept with the
    call in the database (the cache may be down or flushed). Anything else is a replay: a call
    with a stream or over, or a request with another token or none.
    """
    call = Call.objects.filter(call_sid=call_sid).first()
    if call is None:
        call = open_call(call_sid=call_sid, from_number=from_number, to_number=to_number, status=status)
    elif call.stream_sid:
        return "the call already has its media stream"
    elif call.ended_at is not None or call.status in Call.TERMINAL_STATUSES:
        return "the call is over"
    kept = call.events.filter(kind="incoming_webhook").order_by("id").first()
    if kept is None:
        call.events.create(kind="incoming_webhook", data={"idempotency_token": idempotency_token[:200]})
        return None
    if idempotency_token and idempotency_token[:200] == kept.data.get("idempotency_token"):
        return None
    return "not Twilio's retry of the call's first webhook (another idempotency token, or none)"
