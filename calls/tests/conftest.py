"""Fixtures for the phone agent's tests: Twilio settings and personas."""

import pytest

AUTH_TOKEN = "test-twilio-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_URL = "https://agent.example.test"


@pytest.fixture
def twilio(settings):
    """The app configured like production: signed webhooks checked against PUBLIC_BASE_URL."""
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.PUBLIC_BASE_URL = PUBLIC_URL
    settings.DEBUG = False
    return settings


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache is Redis, shared by every test: caller lookups and call tokens must not leak."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
