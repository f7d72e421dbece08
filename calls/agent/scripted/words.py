"""A caller's words made easy to match: lower case, plain spaces, spoken numbers as numbers.

Transcripts come from speech-to-text, so "two thirty", "2:30" and "2 30" all occur, and
so do "14th", "fourteenth" and "the twenty second".
"""

import functools
import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}  # fmt: skip

YES = frozenset({
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "absolutely", "definitely",
    "please", "perfect", "great", "fine", "alright", "exactly", "affirmative", "sounds good", "that works",
    "works for me", "that's right", "that is right", "go ahead", "do it", "book it", "yes please", "of course",
    "that's fine", "that'd be great", "that would be great", "let's do it", "let's do that", "uh huh", "mm hmm",
    "mm hm", "mhm", "mhmm", "mmhm", "mmhmm", "uh hu", "you bet", "yes ma'am", "yes sir",
})  # fmt: skip
NO = frozenset({
    "no", "nope", "nah", "not really", "don't", "do not", "negative", "wrong", "that's wrong", "not right",
    "that's not right", "no thanks", "no thank you", "never mind", "nevermind", "not that", "neither",
    "none", "none of those", "not quite",
})  # fmt: skip


# Where a caller takes back what they just said: the words after the last one are what they want
# ("Tuesday at eight, actually, can we do ten?"; "an oil change, no wait, a tire rotation").
CORRECTIONS = (
    "actually", "no wait", "wait no", "oh wait", "no sorry", "sorry no", "sorry i meant", "sorry i mean", "i meant", "i mean",
    "make that", "make it", "scratch that", "or rather", "on second thought", "change that to", "let's say",
)  # fmt: skip


# "Whenever you open", "first thing when you open": the opening time of the day asked for (normalized text).
WHEN_YOU_OPEN = re.compile(
    r"\b(?:(?:right|just|first thing|first|whenever|when|as soon as|soon as|once|the minute|the moment|as early as)"
    r" (?:you|you guys|y'all|ya|the shop|the doors?|you all) (?:first )?(?:open|opens|open up|are open|get in|unlock)"
    r"|(?:at|right at|first thing at) (?:opening|open|opening time)|(?:the )?(?:first|very first) (?:slot|thing|one|appointment)"
    r" (?:when|after|once) (?:you|you guys|y'all) open"
    r"|whatever time (?:you|you guys|y'all|ya|the shop|you all) (?:open|opens|open up))\b"
)


# Not "one": "that one's fine" is a choice, not 1 o'clock.
_NUMBER_IS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirty|fifteen|forty five|\d+(?::\d\d)?)'s\b"
)


