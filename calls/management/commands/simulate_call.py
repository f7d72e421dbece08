"""manage.py simulate_call "I'd like an oil change tomorrow morning" "The first one" "Yes please"

One whole phone call through the real webhook, media-stream consumer, voice loop and engines.
"""

import asyncio
import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from calls.agent.engines import chosen_engines
from calls.simulation import SimulatedCall, SimulationError, local_server, speak_lines
from crm.models import Customer
from crm.phones import display_phone, normalize_phone
from scheduling.management.demo_shop import DEMO_CALLER
from scheduling.models import ServiceType, ShopProfile

WITHHELD = ("anonymous", "withheld")


class Command(BaseCommand):
    help = (
        "Place one simulated phone call through the real webhook, media stream and voice loop: each caller "
        "line is spoken by the offline TTS, sent through the phone codec in real time, and the agent's reply "
        "is waited for before the next line. Prints the live transcript with per-turn latencies (caller's "
        "end of speech -> first agent audio) and the outcome. Starts its own server on a loopback port "
        "unless --server is given. Uses whatever engines the settings choose (vendor keys or offline)."
    )

    def add_arguments(self, parser):
        parser.add_argument("lines", nargs="*", metavar="LINE", help="What the caller says, one turn per argument.")
        parser.add_argument(
            "--script",
            metavar="FILE",
            help="Read the caller's lines from FILE, one turn per line (# starts a comment).",
        )
        parser.add_argument(
            "--from",
            dest="from_number",
            default=DEMO_CALLER["phone"],
            metavar="NUMBER",
            help=f"Caller ID: a customer's number, a new one, or 'anonymous' "
            f"(default {DEMO_CALLER['phone']}, the demo customer {DEMO_CALLER['name']}).",
        )
        parser.add_argument(
            "--server",
            metavar="URL",
            help="Call an Otto's server that is already running (e.g. http://localhost:8000) "
            "instead of starting one here.",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object instead of the transcript."
        )
        parser.add_argument(
            "--reply-timeout",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="How long to wait for the agent to answer a line (default 30).",
        )

    def handle(self, *args, lines, script, from_number, server, as_json, reply_timeout, **options):
        texts = list(lines) + (self._script(script) if script else [])
        if not texts:
            raise CommandError(
                "Give the caller something to say: simulate_call \"I'd like an oil change "
                'tomorrow morning" "The first one" "Yes please" (or --script FILE).'
            )
        if not 1 <= reply_timeout <= 300:
            raise CommandError("--reply-timeout must be between 1 and 300 seconds")
        caller_id = self._caller_id(from_number)
        self.as_json = as_json
        self._prepare_shop(caller_id, server)
        try:
            report = asyncio.run(self._call(texts, caller_id, server, reply_timeout))
        except SimulationError as error:
            raise CommandError(f"The simulated call failed: {error}") from None
        if self.as_json:
            self.stdout.write(_json_text(report.as_json()))
        else:
            self._print_ending(report)
        if report.end_reason.startswith("agent_error"):
            raise CommandError(f"The agent failed during the call ({report.end_reason}); the server log says why.")

    # --- before the call ---------------------------------------------------------------------

    def _script(self, path):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read the script {path}: {error}") from None
        lines = [line.strip() for line in text.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        if not lines:
            raise CommandError(f"The script {path} has no lines to say.")
        return lines

    def _caller_id(self, raw):
        if raw.strip().lower() in WITHHELD:
            return "anonymous"
        try:
            return normalize_phone(raw)
        except ValidationError as error:
            raise CommandError(f"--from: {' '.join(error.messages)}") from None

    def _prepare_shop(self, caller_id, server):
        try:
            empty = not ServiceType.objects.exists() and not Customer.objects.exists()
            if empty:
                # A brand-new database: nothing real can be harmed by the demo shop.
                call_command("seed_demo", stdout=self.stderr if self.as_json else self.stdout)
                self._note("The database was empty: loaded the demo shop (manage.py seed_demo).")
            elif not ServiceType.objects.filter(active=True).exists():
                raise CommandError(
                    "The shop has no active services, so nothing can be booked: add some in the "
                    "admin, or load the demo shop with manage.py seed_demo."
                )
            self.shop_name = ShopProfile.load().name
            customer = Customer.objects.filter(phone=caller_id).first() if caller_id != "anonymous" else None
        except DatabaseError as error:
            raise CommandError(
                f"The database is not ready ({error}). Run `make run` once, or `manage.py migrate`."
            ) from None
        who = display_phone(caller_id) if caller_id != "anonymous" else "a withheld number"
        engines = f"The server at {server} uses its own settings' engines." if server else _engines_text()
        self._note(
            f"Calling {self.shop_name} from {who} ({customer.name if customer else 'not a customer yet'}). {engines}"
        )

    # --- the call ------------------------------------------------------------------------------

    async def _call(self, texts, caller_id, server, reply_timeout):
        self._note("Speaking the caller's lines with the offline TTS...")
        lines = await speak_lines(texts)
        if server:
            return await self._place(server.rstrip("/"), caller_id, lines, reply_timeout)
        with local_server() as url:
            return await self._place(url, caller_id, lines, reply_timeout)

    async def _place(self, url, caller_id, lines, reply_timeout):
        call = SimulatedCall(
            server_url=url, from_number=caller_id, lines=lines, on_line=self._print_line, reply_timeout_s=reply_timeout
        )
        self._note(f"Dialling {url} (call {call.caller.call_sid}).\n")
        return await call.run()

    # --- output --------------------------------------------------------------------------------

    def _note(self, text):
        if not self.as_json:
            self.stdout.write(text)

    def _print_line(self, line):
        if self.as_json:
            return
        if line.role == "caller":
            said = line.said if line.said is not None else line.text
            self.stdout.write(f"Caller: {said}")
            if _words(line.text) != _words(said):
                self.stdout.write(self.style.WARNING(f"        (heard as: {line.text})"))
            return
        latency = f"[{line.latency_ms:,.0f} ms] " if line.latency_ms is not None else ""
        cut = " (interrupted)" if line.interrupted else ""
        self.stdout.write(f"Agent:  {latency}{line.text}{cut}")

    def _print_ending(self, report):
        by = {"caller": "the caller hung up", "agent": "the agent ended the call"}.get(report.ended_by, "ended")
        self.stdout.write(f"\nCall over after {report.duration_s:.0f} s: {by} ({report.end_reason}).")
        for text in report.unanswered:
            self.stdout.write(self.style.WARNING(f"No answer within the reply timeout to: {text}"))
        latencies = [line.latency_ms for line in report.transcript if line.latency_ms is not None]
        if latencies:
            self.stdout.write(
                f"Caller's end of speech -> first agent audio: {', '.join(f'{ms:,.0f}' for ms in latencies)} ms"
            )
        style = self.style.SUCCESS if report.changes else self.style.NOTICE
        self.stdout.write(style(report.result))


def _words(text):
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").split()


def _engines_text():
    try:
        return f"Engines from the settings: {chosen_engines().describe()}."
    except ImproperlyConfigured as error:
        raise CommandError(f"The engines are misconfigured: {error}") from None


def _json_text(data):
    return json.dumps(data, indent=2, ensure_ascii=False)
