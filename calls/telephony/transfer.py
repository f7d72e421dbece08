"""Hand a live call to a person: Twilio REST replaces the call's TwiML with a <Dial>.

Twilio then stops the media stream (the consumer gets `stop`) and rings SHOP_ADVISOR_NUMBER.
The REST client comes from ottos/lib/twilio_rest.py, like the texts'.
"""

import asyncio
import logging

import aiohttp
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import VoiceResponse

from ottos.lib.twilio_rest import rest_client

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
ANNOUNCEMENT = "Please hold while I put you through to a service advisor."


class TransferFailed(Exception):
    """The call could not be handed over; the caller is still talking to the agent."""


def transfer_twiml(advisor_number):
    response = VoiceResponse()
    response.say(ANNOUNCEMENT)
    response.dial(advisor_number, timeout=25, answer_on_bridge=True)
    response.say("Sorry, nobody could pick up. Please call back and leave a message, and we'll call you.")
    return response.to_xml()


async def transfer_call(call_sid, advisor_number=None):
    advisor_number = advisor_number or settings.SHOP_ADVISOR_NUMBER
    if not advisor_number:
        raise TransferFailed("no advisor number is configured (SHOP_ADVISOR_NUMBER)")
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise TransferFailed("Twilio credentials are not configured")
    client = rest_client(timeout=REQUEST_TIMEOUT_S, asynchronous=True)
    try:
        await client.calls(call_sid).update_async(twiml=transfer_twiml(advisor_number))
    except TwilioException as exc:
        logger.warning("Transfer of %s refused by Twilio: %s", call_sid, exc)
        raise TransferFailed(str(exc)) from exc
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        logger.warning("Transfer of %s failed: Twilio unreachable: %r", call_sid, exc)
        raise TransferFailed(f"Twilio could not be reached: {exc!r}") from exc
    finally:
        await client.http_client.close()
