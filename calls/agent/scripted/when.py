"""Days and times as callers say them, read against the shop's clock.

Hand-written rules rather than a general date parser: the spoken forms a receptionist hears
are few ("next Tuesday afternoon", "the 14th at 2", "half past nine", "in two weeks"), and
they need phone-specific readings a general parser gets wrong — a bare "at 2" at a repair
shop means 2 PM, "the 14th" means the next 14th to come, "Tuesday" said on a Tuesday means
next week. (dateparser 1.5, tried first, read "the 14th at 2" as February 14th at midnight
and "tomorrow at 9" as 10 AM.) Everything is a pure function of the text and `today`.
"""

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from calls.agent.scripted.words import WHEN_YOU_OPEN, corrections, normalize, ordinal, spoken_numbers

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "july": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9, "october": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "weds": 2, "thursday": 3, "thurs": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}

ASAP = (
    "as soon as possible", "asap", "earliest", "soonest", "first available", "next available",
    "first opening", "next opening", "whenever", "any time", "anytime", "any day", "whatever you have",
    "what do you have", "what have you got", "what's available", "what is available", "when can you",
    "when are you free", "when do you have",
)  # fmt: skip


@dataclass(frozen=True)
class When:
    day: date | None = None
    span_days: int = 1  # > 1 for "next week": any day of it
    clock: time | None = None  # an exact time
    part: str | None = None  # "morning" | "afternoon" | "evening"
    after: time | None = None  # "any time after 2"
    before: time | None = None
    asap: bool = False
    browsing: bool = False  # "what do you have Monday": asking what is free, not for a time
    edge: str | None = None  # "first" | "last": the first or last free time ("first thing", "end of the day")
    problem: str | None = None  # a spoken reason the day or time cannot be (February 30th)
    roughly: bool = False  # the time was hedged ("like nine", "ten-ish", "I'm not picky"): a near one will do

    @property
    def said_anything(self):
        return bool(
            self.day or self.clock or self.part or self.after or self.before or self.edge or self.asap or self.problem
        )

    def merged_over(self, earlier):
        """A correction: what was said now, with the rest kept from `earlier`."""
        if earlier is None:
            return self
        if self.asap and self.day is None and (self.part or self.after or self.before) and earlier.day:
            # "any time in the afternoon" about Monday's times: Monday afternoon, not the soonest afternoon
            return replace(self, day=earlier.day, span_days=earlier.span_days, asap=False, browsing=False)
        if self.day is not None or self.asap:
            keep_time = not self.browsing and not (self.clock or self.part or self.after or self.before or self.edge)
            if keep_time:
                return replace(
                    self, clock=earlier.clock, part=earlier.part, after=earlier.after, before=earlier.before,
                    edge=earlier.edge,
                )  # fmt: skip
            return self
        if self.clock or self.part or self.after or self.before or self.edge:
            return replace(self, day=earlier.day, span_days=earlier.span_days, asap=earlier.asap)
        return earlier


# A car's model year said as words or digits ("a twenty twenty Nissan Rogue", "my 2019 Honda"), never a time.
_NUMBER_WORD = (
    r"(?:oh[\s-]+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?)"
)
_MODEL_YEAR = re.compile(
    rf"\b(a|an|my|the|his|her|our|their|its|it's a|it is a|that's a|this)\s+"
    rf"(?:(?:nineteen|twenty)[\s-]+{_NUMBER_WORD}|(?:19|20)\d\d|'\d\d)\b(?!\s*(?:am|pm|a\.m|p\.m|o'?clock)\b)",
    re.IGNORECASE,
)


def parse_when(text, today, *, expect_time=False):
    """What day and time the caller asked for. `expect_time`: a bare "2" is a time (we asked).
    What the caller took back is replaced by its correction ("Tuesday at eight, actually ten")."""
    text = _HOUR_THEN_HALF.sub(r"\1ish", _MODEL_YEAR.sub(r"\1", text or ""))  # "one, one-thirty" is not "one" twice
    s = _without_today_named(_digitized(_said_twice(text), expect_time=expect_time), today)
    for at in corrections(s):
        earlier = _when(s[:at], today, expect_time=expect_time)
        later = _when(s[at:], today, expect_time=expect_time)
        if not later.said_anything and earlier.clock:
            later = _bare_hour(s[at:])  # "at eight, actually, ten"
        if later.said_anything:
            return later.merged_over(earlier)
    return _when(s, today, expect_time=expect_time)


