"""Offline speech to text: silero VAD endpointing in front of Whisper tiny.en.

The VAD runs inline on every 32 ms window (~0.1 ms each) and raises SpeechStarted at once,
so barge-in does not wait for any recognizer. At the first silent window after speech the
utterance is handed to Whisper in a worker thread ("draft"); if the caller stays quiet for
`endpointing_ms` the draft becomes the final transcript, so most of the decoding overlaps
the endpointing wait. If the caller speaks again the draft is only an interim result.
While the caller keeps talking without a pause, the audio so far is drafted after
`first_words_ms` of speech (and again each `first_words_ms` until words come, a few times):
those first words are what lets the session tell a real interruption from a backchannel or a
noise within its barge-in window, which a caller who does not pause would otherwise outlast.
Whisper runs one utterance at a time per process (see whisper.py). `vocabulary` (the shop's
services, the caller's name when known) biases it through its prompt; final transcripts are
made readable (normalize.py: glued clock times, spelled letters, "break" for "brake").
The endpoint is 250 ms of silence as silero sees it, which lags the voice by 30-60 ms: about
the 300 ms of Deepgram's endpointing, and it leaves the 400 ms budget room for decoding.
Segmentation counts samples, not wall time: audio replayed faster than real time (failover)
is cut exactly as it was live. A final transcript says when the caller's speech ended (the
VAD's last voiced sample, on the clock of the audio's arrival) for the latency record.
"""

import asyncio
import functools
import logging
import re
import time

import numpy as np

from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.errors import VendorError
from calls.voice.stt.base import EventQueue, SpeechContinues, SpeechStarted, SpeechToText, Transcript, UtteranceEnd
from calls.voice.stt.normalize import readable
from calls.voice.stt.whisper import MAX_SECONDS, shared_recognizer
from calls.voice.vad import SpeechDetector, load_vad

log = logging.getLogger(__name__)

VENDOR = "offline"
FIRST_WORDS_TRIES = 3  # a noise the VAD takes for speech is not decoded all along
SPEECH_CONTINUES_MS = 200  # how often ongoing speech is reported (SpeechContinues)
SOUND_RMS = 100  # a 10 ms frame of the caller louder than this (of 32767) is still their sound
SOUND_LOOK_BACK = PHONE_RATE // 4  # how far before the VAD's stop the caller's sound may have ended
_FRAME = PHONE_RATE // 100
# What Whisper writes for a hum ("MMM.", "M H M.", "M M."): an acknowledgement, not words.
_HUM = re.compile(r"(?:h?m+)+")
_HUM_SPELLINGS = frozenset({"m", "mm", "hm", "hmm", "mhm"})  # as written, left alone ("M" may be a VIN letter)


async def warm_up():
    """Load Whisper and the VAD now (about a second) rather than on the first caller's words."""
    await asyncio.to_thread(shared_recognizer)
    await asyncio.to_thread(load_vad)


class _Draft:
    def __init__(self, task, stop, utterance):
        self.task = task
        self.stop = stop  # sample where the transcribed audio ends
        self.utterance = utterance


