"""What the caller wants, from keywords. Order matters: the first intent found wins."""

import re

from calls.agent.scripted.words import WHEN_YOU_OPEN, has_any, normalize

# A car battery that "won't hold a charge" is no question about what the shop charges.
NOT_A_PRICE = re.compile(
    r"\b(?:hold|holds|holding|keep|keeps|keeping|take|takes|taking|lose|loses|losing|losing its)"
    r" (?:a |its |the |any |much )?charge\b"
)

GOODBYE = (
    "bye", "goodbye", "good bye", "bye bye", "that's all", "that is all", "that's it", "that's everything",
    "nothing else", "i'm all set", "im all set", "i'm good", "i'm done", "have a good day", "have a nice day",
    "talk to you later", "hang up", "no that's it", "nope that's it", "that'll be all", "that will be all",
    "see you then", "see you soon", "see you later", "see ya", "see you before", "see you tomorrow",
)  # fmt: skip
PERSON = (
    "person", "human", "real person", "somebody", "someone", "advisor", "adviser", "representative", "operator",
    "manager", "mechanic", "technician", "agent", "receptionist", "staff", "transfer me", "put me through",
    "speak to", "talk to", "connect me", "whoever", "patch me through", "put through", "parts department",
    "parts guy", "parts person", "parts manager", "service department", "service writer", "front desk",
)  # fmt: skip
PERSON_VERBS = (
    "speak",
    "talk",
    "transfer",
    "put me through",
    "put through",
    "patch",
    "connect",
    "get me",
    "can i get",
    "want",
    "need",
)  # "want" and "need" last
MESSAGE = (
    "leave a message", "take a message", "leave him a message", "leave her a message", "pass a message",
    "pass on a message", "call me back", "call back", "callback", "have someone call", "have somebody call",
    "get back to me", "give me a call", "call me", "call my", "someone call", "somebody call", "anyone call",
    "advisor call", "have them call", "have him call", "have her call", "email me", "text me", "ring me",
    "message is fine", "get in touch", "contact me", "give me a ring", "give me a buzz", "give me a shout",
    "ring me back", "emailed to me", "email it to me", "email that to me", "e-mail it to me", "send it to my email",
    "written estimate", "estimate in writing", "email me a", "text me a",
)  # fmt: skip
# Not now, or only asking: "not right now", "just wondering", "I'll think about it", "I'm not doing that now".
NOT_NOW = (
    "not yet", "not right now", "not now", "not today", "not this time", "maybe later", "maybe another time",
    "some other time", "shopping around", "just checking", "just looking", "just asking", "just wondering",
    "just curious", "i'll think about it", "let me think about it", "i'll let you know", "not doing that now",
    "not doing that yet", "not doing it now", "calling around", "getting prices", "comparing prices",
    "price shopping", "getting quotes", "just getting a quote", "just need a price", "just wanted a price",
    "just wanted the price", "just wanted to know",
)  # fmt: skip
I_CALL_BACK = (  # the caller will call again: no message asked for
    "i'll call back", "i will call back", "i'll call you back", "i can call back", "i'll just call back",
    "i'll just call you back", "i'll call you guys back", "i'll give you a call back", "i'll give you a call",
    "i'll just give you a call", "i'll call again", "i'll just call again", "i'll try back", "i'll ring back",
    "i'll have her call", "i'll have him call", "i'll have them call", "i'll tell her to call", "i'll tell him to call",
    "i'll get her to call", "i'll get him to call", "and call you back", "and call you guys back", "and call back",
    "and give you a call", "and give you guys a call",
)  # fmt: skip
STATUS = (  # how a car in the shop is getting on: only an advisor knows
    "is it ready", "is my car ready", "is my truck ready", "is the car ready", "is the truck ready", "ready yet",
    "done yet", "finished yet", "is it done", "is my car done", "is my truck done", "car's done", "truck's done",
    "car is done", "truck is done", "ready to pick up", "ready for pickup", "ready to be picked up",
    "status of my", "how's my car", "how is my car", "update on my car", "update on my truck",
)  # fmt: skip
PERSON_ALONE = (
    "person", "human", "operator", "representative", "agent", "advisor", "adviser", "manager", "receptionist",
    "real person", "live person", "someone real",
)  # fmt: skip
NOT_PERSON = (  # a person asked for only to call back, or not wanted at all
    "call me", "call back", "call my", "someone call", "somebody call", "no need to", "don't need to",
    "message is fine", "leave a message", "take a message",
)  # fmt: skip
CANCEL = (
    "cancel", "call off", "can't make it", "cannot make it", "won't make it", "won't be able to make it",
    "can't make my", "cannot make my", "won't make my", "won't be able to make my", "scrap it", "scrap my",
    "scrap the", "scratch it", "scratch my", "scratch the", "scratch that appointment", "bail on", "have to drop it",
    "need to drop it", "take it off the books", "take me off the books", "take me off the schedule",
    "take it off the schedule", "not going to make it", "not gonna make it", "can't do it tomorrow",
    "can't come in", "can't bring it in", "won't be able to come", "won't be able to bring",
)  # fmt: skip
RESCHEDULE = (
    "reschedule", "re schedule", "move my", "move the", "move it", "move both", "move them", "move all of",
    "move those", "move these", "change my appointment", "change the appointment",
    "change my booking", "change the time of", "change the day of", "different time", "different day", "push it",
    "push back",
    "push my", "another day", "another time", "switch my", "bump my", "move that", "bump that", "bump it",
    "bump the", "push that", "push the", "move one", "move an appointment", "move a booking", "change one of my",
    "switch one of my", "push one of my", "bump one of my", "change an appointment", "reschedule one",
    "slide the", "slide my", "slide it", "slide that", "shift the", "shift my", "shift it",
    # "I need to move Monday's alignment to Tuesday": the appointment named by its day
    *(
        f"{verb} {day}'s"
        for verb in ("move", "push", "bump", "shift", "switch", "change")
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow")
    ),
)  # fmt: skip
LIST = (
    "when is my", "when's my", "what time is my", "do i have an appointment", "do i have any", "my appointments",
    "my appointment", "upcoming", "what appointments", "am i booked", "am i scheduled", "confirm my appointment",
    "check my appointment", "when am i", "do i have anything", "do i have something", "anything booked",
    "anything scheduled", "anything coming up", "something coming up", "coming up", "what time am i",
    "what day am i", "did i book", "have i booked", "did i make an appointment", "am i down for", "when do i come in",
    "when should i come in", "when do i bring", "what's my appointment", "look up my appointment", "still on for",
    "my booking", "my bookings", "my reservation", "my reservations", "something booked", "something scheduled",
    "something on the books", "anything on the books", "what i have booked", "what i have scheduled",
    "what i've got booked", "what i have with you", "what i have coming", "see what i have", "check what i have",
    "what do i have booked", "what do i have scheduled", "what do i have coming", "what do i have with you",
    "what have i got", "what've i got", "have me down", "have me booked", "have me scheduled", "got me down",
    "got me booked", "anything under my name", "something under my name", "what's under my name",
    "have under my name", "booked under my name", "scheduled under my name", "is that still on", "is it still on", "still happening",
    "what time do i need to be there", "what time should i be there", "when do i need to be there",
    "when should i be there", "what time do i come", "what time should i come", "what time do i drop",
)  # fmt: skip
BOOK = (
    "book", "schedule", "appointment", "make an appointment", "set up", "bring it in", "bring my car",
    "bring in my", "bring the car", "come in", "drop off", "drop it off", "get it in", "get my car in",
    "get in", "available", "availability", "openings", "opening", "slot", "need a", "need an", "need my",
    "need to get", "want to get", "like to get", "would like a", "would like an", "i'd like a", "i'd like an",
    "looking for", "do you have time", "can you fit", "can i come", "squeak", "making a noise",
    "take the car", "take my car", "take a look", "have a look", "look at it", "fit me in", "squeeze me in",
    "get me in", "squeeze it in", "fit it in",
)  # fmt: skip
VEHICLE = (
    "vin", "add a car", "add my car", "add a vehicle", "add my vehicle", "add another car", "add another vehicle",
    "new car", "new vehicle", "another car", "second car", "got a new", "bought a", "add the car", "add a truck",
    "add my truck", "put my car on file", "register my car", "add it to my account", "update my vehicle",
    "to my account", "on my account", "to my record", "on my record", "to my profile", "add my", "add another",
)  # fmt: skip
HOURS = (
    "hours", "open", "opening time", "close", "closing", "closed", "what time do you", "when do you",
    "are you open", "how late",
)  # fmt: skip
LOCATION = (
    "where", "address", "located", "location", "directions", "how do i get", "find you", "parking", "park",
    "train", "the l", "blue line", "subway", "bus", "transit", "public transport", "how close", "how far are you",
    "how far is", "how far from", "near you", "nearby", "close to you", "walk from", "cross street", "what street",
)  # fmt: skip
PRICE = (
    "how much", "cost", "costs", "price", "prices", "pricing", "charge", "estimate", "quote", "expensive", "cheap",
    "rate", "ballpark", "ball park", "set me back", "run me", "what does it run", "what does that run",
    "what would it run", "what would that run", "what will it run", "what's it run", "what do they run",
    "what do those run", "what's that run", "what's that gonna run", "what's the damage", "how many dollars", "how many bucks",
    "what do you get for", "what do you guys get for", "what do you ask for", "going rate", "usually get for",
    "typically get for", "normally get for", "usually run", "typically run", "usually cost", "typically cost",
    "charging for", "you charging", "you guys charging", "y'all charging", "what are the charges",
    "bucks is that right", "dollars is that right", "bucks right", "dollars right", "bucks isn't it",
    "dollars isn't it", "bucks correct", "bucks is that correct", "bucks is that true",
)  # fmt: skip
SERVICES = (
    "what services", "what do you do", "what kind of work", "what can you do", "services do you", "do you do",
    "do you offer", "do you fix", "do you repair",
)  # fmt: skip
PAYMENT = (
    "pay",
    "payment",
    "credit card",
    "debit",
    "cash",
    "apple pay",
    "google pay",
    "financing",
    "checks",
    "a check",
    "by check",
    "personal check",
    "cheque",
    "cheques",
    "venmo",
    "finance",
    "payment plan",
    "cards only",
    "credit cards",
    "take cards",
    "take credit",
    "zelle",
)  # not "can you check?"
HOURS_QUESTIONS = (  # before a booking's words: "are you open over lunch? could I drop off a key?"
    "are you open", "are you guys open", "you guys open", "are y'all open", "is the shop open", "over lunch",
    "open during lunch", "open at lunch", "open for lunch", "closed for lunch", "close for lunch", "still open",
    "open late",
)  # fmt: skip
# "Two o'clock Wednesday, if it's still open": the time asked for, not the shop's hours; nor "I know
# you're probably closed, but can I get in tomorrow?", said of the shop as an aside.
SLOT_STILL_OPEN = (
    "if it's still open", "if it is still open", "if that's still open", "if that is still open", "if still open",
    "if it's open", "if that's open", "if it's still free", "if that's still free", "if that one's still open",
    "if that time's still open", "if that slot's still open", "you're probably closed", "you guys are probably closed",
    "i know you're closed", "i know you guys are closed", "i know you're probably", "i know it's late",
    "you're probably closing", "i know it's after hours",
    # a time taken as it comes, not the hours: "Tuesday morning, whatever's open"
    "whatever's open", "whatever is open", "whichever's open", "whichever is open", "whatever you have open",
    "whatever you've got open", "whatever you got open", "whatever's still open", "anything that's open",
)  # fmt: skip
DURATION = (  # how long a job takes, and whether the caller can wait for it
    "how long", "how long's", "how longs", "how long'll", "how much time", "how many hours", "how many minutes", "take long", "takes long", "how quick",
    "how fast", "can i wait", "could i wait", "can i just wait", "could i just wait", "can i stay",
    "could i stay", "should i wait", "do i wait", "wait or", "do i have to leave", "do i need to leave",
    "have to leave it", "need to leave it", "drop it off or", "is it a drop off",
    "can i sit", "could i sit", "can i just sit", "could i just sit", "can i sit and wait",
    "all day thing", "all day job", "all day deal", "take all day", "takes all day", "an all day",
    "wait for it or", "wait around", "can i hang out", "could i hang out",
    "will i be able to wait", "would i be able to wait", "thing i can wait", "something i can wait",
    "thing you can wait", "something you can wait",
)  # fmt: skip
VEHICLE_KINDS = (  # kinds of vehicle a shop may not take: asked about even beside a service's name
    "hybrid", "hybrids", "prius", "plug in", "electric", "electric car", "ev", "evs", "tesla", "teslas",
    "rivian", "nissan leaf", "bolt ev", "diesel", "diesels", "dually", "one ton", "1 ton", "semi", "box truck",
    "motorcycle", "motorcycles", "motorbike", "motorbikes", "motor bike", "harley", "harleys", "harley davidson",
    "bike", "dirt bike", "scooter", "moped", "rv", "motorhome", "motor home",
)  # fmt: skip
WARRANTY = (
    "warranty", "guarantee", "guaranteed", "is that covered", "is it covered", "are they covered", "be covered",
    "still covered", "covered under", "covered by you", "does that cover", "does it cover", "am i covered",
    "are we covered", "is he covered", "is she covered",
)  # fmt: skip
LOANERS = (
    "loaner", "loaners", "rental", "rentals", "shuttle", "ride", "courtesy car", "loan car", "borrow a car",
)  # fmt: skip
MAKES = (
    "do you work on", "do you service", "work on", "do you fix", "electric", "tesla", "diesel", "hybrid",
    "motorcycle", "european", "bmw", "mercedes", "audi", "volkswagen", "toyota", "honda", "ford", "makes",
)  # fmt: skip
GREETING = ("hi", "hello", "hey", "hi there", "hello there", "good morning", "good afternoon", "good evening", "howdy")
THANKS = ("thanks", "thank you", "thank you so much", "thanks a lot", "great thanks", "awesome", "perfect", "great")
ABORT = (
    "never mind",
    "nevermind",
    "forget it",
    "forget that",
    "scratch that",
    "cancel that",
    "don't worry about it",
    "don't book",
    "do not book",
)
REPEAT = (
    "say that again", "repeat that", "repeat", "come again", "pardon", "what was that", "didn't catch",
    "didn't hear", "one more time", "are you there", "you there", "you still there", "are you still there",
    "lost you", "you cut out", "cut out", "broke up", "breaking up",
)  # fmt: skip
WAIT_AT_SHOP = (
    "wait for it",
    "wait there",
    "wait at the shop",
    "wait while",
    "i'll wait",
    "i will wait",
    "stay while",
    "waiter",
    "wait in the lobby",
    "sit there while",
    "i can sit there",
    "i'll sit there",
    "i can sit and wait",
    "i'll sit and wait",
    "wait in the waiting room",
    "just wait",
    "hang out",
    "stick around",
)
DROP_OFF = (
    "drop it off", "drop off", "dropping it off", "drop it by", "drop the car", "drop her off", "drop him off",
    "leave it", "leave the car", "leave her", "leaving it", "won't wait", "will not wait", "can't wait",
    "not going to wait", "not gonna wait", "no need to wait", "i won't be waiting", "drop it",
)  # fmt: skip


