"""The production server (`python -m ottos.serve`): no phone number in a request's path or query
string reaches its log, neither Daphne's access log nor the app's own lines."""

import io

import httpx
from daphne.access import AccessLogGenerator

from ottos.serve import redacted_access_log
from ottos.tests.server_process import server_process

# The caller +1 312 555 0147 as a search box, a link or a login redirect writes it.
PATHS = [
    "/calls/?q=%2B13125550147",  # redirected to the login page, the query encoded once more
    "/calls/?q=%28312%29%20555-0147",
    "/calls/?q=%28312%29+555-0147&page=2",
    "/calls/?q=312-555-0147",
    "/no-such-page/+13125550147/",  # a 404, which Django logs with its path
]
WHOLE_NUMBER = ("3125550147", "312-555", "555-0147", "%2B1312", "%252B1312", "%28312", "%2528312", "+1312")


def test_no_phone_number_reaches_the_servers_log(django_db_setup, tmp_path):
    log_path = tmp_path / "server.log"
    with server_process(log_path, DEBUG="false", DATA_DIR=str(tmp_path / "data")) as url:
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
    log_action(
        "http",
        "complete",
        {
            "path": "/twilio/voice/?q=%2B13125550147&call_token=abc.def.ghi123",
            "status": 200,
            "method": "GET",
            "client": "127.0.0.1:50000",
            "time_taken": 0.01,
            "size": 120,
        },
    )
    log_action("websocket", "connecting", {"path": "/ws/lookup/%28312%29%20555-0147/", "client": "127.0.0.1:50001"})
    first, second = stream.getvalue().splitlines()
    assert '"GET /twilio/voice/?q=***0147&call_token=***" 200 120' in first
    assert '"WSCONNECTING /ws/lookup/***0147/"' in second
    assert "abc.def.ghi123" not in first


def test_without_an_access_log_there_is_nothing_to_redact():
    assert redacted_access_log(None) is None
