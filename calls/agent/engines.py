"""Which speech and language engines a call uses, chosen by settings (one place).

VOICE_STT / VOICE_TTS / VOICE_BRAIN pick an engine each; empty means the vendor when its key
is set, else the offline one (Whisper, Piper or espeak-ng, the scripted receptionist): with no
keys at all, the embedded default, every call runs offline. VOICE_TTS_OFFLINE picks the offline
voice (Piper or espeak-ng) wherever one is used, primary or backup. A vendor engine is wrapped so
that, if it fails mid-call, the offline engine carries the call on (VOICE_FAILOVER).

The offline models take a couple of seconds to load: `warm_up_in_background()` (called by
ottos/asgi.py, i.e. only in processes that serve calls, never in `migrate` and the like)
loads the ones this configuration can use in a thread, so the first call does not wait.
"""

import asyncio
import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from calls.agent.scripted import ScriptedBrain
from calls.voice import turn, vad

# Imported here, not on the first call: loading the SDKs takes a second or two.
from calls.voice.llm.failover import FailoverBrain, Outage
from calls.voice.llm.openai import OpenAIBrain
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.stt.failover import FailoverSTT
from calls.voice.stt.offline import OfflineSTT
from calls.voice.stt.still_talking import StillTalking
from calls.voice.stt.whisper import shared_recognizer
from calls.voice.tts.deepgram import DeepgramTTS
from calls.voice.tts.failover import FailoverTTS
from calls.voice.tts.offline import EspeakTTS, PiperTTS, offline_tts, shared_piper_voice

log = logging.getLogger(__name__)

# One per OpenAI server and key, shared by the calls of this process, and through the cache (Redis in
# production) by every process: while it is failing, new calls start on the scripted receptionist
# instead of each sitting through the retry budget first. It is tried again after five minutes.
BRAIN_REST_S = 300.0
_brain_outages = {}


class CachedOutageWindow:
    """An Outage's "resting until" in the shared cache (calls.voice.llm.failover.SharedWindow), keyed
    by vendor and a hash of its server and key: the key itself goes nowhere near Redis."""

    def __init__(self, vendor, base_url, api_key):
        digest = hashlib.sha256(f"{base_url or ''}\n{api_key or ''}".encode()).hexdigest()[:24]
        self.key = f"calls:vendor-outage:{vendor}:{digest}"

    async def get(self):
        # A worker thread of its own: Django's aget would queue behind the database's thread.
        return await asyncio.to_thread(cache.get, self.key)

    async def set(self, until, ttl_s):
        await asyncio.to_thread(cache.set, self.key, until, ttl_s)


def brain_outage(base_url, api_key):
    outage = _brain_outages.get((base_url, api_key))
    if outage is None:
        shared = CachedOutageWindow("openai", base_url, api_key)
        outage = _brain_outages.setdefault((base_url, api_key), Outage(rest_s=BRAIN_REST_S, shared=shared))
    return outage


def resting_vendors():
    """The vendors this process is leaving alone after a failure, with the seconds left: {"openai": 212.4}."""
    resting = [outage.resting_s() for outage in _brain_outages.values() if outage.resting()]
    return {"openai": round(max(resting), 1)} if resting else {}


async def shared_resting_vendors():
    """resting_vendors(), with what other processes found read first (for /readyz)."""
    if chosen_engines().brain == "openai":
        brain_outage(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY)
    await asyncio.gather(*(outage.sync() for outage in list(_brain_outages.values())))
    return resting_vendors()


@dataclass(frozen=True)
class Choice:
    stt: str  # "deepgram" | "offline"
    tts: str  # "deepgram" | "piper" | "espeak" | "offline" (Piper if installed, else espeak-ng)
    brain: str  # "openai" | "scripted"
    failover: bool

    def describe(self):
        """For people: "speech in: Deepgram with offline backup, speech out: ..."."""

        def named(engine, names):
            backup = " with offline backup" if self.failover and engine in ("deepgram", "openai") else ""
            return names[engine] + backup

        return (
            f"speech in: {named(self.stt, {'deepgram': 'Deepgram', 'offline': 'offline (Whisper)'})}, "
            f"speech out: {named(self.tts, TTS_NAMES)}, "
            f"conversation: {named(self.brain, {'openai': 'OpenAI', 'scripted': 'the scripted receptionist'})}"
        )


TTS_NAMES = {
    "deepgram": "Deepgram",
    "piper": "offline (Piper)",
    "espeak": "offline (espeak-ng)",
    "offline": "offline (Piper, else espeak-ng)",
}


def chosen_engines():
    """What the settings ask for, with the automatic choices made. The settings were checked when
    they were read (ottos/settings.py): a vendor named without its key never gets this far."""
    stt = settings.VOICE_STT or ("deepgram" if settings.DEEPGRAM_API_KEY else "offline")
    tts = settings.VOICE_TTS or ("deepgram" if settings.DEEPGRAM_API_KEY else settings.VOICE_TTS_OFFLINE or "offline")
    brain = settings.VOICE_BRAIN or ("openai" if settings.OPENAI_API_KEY else "scripted")
    return Choice(stt=stt, tts=tts, brain=brain, failover=bool(settings.VOICE_FAILOVER))


