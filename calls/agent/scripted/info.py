"""Questions about the shop, answered only from shop_info: the approved FAQ, the hours as the
shop's opening hours and closures say them (of one day when the caller names it), the services,
and the price of the one service the caller's words name; and the small steps that only continue
the conversation.

Hours and prices are said in shop_info's own sentences, so both brains say the same thing and
neither can contradict the shop's tables or quote a price the shop did not set.
"""

import re
from datetime import timedelta

from calls.agent.scripted import intents, messages
from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.services import match_service, unlisted_job
from calls.agent.scripted.speech import is_plural, say_list, service_phrase
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, normalize

THINKING_IT_OVER = re.compile(
    r"\b(?:think about it|think it over|let you know|get back to you|not right now|maybe later)\b"
)

TOPICS = ("hours", "location", "payment", "warranty", "loaners", "makes", "price", "duration", "services")
NOT_SURE = "I'm not sure about that one."
ESTIMATE = "That's an estimate; the advisor confirms the price after looking at the car."
ADVISOR_TIME = "An advisor can tell you how long. Would you like me to take a message for them to call you back?"
QUOTE = "An advisor can give you a quote. Would you like me to take a message for them to call you back?"
WHOLE_WEEK = ("weekend", "weekends", "weekdays", "every day", "usual hours", "regular hours")
RIGHT_NOW = ("now", "right now", "still open", "tonight", "currently")
NOT_A_HOLIDAY = frozenset({"closed", "closure", "open", "hours", "shop", "store", "with", "from"})
ALSO_TOPICS = ("location", "hours", "payment", "warranty", "loaners", "makes")  # a second question answered in passing
QUESTION_WORDS = frozenset("do does is are can could will would what where when how who which any have has got".split())
CLAUSE_BREAK = re.compile(r"[,;?.!]|\b(?:and|also|plus)\b", re.IGNORECASE)


def ask_shop(desk, intent, u, turn):
    if intent in ("price", "duration"):
        return ask_about_job(desk, intent, u.text, turn)
    if desk.state.later is None and desk.state.task is None:
        # "Do you work on electric cars? ... And what's an oil change run?": the job's question next
        desk.state.later = _job_question_beside(u.text, intent)
    if intent == "services" and u.service and desk.can("shop_info"):
        return ask_about_job(desk, intent, u.text, turn)  # "do you do alignments?": that one, if listed
    desk.state.asked = (intent, u.text)
    if intent == "hours":
        return _ask_hours(desk, u.text, turn)
    shop = desk.state.shop
    known = shop.services is not None if intent == "services" else shop.knows(intent, u.text)
    if not desk.can("shop_info"):
        return _say(desk, intent, u.text, turn)
    fetching = _fetch_also(desk, u.text, intent, turn)
    if known and not fetching:
        return _say(desk, intent, u.text, turn)
    if not known:
        turn.call("shop_info", topic=intent, **({} if intent == "services" else {"question": u.text}))
    turn.then = answered


def _job_question_beside(text, first):
    """A price or how-long question asked in a sentence of its own beside a question about the
    shop (`first`), or None."""
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", text or "") if s.strip()]
    if len(sentences) < 2:
        return None
    asked = [s for s in sentences if intents.detect(s) in ("price", "duration") and intents.detect(s) != first]
    if not asked or all(intents.detect(s) in ("price", "duration") for s in sentences):
        return None
    return " ".join(asked)


def sounds_like_question(text):
    """ "Is there a shuttle to downtown?", "do you have wifi": a question that may be a FAQ entry's."""
    words = normalize(text).split()
    # three words at least: what is not understood then gets the same reply, whatever came before
    return len(words) >= 3 and ("?" in (text or "") or words[0] in QUESTION_WORDS)


def ask_faq(desk, u, turn):
    """A question no topic fits: the shop's FAQ entry matching the caller's words, if one does."""
    desk.state.asked = ("other", u.text)
    if desk.state.shop.knows("other", u.text):
        return faq_answered(desk, {}, turn)
    turn.call("shop_info", topic="other", question=u.text)
    turn.then = faq_answered


def faq_answered(desk, results, turn):
    _, text = desk.state.asked
    answer = desk.state.shop.answers_to.get(text)
    if not answer:
        return desk.misunderstood(desk.utterance(text), turn)  # as if never asked: no other entry's answer
    turn.say(answer)
    desk.anything_else(turn)


