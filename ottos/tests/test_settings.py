"""Settings are read from the environment; bad values stop start-up and name the variable."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

BASE_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "ottos.settings",
    "DATA_DIR": "/tmp/ottos-settings-test",
}


def load_settings(**env):
    """Import the settings in a fresh interpreter with exactly `env`; return (ok, output)."""
    code = (
        "import django; from django.conf import settings; django.setup();"
        "print(settings.DATABASES['default']['ENGINE'], settings.CHANNEL_LAYERS['default']['BACKEND'],"
        " settings.CACHES['default']['BACKEND'], settings.CELERY_TASK_ALWAYS_EAGER, settings.TIME_ZONE)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env={**BASE_ENV, **env}, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    return proc.returncode == 0, proc.stdout + proc.stderr


def test_nothing_set_but_debug_gives_the_embedded_default():
    ok, out = load_settings(DEBUG="true")
    assert ok, out
    assert "sqlite3 channels.layers.InMemoryChannelLayer" in out
    assert "locmem.LocMemCache True America/Chicago" in out


def test_database_and_redis_urls_switch_to_postgres_and_redis():
    ok, out = load_settings(
        DEBUG="true", DATABASE_URL="postgres://u:p@db.example:5432/ottos", REDIS_URL="redis://cache.example:6379/0"
    )
    assert ok, out
    assert "postgresql channels_redis.core.RedisChannelLayer" in out
    assert "ottos.lib.cache.ForgivingRedisCache False" in out


def test_secret_key_is_required_when_debug_is_off():
    ok, out = load_settings(DEBUG="false")
    assert not ok
    assert "SECRET_KEY is required when DEBUG is off" in out


def test_after_make_run_manage_py_works_in_any_shell_with_the_generated_key(tmp_path):
    (tmp_path / "secret_key").write_text("a-key-make-run-generated\n")
    env = {**BASE_ENV, "DATA_DIR": str(tmp_path)}  # no SECRET_KEY, no DEBUG
    proc = subprocess.run(
        [sys.executable, "manage.py", "help"], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    assert proc.returncode == 0, proc.stderr
    assert "simulate_call" in proc.stdout and "evaluate_calls" in proc.stdout and "seed_demo" in proc.stdout
    assert "settings are not properly configured" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with one of"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with one of"),
        ("SHOP_TIME_ZONE", "Mars/Olympus", "SHOP_TIME_ZONE is not a known time zone"),
        ("CUSTOMER_CACHE_SECONDS", "ten", "CUSTOMER_CACHE_SECONDS must be a whole number"),
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(name, value, message):
    ok, out = load_settings(**{"DEBUG": "true", name: value})
    assert not ok
    assert "ImproperlyConfigured" in out and message in out


def test_the_test_suite_runs_on_postgres_and_redis():
    # The README's test command provisions both; a run on SQLite would test the wrong thing.
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"] == "ottos.lib.cache.ForgivingRedisCache"


def test_postgres_gets_a_connection_pool_unless_turned_off():
    postgres = {"DEBUG": "true", "DATABASE_URL": "postgres://u:p@db.example:5432/ottos"}
    code = "import django; from django.conf import settings; django.setup(); print(settings.DATABASES['default'].get('OPTIONS'))"

    def options(**env):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            env={**BASE_ENV, **postgres, **env},
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
        )
        return proc.returncode == 0, proc.stdout + proc.stderr

    ok, out = options()
    assert ok, out
    assert "'pool': {'min_size': 2, 'max_size': 20, 'timeout': 10}" in out
    ok, out = options(DB_POOL_SIZE="0", DB_CONN_MAX_AGE="60")
    assert ok and "pool" not in out, out
    ok, out = options(DB_CONN_MAX_AGE="60")
    assert not ok and "DB_CONN_MAX_AGE must be 0 while DB_POOL_SIZE is set" in out
