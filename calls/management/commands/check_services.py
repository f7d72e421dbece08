from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError

from calls import vendor_probes
from ottos.lib import probes

SERVICES = {
    "PostgreSQL": probes.postgresql,
    "Redis": probes.redis,
    "Celery": probes.celery,
    "Offline voice": vendor_probes.offline_voice,
    "Deepgram": vendor_probes.deepgram,
    "OpenAI": vendor_probes.openai,
    "Twilio": vendor_probes.twilio,
    "Google Calendar": vendor_probes.google_calendar,
    "Shop time zone": vendor_probes.shop_time_zone,
}


class Command(BaseCommand):
    help = (
        "Check the configuration and live connectivity of PostgreSQL, Redis, Celery (a worker answering "
        "ping, or eager mode), Deepgram, OpenAI, Twilio and Google Calendar, each with one cheap request "
        "and a short timeout, and print a table: OK / FAIL / NOT CONFIGURED and why. Exits non-zero when "
        "a configured service fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for each service (default 5).")
        parser.add_argument(
            "--only",
            action="append",
            choices=list(SERVICES),
            metavar="SERVICE",
            help=f"Check only this service (repeatable): {', '.join(SERVICES)}.",
        )

    def handle(self, *args, timeout, only, **options):
        if not 0 < timeout <= 60:
            raise CommandError("--timeout must be more than 0 and at most 60 seconds")
        names = [name for name in SERVICES if not only or name in only]
        # Concurrently: the whole check takes about as long as the slowest service.
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            results = list(pool.map(lambda name: probes.run_probe(SERVICES[name], timeout, name), names))
        self._print_table(names, results)
        failed = [name for name, result in zip(names, results) if result.status == probes.FAIL]
        if failed:
            raise CommandError(f"{len(failed)} of {len(names)} services failed: {', '.join(failed)}")
        unconfigured = sum(result.status == probes.NOT_CONFIGURED for result in results)
        return f"{len(names) - unconfigured} services OK, {unconfigured} not configured."

    def _print_table(self, names, results):
        styles = {
            probes.OK: self.style.SUCCESS,
            probes.FAIL: self.style.ERROR,
            probes.NOT_CONFIGURED: self.style.WARNING,
        }
        name_width = max(len("Service"), *map(len, names))
        status_width = len(probes.NOT_CONFIGURED)
        self.stdout.write(f"{'Service':<{name_width}}  {'Status':<{status_width}}  Why")
        for name, result in zip(names, results):
            status = styles[result.status](f"{result.status:<{status_width}}")
            took = f" [{result.ms:.0f} ms]" if result.ms is not None and result.status != probes.NOT_CONFIGURED else ""
            self.stdout.write(f"{name:<{name_width}}  {status}  {result.detail}{took}")
