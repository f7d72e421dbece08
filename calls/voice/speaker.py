"""Speaking one reply: text pieces through TTS into paced 20 ms frames, a mark after each piece.

Two tasks per reply: one synthesizes the pieces in order (so the engine sees one request at
a time), the other sends their audio. While a piece is being paced out, the next one is
already being synthesized, so sentences follow each other without a gap.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from calls.voice.errors import VendorError
from calls.voice.pacing import Framer

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

    async def finished(self):
        """Wait until every piece's audio and mark went out (or the speaker was cancelled)."""
        await asyncio.wait({self._sender})

    async def caught_up(self):
        """Wait until everything said so far has been sent."""
        await self._caught_up.wait()

    def cancel(self):
        for task in self.tasks:
            task.cancel()

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
                with contextlib.suppress(Exception):
                    await _close(stream)
            piece.audio.put_nowait(None)

    async def _send(self):
        if self._follows is not None:
            await self._follows.finished()
        try:
            while (piece := await self._to_send.get()) is not None:
                await self._send_piece(piece)
                if self._to_send.empty():
                    self._caught_up.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending audio failed; the rest of this reply is dropped")
            self._recorder.event("transport_error", stage="send_audio")
        finally:
            self._caught_up.set()

    async def _send_piece(self, piece):
        framer = Framer()
        nbytes = 0
        while (chunk := await piece.audio.get()) is not None:
            if chunk is _FAILED:
                return
            for frame in framer.feed(chunk):
                nbytes += await self._send_frame(frame)
        for frame in framer.flush():
            nbytes += await self._send_frame(frame)
        if not nbytes:
            piece.failed = True  # nothing to hear
            return
        await self._transport.send_mark(piece.name)
        piece.marked = True
        self._playout.sent(piece.name, piece.text, nbytes, self._clock())

    async def _send_frame(self, frame):
        await self._pacer.room()
        await self._transport.send_audio(frame)
        if self.first_audio_at is None:
            self.first_audio_at = self._clock()
        self._pacer.sent(len(frame))
        return len(frame)


async def _close(stream):
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()
