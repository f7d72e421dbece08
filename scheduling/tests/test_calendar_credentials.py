"""Google credentials come from the environment in each supported form, and are really used:
the loopback Calendar only accepts access tokens its own token endpoint handed out."""

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings

from fakes.google_calendar import FakeGoogleCalendar
from scheduling.calendar import CalendarRejected, shop_calendar

CALENDAR = "bays@garage.example"
MONDAY_9 = datetime(2030, 6, 3, 14, tzinfo=UTC)


@pytest.fixture
def google(settings):
    with FakeGoogleCalendar(CALENDAR, require_auth=True) as fake:
        fake.add_event(MONDAY_9.isoformat(), (MONDAY_9 + timedelta(hours=1)).isoformat())
        settings.GOOGLE_CALENDAR_ID = CALENDAR
        settings.GOOGLE_CALENDAR_BASE_URL = fake.api_endpoint
        yield fake


@pytest.fixture
def service_account(google):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "ottos-test",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": "otto@ottos-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": google.token_uri,
    }


def busy_monday():
    return shop_calendar().busy(MONDAY_9 - timedelta(hours=2), MONDAY_9 + timedelta(hours=6))


def jwt_claims(assertion):
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_service_account_given_as_json_text(google, service_account, settings):
    settings.GOOGLE_SERVICE_ACCOUNT_JSON = json.dumps(service_account)

    assert busy_monday() == [(MONDAY_9, MONDAY_9 + timedelta(hours=1))]

    [token_request] = google.token_requests
    assert token_request["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt_claims(token_request["assertion"])
    assert claims["iss"] == "otto@ottos-test.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/calendar"


def test_a_service_account_key_file_acting_for_a_workspace_user(google, service_account, settings, tmp_path):
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(service_account))
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = str(key_file)
    settings.GOOGLE_CALENDAR_SUBJECT = "service@garage.example"

    assert len(busy_monday()) == 1
    assert jwt_claims(google.token_requests[0]["assertion"])["sub"] == "service@garage.example"


def test_an_oauth_refresh_token(google, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-123.apps.googleusercontent.com"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "client-secret"
    settings.GOOGLE_OAUTH_REFRESH_TOKEN = "1//refresh-token"
    settings.GOOGLE_OAUTH_TOKEN_URI = google.token_uri

    assert len(busy_monday()) == 1
    [token_request] = google.token_requests
    assert (token_request["grant_type"], token_request["refresh_token"]) == ("refresh_token", "1//refresh-token")


def test_the_access_token_is_reused_not_fetched_per_call(google, service_account, settings):
    settings.GOOGLE_SERVICE_ACCOUNT_JSON = json.dumps(service_account)
    busy_monday()
    busy_monday()
    assert len(google.token_requests) == 1


def test_revoked_access_is_a_permanent_error(google, service_account, settings):
    settings.GOOGLE_SERVICE_ACCOUNT_JSON = json.dumps(service_account)
    google.honour_tokens = False

    with pytest.raises(CalendarRejected) as refused:
        busy_monday()

    assert refused.value.status == 401 and not refused.value.retryable
    assert len(google.token_requests) == 3  # a token, then two refreshes before the client gives up


def test_a_calendar_that_wants_credentials_we_lack_is_a_permanent_error(google):
    with pytest.raises(CalendarRejected, match="credentials") as refused:
        busy_monday()
    assert not refused.value.retryable


def settings_error(**env):
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ottos.settings",
        "DEBUG": "true",
        "DATA_DIR": "/tmp/ottos-settings-test",
    }
    proc = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    return proc.stderr.strip().splitlines()[-1] if proc.returncode else ""


def test_settings_refuse_a_calendar_without_credentials():
    assert "GOOGLE_CALENDAR_ID is set but no Google credentials are" in settings_error(GOOGLE_CALENDAR_ID=CALENDAR)


def test_settings_refuse_half_an_oauth_credential_and_two_kinds_at_once(tmp_path):
    assert "go together" in settings_error(GOOGLE_OAUTH_REFRESH_TOKEN="x")
    key_file = tmp_path / "key.json"
    key_file.write_text("{}")
    assert "one kind of Google credentials" in settings_error(
        GOOGLE_SERVICE_ACCOUNT_FILE=str(key_file), GOOGLE_SERVICE_ACCOUNT_JSON="{}"
    )


def test_settings_refuse_a_missing_key_file_and_bad_quiet_hours():
    assert "not a readable file" in settings_error(GOOGLE_SERVICE_ACCOUNT_FILE="/nonexistent/key.json")
    assert "QUIET_HOURS must look like 21:00-08:00" in settings_error(QUIET_HOURS="late evening")
    assert "TEXTS_ENABLED needs" in settings_error(TEXTS_ENABLED="true")
