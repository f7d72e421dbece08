"""Which of the shop's services the caller means, from their own words.

The shop names its services ("Brake pads and rotors", "Check engine light diagnostic");
callers describe the car ("the brakes are squeaking", "the check engine light came on").
Each family below ties symptoms and everyday names to the words a service name would contain.
"""

import re
from datetime import date
from types import SimpleNamespace

from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, normalize
from calls.agent.tools.service_words import named_service

# (what callers say, words a matching service name contains)
FAMILIES = (
    (("oil", "lube"), ("oil",)),
    (
        (
            "brake",
            "brakes",
            "squeak",
            "squeaks",
            "squeaking",
            "squeaky",
            "squeal",
            "squealing",
            "grinding",
            "rotor",
            "rotors",
            "pads",
            "stopping",
        ),
        ("brake",),
    ),
    (
        (
            "check engine",
            "engine light",
            "warning light",
            "dashboard light",
            "dash light",
            "light came on",
            "light is on",
            "light on",
            "diagnostic",
            "diagnostics",
            "diagnosis",
            "diagnose",
            "knocking",
            "rattling",
            "rattle",
            "strange noise",
            "weird noise",
            "funny noise",
            "making a noise",
            "making noise",
            "stalling",
            "running rough",
            "misfire",
            "misfiring",
            "smoke",
            "leaking",
            "leak",
        ),
        ("diagnos", "check engine"),
    ),
    (("tire rotation", "tyre rotation", "rotate", "rotation", "tire", "tires", "tyre", "tyres"), ("rotation", "tire")),
    (
        (
            "alignment",
            "pulls",
            "pulling",
            "pulls to",
            "drifts",
            "drifting",
            "drift",
            "off center",
            "off centre",
            "crooked",
            "uneven tire wear",
            "uneven tyre wear",
            "uneven wear",
            "wearing unevenly",
            "wear unevenly",
            "tires wearing",
            "tyres wearing",
        ),
        ("alignment",),
    ),
    (
        (
            "battery",
            "won't start",
            "wont start",
            "will not start",
            "doesn't start",
            "won't turn over",
            "dead",
            "jump",
            "jumped",
            "jump start",
            "jump started",
            "needs a jump",
            "clicks",
            "clicking",
            "just clicks",
        ),
        ("battery",),
    ),
    (
        ("a/c", "ac", "a c", "air conditioning", "air conditioner", "blowing warm", "blowing hot", "no cold air"),
        ("a/c", "air cond"),
    ),
    (
        (
            "inspection",
            "inspected",
            "inspect",
            "emissions",
            "emission",
            "smog",
            "safety check",
            "registration",
            "sticker",
            "inspection sticker",
        ),
        ("inspection",),
    ),
    (("coolant", "radiator", "overheating", "antifreeze", "running hot"), ("coolant", "radiator")),
    (("transmission", "shifting", "slipping", "gearbox"), ("transmission",)),
)

SYMPTOMS = (
    "squeak",
    "squeal",
    "grinding",
    "noise",
    "light",
    "knocking",
    "rattl",
    "stalling",
    "rough",
    "smoke",
    "leak",
    "overheating",
    "won't start",
    "blowing",
    "pulls",
    "pulling",
    "slipping",
    "misfir",
    "clicks",
    "clicking",
)

# Lights that are no warning on the dash: "left the dome light on" drained a battery, it lit no check-engine light.
OTHER_LIGHTS = re.compile(
    r"\b(?:dome|head|interior|inside|cabin|map|reading|tail|fog|parking|porch|hazard|overhead|trunk)"
    r" ?lights?\b"
)


# What only a wheel alignment fixes, even when tires are mentioned in the same breath.
ALIGNMENT_SIGNS = re.compile(
    r"\b(?:pulls?|pulling|drifts?|drifting|veers?|veering) (?:to(?:wards)? )?(?:the )?(?:right|left|one side|to one side)\b"
    r"|\b(?:drifts?|drifting) (?:over|off)\b|\boff ?(?:center|centre)\b|\bcrooked\b"
    r"|\buneven(?:ly)? (?:tire |tyre )?wear|\bwear(?:ing)? unevenly\b|\b(?:tires?|tyres?) (?:are )?wearing (?:un)?even"
)


def match_service(text, service_names):
    """The best-matching active service name for what the caller said, or None."""
    said = OTHER_LIGHTS.sub(" ", _without_possessives(normalize(text)))
    if not said.strip():
        return None
    best, best_score = None, 0
    for name in service_names:
        score = _score(said, name)
        if score > best_score:
            best, best_score = name, score
    return best


