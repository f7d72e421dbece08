import asyncio
import urllib.request

import aiohttp
import pytest
from aiohttp import web

from fakes.server import LoopbackServer


def hello_app():
    app = web.Application()

    async def hello(request):
        return web.Response(text=f"hello {request.query.get('name', 'world')}")

    app.router.add_get("/hello", hello)
    return app


def test_it_serves_from_a_sync_test_on_an_ephemeral_port():
    with LoopbackServer(hello_app()) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port != 0
        with urllib.request.urlopen(f"{server.base_url}/hello?name=otto") as response:
            assert response.read() == b"hello otto"


async def test_it_serves_from_async_code():
    server = LoopbackServer(hello_app())
    base_url = server.start()
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{base_url}/hello") as response:
            assert await response.text() == "hello world"
    finally:
        server.stop()


def test_two_servers_get_different_ports_and_stop_releases_the_port():
    first, second = LoopbackServer(hello_app()), LoopbackServer(hello_app())
    first.start(), second.start()
    assert first.port != second.port
    url = f"{first.base_url}/hello"
    first.stop(), second.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_call_runs_a_coroutine_on_the_server_loop():
    with LoopbackServer(hello_app()) as server:

        async def which_loop():
            return asyncio.get_running_loop()

        assert server.call(which_loop()) is server.loop


def test_a_taken_port_is_reported_to_the_caller():
    with LoopbackServer(hello_app()) as server:
        with pytest.raises(OSError):
            LoopbackServer(hello_app(), port=server.port).start()
