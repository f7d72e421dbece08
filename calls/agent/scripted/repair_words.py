"""A caller's words about their car in the shop: whether they ask about it at all, what they want
to know (what was found, when to pick it up), which car they mean, and the work they ask for while
it is in. Which job lines they go ahead with or leave is work_decisions.py."""

import re

from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.words import has_any, normalize
from calls.agent.scripted.work_decisions import decides, named_lines

ABOUT_THE_CAR = (
    "what's the holdup", "what is the holdup", "what's taking so long", "any news on my", "any update on my",
    "any news on the", "any updates on my", "checking on my", "check on my", "checking in on my", "checking on the",
    "what's the latest on", "what is the latest on", "what's going on with my", "what's going on with the",
    "what's happening with my", "what's the status", "what is the status", "status on my", "status of the",
    "figure out what's wrong", "figured out what's wrong", "find out what's wrong", "what did you find",
    "what did you guys find", "what'd you find", "what did they find", "what'd they find", "what did the mechanic find",
    "what did the tech find", "started on it", "start on it", "started on my", "working on my car", "work on it yet",
    "the estimate on my", "the estimate for my", "called about my", "called me about", "calling about the estimate",
    "calling about my car", "calling about my truck", "what time can i come get", "what time can i pick",
    "what time can i get my", "what time can i grab", "when can i grab", "when can i pick", "when can i come get", "when can i get it back",
    "when will it be ready", "when will my car be ready", "when will the car be ready", "when's it gonna be ready",
    "when is it going to be ready", "when will it be done", "is it finished", "while it's there", "while it is there",
    "while you have it", "while you've got it", "while you got it", "while it's in", "while it is in",
    "while you're at it", "how's it coming", "how is it coming", "how's it looking", "nobody's called me back",
    "while you're in there", "while you are in there", "while it's in there", "since you've got", "since you have my",
    "since you got my", "since it's there", "since it's in", "since you have it", "since you've got it",
    "since you got it", "since you guys have it", "since you guys got it", "you've got my", "you have my", "you guys have my",
    "throw in", "waiting on that part", "waiting on the part", "waiting for the part", "waiting on parts",
    "waiting for parts", "the part in", "rush it", "rush the", "how are both", "how are my cars",
    "how's my truck", "how is my truck", "how are my", "how's the truck", "how's the car", "how are the cars",
    "how's it going with my", "what's up with my", "any word on", "heard anything on", "still in the shop",
    "car in the shop", "truck in the shop", "car at the shop", "truck at the shop", "coming along",
    "got the message about", "got your message", "got a message about", "got a call about", "got your call",
    "you called about", "you guys called about", "returning your call", "calling you back about", "calling back about",
    "left me a message", "left me a voicemail", "got a voicemail", "got your voicemail", "got the estimate",
    "got your text", "got the text", "go ahead with the", "approve the", "authorize the", "chance to look",
    "look at my car yet", "look at it yet", "looked at my car", "looked at it yet", "had a look at my",
)  # fmt: skip
# "Is my Camry ready?", "is the truck done yet", "is the CR-V finished": a car in the shop asked after.
READY_ASKED = re.compile(
    r"\b(?:is|was|are|will) (?:my|the|our|her|his) (?:[\w'-]+ ){0,3}(?:ready|done|finished|fixed|dun)\b"
    r"|\bhow(?:'s| is| are) (?:my|the|our) (?:[\w'-]+ ){0,3}(?:coming|doing|looking|going|getting on)\b"
    r"|\bwhen(?:'s| is| will| would)? (?:my|the|it'll|it|she'll|she|he'll|he)(?: [\w'-]+){0,3} (?:be )?"
    r"(?:ready|done|finished|fixed)\b"
)
# Asked only by a caller who has a car in the shop.
IN_SHOP = (
    "any news", "any update", "any updates", "anything new", "ready", "done", "finished", "how much", "what's the damage", "the damage", "run me", "cost me", "the total",
    "the bill", "estimate", "come get my car", "come get my truck", "grab it", "get my car back", "got a text", "you texted", "texted me", "waiting on me", "waiting on my ok",
    "waiting for me", "what's up with it", "what's up with her", "what's going on with it", "go ahead", "approve", "hold off", "whatever it needs", "just fix it", "pick it up",
    "pick up my", "pick up the", "pick her up", "pick him up", "come get it", "get it back", "about my truck",
    "about my car", "about my cars", "about the cars", "about my trucks", "about my vehicles", "about the truck", "about the car", "my truck", "the truck", "what's going on with",
    "what's wrong with it", "what does it need", "what all does it need", "do the", "the work",
)  # fmt: skip
FINDINGS = (
    "what did you find", "what did you guys find", "what'd you find", "what did they find", "what'd they find",
    "what did the", "how much", "damage", "run me", "cost", "price", "estimate", "the total", "the bill", "quote",
    "what's wrong", "what is wrong", "what does it need", "what all does it need", "what do i owe", "owe you",
    "what was wrong", "what needs", "needs done", "need done",
)  # fmt: skip
PICKUP = (
    "pick it up", "pick up", "pick her up", "pick him up", "come get", "get it back", "grab it", "come grab",
    "get it tonight", "get it today", "close", "closing", "swing by", "come by", "stop by", "drop by",
    "open until", "open till", "how late", "what time do you", "when do you",
)  # fmt: skip
KINDS = {
    "truck": ("f 150", "f150", "f 250", "silverado", "sierra", "ram", "tacoma", "tundra", "ranger", "colorado",
              "frontier", "titan", "pickup"),
    "suv": ("cr v", "crv", "rav4", "rav 4", "outback", "forester", "explorer", "escape", "tahoe", "equinox",
            "pilot", "highlander", "rogue", "tucson", "santa fe", "sorento", "sportage", "wrangler", "cherokee",
            "grand cherokee", "cx 5", "tiguan", "crosstrek"),
    "van": ("odyssey", "sienna", "caravan", "pacifica", "transit"),
}  # fmt: skip
KIND_WORDS = {"truck": ("truck", "pickup"), "suv": ("suv", "s u v"), "van": ("van", "minivan")}


