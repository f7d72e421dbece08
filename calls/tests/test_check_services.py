"""`manage.py check_services`: live checks of every service against the real PostgreSQL and Redis,
a real Celery worker, and the vendors' real SDKs pointed at the loopback fakes."""

import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

from fakes.google_calendar import FakeGoogleCalendar

pytestmark = pytest.mark.django_db
SHOP_CALENDAR = "bays@otto.example"
ROW = re.compile(
    r"^(PostgreSQL|Redis|Celery|Offline voice|Deepgram|OpenAI|Twilio|Google Calendar)\s+(OK|FAIL|NOT CONFIGURED)\s+(.*)$"
)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check(*args):
    """Run the command; returns (rows {service: (status, why)}, error or None)."""
    out = io.StringIO()
    error = None
    try:
        call_command("check_services", *args, "--timeout", "3", stdout=out, no_color=True)
    except CommandError as exc:
        error = str(exc)
    rows = {}
    for line in out.getvalue().splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows, error


@pytest.fixture
def google():
    with FakeGoogleCalendar(SHOP_CALENDAR) as fake:
        yield fake


@pytest.fixture
def vendors(settings, deepgram, openai, twilio_rest, google):
    settings.DEEPGRAM_API_KEY, settings.DEEPGRAM_BASE_URL = deepgram.api_key, deepgram.base_url
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = openai.api_key, openai.base_url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio_rest.account_sid, twilio_rest.auth_token
    settings.TWILIO_API_BASE_URL = twilio_rest.base_url
    settings.SHOP_ADVISOR_NUMBER = "+13125550123"
    settings.GOOGLE_CALENDAR_ID, settings.GOOGLE_CALENDAR_BASE_URL = SHOP_CALENDAR, google.api_endpoint
    return settings


@pytest.fixture(scope="module")
def celery_worker():
    """`celery -A ottos worker` on the test Redis broker, listening on a queue of its own."""
    name = f"check-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ottos",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            f"queue-{name}",
            "-n",
            name,
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from ottos.celery import app

    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            assert proc.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not start"
        yield name
    finally:
        proc.terminate()
        proc.wait(30)


def test_every_service_is_ok_against_live_servers_and_the_fakes(
    vendors, celery_worker, deepgram, openai, twilio_rest, google
):
    rows, error = check()
    assert error is None
    assert {name: status for name, (status, _) in rows.items()} == dict.fromkeys(
        ["PostgreSQL", "Redis", "Celery", "Offline voice", "Deepgram", "OpenAI", "Twilio", "Google Calendar"], "OK"
    )
    assert "(the vendors' backups)" in rows["Offline voice"][1]  # with keys, offline engines stand behind them
    assert "migrations up to date" in rows["PostgreSQL"][1]
    assert rows["Redis"][1].startswith("Redis ")
    assert celery_worker in rows["Celery"][1]
    assert "1 project" in rows["Deepgram"][1]
    assert settings.OPENAI_MODEL in rows["OpenAI"][1]
    assert "active" in rows["Twilio"][1]
    assert SHOP_CALENDAR in rows["Google Calendar"][1]
    # each vendor saw one authenticated request
    assert any(
        r.path.endswith(f"/Accounts/{twilio_rest.account_sid}.json") and r.authenticated for r in twilio_rest.requests
    )
    assert [r.path for r in google.requests] == ["/calendar/v3/freeBusy"]


def test_vendors_without_keys_are_reported_not_configured_and_do_not_fail(settings):
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = settings.GOOGLE_CALENDAR_ID = ""
    rows, error = check("--only", "Deepgram", "--only", "OpenAI", "--only", "Twilio", "--only", "Google Calendar")
    assert error is None
    assert {status for status, _ in rows.values()} == {"NOT CONFIGURED"}
    assert "DEEPGRAM_API_KEY" in rows["Deepgram"][1] and "GOOGLE_CALENDAR_ID" in rows["Google Calendar"][1]


def test_unreachable_vendors_fail_with_a_reason_and_the_command_fails(vendors):
    for name in ("DEEPGRAM_BASE_URL", "TWILIO_API_BASE_URL"):
        setattr(vendors, name, f"http://127.0.0.1:{closed_port()}")
    vendors.OPENAI_BASE_URL = f"http://127.0.0.1:{closed_port()}/v1"
    vendors.GOOGLE_CALENDAR_BASE_URL = f"http://127.0.0.1:{closed_port()}/calendar/v3/"
    rows, error = check("--only", "Deepgram", "--only", "OpenAI", "--only", "Twilio", "--only", "Google Calendar")
    assert error == "4 of 4 services failed: Deepgram, OpenAI, Twilio, Google Calendar"
    for name in ("Deepgram", "OpenAI", "Twilio"):
        assert rows[name][0] == "FAIL"
        assert "could not connect" in rows[name][1], rows[name]
    assert rows["Google Calendar"][0] == "FAIL" and "could not be reached" in rows["Google Calendar"][1]


