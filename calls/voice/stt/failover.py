"""FailoverSTT: when the speech-to-text vendor fails mid-call, the offline engine carries on.

It keeps the caller audio sent since the primary's last final transcript: from where the final's
audio ended when the engine says (under load a final arrives long after that audio, the caller
already into the next sentence). When the primary raises VendorError it starts the backup,
replays that audio into it (faster than real time: the offline engine segments by samples, not
by the clock) and carries on, so the sentence the caller was saying is not lost. It stays on the
backup for the rest of the call.
"""

import asyncio
import logging
from collections import deque

from calls.voice.audio import PHONE_RATE
from calls.voice.errors import VendorError
from calls.voice.stt.base import SpeechToText, Transcript

log = logging.getLogger(__name__)


WORDS_PER_SECOND = 2.6  # typical synthetic speech pace, used to guess what was already heard


class FailoverSTT(SpeechToText):
    """`backup_factory()` returns a fresh (unstarted) SpeechToText, called only on failure."""

    def __init__(self, primary, backup_factory, *, replay_s=15.0, keep_after_final_s=0.3, on_failover=None):
        self.primary = primary
        self._backup_factory = backup_factory
        self._on_failover = on_failover
        self._replay_bytes = int(replay_s * PHONE_RATE)
        # A final that does not say where its audio ended arrives a little after it: keep that much.
        self._keep_after_final = int(keep_after_final_s * PHONE_RATE)
        self._unfinalised = deque()  # (number, chunk): recent caller audio not yet covered by a final
        self._unfinalised_bytes = 0
        self._remembered = 0  # bytes of caller audio since the start
        self._chunks_seen = 0
        self.active = primary
        self.failed_over = False
        self._switched = asyncio.Event()
        self._switching = None
        self._failure = None  # the backup could not start either
        self._closed = False
        self._attending = False

    async def start(self):
        try:
            await self.primary.start()
        except VendorError as error:
            await self._fail_over(error)

    async def send(self, mulaw):
        if not mulaw:
            return
        self._remember(mulaw)
        if self._switching is not None and not self._switching.done():
            return  # remembered: the switch replays it into the backup
        engine = self.active
        try:
            await engine.send(mulaw)
        except VendorError as error:
            if engine is not self.primary:
                raise
            await self._fail_over(error)

    def attend(self, wanted):
        self._attending = wanted
        self.active.attend(wanted)

    def _remember(self, mulaw):
        self._unfinalised.append((self._chunks_seen, mulaw))
        self._chunks_seen += 1
        self._unfinalised_bytes += len(mulaw)
        self._remembered += len(mulaw)
        self._trim(self._replay_bytes)

    def _finalised(self, final):
        """`final` covers the audio up to its end: keep what follows it."""
        if final.audio_through is None:
            self._trim(self._keep_after_final)
        else:
            self._trim(self._remembered - final.audio_through)

    def _trim(self, limit):
        while self._unfinalised and self._unfinalised_bytes - len(self._unfinalised[0][1]) >= limit:
            self._unfinalised_bytes -= len(self._unfinalised.popleft()[1])

    async def _replay_into(self, backup):
        """Everything not yet finalised, including audio that arrives while replaying."""
        following = self._unfinalised[0][0] if self._unfinalised else self._chunks_seen
        while following < self._chunks_seen:
            chunks = [(number, chunk) for number, chunk in self._unfinalised if number >= following]
            for number, chunk in chunks:
                await backup.send(chunk)
                following = number + 1
            if not chunks:
                break

    async def _fail_over(self, error):
        if self._switching is not None:  # already switching or switched
            await self._switching
            return
        self._switching = asyncio.get_running_loop().create_future()
        log.warning("STT vendor failed (%s); switching to the backup", error)
        try:
            backup = self._backup_factory()
            await backup.start()
            await self._replay_into(backup)
            self.active = backup
            backup.attend(self._attending)
            self.failed_over = True
            self._switched.set()
            if self._on_failover is not None:
                self._on_failover(error)
        except Exception as failure:
            self._failure = failure
            raise
        finally:
            self._switching.set_result(None)
        asyncio.ensure_future(_quietly(self.primary.close()))

    async def events(self):
        async for event in self._until_switched(self.primary):
            yield event
        if self._failure is not None:
            raise VendorError("offline", f"backup failed too: {self._failure}", retryable=False)
        if not self.failed_over:
            return  # the primary ended its stream: the call is closing
        async for event in self.active.events():
            if isinstance(event, Transcript) and event.is_final:
                self._finalised(event)
            yield event

    async def _until_switched(self, engine):
        """The primary's events until it fails or we switched away from it."""
        events = engine.events().__aiter__()
        switched = asyncio.ensure_future(self._switched.wait())
        following = None
        try:
            while True:
                following = asyncio.ensure_future(events.__anext__())
                await asyncio.wait({following, switched}, return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    return
                try:
                    event = following.result()
                except StopAsyncIteration:
                    return
                except VendorError as error:
                    await self._fail_over(error)
                    return
                if isinstance(event, Transcript) and event.is_final:
                    self._finalised(event)
                yield event
        finally:
            switched.cancel()
            if following is not None:
                # Closed mid-wait (the call ended) or switched away: the primary's pending read is
                # abandoned, and its end (StopAsyncIteration or an error) is not worth a warning.
                following.cancel()
                following.add_done_callback(_retrieve)

    async def close(self):
        if self._closed:
            return
        self._closed = True
        if self._switching is not None:
            await self._switching
        await self.active.close()
        if self.active is not self.primary:
            await _quietly(self.primary.close())


def _retrieve(task):
    if not task.cancelled():
        task.exception()


async def _quietly(awaitable):
    try:
        await awaitable
    except Exception:  # the failed vendor's close may fail too; nothing to do about it
        log.debug("Closing the failed STT engine raised", exc_info=True)
