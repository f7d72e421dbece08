"""Which speech and language engines a call uses, chosen by settings (one place)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Imported here, not on the first call: loading the SDKs takes a second or two.
from calls.voice.brain.openai import OpenAIBrain
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.tts.deepgram import DeepgramTTS


@dataclass
class Engines:
    stt: object  # calls.voice.stt.base.SpeechToText
    tts: object  # calls.voice.tts.base.TextToSpeech
    brain: object  # calls.voice.brain.base.Brain

    async def close(self):
        for engine in (self.stt, self.tts, self.brain):
            await engine.close()


def engines_for_call():
    """Fresh engines for one call: Deepgram when DEEPGRAM_API_KEY is set, OpenAI when OPENAI_API_KEY is."""
    if not settings.DEEPGRAM_API_KEY:
        raise ImproperlyConfigured("The phone agent needs DEEPGRAM_API_KEY for speech")
    if not settings.OPENAI_API_KEY:
        raise ImproperlyConfigured("The phone agent needs OPENAI_API_KEY for conversation")
    base_url = settings.DEEPGRAM_BASE_URL or None
    return Engines(
        stt=DeepgramSTT(
            settings.DEEPGRAM_API_KEY, base_url, endpointing_ms=settings.VOICE_ENDPOINTING_MS,
            utterance_end_ms=settings.VOICE_UTTERANCE_END_MS, model=settings.VOICE_STT_MODEL,
        ),
        tts=DeepgramTTS(settings.DEEPGRAM_API_KEY, base_url, model=settings.VOICE_TTS_MODEL),
        brain=OpenAIBrain(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL or None, model=settings.OPENAI_MODEL),
    )