# "I know it's Saturday, but could I get in Monday?": today's weekday, said as a fact, asks for nothing.
_TODAY_IS = re.compile(r"\b(?:it's|it is|today is|today's|since it's|given it's)(?: a| only)? ([a-z]+)\b")


_TWICE = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)[.,!?;]+\s+\1\b", re.IGNORECASE
)


def _said_twice(text):
    """ "Ten. Ten a m." is ten, said again, not 10:10."""
    return _TWICE.sub(r"\1", text or "")


def _without_today_named(s, today):
    def drop(match):
        return " " if WEEKDAYS.get(match[1]) == today.weekday() else match[0]

    return _TODAY_IS.sub(drop, s)


def _bare_hour(s):
    match = re.search(rf"\b(\d{{1,2}})\b{_NOT_A_TIME}", s)
    clock = _resolved(int(match[1]), 0, None, None) if match else None
    if clock in (None, "invalid"):
        return When()
    return When(clock=clock, part="morning" if clock.hour < 12 else "afternoon")


# "Could I swing by in like twenty minutes?", "in an hour", "right now": today, as soon as there is room.
SOON = re.compile(
    r"\bin (?:like |about |around |maybe |say )?(?:\d{1,3}|an|a|half an|a half|a couple(?: of)?|a few)"
    r" (?:minutes?|mins?|hours?)\b|\b(?:right now|right away|straight away)\b"
    r"|\b(?:\d{1,3}|an|a|half an|a couple(?: of)?|a few) (?:minutes?|mins?|hours?) from now\b"
)


def _when(s, today, *, expect_time):
    day, span, problem = _day(s, today)
    clock, part, window, time_problem = _time(s, expect_time=expect_time)
    edge = _edge(s)
    if day is None and clock is None and SOON.search(s):
        day, edge = today, edge or "first"
    if edge == "last" and part is None and clock is None:
        part = "afternoon"
    asap = any(re.search(rf"\b{re.escape(p)}\b", s) for p in ASAP)
    return When(
        day=day,
        span_days=span,
        clock=clock,
        part=part,
        after=window[0],
        before=window[1],
        asap=asap and day is None and clock is None,  # "first thing, seven thirty": that time, not the soonest
        browsing=asap,
        edge=edge if clock is None else None,
        problem=problem or time_problem,
        roughly=bool(clock and HEDGED.search(s)),
    )


# "Like nine? I'm not picky", "around ten", "two-ish" (written "around 2" by _digitized), "ten or so".
HEDGED = re.compile(
    r"\b(?:like|around|round|about|roughly|approximately|maybe) \d"
    r"|\b\d{1,2}(?::\d\d)?(?: ?(?:am|pm))? (?:or so|give or take|or thereabouts)\b|\b\d{1,2}(?::\d\d)?[- ]?ish\b"
    r"|\b(?:not picky|not fussy|i'm flexible|i am flexible|whatever's close|or close to that|or close)\b"
)


def _edge(s):
    """ "first thing", "the earliest you have": the first free time; "end of the day": the last."""
    if re.search(r"\b(earliest|soonest|early as|early is|as early|early (in the )?morning)\b", s):
        return "first"
    if re.search(r"\b(latest|late as|end of (the|your|my) day|end of day|last thing|close of business)\b", s):
        return "last"
    return None


_PAST = r"(?:came on|come on|started|began|happened|noticed|broke down|broke|went out|went off|died|since)"
_WHEN_IT_HAPPENED = re.compile(
    rf"\b{_PAST}(?: \w+)?? (?:this morning|this afternoon|this evening|earlier today|today|yesterday|last night"
    rf"|last week|(?:on |last )?(?:{_WEEKDAY}))\b"
)


# Speech-to-text writes an hour as a word that sounds like it: "at to thirty", "won o'clock", "ate am".
SOUND_ALIKE_HOURS = {"to": "2", "too": "2", "won": "1", "for": "4", "fore": "4", "ate": "8"}
_SOUND_ALIKE = "|".join(SOUND_ALIKE_HOURS)
_MINUTES_AFTER = (
    r"(?:thirty|fifteen|forty five|forty|fourty|oclock|am|pm|in the (?:morning|afternoon|evening))"
    r"(?! (?:minutes?|mins?|seconds?|days?|bucks|dollars)\b)"
)


