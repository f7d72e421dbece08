"""The shop's time zone, one value: the ShopProfile's (the Settings page). Pages render in it (the
middleware), and a system check warns when SHOP_TIME_ZONE in the environment says otherwise, since
Django's TIME_ZONE (and the code that still reads SHOP_TIME_ZONE) would then disagree with the shop.
"""

import zoneinfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from .models import ShopProfile
from .shop_settings import TIME_ZONE_CACHE_KEY, TIME_ZONE_CACHE_SECONDS

US_FIRST = ("America/", "US/", "Pacific/Honolulu")


def time_zone_choices():
    """Every IANA zone, the Americas first, then the rest, each alphabetically."""
    names = sorted(zoneinfo.available_timezones() - {"localtime"})
    first = [name for name in names if name.startswith(US_FIRST)]
    return [(name, name.replace("_", " ")) for name in first + [n for n in names if n not in first]]


def _profile_zone():
    return ShopProfile.objects.order_by("pk").values_list("timezone", flat=True).first() or settings.SHOP_TIME_ZONE


def shop_zone_name():
    name = cache.get(TIME_ZONE_CACHE_KEY)
    if name is None:
        name = _profile_zone()
        cache.set(TIME_ZONE_CACHE_KEY, name, TIME_ZONE_CACHE_SECONDS)
    return name


async def ashop_zone_name():
    name = await cache.aget(TIME_ZONE_CACHE_KEY)
    if name is None:
        name = (
            await ShopProfile.objects.order_by("pk").values_list("timezone", flat=True).afirst()
            or settings.SHOP_TIME_ZONE
        )
        await cache.aset(TIME_ZONE_CACHE_KEY, name, TIME_ZONE_CACHE_SECONDS)
    return name


class ShopTimeZoneMiddleware:
    """Every page a signed-in person sees shows times in the shop's zone, as saved on the Settings
    page. Requests from nobody in particular (probes, /metrics, Twilio's webhooks) are left alone:
    they must not wait on the cache or the database for a zone they never show."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if not request.user.is_authenticated:
            return self.get_response(request)
        timezone.activate(zoneinfo.ZoneInfo(shop_zone_name()))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    async def __acall__(self, request):
        if not (await request.auser()).is_authenticated:
            return await self.get_response(request)
        timezone.activate(zoneinfo.ZoneInfo(await ashop_zone_name()))
        try:
            return await self.get_response(request)
        finally:
            timezone.deactivate()


@checks.register(checks.Tags.database)
def time_zones_agree(app_configs=None, databases=None, **kwargs):
    """SHOP_TIME_ZONE (the environment) and the shop's own zone (the Settings page) must agree."""
    try:
        profile_zone = ShopProfile.objects.order_by("pk").values_list("timezone", flat=True).first()
    except DatabaseError:  # not migrated yet, or no database: nothing to compare
        return []
    if profile_zone is None or profile_zone == settings.SHOP_TIME_ZONE:
        return []
    return [
        checks.Warning(
            f"SHOP_TIME_ZONE is {settings.SHOP_TIME_ZONE} but the shop's Settings page says {profile_zone}.",
            hint=f"The Settings page wins for pages and calls; set SHOP_TIME_ZONE={profile_zone} "
            "(or unset it) so that nothing reads the old zone.",
            id="scheduling.W001",
        )
    ]
