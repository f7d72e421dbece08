"""Live checks of the services Otto's depends on, each bounded by a short timeout.

Used by /readyz (database, Redis, channel layer) and by `manage.py check_services` (those plus
Celery and the vendors in ottos/vendor_probes.py). A probe is a function `probe(timeout)` that
returns a Probe or raises; `run_probe` turns exceptions and overruns into FAIL. Probes run in
daemon threads so one that hangs past its own timeouts (a black-holed host) is abandoned, not
waited for.
"""

import asyncio
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from ottos.lib.logging import redact

OK, FAIL, NOT_CONFIGURED = "OK", "FAIL", "NOT CONFIGURED"


@dataclass(frozen=True)
class Probe:
    status: str
    detail: str = ""
    ms: float | None = None

    @property
    def ok(self):
        return self.status != FAIL


def ok(detail=""):
    return Probe(OK, detail)


def fail(detail):
    return Probe(FAIL, detail)


def not_configured(detail):
    return Probe(NOT_CONFIGURED, detail)


def describe_error(exc):
    """A one-line, secret-free reason for a failed probe."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, TimeoutError) and not str(exc):
        text = "timed out"
    return redact(text[:300])


def safe_url(url):
    """`url` without its password, for display."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def _in_daemon_thread(probe, timeout, name, deliver):
    def run():
        started = time.monotonic()
        try:
            result = probe(timeout)
        except Exception as exc:
            result = fail(describe_error(exc))
        deliver(Probe(result.status, result.detail, round((time.monotonic() - started) * 1000, 1)))

    threading.Thread(target=run, name=f"probe-{name}", daemon=True).start()


def run_probe(probe, timeout, name="probe"):
    """Run `probe(timeout)`; FAIL if it raises or has not answered after timeout plus a grace period."""
    box = []
    done = threading.Event()
    _in_daemon_thread(probe, timeout, name, lambda result: (box.append(result), done.set()))
    if not done.wait(timeout + 1.0):
        return fail(f"no answer within {timeout:g} s")
    return box[0]


async def arun_probe(probe, timeout, name="probe"):
    """run_probe for async code: the event loop is never blocked."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def deliver(result):
        loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

    _in_daemon_thread(probe, timeout, name, deliver)
    try:
        return await asyncio.wait_for(future, timeout + 1.0)
    except TimeoutError:
        return fail(f"no answer within {timeout:g} s")


# --- Database ------------------------------------------------------------------------------------


def is_postgres():
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def database(timeout):
    """One round trip on a fresh connection (psycopg with connect_timeout on PostgreSQL)."""
    from django.db import connections

    wrapper = connections.create_connection("default")
    try:
        if is_postgres():
            import psycopg

            params = wrapper.get_connection_params()
            params["connect_timeout"] = max(1, round(timeout))
            with psycopg.connect(**params) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
            return ok(f"PostgreSQL {version.split()[0]}")
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        return ok(wrapper.vendor)
    finally:
        wrapper.close()


def unapplied_migrations():
    """Names of migrations not applied to the database (uses this thread's connection)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections["default"]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    finally:
        connection.close()


def postgresql(timeout):
    """For check_services: the server, where it is, and whether migrations are applied."""
    db = settings.DATABASES["default"]
    if not is_postgres():
        return not_configured(f"DATABASE_URL is not set: the embedded SQLite database {db['NAME']} is in use")
    answer = database(timeout)
    where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db['NAME']}"
    pending = unapplied_migrations()
    if pending:
        return fail(
            f"{answer.detail} at {where}: {len(pending)} migrations not applied "
            f"(first {pending[0]}); run manage.py migrate"
        )
    return ok(f"{answer.detail} at {where}, migrations up to date")


# --- Redis and the channel layer -----------------------------------------------------------------


def cache_redis_url():
    """The Redis URL the cache uses, or "" when the cache is not Redis (the embedded default)."""
    cache = settings.CACHES["default"]
    if not cache["BACKEND"].endswith("RedisCache"):
        return ""
    location = cache["LOCATION"]
    return location[0] if isinstance(location, (list, tuple)) else location.split(",")[0]


def redis(timeout):
    url = cache_redis_url()
    if not url:
        return not_configured("REDIS_URL is not set: in-memory cache and channel layer (one process only)")
    import redis as redis_py

    client = redis_py.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "?")
    finally:
        client.close()
    return ok(f"Redis {version} at {safe_url(url)}")


async def channel_layer(timeout):
    """A message sent to a fresh channel comes back: the layer (Redis or in-memory) works."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return fail("no channel layer is configured (CHANNEL_LAYERS)")
    async with asyncio.timeout(timeout):
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
    if message.get("type") != "readyz.ping":
        return fail("the channel layer returned a different message")
    return ok(type(layer).__name__)


# --- Celery --------------------------------------------------------------------------------------


def celery(timeout):
    """Eager mode needs nothing; otherwise the broker must take a connection and a worker answer ping."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return ok("eager mode: tasks run in the web process (no broker, no worker)")
    from celery import Celery

    broker = settings.CELERY_BROKER_URL
    app = Celery("ottos-check", broker=broker, set_as_current=False)
    app.conf.broker_connection_timeout = timeout
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    app.conf.broker_transport_options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        replies = app.control.ping(timeout=timeout)
    finally:
        app.close()
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return fail(
            f"the broker ({safe_url(broker)}) is reachable but no worker answered a ping within "
            f"{timeout:g} s: start one with `celery -A ottos worker`"
        )
    return ok(f"{len(workers)} worker(s) answered: {', '.join(workers)}")
