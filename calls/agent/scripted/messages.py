"""Offering to take a message for an advisor, and taking it: what about, who, which number, read
back, then take_message.

Callers give these in any order and often all at once ("my brakes are grinding, can someone call
me back? My cell is seven seven three..."), so every utterance is searched for all of them, and
only what is still missing is asked. How urgent it is comes from their words, never a question:
the read-back says when to expect the call, and the caller can change it there.
"""

import re

from calls.agent.scripted import names
from calls.agent.scripted.emails import email_in, say_email
from calls.agent.scripted.intents import BY_TEXT, detect
from calls.agent.scripted.phone_numbers import extension_in, has_digits, numbers_in, phone_number, say_number
from calls.agent.scripted.state import Booking, Message
from calls.agent.scripted.words import has_any, is_no, is_yes, normalize
from calls.urgency import ROUTINE, SOON, URGENT, urgency_in

# Words of asking for a text, beside REQUEST_WORDS: "could they text me instead of calling?" carries no message.
TEXTING = frozenset({
    "text", "texting", "instead", "rather", "prefer", "better", "easier", "send", "shoot", "drop", "they", "calling",
})  # fmt: skip
OFFER = "I can take a message and have an advisor call you back. Would you like that?"
WHEN = {"urgent": "as soon as possible", "soon": "today", "routine": ""}
# Words that carry no message ("yeah hi"), and ones that are about the call back itself, not its reason.
FILLER = frozenset({
    "yeah", "yes", "yep", "hi", "hello", "hey", "um", "uh", "so", "okay", "ok", "well", "oh", "good", "morning",
    "afternoon", "evening", "there", "please", "thanks", "thank", "you", "sure", "and", "also", "alright",
    "right", "great", "perfect", "fine", "that's", "it", "is", "that", "would", "be", "sorry", "no", "i",
    "mean", "actually", "wait", "obviously", "definitely", "absolutely", "certainly", "course", "of", "totally",
    "whatever", "duh", "go", "ahead", "yup", "do", "already", "just", "god", "jeez", "geez", "come",
    "on", "seriously", "really", "ugh", "exactly", "correct", "guess", "suppose", "now", "hurry",
    "up", "quick", "quickly", "listen", "look", "man", "buddy", "lady", "dude",
})  # fmt: skip
# What the caller thinks of this call, not what the advisor should hear: "don't give me the robot runaround".
ABOUT_THE_CALL = re.compile(
    r"\b(?:robot|robots|runaround|run around|automated|a machine|bot|recording|recorded message|phone tree|menu"
    r"|press \w+|on hold|talking to a computer)\b"
    r"|\bnumber (?:\w+ )?(?:won't|doesn't|will not|does not|might not|may not|probably won't) (?:show|come up)"
    r"|\bcalling (?:from|on|off) (?:my |a |the )?(?:work|office|friend's|wife's|husband's|company) (?:line|phone)\b"
    r"|\bi (?:block|blocked|hide) (?:it|my number|my caller id|caller id)\b|\bmy number(?:'s| is) (?:blocked|private|hidden)\b"
    r"|\bnumber (?:\w+ )?(?:shows?|comes?|pops?) up (?:as )?(?:blocked|private|unknown|restricted|withheld)\b"
    r"|\bi'll give you my (?:name|number|name and number|number and name)\b"
    r"|\b(?:can't|cannot|couldn't) you (?:just )?(?:put me down|put me in|book me|pencil me in|schedule me)\b"
)
PASS_IT_ON_FIRST = re.compile(
    r"^(?:(?:yes|yeah|yep|please|okay|ok|sure)[,.!]?\s+)*(?:just |please )*pass (?:it|that|this) (?:on|along)"
    r"(?: (?:so|and|that))?[,\s]*",
    re.IGNORECASE,
)
THATS_IT = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay)\s+)*(?:that's|that is) (?:it|all|right|the message|my message|the one)(?: for \w+)?$"
)
# "Hi, is Gary around?": who the message is for (ASKED_FOR), not what it says.
IS_SOMEONE_IN = re.compile(
    r"^(?i:(?:hi|hey|hello|yeah|um|uh|so|and)[,\s]+)*(?i:is) [A-Z][a-z]{2,}"
    r" (?i:around|in|there|available|in today|working today)[?.!]?$"
)
# "Yeah, hi, Marcus again.": who is calling, not the message.
ITS_ME_AGAIN = re.compile(
    r"^(?i:(?:yeah|yes|hi|hey|hello|it's|this is|um|uh)[,\s]+)*[A-Z][a-z]+ (?i:again|here|speaking)[.!]?$"
)
# A later day is fine ("Monday's fine if it's too late today"): no call back promised for today.
LATER_IS_FINE = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|tomorrow|next week)(?:'s| is) (?:fine|ok|okay|good)\b"
    r"|\bif it's too late today\b|\bno rush\b|\bwhenever (?:they|someone|somebody) (?:can|gets a chance)\b"
)
# Asking to be booked all the same, to a message offered for want of caller ID.
BOOK_ANYWAY = re.compile(
    r"\b(?:put me down|put me in|book (?:me|it)|pencil me in|schedule (?:me|it)|just (?:book|schedule)"
    r"|make (?:the|an|my) appointment)\b"
)
CALLBACK_CUES = (
    "my cell", "cell phone", "my number", "this number", "the number", "call me at", "call me on", "reach me",
    "instead", "number is", "number's", "my phone", "my mobile", "my work", "my wife", "my husband",
    "caller id", "calling from", "best number", "phone number", "this phone", "work line", "my work phone",
    "my wife's", "my husband's", "my son's", "my daughter's", "my cell's", "cell",
)  # fmt: skip
# How to send it or answer, not what it is about: "Send it.", "A text, not a call."
HOW_TO_SEND = re.compile(
    r"^(?:(?:yes|yeah|ok|okay|please|just|go ahead and|and|so)\s+)*(?:send (?:it|that|the message)|go ahead)"
    r"(?:\s+please)?$|^(?:(?:just|and|but)\s+)?(?:a |by )?(?:text|call|texting)$|^(?:but\s+)?not (?:a |by )?(?:call|text)$"
)
# Called back on another number than this one, not yet said: "on my cell, not this number".
OTHER_NUMBER = re.compile(
    r"\b(?:not (?:on )?(?:this|the same) (?:number|phone|line)|(?:a |my )?(?:different|other|another) (?:number|phone)"
    r"|(?:on|at) my (?:cell|cellphone|cell phone|mobile|work number|work phone|(?:wife's|husband's) (?:cell|phone|number))"
    r"|call my (?:cell|mobile|work))\b"
)
REQUEST_WORDS = frozenset({  # the asking for a call back, not what it is about
    "can", "could", "would", "will", "you", "someone", "somebody", "anyone", "an", "a", "advisor", "please",
    "have", "get", "give", "me", "my", "call", "calls", "back", "callback", "ring", "just", "want", "need",
    "to", "like", "i'd", "i", "i'm", "wanted", "somebody's", "asap", "now", "right", "away", "soon",
    "today", "whenever", "sometime", "possible", "as", "when", "it's", "leave", "message", "take", "pass",
    "on", "them", "him", "her", "their", "let", "know", "still", "then", "who", "can't", "cant", "for", "the",
    "with", "of", "up", "is", "be", "there", "if", "someone's", "do", "tell", "ask",
})  # fmt: skip
DECLINED = (
    "don't want to book", "do not want to book", "don't need to book", "not looking to book", "don't want to make",
    "don't want an appointment", "don't want to schedule", "not ready to book", "no need to put me through",
    "don't need to talk", "a message is fine", "message is fine",
)  # fmt: skip
ABOUT = re.compile(r"\b(?:about|regarding|concerning|because|since)\b\s+(.{4,})", re.IGNORECASE)
EMAIL_WANTED = re.compile(r"\b(?:e-?mail(?:ed)?|e mail(?:ed)?)\b(?! (?:you|the shop|you guys))")
SPELLED = re.compile(r"[A-Za-z](?:[\s.,-]+[A-Za-z])+[\s.,]*")  # "B-R-E-N-N-A-N."
NOT_A_NUMBER = "I didn't get a full phone number."


