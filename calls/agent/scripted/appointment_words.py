"""Which of the caller's appointments their words mean ("the alignment", "the one on Thursday",
"the 9 o'clock", "the second one", "both of them", "the alignment but keep the oil change"),
and for a move, the new day and time asked for ("later that same day", "Friday instead",
"same time on Thursday", "to next week").

Pure functions of the words, the appointments (get_upcoming_appointments' dicts) and `today`.
"""

import difflib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from calls.agent.scripted.services import FAMILIES, match_service
from calls.agent.scripted.speech import WEEKDAY_NAMES
from calls.agent.scripted.tool_times import local_time
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, has_phrase, latest_statement, normalize

ALL = (
    "both", "all of them", "all of my", "all my", "all the appointments", "all three", "all 3", "all two",
    "everything", "each of them", "every one", "all of those", "all of it", "the lot",
)  # fmt: skip
OTHER = ("other one", "the other", "other appointment", "different one", "wrong one", "not that one", "not this one")
KEEP_CLAUSE = re.compile(r"\b(?:but |and |just )?(?:keep|leave|don't cancel|don't touch|not the|but not)\b")
KEEP_IT = (
    "leave it", "leave it as", "keep it", "keep it as", "leave it be", "don't move it", "don't change it",
    "don't cancel it", "don't cancel", "don't move", "keep the appointment", "keep my appointment",
    "as it is", "leave things", "keep things", "not changing anything", "not changing it", "not moving it",
    "don't want to change", "don't want to move", "don't need to change", "don't need to move", "just checking",
    "just wanted to check", "just confirming", "just wanted to confirm", "just making sure", "no changes",
)  # fmt: skip
ORDINALS = {
    "first": 0, "1 st": 0, "former": 0, "earlier one": 0, "earliest one": 0, "sooner one": 0,
    "second": 1, "2 nd": 1, "third": 2, "3 rd": 2, "fourth": 3,
    "last": -1, "latter": -1, "later one": -1, "last one": -1,
}  # fmt: skip
NOT_ORDINAL = re.compile(r"\b(?:first|last) (?:thing|available|opening|time|week|day)\b|\bat last\b")
GENERIC_WORDS = {"change", "service", "check", "light", "fluid", "replacement", "and", "the", "engine"}
INSTEAD = re.compile(r"\b(?:instead|rather|works better|would be better|is better|better for me|suits me better)\b")
MOVE_CUTS = (
    " to ",
    " for ",
    " till ",
    " until ",
    " into ",
    " give me ",
    " how about ",
    " what about ",
    " you do ",
    " we do ",
)
LATER = ("later", "push it back", "push back", "pushed back", "push that back", "push my", "bump it back")
EARLIER = ("earlier", "bring it forward", "move it up", "bring it earlier")
SAME_TIME = ("same time", "same times", "the same hour", "same slot", "same hours", "same slots")
NEXT_DAY = ("a day later", "the day after", "next day", "the following day", "one day later", "back a day")
# "the day after tomorrow", "the day after Thursday": a day named, not the appointment's next day.
NAMED_DAY_AFTER = re.compile(
    r"\b(?:the )?day after (?:tomorrow|today|(?:this |next )?(?:mon|tues|wednes|thurs|fri|satur|sun)day|the \w+)\b"
)
HOURS = {"an": 1, "a": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "half an": 0.5, "couple": 2, "few": 3}
PART_HOURS = {"morning": (0, 12), "afternoon": (12, 24), "evening": (17, 24)}
WEEKDAYS = tuple(day.lower() for day in WEEKDAY_NAMES)
WEEKDAY_AFTER_THAT = re.compile(rf"\bthe ({'|'.join(WEEKDAYS)}) after (?:that|this|it)(?: one)?\b")
WEEK_LATER = ("a week later", "same time next week", "one week later", "back a week", "week after")


