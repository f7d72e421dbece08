"""20 ms framing and pacing of the agent's audio toward Twilio.

Twilio plays what we send in order at 8000 bytes a second. Sending a little ahead of real time
keeps playback smooth across network jitter; sending the whole reply at once would leave
nothing for `clear` to save and make barge-in sound late. The pacer keeps between `low_s`
and `high_s` of audio queued at Twilio, waking about every (high_s - low_s).
"""

import asyncio
import time

FRAME_BYTES = 160  # 20 ms of mu-law 8 kHz
BYTES_PER_SECOND = 8000
FRAME_S = FRAME_BYTES / BYTES_PER_SECOND
SILENCE = b"\xff"


class Framer:
    """Turns chunks of any size into whole 160-byte frames; flush() pads the tail with silence."""

    def __init__(self):
        self._rest = b""

    def feed(self, chunk):
        data = self._rest + chunk
        whole = len(data) - len(data) % FRAME_BYTES
        self._rest = data[whole:]
        return [data[start : start + FRAME_BYTES] for start in range(0, whole, FRAME_BYTES)]

    def flush(self):
        if not self._rest:
            return []
        frame = self._rest + SILENCE * (FRAME_BYTES - len(self._rest))
        self._rest = b""
        return [frame]


class Pacer:
    """Estimates Twilio's playback queue from what was sent and when; one per call."""

    def __init__(self, *, high_s=0.24, low_s=0.12, clock=time.monotonic):
        self.high_s = high_s
        self.low_s = min(low_s, high_s)
        self._clock = clock
        self._played_until = 0.0  # when everything sent so far will have been played

    def queued_s(self):
        return max(0.0, self._played_until - self._clock())

    @property
    def played_until(self):
        return self._played_until

    async def room(self):
        """Wait until one more frame may be sent without queueing more than high_s."""
        queued = self.queued_s()
        if queued + FRAME_S > self.high_s + 1e-9:
            await asyncio.sleep(queued - self.low_s)

    def sent(self, nbytes=FRAME_BYTES):
        """Account for audio just sent; returns True when it started playing at once (queue was empty)."""
        now = self._clock()
        started = self._played_until <= now
        if started:
            self._played_until = now
        self._played_until += nbytes / BYTES_PER_SECOND
        return started

    def cleared(self):
        self._played_until = self._clock()
