"""FailoverBrain: when the language model fails, the scripted receptionist answers instead.

The primary's own retries (OpenAIBrain's retry budget) have already been spent by the time it
raises, so a failure here means the vendor is down for now: the same turn is answered by the
backup, which reads the history (the caller's words and the tool results so far) and carries
on. If the primary had already produced some text, it has been spoken: the backup says a
short "sorry" and answers the turn itself.

Later turns stay on the backup while the primary rests (`Outage`). The outage is shared by
every call in the process, so a new call during an outage does not sit through the primary's
retry budget (up to 3 s of dead air) before its first answer. After `rest_s` (5 minutes by
default) the next turn tries the primary again: the model reads the whole history, the
backup's turns included, so handing the call back is as seamless as taking it over.
"""

import contextlib
import logging
import time

from calls.voice.errors import VendorError
from calls.voice.llm.base import Brain, Done, TextDelta, ToolCall

log = logging.getLogger(__name__)

RESUME = "... Sorry about that. "


class Outage:
    """When a vendor last failed; `resting()` says to leave it alone for now."""

    def __init__(self, rest_s=300.0, *, clock=time.monotonic):
        self.rest_s = rest_s
        self._clock = clock
        self._until = None

    def failed(self):
        self._until = self._clock() + self.rest_s

    def recovered(self):
        self._until = None

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