@dataclass(frozen=True)
class Pick:
    """What the words said about which appointment: `chosen` (several for "both", or when the
    words fit more than one: then `several` tells which), `named` (they said something about
    which), `missing` (a service named that the caller has no appointment for)."""

    chosen: list
    named: bool = False
    missing: str | None = None
    several: bool = False  # the words meant every one chosen ("both", "the alignment and the oil change")

    @property
    def one(self):
        return self.chosen[0] if self.named and len(self.chosen) == 1 else None


def pick(text, options, today, *, services=(), current=None, everything=False, which=None, ordinals=True):
    """Which of `options` the caller means. `current`: the one being talked about ("the other
    one" is then another); `everything`: "both"/"all" may choose several; `which`: the part of
    the words that says which (for a move, without its new time)."""
    said = normalize(text)
    later = latest_statement(said)  # "cancel everything this week. Wait, no. Just cancel the oil change"
    # not "... Move it. Put it on Wednesday, right before the oil change": a time told by another one
    if later != said and _named_anything(TOLD_BY.sub(" ", _keep_clause(later)[0]), options, today, services):
        said = later
    meant, kept = _keep_clause(said)
    which_said = _keep_clause(normalize(which))[0] if which is not None else meant
    pool = options
    if kept:
        spared = pick(kept, options, today, services=services).chosen if kept else []
        if spared and len(spared) < len(options) and _named_anything(kept, options, today, services):
            pool = [a for a in options if a not in spared]
            if not _named_anything(meant, pool, today, services) and len(pool) == 1:
                return Pick(pool, named=True)
    if everything and has_any(meant, ALL):
        return Pick(list(pool), named=True, several=True)
    if current is not None and has_any(meant, OTHER):
        return Pick([a for a in pool if a["appointment_id"] != current["appointment_id"]], named=True)
    if everything:
        several = [name for name in {a["service"] for a in pool} if _names(meant, name)]
        if len(several) > 1:  # "the alignment and the oil change"
            return Pick([a for a in pool if a["service"] in several], named=True, several=True)
    service, missing = _service(meant, pool, services)
    if missing:
        return Pick([], named=True, missing=missing)
    candidates = [a for a in pool if a["service"] == service] if service else list(pool)
    named = bool(service)
    w = parse_when(which_said, today)
    day_only = w.day and not re.search(r"\b(?:one|appointment)\b", which_said)  # "the 2nd" is a date
    index = _ordinal(which_said) if ordinals and not day_only else None
    if index is not None:
        ordered = candidates if service else pool
        if -len(ordered) <= index < len(ordered):
            return Pick([ordered[index]], named=True)
        return Pick([], named=True)
    for narrowed in (_on_day(w, candidates, which_said), _at_time(w, candidates, which_said), _in_part(w, candidates)):
        if narrowed is not None and narrowed:
            candidates, named = narrowed, True
    return Pick(candidates, named=named)


def keeps_it(text):
    """ "No, leave it", "keep it as it is": the caller wants no change."""
    return has_any(normalize(text), KEEP_IT)


CANCELS = re.compile(r"\bcancel(?:l?ed|l?ing)?\b|\bcall (?:it|that|the whole thing) off\b|\bcall off\b")
NOT_CANCEL = re.compile(
    r"\b(?:don't|do not|dont|not|never|no need to|won't|rather not|instead of)(?: \w+){0,3} (?:cancel|call)"
)
JUST_THAT = re.compile(r"\bcancel that\b(?! (?:appointment|one|booking|altogether|entirely|completely|instead))")


# "Drop the alignment", "scrap my Tuesday booking", "get rid of the oil change", "call the inspection
# off": an appointment (by its service, or as one) taken off the books.
DROP_VERB = re.compile(
    r"\b(?:drop|scrap|ditch|nix|axe|scratch|strike|remove|delete|skip|lose|get rid of|take off|knock off|cross off"
    r"|forget about|call off|call)\b"
)
PHRASE_ENDS = frozenset({
    "for", "at", "on", "off", "in", "by", "to", "with", "and", "but", "though", "please", "because", "so",
    "since", "from", "then", "keep", "leave", "just", "i", "we", "you", "if", "instead", "altogether",
})  # fmt: skip
CARRIED = re.compile(r"\b(?:car|cars|truck|vehicle|van|suv|keys?|kids?|it|him|her|me|us|them|line|number|name|price)\b")
APPOINTMENT_NOUN = re.compile(r"\b(?:appointments?|bookings?|reservations?|visits?|one|ones)\b")


