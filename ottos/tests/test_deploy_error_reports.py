"""Errors go to Sentry when SENTRY_DSN is set, redacted like the logs: no phone number and no
secret leaves the process. The real SDK sends to a loopback fake of Sentry's ingest endpoint."""

import gzip
import os
import secrets
import subprocess
import sys
import textwrap
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

NUMBER_WRITTEN = ("13125550147", "3125550147", "555-0147", "555 0147", "%2B1312")


class FakeSentry(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: records each envelope (decompressed) and answers 200."""

    envelopes = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            raise AssertionError(f"unexpected Content-Encoding {encoding}")
        self.envelopes.append((self.path, body.decode()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_ingest():
    FakeSentry.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], FakeSentry.envelopes
    server.shutdown()
    server.server_close()


# A view that fails with the caller's number in its error, reached with the number in the query
# string and a header; a log line with it before (a breadcrumb), a logged error and a message.
SCRIPT = textwrap.dedent("""
    import logging
    import django
    django.setup()
    import sentry_sdk
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path
    from ottos import urls

    log = logging.getLogger("calls.lookup")

    def lookup(request):
        caller = request.GET["from"]
        log.info("Looking up caller %s", caller)
        raise LookupError(f"no customer with the number {caller}; key sk-live0123456789abcdefXYZ")

    urls.urlpatterns.append(path("lookup", lookup))
    response = Client(raise_request_exception=False).get(
        "/lookup", {"from": "+13125550147"}, HTTP_X_CALLER="(312) 555-0147")
    assert response.status_code == 500, response.status_code
    try:
        raise ValueError("texting +1 312-555-0147 failed")
    except ValueError:
        log.exception("Reminder to %s not sent", "+13125550147")
    sentry_sdk.capture_message("Callback asked for at 312.555.0147")
    sentry_sdk.flush(timeout=10)
""")


def run_with_sentry(dsn, tmp_path, secret_key):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ottos.settings",
        "DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "testserver",
        "SENTRY_DSN": dsn,
        "SENTRY_ENVIRONMENT": "test",
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=60
    )


def test_errors_reach_sentry_without_a_phone_number_or_a_secret(sentry_ingest, tmp_path):
    port, envelopes = sentry_ingest
    secret_key = secrets.token_urlsafe(50)

    proc = run_with_sentry(f"http://public@127.0.0.1:{port}/1", tmp_path, secret_key)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert envelopes and all(path == "/api/1/envelope/" for path, _ in envelopes)
    sent = "\n".join(body for _, body in envelopes)
    assert "LookupError" in sent and "ValueError" in sent and "Callback asked for at" in sent
    assert "no customer with the number ***0147" in sent  # the exception's value, redacted
    assert "Looking up caller ***0147" in sent  # the breadcrumb
    assert "Reminder to ***0147 not sent" in sent  # the logged error
    assert '"environment":"test"' in sent.replace(" ", "")
    for written in NUMBER_WRITTEN:
        assert written not in sent
    assert "sk-live0123456789" not in sent and secret_key not in sent


def test_without_a_dsn_nothing_is_started():
    import sentry_sdk

    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()
