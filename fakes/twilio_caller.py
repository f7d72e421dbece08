"""Plays Twilio's side of a phone call against the app, for tests, benchmarks and demos.

    caller = TwilioCaller(app_url="http://127.0.0.1:8000", public_url=settings.PUBLIC_BASE_URL,
                          auth_token=settings.TWILIO_AUTH_TOKEN, from_number="+13125550147")
    await caller.dial()                 # signed webhook -> TwiML -> signed WebSocket -> connected/start
    utterance = caller.speak(spoken("I need an oil change"))   # fakes.deepgram.speech.spoken
    await caller.wait_for(lambda: caller.marks, timeout=5)
    await caller.hang_up()

Like Twilio it sends a 20 ms media frame every 20 ms (silence when the caller is quiet), and it
plays what the app sends at 8000 bytes/s: a mark is echoed when playback reaches it; `clear`
drops queued audio and echoes every pending mark at once. Hanging up sends `stop` at once, as
Twilio does: marks still queued behind unplayed audio are never echoed (`pending_marks`).
`hiccup(seconds)` holds the caller's media frames (as a network stall does) and then delivers
them back to back. Everything is recorded for assertions: audio received and played, marks
(flushed or played), clears, timings.

`application=` instead of `app_url=` runs the same call in-process through the ASGI app
(httpx's ASGI transport and Channels' WebsocketCommunicator), so a test can look at the
app's own event loop afterwards.
"""

import asyncio
import base64
import json
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

FRAME_BYTES = 160  # 20 ms of mu-law at 8 kHz
FRAME_S = 0.020
BYTES_PER_S = 8000
SILENCE = b"\xff" * FRAME_BYTES


# --- caller audio (speech that the fake Deepgram understands: fakes.deepgram.speech.spoken) ----


def silence(seconds):
    return SILENCE * max(1, round(seconds / FRAME_S))


def is_silent(frame):
    return all(b in (0xFF, 0x7F) for b in frame)


# --- what happened ----------------------------------------------------------------------------


@dataclass
class Utterance:
    """Audio the caller sends; `started_at`/`ended_at` are when the caller began/stopped saying it
    (when its first/last frame was due); `sent` is set once all its frames have gone out."""

    audio: bytes
    started_at: float | None = None
    ended_at: float | None = None
    sent: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class MarkEcho:
    name: str
    at: float
    flushed: bool  # True: echoed because of a clear (its audio was never played)


@dataclass(frozen=True)
class ReceivedAudio:
    at: float
    size: int


class _ServerLink:
    """A real server over the network."""

    def __init__(self, app_url):
        self.app_url = app_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.app_url, trust_env=False, timeout=10)
        self.ws = None
        self.close_code = None

    async def post(self, path, data, headers):
        response = await self.http.post(path, data=data, headers=headers)
        return response.status_code, response.text

    async def open(self, stream_url, headers):
        from websockets.asyncio.client import connect

        parts = urlsplit(stream_url)
        local = urlsplit(self.app_url)
        url = f"{'wss' if local.scheme == 'https' else 'ws'}://{local.netloc}{parts.path}"
        self.ws = await connect(url, additional_headers=headers, proxy=None, max_size=None, compression=None)

    async def send(self, text):
        await self.ws.send(text)

    async def receive(self):
        from websockets.exceptions import ConnectionClosed

        try:
            return await self.ws.recv()
        except ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd else None
            return None

    async def drop(self, code=1011):
        """The socket goes; webhooks can still be posted."""
        if self.ws is not None:
            await self.ws.close(code)

    async def close(self, code=1000):
        if self.ws is not None:
            await self.ws.close(code)
        await self.http.aclose()


