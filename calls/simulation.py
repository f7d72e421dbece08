"""One simulated phone call through a real server: what `manage.py simulate_call` drives.

The caller is fakes.twilio_caller.TwilioCaller (Twilio's side of a call: signed webhook, media
stream, 20 ms frames in real time, marks echoed as audio plays). Its lines are spoken by the
offline TTS and sent through the phone codec (8 kHz mu-law). The transcript comes from the
call's own records (Turn rows, written by the recorder as the call goes), so it shows what the
agent's speech recognition heard and what the agent said, exactly as the call pages will.
"""

import asyncio
import json
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from calls.models import Call, ToolInvocation, Turn, TurnLatency
from calls.voice.audio import PHONE_RATE, mulaw_decode
from fakes.twilio_caller import TwilioCaller
from scheduling.models import Appointment, ShopProfile

POLL_S = 0.1
GREETING_TIMEOUT_S = 45.0  # the first call after start-up also loads the speech models
REPLY_TIMEOUT_S = 30.0
QUIET_AFTER_REPLY_S = 0.6  # no agent audio for this long, after its turn is filed: it is done
FILED_TIMEOUT_S = 15.0
VOICED_LEVEL = 400  # int16 amplitude above which a caller sample counts as speech
APPOINTMENT_TOOLS = {
    "book_appointment": "booked",
    "reschedule_appointment": "rescheduled",
    "cancel_appointment": "cancelled",
}


class SimulationError(Exception):
    """The call could not be placed or went wrong in a way the caller would notice."""


@dataclass
class CallerLine:
    text: str
    audio: bytes  # mu-law, 8 kHz
    voiced_s: float  # where the speech in `audio` ends (the TTS pads a little silence after it)


@dataclass
class TranscriptLine:
    role: str  # "caller" | "agent"
    text: str
    said: str | None = None  # caller: what the script said (text is what speech recognition heard)
    interrupted: bool = False
    latency_ms: float | None = None  # agent: caller's end of speech -> first agent audio heard


@dataclass
class AppointmentChange:
    action: str  # booked | rescheduled | cancelled
    appointment_id: int
    service: str
    start: str  # ISO 8601, shop time
    when: str  # "Tue Dec 1 9:00 AM"
    status: str


@dataclass
class CallReport:
    call_sid: str
    from_number: str
    customer: str | None
    transcript: list = field(default_factory=list)  # TranscriptLine
    latencies: list = field(default_factory=list)  # the server's own per-turn figures (TurnLatency)
    changes: list = field(default_factory=list)  # AppointmentChange
    outcome: str = ""
    end_reason: str = ""
    summary: str = ""
    ended_by: str = ""  # "caller" | "agent"
    duration_s: float = 0.0
    unanswered: list = field(default_factory=list)  # caller lines the agent did not answer in time

    @property
    def result(self):
        """One line a person reads: what the call achieved."""
        if self.changes:
            return "; ".join(f"{c.action.capitalize()}: {c.service}, {c.when}" for c in self.changes)
        return {
            Call.Outcome.APPROVED: "Work approved on a car in the shop",
            Call.Outcome.MESSAGE: "Message taken for a service advisor",
            Call.Outcome.TRANSFERRED: "Transferred to a service advisor",
            Call.Outcome.INFO: "Nothing booked (questions answered)",
            Call.Outcome.ABANDONED: "Nothing done: the agent heard no request",
        }.get(self.outcome, f"Outcome: {self.outcome or 'not filed'}")

    def as_json(self):
        data = asdict(self)
        data["result"] = self.result
        return data


# --- the caller's voice ------------------------------------------------------------------------


async def speak_lines(texts, tts=None):
    """Render each line with the offline TTS (mu-law 8 kHz, the phone codec) before dialling."""
    from calls.voice.tts.offline import offline_tts

    tts = tts or offline_tts()
    lines = []
    try:
        for text in texts:
            audio = b"".join([chunk async for chunk in tts.synthesize(text)])
            if not audio:
                raise SimulationError(f"the offline TTS produced no audio for {text!r}")
            lines.append(CallerLine(text=text, audio=audio, voiced_s=voiced_seconds(audio)))
    finally:
        await tts.close()
    return lines


def voiced_seconds(mulaw):
    loud = np.nonzero(np.abs(mulaw_decode(mulaw).astype(np.int32)) > VOICED_LEVEL)[0]
    return (loud[-1] + 1) / PHONE_RATE if len(loud) else len(mulaw) / PHONE_RATE


# --- a server of our own ------------------------------------------------------------------------


@dataclass
class InProcessServer:
    url: str
    loop: asyncio.AbstractEventLoop  # the server's event loop (a test can look at its tasks)


