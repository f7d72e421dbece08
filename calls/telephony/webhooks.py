"""Twilio's webhooks: the incoming call, its status callbacks, the end of the media stream, and
the hand-off to a person: the advisor's whisper, the end of their <Dial>, the voicemail."""

import asyncio
import functools
import logging
import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Connect, VoiceResponse

from calls import actions
from calls.models import Call, Turn
from calls.tasks import RECORDING_SID
from calls.telephony import admission
from calls.telephony.signatures import media_stream_url, public_url, webhook_is_from_twilio
from calls.telephony.tokens import issue_call_token
from calls.telephony.transfer import VOICEMAIL_THANKS, add_voicemail, handover_twiml
from calls.transcript_log import LIVE_CALLS_GROUP, PUBLISH_TIMEOUT_S, call_group
from crm.phones import display_phone
from ottos.lib.logging import call_context
from scheduling.models import ShopProfile
from scheduling.shop_info import is_open_at
from scheduling.shop_settings import advisor_number, shop_settings

logger = logging.getLogger(__name__)

_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
# <Parameter> name + value must stay under 500 characters.
CALLER_PARAMETER_MAX = 200
# Stable across Twilio's retries of one request (not signed: it tells retries apart, it proves nothing).
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


def _in_call_context(view):
    """Every log line while Twilio's request is handled carries the call's SID."""

    @functools.wraps(view)
    def logged(request, *args, **kwargs):
        with call_context(request.POST.get("CallSid", "")[:64] or None):
            return view(request, *args, **kwargs)

    return logged


def _twiml(response):
    return HttpResponse(response.to_xml(), content_type="text/xml")


def _hang_up():
    response = VoiceResponse()
    response.hangup()
    return _twiml(response)


def _refused():
    return HttpResponseForbidden("Twilio signature missing or invalid.", content_type="text/plain")