class _AsgiLink:
    """The ASGI application in this process (no network)."""

    def __init__(self, application, public_host):
        self.application = application
        self.public_host = public_host
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1", timeout=10
        )
        self.communicator = None
        self.close_code = None
        self.error = None

    async def post(self, path, data, headers):
        response = await self.http.post(path, data=data, headers=headers)
        return response.status_code, response.text

    async def open(self, stream_url, headers):
        from channels.testing import WebsocketCommunicator

        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"host", urlsplit(stream_url).netloc.encode()))
        self.communicator = WebsocketCommunicator(self.application, urlsplit(stream_url).path, headers=raw)
        connected, code = await self.communicator.connect(timeout=10)
        if not connected:
            self.close_code = code
            raise ConnectionError(f"stream refused (close code {code})")

    async def send(self, text):
        await self.communicator.send_to(text_data=text)

    async def receive(self):
        while True:
            try:
                message = await self.communicator.receive_output(timeout=3600)
            except Exception as exc:  # the app crashed or never answered: the stream is gone
                self.error = exc
                self.close_code = self.close_code or 1011
                return None
            if message["type"] == "websocket.close":
                self.close_code = message.get("code", 1000)
                return None
            if message["type"] == "websocket.send" and message.get("text") is not None:
                return message["text"]

    async def drop(self, code=1011):
        """The socket goes; webhooks can still be posted."""
        if self.communicator is not None and self.close_code is None:
            await self.communicator.disconnect(code=code, timeout=10)
            self.close_code = code

    async def close(self, code=1000):
        if self.communicator is not None and self.close_code is None:
            await self.communicator.disconnect(code=code, timeout=10)
        await self.http.aclose()


