"""Production's shape: three server processes (`python -m ottos.serve --proxy-headers`) on one
PostgreSQL and one Redis (channels-redis, the Redis cache), behind nginx running the shipped
deploy/nginx.conf, sharing PROMETHEUS_MULTIPROC_DIR. Speech and language are the loopback
Deepgram and OpenAI fakes (served here, as for the phone-agent tests); Twilio is the fake caller.

A call may be split over processes (its webhook on one, its media stream on another, a manager
watching it on a third) and must still be answered, filed once and seen live. Through nginx the
media streams of concurrent calls spread over the processes (least_conn), and /metrics, asked of
any process, adds up the calls of all of them.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from calls.models import Call, Turn
from calls.tests.page_records import ensure_staff_groups
from fakes.deepgram import FakeDeepgram, spoken
from fakes.openai import FakeOpenAI, text
from fakes.twilio_caller import TwilioCaller
from ottos.lib import metrics as metrics_module
from ottos.tests import server_process
from ottos.tests.balanced_servers import BalancedServers
from ottos.tests.test_settings import load_settings

pytestmark = pytest.mark.django_db(transaction=True)

AUTH_TOKEN = "scale-out-twilio-auth-token"
ACCOUNT_SID = "AC" + "5" * 32
PUBLIC_URL = "https://agent.example.test"
REPLY = "Sure, we can look at your brakes this week. Which day suits you?"
SAID = "My brakes are squeaking when I stop"
CONCURRENT_CALLS = 6
STEP_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def vendors():
    with FakeDeepgram(tts_audio_s_per_char=0.02) as deepgram, FakeOpenAI() as openai:
        openai.reply = lambda body: text(REPLY)
        yield deepgram, openai


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, vendors, tmp_path_factory):
    deepgram, openai = vendors
    with django_db_blocker.unblock():
        database_url = server_process.tests_database_url()
    workdir = tmp_path_factory.mktemp("scale-out")
    (workdir / "metrics").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPGRAM_", "OPENAI_", "TWILIO_"))}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        DATA_DIR=str(workdir / "data"),
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        PUBLIC_BASE_URL=PUBLIC_URL,
        DEEPGRAM_API_KEY=deepgram.api_key,
        DEEPGRAM_BASE_URL=deepgram.base_url,
        OPENAI_API_KEY=openai.api_key,
        OPENAI_BASE_URL=openai.base_url,
        VOICE_FAILOVER="false",  # no offline speech models to load in each process
        SECURE_SSL_REDIRECT="false",  # this nginx has no certificate: its plain http stands in for TLS
    )
    with BalancedServers(workdir, 3, env) as running:
        yield running


@pytest.fixture(autouse=True)
def staff_groups(transactional_db):
    ensure_staff_groups()


def caller_on(url, **kwargs):
    return TwilioCaller(app_url=url, public_url=PUBLIC_URL, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, **kwargs)


async def until(condition, what, timeout=STEP_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def answered(caller, since):
    """The caller hears agent audio that started arriving after `since` (monotonic)."""
    await until(lambda: caller.first_audio_after(since) is not None, f"agent audio on {caller.call_sid}")


def heard_it_all(caller, quiet_s=0.5):
    """Nothing left to play and no agent audio for a moment: the reply is over."""
    return not caller.is_playing and time.monotonic() - caller.received[-1].at >= quiet_s


class LiveWatch:
    """The live-calls page's WebSocket, signed in as `user`, on one server process."""

    def __init__(self, server_url, session_id):
        self.url = server_url.replace("http://", "ws://") + "/ws/calls/live/"
        self.headers = {"Cookie": f"sessionid={session_id}", "Origin": "http://127.0.0.1"}
        self.messages = []

    async def __aenter__(self):
        from websockets.asyncio.client import connect

        self.socket = await connect(self.url, additional_headers=self.headers, proxy=None)
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc):
        self.reader.cancel()
        await self.socket.close()

    async def _read(self):
        async for message in self.socket:
            self.messages.append(json.loads(message))

    def turns(self, call_sid):
        return [
            (m["data"]["role"], m["data"]["text"])
            for m in self.messages
            if m["call_sid"] == call_sid and m["kind"] == "turn"
        ]


def metric(exposition, name, **labels):
    """The sum of a metric's samples with these labels in a Prometheus text exposition."""
    total = 0.0
    for line in exposition.splitlines():
        match = re.match(rf"^{name}(\{{(?P<labels>[^}}]*)\}})? (?P<value>\S+)$", line)
        if match and all(f'{k}="{v}"' in (match["labels"] or "") for k, v in labels.items()):
            total += float(match["value"])
    return total


