"""A lean Twilio for many simulated calls in one process, measuring what each caller hears.

fakes/twilio_caller.py plays one call with two 20 ms loops and full recordings; fifty of
those in one process would spend the caller's CPU on bookkeeping and blur the timings. Here
each call has one 20 ms sending loop; playback at the caller's end is computed (a queue that
drains at 8000 bytes/s, marks echoed by timers when it reaches them, `clear` empties it) and
media frames are not decoded. Protocol as in protocols.md 1.5-1.8: signed webhook, signed
stream handshake, connected/start, a media frame every 20 ms, stop.

A call the server has no room for (admission control: CALLS_PER_PROCESS) gets TwiML without a
<Connect><Stream>: the caller notes it was refused and with which hand-off ("advisor" for a
<Dial>, "voicemail" for a <Record>, "none" for anything else, which is a problem), reports the
call over as Twilio would once the caller leaves, and is not counted as a failed call.

Every time here is time.monotonic(), the clock the vendor fakes stamp their records with.
"""

import asyncio
import base64
import json
import math
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from benchmarks.voice import script
from fakes.deepgram.speech import spoken

FRAME_BYTES = 160
FRAME_S = 0.020
BYTES_PER_S = 8000
SILENCE_B64 = base64.b64encode(b"\xff" * FRAME_BYTES).decode()
# The fake STT decides on the audio clock (fakes/deepgram): its final comes with this many frames
# of silence after an utterance, and UtteranceEnd (for an utterance without speech_final) with
# this many.
ENDPOINT_FRAMES = round(script.STT_ENDPOINTING_MS / 1000 / FRAME_S)
UTTERANCE_END_FRAMES = round(script.STT_UTTERANCE_END_MS / 1000 / FRAME_S)
QUIET_AFTER_REPLY_S = 0.8  # no agent audio playing or arriving this long: the reply is over
REPLY_TIMEOUT_S = 25.0
BARGE_IN_AFTER_S = 0.5  # the caller starts talking this long after the reply's first piece was heard
CLEAR_TIMEOUT_S = 5.0


class CallFailed(Exception):
    pass


class Refused(Exception):
    """The incoming-call webhook handed the caller to a person instead of connecting the agent."""


def hand_off_of(root):
    """What TwiML without a media stream does with the caller: "advisor", "voicemail" or "none"."""
    if root.find("Dial") is not None:
        return "advisor"
    if root.find("Record") is not None:
        return "voicemail"
    return "none"


@dataclass
class Utterance:
    text: str
    frames: list  # base64 payloads, 20 ms each
    sent: list = field(default_factory=list)  # when each frame went out
    endpoint_sent: float | None = None  # when the ENDPOINT_FRAMES-th frame of silence after it went out
    utterance_end_sent: float | None = None  # ... and the UTTERANCE_END_FRAMES-th
    finished: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Reply:
    """One agent reply as the caller heard it."""

    turn: int  # 0: the greeting
    speech_end: float | None = None  # the caller's last speech frame before it
    heard: "Utterance | None" = None  # the caller's line it answers
    first_audio: float | None = None
    last_audio: float | None = None
    frames: int = 0
    max_gap: float = 0.0  # longest time playback ran dry between its first and last frame
    cleared_at: float | None = None


@dataclass
class BargeIn:
    turn: int
    onset: float  # first frame of the caller's speech over the agent
    cleared_at: float | None