def offer(desk, turn, question=OFFER, *, aside=False):
    """Offer to take a message for an advisor: a yes to `question` starts one."""
    desk.ask(turn, question, aside=aside)
    desk.state.awaiting = "take_message"


def without_caller_id(desk, turn, u, sorry):
    """A request no one without caller ID can make here ("cancel my Thursday oil change"): `sorry`
    and the offer of a message; asked again, the offer in other words; a third time, the message is
    taken. Never the same refusal in a loop."""
    desk.state.no_id_offered += 1
    if desk.state.no_id_offered > 2:
        start(desk, turn, reason=desk.state.unclear or u.text, request=u.text)
        return
    desk.state.unclear = u.text  # what the message is about, if the caller takes one
    if desk.state.no_id_offered == 2:
        turn.say("Without caller ID I really can't change anything here myself, but an advisor can.")
        offer(desk, turn, "Shall I take a message so they can call you back about it?")
        return
    turn.say(sorry)
    offer(desk, turn)


def offer_call_back(desk, turn, u):
    """A car in the shop ("is it ready yet?") or in trouble ("my brakes failed"): only an advisor
    can help, so offer their call, kept to the caller's words."""
    desk.state.unclear = u.text
    if sounds_urgent(u.said):
        turn.say("That sounds urgent. If you're somewhere unsafe, please get to safety first.")
        if OUT_TO_THE_CAR.search(u.said):  # asked, and not in the shop's facts: said so, not left unanswered
            offer(
                desk,
                turn,
                "I can't answer about a tow from here, but I can have an advisor call you back right away. Would you like that?",
            )
            return
        offer(desk, turn, "I can have an advisor call you back right away. Would you like that?")
        return
    turn.say("I can't see how work in the shop is going from here, but an advisor can.")
    offer(desk, turn, "I can have one call you back with an update. Would you like that?")


