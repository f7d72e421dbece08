"""Whether the caller has finished their turn, from how their last words sounded.

The recogniser's endpoint is a silence (300 ms): a caller who pauses mid-thought ("I need to
bring in my... uh... Camry") reaches it too. At each endpoint the session asks the end-of-turn
model about the turn's audio; if it hears an unfinished sentence (intonation, a cut-off word)
the session waits for more words, up to the utterance-end limit, instead of answering. The model
is asked ahead of the endpoint where it can be, in the caller's first 200 ms of quiet (EndOfTurn).

The model is Smart Turn v3.2 (Daily, BSD-2-Clause): a Whisper-tiny encoder with a classifier
head, run on onnxruntime from the ONNX file shipped in the `pipecat-ai` wheel. The package is
installed without its dependencies and never imported (its `__init__` pulls in much of its
framework); only its data file is used (packaged_onnx.py), as with silero. Input: the last 8 s of
the turn at 16 kHz, as Whisper log-mel features; output: the probability the turn is complete.
The model costs about 70 ms of CPU a run: on a busy server, most of the server's CPU.
`smart_turn_words` spends it only where the words leave the sentence open: the turn's transcript
ends without a full stop, question or exclamation mark, or on a word a sentence does not end on
("my", "the", "to", "and", "is", "uh" ...). Measured (benchmarks/turn_taking.py): 61% fewer runs,
but 8 of 52 callers pausing mid-sentence answered in the pause against 1 of 52 (4 of 52 since
WORDS_DONE_WAIT_S), because the recogniser writes what it half-heard as a finished sentence ("Is my
car?", "I think it needs a new."). So `smart_turn`, the default, asks the model at every endpoint
but one: a short answer to the agent's question ("The second one.", "Yeah, that works.", "Dana
Whitfield."), up to SHORT_ANSWER_WORDS words closing as a statement (is_short_answer). On such
answers the model often hears an unfinished turn (it was trained on whole sentences: "That's all,
thanks." 0.08, "The second one." 0.15 on the offline voice), and the caller waited a second for the
reply to "Which works best?". A short answer the caller did leave open ("My name is, um", "The,
uh") still goes to the model. Where the words read as a finished sentence the model's verdict
counts as complete from COMPLETE_AT_WORDS_DONE (0.1), not 0.5: the words and the sound are two
pieces of evidence, and the model scores whole requests on the phone line low but half-sentences
lower. A turn the model still holds then waits WORDS_DONE_WAIT_S after the speech for more, not the
whole utterance-end limit.
The model runs on one thread of its own per process, never the default executor the database
calls share. When that thread is behind (MAX_WAITING endpoints already waiting for it: a server
past what it can carry), an endpoint ends the turn unjudged, as plain endpointing would, and the
session records "turn_model_skipped": under overload callers get answered on time, sometimes
mid-sentence, instead of seconds late, and the CPU the model would take goes to the calls.
`log_mel` follows pipecat's numpy port of transformers' WhisperFeatureExtractor
(pipecat/audio/turn/smart_turn/_whisper_features.py, BSD-2-Clause; Apache-2.0 upstream) on the
front end it shares with the recogniser (log_mel.py).
"""

import asyncio
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calls.voice.audio import PHONE_RATE, int16_to_float, mulaw_decode, resample
from calls.voice.interfaces import TURN_MODELS
from calls.voice.log_mel import log_mel as whisper_log_mel
from calls.voice.packaged_onnx import PackagedModel

log = logging.getLogger(__name__)

