"""FailoverBrain: when the language model fails, the scripted receptionist answers instead.

The primary's own retries (OpenAIBrain's retry budget) have already been spent by the time it
raises, so a failure here means the vendor is down for now: the same turn is answered by the
backup, which reads the history (the caller's words and the tool results so far) and carries
on. If the primary had already produced some text, it has been spoken: the backup says a
short "sorry" and answers the turn itself.

Later turns stay on the backup while the primary rests (`Outage`). The outage is shared by
every call in the process, so a new call during an outage does not sit through the primary's
retry budget (up to 3 s of dead air) before its first answer; and, given a shared store
(`SharedWindow`, e.g. the Redis cache, injected by calls.agent.engines), by every process. After `rest_s` (5 minutes by
default) the next turn tries the primary again: the model reads the whole history, the
backup's turns included, so handing the call back is as seamless as taking it over.
"""

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from calls.voice.errors import VendorError
from calls.voice.llm.base import Brain, Done, TextDelta, ToolCall

log = logging.getLogger(__name__)

RESUME = "... Sorry about that. "


class SharedWindow(Protocol):
    """Where processes keep a vendor's "resting until" (wall-clock seconds since the epoch; 0: it
    answers again). Either may raise or hang: the Outage gives up on it quickly."""

    async def get(self) -> float | None: ...

    async def set(self, until: float, ttl_s: float) -> None: ...


SHARED_TIMEOUT_S = 0.25
REREAD_S = 2.0
FRESH_WAIT_S = 0.02


class Outage:
    """When a vendor last failed; `resting()` says to leave it alone for now.

    With `shared`, a failure or a recovery found here is written there at once (in the
    background), and what other processes found is read back at most every `reread_s`, by
    `await sync()`, or on the audio path `await refresh()` (FailoverBrain, before each turn), which
    waits for the store 20 ms at most. The store not answering, or knowing nothing, leaves this
    process with what it found itself.
    """

    def __init__(self, rest_s=300.0, *, clock=time.monotonic, shared=None, wall=time.time, reread_s=REREAD_S):
        self.rest_s = rest_s
        self._clock = clock
        self._until = None
        self.shared = shared
        self._wall = wall
        self._reread_s = reread_s
        self._read_at = None
        self._to_share = None  # a "resting until" (wall clock) not written to the shared store yet
        self._tasks = set()  # writes and reads under way in the background

    def failed(self):
        self._until = self._clock() + self.rest_s
        self._share(self._wall() + self.rest_s)

    def recovered(self):
        if self._until is not None:
            self._until = None
            self._share(0.0)

    def _share(self, until):
        if self.shared is None:
            return
        self._to_share = until
        try:
            self._in_background(self.sync())
        except RuntimeError:
            pass  # no event loop here: the next sync() writes it

    def _in_background(self, coroutine):
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:
            coroutine.close()
            raise
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _read_due(self):
        return self._read_at is None or self._clock() - self._read_at >= self._reread_s

    async def sync(self):
        """Write what this process found, else read what the others did (every `reread_s` at most)."""
        if self.shared is None:
            return
        if self._to_share is not None:
            until, self._to_share = self._to_share, None
            self._read_at = self._clock()
            try:
                await asyncio.wait_for(self.shared.set(until, self.rest_s + 60), SHARED_TIMEOUT_S)
            except Exception as exc:
                log.debug("The shared outage window was not written: %r", exc)
            return
        if self._read_due():
            self._read_at = self._clock()
            await self._read()

    async def refresh(self, wait_s=FRESH_WAIT_S):
        """On the audio path: when a read is due, start it and wait `wait_s` at most for it (a slow
        store then answers for the next turn instead of delaying this one)."""
        if self.shared is None or self._to_share is not None or not self._read_due():
            return
        self._read_at = self._clock()
        await asyncio.wait({self._in_background(self._read())}, timeout=wait_s)

    async def _read(self):
        try:
            until = await asyncio.wait_for(self.shared.get(), SHARED_TIMEOUT_S)
        except Exception as exc:
            log.debug("The shared outage window was not read: %r", exc)
            return
        if until is None:
            return
        left = float(until) - self._wall()
        # Resting until then, or answering again as another process found (or as it was left).
        self._until = self._clock() + min(left, self.rest_s) if left > 0 else None

    def resting(self):
        return self._until is not None and self._clock() < self._until

    def resting_s(self):
        """Seconds until the vendor is tried again (0 when it is not resting)."""
        return max(0.0, self._until - self._clock()) if self.resting() else 0.0


class FailoverBrain(Brain):
    def __init__(self, primary, backup, *, on_failover=None, outage=None):
        self.primary = primary
        self.backup = backup
        self.outage = outage or Outage()
        self._on_failover = on_failover
        self.failovers = 0  # turns answered by the backup because the primary failed on them

    async def respond(self, messages, tools):
        await self.outage.refresh()
        if self.outage.resting():
            async for event in self._backup(messages, tools):
                yield event
            return
        said = False
        asked_tools = False
        try:
            # aclosing: on barge-in the primary's request is cancelled now, not when collected
            async with contextlib.aclosing(self.primary.respond(messages, tools)) as events:
                async for event in events:
                    said = said or (isinstance(event, TextDelta) and bool(event.text.strip()))
                    asked_tools = asked_tools or isinstance(event, ToolCall)
                    yield event
            self.outage.recovered()
            return
        except Exception as error:  # VendorError, or a flaw in the adapter: the caller must not notice
            log.warning("Brain failed (%s); the backup answers", error, exc_info=not isinstance(error, VendorError))
            self.outage.failed()
            self.failovers += 1
            if self._on_failover is not None:
                self._on_failover(error)
        if asked_tools:
            # The session runs those tools and asks again: the backup answers that round.
            yield Done("tool_calls")
            return
        if said:
            yield TextDelta(RESUME)
        async for event in self._backup(messages, tools):
            yield event

    async def _backup(self, messages, tools):
        async with contextlib.aclosing(self.backup.respond(messages, tools)) as events:
            async for event in events:
                yield event

    async def close(self):
        for brain in (self.primary, self.backup):
            try:
                await brain.close()
            except Exception:
                log.debug("Closing a brain raised", exc_info=True)