# Asking for the car to be fetched or seen where it stands: no shop fact answers it, an advisor does.
OUT_TO_THE_CAR = re.compile(
    r"\b(?:tow|towing|towed|tow truck|roadside|wrecker|flatbed|mobile mechanic)\b"
    r"|\b(?:send|sending) (?:somebody|someone|anybody|anyone|a guy|a mechanic|a truck) (?:out|over)\b"
    r"|\bcome (?:out )?to (?:me|my house|my place|where i am)\b"
)
# A trouble that keeps coming back ("won't start in the mornings") is a car to book, not one stranded now.
RECURRING = (
    "in the mornings", "every morning", "some mornings", "most mornings", "in the morning sometimes", "sometimes",
    "lately", "every now and then", "now and then", "once in a while", "on and off", "off and on",
    "every time", "when it's cold", "when it is cold", "cold mornings", "the last few days", "for a few days",
    "for a while", "pretty sure it's the battery", "need a new battery", "needs a new battery",
)  # fmt: skip


def sounds_urgent(said):
    return urgency_in(said) == "urgent" and not has_any(said, ROUTINE) and not has_any(said, RECURRING)


def agrees(u):
    """A yes to a read-back that also sounds like a goodbye ("yes, that's it")."""
    return u.yes and not has_any(u.said, ("bye", "goodbye", "that's all", "that is all"))


def start(desk, turn, *, reason=None, request=None):
    """A message, from what is known: `reason` (what the call was about so far) and `request` (the
    caller's words asking for it, which may hold the message, their name and a number)."""
    caller = desk.state.caller
    message = Message(name=caller.name)
    before = desk.state.task
    reason = reason or desk.state.unclear or (before.notes if isinstance(before, Booking) else None)
    desk.state.task = message
    desk.state.unclear = None
    if request:
        _absorb(desk, message, request)
    if reason and EMAIL_WANTED.search(normalize(reason)):
        message.wants_email = True
        message.email = message.email or email_in(reason)
    earlier = (reason_in(reason) or reason) if reason else None
    if earlier and (not message.reason or normalize(earlier) not in normalize(message.reason)):
        # "it's about the brake job" before, "between one and three is best" now: both for the advisor,
        # unless the second only names what the first said ("do you do towing?", then "about the tow")
        later = message.reason if message.reason and not _only_names_again(message.reason, earlier) else None
        message.reason = (f"{_sentence(earlier)} {later}" if later else earlier)[:1000]
        message.urgency = _more_urgent(message.urgency, urgency_in(normalize(reason)))
    lead = ""
    if not caller.caller_id and request and BOOK_ANYWAY.search(normalize(request)):  # "can't you just put me down?"
        lead = "I can't put you down myself without caller ID, but the advisor can book it when they call you back."
    advance(desk, message, turn, lead=lead)


