"""Text to speech: a sentence in, raw mu-law 8 kHz audio chunks out (no container)."""

import abc


class TextToSpeech(abc.ABC):
    @abc.abstractmethod
    def synthesize(self, text):
        """Async iterator of mu-law 8 kHz byte chunks (any size) for `text`.

        Closing the iterator early (barge-in) stops synthesis. Raises VendorError on failure.
        """

    async def close(self):
        """Release connections. Safe to call twice."""