def names(text, service_name):
    """Whether the caller's words name this service (by name or a word of its family), not only
    share a word with it: "oil change on the Camry, rotation on the truck" names both."""
    return _score(OTHER_LIGHTS.sub(" ", _without_possessives(normalize(text))), service_name) >= 50


def _without_possessives(said):
    # "my battery's dying", "the truck's brakes": the thing, not a contraction to match whole.
    return re.sub(r"(?<=[a-z])'s\b", "", said)


def is_symptom(text):
    said = normalize(text)
    return any(mark in said for mark in SYMPTOMS)


def _score(said, name):
    lowered = normalize(name)
    if re.search(rf"\b{re.escape(lowered)}\b", said):
        return 100 + len(lowered)
    score = 0
    for caller_words, name_words in FAMILIES:
        if any(word in name.lower() for word in name_words) and has_any(said, caller_words):
            score = max(score, 50)
    if "alignment" in name.lower() and ALIGNMENT_SIGNS.search(said):
        score = max(score, 60)  # "it pulls to the right, just put new tires on": the tires are no rotation
    name_words = [_stem(w) for w in lowered.split() if len(w) > 2 and w not in ("and", "the", "service", "check")]
    said_words = {_stem(w) for w in said.split()}
    overlap = sum(1 for w in name_words if w in said_words)
    if overlap:
        score = max(score, 10 * overlap + (20 if overlap == len(name_words) else 0))
    return score


def _stem(word):
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# "Do you guys offer towing?", "can you do a transmission rebuild": the job asked about, to say
# plainly when it is none of the shop's (never "Sure" to a job nobody listed).
ASKED_JOB = re.compile(
    r"\b(?:do|can|could) (?:you|y'all|ya)(?: guys| all| folks| people)? (?:also )?"
    r"(?:do|offer|handle|fix|repair|provide|deal with|take care of|sell|install|put on)\s+"
    r"(?:any |a |an |the |some )?(?P<job>[a-z][a-z0-9' -]{2,40}?)(?=\s*(?:[?.!,;]|$|\bor\b|\bfor\b|\bon (?:my|a|an|the)\b"
    r"|\bat\b|\bhere\b|\bthere\b|\banymore\b|\bthese days\b|\bnow\b|\btoo\b|\bas well\b|\bi\b|\bthat\b|\bwhich\b"
    r"|\bwe\b|\bif\b|\bbecause\b))"
)
# What "do you do ...?" may ask that is not a job: a car, a time, a shop fact.
NOT_A_JOB = (
    "appointment", "opening", "anything", "something", "that", "this", "it", "them", "those", "walk", "same day",
    "today", "tomorrow", "weekend", "saturday", "sunday", "morning", "afternoon", "evening", "time", "loaner",
    "shuttle", "rental", "ride", "warranty", "guarantee", "card", "cash", "credit", "apple pay", "financing",
    "payment", "discount", "coupon", "special", "deal", "quote", "estimate", "hybrid", "electric", "diesel",
    "make", "model", "brand", "foreign", "domestic", "european", "japanese", "korean", "american", "repairs", "car", "cars", "truck", "trucks", "vehicle", "everything", "all", "most", "whatever",
)  # fmt: skip


def unlisted_job(text, service_names):
    """The job the caller asks whether the shop does, when it is none of `service_names` (nor a
    car, a time or a shop fact); None otherwise."""
    said = " ".join((text or "").lower().replace("\u2019", "'").split())
    found = ASKED_JOB.search(
        re.sub(
            r"\b(you(?: guys| all| folks)?) (?:tow|have (?:a |any )?(?:tow truck|wrecker|flatbed)s?)\b",
            r"\1 do towing",
            said,
        )
    )
    if found is None:
        return None
    job = found["job"].strip(" -'")
    single = re.sub(r"(?<=[a-z])s\b", "", job)  # "hybrids", "Subarus"
    if has_any(job, NOT_A_JOB) or has_any(single, NOT_A_JOB) or car_in(job) or car_in(single):
        return None
    if parse_when(job, date.today(), expect_time=True).said_anything or re.search(r"\d", job):
        return None  # "can you do Tuesday at 10?", "could you do the 15th?", "noon": a time, not a job
    listed = [SimpleNamespace(name=name) for name in service_names]
    return job if named_service(job, listed) is None else None  # the shop_info tool's own matching