def _sentence(reason):
    """`reason` ending as the caller said it: a question keeps its question mark."""
    text = reason.rstrip(" .,;")
    if text.endswith(("?", "!")):
        return text
    return f"{text}{'?' if _asks(text) else '.'}"


def _asks(text):
    """Whether the last sentence of `text` is a question: "Like, how much would that run me"."""
    last = re.split(r"(?<=[.?!])\s+", text.strip())[-1]
    last = re.sub(r"^(?:(?:like|so|and|but|um|uh|oh|also|well|okay|ok),?\s+)+", "", last, flags=re.IGNORECASE)
    return last.split(" ", 1)[0].lower() in QUESTION_WORDS


def _only_names_again(later, earlier):
    """`later` says nothing `earlier` did not: its words of substance are in it already (all of a
    few, or nearly all: "so they cancel Thursday's oil change" after "cancel my Thursday oil change")."""
    said = normalize(earlier)
    pronouns = {"they", "them", "their", "he", "she", "his", "her", "we", "our"}
    words = [re.sub(r"'s$", "", w) for w in normalize(later).split() if w not in FILLER | REQUEST_WORDS | pronouns]
    words = [w for w in words if len(w) > 2]
    known = sum(w in said for w in words)
    return known == len(words) if len(words) <= 3 else known >= 0.75 * len(words)


def reason_in(text):
    """The message itself in the caller's words, without the asking for a call back, greetings,
    their name or the number: "my brakes are grinding pretty bad, can somebody call me back?" is
    "my brakes are grinding pretty bad"; None if nothing is left."""
    said = " ".join(re.sub(r"\s*[\u2014\u2013]\s*|\s+-{1,2}\s+", ", ", text or "").split())  # dashes part clauses
    kept = []
    with_number = bool(numbers_in(said)) or has_digits(said)
    texting = BY_TEXT.search(normalize(said)) is not None
    for clause in re.split(r"(?<=[.?!;,])\s+", said):
        clause = clause.strip()
        plain = normalize(clause)
        words = plain.split()
        if not words or all(w in FILLER for w in words) or SPELLED.fullmatch(clause):
            continue  # nothing said, or a name spelled out
        if _only_yes_or_no(plain) or has_any(plain, DECLINED) or ABOUT_THE_CALL.search(plain):
            continue
        if HOW_TO_SEND.match(plain) or IS_SOMEONE_IN.match(clause) or ITS_ME_AGAIN.match(clause):
            continue
        if THATS_IT.match(plain):  # "Yes, that's the message for Bernie."
            continue
        clause = PASS_IT_ON_FIRST.sub("", clause) or clause  # "just pass it on so they cancel ...": what for
        if BY_TEXT.search(plain) and len([w for w in words if w not in REQUEST_WORDS | TEXTING | FILLER]) < 2:
            continue  # "can they just text me instead?": how to answer, not what about
        intent = detect(clause)
        if intent in ("message", "person"):
            about = ABOUT.search(clause)
            if about:
                kept.append(about[1])
            elif with_number and has_any(plain, CALLBACK_CUES):
                continue  # "best to call my work line": which phone, not what about
            elif (intent == "message" or texting) and len([w for w in words if w not in REQUEST_WORDS | FILLER]) >= 2:
                # "can someone email me a copy of my invoice", "could someone let me know if my tires
                # came in? Just text me": the request is the message
                kept.append(clause)
            continue
        if with_number and (re.search(r"\d", clause) or has_any(plain, CALLBACK_CUES) or _number_words(words)):
            continue
        if names.heard_name(clause, volunteered=True) is not None and len(words) <= 6:
            continue
        kept.append(clause)
    reason = " ".join(k.strip() for k in kept if k.strip()).strip().rstrip(",;")
    return reason.rstrip(".?! ") if len(normalize(reason).split()) >= 1 and reason else None


