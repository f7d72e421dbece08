"""Retention runs by itself: beat starts `calls.tasks.purge_old_calls` daily, which purges exactly what
`manage.py purge_calls` does with the ages CALL_RETENTION_DAYS and RECORDING_RETENTION_DAYS give."""

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command

from calls.models import Call, CallbackRequest, CallRecording, Turn
from calls.tasks import purge_old_calls
from calls.tests.test_ops_commands import a_call
from ottos.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retention(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CALL_RETENTION_DAYS = 90
    settings.RECORDING_RETENTION_DAYS = 30


def test_beat_runs_the_purge_every_day():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-calls"]
    assert entry == {"task": "calls.tasks.purge_old_calls", "schedule": 24 * 3600.0}
    assert entry["task"] in app.tasks and purge_old_calls.name == entry["task"]


def test_the_task_purges_what_the_command_purges():
    old, kept_with_old_audio, recent = a_call(100), a_call(45), a_call(5)
    message = CallbackRequest.objects.create(call=old, name="Dana", phone="+13125550147", reason="Call me back")
    files = {call: call.recording.audio.name for call in (old, kept_with_old_audio, recent)}
    command_would = io.StringIO()
    call_command("purge_calls", "--older-than", "90d", "--dry-run", stdout=command_would)

    summary = purge_old_calls.apply().get()

    assert command_would.getvalue().strip() == (
        "Dry run: would delete 1 calls with 2 turns, 1 tool calls, 3 latency records, 1 events and 1 recordings; "
        "1 more recordings of kept calls."
    )
    assert summary == (
        "Deleted 1 calls with 2 turns, 1 tool calls, 3 latency records, 1 events and 1 recordings; "
        "1 more recordings of kept calls."
    )
    assert set(Call.objects.all()) == {kept_with_old_audio, recent}
    assert Turn.objects.filter(call=kept_with_old_audio).count() == 2  # its transcript stays, its audio goes
    assert list(CallRecording.objects.values_list("call", flat=True)) == [recent.pk]
    assert [default_storage.exists(files[call]) for call in (old, kept_with_old_audio, recent)] == [False, False, True]
    message.refresh_from_db()
    assert message.call is None  # the advisor's message is kept

    assert purge_old_calls.apply().get().startswith("Deleted 0 calls")  # nothing left for a second run