class OfflineSTT(SpeechToText):
    def __init__(
        self,
        *,
        endpointing_ms=250,
        utterance_end_ms=1000,
        preroll_ms=250,
        first_words_ms=320,
        interim_results=True,
        recognizer=None,
        vad=None,
        clock=time.monotonic,
        vocabulary=(),
    ):
        self.endpointing_ms = endpointing_ms
        self.interim_results = interim_results
        self._utterance_end_samples = PHONE_RATE * utterance_end_ms // 1000
        self._preroll = PHONE_RATE * preroll_ms // 1000
        self._first_words_samples = PHONE_RATE * first_words_ms // 1000
        self._continues_samples = PHONE_RATE * SPEECH_CONTINUES_MS // 1000
        self._speech_reported = 0  # sample at which ongoing speech was last reported
        self._max_samples = (MAX_SECONDS - 2) * PHONE_RATE
        self._recognizer = recognizer
        self._vocabulary = tuple(vocabulary or ())  # the call's own words for Whisper's prompt
        self._vad = vad
        self._clock = clock
        self._queue = EventQueue()
        self._detector = None
        self._chunks = []  # (first sample, int16 array) since the start of what we may still need
        self._received = 0
        self._utterance_start = None
        self._utterances = 0
        self._draft = None
        self._drafting = None  # the draft decode still running, current or not
        self._first_words_at = None  # sample at which to draft the words so far, while none are known
        self._first_words_tries = 0
        self._finals = []  # tasks that publish transcripts, in order
        self._awaiting_utterance_end = None  # sample where the last final's speech stopped
        self._closed = False

    async def start(self):
        try:
            if self._recognizer is None:
                self._recognizer = await asyncio.to_thread(shared_recognizer)
            vad = self._vad or await asyncio.to_thread(load_vad)
        except Exception as error:  # missing package or unreadable model: nothing to retry
            raise VendorError(VENDOR, f"cannot load the offline models: {error}", retryable=False) from error
        self._detector = SpeechDetector(vad, endpoint_ms=self.endpointing_ms)

    async def send(self, mulaw):
        if not mulaw or self._closed:
            return
        if self._detector is None:
            raise VendorError(VENDOR, "send() before start()", retryable=False)
        pcm = mulaw_decode(mulaw)
        self._chunks.append((self._received, pcm))
        self._received += len(pcm)
        for event in self._detector.push(pcm):
            self._on_vad(event)
        position = self._detector.position
        if self._detector.in_speech and position - self._speech_reported >= self._continues_samples:
            self._speech_reported = position
            self._queue.put_nowait(SpeechContinues(at=self._clock()))
        if self._first_words_at is not None and position >= self._first_words_at and self._draft is None:
            self._draft_first_words(position)  # no pause to draft at yet
        if self._utterance_start is not None and position - self._utterance_start > self._max_samples:
            self._finalize(position)  # a monologue: cut it before Whisper's 30 s window does
            self._utterance_start = position
        if self._awaiting_utterance_end is not None and (
            position - self._awaiting_utterance_end >= self._utterance_end_samples
        ):
            self._awaiting_utterance_end = None
            self._publish_after_finals(UtteranceEnd(at=self._clock()))
        self._forget_before(position - self._preroll if self._utterance_start is None else self._utterance_start)

    def _on_vad(self, event):
        if event.kind == "speech_started":
            self._queue.put_nowait(SpeechStarted(at=self._clock()))
            self._speech_reported = self._detector.position
            self._awaiting_utterance_end = None
            self._utterance_start = max(0, event.sample - self._preroll)
            self._utterances += 1
            if self.interim_results:
                self._first_words_at = event.sample + self._first_words_samples
                self._first_words_tries = 0
        elif self._utterance_start is None:
            return
        elif event.kind == "pause":
            if self._drafting is not None and not self._drafting.done():
                return  # one draft at a time: a backlog would delay the final
            task = self._transcribe(self._utterance_start, self._detector.position)
            self._draft = _Draft(task, event.sample, self._utterances)
            self._drafting = task
            task.add_done_callback(lambda done, draft=self._draft: self._on_draft_done(draft))
        elif event.kind == "resumed":
            self._draft = None  # the caller went on: it can only be an interim result now
        elif event.kind == "speech_ended":
            self._finalize(event.sample)
            self._awaiting_utterance_end = event.sample

    def _draft_first_words(self, position):
        self._first_words_at = None
        self._first_words_tries += 1
        draft = _Draft(self._transcribe(self._utterance_start, position), position, self._utterances)
        draft.task.add_done_callback(lambda done: self._on_first_words(draft))

    def _on_first_words(self, draft):
        if self._on_draft_done(draft):
            return
        still_talking = self._utterances == draft.utterance and self._detector.in_speech
        if still_talking and self._first_words_tries < FIRST_WORDS_TRIES:  # no words yet: try again a little later
            self._first_words_at = self._detector.position + self._first_words_samples

    def _finalize(self, stop):
        draft, self._draft = self._draft, None
        if draft is not None and draft.stop == stop:
            decoding = draft.task
        else:
            decoding = self._transcribe(self._utterance_start, max(stop, self._detector.position))
        self._utterance_start = None
        self._first_words_at = None
        self._finals = [task for task in self._finals if not task.done()]
        previous = self._finals[-1] if self._finals else None
        ended_at = self._arrival_of(self._sound_end(stop))
        self._finals.append(asyncio.ensure_future(self._publish_final(decoding, previous, ended_at)))

    def _sound_end(self, stop):
        """Where the caller's sound ended: the VAD's `stop` comes some 70 ms after it (silero's speech
        probability falls only once its window has heard the quiet), and the reply's latency is
        recorded from here, as the caller lives it. The last 10 ms frame before `stop` louder than
        SOUND_RMS and than three times the line's floor (the quiet the endpoint then waited through)."""
        look_back = min(stop, SOUND_LOOK_BACK)
        audio = self._audio(stop - look_back, self._detector.position).astype(np.float64)
        frames = audio[: len(audio) // _FRAME * _FRAME].reshape(-1, _FRAME)
        before = look_back // _FRAME
        if len(frames) <= before + 3 or before == 0:
            return stop
        loudness = np.sqrt((frames**2).mean(axis=1))
        floor = float(np.median(loudness[before:]))
        loud = np.nonzero(loudness[:before] > max(SOUND_RMS, 3 * floor))[0]
        if len(loud) == 0:
            return stop
        return stop - look_back + (int(loud[-1]) + 1) * _FRAME

    def _arrival_of(self, sample):
        """When `sample` reached us: audio comes in real time, so it is as old as what followed it."""
        return self._clock() - max(0, self._received - sample) / PHONE_RATE

    async def _publish_final(self, decoding, previous, ended_at):
        if previous is not None:
            await asyncio.shield(previous)  # keep transcripts in the order they were spoken
        try:
            text = await decoding
        except Exception as error:
            log.exception("Offline recognition failed")
            self._queue.put_nowait(VendorError(VENDOR, f"recognition failed: {error}", retryable=False))
            return
        text = readable(_as_backchannel(text))
        if text:
            self._queue.put_nowait(
                Transcript(text=text, is_final=True, speech_final=True, at=self._clock(), speech_ended_at=ended_at)
            )

    def _publish_after_finals(self, event):
        pending = [task for task in self._finals if not task.done()]
        if not pending:
            self._queue.put_nowait(event)
            return
        self._finals.append(asyncio.ensure_future(self._put_after(pending[-1], event)))

    async def _put_after(self, task, event):
        await asyncio.shield(task)
        self._queue.put_nowait(event)

    def _on_draft_done(self, draft):
        """A draft of an utterance that is still going on is an interim transcript; True if it was one."""
        task = draft.task
        if task.cancelled() or task.exception() is not None or not self.interim_results:
            return False
        still_talking = self._utterance_start is not None and draft.utterance == self._utterances
        text = _as_backchannel(task.result())
        if not (text and still_talking):
            return False
        self._first_words_at = None  # words are known: no need to draft early again
        self._queue.put_nowait(Transcript(text=text, is_final=False, speech_final=False, at=self._clock()))
        return True

    def _transcribe(self, start, stop):
        pcm = self._audio(start, stop)
        if self._vocabulary:
            call = functools.partial(self._recognizer.transcribe, pcm, PHONE_RATE, vocabulary=self._vocabulary)
        else:
            call = functools.partial(self._recognizer.transcribe, pcm, PHONE_RATE)  # recognizers without a prompt
        return asyncio.ensure_future(asyncio.to_thread(call))

    def _audio(self, start, stop):
        pieces = []
        for first, chunk in self._chunks:
            lo, hi = max(start, first), min(stop, first + len(chunk))
            if lo < hi:
                pieces.append(chunk[lo - first : hi - first])
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def _forget_before(self, sample):
        while self._chunks and self._chunks[0][0] + len(self._chunks[0][1]) <= sample:
            self._chunks.pop(0)

    def events(self):
        return self._queue.read()

    async def close(self):
        if self._closed:
            return
        self._closed = True
        if self._detector is not None and self._utterance_start is not None:
            self._finalize(self._detector.position)  # the caller hung up mid-sentence
        if self._finals:
            await asyncio.gather(*self._finals, return_exceptions=True)
        self._queue.end()


def _as_backchannel(text):
    """A hum as Whisper spells it ("MMM.", "M H M.") becomes "Mm-hmm.", which the session
    knows for an acknowledgement rather than an interruption."""
    words = re.findall(r"[a-z]+", text.lower())
    if len(words) == 1 and words[0] in _HUM_SPELLINGS:
        return text
    if _HUM.fullmatch("".join(words)):
        return "Mm-hmm."
    return text
