"""Run an aiohttp app on 127.0.0.1 (ephemeral port) in a background thread with its own loop.

    server = LoopbackServer(app)
    base_url = server.start()          # "http://127.0.0.1:PORT"; blocks until it is listening
    ...                                # point an SDK at base_url (sync or async code alike)
    server.stop()                      # closes open connections, joins the thread

Or `with LoopbackServer(app) as server: server.base_url`. Because the app has its own loop and
thread, a test's event loop can block or be torn down without stalling the fake, and a sync
test can use it as well. `server.call(coro)` runs a coroutine on the server's loop (thread-safe)
and returns its result, for poking app state that must be touched from that loop.
"""

import asyncio
import threading
import time

from aiohttp import web


class LoopbackServer:
    def __init__(self, app, *, host="127.0.0.1", port=0, shutdown_timeout=1.0, name="fake"):
        self.app = app
        self.name = name
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self.loop = None
        self._thread = None
        self._runner = None
        self._started = threading.Event()
        self._startup_error = None

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    def start(self, timeout=10.0):
        if self._thread is not None:
            return self.base_url
        self._thread = threading.Thread(target=self._serve, name=f"loopback-{self.name}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("loopback server did not start in time")
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error
        return self.base_url

    def stop(self, timeout=10.0):
        if self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop)
        try:
            future.result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            self._thread = None
            self._started.clear()

    def call(self, coro, timeout=10.0):
        """Run `coro` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _serve(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._listen())
        except Exception as error:  # reported to the thread that called start()
            self._startup_error = error
            self._started.set()
            self.loop.close()
            return
        self._started.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _listen(self):
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=self.shutdown_timeout)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]


class LoopbackFake:
    """A vendor fake served by a LoopbackServer; the subclass builds its aiohttp app in _make_app().

    start() / stop(), or use it as a context manager. `host`, `port` (0: a free one) and `name` (of the
    server's thread) may be set before start(). wait_for() needs `self._changed`, a threading.Condition
    the fake notifies whenever it records something on the server's thread.
    """

    host = "127.0.0.1"
    port = 0
    name = "fake"
    _server = None

    @property
    def server(self):
        """The running LoopbackServer (`.loop`, `.call()`), or None when stopped."""
        return self._server

    def start(self):
        if self._server is None:
            self._server = LoopbackServer(self._make_app(), host=self.host, port=self.port, name=self.name)
            self._server.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def wait_for(self, predicate, timeout=5.0):
        """Block until predicate(fake) is true (requests are recorded from the server's thread)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{type(self).__name__}: condition not met in time")
                self._changed.wait(left)
