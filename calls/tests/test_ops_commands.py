"""`purge_calls` (retention of transcripts and recordings) and `export_calls` (calls as CSV)."""

import csv
import io
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from calls.management.commands import purge_calls
from calls.models import Call, CallbackRequest, CallEvent, CallRecording, ToolInvocation, Turn, TurnLatency
from scheduling.shop_settings import save_shop_settings

pytestmark = pytest.mark.django_db
_sids = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECORDING_RETENTION_DAYS = 90
    return settings.MEDIA_ROOT


def a_call(days_ago, *, customer=None, recording=True, voice_to_voice=(700.0, 900.0, 1500.0), **fields):
    """A finished call with a short transcript, a tool call, latencies, an event and (optionally) audio."""
    started = timezone.now() - timedelta(days=days_ago)
    call = Call.objects.create(
        call_sid=f"CA{next(_sids):032x}",
        from_number="+13125550147",
        to_number="+13125550100",
        customer=customer,
        started_at=started,
        ended_at=started + timedelta(seconds=80),
        status=Call.Status.COMPLETED,
        duration_s=80,
        **{"outcome": Call.Outcome.BOOKED, **fields},
    )
    for index, (role, text) in enumerate([("assistant", "Otto's, how can I help?"), ("user", "Oil change please")]):
        Turn.objects.create(call=call, index=index, role=role, text=text, started_at=started, ended_at=started)
    ToolInvocation.objects.create(
        call=call, name="book_appointment", arguments="{}", result="{}", ok=True, duration_ms=40.0
    )
    for n, ms in enumerate(voice_to_voice):
        TurnLatency.objects.create(call=call, turn_index=2 * n + 1, stt_final_ms=150.0, voice_to_voice_ms=ms)
    CallEvent.objects.create(call=call, kind="ended", data={"reason": "caller_hung_up"})
    if recording:
        CallRecording.objects.create(
            call=call, audio=ContentFile(b"RIFF-fake-audio", name=f"{call.call_sid}.wav"), created_at=started
        )
    return call


def purge(*args):
    out = io.StringIO()
    call_command("purge_calls", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


# --- purge_calls -----------------------------------------------------------------------------------


def test_old_calls_go_with_their_transcripts_and_audio_and_recent_ones_stay(media):
    old, older = a_call(100), a_call(400)
    recent = a_call(10)
    message = CallbackRequest.objects.create(call=old, name="Dana", phone="+13125550147", reason="Call me back")
    old_files = [old.recording.audio.name, older.recording.audio.name]
    assert all(default_storage.exists(name) for name in old_files)

    summary = purge("--older-than", "90d")

    assert summary == (
        "Deleted 2 calls with 4 turns, 2 tool calls, 6 latency records, 2 events and 2 recordings; "
        "0 more recordings of kept calls."
    )
    assert list(Call.objects.all()) == [recent]
    assert Turn.objects.count() == 2 and TurnLatency.objects.count() == 3 and CallEvent.objects.count() == 1
    assert not any(default_storage.exists(name) for name in old_files)
    assert default_storage.exists(recent.recording.audio.name)
    message.refresh_from_db()
    assert message.call is None and message.reason == "Call me back"  # the advisor's message is kept


def test_recordings_past_their_retention_go_while_the_transcript_stays(settings):
    settings.RECORDING_RETENTION_DAYS = 30
    call = a_call(45)
    audio = call.recording.audio.name

    summary = purge("--older-than", "12w")

    assert summary.endswith("1 more recordings of kept calls.")
    assert Call.objects.filter(pk=call.pk).exists() and Turn.objects.filter(call=call).count() == 2
    assert not CallRecording.objects.exists() and not default_storage.exists(audio)


def test_recording_age_can_be_given_on_the_command_line():
    a_call(20)
    assert purge("--older-than", "90d", "--recordings-older-than", "2w").endswith("1 more recordings of kept calls.")


def test_dry_run_counts_and_deletes_nothing():
    a_call(100)
    a_call(100, recording=False)
    a_call(5)
    summary = purge("--older-than", "2160h", "--dry-run")
    assert summary == (
        "Dry run: would delete 2 calls with 4 turns, 2 tool calls, 6 latency records, 2 events and "
        "1 recordings; 0 more recordings of kept calls."
    )
    assert Call.objects.count() == 3 and CallRecording.objects.count() == 2


def test_a_sigterm_stops_between_batches_and_a_rerun_finishes(monkeypatch):
    for _ in range(5):
        a_call(200, recording=False)
    monkeypatch.setattr(purge_calls, "BATCH", 2)
    real_remove = purge_calls._remove_files

    def remove_then_get_terminated(names):
        os.kill(os.getpid(), signal.SIGTERM)  # what `docker stop` or systemd sends
        return real_remove(names)

    monkeypatch.setattr(purge_calls, "_remove_files", remove_then_get_terminated)
    handler_before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(CommandError, match=r"Stopped on SIGTERM\. Deleted 2 calls.*Run it again to finish"):
        purge("--older-than", "90d")
    assert Call.objects.count() == 3
    assert signal.getsignal(signal.SIGTERM) == handler_before

    monkeypatch.setattr(purge_calls, "_remove_files", real_remove)
    assert purge("--older-than", "90d").startswith("Deleted 3 calls")
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "age, message",
    [
        ("90", "not an age"),
        ("ninety days", "not an age"),
        ("30m", "not an age"),
        ("-5d", "not an age"),
        ("0h", "too recent"),
        ("", "not an age"),
    ],
)
def test_ages_that_are_not_understood_are_refused_clearly(age, message):
    a_call(100)
    with pytest.raises(CommandError, match=message):
        purge(f"--older-than={age}")
    assert Call.objects.count() == 1


