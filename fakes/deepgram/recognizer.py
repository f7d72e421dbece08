"""What the fake /v1/listen "hears": audio in, Deepgram messages out, on the audio clock.

Every decision is taken at the audio time of the frame that triggers it (bytes received / 8000),
never on the wall clock, so a test that feeds audio faster than real time gets exactly the same
messages as a caller talking in real time, only sooner. Chance (jitter, which turns lack a
speech_final) is drawn from the stream's seeded `rng` in audio order: a seed gives the same
messages however the audio is chunked.

As real streams behave (protocols.md 2.2), per utterance (a run of non-silent 20 ms frames, see
speech.py):
- one `SpeechStarted` at its first loud frame (with vad_events=true), and no "still talking" after;
- interim `Results` (with interim_results=true) every `interim_interval_s` of speech, give or take
  `interim_jitter` (a fraction), showing the words of the current segment heard so far;
- every `split_finals_s` (a (low, high) range) of speech, a final `Results` without speech_final holding
  the words said since the previous final: a long utterance comes as several finals;
- once `endpointing` ms of silence followed it, a last final with speech_final holding the rest of
  its words (maybe none). A share `no_speech_final` of utterances end, as in noise, with that last
  final lacking speech_final: only `UtteranceEnd` ends their turn, and nothing does without
  utterance_end_ms. With endpointing=false, no final has speech_final: the last comes after
  `utterance_end_ms` (or 1 s) of silence;
- `UtteranceEnd` once `utterance_end_ms` of silence followed its last word (with interim_results).
Final results tile the audio: each starts where the previous final ended. An utterance's text
takes speech.SECONDS_PER_CHARACTER a character to say; a word is heard (interims) once its time
has begun and finalised once it has passed; a result's words are spread over the audio it covers,
so their `start`/`end` are audio seconds and the last word of an utterance ends where it did.
"""

import hashlib
import math
import random
import re
import uuid
from datetime import UTC, datetime

from . import speech

_RUN_BYTES_LIMIT = 160_000  # enough to read the packet of any spoken() text


def _flag(query, name, default):
    value = query.get(name)
    if value is None:
        return default
    return value.lower() == "true"


def _milliseconds(query, name, default):
    value = query.get(name)
    if value is None:
        return default
    if value.lower() == "false":
        return None
    return int(value)