# The model heard an unfinished turn, but its words read as a finished sentence: wait this long after
# the speech (not `wait_s`) for more. The model holds some whole sentences ("Do I have anything coming
# up with you guys?"): they were the slowest replies of a whole-call run, at over a second.
WORDS_DONE_WAIT_S = 0.6
SHORT_ANSWER_WORDS = 5  # "Nine o'clock works for me." answers a question whole
MODEL_RATE = 16000
WINDOW_S = 8  # the model hears at most the last 8 s of a turn
COMPLETE_AT = 0.5
# ... and when the turn's words read as a finished sentence. The model gives whole requests low
# scores on the phone line ("Can we move my tire rotation to Friday, same time?" 0.18, "I want to
# book an oil change Thursday afternoon." 0.05: 11 of 50 scenario opening lines under 0.5), but
# half-sentences the recogniser closed with a full stop lower still ("Is my car?" 0.02, "My phone
# number is 555." 0.01: all 7 of 52 such halves at 0.03 or less). Measured with the offline voice.
COMPLETE_AT_WORDS_DONE = 0.1
_MODEL_FILE = Path("audio", "turn", "smart_turn", "data", "smart-turn-v3.2-cpu.onnx")

MAX_WAITING = 2  # endpoints of this process waiting for the model (one running, one queued)
# The caller waits no longer than this at the endpoint for the model's verdict: the model's thread
# is behind (a busy server, or this process's CPU taken) and the turn ends unjudged, recorded as
# turn_model_skipped. Its run takes ~70 ms of CPU on an idle core.
VERDICT_WAIT_S = 0.15
EARLY_AFTER_S = 0.2  # the caller quiet this long: judge the turn now, before the endpoint comes
LOUD_LEVEL = 400  # a sample above this (of 32767) is the caller's voice, not the line's hiss
# mu-law byte -> 1 if it is loud: bytes.translate then finds the last loud sample at C speed
_LOUD = bytes(int(abs(int(sample)) > LOUD_LEVEL) for sample in mulaw_decode(bytes(range(256))))

# The model's thread is this much nicer than the thread that starts it (the event loop's): on a busy
# core the calls' audio, barge-ins and replies come first, the model (a refinement) after. Linux
# keeps a nice value per thread. Measured (call benchmark, 50 calls, one process on one core):
# barge-in p95 953 -> 80 ms, own share p95 2.3 s -> 0.6 s.
MODEL_NICE = 10


def _lower_priority():
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + MODEL_NICE))
    except (AttributeError, OSError):  # not Linux, or not allowed: the model runs at the loop's priority
        pass


_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smart-turn", initializer=_lower_priority)
_waiting = 0  # only the event loop's thread changes it

SMART_TURN = PackagedModel(
    "pipecat", _MODEL_FILE, missing="Smart Turn's ONNX model is not installed (pipecat-ai, requirements/offline.txt)"
)


class SmartTurn:
    """Probability that a turn is complete, from its audio (the ONNX session is shared)."""

    name = "smart_turn"

    def __init__(self):
        self._session = SMART_TURN.session()

    def probability(self, pcm):
        """int16 8 kHz audio of the turn, ending at the endpoint -> probability it is complete."""
        audio = resample(int16_to_float(pcm), PHONE_RATE, MODEL_RATE)[-WINDOW_S * MODEL_RATE :]
        audio = np.pad(audio, (WINDOW_S * MODEL_RATE - len(audio), 0))  # silence before, as in training
        (out,) = self._session.run(None, {"input_features": log_mel(audio)[np.newaxis]})
        return float(out[0][0])


def load_turn_model(choice):
    """The end-of-turn model `choice` names, or None: "off", or it cannot run here (logged)."""
    if choice not in TURN_MODELS:
        raise ValueError(f"turn model must be one of {', '.join(TURN_MODELS)}, not {choice!r}")
    if choice == "off":
        return None
    try:
        return SmartTurn()
    except Exception as error:  # missing package, no onnxruntime, unreadable file: never the call's end
        log.warning("End-of-turn model unavailable (%s); turns end at the recogniser's endpoint", error)
        return None


def warm_up():
    """Load the shared model now rather than at a caller's first endpoint."""
    model = load_turn_model("smart_turn")
    if model is not None:
        model.probability(np.zeros(PHONE_RATE, dtype=np.int16))