# "I won't need that tire rotation anymore", "we don't need the Friday appointment after all",
# "take me off the schedule": an appointment no longer wanted.
NO_LONGER = re.compile(
    r"\b(?:won't|will not|wont|don't|do not|dont|no longer|not going to|not gonna|doesn't|does not|shouldn't)"
    r" (?:really |even |actually )?(?:be )?(?:need|needing|needs|want|wanting|require)\b"
)
ANYMORE = re.compile(r"\b(?:anymore|any more|after all|no longer|at all)\b")
THE_ONE = re.compile(r"^(?:that|the|my|this|those|these|our|them|it)\b")
TAKE_ME_OFF = re.compile(
    r"\b(?:take|cross|strike|scratch|knock|pull) (?:me|us|my name|my car|my truck) off\b(?! (?:at|by|for|around))"
    r"|\b(?:take|get|pull) (?:me|us|it|that|them|my car) (?:off|out) (?:of )?(?:the|your) (?:books|schedule|calendar|list)\b"
)


def clauses(text):
    """The caller's sentences and dash-set asides, each normalized: words of one do not run into the next."""
    parts = re.split(r"[.!?;\u2014\u2013]+|\s-\s", text or "")
    return [said for said in (normalize(part) for part in parts) if said]


def no_longer_needed(text, services=()):
    """ "I won't need that tire rotation on Friday anymore", "we don't need the appointment after all",
    "can you take me off the schedule?": an appointment (by its service, or as one) no longer wanted."""
    for said in clauses(text):
        if TAKE_ME_OFF.search(said):
            return True
        for match in NO_LONGER.finditer(said):
            phrase = said[match.end() :].split()[:6]
            named = " ".join(phrase)
            if not phrase or not THE_ONE.match(named):
                continue  # "I don't need an oil change": nothing booked named
            if phrase[0] in ("it", "them") and not ANYMORE.search(said):
                continue
            if phrase[0] in ("it", "them") or APPOINTMENT_NOUN.search(named):
                return True
            if any(_names(named, service) for service in services):
                return True
    return False


def drops(text, services=()):
    """ "Can you drop the alignment?", "scrap the Tuesday one", "call the oil change off": an
    appointment named (by one of `services`, or as an appointment) to be taken off the books. Not
    "drop the car off" nor "drop it at 8"."""
    return any(_drops(said, services) for said in clauses(text))


def _drops(said, services):
    for verb in DROP_VERB.finditer(said):
        words = said[verb.end() :].split()
        phrase = []
        for word in words:
            if word in PHRASE_ENDS:
                break
            phrase.append(word)
        rest = words[len(phrase) :]
        if not phrase or len(phrase) > 5 or CARRIED.search(" ".join(phrase)):
            continue
        if verb[0] == "call" and rest[:1] != ["off"]:
            continue  # "call the oil change off", not "call the shop"
        if verb[0] != "call" and rest[:1] == ["off"] and verb[0] not in ("take", "knock", "cross"):
            continue  # "drop the Camry off": a drop-off
        named = " ".join(phrase)
        if APPOINTMENT_NOUN.search(named) or any(_names(named, service) for service in services):
            return True
    return False


# "Is that two o'clock?", "is my inspection still on Thursday?", "it's at ten, right?": when a booked
# appointment is, checked, not changed.
CHECK_ASKED = re.compile(
    r"^(?:(?:and|so|oh|um|uh|just|wait|ok|okay|hi|hey|also|but|yeah|sorry|remind me) )*(?:is|isn't|was|wasn't|it's"
    r"|that's|its|thats|it is|that is|am i|are we|i'm|i am|we're) (?:that|it|this|my|the|mine|still|down|booked"
    r"|scheduled|set|coming in)\b"
)
CHECK_TAG = re.compile(r"\b(?:right|correct|is that right|is that correct|isn't it|am i right|yeah)$")
NOT_A_CHECK = re.compile(
    r"\b(?:available|open|free|opening|openings|too early|too late|possible|instead|rather|can|could|would|move"
    r"|push|bump|change it|change that|changing|switch|book|fit|another|different|any)\b"
)