INTENTS = (  # (intent, phrases that say it, phrases that rule it out), after "person"
    ("message", MESSAGE, I_CALL_BACK),
    ("status", STATUS, ()),
    ("cancel", CANCEL, ("cancel that", "cancel it")),
    ("reschedule", RESCHEDULE, ()),
    (
        "list",
        LIST,
        (
            "book a",
            "book an",
            "to book",
            "book me",
            "book it",
            "make an appointment",
            "schedule an",
            "new appointment",
            "coming up on",
            "coming up for",
            "coming up due",
        ),  # "the Camry's coming up on one": due for it
    ),  # fmt: skip
    ("vehicle", VEHICLE, ("appointment", "booking", "message", "charge", "bill", "invoice", "payment")),
    ("warranty", WARRANTY, ()),
    ("makes", VEHICLE_KINDS, ()),
    (
        "duration",
        DURATION,
        (
            "open",
            "close",
            "closed",
            "warranty",
            "guarantee",
            "loaner",
            "rental",
            "get me in",
            "until you",
            "till you",
            "in business",
            "do i pay",
            "pay when",
            "pay at",
            "payment",
        ),
    ),
    ("price", PRICE, ()),
    (  # "do you do loaners?", "do you do financing?": not a job
        "services",
        SERVICES,
        ("loaner", "loaners", "rental", "courtesy car", "shuttle", "financing", "finance", "payment plan"),
    ),
    ("loaners", LOANERS, ()),
    ("payment", PAYMENT, ("check engine", "check my", "check the", "check on")),
    ("location", LOCATION, ()),
    ("hours", HOURS_QUESTIONS, ("lunch break", "my lunch", *SLOT_STILL_OPEN)),
    ("book", BOOK, ()),
    (
        "hours",
        HOURS,
        (
            "close to it",
            "close to that",
            "close to then",
            "or close",
            "close enough",
            "as close as",
            "close as",
            *SLOT_STILL_OPEN,
        ),  # fmt: skip
    ),
    ("makes", MAKES, ()),
    ("goodbye", GOODBYE, ()),
)


