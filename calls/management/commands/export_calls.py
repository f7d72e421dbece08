import csv
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from calls.export import COLUMNS, call_row, for_export
from calls.models import Call
from calls.pages.listing import with_figures
from ottos.lib.stopping import StopOnSigterm
from scheduling.shop_time_zone import in_shop_time_zone

CHUNK = 1000


def parse_day(text, option):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2030-06-04, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Write calls as CSV (one row per call, oldest first) to stdout or --output, with the columns of the "
        "call list's download: time (shop time), call SID, caller, customer and their number, status, outcome, "
        "duration, transferred, interrupted, interruptions, turns, median voice-to-voice latency, end reason, "
        "summary. --since/--until are shop-local days, both included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="First day to include.")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="Last day to include.")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")

    @in_shop_time_zone()  # the days asked for and the times written are the Settings page's zone
    def handle(self, *args, since, until, output, **options):
        tz = timezone.get_current_timezone()
        calls = Call.objects.all()
        first = parse_day(since, "--since") if since else None
        last = parse_day(until, "--until") if until else None
        if first and last and first > last:
            raise CommandError(f"--since ({first}) is after --until ({last})")
        if first:
            calls = calls.filter(started_at__gte=datetime.combine(first, time(), tz))
        if last:
            calls = calls.filter(started_at__lt=datetime.combine(last + timedelta(days=1), time(), tz))
        calls = for_export(with_figures(calls)).order_by("started_at", "pk")
        try:
            out = open(output, "w", newline="", encoding="utf-8") if output else None
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
        try:
            written, stopped = self._write(
                calls, out or self.stdout._out, quiet=options["verbosity"] == 0 or not out
            )  # stdout is the CSV
        finally:
            if out:
                out.close()
        where = output or "stdout"
        if stopped:
            raise CommandError(f"Stopped on SIGTERM after {written} calls; {where} is incomplete.")
        return f"{written} calls written to {where}." if output else None

    def _write(self, calls, stream, quiet):
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        written = 0
        ids = list(calls.values_list("pk", flat=True))
        with (
            StopOnSigterm() as stop,
            tqdm(
                total=len(ids), desc="Calls", unit="call", disable=True if quiet else None, file=self.stderr._out
            ) as bar,
        ):
            for start in range(0, len(ids), CHUNK):
                if stop.requested:
                    return written, True
                chunk = ids[start : start + CHUNK]
                writer.writerows(call_row(call) for call in calls.filter(pk__in=chunk))
                written += len(chunk)
                bar.update(len(chunk))
        return written, False