def advance(desk, m, turn, *, lead=""):
    """Ask for what is still missing, or read the message back."""
    caller = desk.state.caller
    lead = f"{lead} " if lead else ""
    if not m.reason:
        m.stage = "reason"
        desk.ask(turn, f"{lead or 'Sure. '}What's the message for the advisor?")
    elif not m.name:
        m.stage = "name"
        desk.ask(turn, f"{lead}Can I get your name, please?")
    elif (not caller.caller_id or m.other_number) and not m.callback:
        m.stage = "callback"
        desk.ask(
            turn,
            f"{lead}What number should the advisor call you back on? You can say it, or key it in and press pound.",
        )
    elif m.wants_email and not m.email and not caller.on_file:  # a customer on file: the address on record
        m.stage = "email"
        desk.ask(turn, f"{lead}What email address should they send it to?")
    else:
        m.stage = "confirm"
        desk.ask(turn, f"{lead}{_read_back(desk, m)} Shall I send it?")


def capture(desk, m, u, turn):
    """Whatever the caller says while a message is taken: the message, their name, a number, how
    urgent; answered with what is still missing."""
    if u.intent in ("person", "goodbye") or (u.intent and u.intent not in ("message",) and m.stage == "confirm"):
        return False
    if _is_question(u) and m.stage != "reason" and not BY_TEXT.search(u.said):
        return False  # a question about the shop, answered as an aside ("can they text me?" is not one)
    got = _absorb(desk, m, u.text, stage=m.stage)
    if m.stage == "callback" and "callback" not in got:
        if has_digits(u.text):
            m.misses += 1
            return _number_again(desk, m, turn)
        if has_any(u.said, ("this number", "same number", "calling from", "caller id", "this one")):
            desk.ask(turn, "I'm sorry, your number doesn't show up on my end. What number should the advisor call?")
            return True
        return _missed(desk, m, turn)
    if m.stage == "email" and "email" not in got:
        if m.misses or u.no:  # not understood twice, or no address after all: the advisor asks on the call
            m.wants_email = False
            advance(desk, m, turn, lead="No problem, the advisor can get it from you when they call.")
            return True
        m.misses += 1
        desk.ask(turn, "Sorry, I didn't catch that. Could you spell the email address for me?")
        return True
    if m.stage == "name" and "name" not in got:
        if got:
            advance(desk, m, turn)
            return True
        more = reason_in(u.text) if not u.intent and not u.yes and not u.no else None
        if more and len(more.split()) >= 4:  # more about the message, not the name
            m.reason = f"{m.reason} {more}"[:1000] if m.reason else more
            advance(desk, m, turn, lead="Got it.")
            return True
        return _missed(desk, m, turn)
    if m.stage == "reason" and "reason" not in got:
        if "name" in got:
            advance(desk, m, turn, lead=f"Thanks, {m.name.split()[0]}.")
            return True
        if got:
            advance(desk, m, turn, lead="Got it.")
            return True
        return False
    if m.stage == "confirm":
        if not got:
            return False
        if u.yes and got <= {"urgency"}:
            return _send(desk, m, turn)
        advance(desk, m, turn, lead="Okay.")
        return True
    advance(desk, m, turn)
    return True


def answer(desk, m, u, turn):
    if m.stage != "confirm":
        return False
    same_number = (
        not m.callback
        and not u.no
        and not has_digits(u.text)
        and len(u.said.split()) <= 8
        and has_any(
            u.said, ("this number", "that number", "same number", "calling from", "this one", "this phone", "my cell")
        )
    )  # "this number" to "they'll call you back on the number you're calling from": agreed
    if u.yes or same_number:
        if not desk.heard_question():
            advance(desk, m, turn)
            return True
        return _send(desk, m, turn)
    if u.no:
        m.reason = None
        m.stage = "reason"
        desk.ask(turn, "Okay, let's fix that. What would you like me to pass on?")
        return True
    return False


