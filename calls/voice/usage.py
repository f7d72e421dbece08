"""What one call used of its engines, counted where it is used: caller audio sent to speech
recognition (seconds, per engine), text sent to speech synthesis (characters, per engine) and the
language model's tokens (per vendor, as its stream reported them). The session reports the count
once, at the end, as the recorder's "usage" event; pricing it is the app's business
(calls/costs.py). Offline engines cost nothing, but what they did is counted all the same.

An engine is named by its `vendor` attribute, else by its module (one module per vendor:
calls.voice.stt.deepgram -> "deepgram"). A failover wrapper is counted as the engine doing the
work: FailoverSTT's `active` one, FailoverTTS's `primary` and `backup` each.
"""

import contextlib
from collections import Counter
from dataclasses import dataclass, field

from calls.voice.audio import PHONE_RATE
from calls.voice.stt.base import SpeechToText
from calls.voice.tts.base import TextToSpeech


@dataclass
class CallUsage:
    stt_seconds: Counter = field(default_factory=Counter)  # engine -> seconds of caller audio sent
    tts_characters: Counter = field(default_factory=Counter)  # engine -> characters asked for
    prompt_tokens: Counter = field(default_factory=Counter)  # vendor -> tokens
    completion_tokens: Counter = field(default_factory=Counter)
    brain_rounds: Counter = field(default_factory=Counter)  # vendor ("offline": a brain with no bill) -> rounds
    unreported_rounds: Counter = field(default_factory=Counter)  # vendor -> rounds whose usage it did not say
    models: set = field(default_factory=set)

    def heard(self, engine, mulaw):
        self.stt_seconds[engine] += len(mulaw) / PHONE_RATE

    def spoke(self, engine, text):
        self.tts_characters[engine] += len(text)

    def brain_round(self, usage):
        """One finished brain round: `usage` is its Done's TokenUsage (None: an unmetered brain)."""
        if usage is None:
            self.brain_rounds["offline"] += 1
            return
        self.brain_rounds[usage.vendor] += 1
        self.models.add(usage.model)
        if usage.prompt_tokens is None or usage.completion_tokens is None:
            self.unreported_rounds[usage.vendor] += 1
        self.prompt_tokens[usage.vendor] += usage.prompt_tokens or 0
        self.completion_tokens[usage.vendor] += usage.completion_tokens or 0

    def as_dict(self):
        """Plain JSON-able figures (the recorder's "usage" event)."""
        return {
            "stt_seconds": {engine: round(s, 3) for engine, s in self.stt_seconds.items()},
            "tts_characters": dict(self.tts_characters),
            "prompt_tokens": dict(self.prompt_tokens),
            "completion_tokens": dict(self.completion_tokens),
            "brain_rounds": dict(self.brain_rounds),
            "unreported_rounds": dict(self.unreported_rounds),
            "models": sorted(self.models),
        }


def engine_name(engine):
    vendor = getattr(engine, "vendor", None)
    if isinstance(vendor, str) and vendor:
        return vendor
    return type(engine).__module__.rpartition(".")[2]


class MeteredSTT(SpeechToText):
    """Counts the caller audio sent to `engine` (or to the engine a failover wrapper is using)."""

    def __init__(self, engine, usage):
        self.engine = engine
        self.usage = usage

    async def start(self):
        await self.engine.start()

    async def send(self, mulaw):
        if mulaw:
            self.usage.heard(engine_name(getattr(self.engine, "active", self.engine)), mulaw)
        await self.engine.send(mulaw)

    def events(self):
        return self.engine.events()

    def attend(self, wanted):
        self.engine.attend(wanted)

    async def close(self):
        await self.engine.close()


class MeteredTTS(TextToSpeech):
    """Counts the characters `engine` is asked to speak (the vendors bill the request, however
    much of it is played)."""

    def __init__(self, engine, usage):
        self.engine = engine
        self.usage = usage
        self.name = engine_name(engine)

    async def synthesize(self, text):
        self.usage.spoke(self.name, text)
        async with contextlib.aclosing(self.engine.synthesize(text)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def close(self):
        await self.engine.close()


def metered_tts(tts, usage):
    """`tts` counting into `usage`: a failover wrapper's engines are metered each, in place, so the
    sentence (or the rest of it) its backup speaks counts as the backup's."""
    if isinstance(getattr(tts, "primary", None), TextToSpeech) and isinstance(
        getattr(tts, "backup", None), TextToSpeech
    ):
        tts.primary = metered_tts(tts.primary, usage)
        tts.backup = metered_tts(tts.backup, usage)
        return tts
    return tts if isinstance(tts, MeteredTTS) else MeteredTTS(tts, usage)
