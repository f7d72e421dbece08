"""Deepgram live transcription (deepgram-sdk 7, `listen.v1`) behind SpeechToText.

A dropped socket must not lose what the caller said, so every byte sent is kept until a final
result covers it (at most `replay_s` seconds). When the socket drops without our asking, audio
keeps collecting in that buffer; the stream reconnects with backoff and replays it first, so an
utterance cut in half is transcribed whole on the new socket. Only when reconnecting keeps
failing does events() raise VendorError(retryable=False).

Deepgram times words on the stream's audio clock. A final's last word's `end` is mapped back to
when that audio reached us (`speech_ended_at`), so the caller's end of speech, not the final's
arrival after the endpointing wait, is where a turn's latency starts.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque

from deepgram.core.api_error import ApiError
from websockets.exceptions import ConnectionClosed

from ..deepgram_client import deepgram_client
from ..errors import VendorError
from .base import EventQueue, SpeechStarted, SpeechToText, Transcript, UtteranceEnd

log = logging.getLogger(__name__)

VENDOR = "deepgram"
BYTES_PER_SECOND = 8000  # mu-law, 8 kHz, mono
_REPLAY_CHUNK = 1600  # 200 ms per frame when replaying
_STABLE_S = 5.0  # a connection that lived this long resets the failure count


class DeepgramSTT(SpeechToText):
    def __init__(
        self,
        api_key,
        base_url=None,
        *,
        endpointing_ms=300,
        utterance_end_ms=1000,
        model="nova-3",
        keepalive_s=4.0,
        replay_s=15.0,
        reconnect_delays_s=(0.05, 0.25, 1.0, 2.0),
        connect_timeout_s=5.0,
        close_timeout_s=3.0,
        notify=None,
        clock=time.monotonic,
    ):
        """`notify(kind, **data)` (e.g. CallRecorder.event) hears about reconnects; it must not block."""
        self._client = deepgram_client(api_key, base_url)
        self._options = dict(
            model=model,
            encoding="mulaw",
            sample_rate=8000,
            channels=1,
            interim_results=True,
            endpointing=endpointing_ms if endpointing_ms is not None else False,
            utterance_end_ms=utterance_end_ms,
            vad_events=True,
            smart_format=True,
            punctuate=True,
        )
        self.keepalive_s = keepalive_s
        self.replay_bytes = round(replay_s * BYTES_PER_SECOND)
        self.reconnect_delays_s = tuple(reconnect_delays_s)
        self.connect_timeout_s = connect_timeout_s
        self.close_timeout_s = close_timeout_s
        self._clock = clock
        self._notify = notify
        self.reconnects = 0  # successful reconnects after a drop
        self._events = EventQueue()
        self._socket = None
        self._send_lock = asyncio.Lock()
        self._audio = bytearray()  # sent (or waiting to be sent) and not yet covered by a final result
        self._audio_offset = 0  # position of _audio[0] on the current connection's audio clock
        self._received = 0  # bytes received from the caller since the start
        self._received_at = deque()  # (bytes received so far, when): the audio clock back to ours
        self._connection_base = 0  # the current connection's audio clock 0, in bytes received
        self._last_sent = clock()
        self._heard = False  # the current connection delivered a final result
        self._supervisor = None
        self._keepalive = None
        self._closing = False
        self._closed = False

    async def start(self):
        if self._supervisor is not None:
            return
        ready = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise(ready), name="deepgram-stt")
        try:
            await ready
        except BaseException:
            self._supervisor.cancel()
            self._supervisor = None
            raise
        self._keepalive = asyncio.create_task(self._keep_alive(), name="deepgram-stt-keepalive")

    async def send(self, mulaw):
        if not mulaw or self._closing:
            return
        async with self._send_lock:
            self._audio += mulaw
            self._received += len(mulaw)
            self._received_at.append((self._received, self._clock()))
            oldest = self._received - self.replay_bytes - 5 * BYTES_PER_SECOND  # more than a final can reach back
            while self._received_at and self._received_at[0][0] < oldest:
                self._received_at.popleft()
            if len(self._audio) > self.replay_bytes + BYTES_PER_SECOND:
                excess = len(self._audio) - self.replay_bytes
                del self._audio[:excess]
                self._audio_offset += excess
            socket = self._socket
            if socket is None:
                return  # reconnecting: replayed once the new socket is up
            try:
                await socket.send_media(bytes(mulaw))
                self._last_sent = self._clock()
            except Exception as error:  # the reader sees the same drop and reconnects
                log.debug("Deepgram send failed: %r", error)

    def events(self):
        return self._events.read()

    async def close(self):
        if self._closed:
            return
        self._closed = self._closing = True
        if self._keepalive is not None:
            self._keepalive.cancel()
        supervisor = self._supervisor
        if supervisor is not None:
            if self._socket is not None:
                with contextlib.suppress(Exception):
                    async with self._send_lock:
                        await self._socket.send_close_stream()
                # the server sends what is left of the transcript, then closes
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(supervisor), self.close_timeout_s)
            supervisor.cancel()
            await asyncio.gather(supervisor, self._keepalive or asyncio.sleep(0), return_exceptions=True)
        self._events.end()

    # -- connection lifecycle ------------------------------------------------------------------------

    async def _supervise(self, ready):
        failures = 0
        dropped_by = None
        while True:
            connected_at = None
            failure = None
            self._heard = False
            try:
                async with contextlib.AsyncExitStack() as stack:
                    async with asyncio.timeout(self.connect_timeout_s):
                        socket = await stack.enter_async_context(self._client.listen.v1.connect(**self._options))
                    connected_at = self._clock()
                    replayed = await self._attach(socket)
                    if ready.done():
                        self.reconnects += 1
                        log.warning("Deepgram stream reconnected, %.1f s of audio replayed", replayed)
                        if self._notify is not None:
                            with contextlib.suppress(Exception):
                                self._notify(
                                    "reconnect",
                                    vendor=VENDOR,
                                    attempts=failures,
                                    replayed_s=round(replayed, 2),
                                    reason=str(dropped_by),
                                )
                    else:
                        ready.set_result(None)
                    await self._read(socket)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failure = _vendor_error(error)
            finally:
                self._socket = None
            if self._closing:
                return
            if connected_at is not None and (self._heard or self._clock() - connected_at >= _STABLE_S):
                failures = 0  # that connection worked: start counting afresh
            if failure is None:
                failure = VendorError(VENDOR, "the server closed the stream", retryable=True)
            dropped_by = failure
            if failure.retryable and failures < len(self.reconnect_delays_s):
                log.warning("Deepgram stream lost (%s); reconnecting", failure)
                await asyncio.sleep(self.reconnect_delays_s[failures])
                failures += 1
                continue
            if not ready.done():
                ready.set_exception(failure)
            else:
                self._events.put_nowait(
                    VendorError(VENDOR, f"live transcription lost and could not reconnect: {failure}", retryable=False)
                )
            return

    async def _attach(self, socket):
        async with self._send_lock:
            pending = bytes(self._audio)
            for start in range(0, len(pending), _REPLAY_CHUNK):
                await socket.send_media(pending[start : start + _REPLAY_CHUNK])
            self._audio_offset = 0  # a new connection's audio clock starts at the replayed audio
            self._connection_base = self._received - len(pending)
            self._socket = socket
            self._last_sent = self._clock()
        return len(pending) / BYTES_PER_SECOND

    async def _read(self, socket):
        async for message in socket:
            kind = getattr(message, "type", None)
            if kind == "Results":
                self._on_results(message)
            elif kind == "SpeechStarted":
                self._events.put_nowait(SpeechStarted(at=self._clock()))
            elif kind == "UtteranceEnd":
                self._events.put_nowait(UtteranceEnd(at=self._clock()))
            elif kind == "Error":
                log.warning("Deepgram error message: %s", message)

    def _on_results(self, results):
        at = self._clock()
        alternatives = results.channel.alternatives
        text = alternatives[0].transcript.strip() if alternatives else ""
        if not results.is_final:
            if text:
                self._events.put_nowait(Transcript(text=text, is_final=False, speech_final=False, at=at))
            return
        covered = results.start + results.duration
        self._forget_audio_until(covered)
        self._heard = True
        speech_final = bool(results.speech_final)
        through = self._connection_base + round(covered * BYTES_PER_SECOND)
        if text:
            self._events.put_nowait(
                Transcript(
                    text=text,
                    is_final=True,
                    speech_final=speech_final,
                    at=at,
                    speech_ended_at=self._when_heard(getattr(alternatives[0], "words", None)),
                    audio_through=through,
                )
            )
        elif speech_final:
            # earlier finals carried the words, or it was noise: either way the caller stopped
            self._events.put_nowait(Transcript(text="", is_final=True, speech_final=True, at=at, audio_through=through))

    def _when_heard(self, words):
        """When the audio at the end of the last of `words` reached us, on our clock (None if unknown)."""
        end = getattr(words[-1], "end", None) if words else None
        if end is None:
            return None
        target = self._connection_base + end * BYTES_PER_SECOND
        for received, at in self._received_at:
            if received >= target:
                return min(at - (received - target) / BYTES_PER_SECOND, self._clock())
        return None

    def _forget_audio_until(self, seconds):
        covered = round(seconds * BYTES_PER_SECOND) - self._audio_offset
        if covered > 0:
            covered = min(covered, len(self._audio))
            del self._audio[:covered]
            self._audio_offset += covered

    async def _keep_alive(self):
        while True:
            await asyncio.sleep(min(1.0, self.keepalive_s / 4))
            if self._socket is None or self._clock() - self._last_sent < self.keepalive_s:
                continue
            async with self._send_lock:
                if self._socket is None:
                    continue
                with contextlib.suppress(Exception):
                    await self._socket.send_keep_alive()
                    self._last_sent = self._clock()


def _vendor_error(error):
    if isinstance(error, VendorError):
        return error
    if isinstance(error, ApiError):
        status = error.status_code
        if status in (401, 403):
            return VendorError(VENDOR, f"Deepgram refused the credentials (HTTP {status})", retryable=False)
        retryable = status is None or status in (408, 429) or status >= 500
        return VendorError(VENDOR, f"Deepgram refused the stream (HTTP {status})", retryable=retryable)
    if isinstance(error, ConnectionClosed):
        received = error.rcvd
        detail = f"code {received.code} {received.reason}".strip() if received else "no close frame"
        return VendorError(VENDOR, f"stream closed ({detail})", retryable=True)
    if isinstance(error, TimeoutError):
        return VendorError(VENDOR, "timed out connecting", retryable=True)
    return VendorError(VENDOR, f"{type(error).__name__}: {error}", retryable=True)
