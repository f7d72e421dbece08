"""How urgent a caller's words sound: one rule for the receptionist's messages and the voicemails.

urgent: safety, or a car stranded or failing; soon: wanted today; routine: the caller said it can
wait. Pure and Django-free, so the scripted receptionist and the voicemail task (calls.tasks)
share it without importing each other.
"""

import functools
import re

URGENT = (
    "urgent", "emergency", "stranded", "stuck", "broke down", "broken down", "breaking down", "unsafe",
    "dangerous", "no brakes", "brakes failed", "brakes went out", "brakes gave out", "brake failure",
    "lost my brakes", "lost brakes", "smoke", "smoking", "on fire", "fire", "overheating", "overheated",
    "won't start", "wont start", "will not start", "doesn't start", "does not start", "can't start",
    "not starting", "won't turn over", "dead on the", "side of the road", "into the red", "was steam",
    "there's steam", "steaming", "steam from", "steam out",
    "accident", "crash", "leaking gas", "smell gas", "smells like gas", "steering went",
    "to the floor", "pedal went", "can't stop", "won't stop", "barely got it stopped", "shoulder", "pulled over",
    "in the red", "stalled", "died on", "car died", "truck died", "need a tow", "locked out",
)  # fmt: skip
SOON = (
    "today", "this afternoon", "this morning", "tonight", "soon", "end of the day", "before five", "quickly",
    "asap", "as soon as possible", "as soon as you can", "right away", "immediately", "this evening",
    "before you close", "by noon", "in an hour", "same day",
)  # fmt: skip
ROUTINE = (
    "not urgent", "no rush", "no hurry", "whenever", "can wait", "not an emergency", "not really urgent",
    "not that urgent", "isn't urgent", "tomorrow is fine", "a day or two", "this week", "routine", "no big deal",
    "in no hurry", "not in a hurry", "any time", "anytime",
)  # fmt: skip
# A car unsafe to drive: brakes that don't stop it right, steering or a wheel that gives, or a
# caller afraid to drive it.
UNSAFE = re.compile(
    r"\b(?:pedal|brakes?|braking)\b(?: [\w']+){0,4} (?:soft|spongy|squishy|mushy|sinks?|sinking|sank|sinks to|goes down"
    r"|went down|to the floor|all the way down|barely works?|not working|isn't working|aren't working|don't work"
    r"|doesn't work|won't work|stopped working|not (?:grabbing|stopping|holding)|(?:don't|doesn't|won't|aren't|isn't)"
    r" (?:grab|grabbing|stop|stopping|hold|holding|catch|catching)|gave out|giving out|failing|failed|went out)\b"
    r"|\b(?:pedal|brakes?|braking)\b(?: [\w']+){0,4} (?:don't|doesn't|won't|aren't|isn't|not) (?:really |quite |fully |"
    r"even |always )?(?:grab|grabbing|stop|stopping|hold|holding|catch|catching|work|working|bite|biting)\b"
    r"|\bstomp(?:ing)? on (?:it|the brakes?|the pedal) to stop\b|\b(?:can|could) barely stop\b"
    r"|\b(?:soft|spongy|squishy|mushy|sinking) (?:brake )?pedal\b"
    r"|\b(?:scared|afraid|nervous|terrified|frightened) to (?:drive|take)\b|\b(?:not|isn't|don't feel|doesn't feel|"
    r"never felt) (?:it's |it is |it )?safe\b|\bnot safe to drive\b|\bunsafe\b"
    r"|\bsteering(?: [\w']+){0,3} (?:locked|locking|went out|gave out|failed|loose)\b"
    r"|\bwheel(?: [\w']+){0,3} (?:came off|coming off|falling off|wobbling|wobbles|loose)\b"
    r"|\blug nuts?(?: [\w']+){0,2} (?:loose|missing|came off)\b"
    # a strong smell of fuel or burning, smoke, or fluid pouring out
    r"|\b(?:smell|smells|smelled|smelling|stinks?|stank|reeks?|reeking|odor|fumes)\b(?: [\w']+){0,4}"
    r" (?:gas|gasoline|fuel|raw fuel|petrol|burning|burnt|burned|smoke|propane)\b(?! (?:mileage|station|cap|card|prices?|tank is low))"
    r"|\b(?:gas|gasoline|fuel|burning|burnt|burned|electrical) (?:smell|smells|odor|fumes)\b"
    r"|\b(?:smoke|steam)(?: is)? (?:coming|pouring|billowing|rolling)\b"
    r"|\b(?:fluid|oil|coolant|gas|fuel|antifreeze|brake fluid|transmission fluid)(?: [\w']+){0,3}"
    r" (?:pouring|gushing|spraying|streaming|spewing|dumping|running) (?:out|everywhere|all over)\b"
    r"|\b(?:leaking|dripping) (?:gas|fuel|gasoline)\b"
    # a flashing check engine light: a misfire bad enough to damage the engine if it is driven on
    r"|\b(?:check engine|engine) light(?: [\w']+){0,2} (?:flashing|blinking)\b|\b(?:flashing|blinking) check engine\b"
)
NOT_BRAKE_FAILURE = re.compile(r"\b(?:not|no|isn't|wasn't) (?:soft|spongy)\b")


def urgency_in(said):
    """ "urgent", "soon", "routine", or None when the words say nothing about it. `said` is
    normalized text (lower case, no punctuation): see plain()."""
    if _has_any(said, ROUTINE):
        return "routine"
    if _has_any(said, URGENT) or (UNSAFE.search(said) and not NOT_BRAKE_FAILURE.search(said)):
        return "urgent"
    if _has_any(said, SOON):
        return "soon"
    return None


def plain(text):
    """Lower case, curly apostrophes straightened, punctuation gone: the form urgency_in reads."""
    text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def _has_any(said, phrases):
    return _alternation(phrases).search(said) is not None


@functools.lru_cache(maxsize=8)
def _alternation(phrases):
    options = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{options})(?![\w'])")
