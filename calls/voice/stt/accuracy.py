"""Word error rate on the shop's domain test set (used by the accuracy test and the benchmark).

Both sides go through Whisper's English normalizer (lower case, no punctuation, spoken numbers
as digits), then hyphens become spaces and digit runs are split into single digits, so a VIN
or phone number read digit by digit scores per character however the recognizer groups it.
"""

import re
from pathlib import Path

SENTENCES_PATH = Path(__file__).parent / "domain" / "sentences.txt"


def domain_sentences():
    lines = SENTENCES_PATH.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


_normalizer = None


def normalize(text):
    global _normalizer
    if _normalizer is None:
        from whisper_normalizer.english import EnglishTextNormalizer

        _normalizer = EnglishTextNormalizer()
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
    words = []
    for word in _normalizer(text).split():
        words.extend(list(word) if word.isdigit() else [word])
    return " ".join(words)


def word_error_rate(references, hypotheses):
    """Corpus WER over pairs of texts, after normalization."""
    import jiwer

    return jiwer.wer([normalize(r) for r in references], [normalize(h) or "<nothing>" for h in hypotheses])