def _sound_alike_hours(s, *, expect_time):
    """ "at to thirty" -> "at 2 thirty": a sound-alike word where an hour belongs (after "at" and
    before minutes or am/pm; or the whole answer when we asked for a time)."""

    def hour(match):
        return f"{match[1]}{SOUND_ALIKE_HOURS[match[2]]}"

    s = re.sub(
        rf"\b((?:at|around|about|by|say|like|maybe|or|how about) )({_SOUND_ALIKE})\b(?= {_MINUTES_AFTER}\b)", hour, s
    )
    s = re.sub(r"\b(at )(to|too|won|ate)\b(?! \w+ing\b)(?=$| in the| please| then)", hour, s)
    if expect_time:
        s = re.sub(
            rf"^((?:um |uh |maybe |how about |just |ok |okay |yeah )*)({_SOUND_ALIKE})\b(?= {_MINUTES_AFTER}\b|$)",
            hour,
            s,
        )
    return s


_GREETING = re.compile(
    r"^\s*(?:good\s+)?(?:morning|afternoon|evening)\s*[.,!;:\u2014-]+\s*"
    r"(?=(?:i|the|our|there|i'm|i've|my|so|this|we|we've|it|it's|just|hi|hey|hello|yeah|yes|um|uh|got|can|could|quick|listen"
    r"|ah|oh|okay|ok|well|look|need|calling)\b)",
    re.IGNORECASE,
)


def _without_greeting(text):
    """ "Evening. My check engine light...": a greeting is no part of the day the caller asks for."""
    return _GREETING.sub("", text or "")


# Tens, a pause, then an hour: two times ("seven-thirty, eight"), not one number ("thirty-eight").
_HOUR_THEN_HALF = re.compile(
    r"(?<!half )\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\s*[,;]+\s*"
    r"\1(?:[- :]?(?:thirty|fifteen|forty[- ]five|30|15|45))\b",
    re.I,
)
_TENS_THEN_HOUR = re.compile(
    r"\b(twenty|thirty|forty|fifty)\s*[,;.?!]+\s*(?=(?:one|two|three|four|five|six|seven|eight|nine)\b)", re.I
)


def _digitized(text, *, expect_time=False):
    """Normalized text with number words as digits and ordinals as "14th"; when something happened
    to the car ("the light came on this morning") is not a day the caller is asking for."""
    text = _TENS_THEN_HOUR.sub(r"\1 or ", text)  # "seven-thirty, eight": no 7:38
    s = _WHEN_IT_HAPPENED.sub("", normalize(_without_greeting(text)))
    s = WHEN_YOU_OPEN.sub("early morning", s)  # "whenever you open": the first time of the day
    s = re.sub(r"\bfirst thing\b", "earliest morning", s)
    s = re.sub(
        r"\b(noon|\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[ -]?ish\b", r"around \1", s
    )
    # the caller's own lunch is no time asked for: "twelve fifteen? That's my lunch break", "I'll take a late lunch"
    s = re.sub(r"\b(?:my|a|his|her|our|their|late|your) lunch(?: ?break| ?hour)?\b", " ", s)
    s = re.sub(r"\b(?<!after )(?<!past )lunch(?: ?time)?\b", "noon", s)  # "around lunch", "before lunch"
    s = re.sub(r"\b(at|around|by) for\b", r"\1 4", s)  # Whisper hears "at four" as "at for"
    s = re.sub(r"\bfor(?= (?:am|pm|oclock)\b)", "4", s)
    s = re.sub(r"\b(?:have|half|hap) pass(?:ed)?\b|\bhave past\b", "half past", s)  # and "half past" as "have past"
    s = re.sub(r"\bfirst (available|opening)\b", r"next \1", s)
    s = re.sub(r"\b(a|one) o'?clock\b", "1 oclock", s)
    s = re.sub(r"\bo'?clock\b", "oclock", s)
    s = _sound_alike_hours(s, expect_time=expect_time)
    pieces = []
    for word in spoken_numbers(s):
        said_as_word = not word.text[:1].isdigit()
        if word.ordinal is not None and (not said_as_word or (pieces and pieces[-1] in ("the", "on", *MONTHS))):
            pieces.append(f"{word.ordinal}th")
        elif word.number is not None:
            pieces.append(str(word.number))
        else:
            pieces.append(word.text)
    s = " ".join(pieces)
    s = re.sub(r"\b(\d{1,2}) oh (\d)\b", r"\1:0\2", s)  # nine oh five
    s = re.sub(r"\b(\d{1,2}) (\d)\b(?= (?:am|pm)\b)", r"\1:0\2", s)
    # "same time, ten": ten o'clock, said again
    return re.sub(r"\bsame time (\d{1,2}(?::\d\d)?)\b(?! ?(?:minutes?|hours?|days?|weeks?))", r"same time at \1", s)


