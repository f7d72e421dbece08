"""Fake `/v1/listen` (live speech to text) WebSocket endpoint and the knobs tests turn.

    fake.stt.script(["I need an oil change", "Tuesday morning"])   # lines for non-carrier speech
    fake.stt.drop_next(after_audio_s=1.2)        # next stream: TCP reset after 1.2 s of its audio
    fake.stt.drop_next(after_audio_s=1.2, code=1011, reason="NET-0000")   # or a close frame
    fake.stt.drop_open_streams()                 # every open stream, now
    fake.stt.reject_next(status=503, times=2)    # refuse the next handshakes
    fake.stt.streams[-1].audio_bytes / .query / .keepalives / .finals / .close_code

What the fake "hears" is described in speech.py and recognizer.py.
"""

import asyncio
import json
import logging
import threading
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
    def __init__(self, api_key, *, interim_interval_s=0.25, word_s=0.3, idle_timeout_s=10.0):
        self.api_key = api_key
        self.interim_interval_s = interim_interval_s
        self.word_s = word_s
        self.idle_timeout_s = idle_timeout_s
        self.streams = []
        self.rejected = []  # HTTP statuses of refused handshakes (bad key included)
        self._lock = threading.Lock()
        self._script = deque()
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

        code=None resets the TCP connection (the client sees 1006); else a close frame with code/reason.
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

    def _give_back(self, line):
        with self._lock:
            self._script.appendleft(line)

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
        recognizer = Recognizer(
            request.query,
            next_line=self._next_line,
            interim_interval_s=self.interim_interval_s,
            word_s=self.word_s,
            request_id=request_id,
        )
        loop = asyncio.get_running_loop()
        # registered before the handshake completes: a client that is connected can always be dropped
        self.streams.append(stream)
        with self._lock:
            self._droppers[id(stream)] = lambda code, reason: loop.call_soon_threadsafe(
                lambda: loop.create_task(self._drop(request, ws, stream, code, reason))
            )
        self.open_sockets.add(ws)
        try:
            await ws.prepare(request)
            if stream._close_after_handshake:
                await ws.close(code=stream._close_after_handshake[0], message=stream._close_after_handshake[1])
            else:
                await self._serve(request, ws, stream, recognizer, self._take(self._drops))
        except (ConnectionError, RuntimeError):  # dropped during the handshake
            pass
        finally:
            self.open_sockets.discard(ws)
            with self._lock:
                self._droppers.pop(id(stream), None)
            stream.open = False
            line = recognizer.abandon()
            if line is not None:
                self._give_back(line)
        return ws

    async def _serve(self, request, ws, stream, recognizer, drop):
        async def send(messages):
            for message in messages:
                stream.sent.append(message)
                await ws.send_str(json.dumps(message))

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
                await send(recognizer.feed(message.data))
                if drop is None and self._drops:
                    drop = self._take(self._drops)
                if drop is not None and stream.audio_bytes >= drop.after_bytes:
                    await self._drop(request, ws, stream, drop.code, drop.reason)
                    return
            elif message.type == WSMsgType.TEXT:
                kind = _message_type(message.data)
                if kind == "KeepAlive":
                    stream.keepalives += 1
                elif kind == "Finalize":
                    stream.finalizes += 1
                    await send(recognizer.finalize())
                elif kind == "CloseStream":
                    stream.close_stream = True
                    await send(recognizer.close())
                    stream.close_code = 1000
                    await ws.close(code=1000)
                    return
                else:
                    stream.unknown_messages.append(message.data)
                    log.warning("fake deepgram: unknown listen message %r", message.data[:200])
            else:  # CLOSE, CLOSING, CLOSED, ERROR: the client went away
                return

    async def _drop(self, request, ws, stream, code, reason):
        if ws.closed:
            return
        stream.dropped = True
        if code is None:
            if request.transport is not None:
                request.transport.abort()
        elif not ws.prepared:
            stream._close_after_handshake = (code, reason.encode())
        else:
            stream.close_code = code
            await ws.close(code=code, message=reason.encode())


def _message_type(text):
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message.get("type") if isinstance(message, dict) else None