def _checks(text, today):
    """(the question, its When) for each question checking a booked day or time."""
    found = []
    for question in re.findall(r"[^.!?\u2014\u2013]+\?", text or ""):
        said = normalize(question)
        if NOT_A_CHECK.search(said) or not (CHECK_ASKED.search(said) or CHECK_TAG.search(said)):
            continue
        w = parse_when(said, today, expect_time=True)
        if w.day or w.clock or w.part:
            found.append((question, w))
    return found


def checked_when(text, today):
    """The day or time a caller asks to have confirmed about a booked appointment ("is that two
    o'clock?", "it's Thursday, right?"), as a When; None when no such question was asked."""
    found = _checks(text, today)
    return found[0][1] if found else None


def without_checks(text, today):
    """The words without those questions ("my oil change is at four, right? Could I come at two?"
    -> "my oil change Could I come at two?"): what else the caller asks."""
    for question, _ in _checks(text, today):
        text = text.replace(question, " ", 1)
    return text


def wants_cancel(text):
    """ "Actually, just cancel it", "you know what, cancel the whole thing": the appointment is to
    be cancelled. Not "don't cancel it", nor a bare "cancel that" (what was just said is taken back)."""
    said = normalize(text)
    if not CANCELS.search(said) or NOT_CANCEL.search(said):
        return False
    return bool(CANCELS.search(JUST_THAT.sub(" ", said)))


def names_another(text, options, today, current, *, services=()):
    """The appointment other than `current` that a correction names ("no wait, the other one",
    "actually the Thursday one", "the alignment"), or None. Not "the first one": that could be
    a time offered."""
    said = normalize(text)
    selector = has_any(said, OTHER) or re.search(r"\b(?:one|appointment)\b", said) or _service(said, options, ())[0]
    if not selector or len(options) < 2:
        return None
    found = pick(text, options, today, services=services, current=current, ordinals=False)
    chosen = found.one
    if chosen is None and has_any(said, OTHER) and len(found.chosen) == 1:
        chosen = found.chosen[0]
    return chosen if chosen is not None and chosen["appointment_id"] != current["appointment_id"] else None


TOLD_BY = re.compile(
    r"\b(?:right |just )?(?:before|after|ahead of|behind|until|till|when|with)\s+(?:the|my|your)\s+[\w/-]+(?:\s+[\w-]+)?"
)
CANCEL_CLAUSE = re.compile(r"\bcancel\b([^,.;!?]*)[,.;!?]?", re.IGNORECASE)


def names_one_cancelled(text, cancelled, moving, today, services=()):
    """ "Yes. Cancel Friday, brakes Wednesday at one." while moving the brakes: the words after
    "cancel" (up to a comma) name an appointment this call has cancelled already."""
    clause = CANCEL_CLAUSE.search(text or "")
    if not cancelled or clause is None or not clause[1].strip():
        return False
    found = pick(clause[1], [*cancelled, moving], today, services=services)
    return found.one is not None and found.one["appointment_id"] != moving["appointment_id"]


# --- a move: which one, and to when -------------------------------------------------------