class Recognizer:
    def __init__(
        self,
        query,
        *,
        next_line,
        rng=None,
        interim_interval_s=1.0,
        interim_jitter=0.3,
        split_finals_s=(2.0, 3.0),
        no_speech_final=0.15,
        unheard=None,
        request_id=None,
    ):
        """`unheard(text)`: what of spoken `text` is still to be finalised (a dropped stream may have
        finalised its start before the client replayed the rest)."""
        self.model = query.get("model", "base-general")
        self.interim_results = _flag(query, "interim_results", False)
        self.vad_events = _flag(query, "vad_events", False)
        self.punctuate = _flag(query, "punctuate", False) or _flag(query, "smart_format", False)
        endpointing = _milliseconds(query, "endpointing", 10)
        self.endpointing_s = None if endpointing is None else endpointing / 1000
        utterance_end = _milliseconds(query, "utterance_end_ms", None)
        self.utterance_end_s = None if utterance_end is None else utterance_end / 1000
        self.next_line = next_line
        self.unheard = unheard or (lambda text: text)
        self.rng = rng or random.Random(0)
        self.interim_interval_s = interim_interval_s
        self.interim_jitter = interim_jitter
        self.split_finals_s = split_finals_s
        self.no_speech_final = no_speech_final
        self.request_id = request_id or str(uuid.uuid4())
        self.model_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, self.model))
        self.audio_seconds = 0.0
        self.finals = []  # transcripts of the final results sent
        self._sha = hashlib.sha256()
        self._pending = b""
        self._previous_frame = b""
        self._segment_start = 0.0
        self._utterance = None
        self._utterance_end_due = None  # last_word_end of the last final, until UtteranceEnd is sent
        self._recent_finals = []  # (message, utterance, words): what a dropped stream may not have sent

    # -- input ---------------------------------------------------------------------------------

    def feed(self, data):
        """Audio bytes in; the messages (dicts) that this audio triggers, in order."""
        self._sha.update(data)
        data = self._pending + data
        usable = len(data) - len(data) % speech.FRAME_BYTES
        self._pending = data[usable:]
        messages = []
        for offset in range(0, usable, speech.FRAME_BYTES):
            self._frame(data[offset : offset + speech.FRAME_BYTES], messages)
        return messages

    def finalize(self):
        """The client sent Finalize: finish what was heard so far now."""
        utterance = self._utterance
        if utterance is None or utterance.finalized:
            return [self._final([], speech_final=False, from_finalize=True)]
        return [self._last_final(utterance, speech_final=False, from_finalize=True)]

    def close(self):
        """The client sent CloseStream: pending audio is finished, then Metadata."""
        messages = []
        if self._utterance is not None and not self._utterance.finalized:
            messages.append(self._last_final(self._utterance, speech_final=False))
            self._utterance = None
        messages.append(self.metadata())
        return messages

    def abandon(self, undelivered=()):
        """The stream died, the messages `undelivered` never sent: for each utterance whose words the
        client did not all get, (text, the words it did not get, whether it was a script line), so
        the next stream, hearing its audio again, hears only those."""
        current, self._utterance = self._utterance, None
        missed = {}  # utterance -> how many of its finalised words were never delivered
        for message, utterance, count in self._recent_finals:
            if any(message is m for m in undelivered):
                missed[utterance] = missed.get(utterance, 0) + count
        if current is not None and not current.finalized and current.text is not None:
            missed.setdefault(current, 0)
        unheard = [(u.text, " ".join(u.tokens[u.done - count :]), u.from_script) for u, count in missed.items()]
        return [entry for entry in unheard if entry[1]]

    def metadata(self):
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": self._sha.hexdigest(),
            "created": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "duration": round(self.audio_seconds, 3),
            "channels": 1,
            "models": [self.model_uuid],
            "model_info": {self.model_uuid: {"name": self.model, "version": "2025-01-01.0", "arch": self.model}},
        }

    # -- the audio clock -------------------------------------------------------------------------

    def _frame(self, frame, messages):
        start = self.audio_seconds
        self.audio_seconds = now = start + speech.FRAME_BYTES / speech.SAMPLE_RATE
        utterance = self._utterance
        if speech.is_speech(frame):
            if utterance is None:
                utterance = self._utterance = _Utterance(start, self._previous_frame + frame, now)
                utterance.next_interim = start + self._interim_gap()
                utterance.next_split = start + self._split_gap()
                utterance.speech_final = self.rng.random() >= self.no_speech_final
                self._utterance_end_due = None
                if self.vad_events:
                    messages.append({"type": "SpeechStarted", "channel": [0, 1], "timestamp": round(start, 3)})
            else:
                if len(utterance.audio) < _RUN_BYTES_LIMIT:
                    utterance.audio += frame
                utterance.end = now
            if utterance.finalized:
                return
            if now >= utterance.next_split - 1e-9:
                utterance.next_split = now + self._split_gap()
                self._split(utterance, now, messages)
            if self.interim_results and now >= utterance.next_interim - 1e-9:
                utterance.next_interim += self._interim_gap()
                self._interim(utterance, now, messages)
            return
        self._previous_frame = frame
        if utterance is not None:
            # the audio clock is a sum of 20 ms steps: compare with a tolerance, or 15 frames of
            # silence would often fall a hair short of 300 ms and endpointing would take a 16th
            silent_for = now - utterance.end + 1e-9
            if self.endpointing_s is not None and silent_for >= self.endpointing_s:
                self._end_utterance(utterance, speech_final=utterance.speech_final, messages=messages)
            elif self.endpointing_s is None and silent_for >= (self.utterance_end_s or 1.0):
                self._end_utterance(utterance, speech_final=False, messages=messages)
        due = self._utterance_end_due
        if due is not None and self.utterance_end_s is not None and now - due >= self.utterance_end_s - 1e-9:
            self._utterance_end_due = None
            if self.interim_results:
                messages.append({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(due, 3)})

    def _interim_gap(self):
        return self.interim_interval_s * self.rng.uniform(1 - self.interim_jitter, 1 + self.interim_jitter)

    def _split_gap(self):
        return math.inf if self.split_finals_s is None else self.rng.uniform(*self.split_finals_s)

    def _interim(self, utterance, now, messages):
        self._resolve(utterance, final=False)
        if utterance.text is None:
            return
        shown = utterance.heard(now, begun=True)
        if shown > max(utterance.shown, utterance.done):
            utterance.shown = shown
            words = self._words(utterance.tokens[utterance.done : shown], utterance.words_from, now)
            messages.append(self._result(words, is_final=False, speech_final=False))

    def _split(self, utterance, now, messages):
        """Deepgram finalises a long utterance as it goes: the words said since the last final."""
        self._resolve(utterance, final=False)
        if utterance.text is None:
            return
        said = utterance.heard(now, begun=False)
        if said > utterance.done:
            words = self._words(utterance.tokens[utterance.done : said], utterance.words_from, now)
            utterance.done, utterance.words_from = said, now
            messages.append(self._final(words, speech_final=False, utterance=utterance))

    def _end_utterance(self, utterance, *, speech_final, messages):
        self._utterance = None
        if not utterance.finalized:  # else Finalize already delivered its words
            messages.append(self._last_final(utterance, speech_final=speech_final))

    def _last_final(self, utterance, *, speech_final, from_finalize=False):
        """The rest of the utterance's words; UtteranceEnd falls due after its last word."""
        self._resolve(utterance, final=True)
        words = self._words(utterance.tokens[utterance.done :], utterance.words_from, utterance.end)
        utterance.finalized = True
        if words:
            self._utterance_end_due = utterance.end
        elif utterance.done:
            self._utterance_end_due = utterance.words_from
        else:
            self._utterance_end_due = None
        utterance.done = len(utterance.tokens)
        return self._final(words, speech_final=speech_final, from_finalize=from_finalize, utterance=utterance)

    def _resolve(self, utterance, *, final):
        if utterance.text is not None:
            return
        carried = speech.read_spoken(bytes(utterance.audio))
        if carried is None and not final and speech.carries_text(bytes(utterance.audio)):
            return  # the packet is still arriving
        if carried is not None:
            utterance.text = self.unheard(carried)
        else:
            line = self.next_line()
            utterance.text, utterance.from_script = (line or ""), line is not None
        utterance.tokens = utterance.text.split()

    # -- messages ----------------------------------------------------------------------------------

    def _words(self, tokens, start, end):
        """`tokens` spread evenly over the audio from `start` to `end`."""
        step = max(end - start, 0.02) / max(len(tokens), 1)
        words = []
        for i, token in enumerate(tokens):
            bare = re.sub(r"[^\w'-]", "", token).lower() or token.lower()
            words.append(
                {
                    "word": bare,
                    "start": round(start + i * step, 3),
                    "end": round(start + (i + 1) * step, 3),
                    "confidence": 0.99,
                    "punctuated_word": token if self.punctuate else bare,
                }
            )
        return words

    def _final(self, words, *, speech_final, from_finalize=False, utterance=None):
        message = self._result(words, is_final=True, speech_final=speech_final, from_finalize=from_finalize)
        if utterance is not None:
            self._recent_finals = [*self._recent_finals[-15:], (message, utterance, len(words))]
        self._segment_start = self.audio_seconds
        self.finals.append(message["channel"]["alternatives"][0]["transcript"])
        return message

    def _result(self, words, *, is_final, speech_final, from_finalize=False):
        transcript = " ".join(w["punctuated_word"] for w in words)
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(self.audio_seconds - self._segment_start, 3),
            "start": round(self._segment_start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {
                "alternatives": [
                    {
                        "transcript": transcript,
                        "confidence": 0.99 if words else 0.0,
                        "words": words,
                    }
                ]
            },
            "metadata": {
                "request_id": self.request_id,
                "model_info": {"name": f"general-{self.model}", "version": "2025-01-01.0", "arch": self.model},
                "model_uuid": self.model_uuid,
            },
        }


class _Utterance:
    def __init__(self, start, audio, end):
        self.start = start
        self.end = end
        self.audio = bytearray(audio)
        self.text = None
        self.tokens = []
        self.shown = 0  # tokens shown in interims
        self.done = 0  # tokens finalised
        self.words_from = start  # audio time where the words not yet finalised begin
        self.next_interim = None
        self.next_split = None
        self.speech_final = True  # its turn ends with speech_final (else only UtteranceEnd)
        self.from_script = False
        self.finalized = False

    def heard(self, now, *, begun):
        """How many tokens were said by `now` (begun: counting a word that has only begun)."""
        said = 0
        for i in range(1, len(self.tokens) + 1):
            chars = len(" ".join(self.tokens[:i])) - (len(self.tokens[i - 1]) if begun else 0)
            if self.start + chars * speech.SECONDS_PER_CHARACTER > now + 1e-9:
                break
            said = i
        return said