# "I forgot what time my AC appointment is", "remind me when I'm coming in": the caller's own booking asked about.
LIST_ASKED = re.compile(
    r"\bwhat (?:i've|i have|i|have i|do i have|did i)(?: got| get)? (?:booked|scheduled|coming up|lined up|on the books"
    r"|set up|down for)\b|"
    r"\b(?:when|what time|what day)(?: is| was|'s)? (?:my|the) (?:[\w/'-]+ ){0,3}(?:appointment|booking|reservation)s?"
    r"(?! for (?:a|an|my|the) )\b|\b(?:remind me|forgot|forget|forgotten|can't remember|cannot remember|don't remember"
    r"|lost track of) (?:when|what time|what day|which day) (?:my|i'm|i am|im|i|it is|it's|the appointment)\b|\b(?:when|what time|what day) (?:i'm|i am|im"
    r"|i was|i'm supposed to|i was supposed to|i should|i need to|i have to) (?:be )?(?:coming in|come in|booked|scheduled|due"
    r"|bringing|bring (?:it|the car|my car|the truck|her|him) in|dropping)\b"
)


# The caller would rather get a text than a call back: "text me instead", "can they just text me?".
BY_TEXT = re.compile(
    r"\b(?:text me|texting me|send me a text|shoot me a text|drop me a text|(?:a )?text (?:is|would be|works|'s) "
    r"(?:better|fine|easier|best|good|great)|texting (?:is|would be|works) (?:better|fine|easier|best)"
    r"|(?:by|via|over|through) text|prefer (?:a )?text|rather (?:get |have )?(?:a )?text|just text)\b"
)