def per_pid(exposition, name):
    return {int(pid): float(value) for pid, value in re.findall(rf'^{name}\{{pid="(\d+)"\}} (\S+)$', exposition, re.M)}


async def scrape(url):
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        response = await http.get(f"{url}/metrics")
    assert response.status_code == 200
    return response.text


async def status_callback(url, caller, status):
    """Twilio's status callback for the call, signed, to one process (the caller's own link is closed)."""
    form = {
        "CallSid": caller.call_sid,
        "AccountSid": ACCOUNT_SID,
        "CallStatus": status,
        "CallDuration": "8",
        "From": caller.from_number,
        "To": caller.to_number,
    }
    headers = {"X-Twilio-Signature": caller.sign(PUBLIC_URL + "/twilio/status/", form)}
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=10) as http:
        response = await http.post("/twilio/status/", data=form, headers=headers)
    return response.status_code


async def filed(call_sid):
    """The call's media stream is over and the call is filed (its end written)."""
    done = database_sync_to_async(Call.objects.filter(call_sid=call_sid, ended_at__isnull=False).exists)
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while not await done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"call {call_sid} was never filed")
        await asyncio.sleep(0.1)


def access_log(server):
    return server.log_path.read_text(errors="replace")


def requests(server):
    """What a process served, from its log: {"POST /twilio/voice/", "WebSocket /ws/...", ...}."""
    log = access_log(server)
    http = re.findall(r'\\"([A-Z]+ /\S*) HTTP/[\d.]+\\"', log)
    websockets = re.findall(r'\\"(WebSocket /\S*)\\" \[accepted\]', log)
    return set(http) | set(websockets)


async def test_a_call_split_over_three_processes_is_answered_filed_once_and_seen_live(
    servers, shop, oil_change, brake_job, customer, manager, signed_in
):
    webhook_process, stream_process, page_process = servers.processes
    session = (await database_sync_to_async(signed_in)(manager)).cookies["sessionid"].value
    async with LiveWatch(page_process.url, session) as live:
        caller = caller_on(webhook_process.url)
        assert await caller.ring() == 200, caller.twiml
        assert caller.stream_url == "wss://agent.example.test/ws/twilio/media/"
        # Twilio opens the stream URL it was given; in front of several processes it may land on any.
        caller.link.app_url = stream_process.url
        await caller.open_stream()
        await caller.send_start()
        try:
            await answered(caller, 0.0)
            await until(
                lambda: any(
                    role == "assistant" and words.startswith("Hi Dana") for role, words in live.turns(caller.call_sid)
                ),
                "the greeting, seen live",
            )
            utterance = await caller.say(spoken(SAID))
            await answered(caller, utterance.ended_at)
            await until(lambda: ("assistant", REPLY) in live.turns(caller.call_sid), "the reply, seen live")
        finally:
            await caller.hang_up()
        await filed(caller.call_sid)
        assert await status_callback(webhook_process.url, caller, "completed") == 204
    assert [role for role, _ in live.turns(caller.call_sid)] == ["assistant", "user", "assistant"]
    assert live.turns(caller.call_sid)[1:] == [("user", SAID), ("assistant", REPLY)]
    assert await database_sync_to_async(Call.objects.filter(call_sid=caller.call_sid).count)() == 1
    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert (call.status, call.end_reason, call.customer_id) == ("completed", "caller_hung_up", customer.pk)
    roles = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call).values_list("role", flat=True)))()
    assert roles == ["assistant", "user", "assistant"]
    # Each process did its part: the webhooks on the first, the stream on the second, the page on the third.
    assert {"POST /twilio/voice/", "POST /twilio/status/"} <= requests(webhook_process)
    assert "WebSocket /ws/twilio/media/" in requests(stream_process)
    assert "WebSocket /ws/calls/live/" in requests(page_process)
    assert not {r for r in requests(stream_process) | requests(page_process) if r.startswith("POST /twilio/")}
    assert not {r for r in requests(webhook_process) | requests(page_process) if "/ws/twilio/" in r}


