"""Adding the caller's vehicle: by VIN, read out in pieces across turns, checked and read back
whole; or by year, make and model ("a 2018 Toyota Camry") when the caller has no VIN to hand."""

import re

from calls.agent.scripted import messages
from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.names import heard_name, remember
from calls.agent.scripted.state import VinEntry
from calls.agent.scripted.vin import VIN_LENGTH, read_back, vin_characters, vin_fix
from calls.agent.scripted.words import has_any, normalize

READ_IT = "Please read me the 17-character VIN, a few characters at a time."
START_OVER = ("start over", "start again", "from the beginning", "from the top", "scratch that", "let me start")
NO_VIN = (
    "don't have it", "don't have the vin", "do not have", "don't know it", "don't know the vin", "without",
    "no vin", "not handy", "not on me", "not with me", "can't find", "don't have that", "skip", "later",
    "just add", "just the car", "just put", "no i don't", "i don't",
)  # fmt: skip
WHICH_CAR = "No problem. What's the year, make and model?"
TRIES = 2  # VINs that fail their check before the caller is offered something else


def start(desk, u, turn):
    caller = desk.state.caller
    if not caller.caller_id:
        return messages.without_caller_id(desk, turn, u, "I'm sorry, I can't add a vehicle without caller ID.")
    v = VinEntry()
    desk.state.task = v
    _describe(v, u.text)
    given = _after_vin_word(u.text)
    if not caller.on_file and not caller.name:
        v.stage = "name"
        v.chars = given or ""  # a VIN said already waits for the name
        desk.ask(turn, "Sure. I'll put you on file first. Can I get your name, please?")
        return
    v.new_name = None if caller.on_file else caller.name
    _next(desk, v, given, turn)


def _next(desk, v, given, turn):
    """After the name: the VIN given, the car described, or ask for the VIN."""
    v.stage = "reading"
    if given and _take(desk, v, given, turn, quiet=True):
        return
    v.chars = ""
    if v.make:
        _confirm(desk, v, turn)
        return
    lead = f"Thanks, {v.new_name.split()[0]}." if v.new_name else "Sure."
    desk.ask(turn, f"{lead} {READ_IT}")


def _describe(v, text):
    car = car_in(text)
    if car is None:
        return False
    v.year, v.make, v.model = car.year or v.year, car.make, car.model or v.model
    return True


def _after_vin_word(text):
    match = re.search(r"\bvin\b(?:\s+number)?(?:\s+is)?\s+(.*)", normalize(text))
    return match[1] if match else None


def capture(desk, v, u, turn):
    if v.stage == "name":
        name = heard_name(u.text)
        if name is None:
            return False
        remember(desk, name)
        given, v.chars = v.chars, ""
        _next(desk, v, given, turn)
        return True
    if v.stage == "model":
        if not _describe(v, u.text):
            return False
        _confirm(desk, v, turn)
        return True
    if v.stage not in ("reading", "confirm"):
        return False
    if has_any(u.said, START_OVER):
        v.chars, v.vin, v.stage = "", None, "reading"
        desk.ask(turn, "Sure, from the beginning. Go ahead.")
        return True
    if v.stage == "reading" and has_any(u.said, NO_VIN) and not vin_characters(u.text)[0][3:]:
        _describe(v, u.text)
        if v.make:
            _confirm(desk, v, turn)
        else:
            v.stage = "model"
            desk.ask(turn, WHICH_CAR)
        return True
    if v.stage == "confirm" and (u.yes or u.no):
        return False
    chars, unknown = vin_characters(u.text)
    if car_in(u.text) and not _after_vin_word(u.text) and (unknown or len(chars) < 3):
        _describe(v, u.text)
        v.chars, v.vin = "", None
        _confirm(desk, v, turn)
        return True
    return _take(desk, v, _after_vin_word(u.text) or u.text, turn)