# "Can you just have Mike call me?", "tell Rosa to give me a ring", "it's for Mike", "ask for Dave":
# someone at the shop, by a capitalised first name as a transcript writes one.
_NOT_A_PERSON = (
    "Someone|Somebody|Anyone|Them|Him|Her|An|The|My|Me|It|You|Your|Advisor|Today|Tomorrow|Monday|Tuesday|Wednesday"
    "|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|September|October"
    "|November|December"
)
_NAME = rf"(?!(?:{_NOT_A_PERSON})\b)([A-Z][a-z]{{2,}})"
ASKED_FOR = re.compile(
    rf"\b(?i:have|get|ask|tell|can|could) {_NAME} (?i:to )?(?i:call|give me a (?:call|ring)|ring|phone|text|get back)\b"
    rf"|\b(?i:it's|it is|this is|message is) for {_NAME}\b|\b(?i:make sure) (?i:it's )?{_NAME} (?i:calls|who calls)"
    rf"|\b(?i:need|want|like|i'd like|could you get|can you get) {_NAME} (?i:to) (?i:call|ring|phone|text|get back|give me)\b"
    rf"|\b(?i:is) {_NAME} (?i:around|in|there|available|working today|in today)\b"
    rf"|\b(?i:message|note|word) (?i:for|to) {_NAME}\b|\b(?i:tell|let) {_NAME} (?i:that|know)\b"
    rf"|\b(?i:pass) (?i:it|this|that|a message|a note|word|my thanks) (?i:on |along )?(?i:to) {_NAME}\b"
)


def _send(desk, m, turn):
    reason = m.reason or ""
    if m.for_whom and m.for_whom.lower() not in reason.lower():
        reason = f"For {m.for_whom}: {reason}".strip()[:1000]
    if m.company and m.company.lower() not in reason.lower():
        reason = f"{reason} (Calling from {m.company}.)".strip()[:1000]
    if m.extension and m.callback:
        reason = f"{reason} (Extension {m.extension}.)".strip()[:1000]
    if m.email and m.email not in reason:
        reason = f"{reason} (Email: {m.email}.)".strip()[:1000]
    if m.by_text:
        reason = f"{reason} (Would rather get a text than a call.)".strip()[:1000]
    urgency = "routine" if m.urgency == "soon" and not _when_back(m) else m.urgency or "routine"  # "Monday's fine"
    arguments = {"name": m.name or "Name not given", "reason": reason, "urgency": urgency}
    if m.callback:
        arguments["callback_number"] = m.callback
    turn.call("take_message", **arguments)
    turn.then = taken
    return True


def _missed(desk, m, turn):
    """Twice not understood: ask differently, then go on without it rather than ask again."""
    m.misses += 1
    if m.stage == "name":
        if m.misses >= 2:
            m.name = "Name not given"
            advance(desk, m, turn, lead="No problem.")
            return True
        desk.ask(turn, "Sorry, I didn't catch your name. Could you say it once more, or spell it for me?")
        return True
    if m.stage == "callback":
        if m.misses >= 2:
            return _give_up_on_number(desk, m, turn)
        desk.ask(turn, "Sorry, I didn't catch that. What's the best number to call you back on, with the area code?")
        return True
    return False


def _number_again(desk, m, turn):
    if m.misses >= 2:
        return _give_up_on_number(desk, m, turn)
    desk.ask(turn, f"{NOT_A_NUMBER} Could you say the whole number again, with the area code?")
    return True


def _give_up_on_number(desk, m, turn):
    desk.state.task = None
    if desk.can("transfer_to_advisor"):
        turn.say("I'm sorry, I still didn't get a number I can use.")
        desk.transfer(turn, reason=f"Caller wanted to leave a message: {m.reason or ''}")
        return True
    turn.say("I'm sorry, I couldn't get a number I can use. Please call back from a phone that shows its number.")
    desk.anything_else(turn)
    return True