# --- days ---------------------------------------------------------------------------------


def _day(s, today):
    """(day, span_days, problem)."""
    past = r"\byesterday\b|\blast (?:week|" + _WEEKDAY + r")\b"
    if re.search(past, s):
        found = _day(re.sub(past, " ", s), today)  # "Monday, first thing ... he did my brakes last week": Monday
        return found if found[0] is not None else (None, 1, "That day has already passed.")
    found = _relative(s, today)
    if found:
        return found
    if re.search(r"\bday after tomorrow\b", s):
        return today + timedelta(days=2), 1, None
    if any(not _rejected(s, m) for m in re.finditer(r"\btomorrow\b", s)):  # not "not tomorrow, the Wednesday after"
        return today + timedelta(days=1), 1, None
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening)|later today)\b", s):
        return today, 1, None
    found = _month_day(s, today) or _nth(s, today) or _weekday(s, today)
    if found:
        return found
    end = re.search(r"\b(?<!by )(?<!by the )end of (?:the |this |next )?week\b", s)
    if end:  # its last working days, Thursday to Saturday ("by the end of the week" is any day till then)
        thursday = today + timedelta(days=3 - today.weekday())
        if "next week" in end[0] or today.weekday() == 6:
            thursday += timedelta(days=7)
        first = max(today, thursday)
        return first, (thursday + timedelta(days=2) - first).days + 1, None
    if re.search(r"\bweek after next\b", s):
        return today + timedelta(days=14 - today.weekday()), 6, None
    if re.search(r"\bnext week\b", s):
        monday = today + timedelta(days=7 - today.weekday())
        first = monday
        ruled_out = _ruled_out_days(s)
        while first.weekday() in ruled_out and first < monday + timedelta(days=5):
            first += timedelta(days=1)  # "next week, not Monday though": from Tuesday
        return first, 6 - (first - monday).days, None
    if re.search(r"\b(this|later this|end of the|end of this) week\b", s):
        return today, max(1, 6 - today.weekday()), None
    if re.search(r"\bweekend\b", s):
        return today + timedelta(days=(5 - today.weekday()) % 7), 1, None
    return None, 1, None


def _month_day(s, today):
    patterns = (
        rf"\b(?P<month>{_MONTH}) (?:the )?(?P<day>\d{{1,2}})(?:th)?\b",
        rf"\b(?:the )?(?P<day>\d{{1,2}})(?:th)? of (?P<month>{_MONTH})\b",
        rf"\b(?P<day>\d{{1,2}})th (?P<month>{_MONTH})\b",
    )
    for pattern in patterns:
        match = re.search(pattern, s)
        if match:
            return _dated(MONTHS[match["month"]], int(match["day"]), today)
    match = re.search(r"\b(\d{1,2})/(\d{1,2})\b", s)
    if match and 1 <= int(match[1]) <= 12:
        return _dated(int(match[1]), int(match[2]), today)
    return None


def _dated(month, day, today):
    month_name = calendar.month_name[month]
    if day < 1 or day > 31:
        return None, 1, f"There's no {month_name} {ordinal(day)}."
    year = today.year
    if (month, day) < (today.month, today.day):
        year += 1
    last = calendar.monthrange(year, month)[1]
    if day > last:
        if month == 2:
            return None, 1, f"There's no February {ordinal(day)}; February has {last} days in {year}."
        return None, 1, f"There's no {month_name} {ordinal(day)}; {month_name} has {last} days."
    return date(year, month, day), 1, None


