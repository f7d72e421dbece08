"""Adding the caller's vehicle by VIN, read out in pieces across turns, checked and read back."""

import re

from calls.agent.scripted import messages
from calls.agent.scripted.names import spoken_name
from calls.agent.scripted.state import VinEntry
from calls.agent.scripted.vin import VIN_LENGTH, read_back, vin_characters, vin_fix
from calls.agent.scripted.words import has_any, normalize

READ_IT = "Please read me the 17-character VIN, a few characters at a time."
START_OVER = ("start over", "start again", "from the beginning", "from the top", "scratch that", "let me start")


def start(desk, u, turn):
    caller = desk.state.caller
    if not caller.caller_id:
        turn.say("I'm sorry, I can't add a vehicle without caller ID.")
        messages.offer(desk, turn)
        return
    v = VinEntry()
    desk.state.task = v
    if not caller.on_file:
        v.stage = "name"
        desk.ask(turn, "Sure. I'll put you on file first. Can I get your name, please?")
        return
    given = _after_vin_word(u.text)
    if given and _take(desk, v, given, turn):
        return
    desk.ask(turn, f"Sure. {READ_IT}")


def _after_vin_word(text):
    match = re.search(r"\bvin\b(?:\s+number)?(?:\s+is)?\s+(.*)", normalize(text))
    return match[1] if match else None


def capture(desk, v, u, turn):
    if v.stage == "name":
        name = spoken_name(u.text)
        if name is None:
            return False
        v.new_name = name
        v.stage = "reading"
        desk.ask(turn, f"Thanks, {name.split()[0]}. {READ_IT}")
        return True
    if v.stage != "reading":
        return False
    if has_any(u.said, START_OVER):
        v.chars = ""
        desk.ask(turn, "Sure, from the beginning. Go ahead.")
        return True
    return _take(desk, v, u.text, turn)


def _take(desk, v, text, turn):
    chars, unknown = vin_characters(text)
    if not chars or len(unknown) > max(1, len(chars) // 3):
        return False
    chars = vin_fix(chars)
    v.chars += chars
    count = len(v.chars)
    if count < VIN_LENGTH:
        desk.ask(turn, f"{read_back(chars)}. That's {count} of 17. Go on.")
        return True
    if count > VIN_LENGTH:
        turn.say(f"I have {count} characters, but a VIN has 17.")
        v.chars = ""
        desk.ask(turn, f"Let's start again from the beginning. {READ_IT}")
        return True
    v.vin = v.chars
    if desk.can("decode_vin"):
        turn.call("decode_vin", vin=v.vin)
        turn.then = decoded
    else:
        _confirm(desk, v, turn)
    return True


def decoded(desk, results, turn):
    v = desk.state.task
    if not isinstance(v, VinEntry):
        return
    check = results.get("decode_vin") or {}
    if check.get("valid") is False:
        v.chars, v.vin = "", None
        turn.say("Hmm, that VIN doesn't check out, so I probably misheard a character.")
        desk.ask(turn, f"Let's try once more from the beginning. {READ_IT}")
        return
    v.year, v.make = check.get("year"), check.get("make")
    if v.make or v.year:
        v.decoded = " ".join(str(p) for p in (v.year, v.make) if p)
    _confirm(desk, v, turn)


def _confirm(desk, v, turn):
    v.stage = "confirm"
    what = f" That's a {v.decoded}." if v.decoded else ""
    turn.say(f"I have {read_back(v.vin)}.{what}")
    desk.ask(turn, "Shall I add it to your record?")


def answer(desk, v, u, turn):
    if v.stage != "confirm":
        return False
    if u.yes:
        if not desk.heard_question():
            _confirm(desk, v, turn)
            return True
        if not desk.state.caller.on_file:
            turn.call("create_customer", name=v.new_name)
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
    arguments = {"vin": v.vin}
    if v.year:
        arguments["year"] = v.year
    if v.make:
        arguments["make"] = v.make[:40]
    turn.call("add_vehicle", **arguments)
    turn.then = added


def added(desk, results, turn):
    v = desk.state.task
    done = results.get("add_vehicle") or {}
    desk.state.task = None
    if "error" in done:
        turn.say(f"I'm sorry, I couldn't add it. {done['error']}")
    else:
        what = v.decoded if isinstance(v, VinEntry) and v.decoded else f"vehicle ending in {' '.join(v.vin[-4:])}"
        turn.say(f"Done. I've added the {what} to your record.")
    desk.anything_else(turn)


def dropped(desk, v):
    return "No problem, we can add the car another time."
