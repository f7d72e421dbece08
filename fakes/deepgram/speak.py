"""Fake Aura text to speech: REST `POST /v1/speak` and the `/v1/speak` WebSocket.

Audio is a tone (see speech.tone), `audio_s_per_char` seconds of it per character of text, mu-law
8 kHz. Like Aura, the first byte comes after a varying delay and the audio in chunks of varying
sizes that do not line up with Twilio's 160-byte frames; a timing knob is a number (fixed) or a
(low, high) range drawn from a random.Random seeded with `seed` (fakes.jitter). Knobs (plain
attributes, change them any time):

    fake.tts.first_byte_s = (0.09, 0.25)   # delay before the response/first audio; 0.15: fixed
    fake.tts.audio_s_per_char = 0.07       # length of the speech per character
    fake.tts.realtime_factor = None        # None: stream as fast as possible; 10: ten times real time
    fake.tts.chunk_bytes = (200, 4000)     # size of each audio chunk; 800: always 100 ms
    fake.tts.fail_next(status=500)      # next REST request / WS handshake answers an error
    fake.tts.stall_next()               # next REST request never answers (until the client gives up)
    fake.tts.break_next(after_bytes=1600)   # next REST response is cut (TCP reset) after some audio

Records: fake.tts.requests (REST: text, query, status, bytes_sent, completed, aborted),
fake.tts.sockets (WS: texts, flushes, clears, bytes_sent), fake.tts.texts (everything spoken).

REST follows Deepgram's defaults: without `container=none` mu-law comes wrapped in a WAV header.
The fake only synthesises encoding=mulaw at sample_rate=8000 and answers 400 to anything else.
"""

import asyncio
import json
import struct
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from ..jitter import Jitter
from . import speech

MAX_REST_CHARACTERS = 2000


@dataclass
class SpeakRequest:
    query: dict
    authorization: str
    text: str | None = None
    status: int | None = None
    bytes_sent: int = 0
    completed: bool = False
    aborted: bool = False  # the client went away before the end of the audio


@dataclass
class SpeakSocket:
    query: dict
    texts: list = field(default_factory=list)
    flushes: int = 0
    clears: int = 0
    bytes_sent: int = 0
    closed_by_client: bool = False


@dataclass
class _Fault:
    kind: str
    status: int = 500
    after_bytes: int = 0


