"""Fake `/v1/listen` (live speech to text) WebSocket endpoint and the knobs tests turn.

By default it is as awkward as a real stream (protocols.md 2.2; what it hears: speech.py and
recognizer.py): interims about once a second, long utterances in several finals, some turns
ended only by UtteranceEnd, and finals delivered late. Each knob can be set for exact timing:

    ListenFake(key, interim_interval_s=0.25, interim_jitter=0,  # interims every 0.25 s of speech
               split_finals_s=None,     # one final per utterance (default: one per 2-3 s of speech)
               no_speech_final=0,       # share of turns without speech_final (default 0.15)
               final_delay_s=0,         # wall-clock delay of finals: s or (low, high) (0-0.2 s)
               seed=0)                  # stream n draws its chance from Random(f"{seed}:{n}")
    fake.stt.final_delay_s = (0.5, 1.0)          # finals late "under load" from now on
    fake.stt.script(["I need an oil change", "Tuesday morning"])   # lines for non-carrier speech
    fake.stt.drop_next(after_audio_s=1.2)        # next stream: TCP reset after 1.2 s of its audio
    fake.stt.drop_next(after_audio_s=1.2, code=1011, reason="NET-0000")   # or a close frame
    fake.stt.drop_open_streams()                 # every open stream, now
    fake.stt.reject_next(status=503, times=2)    # refuse the next handshakes
    fake.stt.streams[-1].audio_bytes / .query / .keepalives / .finals / .close_code

A late final holds back what the stream says after it (order is kept), never what came before.
A dropped stream forgets what it had not sent; the words of an utterance it had not finalised are
what the next stream hears from that utterance's audio (a script line, or spoken text, replayed).
"""

import asyncio
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from .recognizer import Recognizer

log = logging.getLogger(__name__)


@dataclass
class ListenStream:
    """What one /v1/listen connection received and what became of it (for assertions)."""

    query: dict
    authorization: str
    session_id: str
    request_id: str
    audio_bytes: int = 0
    audio_frames: int = 0
    empty_frames: int = 0
    keepalives: int = 0
    finalizes: int = 0
    close_stream: bool = False
    unknown_messages: list = field(default_factory=list)
    sent: list = field(default_factory=list)  # every JSON message sent, in order
    close_code: int | None = None  # what the fake closed with; None while open or aborted
    dropped: bool = False  # the fake dropped it on purpose
    open: bool = True
    _close_after_handshake: tuple | None = field(default=None, repr=False)

    @property
    def finals(self):
        return [
            m["channel"]["alternatives"][0]["transcript"] for m in self.sent if m["type"] == "Results" and m["is_final"]
        ]

    @property
    def audio_seconds(self):
        return self.audio_bytes / 8000


@dataclass
class _Drop:
    after_bytes: int
    code: int | None
    reason: str