class RecentAudio:
    """The caller's last WINDOW_S seconds of audio as it arrived, and when the latest came."""

    def __init__(self, seconds=WINDOW_S):
        self._max = seconds * PHONE_RATE
        self._mulaw = bytearray()
        self.received_at = None
        self.loud_at = None  # when the latest loud sample arrived

    def push(self, mulaw, at):
        self._mulaw += mulaw
        if len(self._mulaw) > self._max:
            del self._mulaw[: len(self._mulaw) - self._max]
        self.received_at = at
        last_loud = mulaw.translate(_LOUD).rfind(1)
        if last_loud >= 0:
            self.loud_at = at - (len(mulaw) - 1 - last_loud) / PHONE_RATE

    def since(self, at):
        """int16 samples from clock time `at` (None: all held) to the latest audio."""
        held = len(self._mulaw)
        if at is not None and self.received_at is not None:
            held = min(held, max(0, round((self.received_at - at) * PHONE_RATE)))
        return mulaw_decode(bytes(self._mulaw[len(self._mulaw) - held :]))


# Words an English sentence does not end on: articles, possessives, prepositions, conjunctions,
# auxiliaries, subject pronouns, lead-ins ("I think"), linking verbs ("feels", "spelled") and fillers.
# A turn ending on one, or on a lone letter, is left open. Not "it" or "her": at a sentence's end they
# are objects ("I'll keep it.", "Can you cancel it for her?"), and as open endings they held three of
# a whole-call run's slowest replies (over 1.1 s).
FILLERS = frozenset("uh um er erm ah hmm mm uhm eh".split())
OPEN_ENDINGS = FILLERS | frozenset(
    """a an the my your his our their its this that these those some any another every
    to for at on in of with from about by into onto under over before after around than like
    through until till near behind between via per
    and or but so because if when while where which who whose whether then plus nor
    is are was were be been being am isn't aren't wasn't weren't do does did don't doesn't didn't
    can could would will should might must shall may can't couldn't won't wouldn't shouldn't
    have has had haven't hasn't i'm it's that's there's we're you're they're he's she's
    i you we they he she gonna wanna gotta need want think guess mean feels seems sounds spelled named""".split()
)
_LAST_WORD = re.compile(r"([a-z']+)\W*$")


def is_short_answer(text):
    """A few words that close as a statement ("The second one.", "Yeah, that works."): what a
    caller says to a question of the agent's. A question back ("Is my car?") is not one, nor
    words with a hesitation inside ("I'll... yeah.", "Tuesday, um, at"): the caller may go on."""
    text = text.strip()
    words = text.lower().replace("\u2019", "'").split()
    return (
        text.endswith((".", "!"))
        and len(words) <= SHORT_ANSWER_WORDS
        and "..." not in text
        and "\u2026" not in text
        and not any(word.strip(",.!?;:") in FILLERS for word in words)
        and not words_leave_it_open(text)
    )


def words_leave_it_open(text):
    """True when the transcript of a turn reads as unfinished: no closing punctuation (or a
    trailing comma, dash or ellipsis), or its last word is one a sentence does not end on."""
    text = text.strip().lower().replace("\u2019", "'")
    if not text or text.endswith(("...", "\u2026", ",", "-", ":", ";")) or text[-1] not in ".?!":
        return True
    last = _LAST_WORD.search(text)
    if last is None:
        return False
    # a lone letter ("My last name is spelled F.", "it's the F."): the spelling may go on
    return last.group(1) in OPEN_ENDINGS or len(last.group(1)) == 1


@dataclass
class _Early:
    onset: float  # of the turn judged
    loud_at: float  # its last loud sample then: a louder one since makes the judgement stale
    task: asyncio.Task  # -> the probability, or None if the model failed