def also_asked(text, first):
    """Another shop question asked in the same breath ("how much for an alignment, and where are
    you?": location after a price), or None."""
    for clause in CLAUSE_BREAK.split(_asked_only(text)):
        topic = intents.detect(clause) if len(clause.split()) >= 2 else None
        if topic in ALSO_TOPICS and topic != first:
            return topic
    return None


def _asked_only(text):
    """The sentences that ask something: not "I know you're about to close" before the question."""
    sentences = re.split(r"(?<=[.?!])\s+", text or "")
    asked = [s for s in sentences if s.rstrip().endswith("?") or intents.ASKING.match(s)]
    return " ".join(asked) if asked else text or ""


def _fetch_also(desk, text, first, turn):
    """Ask shop_info about the second question too, if not known yet (True: asked)."""
    extra = also_asked(text, first)
    if extra is None or extra in desk.state.shop.answers or not desk.can("shop_info"):
        return False
    turn.call("shop_info", topic=extra)
    return True


def _say_also(desk, text, first, turn):
    extra = also_asked(text, first)
    if extra and desk.state.shop.answers.get(extra):
        turn.say(desk.state.shop.answers[extra])
    third = [c for c in CLAUSE_BREAK.split(_asked_only(text)) if _third_topic(c, (first, extra))]
    if third and extra and desk.state.later is None:  # "Apple Pay? warranty? and are you open tomorrow?": next
        desk.state.later = " ".join(c.strip() for c in third).strip() + "?"


def _third_topic(clause, said):
    topic = intents.detect(clause) if len(clause.split()) >= 2 else None
    return topic in ALSO_TOPICS and topic not in said


def answered(desk, results, turn):
    intent, text = desk.state.asked
    if intent == "hours":
        return _hours_answered(desk, results.get("shop_info") or {}, text, turn)
    _say(desk, intent, text, turn)


def said_already(desk, u):
    """The shop's answer to this question was said on this call already (then it is not said twice)."""
    shop = desk.state.shop
    if u.intent == "hours":
        day = day_asked(desk, u.text)
        sentence = (shop.day_hours.get(day) if day else None) or shop.answers.get("hours")
    elif u.intent in ALSO_TOPICS:
        sentence = shop.answers.get(u.intent)
    else:
        return False
    return bool(sentence) and sentence in desk.state.said


def _say(desk, intent, text, turn):
    shop = desk.state.shop
    if intent == "services":
        unlisted = unlisted_job(text, desk.service_names())
        if unlisted:  # "do you do transmission rebuilds?": answered, then what we do
            turn.say(f"I don't see anything for {unlisted} on our list of services.")
        turn.say(f"We do {_services_list(desk)}.")
        if desk.state.task is None:
            desk.ask(turn, "Would you like to book one of those?")
            desk.state.awaiting = "book_new"
            return
        return desk.anything_else(turn)
    if shop.answer(intent, text):
        car = car_in(text) if intent == "makes" else None
        if car is not None:  # "What about a Jeep Grand Cherokee?": the shop's own words, about that car
            turn.say(f"About the {' '.join(p for p in (car.make, car.model) if p)}:")
        turn.say(shop.answer(intent, text))
        _say_also(desk, text, intent, turn)
        return desk.anything_else(turn)
    _not_sure(desk, text, turn)


def _not_sure(desk, text, turn):
    turn.say(NOT_SURE)
    desk.state.unclear = text
    question = "I can take a message for an advisor to call you back about it. Would you like that?"
    messages.offer(desk, turn, question, aside=True)


def _services_list(desk):
    names = list(desk.state.shop.services or ()) or desk.service_names()
    return say_list([service_phrase(n, article=False) for n in names], "and")


# --- Hours ---------------------------------------------------------------------------------


def _ask_hours(desk, text, turn):
    questions = _hours_questions(desk, text)
    if len(questions) > 1 and desk.state.later is None:
        # "Are you open on Saturday? And what time do you close tomorrow?": each day, one after the other
        text, desk.state.later = questions[0], " ".join(questions[1:])
        desk.state.asked = ("hours", text)
    day = day_asked(desk, text)
    shop = desk.state.shop
    known = day in shop.day_hours if day else "hours" in shop.answers
    if not desk.can("shop_info"):
        return _say_hours(desk, day, text, turn)
    fetching = _fetch_also(desk, text, "hours", turn)
    if known and not fetching:
        return _say_hours(desk, day, text, turn)
    if not known:
        turn.call("shop_info", topic="hours", **({"day": day.isoformat()} if day else {}))
    turn.then = answered


