"""The production server (`python -m ottos.serve`): no phone number in a request's path or query
string reaches its log, neither Daphne's access log nor the app's own lines."""

import io
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from daphne.access import AccessLogGenerator
from django.conf import settings

from ottos.serve import redacted_access_log

# The caller +1 312 555 0147 as a search box, a link or a login redirect writes it.
PATHS = [
    "/calls/?q=%2B13125550147",  # redirected to the login page, the query encoded once more
    "/calls/?q=%28312%29%20555-0147",
    "/calls/?q=%28312%29+555-0147&page=2",
    "/calls/?q=312-555-0147",
    "/no-such-page/+13125550147/",  # a 404, which Django logs with its path
]
WHOLE_NUMBER = ("3125550147", "312-555", "555-0147", "%2B1312", "%252B1312", "%28312", "%2528312", "+1312")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_tests():
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def production_server(log_path, data_dir):
    """`python -m ottos.serve` as the Procfile starts it (DEBUG off, Daphne's default access log on
    stdout), on the test database; yields its URL. Its stdout and stderr go to `log_path`."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEEPGRAM_API_KEY", "OPENAI_API_KEY")}
    env.update(DATABASE_URL=database_url_of_tests(), DEBUG="false", DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ottos.serve", "-b", "127.0.0.1", "-p", str(port), "ottos.asgi:application"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_no_phone_number_reaches_the_servers_log(django_db_setup, tmp_path):
    log_path = tmp_path / "server.log"
    with production_server(log_path, tmp_path / "data") as url:
        for path in PATHS:
            httpx.get(url + path, follow_redirects=True, timeout=10)
    log = log_path.read_text()
    # Daphne's access line for each request, the login redirect's too, and Django's 404 warning.
    assert '"GET /calls/?q=***0147"' in log
    assert '"GET /calls/?q=***0147&page=2"' in log
    assert "GET /admin/login/?next=/calls/%3Fq%3D***0147" in log
    assert "/no-such-page/***0147/" in log and "Not Found" in log
    for written in WHOLE_NUMBER:
        assert written not in log, f"{written!r} in the server's log"


def test_every_path_daphne_logs_is_redacted_secrets_included():
    stream = io.StringIO()
    log_action = redacted_access_log(AccessLogGenerator(stream))
    log_action("http", "complete", {
        "path": "/twilio/voice/?q=%2B13125550147&call_token=abc.def.ghi123", "status": 200, "method": "GET",
        "client": "127.0.0.1:50000", "time_taken": 0.01, "size": 120,
    })
    log_action("websocket", "connecting", {"path": "/ws/lookup/%28312%29%20555-0147/", "client": "127.0.0.1:50001"})
    first, second = stream.getvalue().splitlines()
    assert '"GET /twilio/voice/?q=***0147&call_token=***" 200 120' in first
    assert '"WSCONNECTING /ws/lookup/***0147/"' in second
    assert "abc.def.ghi123" not in first


def test_without_an_access_log_there_is_nothing_to_redact():
    assert redacted_access_log(None) is None

