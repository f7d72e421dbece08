"""Twilio's webhooks: the incoming call, its status callbacks, and the end of the media stream."""

import functools
import logging
import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Connect, VoiceResponse

from ottos.lib.logging import call_context

from calls import actions
from calls.models import Call
from calls.telephony.tokens import issue_call_token
from calls.telephony.signatures import media_stream_url, public_url, webhook_is_from_twilio

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
    retries of it; a replay of it is hung up (actions.admit_incoming_call decides)."""
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
        call_sid=call_sid, from_number=caller, to_number=request.POST.get("To", ""),
        status=request.POST.get("CallStatus", Call.Status.RINGING),
        idempotency_token=request.headers.get(IDEMPOTENCY_HEADER, ""),
    )
    if replay:
        # Genuine but captured earlier: it must not open a stream as the caller. (No number logged.)
        logger.warning("Incoming call %s: refused a replayed webhook, %s", call_sid, replay)
        return _hang_up()
    response = VoiceResponse()
    # When the agent closes the stream Twilio asks the action URL what to do next.
    connect = Connect(action=public_url(reverse("calls:stream_ended"), request), method="POST")
    stream = connect.stream(url=media_stream_url(request))
    stream.parameter(name="call_token", value=issue_call_token(call_sid, caller))
    stream.parameter(name="caller", value=caller)
    response.append(connect)
    return _twiml(response)


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
    actions.record_call_status(call_sid, request.POST.get("CallStatus", ""), duration)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
@_in_call_context
def stream_ended(request):
    """<Connect action>: the media stream closed while the caller is still on the line."""
    if not webhook_is_from_twilio(request):
        return _refused()
    call = Call.objects.filter(call_sid=request.POST.get("CallSid", "")).first()
    response = VoiceResponse()
    # The agent notes why a call ends before it closes the stream; a stream that ended with nothing
    # noted broke under the call, and the caller is still on the line.
    failed = call is not None and (not call.end_reason or call.end_reason.startswith(("agent_error", "stream_error")))
    if failed and settings.SHOP_ADVISOR_NUMBER:
        response.say("Sorry, I'm having trouble on my end. Let me put you through to a service advisor.")
        response.dial(settings.SHOP_ADVISOR_NUMBER, timeout=25)
    elif failed:
        response.say("Sorry, I'm having trouble on my end. Please call back in a few minutes.")
    response.hangup()
    return _twiml(response)