def _nth(s, today):
    match = re.search(r"\b(\d{1,2})th\b", s)
    if not match or re.search(rf"\b{match[1]}th (?:\w+ )?(one|1|option|time|slot|choice|opening)\b", s):
        return None
    if re.search(rf"\b{match[1]}th of (?:those|them|these|the (?:times|ones|three|two)|what you)\b", s):
        return None  # "the first of those": one of the times offered
    wanted = int(match[1])
    if wanted < 1 or wanted > 31:
        return None, 1, f"There's no {ordinal(wanted)} in any month."
    year, month = today.year, today.month
    if wanted < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while wanted > calendar.monthrange(year, month)[1]:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, wanted), 1, None


def _weekday(s, today):
    matches = list(
        re.finditer(
            rf"\b(?:(?P<which>next|this|coming|this coming) )?(?P<day>{_WEEKDAY})s?\b(?P<after> after next)?", s
        )
    )
    if not matches:
        return None
    ruled_out = _ruled_out_days(s)  # "not Monday though, I've got a thing Monday": neither is asked for
    kept = [m for m in matches if not _rejected(s, m) and not (WEEKDAYS[m["day"]] in ruled_out and _bare(s, m))]
    if not kept:
        thrown = next((m for m in matches if m["which"] in ("this", "coming", "this coming") and _rejected(s, m)), None)
        if thrown is None or not _ONE_AFTER.search(s):
            return None
        # "not this Friday, the one after that": the week after the one ruled out
        ahead = (WEEKDAYS[thrown["day"]] - today.weekday()) % 7 or (0 if thrown["which"] == "this" else 7)
        return today + timedelta(days=ahead + 7), 1, None
    match = kept[0]
    weekday = WEEKDAYS[match["day"]]
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and match["which"] not in ("this",):
        ahead = 7
    if _THE_ONE_AFTER.match(s[match.end() :]) and re.search(r"(?:^|\b(?:the|a))\s*$", s[: match.start()]):
        ahead += 7  # "the Wednesday after (this one)", "the Friday after that": not the coming one
    elif re.search(r"\bthe following\s+$", s[: match.start()]):
        ahead += 7  # "the following Friday"
    if re.search(r"\bweek after next\b", s):  # "the week after next, the Wednesday"
        monday = today + timedelta(days=14 - today.weekday())
        return monday + timedelta(days=weekday), 1, None
    if re.search(rf"\bnext week(?: on)? (?:{_WEEKDAY})\b|\b(?:{_WEEKDAY}) (?:of )?next week\b", s):
        monday = today + timedelta(days=7 - today.weekday())
        return monday + timedelta(days=weekday), 1, None
    weeks = re.search(rf"\b(a|1|2|3) weeks? from (?:this |next )?(?:{_WEEKDAY})\b", s)
    if match["after"]:
        ahead += 7
    elif weeks:
        ahead += 7 * (1 if weeks[1] in ("a", "1") else int(weeks[1]))
    return today + timedelta(days=ahead), 1, None


# "Not this Friday, the one after that", "the next one after".
_ONE_AFTER = re.compile(r"\bthe (?:one|1|week) after\b|\bthe (?:next|following) (?:one|1)\b|\ba week later\b")
# After a weekday: "the Wednesday after.", "the Friday after this one", "after that" (not "after work", "after 3").
_THE_ONE_AFTER = re.compile(
    r"^s? after (?:this|that)(?: one| 1)?\b"
    r"|^s? after(?=\s*(?:[.,!?;]|$|\b(?:instead|then|first|earliest|same|at|in|please|morning|afternoon|a week)\b))"
)
_REJECTED_BEFORE = re.compile(
    r"\b(?:not|can't do|cannot do|can't make|cannot make|can't on|not on)(?: this| next| on)?\s*$"
)
_REJECTED_AFTER = re.compile(
    r"^(?:'s| is| s)? (?:i've got|i have got|i got|i have|ive got) (?:the|a|an|my|work|class|school)\b"
    r"|^ (?:i'm|im|i am) (?:busy|working|out of town|away|booked)\b|^ (?:i can't|i cannot|i work)\b"
    r"|^(?:'s| is| s)? (?:no good|not good|not great|out|bad|won't work|will not work|doesn't work|does not work"
    r"|isn't going to work|is not going to work|not going to work|won't do|doesn't suit|is a no)\b"
)


