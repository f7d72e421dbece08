"""A production deploy passes Django's deployment checklist, and plain http is sent to https
except for the probes, the scrape, and requests nginx says came over https."""

import os
import secrets
import subprocess
import sys

import httpx
from django.conf import settings

from ottos.tests.server_process import server_process

PUBLIC = "https://agent.example.com"


def check_deploy(tmp_path, **env):
    """`manage.py check --deploy`, failing on warnings too, in a fresh interpreter with exactly this environment."""
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ottos.settings",
        "DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PUBLIC_BASE_URL": PUBLIC,
        "EMAIL_HOST": "smtp.example.com",
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_check_deploy_passes_with_production_settings(tmp_path):
    code, out = check_deploy(tmp_path)
    assert code == 0, out
    assert "System check identified no issues" in out


def test_check_deploy_still_passes_with_hsts_preload_asked_for(tmp_path):
    code, out = check_deploy(tmp_path, SECURE_HSTS_PRELOAD="true")
    assert code == 0, out


def test_check_deploy_fails_when_https_is_turned_off(tmp_path):
    code, out = check_deploy(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0", SECURE_COOKIES="false")
    assert code != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in out


def test_http_goes_to_https_but_probes_and_proxied_https_do_not(django_db_setup, tmp_path):
    with server_process(
        tmp_path / "server.log",
        DEBUG="false",
        DATA_DIR=str(tmp_path / "data"),
        PUBLIC_BASE_URL=PUBLIC,
        SECURE_COOKIES="true",
        SECRET_KEY=secrets.token_urlsafe(50),
    ) as url:
        host = url.removeprefix("http://")
        with httpx.Client(base_url=url, trust_env=False, follow_redirects=False, timeout=30) as http:
            page = http.get("/calls/?page=2")
            assert page.status_code == 301
            assert page.headers["location"] == f"https://{host}/calls/?page=2"
            assert "strict-transport-security" not in page.headers  # only ever sent over https

            for probe in ("/healthz", "/readyz", "/metrics"):
                assert http.get(probe).status_code in (200, 503), probe  # answered, not redirected

            over_tls = http.get("/calls/", headers={"X-Forwarded-Proto": "https"})
            assert over_tls.status_code == 302 and over_tls.headers["location"].startswith("/admin/login/")
            assert over_tls.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

            # Twilio's webhooks come through nginx as https: they reach the view (which checks the signature).
            webhook = http.post(
                "/twilio/voice/", data={"CallSid": "CA" + "0" * 32}, headers={"X-Forwarded-Proto": "https"}
            )
            assert webhook.status_code not in (301, 302, 308)

            sign_in = http.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})
            assert "secure" in sign_in.headers["set-cookie"].lower()