# "Could you tell Bernie that Gwen says thanks?", "pass my thanks on to Mike": word for someone at the shop.
TELL_SOMEONE = re.compile(
    r"\b(?:tell|let) (?!me\b|us\b|you\b|them\b|him\b|her\b|it\b|that\b|the\b|my\b|your\b|whoever\b)[a-z]+ "
    r"(?:that|know)\b|\bpass (?:it|this|that|a message|a note|word|my thanks|on my thanks|along my thanks)"
    r" (?:on |along )?to [a-z]+\b|\b(?:leave|give) (?:a message|a note|word) (?:for|to) [a-z]+\b"
)
# "What does a tire rotation run?", "what would new pads set me back": a price, by the job's name.
RUNS = re.compile(
    r"\bwhat(?:'s| is| does| do| would| will| did) (?:a |an |the |my |your |some )?(?!hours?\b|time\b|days?\b)"
    r"(?:[\w-]+ ){1,3}(?:run|cost|go for|set me back)(?: me| us| you)?\b"
    # "is it gonna be the full hundred and forty-nine?", "will it be the whole 149?": an amount asked
    r"|\b(?:is it|it's|will it be|gonna be|going to be|is that) (?:gonna be |going to be )?the (?:full|whole|entire) "
    r"(?:\d+|(?:one |a )?hundred|two hundred|three hundred|price|amount)\b"
    # ... and asked inside another sentence: "remind me what a rotation runs", "I forget what pads cost"
    r"|\bwhat (?:a |an |the |some |new )?(?:[\w-]+ ){0,2}[\w-]+ (?:runs|costs|goes for|run|cost|go for)\b(?! on\b| out\b)"
)