class EndOfTurn:
    """At the recogniser's endpoint: is the caller done? With no model, always yes.

    The judgement is made early when it can be: once the caller has been quiet for EARLY_AFTER_S
    (the endpoint comes at 300 ms of silence, and its message later still), with the model's
    thread idle, the turn's audio goes to the model at once; at the endpoint, if the caller made no
    sound since, that verdict is used, so the model's ~70 ms are not added to the caller's wait.
    A busy model is never given such a guess: under load it judges at the endpoint, as before.
    """

    PREROLL_S = 0.5  # audio kept from before the turn's first sound

    def __init__(self, model, audio, *, wait_s, words_first=False, on_skipped=None):
        self.model = model
        self.on_skipped = on_skipped  # called when an endpoint is not judged: the model is behind
        self.audio = audio
        self.wait_s = wait_s  # an unfinished turn still ends this long after its speech stopped
        self.words_first = words_first  # a finished sentence ends the turn without the model
        self.asked = 0  # endpoints the model judged
        self.early = 0  # ... of which with the verdict it gave in the caller's pause
        self.by_words = 0  # endpoints the words settled (a finished sentence, or a short answer)
        self._early = None  # _Early: the current pause's judgement

    def listen(self, mulaw, at, onset):
        """Caller audio that arrived at `at`, in the turn that began at `onset` (None: no turn)."""
        self.audio.push(mulaw, at)
        loud_at = self.audio.loud_at
        if self.model is None or self.words_first or onset is None or loud_at is None or loud_at < onset:
            return
        if at - loud_at < EARLY_AFTER_S or _waiting:
            return
        early = self._early
        if early is not None and early.onset == onset and early.loud_at == loud_at:
            return  # this pause is judged already
        pcm = self.audio.since(onset - self.PREROLL_S)
        self._early = _Early(onset, loud_at, asyncio.ensure_future(self._judge(pcm)))

    async def _judge(self, pcm):
        global _waiting
        _waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(_thread, self.model.probability, pcm)
        except Exception:
            log.exception("end-of-turn model failed; ending the turn at the endpoint")
            return None
        finally:
            _waiting -= 1

    async def complete(self, onset=None, text=None, *, answering=False):
        """True to answer now, False to wait for more words (or the wait to run out). `text` is
        the turn's transcript so far: with `words_first`, a finished sentence is not put to the
        model; `answering` (the agent's last words were a question), nor is a short finished answer."""
        if self.model is None:
            return True
        if text is not None and not words_leave_it_open(text):
            if self.words_first or (answering and is_short_answer(text)):
                self.by_words += 1
                return True
        early, self._early = self._early, None
        if early is not None and early.onset == onset and early.loud_at == self.audio.loud_at:
            self.early += 1
            task = early.task
        else:
            pcm = self.audio.since(None if onset is None else onset - self.PREROLL_S)
            if not np.any(pcm):
                return True  # no audio of the turn reached us: nothing to judge
            if _waiting >= MAX_WAITING:
                return self._skipped()
            task = asyncio.ensure_future(self._judge(pcm))
        self.asked += 1
        try:  # the run goes on if this gives up: it still holds the model's thread
            probability = await asyncio.wait_for(asyncio.shield(task), VERDICT_WAIT_S)
        except TimeoutError:
            return self._skipped()
        if probability is None:
            return True
        words_done = text is not None and not words_leave_it_open(text)
        return probability >= (COMPLETE_AT_WORDS_DONE if words_done else COMPLETE_AT)

    def hold_s(self, text):
        """How long after the speech a turn the model holds waits for more: `wait_s`, or less when
        its words read as a finished sentence (a pause of more than that is rare mid-sentence)."""
        if text is not None and not words_leave_it_open(text):
            return min(self.wait_s, WORDS_DONE_WAIT_S)
        return self.wait_s

    def _skipped(self):
        if self.on_skipped is not None:
            self.on_skipped()
        return True


def log_mel(audio):
    """Float 16 kHz audio of exactly WINDOW_S seconds -> float32 (80, 800) Whisper log-mel features,
    as Smart Turn was trained on them: transformers' front end, on zero-mean unit-variance audio."""
    x = np.asarray(audio, dtype=np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    return whisper_log_mel(x, dtype=np.float64, one_thread=True)  # on the model's own thread, no spinning