def _bare(s, match):
    """A weekday said alone ("a thing Monday"), not "next Monday", "a week from Monday" or "Monday after next"."""
    return not match["which"] and not match["after"] and not re.search(r"\bfrom\s*$", s[: match.start()])


def _ruled_out_days(s):
    """The weekdays the caller rules out ("not Monday though", "Monday's no good")."""
    return {WEEKDAYS[m["day"]] for m in re.finditer(rf"\b(?P<day>{_WEEKDAY})s?\b", s) if _rejected(s, m)}


def _rejected(s, match):
    """ "Friday's no good", "not this Monday": a day named only to rule it out."""
    return bool(_REJECTED_BEFORE.search(s[: match.start()]) or _REJECTED_AFTER.search(s[match.end() :]))


def _relative(s, today):
    # "in a week", but not "bring it in a week from Monday" (a week after Monday: see _weekday)
    match = re.search(
        r"\bin (a|an|1|2|3|4|5|6|7|8|9|10|a couple of|a couple|a few) (days?|weeks?)\b(?! from (?!today|now)\w)", s
    )
    match = match or re.search(r"\b(a|1|2|3|4|5|6|7|8|9|10|11|12|13|14) (days?|weeks?) (?:from (?:today|now)|out)\b", s)
    # "... to a | week from today": a words' cut may leave the article behind
    match = match or re.search(r"^()(week) from (?:today|now)\b", s)
    if match:
        count = {"": 1, "a": 1, "an": 1, "a couple of": 2, "a couple": 2, "a few": 3}.get(match[1]) or int(match[1])
        return today + timedelta(days=count * _UNITS[match[2]]), 1, None
    match = re.search(r"\b(a|1|2)? ?weeks? from tomorrow\b", s)
    if match:
        return today + timedelta(days=1 + 7 * (int(match[1]) if (match[1] or "a").isdigit() else 1)), 1, None
    return None


# --- times --------------------------------------------------------------------------------

_NOT_A_TIME = r"(?! ?(?:th|/|days?|weeks?|of|people|cars?|minutes?|hours?|miles?|years?|hundred|grand|thousand|bucks|dollars|percent)\b)"


PARTS_SAID = re.compile(r"\b(mornings|afternoons|evenings)\b")


def _not_then(s, match):
    """ "I can't do mornings", "mornings are bad", "mornings I've got the kids", "afternoons I work": a
    part of the day ruled out."""
    before = s[max(0, match.start() - 40) : match.start()]
    after = s[match.end() : match.end() + 30]
    return bool(
        re.search(r"\b(?:can't|cannot|can not|not|no|don't|never|hate|won't|couldn't)\b(?:\s+\w+){0,3}\s*$", before)
        or re.match(r"\s*(?:are|is|were|'re)\s+(?:bad|out|no good|tough|hard|impossible|a no|not)\b", after)
        or re.match(r"\s*(?:i(?! mean\b)|i've|i'm|i have|i got|we|we've)\b", after)
    )