def detect(text):
    """The caller's request as one of: goodbye, person, message, status, cancel, reschedule, list, vehicle,
    book, price, duration, hours, location, payment, warranty, loaners, makes, services, or None."""
    said = normalize(text)
    if not said:
        return None
    if has_any(said, PERSON) and has_any(said, PERSON_VERBS) and not has_any(said, NOT_PERSON):
        if BY_TEXT.search(said):
            return "message"  # "could someone let me know if the tires came in? Just text me": not a transfer
        wanting_only = not has_any(said, PERSON_VERBS[:-2])  # only "want" or "need"
        if not (wanting_only and not has_any(said, PERSON_ALONE)):  # "I need someone to look at my brakes"
            return "person"
    if has_any(said, PERSON_ALONE) and len(said.split()) <= 6 and not has_any(said, NOT_PERSON):
        return "person"  # "Operator.", "A real human please", "Representative. Human. Agent."
    said = NOT_A_PRICE.sub(" ", said)
    opening = WHEN_YOU_OPEN.search(said)  # "an oil change whenever you open": a booking at opening time
    if opening:
        said = WHEN_YOU_OPEN.sub(" ", said)
    for intent, phrases, unless in INTENTS:
        listed = (
            (intent == "list" and LIST_ASKED.search(said))
            or (intent == "price" and RUNS.search(said))
            or (intent == "message" and TELL_SOMEONE.search(said))
        )
        if (has_any(said, phrases) or listed) and not (unless and has_any(said, unless)):
            if opening and intent in ("hours", "makes"):
                return "book"
            return intent
    return "book" if opening else None


