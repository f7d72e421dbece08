"""VOICE_BARGE_IN_MODE: how a caller talking over the agent is handled, set from the environment
and handed to every call's voice loop."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from calls.agent.greeting import voice_config
from scheduling.shop_settings import ShopSettings

SHOP = ShopSettings(
    name="Otto's",
    timezone="America/Chicago",
    greeting="",
    recording_disclosure="",
    advisor_number="",
    recording_enabled=False,
    text_confirmations=False,
)


def mode_from_environment(value):
    """Start the settings in a fresh interpreter with VOICE_BARGE_IN_MODE=value; (ok, output)."""
    code = "import django; from django.conf import settings; django.setup(); print(settings.VOICE_BARGE_IN_MODE)"
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ottos.settings",
        "DEBUG": "true",
        "DATA_DIR": "/tmp/ottos-settings-test",
        "VOICE_BARGE_IN_MODE": value,
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR)
    return done.returncode == 0, done.stdout + done.stderr


def test_calls_pause_at_the_callers_first_sound_unless_told_otherwise():
    assert settings.VOICE_BARGE_IN_MODE == "pause_resume"
    assert voice_config(shop=SHOP, customer=None).barge_in_mode == "pause_resume"


def test_the_words_mode_reaches_every_calls_voice_loop(settings):
    settings.VOICE_BARGE_IN_MODE = "words"
    assert voice_config(shop=SHOP, customer=None).barge_in_mode == "words"


@pytest.mark.parametrize("value, mode", [("words", "words"), (" Pause_Resume ", "pause_resume"), ("", "pause_resume")])
def test_either_mode_can_be_set_in_the_environment(value, mode):
    ok, out = mode_from_environment(value)
    assert ok, out
    assert out.strip() == mode


def test_an_unknown_mode_stops_start_up_naming_the_variable():
    ok, out = mode_from_environment("interrupt")
    assert not ok
    assert "ImproperlyConfigured: VOICE_BARGE_IN_MODE must be pause_resume or words, not 'interrupt'" in out