class ListenFake:
    def __init__(
        self,
        api_key,
        *,
        interim_interval_s=1.0,
        interim_jitter=0.3,
        split_finals_s=(2.0, 3.0),
        no_speech_final=0.15,
        final_delay_s=(0.0, 0.2),
        seed=0,
        idle_timeout_s=10.0,
    ):
        self.api_key = api_key
        self.interim_interval_s = interim_interval_s
        self.interim_jitter = interim_jitter
        self.split_finals_s = split_finals_s
        self.no_speech_final = no_speech_final
        self.final_delay_s = final_delay_s
        self.seed = seed
        self.idle_timeout_s = idle_timeout_s
        self.streams = []
        self.rejected = []  # HTTP statuses of refused handshakes (bad key included)
        self._lock = threading.Lock()
        self._script = deque()
        self._unfinished = {}  # spoken text -> its words a dropped stream had not finalised
        self._rejections = deque()
        self._drops = deque()
        self._droppers = {}
        self.open_sockets = set()  # touched only on the server's loop

    # -- knobs (thread-safe; call from the test's thread or loop) ------------------------------------

    def script(self, lines):
        """Queue transcripts for the next non-carrier utterances, shared by all streams in order."""
        with self._lock:
            self._script.extend(lines)

    @property
    def pending_script(self):
        with self._lock:
            return list(self._script)

    def reject_next(self, status=503, *, times=1):
        with self._lock:
            self._rejections.extend([status] * times)

    def drop_next(self, *, after_audio_s=0.0, code=None, reason="NET-0000", times=1):
        """The next `times` streams to receive audio are dropped once they got `after_audio_s` of it
        (an open stream counts: its audio so far is included).

        code=None resets the TCP connection (the client sees 1006; a late final not yet sent is lost);
        else a close frame with code/reason, after whatever the stream was still to send.
        """
        with self._lock:
            self._drops.extend([_Drop(round(after_audio_s * 8000), code, reason)] * times)

    def drop_open_streams(self, *, code=None, reason="NET-0000"):
        with self._lock:
            droppers = list(self._droppers.values())
        for dropper in droppers:
            dropper(code, reason)
        return len(droppers)

    @property
    def transcripts(self):
        """Final transcripts sent on every stream so far, in order."""
        return [text for stream in self.streams for text in stream.finals]

    # -- internals ----------------------------------------------------------------------------------

    def _next_line(self):
        with self._lock:
            return self._script.popleft() if self._script else None

    def _give_back(self, unheard):
        """Words a dead stream never delivered: the next stream hears them from the replayed audio."""
        with self._lock:
            self._script.extendleft(reversed([rest for _, rest, from_script in unheard if from_script]))
            self._unfinished.update((text, rest) for text, rest, from_script in unheard if not from_script)

    def _unheard(self, text):
        with self._lock:
            return self._unfinished.pop(text, text)

    def _final_delay(self, rng):
        """Read at each final: a test may change `final_delay_s` while streams are open."""
        delay = self.final_delay_s
        return rng.uniform(*delay) if isinstance(delay, tuple) else delay

    def _take(self, queue):
        with self._lock:
            return queue.popleft() if queue else None

    async def handle(self, request):
        request_id = str(uuid.uuid4())
        authorization = request.headers.get("Authorization", "")
        refusal = None
        if authorization != f"Token {self.api_key}":
            refusal = (401, "Invalid credentials.")
        elif (status := self._take(self._rejections)) is not None:
            refusal = (status, "Injected failure.")
        if refusal:
            self.rejected.append(refusal[0])
            return web.json_response(
                {
                    "err_code": "INVALID_AUTH" if refusal[0] == 401 else "UNAVAILABLE",
                    "err_msg": refusal[1],
                    "request_id": request_id,
                },
                status=refusal[0],
                headers={"dg-error": refusal[1], "dg-request-id": request_id},
            )
        ws = web.WebSocketResponse(max_msg_size=1 << 22)
        ws.headers["dg-request-id"] = request_id
        stream = ListenStream(
            query=dict(request.query),
            authorization=authorization,
            request_id=request_id,
            session_id=request.headers.get("x-deepgram-session-id", ""),
        )
        # registered before the handshake completes: a client that is connected can always be dropped
        self.streams.append(stream)
        number = len(self.streams) - 1
        recognizer = Recognizer(
            request.query,
            next_line=self._next_line,
            unheard=self._unheard,
            rng=random.Random(f"{self.seed}:{number}"),
            interim_interval_s=self.interim_interval_s,
            interim_jitter=self.interim_jitter,
            split_finals_s=self.split_finals_s,
            no_speech_final=self.no_speech_final,
            request_id=request_id,
        )
        outbox = _Outbox(ws, stream, self._final_delay, random.Random(f"{self.seed}:{number}:late"))
        loop = asyncio.get_running_loop()
        with self._lock:
            self._droppers[id(stream)] = lambda code, reason: loop.call_soon_threadsafe(
                lambda: loop.create_task(self._drop(request, outbox, stream, code, reason))
            )
        self.open_sockets.add(ws)
        try:
            await ws.prepare(request)
            if stream._close_after_handshake:
                await ws.close(code=stream._close_after_handshake[0], message=stream._close_after_handshake[1])
            else:
                await self._serve(request, ws, stream, recognizer, outbox, self._take(self._drops))
        except (ConnectionError, RuntimeError):  # dropped during the handshake
            pass
        finally:
            undelivered = outbox.cancel()  # what it had not sent is lost with the stream
            self.open_sockets.discard(ws)
            with self._lock:
                self._droppers.pop(id(stream), None)
            stream.open = False
            self._give_back(recognizer.abandon(undelivered))
        return ws

    async def _serve(self, request, ws, stream, recognizer, outbox, drop):
        while not ws.closed:
            try:
                message = await ws.receive(timeout=self.idle_timeout_s)
            except TimeoutError:
                stream.close_code = 1011
                await ws.close(code=1011, message=b"NET-0001")
                return
            if message.type == WSMsgType.BINARY:
                if not message.data:
                    stream.empty_frames += 1
                    stream.close_code = 1011
                    await ws.close(code=1011, message=b"empty audio frame")
                    return
                stream.audio_bytes += len(message.data)
                stream.audio_frames += 1
                outbox.put(recognizer.feed(message.data))
                if drop is None and self._drops:
                    drop = self._take(self._drops)
                if drop is not None and stream.audio_bytes >= drop.after_bytes:
                    await self._drop(request, outbox, stream, drop.code, drop.reason)
                    return
            elif message.type == WSMsgType.TEXT:
                kind = _message_type(message.data)
                if kind == "KeepAlive":
                    stream.keepalives += 1
                elif kind == "Finalize":
                    stream.finalizes += 1
                    outbox.put(recognizer.finalize())
                elif kind == "CloseStream":
                    stream.close_stream = True
                    outbox.put(recognizer.close())
                    await outbox.flush()
                    stream.close_code = 1000
                    await ws.close(code=1000)
                    return
                else:
                    stream.unknown_messages.append(message.data)
                    log.warning("fake deepgram: unknown listen message %r", message.data[:200])
            else:  # CLOSE, CLOSING, CLOSED, ERROR: the client went away
                return

    async def _drop(self, request, outbox, stream, code, reason):
        ws = outbox.ws
        if ws.closed:
            return
        stream.dropped = True
        if code is None:  # what was not sent yet is lost
            if request.transport is not None:
                request.transport.abort()
        elif not ws.prepared:
            stream._close_after_handshake = (code, reason.encode())
        else:
            stream.close_code = code
            await outbox.flush()  # a close frame comes after what the server had to say, late or not
            await ws.close(code=code, message=reason.encode())


