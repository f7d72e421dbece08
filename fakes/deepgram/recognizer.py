"""What the fake /v1/listen "hears": audio in, Deepgram messages out, on the audio clock.

Every decision is taken at the audio time of the frame that triggers it (bytes received / 8000),
never on the wall clock, so a test that feeds audio faster than real time gets exactly the same
messages as a caller talking in real time, only sooner.

Per utterance (a run of non-silent 20 ms frames, see speech.py):
- `SpeechStarted` at its first loud frame (with vad_events=true);
- interim `Results` (with interim_results=true) every `interim_interval_s` of speech, showing a
  growing prefix of the words (one more word per `word_s` of speech);
- a final `Results` (is_final and speech_final) once `endpointing` ms of silence followed it;
  with endpointing=false, a final without speech_final after `utterance_end_ms` of silence;
- `UtteranceEnd` once `utterance_end_ms` of silence followed its last word (with interim_results).
Final results tile the audio: each starts where the previous final ended.
"""

import hashlib
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
    def __init__(self, query, *, next_line, interim_interval_s=0.25, word_s=0.3, request_id=None):
        self.model = query.get("model", "base-general")
        self.interim_results = _flag(query, "interim_results", False)
        self.vad_events = _flag(query, "vad_events", False)
        self.punctuate = _flag(query, "punctuate", False) or _flag(query, "smart_format", False)
        endpointing = _milliseconds(query, "endpointing", 10)
        self.endpointing_s = None if endpointing is None else endpointing / 1000
        utterance_end = _milliseconds(query, "utterance_end_ms", None)
        self.utterance_end_s = None if utterance_end is None else utterance_end / 1000
        self.next_line = next_line
        self.interim_interval_s = interim_interval_s
        self.word_s = word_s
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
        messages = []
        utterance = self._utterance
        if utterance is not None and not utterance.finalized:
            self._resolve(utterance, final=True)
            utterance.finalized = True
            words = self._words(utterance, utterance.tokens, utterance.end)
            messages.append(self._final(words, speech_final=False, from_finalize=True))
            self._utterance_end_due = utterance.end if words else None
        else:
            messages.append(self._final([], speech_final=False, from_finalize=True))
        return messages

    def close(self):
        """The client sent CloseStream: pending audio is finished, then Metadata."""
        messages = []
        if self._utterance is not None and not self._utterance.finalized:
            utterance = self._utterance
            self._resolve(utterance, final=True)
            messages.append(self._final(self._words(utterance, utterance.tokens, utterance.end), speech_final=False))
            self._utterance = None
        messages.append(self.metadata())
        return messages

    def abandon(self):
        """The stream died: the script line of an unfinished utterance goes back for the next stream."""
        utterance, self._utterance = self._utterance, None
        if utterance is not None and not utterance.finalized and utterance.from_script:
            return utterance.text
        return None

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
                utterance.next_interim = start + self.interim_interval_s
                self._utterance_end_due = None
                if self.vad_events:
                    messages.append({"type": "SpeechStarted", "channel": [0, 1], "timestamp": round(start, 3)})
            else:
                if len(utterance.audio) < _RUN_BYTES_LIMIT:
                    utterance.audio += frame
                utterance.end = now
            if self.interim_results and not utterance.finalized and now >= utterance.next_interim - 1e-9:
                utterance.next_interim += self.interim_interval_s
                self._interim(utterance, now, messages)
            return
        self._previous_frame = frame
        if utterance is not None:
            # the audio clock is a sum of 20 ms steps: compare with a tolerance, or 15 frames of
            # silence would often fall a hair short of 300 ms and endpointing would take a 16th
            silent_for = now - utterance.end + 1e-9
            if self.endpointing_s is not None and silent_for >= self.endpointing_s:
                self._end_utterance(utterance, speech_final=True, messages=messages)
            elif self.endpointing_s is None and silent_for >= (self.utterance_end_s or 1.0):
                self._end_utterance(utterance, speech_final=False, messages=messages)
        due = self._utterance_end_due
        if due is not None and self.utterance_end_s is not None and now - due >= self.utterance_end_s - 1e-9:
            self._utterance_end_due = None
            if self.interim_results:
                messages.append({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(due, 3)})

    def _interim(self, utterance, now, messages):
        self._resolve(utterance, final=False)
        if utterance.text is None:
            return
        shown = min(len(utterance.tokens), 1 + int((now - utterance.start) / self.word_s))
        if shown > utterance.shown:
            utterance.shown = shown
            words = self._words(utterance, utterance.tokens[:shown], now)
            messages.append(self._result(words, is_final=False, speech_final=False))

    def _end_utterance(self, utterance, *, speech_final, messages):
        self._utterance = None
        if utterance.finalized:  # Finalize already delivered its words
            return
        self._resolve(utterance, final=True)
        words = self._words(utterance, utterance.tokens, utterance.end)
        messages.append(self._final(words, speech_final=speech_final))
        self._utterance_end_due = utterance.end if words else None

    def _resolve(self, utterance, *, final):
        if utterance.text is not None:
            return
        carried = speech.read_spoken(bytes(utterance.audio))
        if carried is None and not final and speech.carries_text(bytes(utterance.audio)):
            return  # the packet is still arriving
        if carried is not None:
            utterance.text = carried
        else:
            line = self.next_line()
            utterance.text, utterance.from_script = (line or ""), line is not None
        utterance.tokens = utterance.text.split()

    # -- messages ----------------------------------------------------------------------------------

    def _words(self, utterance, tokens, end):
        span = max(end - utterance.start, 0.02)
        step = span / max(len(utterance.tokens), 1)
        words = []
        for i, token in enumerate(tokens):
            bare = re.sub(r"[^\w'-]", "", token).lower() or token.lower()
            words.append(
                {
                    "word": bare,
                    "start": round(utterance.start + i * step, 3),
                    "end": round(utterance.start + (i + 1) * step, 3),
                    "confidence": 0.99,
                    "punctuated_word": token if self.punctuate else bare,
                }
            )
        return words

    def _final(self, words, *, speech_final, from_finalize=False):
        message = self._result(words, is_final=True, speech_final=speech_final, from_finalize=from_finalize)
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
        self.shown = 0
        self.next_interim = None
        self.from_script = False
        self.finalized = False
