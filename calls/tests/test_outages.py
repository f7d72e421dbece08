"""Every call ends somewhere good through an outage: with Redis down new calls are answered, the
caller is known from the database and a replayed stream token is still refused; records made
while PostgreSQL restarts are written when it is back, and a longer outage loses records counted,
never the call.

Redis and PostgreSQL here are private servers started by these tests and really stopped, not the
test run's own (scripts/test.sh), which the other tests go on using.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError, connections
from prometheus_client import REGISTRY

from calls import transcript_log
from calls.agent.outcome import CallOutcome
from calls.models import Call, CallEvent, CallUsage, ToolInvocation, Turn, TurnLatency
from calls.transcript_log import CallRecorder
from crm.actions import find_customer_by_phone
from crm.models import Customer
from ottos.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

DANA = "+13125550147"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def counted(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- Redis --------------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.02)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def redis_of_our_own(settings):
    """The cache and the channel layer on a Redis of this test's own, which it may stop."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis.url, "socket_timeout": 15, "socket_connect_timeout": 1}]},
        }
    }
    yield redis
    redis.stop()


def test_the_cache_is_the_forgiving_redis_backend(settings):
    assert settings.CACHES["default"]["BACKEND"] == "ottos.lib.cache.ForgivingRedisCache"


def test_the_cache_answers_as_an_empty_one_while_redis_is_down_and_as_itself_after(redis_of_our_own, caplog):
    from django.core.cache import cache

    cache.set("scheduling:freebusy:shop:2026-12-07", {"busy": []})
    redis_of_our_own.stop()
    before = counted("ottos_cache_degraded_total", what="scheduling_freebusy")
    assert cache.get("scheduling:freebusy:shop:2026-12-07") is None
    assert cache.get_many(["scheduling:freebusy:shop:2026-12-07"]) == {}
    assert cache.add("scheduling:freebusy:shop:refreshing", 1) is False
    assert cache.set_many({"scheduling:freebusy:shop:2026-12-08": {"busy": []}}) == [
        "scheduling:freebusy:shop:2026-12-08"
    ]
    cache.set("scheduling:freebusy:shop:2026-12-08", {"busy": []})
    assert cache.delete("scheduling:freebusy:shop:2026-12-08") is False
    assert counted("ottos_cache_degraded_total", what="scheduling_freebusy") == before + 6

    redis_of_our_own.start()
    cache.set("scheduling:freebusy:shop:2026-12-08", {"busy": [[1, 2]]})
    assert cache.get("scheduling:freebusy:shop:2026-12-08") == {"busy": [[1, 2]]}
    assert "Cache (Redis) unreachable" in caplog.text and "Cache (Redis) answers again" in caplog.text


def test_caller_lookup_reads_the_database_while_redis_is_down(redis_of_our_own, customer, caplog):
    assert find_customer_by_phone(DANA) == customer  # cached now
    redis_of_our_own.stop()
    before = counted("ottos_cache_degraded_total", what="crm_customer_by_phone")

    assert find_customer_by_phone("(312) 555-0147") == customer
    assert find_customer_by_phone("+17735550100") is None
    customer.name = "Dana Whitfield-Ruiz"
    customer.save()  # forgetting the cached number fails quietly: the save stands
    assert find_customer_by_phone(DANA).name == "Dana Whitfield-Ruiz"

    assert counted("ottos_cache_degraded_total", what="crm_customer_by_phone") >= before + 3
    assert caplog.text.count("Cache (Redis) unreachable") == 1, "logged once for the outage, not per lookup"
    assert "5550147" not in caplog.text, "no phone numbers in the logs"


async def refused_with(caller):
    await asyncio.wait_for(caller.closed.wait(), 5)
    return caller.close_code


async def test_a_new_call_is_answered_with_redis_down_and_its_token_is_still_single_use(
    make_caller, redis_of_our_own, deepgram, customer, caplog
):
    redis_of_our_own.stop()
    before = counted("ottos_cache_degraded_total", what="crm_customer_by_phone")

    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    await caller.send_start()
    await caller.wait_for(lambda: caller.received_bytes > 8000, timeout=10)
    assert not caller.closed.is_set()
    assert " ".join(deepgram.tts.texts).startswith("Hi Dana"), "the caller is known from the database"

    replay = make_caller(application, call_sid=caller.call_sid, from_number=caller.from_number)
    replay.stream_url, replay.parameters = caller.stream_url, caller.parameters
    await replay.open_stream()
    await replay.send_start()
    assert await refused_with(replay) == 4401
    assert not caller.closed.is_set()

    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.customer_id == customer.pk
    assert counted("ottos_cache_degraded_total", what="crm_customer_by_phone") > before
    assert "live event" in caplog.text and "not published" in caplog.text  # the live page missed it; the call did not