class TwilioCaller:
    def __init__(
        self,
        *,
        public_url,
        auth_token,
        app_url=None,
        application=None,
        account_sid="AC" + "0" * 32,
        from_number="+13125550147",
        to_number="+13125550100",
        call_sid=None,
    ):
        if (app_url is None) == (application is None):
            raise ValueError("give app_url (a running server) or application (in-process ASGI), not both")
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token or "")
        self.account_sid = account_sid
        self.from_number = from_number
        self.to_number = to_number
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.link = _ServerLink(app_url) if app_url else _AsgiLink(application, urlsplit(self.public_url).netloc)
        # What Twilio got from the app
        self.webhook_status = None
        self.twiml = None
        self.stream_url = None
        self.connect_action = None
        self.parameters = {}
        self.after_stream_twiml = None
        # What the caller heard
        self.received = []  # ReceivedAudio, as frames arrived
        self.played = bytearray()  # audio actually played (not flushed by clear)
        self.marks = []  # MarkEcho
        self.clears = []  # monotonic times
        self.playback_spans = []  # [start, end] of continuous playback
        self.unexpected = []  # frames from the app that Twilio would not understand
        self.close_code = None
        self.closed = asyncio.Event()
        self._outgoing = deque()  # (Utterance, offset)
        self._held = []  # (media message, the Utterance it ends or None) held back by a hiccup
        self._hiccup_until = 0.0
        self._playback = deque()  # bytearray chunks and ("mark", name)
        self._sequence = 0
        self._chunk = 0
        self._send_lock = asyncio.Lock()
        self._tasks = []
        self._hung_up = False
        self._after_stream = None
        self._stream_open = False

    # --- the call ------------------------------------------------------------------------

    def sign(self, url, params=None):
        return self.validator.compute_signature(url, params or {})

    async def post_webhook(self, path, form, *, signature=None):
        """POST a signed form to the app as Twilio would; returns (status, body)."""
        headers = {
            "X-Twilio-Signature": signature if signature is not None else self.sign(self.public_url + path, form)
        }
        if self.public_url.startswith("https://"):
            # Twilio reaches an https address through the TLS proxy, which tells the app so.
            headers["X-Forwarded-Proto"] = "https"
        return await self.link.post(path, form, headers)

    def incoming_call_form(self, **extra):
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "To": self.to_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    async def ring(self, *, signature=None):
        """The incoming-call webhook; parses the TwiML's <Stream> and <Parameter>s."""
        self.webhook_status, self.twiml = await self.post_webhook(
            "/twilio/voice/", self.incoming_call_form(), signature=signature
        )
        if self.webhook_status != 200:
            return self.webhook_status
        root = ET.fromstring(self.twiml)
        connect = root.find("Connect")
        stream = connect.find("Stream")
        self.connect_action = connect.get("action")
        self.stream_url = stream.get("url")
        self.parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
        return self.webhook_status

    async def open_stream(self, *, signature=None):
        signature = self.sign(self.stream_url) if signature is None else signature
        headers = {"X-Twilio-Signature": signature} if signature else {}
        await self.link.open(self.stream_url, headers)
        self._stream_open = True
        self._tasks.append(asyncio.create_task(self._receive_loop(), name=f"fake-twilio-receive-{self.call_sid}"))

    async def send_start(self, *, parameters=None):
        await self.send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send_json(
            {
                "event": "start",
                "sequenceNumber": self._next_sequence(),
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "accountSid": self.account_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": self.parameters if parameters is None else parameters,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )
        self._started_at = time.monotonic()
        self._tasks.append(asyncio.create_task(self._media_loop(), name=f"fake-twilio-media-{self.call_sid}"))
        self._tasks.append(asyncio.create_task(self._playback_loop(), name=f"fake-twilio-play-{self.call_sid}"))

    async def dial(self):
        """Ring, open the stream and start it: the call is up and the caller is silent."""
        status = await self.ring()
        if status != 200:
            raise RuntimeError(f"the incoming-call webhook answered {status}: {self.twiml}")
        await self.open_stream()
        await self.send_start()

    def speak(self, audio):
        """Queue caller audio (mu-law); it goes out in real time after anything already queued."""
        utterance = Utterance(audio=audio)
        self._outgoing.append([utterance, 0])
        return utterance

    async def say(self, audio):
        """Speak and wait until the audio has gone out; ConnectionError if the stream closes first."""
        utterance = self.speak(audio)
        sent, closed = asyncio.ensure_future(utterance.sent.wait()), asyncio.ensure_future(self.closed.wait())
        await asyncio.wait({sent, closed}, return_when=asyncio.FIRST_COMPLETED)
        sent.cancel()
        closed.cancel()
        if not utterance.sent.is_set():
            raise ConnectionError(f"the stream closed (code {self.close_code}) while the caller was talking")
        return utterance

    def hiccup(self, seconds):
        """The network between the caller and the app stalls for `seconds`: media frames are still
        made every 20 ms but held, then sent back to back once it clears (Twilio does not drop them)."""
        self._hiccup_until = time.monotonic() + seconds

    async def send_dtmf(self, digit):
        await self.send_json(
            {
                "event": "dtmf",
                "sequenceNumber": self._next_sequence(),
                "streamSid": self.stream_sid,
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    async def hang_up(self):
        """The caller hangs up: `stop`, then the socket closes."""
        self._hung_up = True
        if self._stream_open and not self.closed.is_set():
            try:
                await self.send_json(
                    {
                        "event": "stop",
                        "sequenceNumber": self._next_sequence(),
                        "streamSid": self.stream_sid,
                        "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
                    }
                )
            except Exception:
                pass  # the app closed the stream at the same moment
        await self.close()

    async def lose_stream(self):
        """The link to the app breaks: no `stop`, the socket just goes. <Connect> is over, so (as
        when the app closes the stream) Twilio asks the action URL what to do with the caller,
        who is still on the line."""
        self._hung_up = True  # the receive loop must not ask the action URL a second time
        await self.link.drop()
        if self.connect_action:
            await self._connect_ended()
        await self.close()

    async def close(self):
        if self._after_stream is not None:
            await asyncio.wait({self._after_stream}, timeout=5)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            await self.link.close(1000)
        except Exception:
            pass
        self.closed.set()

    async def post_status(self, status="completed", duration_s=None):
        form = {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "CallStatus": status,
            "From": self.from_number,
            "To": self.to_number,
        }
        if duration_s is not None:
            form["CallDuration"] = str(duration_s)
        return await self.post_webhook("/twilio/status/", form)

    async def send_json(self, message):
        await self.send_text(json.dumps(message))

    async def send_text(self, text):
        async with self._send_lock:
            await self.link.send(text)

    async def wait_for(self, condition, timeout=10.0, interval=0.01):
        """Wait until `condition()` is true; TimeoutError saying what was waited for otherwise."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up after {timeout} s waiting for {getattr(condition, '__name__', condition)}")
            await asyncio.sleep(interval)

    # --- what was heard ---------------------------------------------------------------------

    @property
    def received_bytes(self):
        return sum(r.size for r in self.received)

    def first_audio_after(self, moment):
        """When the first agent audio arrived after `moment` (monotonic), or None."""
        return next((r.at for r in self.received if r.at >= moment), None)

    @property
    def pending_marks(self):
        """Marks the app sent whose audio has not finished playing (never echoed after a hang-up)."""
        return [item[1] for item in self._playback if isinstance(item, tuple)]

    @property
    def is_playing(self):
        return any(not isinstance(item, tuple) for item in self._playback)

    # --- inside -------------------------------------------------------------------------

    def _next_sequence(self):
        self._sequence += 1
        return str(self._sequence)

    async def _media_loop(self):
        next_tick = time.monotonic()
        while True:
            frame, ended = SILENCE, None
            if self._outgoing:
                entry = self._outgoing[0]
                utterance, offset = entry
                if offset == 0:
                    utterance.started_at = time.monotonic()
                frame = utterance.audio[offset : offset + FRAME_BYTES].ljust(FRAME_BYTES, b"\xff")
                entry[1] = offset + FRAME_BYTES
                if entry[1] >= len(utterance.audio):
                    self._outgoing.popleft()
                    utterance.ended_at = time.monotonic()
                    ended = utterance
            self._chunk += 1
            message = {
                "event": "media",
                "sequenceNumber": self._next_sequence(),
                "streamSid": self.stream_sid,
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str((self._chunk - 1) * 20),
                    "payload": base64.b64encode(frame).decode("ascii"),
                },
            }
            self._held.append((message, ended))
            if time.monotonic() >= self._hiccup_until:
                held, self._held = self._held, []
                for message, ended in held:
                    await self.send_json(message)
                    if ended is not None:
                        ended.sent.set()
            next_tick += FRAME_S
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))

    async def _receive_loop(self):
        ended = False  # the app closed or dropped the socket (not: this loop was cancelled)
        try:
            while (text := await self.link.receive()) is not None:
                await self._on_app_message(text)
            ended = True
        finally:
            self.close_code = self.link.close_code
            if not self._hung_up:
                self.closed.set()
                # Closed cleanly or dropped, <Connect> is over either way: Twilio asks the action URL.
                if ended and self.connect_action:
                    self._after_stream = asyncio.ensure_future(self._connect_ended())

    async def _connect_ended(self):
        """<Connect> is over because the app closed the stream: ask its action URL what next."""
        path = urlsplit(self.connect_action).path
        status, self.after_stream_twiml = await self.post_webhook(
            path,
            {
                "CallSid": self.call_sid,
                "AccountSid": self.account_sid,
                "CallStatus": "in-progress",
                "From": self.from_number,
                "To": self.to_number,
            },
        )

    async def _on_app_message(self, text):
        try:
            message = json.loads(text)
        except ValueError:
            self.unexpected.append(text)
            return
        event = message.get("event")
        if message.get("streamSid") != self.stream_sid:
            self.unexpected.append(message)
            return
        if event == "media":
            audio = base64.b64decode(message["media"]["payload"])
            self.received.append(ReceivedAudio(time.monotonic(), len(audio)))
            self._playback.append(bytearray(audio))
        elif event == "mark":
            name = message["mark"]["name"]
            if self._playback:
                self._playback.append(("mark", name))
            else:
                await self._echo_mark(name, flushed=False)
        elif event == "clear":
            self.clears.append(time.monotonic())
            pending = self.pending_marks
            self._playback.clear()
            self._end_span()
            for name in pending:
                await self._echo_mark(name, flushed=True)
        else:
            self.unexpected.append(message)

    async def _echo_mark(self, name, *, flushed):
        self.marks.append(MarkEcho(name, time.monotonic(), flushed))
        await self.send_json(
            {
                "event": "mark",
                "sequenceNumber": self._next_sequence(),
                "streamSid": self.stream_sid,
                "mark": {"name": name},
            }
        )

    def _end_span(self):
        if self.playback_spans and self.playback_spans[-1][1] is None:
            self.playback_spans[-1][1] = time.monotonic()

    async def _playback_loop(self):
        next_tick = time.monotonic()
        while True:
            budget = FRAME_BYTES
            played_now = False
            while self._playback and (budget or isinstance(self._playback[0], tuple)):
                head = self._playback[0]
                if isinstance(head, tuple):
                    self._playback.popleft()
                    await self._echo_mark(head[1], flushed=False)
                    continue
                take = head[:budget]
                del head[:budget]
                self.played.extend(take)
                budget -= len(take)
                played_now = True
                if not head:
                    self._playback.popleft()
            if played_now and (not self.playback_spans or self.playback_spans[-1][1] is not None):
                self.playback_spans.append([time.monotonic(), None])
            elif not played_now:
                self._end_span()
            next_tick += FRAME_S
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
