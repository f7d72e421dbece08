"""Calls run their queries in worker threads; those must reuse pooled PostgreSQL connections
rather than open one per query (a new connection cost ~8 ms of every tool turn)."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
async def test_worker_thread_queries_reuse_pooled_connections():
    hop = database_sync_to_async(_backend_pid, thread_sensitive=False)
    before = set(await database_sync_to_async(_server_connections)())
    pids = [await hop() for _ in range(30)]
    # Every hop closes its connection: back into the pool, or, without one, for good.
    opened = set(pids) - before
    assert len(opened) <= 2, f"{len(opened)} new server connections for 30 queries one after another"


def _server_connections():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]
