"""What Whisper tiny.en writes, re-spelled the way the receptionist reads it: final transcripts only.

Whisper writes what it heard in its own spelling, and some of it a later reader misreads:

- clock times glued into one number ("ten thirty" -> "1030", "seven forty five" -> "745") read
  as a count; "10:30" reads as a time. Only a lone 3-4 digit number that is a clock time
  (1-12, then 00-59) said where a time goes (after "at", "around", "like"..., before "am",
  "works", "on Tuesday"..., or as the whole answer) is re-spelled, never a model ("F-150"),
  a year, a price or a mileage.
- "11 ish" -> "11ish", the way the date reader knows it.
- spelled letters joined by hyphens or dots ("S-I-O-B-H-A-N", "K.E.L.L.Y.") -> "S I O B H A N",
  one letter a word, as callers say them (and as word error rate counts them).
- homophones of the shop's words: "break(s)" -> "brake(s)" only beside a brake word ("break
  pads", "my breaks are squeaking"), never a lunch break.
Every word said stays: words are re-spelled, never dropped or added.
"""

import re

_TIME_BEFORE = (
    r"at|around|round|about|like|say|by|to|till|until|til|or|from|before|after|maybe|for|do|is|between|"
    r"probably|approximately|roughly|ish|then|it's|its|how about|what about"
)
_TIME_AFTER = (
    r"am|a\.m\.|pm|p\.m\.|o'clock|oclock|works|tomorrow|today|tonight|sharp|ish|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_GLUED_TIME = re.compile(
    rf"(?P<lead>(?<![\w'])(?:{_TIME_BEFORE})\s+)?"  # a word a time follows
    r"(?<![\w$.,:/-])(?P<hour>1[0-2]|0?[1-9])(?P<minute>[0-5]\d)(?![\w$%/:-]|[.,]\d)"
    r"(?P<tail>[.,!?]?(?:\s+(?P<after>[\w'.]+(?:\s+the)?))?)",
    re.IGNORECASE,
)
_NOT_TIMES = re.compile(r"^(?:dollars?|bucks|miles?|percent|k|people|cars?|times|of|and|\d)", re.IGNORECASE)
_ISH = re.compile(r"\b(\d{1,2}|noon) ish\b", re.IGNORECASE)
_JOINED_LETTERS = re.compile(r"(?<![\w'-])[A-Za-z](?:(?:-|\.\s?)[A-Za-z])+(?![\w'-])")
_BRAKE_AFTER = r"(?:job|jobs|pads?|rotors?|inspection|fluid|lines?|lights?|check|service|repair|work|pedal|shoes|calipers?|noise|problems?|issues?)"
_BREAK_BEFORE_PART = re.compile(rf"\bbreak(s)?(?=\s+{_BRAKE_AFTER}\b)", re.IGNORECASE)
_BREAKS_AS_PART = re.compile(
    r"\b(?P<lead>my|the|your|new|front|rear|our|his|her|their|its|check|checking|replace|replacing|do|did)\s+"
    r"(?P<word>breaks)\b(?!\s+(?:down|up|off|out|in|for|from)\b)",
    re.IGNORECASE,
)
_BREAKS_DOING = re.compile(
    r"\b(?P<word>breaks)(?=\s+(?:are|were|is|keep|started|have|feel|seem)\s+(?:\w+\s+)?"
    r"(?:squeak\w*|squeal\w*|grind\w*|soft|spongy|making|noisy|shot|worn|bad|going|gone|pulsing|shaking|vibrating|locking)\b)",
    re.IGNORECASE,
)


def readable(text):
    """`text` (one final transcript) with times, spelled letters and homophones as the receptionist reads them."""
    if not text:
        return text
    text = _JOINED_LETTERS.sub(_spaced_letters, text)
    text = _ISH.sub(r"\1ish", text)
    text = _GLUED_TIME.sub(_clock_time, text)
    text = _BREAK_BEFORE_PART.sub(lambda m: _same_case(m[0], "brake" + (m[1] or "")), text)
    text = _BREAKS_AS_PART.sub(lambda m: f"{m['lead']} {_same_case(m['word'], 'brakes')}", text)
    text = _BREAKS_DOING.sub(lambda m: _same_case(m["word"], "brakes"), text)
    return text


def _spaced_letters(match):
    """ "S-I-O-B-H-A-N" or "K.E.L.L.Y." -> "S I O B H A N" ("e.g." and "a.m." stay)."""
    letters = re.findall(r"[A-Za-z]", match[0])
    if "".join(letters).lower() in ("am", "pm", "eg", "ie", "us", "usa", "ac"):
        return match[0]
    return " ".join(letter.upper() for letter in letters)


def _clock_time(match):
    lead, tail, after = match["lead"] or "", match["tail"] or "", match["after"] or ""
    at_start = not match.string[: match.start()].strip(" ,.")
    time_word_after = bool(after) and re.fullmatch(_TIME_AFTER, after.split()[0], re.IGNORECASE) is not None
    said_as_time = bool(lead.strip()) or at_start or time_word_after
    digits_before = match.string[: match.start()].rstrip(" ,.-")[-1:].isdigit()  # a phone number, a VIN
    if not said_as_time or digits_before or (after and _NOT_TIMES.match(after)):
        return match[0]
    return f"{lead}{int(match['hour'])}:{match['minute']}{tail}"


def _same_case(original, word):
    return word.capitalize() if original[:1].isupper() else word
