"""Hand a caller to a person: the TwiML that rings the shop's advisor number (its Settings page, else
SHOP_ADVISOR_NUMBER: scheduling.shop_settings) with a whisper, and the
voicemail when nobody picks up (or no advisor number is set); and the agent's live transfer,
where Twilio REST replaces the call's TwiML with that <Dial>.

Twilio then stops the media stream (the consumer gets `stop`) and rings the advisor, who first
hears who is calling and why (webhooks.whisper). When the <Dial> is over Twilio asks
webhooks.dial_ended what next: the voicemail if nobody took the call. The REST client comes
from ottos/lib/twilio_rest.py, like the texts'.
"""

import logging

from channels.db import database_sync_to_async
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import Dial, VoiceResponse

from calls.telephony.signatures import public_url
from ottos.lib.twilio_rest import rest_client
from scheduling import shop_settings

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
DIAL_TIMEOUT_S = 25  # ring the advisor this long before the voicemail
VOICEMAIL_MAX_S = 120
ANNOUNCEMENT = "Please hold while I put you through to a service advisor."
VOICEMAIL_PROMPT = (
    "Please leave your name, your number and a short message after the tone, and a service advisor will call you back."
)
NOBODY_FREE = "Sorry, nobody can pick up right now."
NOTHING_RECORDED = "I didn't get a message. Please call back any time. Goodbye."
VOICEMAIL_THANKS = "Thank you. We got your message and will call you back. Goodbye."


class TransferFailed(Exception):
    """The call could not be handed over; the caller is still talking to the agent."""


def advisor_dial(call_sid, advisor_number, request=None):
    """<Dial> to the advisor: they hear the whisper first; when it ends Twilio asks dial-ended."""
    dial = Dial(
        action=public_url(reverse("calls:dial_ended"), request),
        method="POST",
        timeout=DIAL_TIMEOUT_S,
        answer_on_bridge=True,
    )
    dial.number(advisor_number, url=public_url(reverse("calls:whisper", args=[call_sid]), request), method="POST")
    return dial


def add_voicemail(response, request=None, *, intro=NOBODY_FREE):
    """<Say> + <Record>: the caller leaves a message; Twilio posts it to the voicemail webhook.
    With nothing recorded Twilio skips the action and goes on to the goodbye."""
    response.say(f"{intro} {VOICEMAIL_PROMPT}".strip())
    response.record(
        action=public_url(reverse("calls:voicemail"), request),
        method="POST",
        max_length=VOICEMAIL_MAX_S,
        play_beep=True,
        finish_on_key="#",
        timeout=5,
        trim="trim-silence",
    )
    response.say(NOTHING_RECORDED)
    response.hangup()
    return response


def handover_twiml(call_sid, request=None, *, intro="", advisor_number):
    """The caller goes to `advisor_number` when there is one, else straight to the voicemail."""
    response = VoiceResponse()
    if advisor_number:
        if intro:
            response.say(intro)
        response.append(advisor_dial(call_sid, advisor_number, request))
        return response
    return add_voicemail(response, request, intro=intro)


def transfer_twiml(advisor_number, call_sid):
    response = VoiceResponse()
    response.say(ANNOUNCEMENT)
    try:
        response.append(advisor_dial(call_sid, advisor_number))
    except ValueError:  # no PUBLIC_BASE_URL: Twilio could reach neither the whisper nor the voicemail
        logger.warning("PUBLIC_BASE_URL is not set: transferring %s without the whisper or the voicemail", call_sid)
        response.dial(advisor_number, timeout=DIAL_TIMEOUT_S, answer_on_bridge=True)
        response.say("Sorry, nobody could pick up. Please call back and leave a message, and we'll call you.")
    return response.to_xml()


async def transfer_call(call_sid, advisor_number=None):
    """`advisor_number`: the one loaded with the call; None looks the shop's up."""
    if advisor_number is None:
        advisor_number = await database_sync_to_async(shop_settings.advisor_number, thread_sensitive=False)()
    if not advisor_number:
        raise TransferFailed("no advisor number is configured (Settings page, or SHOP_ADVISOR_NUMBER)")
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise TransferFailed("Twilio credentials are not configured")
    import aiohttp  # the asynchronous Twilio client's HTTP library, loaded with it (see rest_client)

    twiml = transfer_twiml(advisor_number, call_sid)
    client = rest_client(timeout=REQUEST_TIMEOUT_S, asynchronous=True)
    try:
        await client.calls(call_sid).update_async(twiml=twiml)
    except TwilioException as exc:
        logger.warning("Transfer of %s refused by Twilio: %s", call_sid, exc)
        raise TransferFailed(str(exc)) from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        logger.warning("Transfer of %s failed: Twilio unreachable: %r", call_sid, exc)
        raise TransferFailed(f"Twilio could not be reached: {exc!r}") from exc
    finally:
        await client.http_client.close()
