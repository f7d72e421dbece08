"""Static files: collectstatic writes them under content-hashed names, and the server (ServeStatic,
in the event loop) sends those with a cache lifetime of years; the embedded default serves the
admin's files straight from the apps."""

import json
import os
import subprocess
import sys

import httpx
from django.conf import settings

from ottos.tests.server_process import server_process

TEN_YEARS = 10 * 365 * 24 * 3600


def collectstatic(data_dir):
    env = {**os.environ, "DATA_DIR": str(data_dir), "DEBUG": "false", "STATIC_HASHED_NAMES": "true"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_after_collectstatic_hashed_files_are_served_for_years(django_db_setup, tmp_path):
    data = tmp_path / "data"
    collectstatic(data)
    manifest = json.loads((data / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    assert hashed != "admin/css/base.css" and (data / "static" / f"{hashed}.gz").is_file()

    with server_process(tmp_path / "server.log", DEBUG="false", DATA_DIR=str(data), STATIC_HASHED_NAMES="true") as url:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as http:
            sign_in_page = http.get("/admin/login/")
            assert f"/static/{hashed}" in sign_in_page.text  # pages link the hashed name

            css = http.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert css.headers["content-encoding"] == "gzip" and "#header" in css.text
            assert css.headers["cache-control"] == f"max-age={TEN_YEARS}, public, immutable"

            unhashed = http.get("/static/admin/css/base.css")
            assert unhashed.status_code == 200 and "immutable" not in unhashed.headers["cache-control"]

            assert http.get("/static/admin/css/no-such-file.css").status_code == 404


def test_the_embedded_default_serves_the_admin_css_without_collectstatic(django_db_setup, tmp_path):
    with server_process(
        tmp_path / "server.log", DEBUG="true", DATA_DIR=str(tmp_path / "data"), STATIC_HASHED_NAMES=""
    ) as url:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as http:
            assert "/static/admin/css/base.css" in http.get("/admin/login/").text
            css = http.get("/static/admin/css/base.css")
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert "#header" in css.text


def test_no_middleware_sends_a_request_to_a_thread_under_asgi():
    # A sync-only middleware (WhiteNoise's was one) costs every request a hop to a worker thread.
    from django.utils.module_loading import import_string

    sync_only = [path for path in settings.MIDDLEWARE if not getattr(import_string(path), "async_capable", False)]
    assert sync_only == []