@contextmanager
def in_process_server():
    """Serve the ASGI app on a free loopback port in a thread of this process, configured as
    production serves it (ottos/lib/asgi_server.py); yields an InProcessServer."""
    import uvicorn

    from ottos.lib.asgi_server import server_config

    application = import_string(settings.ASGI_APPLICATION)  # found as `runserver` finds it: no import of the wiring
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(server_config(application, host="127.0.0.1", access_log=False))
    loops = []

    async def serve():
        loops.append(asyncio.get_running_loop())
        await server.serve(sockets=[sock])

    def run():  # signal handlers stay the main thread's: uvicorn installs none off it
        asyncio.run(serve(), loop_factory=server.config.get_loop_factory())

    thread = threading.Thread(target=run, name="asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            sock.close()
            raise SimulationError("the local server did not start listening")
        time.sleep(0.02)
    try:
        yield InProcessServer(url=f"http://127.0.0.1:{sock.getsockname()[1]}", loop=loops[0])
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@contextmanager
def local_server():
    """in_process_server() configured like production for Twilio: it checks signatures against a
    throwaway auth token when none is set, and its public URL is the loopback one unless
    PUBLIC_BASE_URL says otherwise. Yields the server's URL.
    """
    with in_process_server() as server:
        url = server.url
        overrides = {
            "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN or secrets.token_hex(16),
            "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL or url,
        }
        saved = {name: getattr(settings, name) for name in overrides}
        for name, value in overrides.items():
            setattr(settings, name, value)
        try:
            yield url
        finally:
            for name, value in saved.items():
                setattr(settings, name, value)


# --- the call ------------------------------------------------------------------------------------


class SimulatedCall:
    """Places one call on the server at `server_url` and says `lines` one turn at a time.

    `lines`: a list of CallerLine, or a responder whose `await next(agent_text)` gives the next
    CallerLine (None: hang up) from what the agent just said. `on_line(TranscriptLine)` is called
    as each line of the transcript is known (live output).
    """

    def __init__(self, *, server_url, from_number, lines, on_line=None, reply_timeout_s=REPLY_TIMEOUT_S):
        public_url = settings.PUBLIC_BASE_URL or server_url
        self.caller = TwilioCaller(
            app_url=server_url,
            public_url=public_url,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            account_sid=settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
            from_number=from_number,
        )
        # Twilio signs the wss:// URL it opens; without a public URL there is none to sign.
        self.sign_stream = bool(settings.TWILIO_AUTH_TOKEN and settings.PUBLIC_BASE_URL)
        self.from_number = from_number
        self.lines = list(lines) if isinstance(lines, (list, tuple)) else lines
        self.on_line = on_line or (lambda line: None)
        self.reply_timeout_s = reply_timeout_s
        self.report = CallReport(call_sid=self.caller.call_sid, from_number=from_number, customer=None)
        self._turns_seen = 0
        self._said = []  # script lines not yet matched to what recognition heard
        self._speech_end = None  # when the caller's last line stopped, until the agent answers it
        self._agent_turns = 0
        self._caller_turns = 0

    async def run(self):
        started = time.monotonic()
        try:
            await self._dial()
            follower = asyncio.create_task(self._follow(), name="simulated-call-transcript")
            try:
                await self._converse()
            finally:
                if not self.caller.closed.is_set():
                    await self.caller.hang_up()
                    self.report.ended_by = self.report.ended_by or "caller"
                else:
                    self.report.ended_by = self.report.ended_by or "agent"
                await self._wait_until_filed()
                follower.cancel()
                await asyncio.gather(follower, return_exceptions=True)
                await self._read_new_turns()
        finally:
            await self.caller.close()
        self.report.duration_s = round(time.monotonic() - started, 1)
        await database_sync_to_async(self._read_records)()
        return self.report

    async def _dial(self):
        caller = self.caller
        status = await caller.ring()
        if status == 403:
            raise SimulationError(
                "the server refused the incoming-call webhook (403): give this command the server's "
                "TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL, or run the server with DEBUG=1 and no token"
            )
        if status != 200:
            raise SimulationError(f"the incoming-call webhook answered {status}: {caller.twiml[:300]}")
        await caller.open_stream(signature=None if self.sign_stream else "")
        await caller.send_start()

    async def _converse(self):
        caller = self.caller
        if not await self._until(lambda: self._agent_turns and self._agent_done(), GREETING_TIMEOUT_S):
            raise SimulationError(self._why_silent("greeting"))
        while not caller.closed.is_set():
            line = await self._next_line()
            if line is None:
                break
            agent_turns = self._agent_turns
            self._said.append(line.text)
            utterance = caller.speak(line.audio)
            await self._until(lambda u=utterance: u.sent.is_set(), len(line.audio) / PHONE_RATE + 5)
            if utterance.started_at is None:
                break
            self._speech_end = utterance.started_at + line.voiced_s
            answered = await self._until(
                lambda n=agent_turns: self._agent_turns > n and self._agent_done(), self.reply_timeout_s
            )
            if not answered and not caller.closed.is_set():
                self.report.unanswered.append(line.text)

    async def _next_line(self):
        """The next line to say: from the list given, or asked of a responder with what the agent
        just said (`await lines.next(agent_text)`, None to hang up)."""
        if isinstance(self.lines, list):
            return self.lines.pop(0) if self.lines else None
        said = next((line.text for line in reversed(self.report.transcript) if line.role == "agent"), "")
        return await self.lines.next(said)

    def _agent_done(self):
        """Nothing left to play and no new agent audio for a moment (a filler is not the end)."""
        caller = self.caller
        if caller.closed.is_set():
            return True
        last = caller.received[-1].at if caller.received else 0.0
        return not caller.is_playing and time.monotonic() - last >= QUIET_AFTER_REPLY_S

    def _why_silent(self, what):
        if self.caller.closed.is_set():
            return (
                f"the server closed the media stream (code {self.caller.close_code}) before the {what}; "
                "its log says why"
            )
        return f"no {what} from the agent within {GREETING_TIMEOUT_S:.0f} s; the server log says why"

    async def _until(self, condition, timeout):
        deadline = time.monotonic() + timeout
        while not condition():
            if self.caller.closed.is_set() or time.monotonic() > deadline:
                return condition()
            await asyncio.sleep(POLL_S / 2)
        return True

    # --- the transcript, from the call's records --------------------------------------------

    async def _follow(self):
        while True:
            await self._read_new_turns()
            await asyncio.sleep(POLL_S)

    async def _read_new_turns(self):
        turns = await database_sync_to_async(self._turns_after)(self._turns_seen)
        for turn in turns:
            self._turns_seen = turn.index + 1
            self._emit(turn)

    def _turns_after(self, index):
        return list(Turn.objects.filter(call__call_sid=self.caller.call_sid, index__gte=index).order_by("index"))

    def _emit(self, turn):
        if turn.role == Turn.Role.CALLER:
            self._caller_turns += 1
            line = TranscriptLine("caller", turn.text, said=self._said.pop(0) if self._said else None)
        else:
            self._agent_turns += 1
            latency = None
            if self._speech_end is not None:
                heard_at = self.caller.first_audio_after(self._speech_end)
                latency = round((heard_at - self._speech_end) * 1000) if heard_at is not None else None
                self._speech_end = None
            text = turn.heard_text if turn.interrupted else turn.text
            line = TranscriptLine("agent", text, interrupted=turn.interrupted, latency_ms=latency)
        self.report.transcript.append(line)
        self.on_line(line)

    # --- the outcome, from the records ----------------------------------------------------------

    async def _wait_until_filed(self):
        deadline = time.monotonic() + FILED_TIMEOUT_S
        filed = database_sync_to_async(
            lambda: Call.objects.filter(call_sid=self.caller.call_sid, ended_at__isnull=False).exists()
        )
        while not await filed():
            if time.monotonic() > deadline:
                raise SimulationError(f"the call was not filed as ended within {FILED_TIMEOUT_S:.0f} s")
            await asyncio.sleep(POLL_S)

    def _read_records(self):
        call = Call.objects.select_related("customer").get(call_sid=self.caller.call_sid)
        report = self.report
        report.customer = call.customer.name if call.customer else None
        report.outcome, report.end_reason, report.summary = call.outcome, call.end_reason, call.summary
        report.latencies = list(
            TurnLatency.objects.filter(call=call)
            .order_by("turn_index", "id")
            .values(
                "turn_index",
                "stt_final_ms",
                "llm_first_token_ms",
                "tts_first_byte_ms",
                "first_audio_ms",
                "voice_to_voice_ms",
            )
        )
        report.changes = appointment_changes(call)


def appointment_changes(call):
    """The appointments the call's tools booked, moved or cancelled, as they stand now."""
    tz = ShopProfile.load().tz
    changes = []
    for tool in ToolInvocation.objects.filter(call=call, ok=True, name__in=APPOINTMENT_TOOLS).order_by("at", "id"):
        try:
            appointment_id = json.loads(tool.result).get("appointment_id")
        except (ValueError, AttributeError):
            continue
        appointment = Appointment.objects.select_related("service_type").filter(pk=appointment_id).first()
        if appointment is None:
            continue
        start = appointment.start.astimezone(tz)
        changes.append(
            AppointmentChange(
                action=APPOINTMENT_TOOLS[tool.name],
                appointment_id=appointment.pk,
                service=appointment.service_type.name,
                start=start.isoformat(),
                when=f"{start:%a %b} {start.day} {start:%-I:%M %p}",
                status=appointment.status,
            )
        )
    return changes
