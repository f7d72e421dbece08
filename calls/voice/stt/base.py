"""Speech to text: caller audio in (mu-law 8 kHz), transcript events out.

Every engine (Deepgram, offline) implements SpeechToText. Times are `time.monotonic()`
seconds taken when the event reached us, so latency can be measured across engines.
"""

import abc
import asyncio
from dataclasses import dataclass

from ..errors import VendorError


@dataclass(frozen=True)
class SpeechStarted:
    """Voice activity began (may be noise): the cheapest barge-in trigger."""

    at: float


@dataclass(frozen=True)
class SpeechContinues:
    """Voice activity is still going on. Engines with their own VAD say so every few hundred ms
    of speech; a paused agent then waits for the caller rather than resuming over them while
    the recognizer has no words yet. Engines without one never send it."""

    at: float


@dataclass(frozen=True)
class Transcript:
    """A hypothesis. Interim ones (is_final=False) are replaced by later ones.

    speech_final=True means the engine saw the caller stop talking (endpointing).
    speech_ended_at: when the caller's speech in it ended, if the engine knows (same clock as `at`).
    audio_through: for a final, how much of the audio sent to the engine (bytes since its start)
    it covers, if the engine knows: a final may arrive long after that audio was sent.
    """

    text: str
    is_final: bool
    speech_final: bool
    at: float
    speech_ended_at: float | None = None
    audio_through: int | None = None


@dataclass(frozen=True)
class UtteranceEnd:
    """A longer gap after the last final word: the caller's turn is over."""

    at: float


SttEvent = SpeechStarted | SpeechContinues | Transcript | UtteranceEnd

_END = object()


class EventQueue(asyncio.Queue):
    """An engine's events on their way to its reader: put_nowait() each SttEvent, or a VendorError
    for the reader to raise; end() once the stream is closed. events() returns read()."""

    def end(self):
        self.put_nowait(_END)

    async def read(self):
        while True:
            item = await self.get()
            if item is _END:
                self.put_nowait(_END)  # a second reader also ends
                return
            if isinstance(item, VendorError):
                raise item
            yield item


class SpeechToText(abc.ABC):
    """One caller's stream. Use as: await start(); send() audio; iterate events(); await close()."""

    @abc.abstractmethod
    async def start(self):
        """Open the stream. Raises VendorError if it cannot."""

    @abc.abstractmethod
    async def send(self, mulaw):
        """Feed raw mu-law 8 kHz bytes (any length; empty chunks are ignored)."""

    @abc.abstractmethod
    def events(self):
        """Async iterator of SttEvent until the stream is closed.

        Raises VendorError if the engine fails and cannot recover on its own.
        """

    @abc.abstractmethod
    async def close(self):
        """Flush and close. Safe to call twice."""

    def attend(self, wanted):
        """The session needs to hear whether the caller is still talking (SpeechContinues) while
        `wanted` (an agent paused by a sound from the caller), or no longer. An engine that must
        work to know (StillTalking's VAD) works only then; the others need do nothing."""