class SpeakFake:
    def __init__(
        self,
        api_key,
        *,
        first_byte_s=(0.09, 0.25),
        audio_s_per_char=0.07,
        realtime_factor=None,
        chunk_bytes=(200, 4000),
        seed=0,
    ):
        self.api_key = api_key
        self.jitter = Jitter(seed)
        self.first_byte_s = first_byte_s
        self.audio_s_per_char = audio_s_per_char
        self.realtime_factor = realtime_factor
        self.chunk_bytes = chunk_bytes
        self.requests = []
        self.sockets = []
        self._lock = threading.Lock()
        self._faults = deque()
        self.open_sockets = set()  # touched only on the server's loop

    def fail_next(self, status=500, *, times=1):
        self._add(_Fault("fail", status=status), times)

    def stall_next(self, *, times=1):
        self._add(_Fault("stall"), times)

    def break_next(self, *, after_bytes=0, times=1):
        self._add(_Fault("break", after_bytes=after_bytes), times)

    def audio_bytes_for(self, text):
        """How many bytes of audio the fake sends for `text`."""
        return round(len(text) * self.audio_s_per_char * speech.SAMPLE_RATE)

    @property
    def texts(self):
        spoken = [r.text for r in self.requests if r.status == 200]
        return spoken + [text for socket in self.sockets for text in socket.texts]

    def _add(self, fault, times):
        with self._lock:
            self._faults.extend([fault] * times)

    def _take_fault(self):
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # -- REST -----------------------------------------------------------------------------------------

    async def handle_rest(self, request):
        request_id = str(uuid.uuid4())
        record = SpeakRequest(query=dict(request.query), authorization=request.headers.get("Authorization", ""))
        self.requests.append(record)

        def error(status, code, message):
            record.status = status
            return web.json_response(
                {"err_code": code, "err_msg": message, "request_id": request_id},
                status=status,
                headers={"dg-request-id": request_id},
            )

        if record.authorization != f"Token {self.api_key}":
            return error(401, "INVALID_AUTH", "Invalid credentials.")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "Bad Request", "The request body is not JSON.")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return error(400, "Bad Request", "`text` must be a non-empty string.")
        record.text = text
        if len(text) > MAX_REST_CHARACTERS:
            return error(413, "Payload Too Large", f"Text is longer than {MAX_REST_CHARACTERS} characters.")
        query = request.query
        if query.get("encoding") != "mulaw" or query.get("sample_rate", "8000") not in ("8000", "8000.0"):
            return error(400, "Bad Request", "This fake synthesises only encoding=mulaw at sample_rate=8000.")
        container = query.get("container", "wav")
        if container not in ("none", "wav"):
            return error(400, "Bad Request", f"Unsupported container {container!r} for mulaw.")
        fault = self._take_fault()
        if fault and fault.kind == "fail":
            return error(
                fault.status, "INTERNAL_SERVER_ERROR" if fault.status >= 500 else "Bad Request", "Injected failure."
            )
        if fault and fault.kind == "stall":
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)
            record.aborted = True
            return web.Response(status=499)
        await self._first_byte()
        record.status = 200
        response = web.StreamResponse(
            headers={
                "Content-Type": "audio/basic" if container == "none" else "audio/wav",
                "dg-request-id": request_id,
                "dg-model-name": query.get("model", "aura-2-thalia-en"),
                "dg-char-count": str(len(text)),
            }
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        total = self.audio_bytes_for(text)
        try:
            if container == "wav":
                await response.write(_wav_header(total))
            async for chunk in self._audio(total):
                if fault and fault.kind == "break" and record.bytes_sent >= fault.after_bytes:
                    record.aborted = True
                    request.transport.abort()
                    return response
                await response.write(chunk)
                record.bytes_sent += len(chunk)
            record.completed = True
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client closed the stream early
            record.aborted = not record.completed
            return response
        return response

    async def _first_byte(self):
        delay = self.jitter.draw(self.first_byte_s)
        if delay:
            await asyncio.sleep(delay)

    async def _audio(self, total, *, start_sample=0):
        sent = 0
        while sent < total:
            size = min(self.jitter.draw(self.chunk_bytes), total - sent)
            yield speech.tone(size / speech.SAMPLE_RATE, start_sample=start_sample + sent)[:size]
            sent += size
            if self.realtime_factor:
                await asyncio.sleep(size / speech.SAMPLE_RATE / self.realtime_factor)
            else:
                await asyncio.sleep(0)

    # -- WebSocket ----------------------------------------------------------------------------------

    async def handle_socket(self, request):
        request_id = str(uuid.uuid4())
        if request.headers.get("Authorization", "") != f"Token {self.api_key}":
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."},
                status=401,
                headers={"dg-error": "Invalid credentials.", "dg-request-id": request_id},
            )
        fault = self._take_fault()
        if fault and fault.kind == "fail":
            return web.json_response(
                {"err_code": "UNAVAILABLE", "err_msg": "Injected failure."},
                status=fault.status,
                headers={"dg-error": "Injected failure.", "dg-request-id": request_id},
            )
        ws = web.WebSocketResponse()
        ws.headers["dg-request-id"] = request_id
        await ws.prepare(request)
        socket = SpeakSocket(query=dict(request.query))
        self.sockets.append(socket)
        model = request.query.get("model", "aura-2-thalia-en")
        await ws.send_json(
            {
                "type": "Metadata",
                "request_id": request_id,
                "model_name": model,
                "model_version": "2025-01-01.0",
                "model_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, model)),
            }
        )
        buffer, flushes = [], asyncio.Queue()
        sequence = 0

        async def synthesise():
            while True:
                sequence_id, text = await flushes.get()
                await self._first_byte()
                async for chunk in self._audio(self.audio_bytes_for(text)):
                    await ws.send_bytes(chunk)
                    socket.bytes_sent += len(chunk)
                await ws.send_json({"type": "Flushed", "sequence_id": sequence_id})
                flushes.task_done()

        worker = asyncio.create_task(synthesise())
        self.open_sockets.add(ws)
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                except ValueError:
                    await ws.send_json({"type": "Warning", "description": "Invalid JSON.", "code": "INVALID_JSON"})
                    continue
                kind = data.get("type") if isinstance(data, dict) else None
                if kind == "Speak":
                    buffer.append(str(data.get("text", "")))
                    socket.texts.append(buffer[-1])
                elif kind == "Flush":
                    socket.flushes += 1
                    flushes.put_nowait((sequence, "".join(buffer)))
                    buffer.clear()
                    sequence += 1
                elif kind == "Clear":
                    socket.clears += 1
                    buffer.clear()
                    worker.cancel()
                    flushes = asyncio.Queue()
                    worker = asyncio.create_task(synthesise())
                    await ws.send_json({"type": "Cleared", "sequence_id": sequence})
                elif kind == "Close":
                    socket.closed_by_client = True
                    await flushes.join()
                    await ws.close(code=1000)
                else:
                    await ws.send_json(
                        {"type": "Warning", "description": f"Unknown message type {kind!r}.", "code": "UNKNOWN_MESSAGE"}
                    )
        finally:
            self.open_sockets.discard(ws)
            worker.cancel()
        return ws


def _wav_header(data_bytes):
    # 8 kHz mono mu-law (format tag 7), as Deepgram sends when no container is asked for
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 7, 1, 8000, 8000, 1, 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
