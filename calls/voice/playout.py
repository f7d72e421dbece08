"""What the caller has actually heard, from Twilio's mark echoes (protocols.md 1.6).

After each spoken segment the session sends a mark. Twilio echoes a mark when playback
reaches it, and echoes every still-queued mark at once when we send `clear`. So a mark
that comes back before our clear means "played"; one that comes back after it means
"flushed, never heard". Segments are remembered by name until their echo arrives.
"""

import asyncio
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Segment:
    name: str
    text: str
    nbytes: int
    sent_at: float


class Playout:
    def __init__(self):
        self._pending = []  # Segments waiting for their echo, in the order sent
        self._flushed = set()  # names cleared by us: their echoes mean "not heard"
        self._heard = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.last_played_at = None  # when the latest echo arrived (or playback last began)

    @property
    def speaking(self):
        """True while audio we marked may still be playing at the caller's end."""
        return bool(self._pending)

    @property
    def pending_names(self):
        return [segment.name for segment in self._pending]

    def sent(self, name, text, nbytes, at):
        """A segment's audio and then its mark were sent."""
        if not self._pending:
            self.last_played_at = at
        self._pending.append(Segment(name, text, nbytes, at))
        self._idle.clear()

    def on_mark(self, name, at):
        """Handle Twilio's echo of mark `name`; returns True when it proves the segment was heard."""
        if name in self._flushed:
            self._flushed.discard(name)
            return False
        names = self.pending_names
        if name not in names:
            log.warning("mark echo for an unknown segment %r", name)
            return False
        # Echoes come back in the order sent: everything ahead of this one was played too.
        played, self._pending = self._pending[: names.index(name) + 1], self._pending[names.index(name) + 1 :]
        self._heard.update(segment.name for segment in played)
        self.last_played_at = at
        if not self._pending:
            self._idle.set()
        return True

    def clear(self):
        """We are sending `clear`: every pending segment is now unheard. Returns their names."""
        flushed = self.pending_names
        self._flushed.update(flushed)
        self._pending = []
        self._idle.set()
        return flushed

    def heard(self, name):
        return name in self._heard

    async def wait_idle(self, timeout):
        """Wait until every marked segment has played (or `timeout` seconds); True if it has."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