def _take(desk, v, text, turn, *, quiet=False):
    chars, unknown = vin_characters(text)
    if not chars or len(unknown) > max(1, len(chars) // 3):
        return False
    if v.stage == "confirm":
        v.chars, v.vin = "", None  # a new VIN read instead of a yes
    v.stage = "reading"
    chars = vin_fix(chars)
    v.chars += chars
    count = len(v.chars)
    if count < VIN_LENGTH:
        desk.ask(turn, f"{read_back(chars)}. That's {count} of 17. Go on.")
        return True
    if count > VIN_LENGTH:
        turn.say(f"That's {count} characters, and a VIN has 17, so that one isn't valid.")
        return _again(desk, v, turn)
    v.vin = v.chars
    if desk.can("decode_vin"):
        turn.call("decode_vin", vin=v.vin)
        turn.then = decoded
    else:
        _confirm(desk, v, turn)
    return True


def _again(desk, v, turn):
    """Read it again, or after TRIES invalid VINs offer another way instead of asking once more."""
    v.chars, v.vin = "", None
    v.misses += 1
    if v.misses >= TRIES:
        if v.make:
            turn.say("Let's leave the VIN off for now.")
            _confirm(desk, v, turn)
            return True
        v.stage = "model"
        desk.ask(turn, "Let's leave the VIN off for now; an advisor can add it later. What's the year, make and model?")
        return True
    desk.ask(turn, f"Let's try once more from the beginning. {READ_IT}")
    return True


def decoded(desk, results, turn):
    v = desk.state.task
    if not isinstance(v, VinEntry):
        return
    check = results.get("decode_vin") or {}
    if check.get("valid") is False:
        turn.say(f"Hmm, {read_back(v.vin)} isn't a valid VIN, so I probably misheard a character.")
        _again(desk, v, turn)
        return
    v.year, v.make = check.get("year") or v.year, check.get("make") or v.make
    if v.make or v.year:
        v.decoded = " ".join(str(p) for p in (v.year, v.make) if p)
    _confirm(desk, v, turn)


def _confirm(desk, v, turn):
    v.stage = "confirm"
    if v.vin:
        what = f" That's a {v.decoded}." if v.decoded else ""
        turn.say(f"I have {read_back(v.vin)}.{what}")
    else:
        turn.say(f"So that's a {_car(v)}.")
    desk.ask(turn, "Shall I add it to your record?")


def _car(v):
    return " ".join(str(p) for p in (v.year, v.make, v.model) if p)


def answer(desk, v, u, turn):
    if v.stage != "confirm":
        return False
    if u.yes:
        if not desk.heard_question():
            _confirm(desk, v, turn)
            return True
        if not desk.state.caller.on_file:
            turn.call("create_customer", name=v.new_name or desk.state.caller.name)
            turn.then = customer_created
        else:
            _add(v, turn)
        return True
    if u.no:
        v.chars, v.vin, v.decoded, v.stage = "", None, None, "reading"
        desk.ask(turn, f"Sorry about that. Let's start over. {READ_IT}")
        return True
    return False


def customer_created(desk, results, turn):
    v = desk.state.task
    if "error" in (results.get("create_customer") or {}) or not isinstance(v, VinEntry):
        desk.state.task = None
        turn.say("I'm sorry, I couldn't set up your record just now.")
        return desk.anything_else(turn)
    _add(v, turn)


def _add(v, turn):
    arguments = {}
    if v.vin:
        arguments["vin"] = v.vin
    if v.year:
        arguments["year"] = v.year
    if v.make:
        arguments["make"] = v.make[:40]
    if v.model:
        arguments["model"] = v.model[:60]
    turn.call("add_vehicle", **arguments)
    turn.then = added


def added(desk, results, turn):
    v = desk.state.task
    done = results.get("add_vehicle") or {}
    desk.state.task = None
    if "error" in done:
        turn.say(f"I'm sorry, I couldn't add it. {done['error']}")
    elif isinstance(v, VinEntry) and not v.vin:
        turn.say(f"Done. I've added the {_car(v)} to your record.")
    elif done.get("vin_check"):
        turn.say(
            f"Done. I've added the {done.get('vehicle') or 'car'} to your record, and an advisor will confirm "
            "the VIN with you before your visit."
        )
    else:
        what = v.decoded if isinstance(v, VinEntry) and v.decoded else f"vehicle ending in {' '.join(v.vin[-4:])}"
        turn.say(f"Done. I've added the {what} to your record.")
    desk.anything_else(turn)


def dropped(desk, v):
    return "No problem, we can add the car another time."
