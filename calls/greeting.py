"""How a call starts: the greeting (by name when caller ID matches a customer), the
recording disclosure, the receptionist's instructions and the voice loop's knobs."""

from datetime import datetime

from django.conf import settings

from calls.voice.brain.prompt import receptionist_prompt
from calls.voice.session import VoiceConfig


def greeting_for(shop_name, customer):
    first_name = customer.first_name if customer is not None else ""
    if first_name:
        return f"Hi {first_name}, thanks for calling {shop_name}. How can I help you today?"
    return f"Thanks for calling {shop_name}. How can I help you today?"


def voice_config(*, shop_name, timezone, customer, now=None):
    now = (now or datetime.now(timezone)).astimezone(timezone)
    return VoiceConfig(
        system_prompt=receptionist_prompt(
            shop_name=shop_name, now=now, caller_name=(customer.name or None) if customer is not None else None
        ),
        greeting=greeting_for(shop_name, customer),
        recording_disclosure=settings.RECORDING_DISCLOSURE,
        silence_reprompt_s=settings.VOICE_SILENCE_REPROMPT_S,
        max_call_s=settings.VOICE_MAX_CALL_S,
    )