# "my Honda's in there for the oil change", "both of mine are there, right?": said only of a car in the shop.
IN_THERE = re.compile(
    r"\b(?:my|our|the|her|his) (?:[\w'-]+ ){0,2}?[\w'-]+(?:'s| is) (?:in there|in the shop|in your shop|there now"
    r"|in (?:for|with you|right now|already|today)|with you(?: guys)?|at your (?:shop|place))\b"
    r"|\b(?:both|all|each|two|three) of (?:mine|them|my cars|my vehicles) (?:are|is|still)? ?(?:there|in|with you)\b"
)


def says_in_shop(said):
    """ "My Honda's in for the brakes": normalized `said` tells of the caller's car in the shop."""
    return IN_THERE.search(said) is not None


def asks_after_car(said):
    """Whether normalized `said` asks after a car in the shop, whoever the caller is."""
    return has_any(said, ABOUT_THE_CAR) or READY_ASKED.search(said) is not None


def asks_about_car(said, caller, *, intent=None):
    """Whether normalized `said` asks about a car in the shop (its status, cost, pickup, the work):
    a caller with one there may just name it ("about my CR-V...")."""
    if asks_after_car(said):
        return True
    if caller.cars_in_shop <= 0:
        return False
    return has_any(said, IN_SHOP) or IN_THERE.search(said) is not None or (intent is None and car_in(said) is not None)


# "What's a serpentine belt? Is that a big deal?": a line asked about, not decided.
WHAT_IS = re.compile(
    r"\b(?:what's|whats|what is|what are|what does|what do|what kind of|explain|mean|big deal|serious)\b"
)


def asks_what(said):
    return WHAT_IS.search(said) is not None


def wants_findings(text):
    return has_any(normalize(text), FINDINGS)


# A pickup asked for in the evening, when the shop may be closed: "can I get it after six?", "tonight?"
AFTER_HOURS = re.compile(
    r"\b(?:after (?:six|seven|eight|nine|work|hours|close|closing|[5-9])|tonight|this evening|in the evening"
    r"|(?:at|around|by|like) (?:six|seven|eight|nine|[6-9])(?! ?am\b)|late(?:r)? (?:tonight|today))\b"
)


