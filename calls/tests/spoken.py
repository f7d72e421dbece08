"""Caller speech for the offline speech tests: sentences spoken by the offline TTS and sent
through the 8 kHz mu-law phone codec, as a caller's audio arrives from Twilio."""

import asyncio
import functools

import numpy as np

from calls.voice.audio import mulaw_decode, mulaw_encode, mulaw_silence


@functools.cache
def spoken(text):
    """mu-law 8 kHz bytes of `text` said by the Piper voice, without its random variation so
    every run hears exactly the same audio."""
    from calls.voice.tts.offline import PiperTTS

    async def collect():
        return b"".join([chunk async for chunk in PiperTTS(variation=False).synthesize(text)])

    return asyncio.run(collect()) if not _loop_running() else _in_thread(collect)


def _loop_running():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(make_coroutine):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def silence(seconds):
    return mulaw_silence(int(seconds * 1000))


def noise(seconds, amplitude, seed=0):
    """White noise through the codec (a quiet line hiss or a loud background)."""
    samples = np.random.default_rng(seed).normal(0, amplitude, int(8000 * seconds))
    return mulaw_encode(np.clip(samples, -32768, 32767).astype(np.int16))


def speech_span(mulaw, threshold=100):
    """(first, last) sample of `mulaw` louder than `threshold` RMS per 10 ms: where speech is."""
    pcm = mulaw_decode(mulaw).astype(np.float64)
    frames = pcm[: len(pcm) // 80 * 80].reshape(-1, 80)
    loud = np.nonzero(np.sqrt((frames**2).mean(axis=1)) > threshold)[0]
    return int(loud[0]) * 80, int(loud[-1] + 1) * 80


def frames_of(mulaw, size=160):
    return [mulaw[i : i + size] for i in range(0, len(mulaw), size)]
