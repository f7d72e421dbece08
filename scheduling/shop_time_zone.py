"""The shop's time zone, one value: the ShopProfile's (the Settings page). It is Django's current
time zone wherever the shop's times are shown or counted: pages (the middleware), Celery tasks (the
task_prerun / task_postrun receivers) and the management commands that work in local time
(`in_shop_time_zone`). SHOP_TIME_ZONE in the environment (Django's TIME_ZONE) is only the default
of a shop that never saved the page; a system check says when the two differ.
"""

import logging
import zoneinfo
from contextlib import contextmanager

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from .models import ShopProfile
from .shop_settings import TIME_ZONE_CACHE_KEY, TIME_ZONE_CACHE_SECONDS

log = logging.getLogger(__name__)

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


@contextmanager
def in_shop_time_zone():
    """The shop's zone as Django's current one inside: timezone.localtime() and localdate(), date
    lookups and templates then say the shop's local time, as the pages do. Usable as a decorator
    (a command's handle); the zone is read when it is entered."""
    with timezone.override(zoneinfo.ZoneInfo(shop_zone_name())):
        yield


_task_zones = {}  # task id -> the override entered for it


def _task_started(task_id=None, **_):
    """Every task runs in the shop's zone: its texts, events and dates say the shop's time even
    after the Settings page changed it. An eager task inside a page gets the page's zone back."""
    try:
        zone = timezone.override(zoneinfo.ZoneInfo(shop_zone_name()))
    except DatabaseError:
        log.warning("The shop's time zone is unreadable: the task runs in SHOP_TIME_ZONE", exc_info=True)
        return
    zone.__enter__()
    _task_zones[task_id] = zone


def _task_finished(task_id=None, **_):
    zone = _task_zones.pop(task_id, None)
    if zone is not None:
        zone.__exit__(None, None, None)


task_prerun.connect(_task_started, weak=False, dispatch_uid="scheduling.shop_time_zone.task_started")
task_postrun.connect(_task_finished, weak=False, dispatch_uid="scheduling.shop_time_zone.task_finished")


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
    """SHOP_TIME_ZONE (the environment) and the shop's own zone (the Settings page) should agree: the
    page's is in force, but a reader of the variable would not know that."""
    try:
        profile_zone = ShopProfile.objects.order_by("pk").values_list("timezone", flat=True).first()
    except DatabaseError:  # not migrated yet, or no database: nothing to compare
        return []
    if profile_zone is None or profile_zone == settings.SHOP_TIME_ZONE:
        return []
    return [
        checks.Warning(
            f"SHOP_TIME_ZONE is {settings.SHOP_TIME_ZONE} but the shop's Settings page says {profile_zone}.",
            hint=f"The Settings page's zone is in force (pages, calls, Celery tasks, commands); SHOP_TIME_ZONE is "
            f"only the default until the page is saved. Set SHOP_TIME_ZONE={profile_zone} so the two do not "
            "mislead whoever reads the environment.",
            id="scheduling.W001",
        )
    ]
