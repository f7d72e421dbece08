"""How a call starts: the greeting (by name when caller ID matches a customer), the
recording disclosure, the receptionist's instructions and the voice loop's knobs.

The greeting and the disclosure are the shop's (its Settings page; scheduling.shop_settings)."""

from django.conf import settings

from calls.agent.prompt import receptionist_prompt
from calls.voice.session import VoiceConfig
from ottos.lib import clock


def greeting_for(shop_name, customer, greeting=""):
    """`greeting`: the shop's own words ("" = "Thanks for calling <shop>."); a caller the shop
    knows is greeted by their first name before it."""
    first_name = customer.first_name if customer is not None else ""
    greeting = greeting.strip()
    if greeting:
        return f"Hi {first_name}. {greeting}" if first_name else greeting
    if first_name:
        return f"Hi {first_name}, thanks for calling {shop_name}."
    return f"Thanks for calling {shop_name}."


def voice_config(*, shop, customer, now=None):
    """`shop`: the call's scheduling.shop_settings.ShopSettings."""
    now = (now or clock.now()).astimezone(shop.tz)
    return VoiceConfig(
        system_prompt=receptionist_prompt(
            shop_name=shop.name, now=now, caller_name=(customer.name or None) if customer is not None else None
        ),
        greeting=greeting_for(shop.name, customer, shop.greeting),
        # Said right after the greeting; the question goes last so that it is what the caller answers.
        recording_disclosure=f"{shop.recording_disclosure} How can I help you today?".strip(),
        silence_reprompt_s=settings.VOICE_SILENCE_REPROMPT_S,
        barge_in_mode=settings.VOICE_BARGE_IN_MODE,
        max_call_s=settings.VOICE_MAX_CALL_S,
        advisor_keys=frozenset(settings.KEYPAD_ADVISOR_KEYS),
        turn_model=settings.VOICE_TURN_MODEL,
        turn_wait_s=settings.VOICE_UTTERANCE_END_MS / 1000,
    )
