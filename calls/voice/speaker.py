"""Speaking one reply: text pieces through TTS into paced 20 ms frames, a mark after each piece.

Two tasks per reply: one synthesizes the pieces in order (so the engine sees one request at
a time), the other sends their audio. While a piece is being paced out, the next one is
already being synthesized, so sentences follow each other without a gap.

A speaker can be paused (the caller made a sound: the sender stops, synthesis goes on) and
resumed: each piece keeps its audio, so the pieces the caller did not hear are sent again
under new marks, starting from the first of them.
"""

import asyncio
import logging
from dataclasses import dataclass, field

from calls.voice.errors import VendorError
from calls.voice.pacing import Framer
from calls.voice.streams import close_stream

log = logging.getLogger(__name__)

_FAILED = object()


@dataclass(eq=False)
class Piece:
    name: str  # the mark sent after its audio, e.g. "t3-s2"
    text: str
    round: int | None  # which brain round said it; None for a filler (not part of history)
    audio: asyncio.Queue = field(default_factory=asyncio.Queue)
    failed: bool = False
    marked: bool = False  # its audio and mark went out
    received: bytearray = field(default_factory=bytearray)  # audio taken from `audio` so far
    complete: bool = False  # all of its audio was taken from `audio`
    resent: int = 0


class Speaker:
    def __init__(self, *, number, tts, transport, pacer, playout, recorder, clock, follows=None):
        self.number = number
        self.pieces = []
        self.first_byte_at = None
        self.first_audio_at = None
        self._tts = tts
        self._transport = transport
        self._pacer = pacer
        self._playout = playout
        self._recorder = recorder
        self._clock = clock
        self._follows = follows  # the previous speaker, when its audio must finish going out first
        self._to_synthesize = asyncio.Queue()
        self._to_send = asyncio.Queue()
        self._caught_up = asyncio.Event()
        self._caught_up.set()
        self._done = asyncio.Event()  # every piece went out, or the speaker was cancelled
        self._paused = False
        self._cancelled = False
        self._ended = False  # finish() was read by the sender
        self._current = None  # the piece being sent
        self._synthesizer = asyncio.create_task(self._synthesize(), name=f"tts-{number}")
        self._sender = asyncio.create_task(self._send(), name=f"send-{number}")

    @property
    def tasks(self):
        return (self._synthesizer, self._sender)

    @property
    def idle(self):
        """Everything said so far has been sent."""
        return self._caught_up.is_set()

    def say(self, text, round):
        piece = Piece(f"t{self.number}-s{len(self.pieces) + 1}", text, round)
        self.pieces.append(piece)
        self._caught_up.clear()
        self._to_synthesize.put_nowait(piece)
        self._to_send.put_nowait(piece)
        return piece

    def finish(self):
        """No more pieces will come."""
        self._to_synthesize.put_nowait(None)
        self._to_send.put_nowait(None)

    @property
    def paused(self):
        return self._paused

    async def finished(self):
        """Wait until every piece's audio and mark went out (or the speaker was cancelled)."""
        await self._done.wait()
        await asyncio.wait({self._sender})

    async def caught_up(self):
        """Wait until everything said so far has been sent."""
        await self._caught_up.wait()

    def cancel(self):
        self._paused = False
        self._cancelled = True
        for task in self.tasks:
            task.cancel()
        self._done.set()
        self._caught_up.set()

    def pause(self):
        """Stop sending audio now (the caller may be interrupting); synthesis goes on."""
        if self._paused or self._cancelled:
            return
        self._paused = True
        self._sender.cancel()

    def resume(self):
        """Send again what the caller did not hear, then the rest; returns the pieces sent again
        (a new sending task takes over: see `tasks`)."""
        if not self._paused:
            return []
        self._paused = False
        again = [p for p in self.pieces if p.marked and not p.failed and not self._playout.heard(p.name)]
        if self._current is not None and self._current not in again:
            again.append(self._current)
        self._current = None
        for piece in again:
            if piece.marked:  # its old mark was flushed by the clear: the echo must not count
                piece.resent += 1
                piece.name = f"{piece.name.split('-r')[0]}-r{piece.resent}"
                piece.marked = False
        if again or not self._ended:
            self._caught_up.clear()
        self._done.clear()
        self._sender = asyncio.create_task(self._send(again), name=f"send-{self.number}-again")
        return again

    async def _synthesize(self):
        while (piece := await self._to_synthesize.get()) is not None:
            stream = self._tts.synthesize(piece.text)
            try:
                async for chunk in stream:
                    if chunk:
                        if self.first_byte_at is None:
                            self.first_byte_at = self._clock()
                        piece.audio.put_nowait(chunk)
            except Exception as exc:  # a failed sentence is skipped, never the call
                vendor = exc.vendor if isinstance(exc, VendorError) else "tts"
                log.warning("TTS failed on %r: %s", piece.text, exc)
                self._recorder.event("vendor_error", vendor=vendor, stage="tts", message=str(exc), text=piece.text)
                piece.failed = True
                piece.audio.put_nowait(_FAILED)
                continue
            finally:
                await close_stream(stream)
            piece.audio.put_nowait(None)

    async def _send(self, again=()):
        try:
            if self._follows is not None:
                await self._follows.finished()
                self._follows = None
            for piece in again:
                await self._send_piece(piece)
            while not self._ended:
                if (piece := await self._to_send.get()) is None:
                    self._ended = True
                    break
                await self._send_piece(piece)
                if self._to_send.empty():
                    self._caught_up.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending audio failed; the rest of this reply is dropped")
            self._recorder.event("transport_error", stage="send_audio")
        finally:
            if not self._paused and self._sender is asyncio.current_task():
                self._done.set()
                self._caught_up.set()

    async def _send_piece(self, piece):
        if piece.failed:
            return
        self._current = piece
        framer = Framer()
        nbytes = 0
        for frame in framer.feed(bytes(piece.received)):  # sent before a pause, or nothing
            nbytes += await self._send_frame(frame)
        while not piece.complete:
            chunk = await piece.audio.get()
            if chunk is None:
                piece.complete = True
                break
            if chunk is _FAILED:
                piece.complete = True
                self._current = None
                return
            piece.received += chunk
            for frame in framer.feed(chunk):
                nbytes += await self._send_frame(frame)
        for frame in framer.flush():
            nbytes += await self._send_frame(frame)
        if not nbytes:
            piece.failed = True  # nothing to hear
            self._current = None
            return
        piece.marked = True  # from here a pause sends it again under a new mark
        self._current = None
        await self._transport.send_mark(piece.name)
        self._playout.sent(piece.name, piece.text, nbytes, self._clock())

    async def _send_frame(self, frame):
        await self._pacer.room()
        await self._transport.send_audio(frame)
        if self.first_audio_at is None:
            self.first_audio_at = self._clock()
        self._pacer.sent(len(frame))
        return len(frame)
