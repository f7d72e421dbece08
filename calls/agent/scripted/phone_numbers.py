"""A phone number as a caller says it: "seven seven three, five five five, zero one two three",
"three one two five five five oh one nine eight", "double five", "773-555-0123", "(312) 555 0198".

The words become digits here; whether the digits are a phone number is phonenumbers' call.
"""

import re

import phonenumbers

from calls.agent.scripted.words import TENS, UNITS, normalize

REGION = "US"  # how a number without a country code is read; the take_message tool checks it again
DIGIT_WORDS = {**{w: str(n) for w, n in UNITS.items() if n < 10}, "oh": "0", "o": "0", "niner": "9"}
TEENS = {w: str(n) for w, n in UNITS.items() if n >= 10}
INSIDE = frozenset({"dash", "hyphen", "area", "code", "then", "and", "plus"})  # words said between the digits


def phone_number(text, previous=None):
    """The E.164 number said in `text` ("+17735550123"), or None. Three or four digits said after a
    number (in `text` or the `previous` one) correct its end: "312 555 0190, sorry, no, 0191"."""
    number, partial = None, ""
    said = EXTENSION.sub(" ", normalize(text).replace("-", " "))
    corrects = re.search(r"\b(?:no|sorry|i mean|wait|actually|scratch that)\b", said) is not None
    for run in _digit_runs(said):
        whole = _number(run)
        base = number or previous
        if whole:
            number = whole
        elif base and 3 <= len(run) <= 4 and base.startswith("+1"):
            number = _number(base[2:][: -len(run)] + run) or number
        elif partial and corrects and len(partial) < 10 < len(partial) + len(run):
            # "five five five, oh one, no sorry, oh two one nine": the correction ends the number
            number = _number(partial[: 10 - len(run)] + run) or number
        partial = "" if whole else run
    return number


_DIGIT = r"(?:\d+|zero|oh|o|one|two|three|four|five|six|seven|eight|nine)"
# "312-555-0142, extension 214": the extension is for whoever picks up, not part of the number.
EXTENSION = re.compile(rf"\b(?:extension|ext|x)(?: number)?(?: is)?((?: {_DIGIT})+)\b")


def extension_in(text):
    """The extension said with a number ("extension 214" -> "214"), or None."""
    match = EXTENSION.search(normalize(text).replace("-", " "))
    if not match:
        return None
    return "".join(word if word.isdigit() else DIGIT_WORDS.get(word, "") for word in match[1].split()) or None


def numbers_in(text):
    """Every phone number said in `text`, in order."""
    found = []
    for run in _digit_runs(EXTENSION.sub(" ", normalize(text).replace("-", " "))):
        number = _number(run)
        if number and number not in found:
            found.append(number)
    return found


def has_digits(text):
    """Did the caller say a run of at least 5 digits (a number, right or not)?"""
    return any(len(run) >= 5 for run in _digit_runs(normalize(text).replace("-", " ")))


def say_number(e164):
    """ "7 7 3, 5 5 5, 0 1 2 3", for reading a US number back digit by digit."""
    digits = e164.removeprefix("+1") if e164.startswith("+1") and len(e164) == 12 else e164.lstrip("+")
    groups = [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else [digits]
    return ", ".join(" ".join(group) for group in groups)


def _number(digits):
    """The digits as a valid number; a longer run is tried as its last and its first ten digits."""
    for candidate in (digits, digits[-10:], digits[:10], digits[:11]):
        if not 10 <= len(candidate) <= 11:
            continue
        try:
            number = phonenumbers.parse(candidate, REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _digit_runs(said):
    """The digits of each stretch of the utterance that is only digits and number words; an area
    code said last ("five five five oh one two three, area code seven seven three") goes first."""
    runs = _stretches(said)
    joined = []
    for index, (digits, _start, end) in enumerate(runs):
        if joined and joined[-1] is None:
            joined[-1] = ""
            continue
        following = runs[index + 1] if index + 1 < len(runs) else None
        if following and len(digits) == 7 and len(following[0]) == 3:
            between = said.split()[end : following[1]]
            if "area" in between and "code" in between and len(between) <= 6:
                joined.append(following[0] + digits)
                joined.append(None)
                continue
        joined.append(digits)
    return [run for run in joined if run]


def _stretches(said):
    """(digits, first word index, index after the last word) of each stretch of digit words."""
    runs, digits, repeat, start = [], [], 1, 0
    words = said.split()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        piece = None
        if word.isdigit():
            piece = word
        elif word in DIGIT_WORDS and (word not in ("oh", "o") or digits or _is_digit_word(following)):
            piece = DIGIT_WORDS[word]
        elif word in TEENS and digits:
            piece = TEENS[word]
        elif word in TENS and digits:
            piece = str(TENS[word])[0] + (DIGIT_WORDS[following] if following in DIGIT_WORDS else "0")
            if following in DIGIT_WORDS:
                words[index + 1] = ""  # "twenty three" is 23: the unit is taken
        elif word == "hundred" and digits:
            piece = "00"
        elif word == "thousand" and digits:
            piece = "000"
        elif word in ("double", "triple") and _is_digit_word(following):
            repeat = 2 if word == "double" else 3
            continue
        elif word == "" or (word in INSIDE and digits and _is_digit_word(following)):
            continue
        if piece is None:
            if digits:
                runs.append(("".join(digits), start, index))
            digits, repeat = [], 1
            continue
        if not digits:
            start = index
        digits.append(piece * repeat if len(piece) == 1 else piece)
        repeat = 1
    if digits:
        runs.append(("".join(digits), start, len(words)))
    return runs


def _is_digit_word(word):
    return word.isdigit() or word in DIGIT_WORDS or word in ("double", "triple")
