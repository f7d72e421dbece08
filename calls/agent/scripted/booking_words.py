"""What the caller's words say about a booking: the services asked for and the day beside each
("an oil change and a tire rotation", "an inspection Monday at eight"), which of their vehicles
they mean ("the truck", "both cars"), an appointment they already have named by its day, a
service swapped for the one just booked ("an alignment instead of the rotation"), and a name
given ahead of its spelling.

Pure functions of the words, the service names and the caller's vehicles; booking.py holds the flow.
"""

import re

from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.intents import NOT_NOW, detect
from calls.agent.scripted.names import corrected, heard_name
from calls.agent.scripted.services import match_service
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, has_phrase, latest_statement, normalize

TRUCKS = (
    "f 150", "f150", "f 250", "f250", "f 350", "silverado", "sierra", "ram", "tacoma", "tundra", "ranger",
    "colorado", "frontier", "titan", "ridgeline", "gladiator", "maverick", "canyon",
)  # fmt: skip


# "I've got the A/C thing Saturday at nine ... can you take it tomorrow?": an appointment the caller
# has, named by its day, and another day asked for in the same breath: a move, not a second booking.
HELD = re.compile(
    r"\b(?:i've got|i have got|i've|i have|i got|we've got|we have|i'm booked for|i'm down for|i'm scheduled for"
    r"|i'm in for|i booked|i made) (?:the|an|a|my|our|that) (?:[\w/'-]+ ){0,4}?(?:on |for |this |next )?"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)\b(?: (?:at|around) [\w:]+(?: am| pm)?)?"
)
ADDED = ("also", "another", "too", "as well", "add", "in addition", "second", "plus", "same day", "after it")


REFERS_BACK = (
    "make that", "make it", "change that", "change it", "switch that", "switch it", "move that", "move it",
    "instead", "push that", "push it", "bump that", "bump it", "i meant", "i mean", "did i say", "meant to say",
    "should have said", "should've said", "supposed to be", "same window", "same time",
)  # fmt: skip


SWAPS = (
    "instead", "swap", "swap out", "switch", "scratch that", "rather than", "replace", "in place of", "change it to",
    "change that to", "not the",
)  # fmt: skip
NOT_A_SWAP = ("also", "too", "as well", "another", "plus", "on top")


INSTEAD_OF = re.compile(r"\b(?:instead of|rather than|in place of)\b")


def named_instead(said, names):
    """The service named just before "instead of" ("so I think I need an alignment instead of the
    rotation"), or None."""
    match = INSTEAD_OF.search(said)
    return _named_just_before(said, match.start(), names, words=6) if match else None


def switched_to(said, names):
    """The service a correction settles on: named before "instead of" ("an alignment instead of the
    rotation") or just before "instead" ("scratch the rotation, it's pulling, do an alignment
    instead"), or None."""
    ends = [m.start() for m in reversed(list(re.finditer(r"\binstead\b", said)))]
    return named_instead(said, names) or next(
        (found for end in ends if (found := _named_just_before(said, end, names, words=5))), None
    )


def _named_just_before(said, end, names, *, words):
    """The service named in the last `words` words before position `end`, the nearest words first."""
    before = said[:end].split()
    for size in range(1, min(words, len(before)) + 1):
        service = match_service(" ".join(before[-size:]), names)
        if service:
            return service
    return None


def name_in_first_clauses(text):
    """ "Tomas Novak. T-O-M-A-S, Novak with a K.": the name in the longest run of leading clauses that
    reads as one, when a spelling hint after it ("with a K") reads as none. A name taken back in the
    same breath ("Catherine Lund. Oh, sorry, no, it's Katherine with a K.") is put right."""
    text = " ".join((text or "").split())
    taken_back = TAKEN_BACK.search(text)
    head = text[: taken_back.start()] if taken_back else text
    clauses = [c for c in re.split(r"(?<=[,.;!?])\s+", head.strip()) if c.strip()]
    if taken_back:
        while clauses and normalize(clauses[-1]) in FILLERS:
            clauses.pop()
    for count in range(len(clauses) - (0 if taken_back else 1), 0, -1):
        if normalize(clauses[count - 1]) in FILLERS:  # "Catherine Lund. Oh, sorry, ...": no "Oh" in it
            continue
        name = heard_name(" ".join(clauses[:count]))
        if name is not None:
            return _corrected_after(name, text[taken_back.start() :]) if taken_back else name
    return None


FILLERS = frozenset({"oh", "um", "uh", "er", "sorry", "no", "well", "so", "wait", "actually", "hmm", "ah"})
TAKEN_BACK = re.compile(r"\b(?:sorry|no|actually|i mean|wait)\b[,.]?\s+(?:no,?\s+)?(?:it's|its|it is)\b", re.IGNORECASE)


def _corrected_after(name, rest):
    """The name as the caller put it right in the sentence that takes it back."""
    sentence = re.split(r"(?<=[.!?])\s+", rest)[0]
    return corrected(name, sentence) or name


