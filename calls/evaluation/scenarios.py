"""Caller scenarios, read from TOML files (tomllib) and checked before any call is played.

One file holds any number of `[[scenario]]` tables:

    [[scenario]]
    id = "move-later-same-day"
    about = "A regular moves her oil change a bit later the same day"
    caller = "dana"                 # one of the cast (shop.CAST), "new", "withheld" or an E.164 number
    at = "Monday 10:00"             # when the call happens (shop time)
    has = ["Oil change on Wednesday at 9:00"]   # the caller's appointments before the call
    says = ["Hi, can I push my oil change back a bit later that same day?", "Yes"]

    [[scenario.when]]               # reactive: answers the first agent reply matching `heard`
    heard = "which time|what time"  # a regular expression, case-insensitive
    say = "Whatever's earliest after eleven"
    times = 1                       # how often the rule may answer (default 1)

    [scenario.shop]                 # the shop before the call, changed from the demo shop
    closed = ["Thursday: Thanksgiving"]
    full = ["Friday"]
    hours = { saturday = "9:00-13:00", sunday = "closed" }
    advisor = false                 # nobody picks up a transfer (default: an advisor does)

    [scenario.expect]
    appointments = ["Oil change on Wednesday 10:00-12:00"]  # exactly the caller's active ones after
    callback = { phone = "+17735550123", urgency = "urgent", about = "brake" }
    transferred = true
    customer = { name = "Jo Park", email = "jo@example.com" }
    vehicles = ["2018 Toyota Camry"]
    mentions = ["\\$49"]            # regular expressions the agent's words must contain
    never = ["fully booked"]        # ... and must not

A scenario may put cars in the shop before the call: repair orders, the caller's unless
`customer` names another of the cast (someone else's car, which the caller must learn nothing
about). Every scenario also has the bystander's car in the shop (shop.BYSTANDER_ORDER).

    [[scenario.repair_orders]]
    vehicle = "2019 Toyota Camry"   # "<year> <make> <model>": one of the owner's cars, added if missing
    status = "awaiting_approval"    # checked_in, diagnosing, awaiting_approval, waiting_parts,
                                    # in_progress, ready or on_hold
    promised = "today 17:00"        # optional: "<day> H:MM", days as for appointments
    note = "The water pump arrives Thursday morning"  # optional status note for the customer
    note_approved = true            # an advisor approved the note for callers (default false)
    internal = "Customer was rude"  # optional internal notes: never to be said
    technician = "Luis"             # optional: never to be said
    customer = "priya"              # optional: the order's owner, one of the cast (default: the caller)
    lines = ["Front brake pads $189-$349", "Coolant flush $129", "Oil change $49 done", "Wiper blades"]

A job line is "<description> [$low-$high | $amount] [recommended | approved | declined | done]":
a range is an estimate, one figure an amount, none an unpriced line; the status defaults to
recommended (waiting for the customer's decision). Descriptions are unique across the
caller's orders.

    [scenario.expect]
    approved = ["Front brake pads"]  # exactly these of the caller's lines approved on this call
    declined = ["Coolant flush"]     # exactly these declined on this call
    decline_reason = "money|budget"  # a regular expression each line declined on the call has as its reason
    requested = ["tire rotation"]    # regular expressions: each matches a new line the caller
                                     # asked for (flagged as their request, waiting for a price)

`approved` and `declined` name lines by their description (case-insensitive) and must name lines
the scenario declared, still recommended. Lines not named must not change at all (nothing is
approved that the caller did not name); undeclared `requested` means no line may be added. The
caller's orders themselves (status, promise, notes) must not change; nobody else's either.
Whatever a scenario expects, the agent never says an internal note, a technician's name, a
status note no advisor approved or anything of someone else's car, claims no approval, decline
or ready car the records do not show, and speaks no price but the shop's and the caller's
estimates (and their totals).

An appointment is "<service> on <day>", optionally "at H:MM" or a window "H:MM-H:MM" the start
falls in (24-hour, shop time). A day is "today", "tomorrow", a weekday (the next one after the
call's day), or "+N" days from the call's day. Undeclared `appointments` means the caller's
appointments must not change at all.
"""

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHIPPED = Path(__file__).with_name("scenarios")


class ScenarioError(ValueError):
    """A scenario file that cannot be played as written; the message names the file and scenario."""


@dataclass(frozen=True)
class Day:
    """A day relative to the call's: weekday name, today, tomorrow or +N."""

    word: str

    def on(self, call_day: date) -> date:
        word = self.word
        if word == "today":
            return call_day
        if word == "tomorrow":
            return call_day + timedelta(days=1)
        if word.startswith("+"):
            return call_day + timedelta(days=int(word[1:]))
        ahead = (WEEKDAYS.index(word) - call_day.weekday()) % 7 or 7
        return call_day + timedelta(days=ahead)