# "What time do you open tomorrow?", "when do you guys open in the morning?"
OPENS_NEXT = re.compile(
    r"\b(?:what time|when|how early) (?:do|does|will|are|would) (?:you|y'all|you guys|the shop|they|ya)"
    r" (?:open|be open|opening)\b|\bopen(?:ing)? (?:tomorrow|in the morning|first thing)\b"
)


def after_hours(text):
    """ "Can I grab it at six?", "what time do you open tomorrow?": when the shop opens next answers it."""
    said = normalize(text)
    return AFTER_HOURS.search(said) is not None or OPENS_NEXT.search(said) is not None


def wants_pickup(text):
    return has_any(normalize(text), PICKUP)


def order_named(text, orders):
    """The order whose car the words name (model, make or kind: "the Camry", "the truck"), or None."""
    named = orders_named(text, orders)
    return named[0] if len(named) == 1 else None


def orders_named(text, orders):
    """The orders whose cars the words name ("is the Camry ready? and what does the truck need?")."""
    said = re.sub(r"\b(?:not|no|isn't|isnt) (?:the|my|that) [\w'-]+(?: [\w'-]+)?", " ", normalize(text))
    return [o for o in orders if _names_vehicle(said, o["vehicle"])]


def per_car(text, orders, lines_of):
    """ "Do the wipers on the Camry and the brakes on the truck, forget the flush": the words about
    each car, [(order, words)] in the order said, when they decide on work of two cars or more
    ([] otherwise). A clause goes to the car it names, else to the one car whose work it names,
    else to the car of the clause before."""
    if len(orders) < 2 or not decides(text):
        return []
    parts, current = {}, None
    for clause in re.split(r"\s*[,;.!?]\s*|\s+(?:and|but|also|plus)\s+", text or ""):
        said = normalize(clause)
        if not said:
            continue
        cars = [o for o in orders if _names_vehicle(said, o["vehicle"])]
        owners = [o for o in orders if named_lines(said, lines_of(o))]
        order = cars[0] if len(cars) == 1 else owners[0] if len(owners) == 1 else current
        if order is None:
            continue
        current = order
        parts.setdefault(order["repair_order_id"], (order, []))[1].append(clause.strip())
    decided = [
        (order, ", ".join(words)) for order, words in parts.values() if named_lines(" ".join(words), lines_of(order))
    ]
    return decided if len(decided) > 1 else []


def _names_vehicle(said, vehicle):
    plain = normalize(vehicle)  # "2012 ford f 150"
    parts = plain.split()
    model = " ".join(parts[2:]) if len(parts) > 2 else ""
    make = parts[1] if len(parts) > 1 else ""
    keys = [k for k in (model, model.replace(" ", ""), make) if k]
    if keys and has_any(said, keys):
        return True
    for kind, models in KINDS.items():
        if any(has_any(plain, (m,)) for m in models) and has_any(said, KIND_WORDS[kind]):
            return True
    return False


# --- asking for more work ---------------------------------------------------------------

# "while it's there", "while you've got it", "while my CR-V is in", "since the truck's there"
THERE = (
    r"(?:it's|it is|its|you have|you've got|you got|you're|you are|you guys have|you guys got|it's still|they have"
    r"|they've got|(?:my|the|our|her|his) (?:[\w'-]+ ){0,2}?[\w'-]+(?:'s| is) (?:there|in|still)|the car's|the car is"
    r"|the truck's|the truck is)"
)
YOU = r"(?:you guys|you all|y'all|you|ya|they|the guys|the mechanics|someone|somebody)"
REQUEST = re.compile(
    r"\b(?:can|could|would|will) (?:you guys|you all|y'all|you|ya|they|the guys) (?:also |please |maybe |just |go ahead and )*"
    r"(?P<job>.+?)(?: too| as well| also| for me| please)*"
    rf" (?:while|since|when) {THERE}\b"
    r"|\b(?:i'd|i would|i) (?:also )?(?:like|want|need) (?:you guys to |y'all to |you to |them to )?(?:also )?"
    rf"(?P<job2>.+?)(?: too| as well| also| please)* (?:while|since) {THERE}\b"
    rf"|\b(?:while|since) {THERE}\b[^?.!]*?"
    rf" (?:can|could|would|will) {YOU} (?P<job3>.+?)(?: too| as well| also| please| for me)*$"
    # "can you also look at my headlight?", "also, could you rotate the tires": more work, said as more
    rf"|\b(?:can|could|would) {YOU} (?:please )?also (?P<job4>.+?)(?: too| as well| please| for me)*$"
    rf"|\balso,? (?:can|could|would) {YOU} (?:please )?(?P<job5>.+?)(?: too| as well| please| for me)*$"
)
NOT_WORK = re.compile(
    r"^(?:tell|let|give|call|text|send|email|e mail|remind|say|explain|confirm|hold|skip|leave|wait|cancel|keep"
    r"|make sure|have it|get it|put it|approve|not|don't|dont|check (?:if|whether|when|how|what)|see (?:if|whether|when))\b"
)
JOB_FILLER = re.compile(
    r"^(?:go ahead and |also |just |please |take a look at |have a look at |look at |check out |do |throw in |add )+"
)