# --- PostgreSQL ---------------------------------------------------------------------------------


def postgres_bin():
    versioned = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if versioned:
        return versioned[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary directory, as scripts/with_services.sh makes one."""

    def __init__(self, bin_dir):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="ottos-outage-"))
        self.port = free_port()
        self.as_owner = []
        if os.getuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.root, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", self.root / "pg", "-U", "ottos", "-A", "trust", "--no-sync")
        self.start()

    def _run(self, program, *args):
        subprocess.run([*self.as_owner, self.bin / program, *args], check=True, capture_output=True, timeout=60)

    def start(self):
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20"
        self._run("pg_ctl", "-D", self.root / "pg", "-l", self.root / "pg.log", "-w", "-o", options, "start")

    def stop(self):
        """A real shutdown: open connections are cut, new ones refused."""
        self._run("pg_ctl", "-D", self.root / "pg", "-m", "fast", "-w", "stop")

    def is_running(self):
        return (
            subprocess.run(
                [*self.as_owner, self.bin / "pg_ctl", "-D", self.root / "pg", "status"], capture_output=True
            ).returncode
            == 0
        )

    def remove(self):
        subprocess.run(
            [*self.as_owner, self.bin / "pg_ctl", "-D", self.root / "pg", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_of_our_own():
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
    server = PrivatePostgres(bin_dir)
    yield server
    server.remove()


@pytest.fixture
def outage_db(transactional_db, postgres_of_our_own):
    """For this test the database is the private PostgreSQL, through a connection pool as in production."""
    server = postgres_of_our_own
    if not server.is_running():
        server.start()
    shared = connections.settings["default"]  # what every thread's connection is made from
    connection = connections["default"]
    kept = {key: shared.get(key) for key in ("HOST", "PORT", "NAME", "USER", "PASSWORD", "OPTIONS")}
    connection.close()
    connection.close_pool()
    ours = {
        "HOST": "127.0.0.1",
        "PORT": server.port,
        "NAME": "postgres",
        "USER": "ottos",
        "PASSWORD": "",
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 4, "timeout": 2}},
    }
    for settings_dict in {id(shared): shared, id(connection.settings_dict): connection.settings_dict}.values():
        settings_dict.update(ours)
    try:
        if "calls_call" not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                for model in (Customer, Call, Turn, ToolInvocation, TurnLatency, CallEvent, CallUsage):
                    editor.create_model(model)
        yield server
    finally:
        if not server.is_running():
            server.start()
        connection.close()
        connection.close_pool()
        for settings_dict in {id(shared): shared, id(connection.settings_dict): connection.settings_dict}.values():
            settings_dict.update(kept)


def a_conversation(recorder, said="I need an oil change."):
    now = time.monotonic()
    recorder.turn(role="user", text=said, heard_text="", interrupted=False, started_at=now - 2, ended_at=now - 1)
    recorder.latency(
        speech_end=now - 1,
        stt_final=now - 0.8,
        llm_first_token=now - 0.5,
        tts_first_byte=now - 0.3,
        first_audio_sent=now - 0.29,
    )
    recorder.tool(name="get_available_slots", arguments="{}", result='{"slots": []}', ok=True, duration_ms=40.0)
    recorder.turn(
        role="assistant",
        text="I have Tuesday at nine.",
        heard_text="I have Tuesday at nine.",
        interrupted=False,
        started_at=now - 0.3,
        ended_at=now,
    )
    recorder.event("reconnect", vendor="deepgram", gap_ms=120)


ROWS_PER_CONVERSATION = 5


@database_sync_to_async
def open_call(call_sid):
    return Call.objects.create(call_sid=call_sid, from_number=DANA, to_number="+13125550100")


@database_sync_to_async
def rows_of(call):
    return (
        Turn.objects.filter(call=call).count()
        + TurnLatency.objects.filter(call=call).count()
        + ToolInvocation.objects.filter(call=call).count()
        + CallEvent.objects.filter(call=call).count()
    )


async def written(call, rows, timeout=10):
    deadline = time.monotonic() + timeout
    while await rows_of(call) < rows and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return await rows_of(call)


async def test_records_made_while_postgresql_restarts_are_written_when_it_is_back(outage_db, caplog):
    call = await open_call("CA" + "e5" * 16)
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid, outcome=CallOutcome())
    recorder.start()
    dropped = counted("ottos_call_records_dropped_total", reason="unreachable")
    a_conversation(recorder, "Hi, it's Dana.")
    assert await written(call, ROWS_PER_CONVERSATION) == ROWS_PER_CONVERSATION  # the pool holds live connections now

    await asyncio.to_thread(outage_db.stop)
    started = time.monotonic()
    a_conversation(recorder, "Can I come in Tuesday?")
    a_conversation(recorder, "Nine works.")
    assert time.monotonic() - started < 0.1, "recording waits for nothing"
    await asyncio.sleep(1.5)  # the writer finds the database gone and keeps retrying
    await asyncio.to_thread(outage_db.start)

    await recorder.close(timeout=25)
    assert await rows_of(call) == 3 * ROWS_PER_CONVERSATION
    said = await database_sync_to_async(
        lambda: list(Turn.objects.filter(call=call, role="user").order_by("index").values_list("text", flat=True))
    )()
    assert said == ["Hi, it's Dana.", "Can I come in Tuesday?", "Nine works."]
    assert counted("ottos_call_records_dropped_total", reason="unreachable") == dropped
    assert "the database is unreachable" in caplog.text and "the database is back" in caplog.text


async def test_an_outage_longer_than_the_retries_loses_records_counted_not_the_call(outage_db, monkeypatch, caplog):
    monkeypatch.setattr(transcript_log, "RETRY_FOR_S", 1.0)
    call, later = await open_call("CA" + "f6" * 16), await open_call("CA" + "a7" * 16)
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid, outcome=CallOutcome())
    recorder.start()
    dropped = counted("ottos_call_records_dropped_total", reason="unreachable")

    await asyncio.to_thread(outage_db.stop)
    started = time.monotonic()
    a_conversation(recorder)
    assert time.monotonic() - started < 0.1, "recording waits for nothing"
    recorder.event("ended", reason="caller_hung_up")
    await recorder.close(timeout=15)
    assert time.monotonic() - started < 12, "the recorder gives up within its bound"

    assert counted("ottos_call_records_dropped_total", reason="unreachable") == dropped + ROWS_PER_CONVERSATION + 1
    assert f"{ROWS_PER_CONVERSATION + 1} call records are lost" in caplog.text
    await asyncio.to_thread(outage_db.start)

    # Back up: the next call's records are written as ever (once the pool has reconnected).
    monkeypatch.setattr(transcript_log, "RETRY_FOR_S", 30.0)
    recorder = CallRecorder(call_id=later.pk, call_sid=later.call_sid, outcome=CallOutcome())
    recorder.start()
    a_conversation(recorder)
    await recorder.close(timeout=25)
    assert await rows_of(later) == ROWS_PER_CONVERSATION


async def test_a_call_that_ends_while_postgresql_restarts_is_filed_when_it_is_back(outage_db, caplog):
    from django.utils import timezone

    from calls.agent.call import file_finished_call

    call = await open_call("CA" + "b8" * 16)
    await asyncio.to_thread(outage_db.stop)
    ended = timezone.now()
    started = time.monotonic()
    await file_finished_call(
        call.call_sid,
        end_reason="caller_hung_up",
        outcomes={Call.Outcome.BOOKED},
        caller_spoke=True,
        summary="Booked an oil change.",
    )
    assert time.monotonic() - started < 4, "the end of the call waits for the database at most a moment"
    await asyncio.sleep(1.0)
    await asyncio.to_thread(outage_db.start)

    deadline = time.monotonic() + 25
    filed = None
    while filed is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        try:
            filed = await database_sync_to_async(Call.objects.filter(pk=call.pk, ended_at__isnull=False).first)()
        except OperationalError:  # the pool is still reconnecting
            continue
    assert filed is not None, "the call was filed once the database was back"
    assert (filed.end_reason, filed.outcome, filed.summary) == ("caller_hung_up", "booked", "Booked an oil change.")
    assert abs((filed.ended_at - ended).total_seconds()) < 1, "filed with the time it ended, not when filed"
    assert "filing the call when it is back" in caplog.text and "the call is filed" in caplog.text