@csrf_exempt
@require_POST
@_in_call_context
def incoming_call(request):
    """The call rings: TwiML that opens the media stream, for the call's first webhook and Twilio's
    retries of it; a replay of it is hung up (actions.admit_incoming_call decides). While the
    agent's lines are full (calls/telephony/admission.py) the caller goes to a person instead."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call_sid = request.POST.get("CallSid", "")
    if not _CALL_SID.match(call_sid):
        return HttpResponseBadRequest("CallSid missing or malformed.", content_type="text/plain")
    account = request.POST.get("AccountSid", "")
    if settings.TWILIO_ACCOUNT_SID and account != settings.TWILIO_ACCOUNT_SID:
        logger.warning("Incoming call %s for another account %s: refused", call_sid, account)
        return _refused()
    caller = request.POST.get("From", "")[:CALLER_PARAMETER_MAX]
    replay = actions.admit_incoming_call(
        call_sid=call_sid,
        from_number=caller,
        to_number=request.POST.get("To", ""),
        status=request.POST.get("CallStatus", Call.Status.RINGING),
        idempotency_token=request.headers.get(IDEMPOTENCY_HEADER, ""),
    )
    if replay:
        # Genuine but captured earlier: it must not open a stream as the caller. (No number logged.)
        logger.warning("Incoming call %s: refused a replayed webhook, %s", call_sid, replay)
        return _hang_up()
    closed = _after_hours(call_sid, request)
    if closed is not None:
        return closed
    refused = _no_room_for(call_sid)
    if refused is not None:
        return _over_capacity(call_sid, request, refused)
    response = VoiceResponse()
    # When the agent closes the stream Twilio asks the action URL what to do next.
    connect = Connect(action=public_url(reverse("calls:stream_ended"), request), method="POST")
    stream = connect.stream(url=media_stream_url(request))
    stream.parameter(name="call_token", value=issue_call_token(call_sid, caller))
    stream.parameter(name="caller", value=caller)
    response.append(connect)
    return _twiml(response)


LINES_FULL = "Thanks for calling. All our lines are busy right now."
CLOSED_NOW = "Thanks for calling {name}. We're closed right now."


def _after_hours(call_sid, request):
    """Outside opening hours the shop's Settings page may send callers to a person instead of the
    agent: the advisor number ("transfer", the voicemail when there is none) or the voicemail
    ("message"). None: the agent answers, as it does in opening hours."""
    shop = shop_settings()
    if shop.after_hours == ShopProfile.AfterHours.BOOK or is_open_at(timezone.now(), shop.tz):
        return None
    advisor = shop.advisor_number if shop.after_hours == ShopProfile.AfterHours.TRANSFER else ""
    to = Call.Handover.ADVISOR if advisor else Call.Handover.VOICEMAIL
    logger.info("Incoming call %s: the shop is closed, to the %s", call_sid, to)
    actions.hand_over_after_hours(call_sid, to)
    _publish(call_sid, "handover", to=to)
    intro = CLOSED_NOW.format(name=shop.name)
    if advisor:
        intro += " Let me put you through to a service advisor."
    return _twiml(handover_twiml(call_sid, request, intro=intro, advisor_number=advisor))


def _no_room_for(call_sid):
    """None when the call has a slot; else the load that turns it away ({} for Twilio's retry of a
    call turned away already: it is turned away again, and filed once)."""
    if Call.objects.filter(call_sid=call_sid, end_reason=actions.OVER_CAPACITY).exists():
        return {}
    decision = admission.admit(call_sid)
    return None if decision.admitted else decision.load.as_dict()


def _over_capacity(call_sid, request, load):
    """The agent's lines are full: the caller goes to an advisor, else to the voicemail (the same
    hand-off as when the agent cannot go on), and the call is filed as turned away."""
    advisor = advisor_number()
    to = Call.Handover.ADVISOR if advisor else Call.Handover.VOICEMAIL
    if load:
        logger.warning(
            "Incoming call %s: the lines are full (%s live, %s starting, room for %s): to the %s",
            call_sid,
            load["live_calls"],
            load["pending_calls"],
            load["capacity"],
            to,
        )
        actions.hand_over_over_capacity(call_sid, to, load)
        _publish(call_sid, "handover", to=to)
    intro = LINES_FULL + (" Let me put you through to a service advisor." if to == Call.Handover.ADVISOR else "")
    return _twiml(handover_twiml(call_sid, request, intro=intro, advisor_number=advisor))


@csrf_exempt
@require_POST
@_in_call_context
def call_status(request):
    if not webhook_is_from_twilio(request):
        return _refused()
    call_sid = request.POST.get("CallSid", "")
    try:
        duration = int(request.POST["CallDuration"]) if request.POST.get("CallDuration") else None
    except ValueError:
        duration = None
    call = actions.record_call_status(call_sid, request.POST.get("CallStatus", ""), duration)
    if call is not None and call.status in Call.TERMINAL_STATUSES and not call.stream_sid:
        admission.release(call_sid)  # over before its stream started: its slot is free again
    if call is not None and call.handover and call.status in Call.TERMINAL_STATUSES:
        _publish(call_sid, "handover_ended")  # the caller left the advisor or the voicemail
    return HttpResponse(status=204)


TROUBLE = "Sorry, I'm having trouble on my end."
# The agent said its own last line (calls/agent/call.py) before it closed the stream.
ANNOUNCED_REASONS = ("stt_failed",)
WHISPER_REASON_CHARS = 400


def _int(value):
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _publish(call_sid, kind, **data):
    """Tell the live page (calls/live.py) where the caller went; it is no matter if nobody hears."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "call.event", "call_sid": call_sid, "kind": kind, "data": data, "at": None}

    async def send():
        for group in (call_group(call_sid), LIVE_CALLS_GROUP):
            await asyncio.wait_for(layer.group_send(group, message), PUBLISH_TIMEOUT_S)

    try:
        async_to_sync(send)()
    except Exception:  # Redis down or slow: Twilio's answer must not wait on the live page
        logger.warning("Call %s: live event %s not published", call_sid, kind, exc_info=True)


