"""The throwaway database an evaluation runs in, so the shop's own records are never read or written."""

import os
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


@contextmanager
def throwaway():
    """A database of its own, made and migrated now and dropped at the end (as `manage.py
    testserver` does): on SQLite a file beside the shop's, on PostgreSQL
    `test_<name>_evaluation_<pid>` (needs CREATEDB). Named after the process, so runs at the same
    time, and the processes of one run (--jobs), never share or drop each other's. Yields the
    shop's own database name."""
    shops = connection.settings_dict["NAME"]
    own = f"evaluation_{os.getpid()}"
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(shops).with_name(f"{own}.sqlite3"))
    else:
        test["NAME"] = f"test_{shops}_{own}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield shops
    finally:
        connection.creation.destroy_test_db(shops, verbosity=0)