class SimulatedCall:
    def __init__(self, http, *, number, app_url, public_url, auth_token, from_number, to_number="+13125550100"):
        self.http = http
        self.number = number
        self.app_url = app_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.from_number = from_number
        self.to_number = to_number
        self.account_sid = "AC" + "0" * 32
        self.call_sid = "CA" + secrets.token_hex(16)
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.ws = None
        self.connected_at = self.closed_at = None
        self.replies, self.barge_ins, self.errors = [], [], []
        self.marks = []  # (name, at, flushed)
        self.stray_frames = 0  # agent audio after a clear that belonged to no reply
        self.refused = None  # the hand-off ("advisor", "voicemail", "none") when the server had no room
        self._seq = 0
        self._outgoing = deque()
        self._after = None  # the utterance whose trailing silence is being counted
        self._silent_frames = 0
        self._play_end = 0.0
        self._last_media = 0.0
        self._pending = deque()  # (due, mark name)
        self._timer = None
        self._reply = None
        self._tasks = []
        self._sends = set()

    # --- the call -----------------------------------------------------------------------

    async def run(self, turns=len(script.TURNS)):
        try:
            await self._dial()
            await self._hear_reply(Reply(turn=0))
            utterance = None
            for number in range(1, turns + 1):
                utterance = utterance or self._say(script.caller_line(self.number, number))
                utterance = await self._turn(number, utterance)
        except Refused:
            pass  # not a failure: counted with the refused calls
        except Exception as exc:  # reported with the results; the other calls go on
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            await self._hang_up()
        return self

    async def _turn(self, number, utterance):
        """The caller's line, then the reply; returns the next line if the caller cut in."""
        await utterance.finished.wait()
        reply = Reply(turn=number, speech_end=utterance.sent[-1], heard=utterance)
        if not script.TURNS[number - 1].barge_in or number == len(script.TURNS):
            await self._hear_reply(reply)
            return None
        self._reply = reply
        await self._until(
            lambda: any(not flushed and at > (reply.first_audio or math.inf) for _, at, flushed in self.marks),
            REPLY_TIMEOUT_S,
            "the reply's first piece",
        )
        await asyncio.sleep(BARGE_IN_AFTER_S)
        cut_in = self._say(script.caller_line(self.number, number + 1))
        await self._until(lambda: cut_in.sent, 5.0, "the caller to start talking")
        try:
            await self._until(lambda: reply.cleared_at is not None, CLEAR_TIMEOUT_S, "clear")
        finally:
            self.barge_ins.append(BargeIn(number, cut_in.sent[0], reply.cleared_at))
            self.replies.append(reply)
            self._reply = None
        return cut_in

    async def _hear_reply(self, reply):
        self._reply = reply
        try:
            await self._until(self._reply_over, REPLY_TIMEOUT_S, f"the reply to turn {reply.turn}")
        finally:
            self.replies.append(reply)
            self._reply = None

    def _reply_over(self):
        now = time.monotonic()
        return (
            self._reply.first_audio is not None
            and not self._pending
            and self._play_end <= now
            and now - self._last_media >= QUIET_AFTER_REPLY_S
        )

    async def _until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            if self.closed_at is not None:
                raise CallFailed(f"the stream closed while waiting for {what}")
            if time.monotonic() > deadline:
                raise CallFailed(f"no {what} within {timeout:g} s")
            await asyncio.sleep(0.05)

    def _say(self, text):
        audio = spoken(text, seconds=script.CALLER_LINE_S)
        frames = [base64.b64encode(audio[i : i + FRAME_BYTES]).decode() for i in range(0, len(audio), FRAME_BYTES)]
        utterance = Utterance(text, frames)
        self._outgoing.append(utterance)
        return utterance

    # --- Twilio's side of the protocol ----------------------------------------------------------

    async def _dial(self):
        form = {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "To": self.to_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        status, twiml = await self._post("/twilio/voice/", form)
        if status != 200:
            raise CallFailed(f"the incoming-call webhook answered {status}")
        root = ET.fromstring(twiml)
        stream = root.find("Connect/Stream")
        if stream is None:
            self.refused = hand_off_of(root)
            raise Refused(self.refused)
        url = stream.get("url")
        parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
        local = urlsplit(self.app_url)
        self.ws = await self.http.ws_connect(
            f"ws://{local.netloc}{urlsplit(url).path}",
            headers={"X-Twilio-Signature": self.validator.compute_signature(url, {})},
            max_msg_size=0,
            compress=0,
            autoping=True,
        )
        self.connected_at = time.monotonic()
        await self.ws.send_str(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await self.ws.send_str(
            json.dumps(
                {
                    "event": "start",
                    "sequenceNumber": self._next(),
                    "streamSid": self.stream_sid,
                    "start": {
                        "streamSid": self.stream_sid,
                        "accountSid": self.account_sid,
                        "callSid": self.call_sid,
                        "tracks": ["inbound"],
                        "customParameters": parameters,
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                }
            )
        )
        self._tasks = [asyncio.create_task(self._send_media()), asyncio.create_task(self._receive())]

    async def _post(self, path, form):
        signature = self.validator.compute_signature(self.public_url + path, form)
        async with self.http.post(
            self.app_url + path, data=form, headers={"X-Twilio-Signature": signature}
        ) as response:
            return response.status, await response.text()

    async def _hang_up(self):
        ended = time.monotonic()
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str(
                    json.dumps(
                        {
                            "event": "stop",
                            "sequenceNumber": self._next(),
                            "streamSid": self.stream_sid,
                            "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
                        }
                    )
                )
                await self.ws.close()
            except Exception as exc:
                self.errors.append(f"hanging up: {exc!r}")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._timer is not None:
            self._timer.cancel()
        self.closed_at = self.closed_at or ended
        if self.connected_at is not None or self.refused is not None:
            # A refused caller leaves the advisor or the voicemail at once, as far as the server knows.
            duration = str(max(1, round(self.closed_at - (self.connected_at or self.closed_at))))
            try:
                await self._post(
                    "/twilio/status/",
                    {
                        "CallSid": self.call_sid,
                        "AccountSid": self.account_sid,
                        "CallStatus": "completed",
                        "CallDuration": duration,
                        "From": self.from_number,
                        "To": self.to_number,
                    },
                )
            except Exception as exc:
                self.errors.append(f"status callback: {exc!r}")

    def _next(self):
        self._seq += 1
        return str(self._seq)

    async def _send_media(self):
        prefix = '{"event":"media","sequenceNumber":"%s","streamSid":"' + self.stream_sid + '",'
        body = '"media":{"track":"inbound","chunk":"%d","timestamp":"%d","payload":"%s"}}'
        chunk = 0
        next_at = time.monotonic()
        while True:
            utterance = self._outgoing[0] if self._outgoing else None
            payload = utterance.frames[len(utterance.sent)] if utterance else SILENCE_B64
            chunk += 1
            now = time.monotonic()
            await self.ws.send_str(prefix % self._next() + body % (chunk, (chunk - 1) * 20, payload))
            if utterance is not None:
                utterance.sent.append(now)
                if len(utterance.sent) == len(utterance.frames):
                    self._outgoing.popleft()
                    self._after, self._silent_frames = utterance, 0
                    utterance.finished.set()
            elif self._after is not None:
                self._silent_frames += 1
                if self._silent_frames == ENDPOINT_FRAMES:
                    self._after.endpoint_sent = now
                elif self._silent_frames == UTTERANCE_END_FRAMES:
                    self._after.utterance_end_sent = now
                    self._after = None
            next_at += FRAME_S
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _receive(self):
        try:
            async for message in self.ws:
                now = time.monotonic()
                data = message.data
                if not isinstance(data, str):
                    continue
                if data.startswith('{"event":"media"'):
                    start = data.find('"payload":"') + 11
                    end = data.find('"', start)
                    size = (end - start) * 3 // 4 - (data[end - 1] == "=") - (data[end - 2] == "=")
                    self._on_media(now, size)
                    continue
                event = json.loads(data)
                kind = event.get("event")
                if kind == "media":
                    self._on_media(now, len(base64.b64decode(event["media"]["payload"])))
                elif kind == "mark":
                    self._pending.append((max(self._play_end, now), event["mark"]["name"]))
                    self._schedule_echo()
                elif kind == "clear":
                    self._on_clear(now)
        finally:
            self.closed_at = self.closed_at or time.monotonic()

    def _on_media(self, now, size):
        gap = 0.0
        if self._play_end < now:  # Twilio's queue ran dry before this frame came
            gap, self._play_end = now - self._play_end, now
        self._play_end += size / BYTES_PER_S
        self._last_media = now
        reply = self._reply
        if reply is None:
            self.stray_frames += 1
            return
        if reply.first_audio is None:
            reply.first_audio = now
        else:
            reply.max_gap = max(reply.max_gap, gap)
        reply.last_audio = now
        reply.frames += 1

    def _on_clear(self, now):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            self._echo(self._pending.popleft()[1], now, flushed=True)
        self._play_end = now
        if self._reply is not None and self._reply.cleared_at is None:
            self._reply.cleared_at = now
            self._reply = None

    def _schedule_echo(self):
        if self._timer is None and self._pending:
            self._timer = asyncio.get_running_loop().call_at(self._pending[0][0], self._echo_due)

    def _echo_due(self):
        self._timer = None
        now = time.monotonic()
        while self._pending and self._pending[0][0] <= now + 0.001:
            self._echo(self._pending.popleft()[1], now, flushed=False)
        self._schedule_echo()

    def _echo(self, name, at, *, flushed):
        self.marks.append((name, at, flushed))
        send = asyncio.ensure_future(
            self.ws.send_str(
                '{"event":"mark","sequenceNumber":"%s","streamSid":"%s","mark":{"name":%s}}'
                % (self._next(), self.stream_sid, json.dumps(name))
            )
        )
        self._sends.add(send)
        send.add_done_callback(self._sends.discard)