@dataclass(frozen=True)
class AppointmentSpec:
    service: str
    day: Day
    earliest: time | None = None  # the start falls in [earliest, latest]
    latest: time | None = None
    text: str = ""

    def matches(self, service_name, start_local, call_day):
        if service_name.lower() != self.service.lower() or start_local.date() != self.day.on(call_day):
            return False
        moment = start_local.time()
        return (self.earliest is None or moment >= self.earliest) and (self.latest is None or moment <= self.latest)


@dataclass(frozen=True)
class Rule:
    heard: re.Pattern
    say: str
    times: int = 1


@dataclass(frozen=True)
class CallbackSpec:
    phone: str | None = None  # E.164, or "caller" for the caller's own number
    urgency: str | None = None
    about: re.Pattern | None = None


@dataclass
class Expectation:
    appointments: list | None = None  # [AppointmentSpec]; None: unchanged
    callback: CallbackSpec | bool | None = None  # False: no message may be left
    transferred: bool | None = None
    customer: dict | None = None
    vehicles: list = field(default_factory=list)
    mentions: list = field(default_factory=list)  # [re.Pattern]
    never: list = field(default_factory=list)
    approved: list = field(default_factory=list)  # line descriptions
    declined: list = field(default_factory=list)
    requested: list | None = None  # [re.Pattern]; None: no line may be added
    decline_reason: re.Pattern | None = None


REPAIR_STATUSES = (
    "checked_in",
    "diagnosing",
    "awaiting_approval",
    "waiting_parts",
    "in_progress",
    "ready",
    "on_hold",
)
LINE_STATUSES = ("recommended", "approved", "declined", "done")


@dataclass(frozen=True)
class LineSpec:
    description: str
    estimate_low: str | None = None
    estimate_high: str | None = None
    amount: str | None = None
    status: str = "recommended"


@dataclass(frozen=True)
class RepairOrderSpec:
    vehicle: tuple  # (year, make, model)
    status: str
    promised: tuple | None = None  # (Day, time)
    note: str = ""
    note_approved: bool = False
    internal: str = ""
    technician: str = ""
    customer: str | None = None  # None: the caller
    lines: tuple = ()  # (LineSpec, ...)


@dataclass
class Scenario:
    id: str
    about: str
    source: str  # "file.toml"
    caller: str
    weekday: int
    at: time
    says: list
    rules: list
    has: list
    shop: dict
    expect: Expectation
    tags: tuple = ()
    repair_orders: list = field(default_factory=list)  # [RepairOrderSpec]


def load(paths=()):
    """Every scenario in `paths` (files or directories of .toml files; default: the shipped ones)."""
    files = []
    for path in [Path(p) for p in paths] or [SHIPPED]:
        if path.is_dir():
            files.extend(sorted(path.glob("*.toml")))
        elif path.is_file():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or directory")
    scenarios, seen = [], {}
    for file in files:
        try:
            tables = tomllib.loads(file.read_text()).get("scenario", [])
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{file.name}: not valid TOML: {exc}") from None
        for table in tables:
            scenario = parse(table, source=file.name)
            scenario.source = file.name
            if scenario.id in seen:
                raise ScenarioError(f"{file.name}: scenario id {scenario.id!r} is also used in {seen[scenario.id]}")
            seen[scenario.id] = file.name
            scenarios.append(scenario)
    return scenarios


def parse(table, *, source="<text>"):
    where = f"{source}: scenario {table.get('id', '(no id)')!r}"
    try:
        return _parse(dict(table))
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ScenarioError(f"{where}: {exc!r}") from None


_KEYS = {"id", "about", "caller", "at", "says", "when", "has", "shop", "expect", "tags", "repair_orders"}
_EXPECT_KEYS = {
    "appointments",
    "callback",
    "transferred",
    "customer",
    "vehicles",
    "mentions",
    "never",
    "approved",
    "declined",
    "requested",
    "decline_reason",
}