def _time(s, *, expect_time):
    """(time, part of day, (after, before), problem)."""
    part = None
    if re.search(r"\bmorning\b|\d am\b", s):
        part = "morning"
    if re.search(r"\b(afternoon|lunch ?time|after lunch)\b|\d pm\b", s):
        part = "afternoon"
    if re.search(r"\b(evening|tonight|after work)\b", s):
        part = "evening"
    if part is None:  # "Tuesday's best, mornings"; not "I can't do mornings anymore", nor "afternoons I work"
        plural = [m for m in PARTS_SAID.finditer(s) if not _not_then(s, m)]
        part = plural[0][1].removesuffix("s") if len(plural) == 1 else None
    if re.search(r"\bmidnight\b", s):
        return None, part, (None, None), "We're not open at midnight."
    between = _between(s, part)
    if between is not None:
        after, before = between
        if part is None:
            part = "morning" if before <= time(12) else "afternoon" if after >= time(12) else None
        return None, part, between, None
    clock, at = _clock(s, part, expect_time=expect_time)
    if clock == "invalid":
        return None, part, (None, None), "I didn't catch a time I can use."
    window = (None, None)
    if clock is not None and at is not None and _REJECTED_BEFORE.search(s[:at]):
        clock = None  # "I can't do eight anymore": a time named only to rule it out
    if clock is not None and at is not None:
        before_text = s[:at]
        cannot_before = r"\b(?:can't|cannot|can not|won't|couldn't|not able to) (?:\w+ ){0,3}(?:before|until|till)\s*$"
        if re.search(r"\b(after|no earlier than|not before|from)\s*$", before_text) or re.search(
            cannot_before, before_text
        ):  # "I can't get there before three-thirty": from then on
            window, clock = (clock, None), None
        elif re.search(r"\b(before|no later than|not after|by)\s*$", before_text):
            window, clock = (None, clock), None
    if clock is not None and (part is None or part == "afternoon" and clock.hour < 12):
        part = "morning" if clock.hour < 12 else "afternoon"
    if clock is None and window == (None, None):
        window = _rough_window(s)
    return clock, part, window, None


_HOUR = r"(noon|\d{1,2}(?::\d{2})?)(?: (am|pm|oclock))?"
_BETWEEN = re.compile(
    rf"\b(?:between|from|anywhere from|sometime between) {_HOUR} (?:and|to|till|until|through) {_HOUR}\b"
)


def _between(s, part):
    """ "between 9 and 11", "from 1 to 3": a window (after, before), or None."""
    match = _BETWEEN.search(s)
    if not match:
        return None
    ends = []
    for hour, marker in ((match[1], match[2] or (match[4] if match[4] != "oclock" else None)), (match[3], match[4])):
        if hour == "noon":
            ends.append(time(12))
            continue
        h, _, m = hour.partition(":")
        marker = None if marker == "oclock" else marker
        ends.append(_resolved(int(h), int(m or 0), marker, part))
    after, before = ends
    if "invalid" in ends or after >= before:
        if after != "invalid" and before != "invalid" and before.hour < 12 and after.hour < 12 and not match[4]:
            before = time(before.hour + 12, before.minute)  # "between 11 and 1"
            return (after, before) if after < before else None
        return None
    return after, before


def _rough_window(s):
    """ "late afternoon" and the like, as (after, before)."""
    for words, window in (
        ("late afternoon", (time(15), None)),
        ("early afternoon", (None, time(15))),
        ("late morning", (time(10), None)),
        ("mid morning", (time(9), time(11))),
        ("midmorning", (time(9), time(11))),
    ):
        if re.search(rf"\b{words}\b", s):
            return window
    return None, None


