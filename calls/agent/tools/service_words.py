"""Which of the shop's services a caller's words name, when they ask its price: only the one they
really name, never the nearest other one.

A caller asks "how much for a timing belt?" and the shop lists "Brake pads" and "Oil change":
matching to the closest name would quote a price the shop never set for that job. So a service
is named only when one of these holds

- every distinctive word of its name is said ("oil change", "break pads": speech recognition's
  slips of a letter or two count, "oil chains" still says "oil"),
- an everyday name of the same job is said ("the brakes" for "Brake pads", "AC" for "A/C service"),
- the last word of its name is, when that word is a job rather than a part ("alignment" for
  "Wheel alignment"),

and the caller names no other part or job that the service's name does not ("brake rotors" is
not "Brake pads", "transmission rebuild" is not "Transmission fluid service", "new tires" is
not "Tire rotation"). Shops name services freely, so nothing here lists any shop's names.
"""

import re
from difflib import SequenceMatcher

# Words in a service's name that say what is done to the part rather than which job it is.
GENERIC = frozenset(
    "service services job work repair repairs change replacement replace install installation and the a an of "
    "with for or".split()
)
# Words of a price question that name no job.
FILLER = frozenset(
    """how much many what whats what's which is are was were the a an for to of on in at my our your you ya do does
    did would will could can it it's its be been cost costs costing charge charges charging price prices pricing
    priced estimate estimates quote quotes rate rates usually typically normally about around roughly ballpark
    average approximately get getting got have has having done doing need needs needed want wants wanted looking
    i i'm im i'd id we me us guys y'all yall car cars truck trucks vehicle suv van minivan please just like kind
    sort money dollars tell know run runs running going gonna that this these those one ones some any and or with
    there so um uh hey hi hello okay ok well also again then if fix fixed fixing replace replaced replacing put
    service services work job repair repairs thing things stuff something anything everything not sure idea yes
    yeah no would you'd you'll guys folks go charge hmm oh say said""".split()
)
# Parts and jobs that, named beside a service's words, make it another job than that service.
OTHER_JOBS = frozenset(
    """belt belts timing serpentine rebuild rebuilt overhaul rotor rotors caliper calipers drum drums shoe shoes
    line lines hose hoses gasket seal seals head pan pump water fuel injector injectors alternator starter spark
    plug plugs coil coils ignition sensor sensors oxygen catalytic converter exhaust muffler pipe manifold clutch
    flywheel axle axles cv joint joints bearing bearings hub hubs strut struts shock shocks suspension spring
    springs arm arms tie rod rods ball steering rack windshield wiper wipers blade blades glass window windows
    mirror mirrors door doors lock locks headlight headlights taillight taillights bulb bulbs light lights bumper
    fender paint dent dents body frame engine motor transmission differential driveshaft compressor condenser
    evaporator heater core blower fan radiator thermostat leak leaks tire tires wheel wheels rim rims brake brakes
    oil battery cable cables terminal terminals charger coolant fluid fluids pad pads key fob remote hybrid
    inspection check diagnostic diagnosis flush new""".split()
)
# Everyday names of common jobs, and how the start of a word in a service's name for that job reads.
EVERYDAY_NAMES = (
    (("brake", "brakes", "brake job", "pads", "pad job"), ("brake",)),  # "I forget what pads cost"
    (("oil", "lube"), ("oil", "lube")),
    (
        ("check engine", "engine light", "diagnostic", "diagnostics", "diagnosis", "diagnose"),
        ("diagnos", "check engine"),
    ),
    (("rotate", "rotation"), ("rotation",)),
    (("align", "alignment", "aligned"), ("align",)),
    (("battery", "new battery"), ("battery",)),
    (("ac", "air conditioning", "air conditioner", "aircon"), ("ac", "air cond")),
    (
        ("smog check", "emissions check", "emissions test", "safety check", "inspection", "emissions", "smog"),
        ("inspection", "emission", "smog"),
    ),
    (("coolant", "antifreeze", "radiator flush"), ("coolant", "antifreeze", "radiator")),
    (("transmission fluid", "transmission flush", "transmission service"), ("transmission",)),
    (("tune up", "tuneup"), ("tune",)),
)
REPLACING = ("replace", "replacement", "install", "installation", "new")  # a name with these explains "new"


def named_service(text, services):
    """The one of `services` (objects with a `name`) that the caller's words name, or None."""
    said = words(text)
    scored = [(_score(said, service.name), index, service) for index, service in enumerate(services)]
    scored = [found for found in scored if found[0]]
    if not scored:
        return None
    explained = set()
    for _, _, service in scored:
        explained |= _explaining_words(said, service.name)
    if any(not _among(word, explained) for word in job_words(text) if _stem(word) in _OTHER_JOB_STEMS):
        return None  # the caller named a part or job that none of these services is
    return max(scored, key=lambda found: (found[0], -found[1]))[2]


def names_a_job(text):
    """Whether the words name any job at all ("timing belt"), not only ask ("what do you charge?")."""
    return bool(job_words(text))


def words(text):
    """Lower-case words; "A/C" and letters spelled out ("a c") read as one word."""
    text = (text or "").lower().replace("a/c", "ac").replace("&", " and ").replace("\u2019", "'")
    tokens = re.findall(r"[a-z0-9']+", text)
    joined = []
    for token in tokens:
        if len(token) == 1 and token.isalpha() and joined and len(joined[-1]) == 1 and joined[-1].isalpha():
            joined[-1] += token  # "a c" -> "ac"
        else:
            joined.append(token)
    return joined


def job_words(text):
    return [w for w in words(text) if w not in FILLER and w.isalpha() and len(w) > 1]


def _score(said, name):
    """How surely `said` names the service called `name` (0: it does not)."""
    required = _distinctive(name)
    hits = sum(1 for word in required if _among(word, said))
    if required and hits == len(required):
        return 100 + 10 * hits
    if _everyday_name(said, name):
        return 50 + hits
    head = required[-1] if required else None
    if head and len(required) > 1 and _stem(head) not in _OTHER_JOB_STEMS and _among(head, said):
        return 30 + hits
    return 0


def _distinctive(name):
    return [w for w in words(name) if w not in GENERIC and w.isalpha()]


def _everyday_name(said, name):
    """The everyday phrase the caller used for this service's job, as a list of words, or None."""
    spoken_name = " ".join(words(name))
    for phrases, starts in EVERYDAY_NAMES:
        if not any(re.search(rf"\b{re.escape(start)}", spoken_name) for start in starts):
            continue
        for phrase in phrases:
            if _has_phrase(said, phrase.split()):
                return phrase.split()
    return None


def _explaining_words(said, name):
    """The words that naming this service accounts for: its name's, and the everyday name used."""
    explained = set(words(name)) | set(_everyday_name(said, name) or ())
    if any(w in explained for w in REPLACING):
        explained.add("new")
    return explained


def _has_phrase(said, phrase):
    size = len(phrase)
    return any(all(_same(said[i + k], phrase[k]) for k in range(size)) for i in range(len(said) - size + 1))


def _among(word, others):
    return any(_same(word, other) for other in others)


def _same(a, b):
    """The same word, give or take a plural or a speech-recognition slip ("break"/"brake",
    "allignment"/"alignment"): long words within a letter or two, starting alike."""
    a, b = _stem(a), _stem(b)
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and a[0] == b[0] and SequenceMatcher(None, a, b).ratio() >= 0.8


def _stem(word):
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


_OTHER_JOB_STEMS = frozenset(_stem(w) for w in OTHER_JOBS)