def _parse(table):
    unknown = set(table) - _KEYS
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}")
    if not table.get("id"):
        raise ScenarioError("every scenario needs an id")
    weekday, at = _call_time(table.get("at", "Monday 10:00"))
    says = table.get("says", [])
    if not isinstance(says, list) or not all(isinstance(line, str) and line.strip() for line in says):
        raise ScenarioError("`says` is a list of non-empty lines")
    rules = [
        Rule(re.compile(rule["heard"], re.IGNORECASE), rule["say"], int(rule.get("times", 1)))
        for rule in table.get("when", [])
    ]
    if not says and not rules:
        raise ScenarioError("the caller says nothing: give `says` or `when`")
    caller = table.get("caller", "dana")
    repair_orders = [repair_order(order) for order in table.get("repair_orders", [])]
    expect = _expect(table.get("expect", {}))
    repair_orders = [o if o.customer != caller else replace(o, customer=None) for o in repair_orders]
    _check_decisions(expect, repair_orders)
    return Scenario(
        id=table["id"],
        about=table.get("about", ""),
        source="",
        caller=caller,
        weekday=weekday,
        at=at,
        says=says,
        rules=rules,
        has=[appointment(text) for text in table.get("has", [])],
        shop=_shop(table.get("shop", {})),
        expect=expect,
        tags=tuple(table.get("tags", ())),
        repair_orders=repair_orders,
    )


_RO_KEYS = {"vehicle", "status", "promised", "note", "note_approved", "internal", "technician", "customer", "lines"}


def repair_order(table):
    if not isinstance(table, dict):
        raise ScenarioError("`repair_orders` is a list of tables ([[scenario.repair_orders]])")
    unknown = set(table) - _RO_KEYS
    if unknown:
        raise ScenarioError(f"unknown repair order keys {sorted(unknown)}")
    match = re.fullmatch(r"((?:19|20)\d\d) (\S+) (.+)", str(table.get("vehicle", "")).strip())
    if not match:
        raise ScenarioError(f"a repair order's vehicle is '<year> <make> <model>', not {table.get('vehicle')!r}")
    status = table.get("status")
    if status not in REPAIR_STATUSES:
        raise ScenarioError(f"a repair order's status is one of {', '.join(REPAIR_STATUSES)}, not {status!r}")
    promised = None
    if "promised" in table:
        when = re.fullmatch(r"(\S+) (\d{1,2}:\d{2})", str(table["promised"]).strip())
        if not when:
            raise ScenarioError(f"`promised` is '<day> H:MM', not {table['promised']!r}")
        promised = (day(when[1]), _clock(when[2]))
    texts = {}
    for key in ("note", "internal", "technician", "customer"):
        value = table.get(key, "")
        if not isinstance(value, str):
            raise ScenarioError(f"a repair order's `{key}` is a string")
        texts[key] = value.strip()
    if not isinstance(table.get("note_approved", False), bool):
        raise ScenarioError("`note_approved` is true or false")
    lines = table.get("lines", [])
    if not isinstance(lines, list):
        raise ScenarioError("a repair order's `lines` is a list of strings")
    return RepairOrderSpec(
        vehicle=(int(match[1]), match[2], match[3].strip()),
        status=status,
        promised=promised,
        note=texts["note"],
        note_approved=table.get("note_approved", False),
        internal=texts["internal"],
        technician=texts["technician"],
        customer=texts["customer"] or None,
        lines=tuple(job_line(text) for text in lines),
    )


_LINE = re.compile(
    r"(?P<description>.+?)"
    r"(?:\s+\$(?P<low>\d[\d,]*(?:\.\d\d)?)(?:\s*-\s*\$?(?P<high>\d[\d,]*(?:\.\d\d)?))?)?"
    rf"(?:\s+(?P<status>{'|'.join(LINE_STATUSES)}))?",
    re.IGNORECASE,
)


def job_line(text):
    match = _LINE.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match or "$" in match["description"]:
        raise ScenarioError(
            f"a job line is '<description> [$low-$high | $amount] [recommended|approved|declined|done]', not {text!r}"
        )
    low, high = (match[k].replace(",", "") if match[k] else None for k in ("low", "high"))
    status = (match["status"] or "recommended").lower()
    if high is None:
        return LineSpec(match["description"].strip(), amount=low, status=status)
    if float(low) > float(high):
        raise ScenarioError(f"{text!r}: the estimate's high end is below its low end")
    return LineSpec(match["description"].strip(), estimate_low=low, estimate_high=high, status=status)


def _check_decisions(expect, orders):
    """`approved` and `declined` name the caller's declared lines that wait for a decision."""
    mine = [line for order in orders if order.customer is None for line in order.lines]
    names = [line.description.lower() for line in mine]
    if len(set(names)) != len(names):
        raise ScenarioError("two of the caller's job lines have the same description")
    for key in ("approved", "declined"):
        for name in getattr(expect, key):
            line = next((line for line in mine if line.description.lower() == name.lower()), None)
            if line is None:
                raise ScenarioError(f"expect.{key}: the caller has no job line {name!r}")
            if line.status != "recommended":
                raise ScenarioError(f"expect.{key}: {name!r} is {line.status}, not waiting for a decision")
    both = {n.lower() for n in expect.approved} & {n.lower() for n in expect.declined}
    if both:
        raise ScenarioError(f"expect: {sorted(both)} both approved and declined")