def _clock(s, part, *, expect_time):
    """(time or None or "invalid", position of the time in s)."""
    match = re.search(r"\b(noon|midday|12 noon)\b", s)
    if match:
        return time(12), match.start()
    match = re.search(r"\bhalf past (\d{1,2})\b", s)
    if match:
        return _resolved(int(match[1]), 30, None, part), match.start()
    match = re.search(rf"\bhalf (\d{{1,2}})\b{_NOT_A_TIME}", s)  # British "half eleven": 11:30
    if match:
        return _resolved(int(match[1]), 30, None, part), match.start()
    match = re.search(r"\bquarter (past|after) (\d{1,2})\b", s)
    if match:
        return _resolved(int(match[2]), 15, None, part), match.start()
    match = re.search(r"\bquarter (to|of|till) (\d{1,2})\b", s)
    if match:
        return _resolved(int(match[2]) - 1, 45, None, part), match.start()
    match = re.search(r"\b(5|10|20|25) (?:minutes )?(?:past|after) (\d{1,2})\b(?! (?:minutes?|days?|weeks?)\b)", s)
    if match and 1 <= int(match[2]) <= 12:  # "twenty past nine": 9:20
        return _resolved(int(match[2]), int(match[1]), None, part), match.start()
    match = re.search(r"\b(5|10|20|25) (?:minutes )?(?:to|till|til) (\d{1,2})\b(?! (?:minutes?|days?|weeks?)\b)", s)
    if match and 1 <= int(match[2]) <= 12:  # "ten to nine": 8:50
        return _resolved(int(match[2]) - 1 or 12, 60 - int(match[1]), None, part), match.start()
    match = re.search(r"\b(\d{1,2}):(\d{2})(?: (am|pm))?\b", s)
    if match:
        return _resolved(int(match[1]), int(match[2]), match[3], part), match.start()
    match = re.search(r"\b(\d{1,2}) (\d{2})(?: (am|pm|oclock))?\b(?! (?:days?|weeks?|of)\b)", s)
    if match and 10 <= int(match[2]) <= 59 and not re.search(rf"\b(?:{_MONTH}) {match[1]} {match[2]}\b", s):
        return _resolved(int(match[1]), int(match[2]), match[3], part), match.start()
    match = re.search(r"\b(\d{1,2}) (am|pm|oclock)\b", s) or re.search(
        r"\b(\d{1,2}) in the (morning|afternoon|evening)\b", s
    )
    if match:
        return _resolved(int(match[1]), 0, match[2], part), match.start()
    match = re.search(
        r"\b(?:at|around|round|about|by|after|before|from|say|make it|make that|how about|what about|maybe|or|for|do"
        r"|(?:change|move|push|switch|bump) (?:it|that) to)"
        rf" (\d{{1,2}})\b{_NOT_A_TIME}",
        s,
    )
    if match:
        return _resolved(int(match[1]), 0, None, part), match.start(1)
    match = re.search(  # "Oil change. Thursday. Nine.": an hour right after the day is the time on it
        rf"\b(?:(?:{_WEEKDAY})s?|today|tomorrow) (\d{{1,2}})\b{_NOT_A_TIME}(?! (?:\d|{_MONTH})\b)", s
    )
    if match:
        return _resolved(int(match[1]), 0, None, part), match.start(1)
    match = re.search(  # "Thursday morning? Like ten?": a hedged hour just after the day or part of it
        rf"\b(?:(?:{_WEEKDAY})s?|today|tomorrow|morning|afternoon)(?: (?:um|uh|so|or|maybe))? like (\d{{1,2}})\b{_NOT_A_TIME}"
        rf"(?! (?:\d|{_MONTH})\b)",
        s,
    )
    if match:
        return _resolved(int(match[1]), 0, None, part), match.start(1)
    if expect_time:
        match = re.fullmatch(
            r"(?:(?:um|uh|let's say|let's do|maybe|how about|is|at|just|ok|okay|yeah) )*(\d{1,2})(?: please)?", s
        )
        if match:
            return _resolved(int(match[1]), 0, None, part), match.start(1)
        match = re.match(  # "eleven if you've got it", "two would be great"
            rf"(?:(?:um|uh|let's say|let's do|maybe|how about|just|ok|okay|yeah|well) )*(\d{{1,2}})\b{_NOT_A_TIME}"
            r"(?! ?(?:\d|am|pm|oclock|30|15|45|and|to|or)\b)",
            s,
        )
        if match:
            return _resolved(int(match[1]), 0, None, part), match.start(1)
        match = re.search(  # "the afternoon instead? like two": a hedged hour, when a time is asked for
            r"\blike (\d{1,2})(?= *$| (?:please|then|if|would|works|is|in the|maybe|i'm|im|that)\b)", s
        )
        if match:
            return _resolved(int(match[1]), 0, None, part), match.start(1)
    return None, None


def _resolved(hour, minute, marker, part):
    """A clock time; without am/pm, the hours a repair shop keeps decide (9 -> AM, 2 -> PM)."""
    if minute > 59 or hour > 23 or hour < 0:
        return "invalid"
    if marker in ("morning", "am"):
        if hour == 12:
            hour = 0
        elif hour > 12:
            return "invalid"
    elif marker in ("afternoon", "evening", "pm"):
        if hour < 12:
            hour += 12
    elif hour <= 12:
        if part == "evening" and hour < 12 or part == "afternoon" and hour < 7:  # "around 11, or after lunch": AM
            hour += 12
        elif (part != "morning" and 1 <= hour <= 6) or 1 <= hour <= 5:  # "morning, I have to be at work by one"
            hour += 12
    if hour == 0 and marker in ("morning", "am"):
        return "invalid"
    return time(hour, minute)