def taken(desk, results, turn):
    m = desk.state.task
    done = results.get("take_message") or {}
    if done.get("message_taken"):
        desk.state.task = None
        when = _when_back(m) or "soon"
        name = f", {m.name.split()[0]}" if m.name and m.name != "Name not given" else ""
        if m.by_text:
            turn.say(f"Thanks{name}. I've passed your message on, and asked an advisor to text you back {when}.")
        elif m.for_whom and _thanks_only(m):
            turn.say(f"Thanks{name}. I've passed your message on for {m.for_whom}.")
        elif m.for_whom:  # "have Gary call me back": whether Gary himself is in, nobody here can see
            turn.say(f"Thanks{name}. I've passed your message on for {m.for_whom}, and you'll get a call back {when}.")
        else:
            turn.say(f"Thanks{name}. I've passed your message on, and an advisor will call you back {when}.")
        return desk.anything_else(turn)
    error = done.get("error", "")
    if "callback" in error.lower() or "call back" in error.lower() or "number" in error.lower():
        m.callback = None
        m.stage = "callback"
        desk.ask(turn, "I didn't get a number I can use. What number should the advisor call you back on?")
        return
    desk.state.task = None
    turn.say("I'm sorry, I couldn't save your message just now. Please call back a little later.")
    desk.anything_else(turn)


def dropped(desk, m):
    return "No problem, I won't send a message."


# --- what an utterance holds ------------------------------------------------------------------


def _absorb(desk, m, text, *, stage=None):
    """Take from `text` what it says for the message; returns which fields it gave."""
    got = set()
    said = normalize(text)
    number = phone_number(text, previous=m.callback)
    if number and number != m.callback:
        m.callback = number
        got.add("callback")
    email = email_in(text)
    if email and email != m.email:
        m.email = email
        got.add("email")
    if EMAIL_WANTED.search(said):
        m.wants_email = True
    if BY_TEXT.search(said) and not m.by_text:
        m.by_text = True
        got.add("by_text")
    extension = extension_in(text)
    if number and extension and f"extension {extension}" not in (m.reason or ""):
        m.extension = extension
    elif not number and not m.callback and OTHER_NUMBER.search(said):
        m.other_number = True
    asked_for = ASKED_FOR.search(text)
    if asked_for:
        m.for_whom = next(g for g in asked_for.groups() if g)
    urgency = urgency_in(said)
    if urgency and urgency != m.urgency:
        m.urgency = _more_urgent(m.urgency, urgency) if urgency != "routine" else urgency
        got.add("urgency")
    name = None
    if stage == "name" and not number:
        name = names.heard_name(text)
    elif not desk.state.caller.on_file:
        name = names.heard_name(text, volunteered=True)
        words = text.split()
        if name is None and stage == "reason" and not m.name and 2 <= len(words) <= 3:
            if all(w[:1].isupper() for w in words):  # asked what to pass on, the caller said who they are
                name = names.heard_name(text)
    if name is not None:
        names.remember(desk, name)
        m.name = name.full
        m.company = names.company_in(text) or m.company
        got.add("name")
    about_the_number = stage == "confirm" and has_any(said, SAME_NUMBER)  # "this number's fine": no message
    if stage in (None, "reason") or (
        stage == "confirm" and not _only_yes_or_no(said) and not got - {"by_text"} and not about_the_number
    ):
        reason = reason_in(text)
        if reason and m.reason and normalize(reason) in normalize(m.reason):
            reason = None  # said again, not more to pass on
        elif reason and m.reason and stage == "confirm" and _only_names_again(reason, m.reason):
            reason = None  # "Yes, please. First thing in the morning, it's urgent": the message, said back
        if reason and not _only_urgency(reason):
            m.reason = f"{m.reason} {reason}" if stage == "confirm" and m.reason else reason
            m.reason = m.reason[:1000]
            got.add("reason")
    return got


SAME_NUMBER = (
    "this number",
    "that number",
    "same number",
    "calling from",
    "this phone",
    "number's fine",
    "number is fine",
)