def test_refused_credentials_fail_and_say_so(vendors):
    vendors.DEEPGRAM_API_KEY = "wrong-deepgram-key"
    vendors.OPENAI_API_KEY = "sk-wrong-openai-key"
    vendors.TWILIO_AUTH_TOKEN = "wrong-twilio-token"
    rows, error = check("--only", "Deepgram", "--only", "OpenAI", "--only", "Twilio")
    assert error is not None
    assert rows["Deepgram"][0] == "FAIL" and "key was refused (401)" in rows["Deepgram"][1]
    assert rows["OpenAI"][0] == "FAIL" and "key was refused (401)" in rows["OpenAI"][1]
    assert rows["Twilio"][0] == "FAIL" and "were refused (401)" in rows["Twilio"][1]
    assert "wrong-" not in str(rows)


def test_a_calendar_the_credentials_cannot_see_fails(vendors):
    vendors.GOOGLE_CALENDAR_ID = "someone-else@otto.example"
    rows, error = check("--only", "Google Calendar")
    assert error is not None
    assert rows["Google Calendar"][0] == "FAIL" and "someone-else@otto.example" in rows["Google Calendar"][1]


def test_a_vendor_that_does_not_answer_in_time_fails(vendors, google):
    google.latency_s = 5.0
    vendors.GOOGLE_FREEBUSY_TIMEOUT_SECONDS = 1.0
    started = time.monotonic()
    rows, error = check("--only", "Google Calendar")
    assert time.monotonic() - started < 4.5
    assert rows["Google Calendar"][0] == "FAIL"
    assert "did not answer in time" in rows["Google Calendar"][1] or "no answer" in rows["Google Calendar"][1]


def test_unreachable_redis_and_broker_fail(settings):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    settings.CELERY_BROKER_URL = url
    rows, error = check("--only", "Redis", "--only", "Celery")
    assert error == "2 of 2 services failed: Redis, Celery"
    assert "refused" in rows["Redis"][1].lower() and "refused" in rows["Celery"][1].lower()


def test_a_broker_without_workers_fails_naming_the_fix(settings):
    settings.CELERY_BROKER_URL = f"{os.environ['REDIS_URL'].rsplit('/', 1)[0]}/15"  # a database no worker uses
    rows, error = check("--only", "Celery")
    assert error is not None
    assert rows["Celery"][0] == "FAIL"
    assert "no worker answered" in rows["Celery"][1] and "celery -A ottos worker" in rows["Celery"][1]


def test_eager_mode_needs_no_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    rows, error = check("--only", "Celery")
    assert error is None
    assert rows["Celery"] == ("OK", "eager mode: tasks run in the web process (no broker, no worker) [0 ms]")


def test_unreachable_postgresql_fails(monkeypatch):
    monkeypatch.setitem(
        connections.settings, "default", {**connections.settings["default"], "HOST": "127.0.0.1", "PORT": closed_port()}
    )
    rows, error = check("--only", "PostgreSQL")
    assert error == "1 of 1 services failed: PostgreSQL"
    assert "refused" in rows["PostgreSQL"][1].lower()


def test_the_process_exits_non_zero_when_a_service_fails():
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "check_services", "--only", "Redis", "--timeout", "2"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"^Redis\s+FAIL\s+.*refused", proc.stdout, re.MULTILINE | re.IGNORECASE), proc.stdout
    assert "1 of 1 services failed: Redis" in proc.stderr


def test_bad_options_are_refused():
    with pytest.raises(CommandError, match="--timeout"):
        call_command("check_services", "--timeout", "0")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("check_services", "--only", "Postgres")


def test_with_no_keys_it_says_which_offline_engines_answer_the_phone(settings):
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = ""
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    rows, _ = check("--only", "Offline voice", "--only", "Deepgram", "--only", "OpenAI")
    status, why = rows["Offline voice"]
    assert status == "OK" and "Whisper tiny.en hears" in why and "the scripted receptionist answers" in why
    assert "the phone agent's engines" in why
    assert rows["Deepgram"] == (
        "NOT CONFIGURED",
        "DEEPGRAM_API_KEY is empty: calls hear and speak with the offline engines",
    )
    assert rows["OpenAI"] == ("NOT CONFIGURED", "OPENAI_API_KEY is empty: the scripted receptionist answers calls")