# Topics a story mentions in passing ("in the parking garage it was so loud"): asked only in a question.
TOLD_IN_PASSING = ("location", "payment", "warranty", "loaners", "makes", "hours")  # "I know you're closing soon"
ASKING = re.compile(
    r"^(?:(?:and|also|so|oh|um|uh|but|hi|hey|okay|ok|well)\b[\s,]*)*(?:what|what's|whats|how|where|where's|when|do|does"
    r"|are|is|can|could|will|would|which|who|any)\b",
    re.IGNORECASE,
)


def detect_asked(text):
    """detect(), but a shop topic only mentioned in a sentence that asks nothing ("this morning in the
    parking garage it was so loud") does not make a story with a request in it a question."""
    intent = detect(text)
    if intent not in TOLD_IN_PASSING:
        return intent
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", text or "") if s.strip()]
    if len(sentences) < 2:
        return intent
    kept = [s for s in sentences if detect(s) != intent or s.rstrip().endswith("?") or ASKING.match(s)]
    if len(kept) == len(sentences) or not kept:
        return intent
    return detect(" ".join(kept))


# "My neighbor Priya said she's coming in too, what time is she booked?": someone else's booking.
SOMEONE_ELSES = re.compile(
    r"\b(?:when|what time|what day)(?: is|'s| was)? (?:she|he|they)(?:'s| is| are)? (?:booked|scheduled|coming)\b"
    r"|\b(?:when|what time|what day)(?: is|'s| was) (?:her|his|their) (?:appointment|booking|reservation)\b"
    r"|\bis (?:she|he) (?:booked|scheduled|coming in)\b"
    r"|\b(?:when|what time|what day)(?: is|'s| was) (?!my\b|your\b|the\b)(?:[a-z]+ ){0,2}[a-z]+'s"
    r" (?:appointment|booking|reservation)\b"  # "what time is Priya Patel's appointment?"
    # "what the last caller booked", "if anyone booked anything for Friday", "who else is coming in"
    r"|\b(?:the|that) (?:last|other|previous) (?:caller|person|customer|guy|lady)"
    r" (?:booked|scheduled|made|called|had|wanted|got)\b|\b(?:the|that) (?:last|previous) caller\b"
    r"|\b(?:anyone|anybody|someone|somebody|who) (?:else )?(?:has |had )?(?:booked|scheduled|is booked|is coming)\b"
    r"(?! (?:me|us|my|our|it for me|that for me|one for me)\b)"
    r"|\bwho else\b"
)


