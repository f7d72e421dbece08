"""Admission control across server processes, as production runs them: two `ottos.serve`
processes on one PostgreSQL and one Redis, CALLS_PER_PROCESS=1 each. Each call's webhook goes to
one process and its media stream to the other (as nginx may send them): the cluster still counts
every call once, turns away the call it has no room for, and takes one again when a call ends."""

import asyncio
import os
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
from channels.db import database_sync_to_async

from calls.models import Call
from calls.telephony import admission
from fakes.deepgram import FakeDeepgram
from fakes.openai import FakeOpenAI, text
from fakes.twilio_caller import TwilioCaller
from ottos.tests import server_process
from ottos.tests.balanced_servers import BalancedServers

pytestmark = pytest.mark.django_db(transaction=True)

AUTH_TOKEN = "admission-twilio-auth-token"
ACCOUNT_SID = "AC" + "7" * 32
PUBLIC_URL = "https://agent.example.test"
ADVISOR = "+13125550123"
STEP_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    with FakeDeepgram(tts_audio_s_per_char=0.02) as deepgram, FakeOpenAI() as openai:
        openai.reply = lambda body: text("Sure. Which day suits you?")
        with django_db_blocker.unblock():
            database_url = server_process.tests_database_url()
        # A Redis database of their own: no other test's processes (nor this test process, whose
        # live servers publish their calls too) count towards these two processes' lines.
        redis_url = own_redis_database(os.environ["REDIS_URL"])
        redis.Redis.from_url(redis_url).flushdb()
        workdir = tmp_path_factory.mktemp("admission")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "OPENAI_", "TWILIO_"))}
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            DEBUG="false",
            DATA_DIR=str(workdir / "data"),
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            PUBLIC_BASE_URL=PUBLIC_URL,
            DEEPGRAM_API_KEY=deepgram.api_key,
            DEEPGRAM_BASE_URL=deepgram.base_url,
            OPENAI_API_KEY=openai.api_key,
            OPENAI_BASE_URL=openai.base_url,
            VOICE_FAILOVER="false",
            SECURE_SSL_REDIRECT="false",
            CALLS_PER_PROCESS="1",
            SHOP_ADVISOR_NUMBER=ADVISOR,
        )
        with BalancedServers(workdir, 2, env) as running:
            yield [server.url for server in running.processes]


def own_redis_database(url, number=9):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


async def until(condition, what, timeout=STEP_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def readyz(url):
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        response = await http.get(url + "/readyz")
    return response.status_code, response.json()


async def ring(webhook_url, stream_url):
    """Twilio's webhook to one process; the media stream, if the TwiML opens one, to another.
    Returns (the caller on the stream or None, the TwiML's root)."""
    ringing = TwilioCaller(app_url=webhook_url, public_url=PUBLIC_URL, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID)
    form = ringing.incoming_call_form()
    status, twiml = await ringing.post_webhook("/twilio/voice/", form)
    await ringing.link.close()
    assert status == 200, twiml
    root = ET.fromstring(twiml)
    stream = root.find("Connect/Stream")
    if stream is None:
        return None, root
    caller = TwilioCaller(
        app_url=stream_url,
        public_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        call_sid=ringing.call_sid,
    )
    caller.stream_url = stream.get("url")
    caller.connect_action = root.find("Connect").get("action")
    caller.parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    await caller.open_stream()
    await caller.send_start()
    return caller, root


async def test_calls_split_over_two_processes_are_counted_once_and_the_one_too_many_goes_to_the_advisor(servers):
    one, two = servers

    async def both_registered():
        status, body = await readyz(one)
        return body["calls"].get("cluster", {}).get("processes", 0) >= 2

    await until(both_registered, "both processes to publish their calls")
    await asyncio.sleep(admission.HEARTBEAT_S + 0.5)
    _, body = await readyz(one)
    capacity = body["calls"]["cluster"]["capacity"]  # a line per process
    callers, placed = [], []
    try:
        for index in range(capacity):
            webhook, stream = (one, two) if index % 2 == 0 else (two, one)
            caller, _ = await ring(webhook, stream)
            assert caller is not None, f"call {index + 1} of {capacity} was turned away"
            callers.append(caller)
            placed.append(caller.call_sid)

        async def all_live():
            return (await readyz(one))[1]["calls"]["cluster"]["live_calls"] == capacity

        await until(all_live, "every admitted call to be live")
        for url in (one, two):
            status, body = await readyz(url)
            assert body["calls"]["live"] >= 1 and body["calls"]["capacity"] == 1
            assert status == 503 and body["status"] == "full"  # each process has its one call

        turned_away, root = await ring(two, one)
        assert turned_away is None
        assert root.find("Dial/Number").text == ADVISOR and root.find("Connect") is None

        await callers.pop().hang_up()

        async def a_line_free():
            return (await readyz(one))[1]["calls"]["cluster"]["live_calls"] == capacity - 1

        await until(a_line_free, "the ended call to leave the count")
        again, _ = await ring(one, two)
        assert again is not None
        callers.append(again)
        placed.append(again.call_sid)
    finally:
        for caller in callers:
            await caller.hang_up()
        # The servers file each call after its stream ends; leave only when they have, or the
        # test database's flush would race their last writes.
        await until(lambda: all_filed(placed), "every call to be filed")


async def all_filed(call_sids):
    ended = database_sync_to_async(Call.objects.filter(call_sid__in=call_sids, ended_at__isnull=False).count)
    return await ended() == len(call_sids)
