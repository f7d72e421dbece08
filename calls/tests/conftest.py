"""Fixtures for the phone agent's tests: Twilio settings, the vendor fakes, the app served by a
real server (uvicorn, as in production), and a fake caller."""

import asyncio
import time
from dataclasses import dataclass

import pytest

from fakes.fixtures import deepgram, openai  # noqa: F401 (fixtures)

AUTH_TOKEN = "test-twilio-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_URL = "https://agent.example.test"
ADVISOR = "+13125550123"


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache is Redis, shared by every test: caller lookups and call tokens must not leak."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop_zone_cached(db):
    """The shop's time zone in the cache, as it is on a running server: the pages' middleware reads
    it from the database only when the cache has lost it (once per 5 minutes at most)."""
    from scheduling.shop_time_zone import shop_zone_name

    shop_zone_name()


@pytest.fixture
def twilio(settings):
    """The app configured like production: signed webhooks checked against PUBLIC_BASE_URL."""
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.PUBLIC_BASE_URL = PUBLIC_URL
    settings.DEBUG = False
    return settings


@pytest.fixture
def twilio_rest():
    from fakes.twilio_rest import FakeTwilioRest

    with FakeTwilioRest(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def phone_agent(twilio, deepgram, openai, twilio_rest, shop, oil_change, brake_job):
    """Every vendor pointed at its loopback fake, the shop set up, an advisor line to transfer to."""
    twilio.DEEPGRAM_API_KEY = deepgram.api_key
    twilio.DEEPGRAM_BASE_URL = deepgram.base_url
    twilio.OPENAI_API_KEY = openai.api_key
    twilio.OPENAI_BASE_URL = openai.base_url
    twilio.TWILIO_API_BASE_URL = twilio_rest.base_url
    twilio.SHOP_ADVISOR_NUMBER = ADVISOR
    deepgram.tts.audio_s_per_char = 0.02  # speech a little faster than life keeps the tests short
    return twilio


@dataclass
class LiveApp:
    url: str
    loop: asyncio.AbstractEventLoop

    def tasks(self):
        """Tasks alive on the server's event loop (besides the one asking)."""

        async def alive():
            return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

        return asyncio.run_coroutine_threadsafe(alive(), self.loop).result(5)


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker):
    """The ASGI app under the production server (uvicorn: HTTP + WebSocket) in a thread of this
    process. One server serves the whole session; it sees each test's settings because it shares
    this process.
    """
    from django.db import connection

    from calls.simulation import in_process_server

    with in_process_server() as server:
        yield LiveApp(url=server.url, loop=server.loop)
    # The server's worker threads may still hold connections; the test database can only be
    # dropped once they are gone.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
async def make_caller(phone_agent):
    """make_caller(live_app or an ASGI application, from_number=...) -> a TwilioCaller; any
    caller still connected when the test ends is closed."""
    from fakes.twilio_caller import TwilioCaller

    callers = []

    def make(where, **kwargs):
        target = {"app_url": where.url} if isinstance(where, LiveApp) else {"application": where}
        caller = TwilioCaller(public_url=PUBLIC_URL, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, **target, **kwargs)
        callers.append(caller)
        return caller

    yield make
    for caller in callers:
        await caller.hang_up()
        await _call_filed(caller.call_sid)


async def _call_filed(call_sid, timeout=10.0):
    """Wait until the app has finished writing a call that got going, so that nothing still
    writes to the database while the test's data is being flushed."""
    from channels.db import database_sync_to_async

    from calls.models import Call

    def still_running():
        return Call.objects.filter(call_sid=call_sid, ended_at__isnull=True).exclude(stream_sid="").exists()

    deadline = time.monotonic() + timeout
    while await database_sync_to_async(still_running)() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


@pytest.fixture
def appointments_table_gone():
    """The appointments table disappears (a botched migration): a real PostgreSQL error."""
    from django.db import connections

    connection = connections.create_connection("default")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE scheduling_appointment RENAME TO scheduling_appointment_away")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE scheduling_appointment_away RENAME TO scheduling_appointment")
    connection.close()