def requested_job(text):
    """The work asked for while the car is in ("can you do the brakes while it's there?": "the
    brakes"), or None."""
    return split_request(text)[0]


def split_request(text):
    """(the work asked for, or None; the rest of the words, without the request: "go ahead with the
    alignment, and while it's in, can you also do an oil change?" leaves "go ahead with the alignment")."""
    sentences = re.split(r"(?<=[.!?;])\s+", (text or "").strip())
    for index, sentence in enumerate(sentences):
        said = normalize(sentence)
        job = _job_in(said)
        if job:
            match = REQUEST.search(said)
            before = re.sub(r"(?:\s+(?:and|also|so|oh|plus))+$", "", said[: match.start()].strip())
            before = [f"{before}."] if len(before.split()) > 2 else []
            return job, " ".join(sentences[:index] + before + sentences[index + 1 :])
    return None, text


# "..., can someone take a look at that too?" after another request: the thing named before it.
LOOK_AT_THAT = re.compile(
    r"\b(?:can|could|would) (?:someone|somebody|you guys|you all|y'all|you|they|the guys) (?:also |please |maybe )*"
    r"(?:take a look at|have a look at|look at|check out|check) (?:that|it|this|them)\b"
)
THING = re.compile(
    r"^(?:(?:oh|and|also|plus|so|um|uh) )*(?P<thing>(?:the|my|her|his|our) (?:[\w-]+ ){0,3}?[\w-]+?)"
    r"(?:'s|'ve|'re| is| are| has| have| keeps?| won't| doesn't| don't| makes?| sounds?)\b"
)


def another_job(text):
    """A second piece of work asked for in the words left after the first ("oh, and the passenger
    window's been going up slow, can someone take a look at that too?": "check the passenger window")."""
    job, _ = split_request(text)
    if job:
        return job
    for sentence in re.split(r"(?<=[.!?;])\s+", text or ""):
        said = normalize(sentence)
        match = LOOK_AT_THAT.search(said)
        thing = THING.match(said[: match.start()].strip()) if match else None
        if thing:
            return f"check {thing['thing']}"
    return None


def _job_in(said):
    match = REQUEST.search(said)
    if not match:
        return None
    job = next((match[g] for g in ("job", "job2", "job3", "job4", "job5") if match[g]), "").strip()
    job = re.split(r" (?:it's|it is|that's|which is|because|cause|since it) ", job)[0]  # "my headlight, it's out"
    if NOT_WORK.match(JOB_FILLER.sub("", job)):
        return None
    looked = re.match(r"^(?:take a look at|have a look at|look at|check out|check on|check)\b\s*", job)
    if looked:
        job = job[looked.end() :]
    job = JOB_FILLER.sub("", job).strip()
    job = re.sub(r" (?:on|for|to|with) (?:it|her|him|my \w+|the \w+)$", "", job)  # "the tires on my truck"
    if looked:
        if job in ("it", "that", "this", "something", "what's wrong", "the noise", ""):
            return "take a look at it"
        return f"check {job}"
    job = re.sub(r"^(?:a|an|the|my|some) ", "", job)
    if not job or job in ("it", "that", "this", "something"):
        return None
    return job
