"""The production server (`python -m ottos.serve`): no phone number in a request's path or query
string reaches its log, neither the server's access lines nor the app's own."""

import asyncio
import contextlib

import httpx
import websockets
from django.conf import settings

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
    # The access line for each request, the login redirect's too, and Django's 404 warning.
    assert '\\"GET /calls/?q=***0147 HTTP/1.1\\"' in log
    assert '\\"GET /calls/?q=***0147&page=2 HTTP/1.1\\"' in log
    assert "GET /admin/login/?next=/calls/%3Fq%3D***0147" in log
    assert "/no-such-page/***0147/" in log and "Not Found" in log
    for written in WHOLE_NUMBER:
        assert written not in log, f"{written!r} in the server's log"


def test_websocket_paths_and_secrets_in_query_strings_are_redacted_too(django_db_setup, tmp_path):
    log_path = tmp_path / "server.log"
    with server_process(log_path, DEBUG="false", DATA_DIR=str(tmp_path / "data")) as url:
        httpx.get(url + "/twilio/voice/?q=%2B13125550147&call_token=abc.def.ghi123", timeout=10)
        ws_url = url.replace("http://", "ws://") + "/ws/lookup/%28312%29%20555-0147/"
        with contextlib.suppress(Exception):
            asyncio.run(_open_and_close(ws_url))
    log = log_path.read_text()
    assert "/twilio/voice/?q=***0147&call_token=***" in log
    assert "/ws/lookup/***0147/" in log
    assert "abc.def.ghi123" not in log
    for written in WHOLE_NUMBER:
        assert written not in log, f"{written!r} in the server's log"


async def _open_and_close(url):
    async with websockets.connect(url, open_timeout=10):
        pass


def test_the_server_is_configured_for_calls():
    from ottos.lib.asgi_server import server_config

    config = server_config(lambda scope, receive, send: None, host="127.0.0.1", proxy_headers=True)
    assert config.ws_max_size == settings.MEDIA_STREAM_MAX_MESSAGE_BYTES  # a bigger message closes the stream
    assert config.ws_per_message_deflate is False
    assert config.proxy_headers and config.log_config is None  # our handlers, with their redaction