def _call_time(text):
    match = re.fullmatch(r"(\w+) (\d{1,2}):(\d{2})", text.strip().lower())
    if not match or match[1] not in WEEKDAYS:
        raise ScenarioError(f"`at` is like 'Saturday 22:50', not {text!r}")
    return WEEKDAYS.index(match[1]), time(int(match[2]), int(match[3]))


_APPOINTMENT = re.compile(
    r"(?P<service>.+?) on (?P<day>[\w+]+)(?: at (?P<at>\d{1,2}:\d{2})| (?P<from>\d{1,2}:\d{2})-(?P<to>\d{1,2}:\d{2}))?",
    re.IGNORECASE,
)


def appointment(text):
    match = _APPOINTMENT.fullmatch(text.strip())
    if not match:
        raise ScenarioError(f"an appointment is '<service> on <day> [at H:MM | H:MM-H:MM]', not {text!r}")
    if match["at"]:
        earliest = latest = _clock(match["at"])
    else:
        earliest, latest = (_clock(match["from"]), _clock(match["to"])) if match["from"] else (None, None)
    return AppointmentSpec(match["service"].strip(), day(match["day"]), earliest, latest, text=text.strip())


def day(word):
    word = word.strip().lower()
    if word in ("today", "tomorrow") or word in WEEKDAYS or re.fullmatch(r"\+\d+", word):
        return Day(word)
    raise ScenarioError(f"a day is today, tomorrow, a weekday or +N, not {word!r}")


def _clock(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _shop(table):
    unknown = set(table) - {"closed", "full", "hours", "advisor"}
    if unknown:
        raise ScenarioError(f"unknown shop keys {sorted(unknown)}")
    closed = []
    for text in table.get("closed", []):
        word, _, reason = text.partition(":")
        closed.append((day(word), reason.strip() or "Closed"))
    hours = {}
    for weekday, span in table.get("hours", {}).items():
        if weekday.lower() not in WEEKDAYS:
            raise ScenarioError(f"hours are given per weekday, not for {weekday!r}")
        if span.strip().lower() == "closed":
            hours[WEEKDAYS.index(weekday.lower())] = None
            continue
        match = re.fullmatch(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", span.strip())
        if not match:
            raise ScenarioError(f"hours are 'H:MM-H:MM' or 'closed', not {span!r}")
        hours[WEEKDAYS.index(weekday.lower())] = (_clock(match[1]), _clock(match[2]))
    return {
        "closed": closed,
        "full": [day(word) for word in table.get("full", [])],
        "hours": hours,
        "advisor": bool(table.get("advisor", True)),
    }


def _expect(table):
    unknown = set(table) - _EXPECT_KEYS
    if unknown:
        raise ScenarioError(f"unknown expect keys {sorted(unknown)}")
    callback = table.get("callback")
    if isinstance(callback, dict):
        about = callback.get("about")
        callback = CallbackSpec(
            phone=callback.get("phone"),
            urgency=callback.get("urgency"),
            about=re.compile(about, re.IGNORECASE) if about else None,
        )
    elif callback not in (None, True, False):
        raise ScenarioError("`callback` is true, false or a table")
    appointments = table.get("appointments")
    for key in ("approved", "declined", "requested"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ScenarioError(f"expect.{key} is a list of non-empty strings")
    requested = table.get("requested")
    reason = table.get("decline_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise ScenarioError("expect.decline_reason is a regular expression")
    if reason is not None and not table.get("declined"):
        raise ScenarioError("expect.decline_reason needs expect.declined")
    return Expectation(
        appointments=None if appointments is None else [appointment(text) for text in appointments],
        callback=callback,
        transferred=table.get("transferred"),
        customer=table.get("customer"),
        vehicles=list(table.get("vehicles", [])),
        mentions=[re.compile(p, re.IGNORECASE) for p in table.get("mentions", [])],
        never=[re.compile(p, re.IGNORECASE) for p in table.get("never", [])],
        approved=[v.strip() for v in table.get("approved", [])],
        declined=[v.strip() for v in table.get("declined", [])],
        requested=None if requested is None else [re.compile(p, re.IGNORECASE) for p in requested],
        decline_reason=re.compile(reason, re.IGNORECASE) if reason else None,
    )
