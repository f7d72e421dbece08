"""The fake Twilio caller is as awkward as Twilio: marks come back only once the audio ahead of
them has played, `clear` flushes the pending ones at once, hanging up sends `stop` without
echoing marks still queued, and a network hiccup delivers held media frames in a burst.

The app here is a bare ASGI stand-in that records what arrives and sends what a test queues."""

import asyncio
import base64
import json
import time

import pytest

from fakes.twilio_caller import TwilioCaller

PUBLIC_URL = "https://agent.example.test"
TWIML = b'<Response><Connect><Stream url="wss://agent.example.test/stream/" /></Connect></Response>'


class StandIn:
    """An ASGI app: answers the webhook with <Connect><Stream>, records stream messages."""

    def __init__(self):
        self.received = []  # (monotonic arrival, message)
        self.outbox = asyncio.Queue()
        self.stream_sid = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/xml")]})
            await send({"type": "http.response.body", "body": TWIML})
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        sending = asyncio.ensure_future(self._send_queued(send))
        try:
            while (message := await receive())["type"] == "websocket.receive":
                data = json.loads(message["text"])
                self.stream_sid = self.stream_sid or data.get("streamSid")
                self.received.append((time.monotonic(), data))
        finally:
            sending.cancel()

    async def _send_queued(self, send):
        while True:
            event = await self.outbox.get()
            await send({"type": "websocket.send", "text": json.dumps({**event, "streamSid": self.stream_sid})})

    def play(self, seconds, mark):
        audio = base64.b64encode(b"\x00" * round(seconds * 8000)).decode()
        self.outbox.put_nowait({"event": "media", "media": {"payload": audio}})
        self.outbox.put_nowait({"event": "mark", "mark": {"name": mark}})

    def events(self, kind):
        return [(at, message) for at, message in self.received if message["event"] == kind]


@pytest.fixture
async def call():
    app = StandIn()
    caller = TwilioCaller(public_url=PUBLIC_URL, auth_token="token", application=app)
    await caller.dial()
    await caller.wait_for(lambda: app.stream_sid)
    yield app, caller
    await caller.hang_up()


async def test_a_mark_comes_back_only_after_the_audio_before_it_has_played(call):
    app, caller = call
    sent_at = time.monotonic()
    app.play(0.4, "first")
    await caller.wait_for(lambda: app.events("mark"), timeout=3)
    (echoed_at, echo), *_ = app.events("mark")
    assert echo["mark"]["name"] == "first" and echoed_at - sent_at >= 0.38
    assert [m.flushed for m in caller.marks] == [False]


async def test_clear_echoes_every_pending_mark_at_once(call):
    app, caller = call
    app.play(1.0, "one")
    app.play(1.0, "two")
    await caller.wait_for(lambda: caller.pending_marks == ["one", "two"], timeout=3)
    cleared_at = time.monotonic()
    app.outbox.put_nowait({"event": "clear"})
    await caller.wait_for(lambda: len(app.events("mark")) == 2, timeout=3)
    assert [m["mark"]["name"] for _, m in app.events("mark")] == ["one", "two"]
    assert all(at - cleared_at < 0.2 for at, _ in app.events("mark"))
    assert [m.flushed for m in caller.marks] == [True, True] and len(caller.played) < 8000


async def test_hanging_up_sends_stop_without_echoing_the_marks_still_queued(call):
    app, caller = call
    app.play(0.2, "heard")
    app.play(1.0, "cut off")
    await caller.wait_for(lambda: [m.name for m in caller.marks] == ["heard"], timeout=3)
    await caller.hang_up()
    await caller.wait_for(lambda: app.events("stop"), timeout=3)
    assert [m["mark"]["name"] for _, m in app.events("mark")] == ["heard"]
    assert caller.pending_marks == ["cut off"]


async def test_after_a_hiccup_the_held_media_frames_arrive_back_to_back_none_lost(call):
    app, caller = call
    await asyncio.sleep(0.2)
    caller.hiccup(0.4)
    utterance = caller.speak(b"\x00" * 800)
    await asyncio.sleep(0.25)
    assert utterance.ended_at is not None and not utterance.sent.is_set()  # said, still held
    await asyncio.wait_for(utterance.sent.wait(), 1)
    await asyncio.sleep(0.4)
    media = app.events("media")
    arrivals = [at for at, _ in media]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    stall = gaps.index(max(gaps))
    assert max(gaps) >= 0.35
    burst = gaps[stall + 1 : stall + 15]
    assert len(burst) == 14 and all(gap < 0.01 for gap in burst)
    chunks = [int(m["media"]["chunk"]) for _, m in media]
    assert chunks == list(range(1, len(chunks) + 1))
    assert [int(m["media"]["timestamp"]) for _, m in media] == [20 * (n - 1) for n in chunks]