def test_ages_in_hours_days_and_weeks():
    assert purge_calls.parse_age("36h") == timedelta(hours=36)
    assert purge_calls.parse_age(" 90D ") == timedelta(days=90)
    assert purge_calls.parse_age("12w") == timedelta(weeks=12)


# --- export_calls ----------------------------------------------------------------------------------


def export(*args):
    out = io.StringIO()
    call_command("export_calls", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_export_writes_every_call_oldest_first_with_its_figures(customer):
    first = a_call(3, customer=customer, voice_to_voice=(700.0, 900.0, 1500.0), summary="Booked an oil change")
    second = a_call(1, recording=False, voice_to_voice=(), outcome=Call.Outcome.TRANSFERRED, transferred=True)
    exported = rows(export())
    assert [r["call_sid"] for r in exported] == [first.call_sid, second.call_sid]
    row = exported[0]
    assert row["customer"] == "Dana Whitfield" and row["customer_phone"] == "+13125550147"
    assert row["outcome"] == "booked" and row["duration_s"] == "80" and row["turns"] == "2"
    assert row["median_voice_to_voice_ms"] == "900" and row["summary"] == "Booked an oil change"
    assert datetime.fromisoformat(row["started_at"]) == first.started_at.replace(microsecond=0)
    # in shop time (Chicago), not UTC
    assert datetime.fromisoformat(row["started_at"]).utcoffset() == timezone.localtime(first.started_at).utcoffset()
    assert exported[1]["transferred"] == "yes" and exported[1]["median_voice_to_voice_ms"] == ""


def test_the_command_and_the_call_list_download_write_the_same_sheet(signed_in, manager, customer):
    a_call(3, customer=customer, summary="=Booked an oil change", interruption_count=2, interrupted=True)
    with_an_advisor = a_call(
        2,
        recording=False,
        voice_to_voice=(),
        outcome=Call.Outcome.TRANSFERRED,
        transferred=True,
        end_reason="transferred",
    )
    Call.objects.filter(pk=with_an_advisor.pk).update(status=Call.Status.IN_PROGRESS, duration_s=None)
    withheld = a_call(1, recording=False)
    Call.objects.filter(pk=withheld.pk).update(from_number="anonymous")

    command = export()
    download = signed_in(manager).get(reverse("call_pages:csv"), {"sort": "started"}).content.decode()

    assert (
        command.splitlines()[0]
        == download.splitlines()[0]
        == (
            "started_at,call_sid,caller,customer,customer_phone,status,outcome,duration_s,transferred,interrupted,"
            "interruptions,turns,median_voice_to_voice_ms,end_reason,summary,cost_usd,openai_usd,deepgram_usd,twilio_usd,"
            "openai_input_tokens,openai_output_tokens,stt_deepgram_s,stt_offline_s,tts_deepgram_chars,tts_offline_chars"
        )
    )
    assert command == download


def test_export_takes_a_range_of_shop_days(settings):
    a_call(10)
    inside = a_call(5)
    a_call(1)
    day = timezone.localdate(inside.started_at)
    exported = rows(export("--since", day.isoformat(), "--until", day.isoformat()))
    assert [r["call_sid"] for r in exported] == [inside.call_sid]


def test_export_reads_and_writes_the_days_in_the_zone_the_settings_page_says(shop):
    assert timezone.get_default_timezone_name() == "America/Chicago"  # SHOP_TIME_ZONE stays as it was
    save_shop_settings(timezone="America/Los_Angeles")
    late = a_call(1, recording=False)
    # 11:00 PM on June 3 in Los Angeles; already June 4 in Chicago.
    Call.objects.filter(pk=late.pk).update(started_at=datetime(2030, 6, 4, 6, 0, tzinfo=UTC))
    (row,) = rows(export("--since", "2030-06-03", "--until", "2030-06-03"))
    assert (row["call_sid"], row["started_at"]) == (late.call_sid, "2030-06-03T23:00:00-07:00")


def test_export_to_a_file_says_how_many(tmp_path):
    for days in (1, 2, 3):
        a_call(days, recording=False)
    target = tmp_path / "calls.csv"
    assert export("--output", str(target)).strip() == f"3 calls written to {target}."
    assert len(rows(target.read_text())) == 3


def test_text_that_a_spreadsheet_would_run_is_defused(customer):
    customer.name = '=HYPERLINK("http://evil.example")'
    customer.save()
    a_call(1, customer=customer, summary="+1 said hi")
    row = rows(export())[0]
    assert row["customer"].startswith("'=") and row["summary"] == "'+1 said hi"


def test_export_queries_stay_bounded_whatever_the_number_of_calls(django_assert_max_num_queries, customer):
    for days in range(30):
        a_call(days + 1, customer=customer, recording=False)
    with django_assert_max_num_queries(4):
        assert len(rows(export())) == 30


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last week"], "--since must be a date like"),
        (["--until", "2030-13-01"], "--until must be a date like"),
        (["--since", "2030-06-05", "--until", "2030-06-04"], "is after --until"),
        (["--output", "/nonexistent-dir/calls.csv"], "Cannot write /nonexistent-dir/calls.csv"),
    ],
)
def test_export_refuses_what_it_cannot_do(args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_voicemail_audio_past_retention_goes_and_the_request_keeps_its_words(settings):
    settings.RECORDING_RETENTION_DAYS = 30
    old = CallbackRequest.objects.create(
        name="Dana",
        phone="+13125550147",
        reason="Voicemail: brakes grinding",
        transcript="brakes grinding",
        recording_sid="RE" + "a" * 32,
        created_at=timezone.now() - timedelta(days=45),
    )
    old.recording.save("old.wav", ContentFile(b"RIFF old"), save=True)
    recent = CallbackRequest.objects.create(
        name="Sam", phone="+13125550188", reason="Voicemail: tire quote", recording_sid="RE" + "b" * 32
    )
    recent.recording.save("recent.wav", ContentFile(b"RIFF recent"), save=True)
    old_audio = old.recording.name

    assert purge("--older-than", "90d", "--dry-run").endswith(
        " 1 voicemail recordings past retention would be removed (their transcripts kept)."
    )
    assert default_storage.exists(old_audio)
    summary = purge("--older-than", "90d")

    assert summary.endswith(" 1 voicemail recordings past retention removed (their transcripts kept).")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.recording and not default_storage.exists(old_audio)
    assert (old.reason, old.transcript) == ("Voicemail: brakes grinding", "brakes grinding")
    assert recent.recording and default_storage.exists(recent.recording.name)