def split_move(text, today):
    """(which, target): "my Tuesday oil change" and "Thursday at 10" from "move my Tuesday oil
    change to Thursday at 10"; ("", "friday") from "can I come Friday instead"."""
    said = normalize(text)
    instead_of = re.search(r"\binstead of\b(?! (?:just )?cancel)", said)  # not "instead of just cancelling"
    if instead_of:
        return said[instead_of.end() :], said[: instead_of.start()]
    instead = INSTEAD.search(said)
    cut_up = _cut_for_a_day(said, today)
    if instead:
        words = said[: instead.start()].split()
        taken = _when_tail(words[-_words_of_its_sentence(text, len(words)) :], today)
        if taken:
            rest = said[instead.end() :]
            target = " ".join(words[-taken:])
            if rest.strip() and parse_when(rest, today, expect_time=True).said_anything:
                return " ".join(words[:-taken]), f"{target} {rest}"  # "Friday instead? Before noon."
            if parse_when(target, today).day is None and cut_up:  # "to this week? Thursday. Afternoon's better"
                return cut_up
            return " ".join(words[:-taken]) + " " + rest, target
    return cut_up or _cut_for_anything(said, today)


def _cut_for_a_day(said, today):
    """(which, target) at the last "to"/"for"/... after which a day is said, or None."""
    cuts = [i for i in range(len(said)) if any(said.startswith(cut, i) for cut in MOVE_CUTS)]
    for cut in reversed(cuts):
        target = said[cut:].split(" ", 2)[-1]
        if parse_when(target, today, expect_time=True).day is not None:
            return said[:cut], target
    return None


def _cut_for_anything(said, today):
    cuts = [i for i in range(len(said)) if any(said.startswith(cut, i) for cut in MOVE_CUTS)]
    for cut in reversed(cuts):
        target = said[cut:].split(" ", 2)[-1]
        if parse_when(target, today, expect_time=True).said_anything or has_any(target, SAME_TIME):
            return said[:cut], target
    return said, said


def moves_to(text, today):
    """The part of the words that says the new time, only when it is set apart from the rest
    ("to Friday", "Friday instead"); "" when not."""
    which, target = split_move(text, today)
    return "" if which == target else target


def move_target(text, appointment, today, *, apart=False):
    """The When a move asks for, read against the appointment it moves (None: not said).
    `apart`: only a time set apart from the rest ("no, the Thursday one" names which, not when)."""
    said = normalize(text)
    target = moves_to(text, today) if apart else split_move(text, today)[1]
    if apart and not target:
        return None
    w = parse_when(target, today, expect_time=True)
    start = local_time(appointment["start"])
    day, clock = start.date(), start.time()
    some_day = w.day is not None and w.span_days == 1
    if has_any(said, WEEK_LATER) or (has_any(said, SAME_TIME) and has_phrase(said, "next week") and not some_day):
        return replace(w, day=day + timedelta(days=7), span_days=1, clock=w.clock or clock, asap=False)
    after_that = WEEKDAY_AFTER_THAT.search(said)
    if after_that:  # "put me down for the Wednesday after that": the next one after the appointment's day
        ahead = (WEEKDAYS.index(after_that[1]) - day.weekday()) % 7 or 7
        keep_clock = w.clock or (None if (w.part or w.after or w.before) else clock)
        return replace(w, day=day + timedelta(days=ahead), span_days=1, clock=keep_clock, asap=False)
    shifted = _days_shift(said)
    if shifted:
        keep_clock = w.clock or (None if (w.part or w.after or w.before) else clock)
        return replace(w, day=day + timedelta(days=shifted), span_days=1, clock=keep_clock, asap=False)
    if has_any(NAMED_DAY_AFTER.sub(" ", said), NEXT_DAY):
        return replace(w, day=day + timedelta(days=1), span_days=1, clock=w.clock or clock, asap=False)
    shift = _hours_shift(said)
    if shift and (not w.clock or w.clock == clock):  # "push it an hour later? Nine AM is too early": from nine
        moved = datetime.combine(day, clock) + shift
        return replace(w, day=moved.date(), span_days=1, clock=moved.time(), part=None, asap=False)
    if has_any(said, SAME_TIME) and not w.clock:
        w = replace(w, clock=clock, part=None)
    same_day = w.day is None or (w.day == day and w.span_days == 1)
    if same_day and not w.asap and not (w.clock or w.after or w.before):
        if has_any(said, LATER):
            return replace(w, day=day, span_days=1, after=(datetime.combine(day, clock) + timedelta(minutes=1)).time())
        if has_any(said, EARLIER):
            return replace(w, day=day, span_days=1, before=clock)
    if w.day is None and not w.asap and (w.clock or w.part or w.after or w.before):
        w = replace(w, day=day, span_days=1)  # "move it to 2 PM": the same day
    if w.day == day and w.clock == clock:
        if has_any(said, EARLIER) and (w.part or w.edge):  # "Thursday at three, can I come earlier, first thing?"
            return replace(w, clock=None, before=clock, span_days=1, asap=False)
        return None  # where it is already: not a new time
    return w if w.said_anything else None