def _hours_questions(desk, text):
    """The sentences of `text` that ask the hours of different days, or [] when there are not two."""
    questions, days = [], []
    for sentence in re.split(r"(?<=[.?!])\s+", text or ""):
        if intents.detect(sentence) != "hours":
            continue
        day = day_asked(desk, sentence)
        if day not in days:
            questions.append(sentence)
            days.append(day)
    return questions if len(questions) > 1 else []


def _hours_answered(desk, found, text, turn):
    day = day_asked(desk, text)
    if day and day not in desk.state.shop.day_hours and not found.get("day") and "error" not in found:
        # A holiday named by its reason: its date is known only now that the closures are.
        turn.call("shop_info", topic="hours", day=day.isoformat())
        turn.then = answered
        return
    _say_hours(desk, day, text, turn)


def day_asked(desk, text):
    """The one day an hours question is about ("are you open Saturday?", "what time do you close
    today?", "are you open on Thanksgiving?"), or None for the week's hours."""
    said, today = normalize(text), desk.today()
    if has_any(said, WHOLE_WEEK):
        return None
    if has_any(said, RIGHT_NOW):
        return today
    when = parse_when(text, today)
    if when.day and when.span_days == 1 and when.day >= today:
        return when.day
    return _closure_named(desk, said, today)


def _closure_named(desk, said, today):
    """A closure the caller names by its reason ("Thanksgiving"), if shop_info told of it."""
    for first, last, reason in desk.state.shop.closures:
        words = [w for w in normalize(reason).split() if len(w) > 3 and w not in NOT_A_HOLIDAY]
        if words and last >= today and has_any(said, words):
            return max(first, today)
    return None


def _say_hours(desk, day, text, turn):
    """The day's answer when there is one, else the week's (which names the closures coming up)."""
    shop = desk.state.shop
    sentence = (shop.day_hours.get(day) if day else None) or shop.answers.get("hours")
    if not sentence:
        return _not_sure(desk, text, turn)
    said = " ".join([*turn.lines, desk.state.said or ""])
    if not (day == desk.today() + timedelta(days=1) and "open again tomorrow" in said):  # said with "closed today"
        turn.say(sentence)
    _say_also(desk, text, "hours", turn)
    desk.anything_else(turn)


# --- One service: its price, how long it takes, whether the caller can wait --------------------


def ask_price(desk, text, turn):
    """A price question: shop_info finds the one service the words name, if any, and says its price."""
    ask_about_job(desk, "price", text, turn)


def ask_about_job(desk, topic, text, turn):
    """A question about one service (`topic`: price, duration, or services for "do you do X?"):
    shop_info finds the one service the words name, if any, and says its price, time and waiting."""
    if topic in ("price", "duration") and not _names_service(desk, text):
        service = _service_in_talk(desk)
        if service:  # "how long does that take?" about the oil change in hand
            text = f"{text} ({service})"
    desk.state.asked = (topic, text)
    if not desk.can("shop_info"):
        return _no_price(desk, text, turn, "I can't look that up right now.")
    several = _price_questions(desk, text) if topic in ("price", "duration") else []
    if several:  # "what for a diagnostic? and how much to fix my exhaust?": each its own answer
        desk.state.asked = ("prices", text, tuple(several[1:]), (), None)
        turn.call("shop_info", topic="services", job=several[0])
        turn.then = priced_each
        return
    _fetch_also(desk, text, topic, turn)  # first: the job's answer is the one `priced` reads
    turn.call("shop_info", topic="services", job=text)
    turn.then = priced


def _service_in_talk(desk):
    """The one service the call is about just now: the booking's in hand, or the one just answered
    about or booked; None if none."""
    task = desk.state.task
    if task is not None:
        return getattr(task, "service", None) if not getattr(task, "also", None) else None
    if desk.state.offer_service:
        return desk.state.offer_service
    booked = (desk.state.last_booked or {}).get("service")
    if booked:
        return booked
    topic, text = desk.state.asked[:2]
    if topic in ("price", "duration", "services") and text:  # "how long does it take?" after its price
        return match_service(text, desk.service_names())
    return None