@dataclass
class Engines:
    stt: object  # calls.voice.stt.base.SpeechToText
    tts: object  # calls.voice.tts.base.TextToSpeech
    brain: object  # calls.voice.llm.base.Brain
    choice: Choice | None = None

    async def close(self):
        for engine in (self.stt, self.tts, self.brain):
            try:
                await engine.close()
            except Exception:  # one engine failing to close must not keep the others open
                log.warning("Closing %s failed", type(engine).__name__, exc_info=True)


def engines_for_call(*, timezone=None, record_event=None, vocabulary=(), voice=None):
    """Fresh engines for one call.

    `timezone`: the shop's (for the scripted receptionist; default SHOP_TIME_ZONE).
    `record_event(kind, **data)`: told of every failover (e.g. the call recorder's `event`).
    `vocabulary`: words the caller is likely to say (the shop's services, their name when known),
    for the offline recognizer's prompt.
    `voice`: the Deepgram voice (the shop's Settings page; default VOICE_TTS_MODEL). The offline
    voices have one voice each.
    """
    choice = chosen_engines()
    warm_up_in_background(choice)
    timezone = timezone or settings.SHOP_TIME_ZONE
    deepgram_url = settings.DEEPGRAM_BASE_URL or None

    def failed_over(engine, backup):
        def record(error):
            if record_event is not None:
                record_event(
                    "failover", engine=engine, vendor=getattr(error, "vendor", ""), to=backup, error=str(error)[:300]
                )

        return record

    if choice.stt == "deepgram":
        stt = DeepgramSTT(
            settings.DEEPGRAM_API_KEY,
            deepgram_url,
            endpointing_ms=settings.VOICE_ENDPOINTING_MS,
            utterance_end_ms=settings.VOICE_UTTERANCE_END_MS,
            model=settings.VOICE_STT_MODEL,
        )
        if settings.VOICE_BARGE_IN_MODE == "pause_resume":  # a paused agent must know the caller still talks
            stt = StillTalking(stt)
        if choice.failover:
            backup = functools.partial(OfflineSTT, vocabulary=tuple(vocabulary))
            stt = FailoverSTT(stt, backup, on_failover=failed_over("stt", "offline"))
    else:
        stt = OfflineSTT(vocabulary=tuple(vocabulary))

    if choice.tts == "deepgram":
        tts = DeepgramTTS(settings.DEEPGRAM_API_KEY, deepgram_url, model=voice or settings.VOICE_TTS_MODEL)
        if choice.failover:
            backup = offline_voice()
            tts = FailoverTTS(tts, backup, on_failover=failed_over("tts", getattr(backup, "vendor", "offline")))
    else:
        tts = {"piper": PiperTTS, "espeak": EspeakTTS}.get(choice.tts, offline_voice)()

    if choice.brain == "openai":
        brain = OpenAIBrain(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL or None, model=settings.OPENAI_MODEL)
        if choice.failover:
            brain = FailoverBrain(
                brain,
                ScriptedBrain(timezone=timezone),
                on_failover=failed_over("brain", "scripted"),
                outage=brain_outage(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY),
            )
    else:
        brain = ScriptedBrain(timezone=timezone)
    return Engines(stt=stt, tts=tts, brain=brain, choice=choice)


def offline_voice():
    """The offline voice the settings pick (VOICE_TTS_OFFLINE), else Piper when installed, else espeak-ng."""
    return {"piper": PiperTTS, "espeak": EspeakTTS}.get(settings.VOICE_TTS_OFFLINE, offline_tts)()


# --- warm-up -----------------------------------------------------------------------------------

_warming = None
_warming_lock = threading.Lock()


def offline_models_needed(choice):
    """Which offline models a call under `choice` may use: a subset of {"whisper", "piper"}."""
    needed = set()
    if choice.stt == "offline" or choice.failover:  # the primary, or Deepgram's backup
        needed.add("whisper")
    backup_is_piper = settings.VOICE_TTS_OFFLINE != "espeak"
    if choice.tts in ("offline", "piper") or (choice.tts == "deepgram" and choice.failover and backup_is_piper):
        needed.add("piper")
    return needed


def warm_up_in_background(choice=None):
    """Load the offline models this configuration can use, once per process, in a daemon thread.

    Returns the thread (already finished or running), or None when nothing needs loading.
    A call that starts before it is done simply waits for the same load (the loaders share a lock).
    """
    global _warming
    with _warming_lock:
        if _warming is not None:
            return _warming
        needed = offline_models_needed(choice or chosen_engines())
        if not needed:
            return None
        _warming = threading.Thread(target=_warm_up, args=(needed,), name="offline-voice-warm-up", daemon=True)
        _warming.start()
        return _warming


def _warm_up(needed):
    started = time.monotonic()
    try:
        if "whisper" in needed:
            shared_recognizer()
            vad.warm_up()
        if settings.VOICE_TURN_MODEL != "off":
            turn.warm_up()
        if "piper" in needed and (settings.VOICE_TTS == "piper" or isinstance(offline_voice(), PiperTTS)):
            shared_piper_voice()
    except Exception:  # a call would hit the same problem and fall back or say so; only log here
        log.warning("Warming up the offline voice models failed", exc_info=True)
        return
    log.info("Offline voice models (%s) ready in %.1f s", ", ".join(sorted(needed)), time.monotonic() - started)