def normalize(text):
    """Lower case, a.m./p.m. as am/pm, digits split from letters, punctuation gone (: kept in times)."""
    text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\b([ap])\.?\s?m\.?(?=\W|$)", r"\1m", text)
    text = re.sub(r"(\d)(am|pm)\b", r"\1 \2", text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1 \2", text)  # 14th -> "14 th", joined again in spoken_numbers
    text = re.sub(r"(?<=\d):(?=\d)", "\x00", text)  # keep 10:30 together
    text = re.sub(r"(?<=\d)/(?=\d)", "\x01", text)  # and 12/14
    text = re.sub(r"[^\w\s'\x00\x01]", " ", text)
    text = text.replace("\x00", ":").replace("\x01", "/")
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    text = _NUMBER_IS.sub(r"\1 is", text)  # "five's good", "10:30's fine": the number, then "is"
    return " ".join(text.split())


# "B as in boy": the example word says the letter. Whisper mishears lone letters far more often
# than words ("V is in Boy", "T as in David"), so the word's first letter wins. Only "as in" is
# always a spelling; "is in", "like" and "for" are one only after a letter that is not also a word,
# before a word that can be an example ("I like Tuesdays" is not T).
_BY_EXAMPLE = re.compile(
    r"\b([A-Za-z])[,.]? (as in|is in|as an|like in|like|for) ([A-Za-z][A-Za-z'\-]*)", re.IGNORECASE
)
_NOT_EXAMPLES = frozenset(
    "the that this there those these them then than your our their his her its and for with what which "
    "when where who you sure now real sale free".split()
)


def letters_by_example(text):
    """`text` with each "B as in boy" (and its mishearings "V is in Boy") written as the letter alone."""

    def letter(match):
        said, joint, example = match[1], match[2].lower(), match[3]
        if joint != "as in" and said.lower() in ("i", "a"):
            return match[0]  # "I like Tuesdays", "a for sale sign": words, not letters
        if len(example) >= 3 and example.isalpha() and example.lower() not in _NOT_EXAMPLES:
            return example[0].upper() if said.isupper() else example[0].lower()
        return said if joint == "as in" else match[0]

    return _BY_EXAMPLE.sub(letter, text)


def corrections(said):
    """Where in normalized `said` the caller takes something back, latest first (a correction
    opening the sentence takes nothing back)."""
    return [m.start() for m in reversed(list(_alternation(CORRECTIONS).finditer(said))) if m.start() > 0]


def latest_statement(said):
    """Normalized `said` from its last correction on (all of it when nothing was taken back)."""
    points = corrections(said)
    return said[points[0] :] if points else said


def has_phrase(text, phrase):
    """Whole-word match of `phrase` in normalized `text`."""
    return _alternation((phrase,)).search(text) is not None


def has_any(text, phrases):
    return _alternation(tuple(phrases)).search(text) is not None


@functools.lru_cache(maxsize=512)
def _alternation(phrases):
    # One compiled pattern per phrase list: hundreds of separate patterns would overflow re's cache.
    options = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{options})(?![\w'])")


@dataclass(frozen=True)
class Word:
    text: str
    number: int | None = None  # a cardinal: "two", "14", "twenty two"
    ordinal: int | None = None  # "14th", "fourteenth", "twenty second"


def spoken_numbers(text):
    """The normalized text as Words, with number words and digit runs read as numbers."""
    raw = text.split()
    words = []
    i = 0
    while i < len(raw):
        token = raw[i]
        following = raw[i + 1] if i + 1 < len(raw) else ""
        if token.isdigit():
            if following in ("st", "nd", "rd", "th"):
                words.append(Word(token + following, ordinal=int(token)))
                i += 2
                continue
            words.append(Word(token, number=int(token)))
        elif token in TENS:
            if UNITS.get(following, 0) in range(1, 10):
                words.append(Word(f"{token} {following}", number=TENS[token] + UNITS[following]))
                i += 2
                continue
            if ORDINALS.get(following, 0) in range(1, 10):
                words.append(Word(f"{token} {following}", ordinal=TENS[token] + ORDINALS[following]))
                i += 2
                continue
            words.append(Word(token, number=TENS[token]))
        elif token in UNITS:
            words.append(Word(token, number=UNITS[token]))
        elif token in ORDINALS:
            words.append(Word(token, ordinal=ORDINALS[token]))
        else:
            words.append(Word(token))
        i += 1
    return words


def is_yes(text):
    """A plain agreement ("yes", "yeah that works", "sure, go ahead") with no "no" in it."""
    if not text:
        return False
    if is_no(text):
        return False
    return any(has_phrase(text, phrase) for phrase in YES)


# After a yes, "and no tire rotation", "but no rush": "no" as a word about a thing, not a refusal.
_AGREED = re.compile(r"^(?:yes|yeah|yep|yup|sure|ok|okay|correct|right)\b(?! no\b)")
_NO_THING = re.compile(
    r"\b(?:and|with|but|just|so) no (?!(?:i|we|thanks|thank|wait|sorry|actually|that|it|not|don't|dont|way|no)\b)\w+"
)


def is_no(text):
    if not text:
        return False
    if has_any(text, ("no problem", "not a problem")) and not has_phrase(text, "no no"):
        return False
    if _AGREED.match(text):
        text = _NO_THING.sub(" ", text)
    return any(has_phrase(text, phrase) for phrase in NO)


def ordinal(n):
    """14 -> "14th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
