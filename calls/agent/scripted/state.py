"""What the receptionist remembers during one call, and what one reply of hers consists of."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from calls.agent.scripted.shop import ShopFacts
from calls.agent.scripted.when import When


@dataclass
class Caller:
    looked_up: bool = False
    on_file: bool = False
    caller_id: bool = True  # False: withheld, nothing can be looked up or booked
    name: str | None = None
    spelling: str | None = None  # the name as a new caller spelled it out: "S I O B H A N, K E L L Y"
    email: str | None = None  # an address a caller not on file said, put on file with their name
    vehicles: list = field(default_factory=list)  # lookup_customer's vehicle dicts
    upcoming: int = 0  # how many upcoming appointments lookup_customer found
    cars_in_shop: int = 0  # how many open repair orders lookup_customer found

    @property
    def first_name(self):
        return self.name.split()[0] if self.name else None


@dataclass
class Booking:
    """Book a service, or move an appointment (`moving` is the appointment being moved)."""

    stage: str = "service"  # service | day | time | offered | name | confirm
    service: str | None = None
    when: When | None = None
    notes: str = ""
    unlisted: str | None = None  # a job asked about that the shop does not list ("towing"), said once
    waiter: bool = False
    drop_off: bool = False  # the caller said they will leave the car (not asked again)
    say_how_long: bool = False  # "... instead? How long does that take?": said when its slots come back
    wait_asked: bool = False  # "can I wait, or do I have to leave it?": whether they wait is asked once booked
    vehicle_id: int | None = None
    vehicle: str | None = None
    new_car: object = None  # a car the caller named that is not on file (car_names.Car): added, then booked on
    whose_car: str | None = None  # "my mom's car", of no make or model: none of theirs on file, asked after
    moving: dict | None = None  # get_upcoming_appointments' appointment
    replacing: dict | None = None  # the appointment this call just booked, cancelled when this one is booked
    offered: list = field(default_factory=list)  # datetimes (shop local, naive)
    chosen: datetime | None = None
    taken: list = field(default_factory=list)  # times a booking attempt found taken
    suggested_day: date | None = None
    new_name: str | None = None  # a caller not on file: the name to create them with
    full_name_asked: bool = False  # a one-word name ("Mrs. Pruitt") was asked for in full, once
    misses: int = 0
    also: list = field(default_factory=list)  # more services asked for in the same breath, booked next
    also_details: list = field(default_factory=list)  # per entry of `also`: its own when, vehicle, "right after"
    busy: list = field(default_factory=list)  # (start, end) of what this call already booked for the caller
    minutes: int = 0  # how long the service takes, once the schedule said
    same_offers: int = 0  # how many times running the very same offer was just made again


@dataclass
class Cancellation:
    stage: str = "choose"  # choose | confirm | several (cancelling `appointment` and then `also`)
    appointment: dict | None = None
    also: list = field(default_factory=list)  # more to cancel after `appointment` ("both of them")
    reason: str = ""
    said: str = ""  # the caller's words asking for it ("... I'll call and set up something new")
    misses: int = 0


@dataclass
class Message:
    stage: str = "reason"  # reason | name | urgency | callback | email | confirm
    name: str | None = None
    reason: str | None = None
    urgency: str | None = None
    callback: str | None = None
    misses: int = 0
    company: str | None = None  # who the caller speaks for ("Dwayne, with Ace Towing")
    other_number: bool = False  # "call my cell, not this number", with no number given yet
    extension: str | None = None  # "312-555-0142, extension 214": for whoever answers that number
    email: str | None = None  # an address said for the advisor to write to
    wants_email: bool = False  # "a written estimate emailed to me": the address is asked for
    by_text: bool = False  # "can they just text me?": the advisor is asked to text back, not call
    for_whom: str | None = None  # "can you just have Mike call me?": the one asked for, by name


@dataclass
class VinEntry:
    stage: str = "reading"  # name | reading | model | confirm
    chars: str = ""
    vin: str | None = None
    decoded: str | None = None  # "2003 Honda"
    year: int | None = None
    make: str | None = None
    model: str | None = None  # said by the caller ("a 2018 Toyota Camry"), with or without a VIN
    new_name: str | None = None
    misses: int = 0


@dataclass
class Choosing:
    """Which appointment, for `purpose` (cancel | move), when the caller has several."""

    purpose: str
    options: list
    said: str = ""  # the request, replayed once chosen
    misses: int = 0


@dataclass
class CarInShop:
    """The caller's car in the shop (open repair orders): which one, then deciding on its work.

    stage: choose (which car) | decide (which lines) | confirm (the read-back) | add (a priced service:
    add it?) | writing."""

    stage: str = "choose"
    said: str = ""  # what the caller asked, answered once the orders are in
    orders: list = field(default_factory=list)  # get_repair_status' repair_orders
    order: dict | None = None
    pickup_today: str = ""  # today's hours, as get_repair_status said them
    pickup_next: str = ""  # when the shop opens next, as get_repair_status said it
    approve: list = field(default_factory=list)  # line views the caller named to go ahead with
    decline: list = field(default_factory=list)  # ... and to leave
    reason: str = ""  # why they declined, in their words
    words: str = ""  # what they said deciding, as heard
    left: list = field(default_factory=list)  # lines the read-back said it leaves ("over your limit")
    after: str = ""  # a decision said with a request for more work, taken up once the request is in
    more_jobs: list = field(default_factory=list)  # (job, words): more work asked for in the same breath
    several: list = field(default_factory=list)  # decisions on two cars or more at once: {order, approve, ...}
    adding: str = ""  # a listed service whose price was asked: added as a request if the caller says so
    message: str = ""  # for an advisor once the decision is written ("the rotors only if under 250")
    misses: int = 0


@dataclass
class Pending:
    """Tool calls sent, waiting for their results; `step(desk, results by tool name, turn)`
    continues the conversation."""

    step: Callable
    call_ids: list
    names: dict  # call id -> tool name


@dataclass
class Conversation:
    caller: Caller = field(default_factory=Caller)
    shop: ShopFacts = field(default_factory=ShopFacts)
    task: object = None
    awaiting: str | None = None  # what a bare yes/no answers: anything_else | take_message | book_service | book_new
    offer_service: str | None = None
    wait_asked_for: str | None = None  # the service the caller asked whether they can wait for
    cancelled: list = field(default_factory=list)  # the appointments this call cancelled
    leaving: bool = False  # "Yep, book it. Sorry, gotta run. Bye!": booked, then goodbye, nothing more asked
    appointments: list | None = None  # the caller's upcoming ones, as get_upcoming_appointments last said
    unclear: str | None = None  # what the caller said that we could not handle (a message's reason)
    pending: Pending | None = None
    queued: str | None = None  # the caller's words waiting for a lookup to finish
    last_question: str | None = None
    task_question: str | None = None  # the task's own last question, asked again after an aside
    last_said: str = ""
    misses: int = 0
    calls_made: int = 0
    asked: tuple = (None, "")  # the shop question being answered: (intent, words)
    price_talks: int = 0  # prices said back or bargained over: the listed one is said once, then an advisor
    cars_told: set = field(default_factory=set)  # the cars in the shop whose status the caller has heard
    pickup_talked: bool = False  # a car of theirs is ready and its pickup was talked about
    queued_email: str | None = None  # an address the caller asked to put on file, while add_email runs
    cars_seen: list = field(default_factory=list)  # get_repair_status' orders, as last heard
    car_in_talk: str | None = None  # the vehicle of the order last talked about ("is that cool?" is about it)
    last_booked: dict | None = None  # the appointment this call booked last: "make that 3:30" moves it
    said: str = ""  # everything said on this call so far
    no_id_offered: int = 0  # how often a message was offered for want of caller ID
    later: str | None = None  # the other request of a breath that held two, taken up once the first is done
    later_after: list = field(default_factory=list)  # and the ones after it ("move all three"), each in turn


class Turn:
    """One reply: words to say, then tool calls to make (continued at `then` with their results)."""

    def __init__(self):
        self.lines = []
        self.calls = []  # (name, arguments dict)
        self.ids = []  # the calls' ids, given when the turn is finished
        self.then = None  # a step, as in Pending

    def say(self, *sentences):
        self.lines.extend(s for s in sentences if s)

    def call(self, tool, **arguments):
        self.calls.append((tool, arguments))

    @property
    def text(self):
        return " ".join(self.lines)
