import signal

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from scheduling import calendar, calendar_sync
from scheduling.calendar import CalendarError


class Command(BaseCommand):
    help = (
        "Compare the coming days' appointments with the shop's Google Calendar and repair what differs "
        "(missing or stale events written, events of cancelled appointments deleted). The same as the "
        "periodic reconcile, on demand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="How many days ahead (default CALENDAR_RECONCILE_DAYS)."
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if not calendar.is_configured():
            raise CommandError("No Google Calendar is configured (set GOOGLE_CALENDAR_ID and credentials).")
        stopping = []
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
        bar = tqdm(desc="Appointments", unit="appt", disable=options["verbosity"] == 0, file=self.stderr._out)

        def progress(done):
            bar.update(done)
            if stopping:  # between appointments, never in the middle of one
                raise _Stopped()

        try:
            summary = calendar_sync.reconcile(days, progress=progress)
        except CalendarError as exc:
            raise CommandError(f"The calendar could not be read: {exc}") from None
        except _Stopped:
            raise CommandError("Stopped; run it again to finish.") from None
        finally:
            bar.close()
            signal.signal(signal.SIGTERM, previous)
        return str(summary)


class _Stopped(Exception):
    pass