def price_named(desk, u, turn):
    """The caller's answer to "Which service ...?" (False: not one)."""
    if (u.no or intents.is_thanks(u.text) or THINKING_IT_OVER.search(u.said)) and not u.service:
        return False  # "Alright, I'll think about it. Thanks.": not asked again
    topic = desk.state.asked[0] if desk.state.asked[0] in ("price", "duration") else "price"
    ask_about_job(desk, topic, u.text, turn)
    return True


def priced(desk, results, turn):
    topic, text = desk.state.asked
    found = results.get("shop_info") or {}
    if "error" in found:
        return _no_price(desk, text, turn, "I can't look that up right now.")
    if topic == "services" and not found.get("service"):
        return _listed_services(desk, text, turn)  # not one of ours: say what we do
    if "services" in found or (topic == "duration" and not found.get("service") and not _names_service(desk, text)):
        # the words named no job: which one?
        asking = "a price for" if topic == "price" else "to know about"
        desk.ask(turn, f"Which service would you like {asking}? We do {_services_list(desk)}.", aside=True)
        desk.state.awaiting = "price"
        return
    if topic == "duration":
        if found.get("price_estimate") and _also_about_job(text, "price"):
            turn.say(found["approved_answer"])  # "how much, and how long?": both
        return _say_duration(desk, found, text, turn)
    if topic == "services":
        turn.say(f"Yes, we do {service_phrase(found['service'], article=False)}.", found.get("approved_answer"))
        return _offer_booking(desk, found["service"], turn)
    if not (found.get("service") and found.get("price_estimate")):
        return _no_price(desk, text, turn, found.get("approved_answer") or "We don't have a listed price for that.")
    turn.say(found["approved_answer"], ESTIMATE)
    if found.get("how_long") and _also_about_job(text, "duration"):
        turn.say(found["how_long"])
    _say_also(desk, text, topic, turn)
    _offer_booking(desk, found["service"], turn)


SENTENCE_BREAK = re.compile(r"(?<=[?.!])\s+")


# "Hey, quick price question.": the question is still to come.
PREAMBLE = re.compile(
    r"^(?:(?:hey|hi|hello|so|ok|okay|yeah|um|uh)\s+)*(?:i have |i've got |i got |got |just )?"
    r"(?:a |one |quick |another |couple |couple of |few )*(?:price |pricing |quick )*(?:question|questions|check)s?$"
)


def _price_questions(desk, text):
    """The price questions of one breath, a sentence each, when there are several about different
    jobs and at least one names a listed service ([] otherwise)."""
    asked = [s for s in _questions(text) if intents.detect(s) == "price" and not PREAMBLE.match(normalize(s))]
    if len(asked) < 2:
        return []
    names = desk.service_names()
    matched = [match_service(s, names) for s in asked]
    if not any(matched) or len({m for m in matched if m}) < sum(1 for m in matched if m):
        return []  # none listed, or the same service asked twice: one answer does
    return asked


# "How much is a state inspection, can I wait for it, and what would a timing belt run me?": three
QUESTION_BREAK = re.compile(
    r"(?<=[?.!])\s+|,\s*(?:and\s+)?(?=(?:what|what's|how|how's|can|could|is|are|do|does|would|will)\b)",
    re.IGNORECASE,
)


def _questions(text):
    """The questions of one breath; a short tail ("And the tire rotation, how much?") stays with its clause."""
    questions = []
    for piece in (q for q in QUESTION_BREAK.split(text or "") if q and q.strip()):
        before = questions[-1] if questions else ""
        ended = re.search(r"[?.!]\s*$", before)
        # "And my exhaust is super loud, how much to fix that?": a clause that asks nothing goes with the next
        asks = ASKING.match(before.strip()) is not None
        if questions and not ended and (len(piece.split()) < 3 or not asks):
            questions[-1] = f"{before}, {piece}"
        else:
            questions.append(piece)
    return questions


ASKING = re.compile(
    r"^(?:(?:and|also|so|oh|um|uh|hi|hello|please)\b[\s,]*)*"
    r"(?:what|what's|how|how's|can|could|is|are|do|does|would|will)\b",
    re.IGNORECASE,
)


def _wait_asked_alone(text):
    """ "can I wait for it?" asked as a question of its own, naming no service."""
    return any(intents.detect(q) == "duration" and not _price_named(q) for q in _questions(text))


def _price_named(question):
    return intents.detect(question) == "price"