def asks_after_someone_else(text):
    """Whether `text` asks when another person is booked (nobody hears another customer's bookings)."""
    return SOMEONE_ELSES.search(normalize(text)) is not None


def names_vehicle_kind(text):
    """A kind of vehicle the shop may not service (a Harley, a diesel, an EV): asked about, not booked."""
    return has_any(normalize(text), VEHICLE_KINDS)


HESITATIONS = frozenset({"um", "uh", "er", "erm", "ah", "hmm", "mm"})


def is_greeting(text):
    """Only a hello, with nothing asked yet ("Uh, hi, yeah, um." and a lone "um" too)."""
    said = normalize(text)
    for filler in ("yes", "yeah", "oh", "um", "uh", "so"):
        said = said.removeprefix(filler + " ")
    if said in GREETING or any(said == f"{g} {w}" for g in GREETING for w in ("otto's", "ottos", "otto")):
        return True
    words = said.split()
    kept = [w for w in words if w not in HESITATIONS | {"yes", "yeah", "oh", "so", "well", "okay", "ok"}]
    hesitated = bool(words) and any(w in HESITATIONS for w in words)
    return bool(words) and hesitated and (not kept or " ".join(kept) in GREETING)


# Words that only keep the line going: a caller checking the line works, or being polite. Said
# alone they get a word back and the question in hand again, never a request read into them.
CHECKING_IN = re.compile(
    r"(?:(?:hello|hi|hey|yes|yeah|um|uh|oh|so|okay|ok|sorry|excuse me)\s+)*"
    r"(?P<line>(?:can|could|do) you hear me(?: (?:ok|okay|now|alright|all right))?|are you (?:still )?there"
    r"|(?:is )?(?:anybody|anyone|somebody|someone) there|you there|is this working|hello hello)"
    r"|(?:(?:hello|hi|hey|yes|yeah|um|uh|oh|so|good|great|fine)\s+)*"
    r"(?P<polite>how (?:are|r) (?:you|ya|y'all)(?: doing| holding up)?|how're you(?: doing)?|how you doing"
    r"|how's it going|how is it going|how's your day(?: going)?|how is your day(?: going)?|how are things"
    r"|how have you been|how's everything|how's your (?:morning|afternoon|evening))"
    r"(?: (?:today|this morning|this afternoon|this evening|tonight|doing|going))*(?: good| ok| okay)?"
)


def checking_in(text):
    """ "line" for "Hello? Can you hear me?", "polite" for "Hey, how are you doing today?", when
    that is all the caller said; else None."""
    match = CHECKING_IN.fullmatch(normalize(text))
    if not match:
        return None
    return "line" if match["line"] else "polite"