@csrf_exempt
@require_POST
@_in_call_context
def stream_ended(request):
    """<Connect action>: the media stream closed while the caller is still on the line. A call the
    agent ended is hung up; one it could not carry on goes to an advisor, else to the voicemail."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call = Call.objects.filter(call_sid=request.POST.get("CallSid", "")).first()
    # The agent notes why a call ends before it closes the stream; a stream that ended with nothing
    # noted broke under the call, and the caller is still on the line.
    if call is None or not actions.agent_failed(call) or call.status in Call.TERMINAL_STATUSES:
        return _hang_up()
    advisor = advisor_number()
    to = Call.Handover.ADVISOR if advisor else Call.Handover.VOICEMAIL
    actions.hand_over(call.call_sid, to)
    _publish(call.call_sid, "handover", to=to)
    announced = call.end_reason.startswith(ANNOUNCED_REASONS)
    intro = "" if announced else TROUBLE
    if to == Call.Handover.ADVISOR and not announced:
        intro += " Let me put you through to a service advisor."
    return _twiml(handover_twiml(call.call_sid, request, intro=intro, advisor_number=advisor))


@csrf_exempt
@require_POST
@_in_call_context
def whisper(request, call_sid):
    """<Number url>: what the advisor hears on picking up, before the caller is put through."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call = actions.handover_underway(call_sid)
    response = VoiceResponse()
    if call is None:  # over, or never handed over: nothing to tell (a replay learns nothing)
        response.hangup()
        return _twiml(response)
    response.say(whisper_text(call))
    return _twiml(response)


def whisper_text(call):
    """ "Call from Dana Whitfield. Wants a quote for a timing belt." from the call so far."""
    if call.customer is not None and call.customer.name:
        who = call.customer.name
    elif call.from_number.startswith("+"):
        who = "a caller at " + display_phone(call.from_number)
    else:
        who = "a caller with a withheld number"
    why = call.summary
    if not why:
        first = call.turns.filter(role=Turn.Role.CALLER).order_by("index").values_list("text", flat=True).first()
        why = f"They said: {first}" if first else "They haven't said why they called."
    if len(why) > WHISPER_REASON_CHARS:
        why = why[:WHISPER_REASON_CHARS].rsplit(" ", 1)[0] + "..."
    trouble = " The phone agent had trouble, so they come to you." if actions.agent_failed(call) else ""
    if actions.refused_over_capacity(call):
        trouble = " The phone agent's lines are full, so they come to you."
    if actions.handed_over_after_hours(call):
        trouble = " The shop is closed, so they come to you."
    return f"Call from {who}. {why}{trouble} Connecting you now."


@csrf_exempt
@require_POST
@_in_call_context
def dial_ended(request):
    """<Dial action>: the advisor's phone stopped ringing, or the advisor hung up. Nobody took
    the call (no-answer, busy, failed, canceled) and the caller is still there: the voicemail."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call_sid = request.POST.get("CallSid", "")
    next_step = actions.dial_ended(
        call_sid,
        dial_status=request.POST.get("DialCallStatus", ""),
        caller_status=request.POST.get("CallStatus", ""),
        duration_s=_int(request.POST.get("DialCallDuration")),
    )
    if next_step == "voicemail":
        _publish(call_sid, "handover", to=Call.Handover.VOICEMAIL)
        return _twiml(add_voicemail(VoiceResponse(), request))
    _publish(call_sid, "handover_ended")
    return _hang_up()


@csrf_exempt
@require_POST
@_in_call_context
def voicemail(request):
    """<Record action>: the caller left a voicemail. It is filed as a callback request at once; the
    recording is fetched and transcribed in the background (calls.tasks.transcribe_voicemail)."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call_sid = request.POST.get("CallSid", "")
    recording_sid = request.POST.get("RecordingSid", "")
    if not RECORDING_SID.match(recording_sid):
        return HttpResponseBadRequest("RecordingSid missing or malformed.", content_type="text/plain")
    callback = actions.file_voicemail(
        call_sid,
        recording_sid=recording_sid,
        recording_url=request.POST.get("RecordingUrl", ""),
        duration_s=_int(request.POST.get("RecordingDuration")),
    )
    response = VoiceResponse()
    if callback is not None:
        _publish(call_sid, "handover_ended")
        response.say(VOICEMAIL_THANKS)
    response.hangup()
    return _twiml(response)