async def test_through_nginx_concurrent_calls_spread_over_the_processes_and_metrics_add_up(
    servers, shop, oil_change, brake_job, customer
):
    before_streams = servers.streams()
    before_calls = metric(await scrape(servers.url), "ottos_calls_total")
    callers = [caller_on(servers.url, from_number=f"+1312555{index:04d}") for index in range(CONCURRENT_CALLS)]

    async def talk(caller):
        await answered(caller, 0.0)
        utterance = await caller.say(spoken(SAID))
        await answered(caller, utterance.ended_at)
        await until(lambda: heard_it_all(caller), f"the end of the reply on {caller.call_sid}")

    try:
        for caller in callers:
            await caller.dial()  # the signed webhook and the media stream, both through nginx
            # Twilio's "answered" status callback: three requests a call, so that round-robin over
            # three processes would put every stream on the same one.
            assert (await caller.post_status("in-progress"))[0] == 204
        await asyncio.gather(*(talk(caller) for caller in callers))
        # Every call is up: the live gauges, as any process reports them, count them all.
        during = await scrape(servers.url)
        through_each = [await scrape(server.url) for server in servers.processes]
    finally:
        await asyncio.gather(*(caller.hang_up() for caller in callers))
    assert all(caller.close_code in (None, 1000) for caller in callers)

    streams = [now - then for now, then in zip(servers.streams(), before_streams)]
    assert sum(streams) == CONCURRENT_CALLS
    assert all(streams) and max(streams) <= CONCURRENT_CALLS // 2, f"streams per process: {streams}"
    assert metric(during, "ottos_active_calls") == CONCURRENT_CALLS
    assert per_pid(during, "ottos_process_active_calls") == {
        pid: count for pid, count in zip(servers.pids, map(float, streams))
    }
    assert all(metric(text_, "ottos_active_calls") == CONCURRENT_CALLS for text_ in through_each)

    for caller in callers:
        await filed(caller.call_sid)
    after = await scrape(servers.url)
    assert metric(after, "ottos_calls_total") == before_calls + CONCURRENT_CALLS
    assert metric(after, "ottos_active_calls") == 0
    assert metric(after, "ottos_call_turns_total", role="user") >= CONCURRENT_CALLS
    assert (
        await database_sync_to_async(
            Call.objects.filter(call_sid__in=[c.call_sid for c in callers], ended_at__isnull=False).count
        )()
        == CONCURRENT_CALLS
    )


async def test_a_client_cannot_choose_the_address_the_servers_see(servers):
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        response = await http.get(
            f"{servers.url}/healthz?from-a-liar",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        )
    assert response.status_code == 200
    await asyncio.sleep(0.2)
    (line,) = [
        line
        for server in servers.processes
        for line in access_log(server).splitlines()
        if "/healthz?from-a-liar" in line
    ]
    # The address comes from nginx's X-Forwarded-For (the server writes a forwarded client with port 0).
    assert 'msg="127.0.0.1:0 - ' in line and "203.0.113.9" not in line


# --- the figures of processes that are gone ----------------------------------------------------------

CALL_IN_A_PROCESS = "import os, sys; from ottos.lib import metrics; metrics.call_started(); print(os.getpid()); {then}"
GONE_WITHOUT_A_WORD = "sys.stdout.flush(); os._exit(0)"  # as when killed: no clean-up runs
STOPPED = "metrics.process_exited()"  # as ottos.serve does when it stops


def run_a_process_with_a_call(folder, then):
    done = subprocess.run(
        [sys.executable, "-c", CALL_IN_A_PROCESS.format(then=then)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def added_up(folder):
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry).decode()


def test_a_process_that_died_mid_call_stops_counting_once_another_starts(tmp_path, monkeypatch):
    killed = run_a_process_with_a_call(tmp_path, GONE_WITHOUT_A_WORD)
    run_a_process_with_a_call(tmp_path, STOPPED)
    figures = added_up(tmp_path)
    assert metric(figures, "ottos_active_calls") == 1  # the stopped one took itself out; the killed one could not
    assert set(per_pid(figures, "ottos_process_active_calls")) == {killed}

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert metrics_module.forget_dead_processes() == [killed]  # what a server does as it starts
    figures = added_up(tmp_path)
    assert metric(figures, "ottos_active_calls") == 0 and per_pid(figures, "ottos_process_active_calls") == {}
    assert metric(figures, "ottos_calls_total") == 2  # counters keep what gone processes counted


def test_a_multiprocess_directory_that_does_not_exist_stops_start_up(tmp_path):
    ok, output = load_settings(SECRET_KEY="x", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing"))
    assert not ok and "PROMETHEUS_MULTIPROC_DIR must be an existing directory" in output
