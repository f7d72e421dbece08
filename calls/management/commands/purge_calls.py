import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from calls.models import Call, CallbackRequest, CallEvent, CallRecording, ToolInvocation, Turn, TurnLatency
from ottos.lib.stopping import StopOnSigterm

logger = logging.getLogger(__name__)

BATCH = 500
_AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# Never closer to now than this: a call still in progress must not lose its transcript.
MIN_AGE = timedelta(hours=1)


def parse_age(text):
    """'90d', '12w', '36h' -> timedelta; ValueError with a readable message otherwise."""
    match = _AGE.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not an age: write a whole number and h, d or w, like 36h, 90d or 12w")
    age = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if age < MIN_AGE:
        raise ValueError(f"{text!r} is too recent: the shortest age is 1h (calls in progress are never purged)")
    return age


class Command(BaseCommand):
    help = (
        "Delete calls older than --older-than (by start time) with their transcript, tool calls, latency "
        "figures, events and recording (the audio file too). Recordings alone also go once older than "
        "--recordings-older-than (default RECORDING_RETENTION_DAYS days), keeping the transcript; so does "
        "voicemail audio, keeping the callback request and its transcript. "
        "Messages taken for advisors are kept (they lose the link to the call). Works in batches, "
        "stops cleanly between batches on SIGTERM; run it again to carry on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            required=True,
            metavar="AGE",
            help="Calls that started longer ago than this go: 90d, 12w, 36h.",
        )
        parser.add_argument(
            "--recordings-older-than",
            metavar="AGE",
            help="Recordings older than this go, even of calls that are kept (default: RECORDING_RETENTION_DAYS days).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")

    def handle(self, *args, older_than, recordings_older_than, dry_run, **options):
        try:
            call_age = parse_age(older_than)
            recording_age = (
                parse_age(recordings_older_than)
                if recordings_older_than
                else timedelta(days=settings.RECORDING_RETENTION_DAYS)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        now = timezone.now()
        calls = Call.objects.filter(started_at__lt=now - call_age)
        recordings = CallRecording.objects.filter(created_at__lt=now - recording_age).exclude(call__in=calls)
        voicemails = CallbackRequest.objects.filter(created_at__lt=now - recording_age).exclude(recording="")
        if dry_run:
            return self._dry_run(calls, recordings) + _voicemails_said(voicemails.count(), "would be removed")
        quiet = options["verbosity"] == 0
        with StopOnSigterm() as stop:
            counts, files_left = self._purge_calls(calls, stop, quiet)
            recordings_gone = voicemails_gone = 0
            if not stop.requested:
                recordings_gone, more_files_left = self._purge_recordings(recordings, stop)
                files_left += more_files_left
            if not stop.requested:
                voicemails_gone, more_files_left = self._purge_voicemails(voicemails, stop)
                files_left += more_files_left
        summary = (
            f"Deleted {counts['calls']} calls with {counts['turns']} turns, {counts['tool calls']} tool calls, "
            f"{counts['latencies']} latency records, {counts['events']} events and {counts['recordings']} "
            f"recordings; {recordings_gone} more recordings of kept calls."
        )
        summary += _voicemails_said(voicemails_gone, "removed")
        if files_left:
            summary += f" {files_left} audio files could not be removed (see the log)."
        if stop.requested:
            raise CommandError(f"Stopped on SIGTERM. {summary} Run it again to finish.")
        return summary

    def _dry_run(self, calls, recordings):
        ids = calls.values("pk")
        return (
            f"Dry run: would delete {calls.count()} calls with {Turn.objects.filter(call__in=ids).count()} turns, "
            f"{ToolInvocation.objects.filter(call__in=ids).count()} tool calls, "
            f"{TurnLatency.objects.filter(call__in=ids).count()} latency records, "
            f"{CallEvent.objects.filter(call__in=ids).count()} events and "
            f"{CallRecording.objects.filter(call__in=ids).count()} recordings; "
            f"{recordings.count()} more recordings of kept calls."
        )

    def _purge_calls(self, calls, stop, quiet):
        counts = dict.fromkeys(["calls", "turns", "tool calls", "latencies", "events", "recordings"], 0)
        labels = {
            Call._meta.label: "calls",
            Turn._meta.label: "turns",
            ToolInvocation._meta.label: "tool calls",
            TurnLatency._meta.label: "latencies",
            CallEvent._meta.label: "events",
            CallRecording._meta.label: "recordings",
        }
        files_left = 0
        with tqdm(
            total=calls.count(), desc="Calls", unit="call", disable=True if quiet else None, file=self.stderr._out
        ) as bar:
            while not stop.requested:
                batch = list(calls.order_by("started_at", "pk").values_list("pk", flat=True)[:BATCH])
                if not batch:
                    break
                files = list(CallRecording.objects.filter(call__in=batch).values_list("audio", flat=True))
                with transaction.atomic():
                    _, deleted = Call.objects.filter(pk__in=batch).delete()
                for label, n in deleted.items():
                    if label in labels:
                        counts[labels[label]] += n
                files_left += _remove_files(files)
                bar.update(len(batch))
        return counts, files_left

    def _purge_recordings(self, recordings, stop):
        gone = files_left = 0
        while not stop.requested:
            batch = list(recordings.order_by("created_at", "pk").values_list("pk", "audio")[:BATCH])
            if not batch:
                break
            with transaction.atomic():
                gone += CallRecording.objects.filter(pk__in=[pk for pk, _ in batch]).delete()[0]
            files_left += _remove_files([name for _, name in batch])
        return gone, files_left

    def _purge_voicemails(self, voicemails, stop):
        """Voicemail audio past retention goes; the callback request keeps its transcript."""
        gone = files_left = 0
        while not stop.requested:
            batch = list(voicemails.order_by("created_at", "pk").values_list("pk", "recording")[:BATCH])
            if not batch:
                break
            gone += CallbackRequest.objects.filter(pk__in=[pk for pk, _ in batch]).update(recording="")
            files_left += _remove_files([name for _, name in batch])
        return gone, files_left


def _voicemails_said(count, done):
    return f" {count} voicemail recordings past retention {done} (their transcripts kept)." if count else ""


def _remove_files(names):
    """Delete audio files whose rows are gone; returns how many could not be deleted."""
    from django.core.files.storage import default_storage

    left = 0
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not remove the recording file %s", name, exc_info=True)
            left += 1
    return left
