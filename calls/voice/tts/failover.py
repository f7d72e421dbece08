"""FailoverTTS: a sentence the vendor fails to speak is spoken by the backup voice.

If the primary had already played part of the sentence, the backup starts from about where it
stopped (estimated from the audio duration at a conversational pace) rather than from the top.
After a failure the primary is left alone for `retry_after_s`, so each sentence does not pay
for a vendor that is down.
"""

import contextlib
import logging
import time

from calls.voice.audio import PHONE_RATE
from calls.voice.errors import VendorError
from calls.voice.tts.base import TextToSpeech

log = logging.getLogger(__name__)

WORDS_PER_SECOND = 2.6  # typical synthetic speech pace, used to guess what was already heard


class FailoverTTS(TextToSpeech):
    def __init__(self, primary, backup, *, retry_after_s=60.0, on_failover=None, clock=time.monotonic):
        self.primary = primary
        self.backup = backup
        self.retry_after_s = retry_after_s
        self._on_failover = on_failover
        self._clock = clock
        self._primary_down_until = None

    def _primary_usable(self):
        return self._primary_down_until is None or self._clock() >= self._primary_down_until

    async def synthesize(self, text):
        if not self._primary_usable():
            async with contextlib.aclosing(self.backup.synthesize(text)) as chunks:
                async for chunk in chunks:
                    yield chunk
            return
        played = 0
        try:
            # aclosing: on barge-in the vendor's stream is closed now, not when collected
            async with contextlib.aclosing(self.primary.synthesize(text)) as chunks:
                async for chunk in chunks:
                    played += len(chunk)
                    yield chunk
            self._primary_down_until = None
            return
        except VendorError as error:
            log.warning("TTS vendor failed (%s); speaking with the backup", error)
            self._primary_down_until = self._clock() + self.retry_after_s
            if self._on_failover is not None:
                self._on_failover(error)
        rest = unheard_words(text, played / PHONE_RATE)
        if rest:
            async with contextlib.aclosing(self.backup.synthesize(rest)) as chunks:
                async for chunk in chunks:
                    yield chunk

    async def close(self):
        for engine in (self.primary, self.backup):
            try:
                await engine.close()
            except Exception:
                log.debug("Closing a TTS engine raised", exc_info=True)


def unheard_words(text, seconds_played):
    """The end of `text` not yet spoken after `seconds_played`, starting one word early."""
    words = text.split()
    heard = int(seconds_played * WORDS_PER_SECOND) - 1
    return " ".join(words[max(heard, 0) :])