def services_named(text, names):
    """Every service the caller asked for, in the order said ("an oil change and a tire rotation"),
    leaving out what they took back."""
    found = []
    for piece in re.split(r"\b(?:and also|and then|and|plus|also|as well as)\b", latest_statement(normalize(text))):
        service = match_service(piece, names) if piece.strip() else None
        if service and service not in found:
            found.append(service)
    return found


def requests_named(text, names, today):
    """Every service asked for with the day and time said beside it, in the order said."""
    found = []
    for piece in re.split(r"\b(?:and also|and then|and|plus|also|as well as)\b", latest_statement(normalize(text))):
        service = match_service(piece, names) if piece.strip() else None
        if service and PAST_WORK.search(piece) and not ASKING_FOR_IT.search(piece):
            continue  # "he stayed late on my mom's brakes last week": work told of, not asked for
        if service and service not in [name for name, _ in found]:
            found.append((service, parse_when(piece, today)))
    return found


PAST_WORK = re.compile(
    r"\b(?:last (?:week|month|time|year)|yesterday|the other day|stayed late|(?:was|were) great|did (?:a )?great"
    r"|already (?:did|done|fixed|replaced)|(?:fixed|replaced|did) (?:it|them|my|her|his) .*\b(?:ago|last))\b"
)
ASKING_FOR_IT = re.compile(r"\b(?:need|needs|book|want|wanna|get|schedule|can you|could you|would you|bring)\b")


def asked_about_only(text, names):
    """The services of one breath named only in a question about them ("what do you charge to
    recharge the A/C?") or put off ("I'm not doing that now"): asked about, not booked."""
    asked, booked = set(), set()
    for sentence in re.split(r"(?<=[.!?;])\s+", text or ""):
        said = normalize(sentence)
        service = match_service(said, names) if said.strip() else None
        if service is None:
            continue
        if detect(sentence) in ("price", "duration") or has_any(said, NOT_NOW):
            asked.add(service)
        else:
            booked.add(service)
    return asked - booked


def cars_per_request(text, names, vehicles):
    """{service: vehicle} when the services asked for in one breath are each for a car named beside
    them ("the Camry needs an oil change and the truck's due for its inspection"), else {}."""
    found = {}
    for piece in re.split(
        r"\b(?:and also|and then|and|plus|also|as well as)\b|[.;?!]", latest_statement(normalize(text))
    ):
        service = match_service(piece, names) if piece.strip() else None
        vehicle = vehicle_named(piece, vehicles) if service else None
        if service and vehicle is not None and service not in found:
            found[service] = vehicle
    cars = {v.get("vehicle_id") for v in found.values()}
    return found if len(cars) > 1 else {}


ADDING = ("add", "also book", "also get", "and book", "and get", "and a", "and an", "plus", "as well")
AFTER_IT = ("right after", "after it", "after that", "straight after", "back to back", "right behind")


BOTH = ("both cars", "both vehicles", "both of them", "both of my cars", "both my cars", "both trucks", "each car",
        "both of our cars", "all my cars", "all of my cars")  # fmt: skip


# "on the truck, not the Camry": the car ruled out is not one the request is for
RULED_OUT = re.compile(r"\b(?:not|rather than|instead of)(?: for| on)?(?: the| my| our)? \S+")


def vehicles_meant(text, vehicles):
    """The caller's vehicles one request is for when it is for more than one ("both cars",
    "the Camry and the truck"), else []."""
    said = RULED_OUT.sub(" ", normalize(text))
    named = [v for v in vehicles if vehicle_named(said, [v]) is not None]
    if len(named) > 1:
        return named
    if has_any(said, BOTH) and len(vehicles) > 1:
        return list(vehicles) if len(vehicles) == 2 or has_any(said, ("all my cars", "all of my cars")) else []
    return []


def vehicle_named(text, vehicles):
    """The one vehicle of the caller's their words name ("my F-150", "the truck", "the Camry"), or None."""
    said = re.sub(r"(?<=[a-z0-9])'s\b", "", RULED_OUT.sub(" ", normalize(text)))  # "the Camry's due"
    other = car_in(text)  # "a 2014 Honda Civic" is not the caller's Honda CR-V
    other_model = normalize(other.model) if other is not None and other.model else None
    named = []
    for vehicle in vehicles:
        words = normalize(vehicle.get("vehicle") or "").split()
        year = words.pop(0) if words and words[0].isdigit() else None
        make, model = (words[0], " ".join(words[1:])) if words else (None, "")
        squashed = model.replace(" ", "")
        if (
            (model and (has_phrase(said, model) or squashed in said.split()))
            or (make and has_phrase(said, make) and (not other_model or other_model in normalize(model)))
            or (year and has_phrase(said, year) and not has_any(said, ("am", "pm")) and not other_model)
            or (has_any(said, ("truck", "truck's", "pickup", "pickup's")) and (model in TRUCKS or squashed in TRUCKS))
        ):
            named.append(vehicle)
    return named[0] if len(named) == 1 else None