def _is_question(u):
    return u.intent is not None and u.intent not in ("message", "book", "vehicle") and u.text.rstrip().endswith("?")


def _only_yes_or_no(said):
    words = [w for w in said.split() if w not in FILLER]
    rest = " ".join(words)
    if not rest:
        return True
    if (is_yes(said) or is_no(said)) and len(said.split()) <= 6:
        # "I want to go ahead": a decision for the advisor, not a yes to the question
        return not has_any(said, ("because", "about", "but", "tell", "my car", "the car", "want to", "wanted to"))
    return has_any(said, ("this number", "that number", "same number")) and len(said.split()) <= 7


def _only_urgency(reason):
    said = normalize(reason)
    leftover = [w for w in said.split() if w not in FILLER and not has_any(w, URGENT + SOON + ROUTINE)]
    return len(leftover) <= 1 and bool(urgency_in(said))


NUMBER_WORDS = frozenset(
    "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred double triple".split()
)


def _number_words(words):
    """Part of a phone number said in words: three digits or more, or a clause of number words
    only ("oh one, seventy-seven")."""
    digits = ("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double")
    if sum(w in digits or w.isdigit() for w in words) >= 3:
        return True
    return bool(words) and all(w in NUMBER_WORDS or w.isdigit() for w in words)


def _more_urgent(old, new):
    order = (None, "routine", "soon", "urgent")
    return max(old, new, key=order.index)


THANKS = re.compile(r"\b(?:says? thanks|said thanks|thank (?:you|him|her)|thanks|appreciate[sd]?|grateful)\b", re.I)
WANTS_CALL = re.compile(r"\b(?:call|ring|text|phone|get back|reach) (?:me|us)\b|\bcall ?back\b|\?.*\?", re.I)


def _thanks_only(m):
    """A word of thanks for someone at the shop, with no call back asked for."""
    reason = m.reason or ""
    return bool(m.for_whom and THANKS.search(reason) and not WANTS_CALL.search(reason) and not m.callback)


def _when_back(m):
    """When to expect the call, as the read-back promises it: "today" only if the caller did not
    say a later day is fine."""
    if m.urgency == "soon" and LATER_IS_FINE.search(normalize(m.reason or "")):
        return ""
    return WHEN.get(m.urgency or "routine")


def _read_back(desk, m):
    caller = desk.state.caller
    spelled = caller.spelling if caller.spelling and caller.name == m.name else None
    who = ""
    if not caller.on_file and m.name and m.name != "Name not given":
        who = f" from {m.name}" + (
            f", spelled {spelled}," if spelled and m.company else f", spelled {spelled}" if spelled else ""
        )
        who += f" at {m.company}" if m.company else ""
    when = _when_back(m)
    when = f" {when}" if when else ""
    where = f"at {say_number(m.callback)}" if m.callback else "on the number you're calling from"
    if m.callback and m.extension:
        where += f", extension {' '.join(m.extension)}"
    email = f" The email address is {say_email(m.email)}." if m.email else ""
    if m.by_text:  # the shop's advisors text from their own phones: asked, not promised
        back = f"I'll ask them to text you back{when} {where}."
    else:
        back = f"They'll call you back{when} {where}."
    to = f"for {m.for_whom}" if m.for_whom else "to an advisor"
    if _thanks_only(m):  # "tell Bernie that Gwen says thanks": nothing to call back about
        back = ""
    return f"I'll pass this on {to}{who}: {_clause(m.reason)} {back}{email}".rstrip()


QUESTION_WORDS = (
    "is", "are", "can", "could", "do", "does", "did", "will", "would", "when", "what", "where", "why", "how",
    "should", "has", "have", "was",
)  # fmt: skip


def _clause(reason):
    """The caller's words as a clause: "is my car ready yet?", "the tow truck comes tonight."."""
    text = " ".join(reason.split()).rstrip(".!? ")
    first = text.split(" ", 1)[0]
    question = reason.rstrip().endswith("?") or _asks(text)
    if first not in ("I", "I'm", "I've", "I'll", "I'd") and not first.isupper():
        text = text[:1].lower() + text[1:]
    return f"{text}{'?' if question else '.'}"