def is_thanks(text):
    """A thank-you with nothing else in it ("ok great, thanks")."""
    words = normalize(text).split()
    while len(words) > 1 and words[0] in ("ok", "okay", "great", "perfect", "alright", "oh", "awesome", "cool", "fine"):
        words = words[1:]
    while len(words) > 1 and words[-1] in ADDRESSED:  # "thanks, man"
        words = words[:-1]
    said = " ".join(words)
    return said in THANKS or any(said == f"{t} {w}" for t in THANKS for w in ("so much", "very much", "bye"))


ADDRESSED = frozenset({"man", "buddy", "bud", "dude", "mate", "pal", "sir", "ma'am", "maam", "guys", "again", "hon"})


# "Cool, thanks, bye. Oh wait, are you open tomorrow?": the pieces of a goodbye, and what may follow it.
_PIECES = re.compile(r"(?<=[.!?])\s+|,\s*(?=oh\b)|\s+(?=oh wait\b)", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^(?:(?:oh|wait|and|actually|also|sorry|one more thing|one last thing|before i go|quick question|hey)\b[\s,.!-]*)+",
    re.IGNORECASE,
)


def question_after_goodbye(text):
    """The question asked after a thank-you or goodbye ("Perfect. Thanks, oh, and are you open
    Sunday?" is "are you open Sunday?"), or None when nothing is asked after one."""
    pieces = [p for p in _PIECES.split(text or "") if p.strip()]
    said = 0
    while said < len(pieces) and _farewell(pieces[said]):
        said += 1
    rest = _LEAD_IN.sub("", " ".join(pieces[said:]).strip()).strip()
    if said and rest.endswith("?") and not _farewell(rest):
        return rest
    return None


_CAME_BACK = re.compile(
    r"^\W*(?:oh\W+)?(?:wait|hold on|hang on|one more thing|one last thing|actually|sorry|before i go)\b", re.IGNORECASE
)


def without_farewell_taken_back(text):
    """ "Yeah, sounds good. Okay, thanks, bye! ... Oh wait, one more thing! Can you add a tire rotation?":
    the words without the goodbye the caller took back at once; `text` itself when none was."""
    pieces = [p for p in re.split(r"(?<=[.!?])\s+|\s*\.\.\.\s*|\s*\u2026\s*", text or "") if p.strip()]
    farewells = [i for i, piece in enumerate(pieces) if _farewell(piece)]
    if not farewells:
        return text
    after = pieces[farewells[-1] + 1 :]
    if not after or not _CAME_BACK.match(after[0]) or all(_farewell(p) for p in after):
        return text
    kept = [p for i, p in enumerate(pieces) if i not in farewells]
    return " ".join(kept)


def _farewell(piece):
    return is_thanks(piece) or is_goodbye(piece) or normalize(piece) in ("ok", "okay", "got it", "gotcha", "cool")


def is_goodbye(text):
    return has_any(normalize(text), GOODBYE)


def is_abort(text):
    return has_any(normalize(text), ABORT)


def wants_repeat(text):
    return has_any(normalize(text), REPEAT)


def waits_at_shop(text):
    said = normalize(text)
    return has_any(said, WAIT_AT_SHOP) and not has_any(said, DROP_OFF)


# "Can I wait, or do I have to leave it?": asked, neither chosen (they are asked once it is booked).
WAIT_OR_LEAVE_ASKED = (
    "wait or", "or do i have to leave", "or do i need to leave", "or do i leave", "drop it off or", "leave it or",
    "or should i leave", "or should i drop",
)  # fmt: skip


def asks_whether_to_wait(text):
    """ "Can I just sit there and wait, or do I have to leave it?": asked, not chosen."""
    said = normalize(text)
    return has_any(said, WAIT_OR_LEAVE_ASKED) or (
        has_any(said, DURATION) and not has_any(said, WAIT_AT_SHOP + DROP_OFF) and "wait" in said
    )


def drops_off(text):
    said = normalize(text)
    return has_any(said, DROP_OFF) and not has_any(said, WAIT_OR_LEAVE_ASKED)