# --- little readers -----------------------------------------------------------------------


def _keep_clause(said):
    """("cancel the alignment", "the oil change") from "cancel the alignment but keep the oil change"."""
    match = KEEP_CLAUSE.search(said)
    if not match:
        return said, ""
    meant, kept = said[: match.start()].strip(), said[match.end() :].strip()
    # "... cancel everything this week. Wait, no. Keep the inspection. Just cancel the oil change
    # tomorrow": what is cancelled after the keep is what is meant, and it takes back the "everything"
    again = re.search(r"\b(?:just|only|but|and)? ?cancel\b", kept)
    if again and not NOT_CANCEL.search(kept[: again.end()]):
        return kept[again.start() :].strip(), kept[: again.start()].strip()
    return meant, kept


def _named_anything(said, options, today, services):
    if not said:
        return False
    w = parse_when(said, today)
    return bool(_service(said, options, services)[0] or w.day or w.clock or w.part or _ordinal(said) is not None)


def _ordinal(said):
    if NOT_ORDINAL.search(said):
        return None
    for phrase, index in sorted(ORDINALS.items(), key=lambda item: -len(item[0])):
        if re.search(rf"\b{phrase}\b", said):
            return index
    return None


def _service(said, options, services):
    """(service among the options' that the words name, a service named that none of them is)."""
    theirs = sorted({a["service"] for a in options})
    hits = [name for name in theirs if _names(said, name)]
    if hits:
        return (hits[0] if len(hits) == 1 else match_service(said, hits) or hits[0]), None
    others = [name for name in services if name not in theirs and _names(said, name)]
    return None, (match_service(said, others) if others else None)


def _names(said, service):
    """Do the caller's words name this service (its family's words, or a word of its name,
    allowing for a slip like "allignment" or "break")?"""
    name = service.lower()
    for caller_words, name_words in FAMILIES:
        if any(word in name for word in name_words) and has_any(said, caller_words):
            return True
    own = [w for w in re.findall(r"[a-z/]+", name) if len(w) >= 3 and w not in GENERIC_WORDS]
    for word in said.split():
        stem = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
        for target in own:
            if stem == target or (len(stem) >= 5 and difflib.SequenceMatcher(None, stem, target).ratio() >= 0.8):
                return True
    return False