class _Outbox:
    """A stream's messages on their way out, in order: a final `final_delay(rng)` seconds late (wall
    clock), and whatever follows it no sooner."""

    def __init__(self, ws, stream, final_delay, rng):
        self.ws, self.stream = ws, stream
        self._final_delay, self._rng = final_delay, rng
        self._queue = asyncio.Queue()
        self._due = 0.0  # when the last message queued may go: later ones wait for it
        self._sending = None  # taken from the queue, not sent yet
        self._lost = []  # not sent: the socket had closed
        self._task = asyncio.ensure_future(self._send())

    def put(self, messages):
        for message in messages:
            delay = self._final_delay(self._rng) if message["type"] == "Results" and message["is_final"] else 0.0
            self._due = max(self._due, time.monotonic() + delay)
            self._queue.put_nowait((self._due, message))

    async def flush(self):
        await self._queue.join()

    def cancel(self):
        """Stop sending; the messages that were not sent."""
        self._task.cancel()
        unsent = self._lost + ([] if self._sending is None else [self._sending])
        while not self._queue.empty():
            unsent.append(self._queue.get_nowait()[1])
        return unsent

    async def _send(self):
        while True:
            due, self._sending = await self._queue.get()
            try:
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                if not self.ws.closed:
                    self.stream.sent.append(self._sending)
                    await self.ws.send_str(json.dumps(self._sending))
                    self._sending = None
            except (ConnectionError, RuntimeError):
                pass  # the client went away: the rest has nowhere to go
            finally:
                self._queue.task_done()
            if self._sending is not None:
                self._lost.append(self._sending)
                self._sending = None


def _message_type(text):
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message.get("type") if isinstance(message, dict) else None
