"""The shop's settings as every reader sees them: what the managers' Settings page saved on the
ShopProfile wins, and the environment's value fills in where the page left a field blank.

The environment keeps secrets and infrastructure; SHOP_ADVISOR_NUMBER, RECORDING_DISCLOSURE and
RECORDING_ENABLED are only the fallbacks of an install that never saved the page. TEXTS_ENABLED
stays the switch that says texting is set up (Twilio's number and keys): the page's "text
confirmations" can turn confirmations off, but not send texts that are not set up.

Readers on the event loop (a call) take `settings_of(profile)` of the profile they loaded already
in their one database trip; nothing here is read per audio frame.
"""

import logging
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction

from .models import ShopProfile

log = logging.getLogger(__name__)

# The shop's time zone, kept in the cache for the pages' middleware (scheduling/shop_time_zone.py);
# written whenever the profile is saved (scheduling/receivers.py).
TIME_ZONE_CACHE_KEY = "shop-time-zone"
TIME_ZONE_CACHE_SECONDS = 300

EDITABLE_FIELDS = (
    "name",
    "address",
    "phone",
    "timezone",
    "greeting",
    "recording_disclosure",
    "advisor_number",
    "recording_enabled",
    "text_confirmations",
    "after_hours",
    "voice",
)


@dataclass(frozen=True)
class ShopSettings:
    name: str
    timezone: str
    greeting: str  # "" = the built-in "Thanks for calling ..." (calls/agent/greeting.py)
    recording_disclosure: str
    advisor_number: str  # "" = nobody to transfer to: messages and the voicemail
    recording_enabled: bool
    text_confirmations: bool
    after_hours: str = ShopProfile.AfterHours.BOOK  # outside opening hours: book, message or transfer
    voice: str = ""  # the Deepgram voice (model name) when Deepgram speaks

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def after_hours_label(self):
        return ShopProfile.AfterHours(self.after_hours).label


def settings_of(profile):
    """`profile`'s settings, the environment filling in its blanks."""
    return ShopSettings(
        name=profile.name,
        timezone=profile.timezone,
        greeting=profile.greeting.strip(),
        recording_disclosure=profile.recording_disclosure.strip() or settings.RECORDING_DISCLOSURE,
        advisor_number=profile.advisor_number or settings.SHOP_ADVISOR_NUMBER,
        recording_enabled=settings.RECORDING_ENABLED
        if profile.recording_enabled is None
        else profile.recording_enabled,
        text_confirmations=settings.TEXTS_ENABLED and profile.text_confirmations,
        after_hours=profile.after_hours,
        voice=profile.voice or settings.VOICE_TTS_MODEL,
    )


def shop_settings():
    """The settings in force now (one query). Reading writes nothing: with no profile saved yet,
    a new one's defaults and the environment answer."""
    return settings_of(ShopProfile.objects.order_by("pk").first() or ShopProfile())


def advisor_number():
    """Where a caller the agent cannot carry is put through. A database that does not answer must
    not leave them hanging: the environment's number is used then."""
    try:
        return shop_settings().advisor_number
    except DatabaseError:
        log.warning("Shop settings unreadable: transfers go to SHOP_ADVISOR_NUMBER", exc_info=True)
        return settings.SHOP_ADVISOR_NUMBER


def save_shop_settings(*, by=None, **fields):
    """The one way the Settings page changes the shop: validates like the admin, saves, logs who did.
    Raises ValidationError (nothing saved) when a value is wrong."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not shop settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        profile = ShopProfile.load()
        profile = ShopProfile.objects.select_for_update().get(pk=profile.pk)
        changed = sorted(name for name, value in fields.items() if getattr(profile, name) != value)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save()  # the pages' cached time zone follows (scheduling/receivers.py)
    log.info("Shop settings: %s changed by %s", ", ".join(changed) or "nothing", getattr(by, "username", "-"))
    return profile