def priced_each(desk, results, turn):
    """One answer per price question (see _price_questions), looked up one after another."""
    _, text, rest, unlisted, offer = desk.state.asked
    found = results.get("shop_info") or {}
    questions = _price_questions(desk, text)
    job = questions[-len(rest) - 1]
    first = len(questions) - len(rest) == 1
    if found.get("service") and found.get("price_estimate"):
        turn.say(found["approved_answer"], None if offer else ESTIMATE)
        if first and found.get("how_long") and _wait_asked_alone(text):  # "..., can I wait for it, ..."
            turn.say(found["how_long"], _waiting(found))
        offer = offer or found["service"]
    elif "services" not in found:
        unlisted = (*unlisted, job.strip())
        if first:
            turn.say("For the first one, we don't have a listed price.")
        else:
            turn.say("As for the other one, we don't have a listed price for that.")
    if rest:
        desk.state.asked = ("prices", text, rest[1:], unlisted, offer)
        turn.call("shop_info", topic="services", job=rest[0])
        turn.then = priced_each
        return
    desk.state.asked = ("price", text)
    if unlisted:
        return _no_price(desk, " ".join(unlisted), turn, "")
    _offer_booking(desk, offer, turn)


def _also_about_job(text, topic):
    """Was `topic` (price or duration) asked too, in a clause of its own ("how much for an
    alignment, and how long does it take?")?"""
    return any(intents.detect(clause) == topic for clause in CLAUSE_BREAK.split(text or "") if len(clause.split()) >= 2)


def _say_duration(desk, found, text, turn):
    """How long the service takes, and whether the caller can wait for it or leaves the car."""
    if not (found.get("service") and found.get("how_long")):
        turn.say("We don't have a set time for that; it depends on the car.")
        desk.state.unclear = text.strip()
        return messages.offer(desk, turn, ADVISOR_TIME, aside=True)
    turn.say(found["how_long"], _waiting(found))
    if found.get("wait_at_shop") and intents.asks_whether_to_wait(text):
        desk.state.wait_asked_for = found["service"]  # once it is booked: will they wait, or drop it off?
    _say_also(desk, text, "duration", turn)
    _offer_booking(desk, found["service"], turn)


def _waiting(found):
    """Whether the caller can wait for the service shop_info found, said."""
    name = found["service"]
    it = "they're" if is_plural(name) else "it's"
    if found.get("wait_at_shop"):
        return f"You're welcome to wait while {it} done."
    return f"{'Those are' if is_plural(name) else 'That one is'} drop-off only, so you'd leave the car with us."


def _offer_booking(desk, service, turn):
    """After an answer about one service: back to the booking in hand, or offer to book it."""
    just_done = (desk.state.last_booked or {}).get("service")
    if desk.state.task is not None or desk.state.later is not None or (service and service == just_done):
        # not booked twice; a booking asked in the same breath comes next instead
        return desk.anything_else(turn)
    if not desk.state.caller.caller_id:  # no booking without caller ID: an advisor can, on a call back
        desk.state.unclear = desk.state.unclear or f"Caller asked about {service_phrase(service)}."
        return messages.offer(desk, turn, "I can have an advisor call you back to book it. Would you like that?")
    desk.state.offer_service = service
    desk.ask(turn, "Would you like to book that?" if is_plural(service) else "Would you like to book one?")
    desk.state.awaiting = "book_service"


def _listed_services(desk, text, turn):
    desk.state.asked = ("services", text)
    if desk.state.shop.services is None and desk.can("shop_info"):
        turn.call("shop_info", topic="services")
        turn.then = answered
        return
    _say(desk, "services", text, turn)


def _names_service(desk, text):
    return match_service(text, desk.service_names()) is not None


def _no_price(desk, text, turn, sentence):
    """No price the shop set: say so, and offer an advisor's call back with a quote."""
    turn.say(sentence)
    desk.state.unclear = text.strip()  # the caller's own question is the message's reason
    messages.offer(desk, turn, QUOTE, aside=True)


# --- Continuations -------------------------------------------------------------------------


def heard_after_lookup(desk, results, turn):
    text, desk.state.queued = desk.state.queued, None
    if text:
        desk.hear(text, turn)


def nothing(desk, results, turn):
    pass


def transfer_failed(desk, results, turn):
    done = results.get("transfer_to_advisor") or {}
    if done.get("transferring"):
        turn.say("Please hold.")
        return
    turn.say("I'm sorry, I couldn't reach an advisor just now.")
    # No made-up reason: with nothing said about what it is for, the message asks what to pass on.
    messages.offer(desk, turn, "I can take a message and have someone call you back. Would you like that?")