def _on_day(w, candidates, said):
    if not w.day:
        return None
    if w.span_days > 1:
        last = w.day + timedelta(days=w.span_days - 1)
        return [a for a in candidates if w.day <= local_time(a["start"]).date() <= last]
    exact = [a for a in candidates if local_time(a["start"]).date() == w.day]
    if exact:
        return exact
    weekday = w.day.weekday()
    if re.search(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", said):  # "Thursday": whichever Thursday
        return [a for a in candidates if local_time(a["start"]).weekday() == weekday]
    return []


def _at_time(w, candidates, said):
    clock = w.clock
    if clock is None:
        said_as_time = re.sub(r"\bthe\b", "at", said)  # "the 9 o'clock", "the 2"
        clock = parse_when(said_as_time, local_time(candidates[0]["start"]).date()).clock if candidates else None
    if clock is None:
        return None
    exact = [a for a in candidates if local_time(a["start"]).time() == clock]
    if exact:
        return exact
    return [a for a in candidates if (local_time(a["start"]).hour % 12, local_time(a["start"]).minute)
            == (clock.hour % 12, clock.minute)]  # fmt: skip


def _in_part(w, candidates):
    """ "The afternoon one", "the morning stuff": the appointments in that part of the day."""
    if w.clock is not None or w.part not in PART_HOURS:
        return None
    first, last = PART_HOURS[w.part]
    return [a for a in candidates if first <= local_time(a["start"]).hour < last]


def _words_of_its_sentence(text, most):
    """How many words before "instead" are in its own sentence: "the Thursday one. Can we do Friday
    instead?" asks for Friday, not Friday at one."""
    raw = INSTEAD.search(text.lower())
    if raw is None:
        return most
    sentence = re.split(r"(?<=[.?!;])\s+", text[: raw.start()])[-1]
    return min(most, len(normalize(sentence).split())) or most


def _when_tail(words, today):
    """How many of the last words say a day or time ("come Friday at 10" -> 3), 0 if none."""
    best, found = 0, None
    for count in range(1, len(words) + 1):
        w = parse_when(" ".join(words[-count:]), today)
        if not w.said_anything:
            if found and count - best > 3:
                break
            continue
        if (
            found
            and found.day
            and w.day
            and w.day != found.day
            and not re.match(
                r"(?:the )?day after\b|(?:(?:a|an|one|two|\d+) )?(?:days?|weeks?) from\b", " ".join(words[-count:])
            )
        ):
            break  # "Tuesday ... Friday": two days; but "the day after tomorrow", "a week from today" are one
        best, found = count, w
    return best


def _hours_shift(said):
    amount = r"(an|a|one|1|two|2|three|3|half an|a couple of|a couple|couple of|couple|a few|few)"
    match = re.search(rf"\b{amount} hours? (later|earlier|back)\b", said) or re.search(
        rf"\b(?:back|later|push it back|push back) (?:by )?{amount} hours?\b", said
    )
    if not match:
        return None
    count = HOURS.get(match[1]) or HOURS[match[1].removeprefix("a ").removesuffix(" of")]
    sign = -1 if match.lastindex and match.lastindex >= 2 and match[2] == "earlier" else 1
    return timedelta(hours=sign * count)


UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}
COUNTS = {
    "a": 1, "an": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4, "a couple of": 2,
    "a couple": 2, "couple of": 2, "couple": 2, "a few": 3, "few": 3,
}  # fmt: skip
_COUNT = r"(a couple of|a couple|couple of|couple|a few|few|an|a|one|1|two|2|three|3|four|4)"
_LATER_WORDS = r"(later|out|back|further|after that|on|over)"
_EARLIER_WORDS = r"(earlier|sooner|forward|up|ahead|before that)"
_SHIFT_VERB = r"\b(?:push|pushed|pushing|bump|bumped|bumping|move|moved|moving|shift|shifted|slide|scoot|put|push back|kick|kicked)\b"


def _days_shift(said):
    """By how many days a move shifts the appointment ("push it out a week", "a couple of days
    later", "bump it up a day", "move my Thursday oil change back two weeks"): signed, or 0."""
    unit = r"(days?|weeks?)"
    match = re.search(rf"\b{_COUNT} {unit} (?:{_LATER_WORDS}|{_EARLIER_WORDS})\b", said)
    if match:
        sign = -1 if match[4] else 1
        return sign * COUNTS[match[1]] * UNITS[match[2]]
    verb = re.search(_SHIFT_VERB, said)
    if not verb:
        return 0
    rest = said[verb.end() :]
    match = re.search(
        rf"^(?: [\w']+){{0,8}}? (?:{_LATER_WORDS}|{_EARLIER_WORDS})(?: by)? {_COUNT} {unit}\b", rest
    ) or re.search(
        rf"^(?: (?:it|that|this|them|my|the|appointment|one))*(?: by)? {_COUNT} {unit}\b(?! (?:from|after|before))",
        rest,
    )
    if not match:
        return 0
    groups = match.groups()
    if len(groups) == 4:
        sign = -1 if groups[1] else 1
        count, unit_word = groups[2], groups[3]
    else:
        sign, count, unit_word = 1, groups[0], groups[1]
    return sign * COUNTS[count] * UNITS[unit_word]
