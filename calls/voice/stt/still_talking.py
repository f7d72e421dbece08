"""Whether the caller is still talking, for a recognizer that does not say.

Deepgram sends one SpeechStarted per utterance and then words about once a second, and nothing
in between: no "still talking". A paused agent (barge-in in pause_resume mode) that hears no
words within its resume delay took the silence for a cough and spoke again over a caller who was
still mid-sentence. StillTalking runs the local VAD on the audio it passes on and reports
SpeechContinues every `every_ms` while there is speech, as the offline recognizer does, so the
session waits for the caller however slowly their words arrive.

The VAD runs only while the session attends (an agent paused by a sound from the caller: the
only time SpeechContinues changes anything) and only inside an utterance the engine reported
(from its SpeechStarted to a final with speech_final, or UtteranceEnd). It cost about 0.26 ms of
CPU per 32 ms window, some 0.2 s per call-minute when run through every utterance; a caller
talking to an agent that is listening costs nothing.
"""

import asyncio
import time

from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.errors import VendorError
from calls.voice.stt.base import EventQueue, SpeechContinues, SpeechStarted, SpeechToText, Transcript, UtteranceEnd
from calls.voice.vad import SpeechDetector, load_vad


class StillTalking(SpeechToText):
    def __init__(self, inner, *, vad=None, every_ms=200, clock=time.monotonic):
        self.inner = inner
        self._vad = vad
        self._every = PHONE_RATE * every_ms // 1000
        self._clock = clock
        self._queue = EventQueue()
        self._detector = None
        self._reported = 0
        self._listening = False  # inside an utterance the engine reported
        self._attending = False  # the session wants to know (a paused agent)
        self._forwarding = None

    def __getattr__(self, name):  # the engine's own attributes (endpointing, ...)
        return getattr(self.inner, name)

    @property
    def vendor(self):
        """Whose recognizer this is, for the call's usage and cost: the wrapped engine's."""
        return getattr(self.inner, "vendor", None) or type(self.inner).__module__.rpartition(".")[2]

    async def start(self):
        await self.inner.start()
        vad = self._vad or await asyncio.to_thread(load_vad)
        self._detector = self._fresh_detector(vad)
        self._forwarding = asyncio.ensure_future(self._forward())

    def attend(self, wanted):
        if wanted and not self._attending and self._detector is not None:
            self._detector = self._fresh_detector(self._detector.vad)  # it heard nothing meanwhile
        self._attending = wanted
        self.inner.attend(wanted)

    async def send(self, mulaw):
        await self.inner.send(mulaw)
        if not mulaw or self._detector is None or not (self._listening and self._attending):
            return
        self._detector.push(mulaw_decode(mulaw))
        position = self._detector.position
        if not self._detector.in_speech:
            self._reported = position
        elif position - self._reported >= self._every:
            self._reported = position
            self._queue.put_nowait(SpeechContinues(at=self._clock()))

    def _fresh_detector(self, vad):
        vad.reset()
        self._reported = 0
        # Short endpointing: only "is there speech now" matters here, not where a turn ends.
        return SpeechDetector(vad, endpoint_ms=100)

    def events(self):
        return self._queue.read()

    async def close(self):
        await self.inner.close()
        if self._forwarding is not None:
            await asyncio.wait({self._forwarding}, timeout=2.0)

    async def _forward(self):
        try:
            async for event in self.inner.events():
                if isinstance(event, SpeechStarted):
                    self._listening = True
                elif isinstance(event, UtteranceEnd) or (isinstance(event, Transcript) and event.speech_final):
                    self._listening = False
                    self._detector = self._fresh_detector(self._detector.vad)
                self._queue.put_nowait(event)
        except VendorError as error:
            self._queue.put_nowait(error)
        except Exception as error:  # a broken engine is a failed one, never a silent stream
            self._queue.put_nowait(VendorError("stt", f"the recognizer failed: {error!r}", retryable=False))
        finally:
            self._queue.end()
