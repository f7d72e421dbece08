"""The scripted receptionist's conversation: what each caller utterance and tool result leads to.

Pure and synchronous: `reply(news)` takes what is new in the history (transcript.News) and
returns a Turn (words, then tool calls whose results continue at `turn.then`). The clock is
injected, so the same words on the same clock always get the same reply.
"""

import copy
import re
from dataclasses import dataclass, replace

from calls.agent.scripted import (
    appointments,
    booking,
    caller_name,
    info,
    messages,
    one_breath,
    repair_orders,
    repair_speech,
    vehicles,
)
from calls.agent.scripted.booking_words import switched_to
from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.emails import email_in
from calls.agent.scripted.intents import (
    CANCEL,
    I_CALL_BACK,
    MESSAGE,
    NOT_NOW,
    asks_after_someone_else,
    checking_in,
    detect,
    detect_asked,
    is_abort,
    is_goodbye,
    is_greeting,
    is_thanks,
    names_vehicle_kind,
    question_after_goodbye,
    wants_repeat,
    without_farewell_taken_back,
)
from calls.agent.scripted.phone_numbers import phone_number
from calls.agent.scripted.repair_words import asks_after_car
from calls.agent.scripted.services import match_service, unlisted_job
from calls.agent.scripted.speech import is_plural, say_moment, service_phrase
from calls.agent.scripted.state import (
    Booking,
    Cancellation,
    CarInShop,
    Choosing,
    Conversation,
    Message,
    Pending,
    Turn,
    VinEntry,
)
from calls.agent.scripted.tool_times import local_time
from calls.agent.scripted.transcript import ToolResult
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import has_any, is_no, is_yes, latest_statement, normalize

ANYTHING_ELSE = "Is there anything else I can help you with?"
NO_FIRST = re.compile(r"^(?:no|nope|nah|no thanks|no thank you)\b(?! (?:wait|actually|sorry)\b)")
MONEY_TALK = re.compile(
    r"\b(?:bucks|dollars|cheaper|discount|deal|price match|match (?:the|their|that) price|can you do (?:it for )?\w+"
    r"(?: bucks| dollars)?\?|(?:for|do) (?:\d+|forty|thirty|fifty|sixty|twenty)\b"
    r"(?! (?:cars?|vehicles?|trucks?|people|days?|weeks?|hours?|minutes?|of|am|pm|oclock)\b)|bring my own)"
)
# A booking the caller never asked for, or no longer wants yet: "I'm not booking yet, I'm just asking".
NOT_BOOKING = re.compile(
    r"\b(?:not (?:booking|ready to book|looking to book|trying to book|wanting to book|making an appointment)"
    r"|(?:don't|do not|didn't|did not) (?:want|need) to (?:book|make an appointment|schedule)"
    r"|(?:call|ring) (?:you )?back to (?:book|schedule|set (?:it|that) up|make an appointment)"
    r"|(?:book|schedule) (?:it |that )?later|just (?:asking|wondering|curious|a question|checking))\b"
)
# A caller who meant to reach another business: "Wait, this isn't Tony's Pizza?", "Is this Dr. Patel's office?",
# "Is this Lakeside Dental?": a place named with capitals (possessive or two words) that ends the question, not
# the shop, a day or a month ("Is this Tuesday still open?"), a person's thing ("Is this Dana's appointment?") or
# a first name alone (an advisor's, maybe: "Is this Mike?").
_NOT_A_PLACE = (
    r"(?!(?:Otto|Auto|Car|Mechanic|Garage|Service|Repair|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday"
    r"|Sunday|January|February|March|April|May|June|July|August|September|October|November|December|I)\b)"
)
OTHER_PLACE = re.compile(
    rf"\b(?i:is(?:n't| not) this|this is(?:n't| not)|is this)\s+(?:the\s+)?{_NOT_A_PLACE}(?:Dr\.?\s+)?"
    r"[A-Z][\w.-]*(?:'s\b|\s+[A-Z][\w'.-]+)(?:\s+[A-Z][\w'.-]+)*"
    r"(?:\s+(?i:office|pizza|restaurant|pharmacy|clinic|salon|store|bank|school|hotel|dental|insurance|practice))?"
    r"\s*\?"
)
# "Am I talking to a real person or is this a robot?", "are you AI?": answered truthfully, never passed over;
# not "are you able to run a computer diagnostic?".
ARE_YOU_A_MACHINE = re.compile(
    r"\b(?:are you|is this|is that|am i (?:talking|speaking) (?:to|with))\s+(?:even |just |like |really )?"
    r"(?:(?:(?:a|an|the) )?(?:robot|bot|ai|a\.i|artificial intelligence|machine|computer|recording)"
    r"|(?:a |an )?(?:real |actual |live )(?:person|human)|(?:a )?human(?: being)?|a person)\b"
    r"|\bor (?:is (?:this|it) |are you )?(?:a |an )?(?:robot|bot|machine|computer|ai|recording)\b"
)
WANTS_TO_KNOW = re.compile(r"\b(?:wanna|want to|wanted to|need to|just) (?:know|ask|check)\b|\bwondering\b|\bcurious\b")
# "If I wait for my oil change, do you have wifi?": a question about the shop, the service only its setting.
IF_I_THEN_ASKS = re.compile(
    r"\bif (?:i|we)\b[^?]*[,.]\s*(?P<question>(?:do you(?: guys)? have|is there|are there|have you got|you got)\b[^?]*\?)",
    re.IGNORECASE,
)
ANOTHER_DAY = re.compile(r"^(?:and|what about|how about|and what about|and how about|and on|on)\b|^\S+$")
OFFER_MESSAGE = "I can take a message for an advisor to call you back. Would you like me to do that?"
INTERJECTION = re.compile(r"^(?:Sure|Okay|Great|No problem|Sorry about that|Thanks, [\w'-]+)[.,!]\s+")  # not re-asked

FLOWS = {
    Booking: booking,
    Cancellation: appointments,
    Choosing: appointments,
    Message: messages,
    VinEntry: vehicles,
    CarInShop: repair_orders,
}


@dataclass(frozen=True)
class Utterance:
    text: str
    said: str  # normalized
    when: object  # When
    intent: str | None
    service: str | None
    yes: bool
    no: bool
    first_choice: object = None  # "Eleven, if that's open. Otherwise after lunch": the words before the fallback


GOT_IT = re.compile(r"\b(?:got it|gotcha|noted|will do|perfect)\b.*\b(?:thanks|thank you|thank ya)\b")
# What the caller would take if their first choice is gone: "..., otherwise right after lunch".
FALLBACK = re.compile(r"[,.;]?\s*\b(?:otherwise|or else|if not|failing that|if that's gone|if that's taken)\b", re.I)


# "No, no rebooking the brakes. Just cancel Monday. Wednesday stays.": the cancel was all.
NO_REBOOKING = ("rebook", "re book", "no need", "just cancel", "just the cancel", "just cancelling", "don't need")
# Taking the message offered, in other words than a yes.
PASS_IT_ON = re.compile(r"\b(?:pass (?:it|that|this) (?:on|along)|take a message|leave (?:a|them a) message)\b")


class Receptionist:
    def __init__(self, *, now, services, tools, writes):
        self.now = now  # () -> naive datetime, shop local time
        self.services = list(services)
        self.tools = set(tools)
        self.writes = frozenset(writes)  # the tools that change records: their results are announced
        self.state = Conversation()
        self.last_heard = ""
        self._before_last_utterance = None

    def today(self):
        return self.now().date()

    def can(self, tool):
        return tool in self.tools

    # --- one reply ----------------------------------------------------------------------

    def reply(self, news):
        if news.merged and self._before_last_utterance is not None:
            # Our answer to the first part went unheard: answer the whole utterance instead.
            self.state = copy.deepcopy(self._before_last_utterance)
        state = self.state
        self.last_heard = news.last_heard or ""
        turn = Turn()
        text = news.user_text
        if text:
            self._before_last_utterance = copy.deepcopy(state)
        pending, state.pending = state.pending, None
        mine = [r for r in news.results if pending and r.call_id in pending.call_ids]
        for result in news.results:
            self.learn(result)
        if news.takeover:
            done = [r for r in news.results if r.call_id in news.recent_ids and self._succeeded(r)]
            if done:
                for result in done:
                    turn.say(self.announcement(result))
                self.anything_else(turn)
                return self._finish(turn)
        if mine and text:
            # The caller spoke while these ran: say what was done, then answer what they said.
            writes = [r for r in mine if r.name in self.writes]
            for result in writes:
                turn.say(self.announcement(result) if self._succeeded(result) else "I'm sorry, that didn't go through.")
            if writes:
                state.task = None
            if state.queued:
                text, state.queued = f"{state.queued} {text}", None
        elif mine:
            pending.step(self, {pending.names[r.call_id]: r.result for r in mine}, turn)
        if text:
            self.hear(text, turn)
        if not turn.lines and not turn.calls:
            turn.say(state.last_question or "Sorry, could you say that again?")
        return self._finish(turn)

    def recover(self):
        """After an internal failure: drop whatever was going on and offer a message."""
        self.state.task, self.state.pending, self.state.queued = None, None, None
        turn = Turn()
        turn.say("I'm sorry, I got a bit lost there.")
        messages.offer(self, turn, OFFER_MESSAGE)
        return self._finish(turn)

    def _finish(self, turn):
        state = self.state
        if turn.calls:
            for _ in turn.calls:
                state.calls_made += 1
                turn.ids.append(f"call_scripted_{state.calls_made}")
            state.pending = Pending(
                step=turn.then or info.nothing,
                call_ids=list(turn.ids),
                names={i: name for i, (name, _) in zip(turn.ids, turn.calls, strict=True)},
            )
        if turn.lines:
            state.last_said = turn.text
            state.said = f"{state.said} {turn.text}"
        return turn

    # --- what the caller said -----------------------------------------------------------

    def utterance(self, text):
        task = self.state.task
        expect_time = isinstance(task, Booking) and task.stage in ("day", "offered", "confirm")
        said = normalize(text)
        head = FALLBACK.split(text or "", maxsplit=1)[0]
        return Utterance(
            text=text.strip(),
            said=said,
            when=parse_when(text, self.today(), expect_time=expect_time),
            intent=detect_asked(text),
            service=self.service_in(said),
            yes=is_yes(said),
            no=is_no(said),
            first_choice=self.utterance(head) if head.strip() and head.strip() != (text or "").strip() else None,
        )

    def service_in(self, said):
        """The service asked for; of a correction ("an oil change, no, a tire rotation"), the latest."""
        names = self.service_names()
        # "... scratch the rotation, it's pulling left, do an alignment instead": the one switched to
        return switched_to(said, names) or match_service(latest_statement(said), names) or match_service(said, names)

    def hear(self, text, turn):
        state = self.state
        caller = state.caller
        if not caller.looked_up:
            if self.can("lookup_customer"):
                state.queued = text
                turn.call("lookup_customer")
                turn.then = info.heard_after_lookup
                return
            caller.looked_up = True
        if state.task is None:  # "thanks, bye. Oh wait, are you open tomorrow?": the question is answered
            text = question_after_goodbye(text) or text
        else:  # "Yeah, sounds good. Thanks, bye! Oh wait, one more thing, can you add ...?": not a goodbye
            text = without_farewell_taken_back(text)
        u = self.utterance(text)
        if not caller.on_file and caller.caller_id and not isinstance(state.task, Message):
            caller.email = email_in(text) or caller.email  # "send the confirmation to my email, it's ..."
        task = state.task
        flow = FLOWS.get(type(task))
        if wants_repeat(text) and state.last_said and not u.when.said_anything:
            here = "Yes, I'm here."
            last = state.last_said.removeprefix(here).strip()
            if has_any(u.said, ("there", "lost you", "cut out", "broke up", "breaking up")):
                turn.say(here)  # "hello? are you there?": then what they missed
            turn.say(last)
            return
        if appointments.intercept(self, task, u, turn):  # "yes, cancel that"; "no, the other one"
            state.misses = 0
            return
        if task is not None and is_abort(text) and not booking.takes_back_to(self, task, u):
            state.task = None
            turn.say(flow.dropped(self, task))
            self.anything_else(turn)
            return
        if OTHER_PLACE.search(text) and not u.service:
            turn.say("This is an auto repair shop. If you meant to call somewhere else, you may have the wrong number.")
            self.anything_else(turn)
            return
        if isinstance(task, Booking) and NOT_BOOKING.search(u.said) and not u.when.said_anything:
            state.task = None  # "Oh, no, I'm not booking yet, I'm just asking. Is that covered?"
            turn.say(flow.dropped(self, task))
            if u.intent in info.TOPICS:
                info.ask_shop(self, u.intent, u, turn)
            elif self.can("shop_info") and (info.sounds_like_question(u.text) or WANTS_TO_KNOW.search(u.said)):
                info.ask_faq(self, u, turn)  # "I just wanna know if there's wifi in the waiting room."
            else:
                self.anything_else(turn)
            return
        asks_back = u.when.said_anything and text.rstrip().endswith("?")  # "so I'm all set for Tuesday?"
        leaving = is_goodbye(text) and isinstance(task, Booking) and task.stage == "confirm" and u.yes
        if leaving and self.heard_question():
            state.leaving = True  # "Yep, book it. Sorry, gotta run, my bus is here. Bye!": booked, then goodbye
        elif is_goodbye(text) and not asks_back and not (task and (u.when.said_anything or messages.agrees(u))):
            self.goodbye(turn)
            return
        if is_greeting(text) and not task:
            name = state.caller.first_name
            self.ask(turn, f"Hi{' ' + name if name else ''}! How can I help you today?", aside=True)
            return
        machine = [q for q in re.findall(r"[^.?!]*\?", text) if ARE_YOU_A_MACHINE.search(normalize(q))]
        if u.intent != "person" and machine:  # asked, not said in passing ("I figured I'd get a machine")
            turn.say(
                "I'm the shop's automated assistant, an AI. I can book or change appointments, answer "
                "questions about the shop, or take a message for an advisor."
            )
            rest = text
            for question in machine:
                rest = rest.replace(question, " ", 1)
            rest = " ".join(rest.split()).lstrip("?.!, ")
            after = self.utterance(rest) if rest else None
            if (
                after is None
                or len(after.said.split()) < 4
                or not (after.intent or after.service or after.when.said_anything)
            ):
                if task is not None and state.task_question:
                    self.ask(turn, state.task_question)
                else:
                    self.ask(turn, "How can I help you today?", aside=True)
                return
            text, u = rest, after  # "Is this a machine? Whatever. Can I get a battery tomorrow?": the request too
        checking = checking_in(text)
        if checking:  # "can you hear me?", "how are you today?": a word back, then the question in hand
            turn.say("Yes, I can hear you." if checking == "line" else "I'm doing well, thanks for asking!")
            if task is not None and state.task_question:
                self.ask(turn, state.task_question)
            else:
                self.ask(turn, "How can I help you today?", aside=True)
            return
        if task is None and state.awaiting == "anything_else" and self._echoes_appointment(u, turn):
            return  # "Three. Three in the afternoon, you said?": yes, that one
        if task is None and state.awaiting == "anything_else" and not u.service and GOT_IT.search(u.said):
            self.goodbye(turn)  # "Okay. Tuesday. Got it, thanks.": what we said, repeated back
            return
        if is_thanks(text) and task is None and state.awaiting in (None, "anything_else", "book_service", "book_new"):
            # "thank you" to "would you like to book a new time for it?" books nothing
            if state.awaiting == "anything_else":
                self.goodbye(turn)  # "thanks!" after "anything else?" closes the call
            else:
                turn.say("You're welcome.")
                self.anything_else(turn)
            return
        if caller_name.heard(self, u, turn):  # a new caller's name, said unasked, spelled or corrected
            state.misses = 0
            return
        if caller_name.email_given(self, u, turn):  # "put my email on file, it's ..."
            return
        if flow and flow.capture(self, task, u, turn):
            state.misses = 0
            return
        if u.intent == "person":
            self.transfer(turn, reason=text)
            return
        if u.intent in info.TOPICS and isinstance(task, Booking):
            after = self.answer_after_question(u)  # "you close at 1? then ten in the morning"
            if after is not None and flow.answer(self, task, after, turn):
                state.misses = 0
                return
        if (
            u.intent == "duration"
            and isinstance(task, Booking)
            and booking.switched_and_asked_how_long(self, task, u, turn)
        ):
            state.misses = 0
            return
        if u.intent in info.TOPICS and task is not None:
            info.ask_shop(self, u.intent, booking.about_this(task, u), turn)  # an aside, then back to the task
            return
        if flow and flow.answer(self, task, u, turn):
            state.misses = 0
            return
        if task is None and u.intent != "message" and len(u.said.split()) > 3 and repair_orders.wanted(self, u):
            state.awaiting = None  # "oh wait, no, don't do the pads" after "anything else?" is about the car
            self._car_in_shop(u, turn)
            return
        if self._talks_price(u):  # "so that's fifty bucks, right?", "can you do forty?" after a price
            state.awaiting = None
            state.price_talks += 1
            if state.price_talks > 1:  # said once already: only an advisor can talk price
                state.unclear = text
                messages.offer(self, turn, "Only an advisor can talk price. Would you like one to call you back?")
                return
            turn.say("I can't quote or change prices myself; what I have is the shop's listed estimate.")
            info.ask_shop(self, "price", self.utterance(state.asked[1]), turn)
            return
        if state.awaiting and self.answer_awaited(u, turn):
            state.misses = 0
            return
        if u.yes and not task and u.intent in (None, "message") and "take a message" in self.last_heard.lower():
            messages.start(self, turn, reason=state.unclear, request=u.text)  # the session's own apology offered one
            return
        if self.start(u, turn):
            state.misses = 0
            return
        self.misunderstood(u, turn)

    def _echoes_appointment(self, u, turn):
        """The caller says back the day or time of an appointment of theirs just told ("Three in the
        afternoon, you said?"): it is confirmed, nothing is booked (True)."""
        w = u.when
        if not (w.clock or w.day) or u.intent in ("cancel", "reschedule") or len(u.said.split()) > 30:
            return False
        if u.intent == "book" and has_any(u.said, ("another", "also", "too", "second", "as well", "again", "both")):
            return False  # "book another one Thursday at nine": a new one
        told = []
        just_booked = [self.state.last_booked] if self.state.last_booked else []
        for appointment in [*(self.state.appointments or ()), *just_booked]:
            start = local_time(appointment["start"])
            if (not w.clock or w.clock == start.time()) and (not w.day or w.day == start.date()):
                if not u.service or u.service == appointment.get("service"):
                    told.append((appointment, start))
        if len(told) != 1:
            return False
        appointment, start = told[0]
        if has_any(u.said, ("thank you", "thanks")) and not u.text.rstrip().endswith("?"):
            self.goodbye(turn)  # "Wednesday at ten. I'll write it on the calendar. Thank you, dear."
            return True
        name = service_phrase(appointment.get("service") or "appointment", article=False)
        turn.say(f"Yes, that's right: your {name} is on {say_moment(start)}.")
        self.anything_else(turn)
        return True

    def _talks_price(self, u):
        """Money said back or bargained over right after a listed price was given."""
        state = self.state
        if state.task is not None or state.asked[0] != "price" or u.when.day or u.when.clock:
            return False
        if state.awaiting in ("new_car", "booking_car", "wait_or_drop"):
            return False  # "It's his, a 2011 Toyota RAV4": the car asked for, not an amount
        return bool(MONEY_TALK.search(u.said)) and (not u.service or u.service == self.service_in(state.asked[1]))

    def _about_another_car(self, u):
        if self.state.task is not None or self.state.asked[0] != "makes" or u.service:
            return False
        last = normalize(re.split(r"(?<=[.!?])\s+", u.text.strip())[-1])
        return bool(ANOTHER_DAY.match(last)) and len(last.split()) <= 8 and car_in(last) is not None

    def _about_another_day(self, u):
        """ "And Sunday?", "what about Monday?" after a question about the shop: that day's hours."""
        if self.state.task is not None or self.state.asked[0] is None or u.service or not u.when.day:
            return False
        last = normalize(re.split(r"(?<=[.!?])\s+", u.text.strip())[-1])  # "Eight till one. And Sunday?"
        return bool(ANOTHER_DAY.match(last)) and len(last.split()) <= 5 and bool(parse_when(last, self.today()).day)

    def answer_after_question(self, u):
        """What follows a question the caller asked and answered at once ("Oh, you close early on
        Saturdays? Then ten in the morning."): the day or time said after it, or None."""
        head, mark, tail = u.text.rpartition("?")
        if not mark or not tail.strip():
            return None
        after = self.utterance(tail)
        if after.intent not in (None, "book") or not after.when.said_anything:
            return None
        return after

    def _when_beside(self, said, phrases):
        """Whether a day or time is said besides the phrases ("not right now" is none)."""
        for phrase in phrases:
            said = said.replace(phrase, " ")
        said = re.sub(r"\b(?:right now|at the moment|for now|at this point)\b", " ", said)  # "calling around right now"
        return parse_when(said, self.today()).said_anything

    def _shop_question_in(self, text):
        """The questions about the shop asked beside an answer, or None."""
        asked = [q for q in re.findall(r"[^.?!]*\?", text or "") if detect(q) in info.TOPICS]
        return " ".join(q.strip() for q in asked) or None

    def answer_awaited(self, u, turn):
        """A yes or no to the last question we asked outside any task."""
        state = self.state
        awaiting, state.awaiting = state.awaiting, None
        if has_any(u.said, I_CALL_BACK) and not u.service and awaiting == "anything_else":
            self.goodbye(turn)  # "Great, thanks, I'll call back to book."
            return True
        if has_any(u.said, I_CALL_BACK) and not u.service and awaiting in ("book_service", "book_new", "price"):
            turn.say("Sounds good.")  # "alright, I'll figure out my schedule and call you back": no booking now
            self.anything_else(turn)
            return True
        for asked, answered in (
            ("new_car", booking.car_for_booking),
            ("booking_car", booking.car_chosen),
            ("wait_or_drop", booking.waiting_chosen),
        ):
            if awaiting == asked and answered(self, u, turn):
                # "It's a 2016 Jeep Grand Cherokee. Oh, and do you guys take Apple Pay?": answered next
                state.later = state.later or self._shop_question_in(u.text)
                return True
        if awaiting == "take_message" and not u.no and phone_number(u.text):
            messages.start(self, turn, reason=state.unclear, request=u.text)  # "best is my cell, 630...": a yes
            return True
        asks = "?" in u.text or u.intent not in (None, "cancel", "reschedule", "book", "message")
        if awaiting == "take_message" and not u.no and (PASS_IT_ON.search(u.said) or (u.yes and not asks)):
            # "Yes, please, just pass it on so they cancel Thursday's oil change": a yes, whatever else it names
            messages.start(self, turn, reason=state.unclear, request=u.text)
            return True
        declined = NO_FIRST.match(u.said) or has_any(u.said, NOT_NOW)
        if awaiting == "take_message":  # "alright, I'll think about it" to the offer of a call back: no
            declined = has_any(u.said, NOT_NOW) and not phone_number(u.text)
        no_rebooking = awaiting == "book_service" and NO_FIRST.match(u.said) and has_any(u.said, NO_REBOOKING)
        if no_rebooking or (
            awaiting in ("book_service", "book_new", "take_message")
            and declined
            # "not right now" names no day; "not yet for the alignment" names the one offered, not another
            and not (self._when_beside(u.said, NOT_NOW) or (u.service and u.service != state.offer_service))
        ):
            # "No, no need to reschedule, just cancel it."; "alright, I'll think about it": nothing more to do
            turn.say("Sure, take your time." if awaiting == "take_message" else "No problem.")
            self.anything_else(turn)
            return True
        if u.intent not in (None, "goodbye") and not (u.yes and u.intent == "book"):
            return False
        if awaiting == "take_message" and u.yes:
            messages.start(self, turn, reason=state.unclear, request=u.text)
            return True
        if awaiting == "book_service" and re.search(r"\bcancel(?:led|ed)? (?:it|that)\b", u.said):
            turn.say("It's cancelled.")  # "yeah, go ahead and cancel it" to "book a new time?": no new one
            self.anything_else(turn)
            return True
        if awaiting == "book_service" and (u.yes or (u.when.said_anything and not u.no and state.offer_service)):
            # "yes, a state inspection"; "Friday then? Around noon." to "would you like to book one?"
            asked = parse_when(state.asked[1], self.today()) if state.asked[1] else None
            if not u.when.said_anything and asked is not None and asked.said_anything:
                u = replace(u, when=asked)  # "can I wait for it Thursday at nine?", then "ok, I'll drop it off"
            booking.start(self, u, turn, service=u.service or state.offer_service)
            return True
        if awaiting == "book_new" and u.yes:
            booking.start(self, u, turn)
            return True
        if awaiting == "anything_else" and u.yes and not u.service and not u.when.said_anything:
            self.ask(turn, "Sure, what can I help you with?")
            return True
        if awaiting == "price" and info.price_named(self, u, turn):
            return True
        if (u.no and not u.service and not u.when.said_anything) or (has_any(u.said, I_CALL_BACK) and not u.service):
            # "nah, I'll just call back in the morning": no, whatever day it names
            if awaiting == "anything_else":
                self.goodbye(turn)
            else:
                turn.say("Okay.")
                self.anything_else(turn)
            return True
        return False

    def start(self, u, turn, *, whole=True):
        """A new request. Questions about the shop keep the task in hand and come back to it.
        (`whole`: the caller's words as said, which may hold two requests; not one taken up later.)"""
        if whole and self.state.task is None and self.state.later is None:
            two = one_breath.task_then_message(u.text)  # "... oil change Monday. And tell Bernie Gwen says thanks?"
            if two:
                self.state.later, u = two[1], self.utterance(two[0])
        if whole and self.state.task is None and self.state.later is None:
            now, later = one_breath.split(u.text, self.service_names(), self.today(), u.intent)
            if later:  # a task and a shop question at once: one now, the other next
                self.state.later = later
                u = self.utterance(now) if now != u.text else u
        intent = u.intent
        if intent == "cancel" and self._scratches_a_request(u):
            intent = "book"  # "... a coolant flush Thursday. Actually, scratch the coolant, do the transmission service instead"
        if intent is None and self._about_another_day(u):
            intent = "hours"  # "Tomorrow we're open 9 to noon." "And Sunday?"
        if intent is None and self._about_another_car(u):
            intent = "makes"  # "We don't work on full electric..." "What about a Jeep Grand Cherokee?"
        if intent in (None, "makes") and not u.service and unlisted_job(u.text, self.service_names()):
            intent = "services"  # "do you guys do body work?": a job we don't list, not a make nor a FAQ
        if asks_after_someone_else(u.text):
            turn.say(
                "I'm sorry, I can only see appointments under the number you're calling from, "
                "so I can't look up anyone else's."
            )
            self.anything_else(turn)
        elif intent == "goodbye":
            self.goodbye(turn)
        elif intent == "message" and whole and self.state.caller.upcoming and has_any(u.said, CANCEL):
            # "Can you cancel it and have somebody call me later about a new time?": both, the cancel first
            asks = [p for p in re.split(r"(?<=[.?!])\s+|,?\s+\band\b\s+", u.text) if has_any(normalize(p), MESSAGE)]
            asked = " ".join(asks) or u.text
            if re.search(r"\b(?:new|another|different|other) (?:time|day|date)|\bre-?(?:book|schedul)", asked, re.I):
                asked = "Please have someone call me back about rebooking the appointment."  # the advisor's note
            self.state.later = asked
            appointments.start(self, u, turn, purpose="cancel")
        elif intent == "message" and whole and (first := self._car_asked_before_message(u)):
            # "When can I pick up the Camry? ... Is there any way I can get a loaner? I'd like somebody
            # to call me about that.": where the car stands now, the message next
            self.state.later = u.text[len(first) :].strip()
            self._car_in_shop(self.utterance(first), turn, whole=False)
        elif intent == "message":
            messages.start(self, turn, request=u.text)
        elif repair_orders.wanted(self, u):  # the car in the shop: its status, the work, pickup
            self._car_in_shop(u, turn, whole=whole)
        elif intent == "status" or (intent != "book" and messages.sounds_urgent(u.said)):
            messages.offer_call_back(self, turn, u)  # a car in the shop, or in trouble: an advisor calls
        elif intent in ("cancel", "reschedule", "list"):
            appointments.start(self, u, turn, purpose={"reschedule": "move"}.get(intent, intent))
        elif intent == "vehicle" and u.service and (u.when.said_anything or one_breath.BOOKING_ASKED.search(u.text)):
            booking.start(self, u, turn)  # "her Jeep needs the inspection ... put it on my account. Friday?": both
        elif intent == "vehicle":
            vehicles.start(self, u, turn)
        elif (
            intent in (None, "book", "makes")  # "... do you have wifi? I'd need to work on my laptop."
            and self.state.task is None
            and not u.when.said_anything
            and (if_then := IF_I_THEN_ASKS.search(u.text))
            and self.can("shop_info")
        ):
            question = if_then["question"]  # not "... work on my laptop": the makes entry
            info.ask_faq(self, self.utterance(question), turn)  # the shop's FAQ entry, or not known; no booking
        elif intent in info.TOPICS and appointments.existing_purpose(self, u) == "list":
            appointments.start(self, u, turn, purpose="list")  # "is my inspection at two? can I wait?": both
        elif intent in info.TOPICS and not (intent == "makes" and u.service and not names_vehicle_kind(u.text)):
            # "my Honda in for an oil change" books; "an oil change on my Harley" asks first
            info.ask_shop(self, intent, u, turn)
        elif appointments.existing_purpose(self, u):
            appointments.start(self, u, turn, purpose=appointments.existing_purpose(self, u))
        elif self.state.task is None and appointments.moved_to(u):  # "my oil change to Thursday"
            appointments.start(self, u, turn, purpose="move")
        elif self.state.task is None and booking.moves_one_held(
            self, u
        ):  # "I've got X Saturday, can you take it tomorrow?"
            appointments.start(self, u, turn, purpose="move")
        elif intent is None and not u.service and u.when.said_anything and self.state.pickup_talked:
            turn.say("Sounds good, it'll be ready for you.")  # "Saturday morning then.": coming for the car
            self.state.pickup_talked = False  # once: a day said later in the call is a day for something else
            self.anything_else(turn)
        elif intent == "book" or u.service or (u.when.said_anything and self.state.task is None):
            booking.start(self, u, turn)
        elif intent is None and self.state.task is None and self.can("shop_info") and info.sounds_like_question(u.text):
            info.ask_faq(self, u, turn)  # "do you have wifi?": a FAQ entry of the shop's, or not understood
        else:
            return False
        return True

    def misunderstood(self, u, turn):
        state = self.state
        state.misses += 1
        task = state.task
        if task is not None and state.misses < 2 and state.task_question:
            turn.say("Sorry, I didn't catch that.")
            self.ask(turn, state.task_question)
            return
        if task is None and len(u.said.split()) < 3 and state.misses < 2:
            self.ask(turn, "Sorry, I didn't catch that. How can I help you today?", aside=True)
            return
        state.misses = 0
        if len(u.said.split()) >= 3:
            state.unclear = u.text
        turn.say("I'm sorry, I can't help with that myself.")
        messages.offer(self, turn, OFFER_MESSAGE)

    # --- shared moves -------------------------------------------------------------------

    def ask(self, turn, question, *, aside=False):
        """Ask something; unless it is an `aside`, it is the question the task comes back to."""
        turn.say(question)
        self.state.last_question = question
        if not aside:
            again = INTERJECTION.sub("", question, count=1)
            self.state.task_question = again[:1].upper() + again[1:]

    def heard_question(self):
        """Did the caller hear all of our last question (not cut off by a barge-in)? A yes to a
        read-back counts only then."""
        question = self.state.last_question or ""
        return " ".join(question.split()) in " ".join(self.last_heard.split())

    def anything_else(self, turn):
        task = self.state.task
        if task is None and self.take_up_later(turn):
            return
        if task is not None and self.state.task_question:
            self.ask(turn, self.state.task_question)  # back to what we were doing
            return
        self.ask(turn, ANYTHING_ELSE)
        self.state.awaiting = "anything_else"

    def _car_asked_before_message(self, u):
        """The words that ask after the caller's car in the shop, said before asking for a call
        back (the first sentence), or None."""
        if self.state.caller.cars_in_shop <= 0 or self.state.task is not None:
            return None
        sentences = re.split(r"(?<=[.?!])\s+", u.text.strip())
        first = sentences[0] if len(sentences) > 1 else ""
        if not first.rstrip().endswith("?") or detect(first) == "message" or not asks_after_car(normalize(first)):
            return None
        return first

    def _scratches_a_request(self, u):
        """ "Scratch the coolant, do the transmission fluid service instead": a booking asked for and
        corrected in one breath, by a caller with no appointment that could be cancelled."""
        return (
            self.state.task is None
            and not self.state.caller.upcoming
            and u.service is not None
            and has_any(u.said, ("instead", "rather", "make it", "change it to", "switch it to"))
        )

    def _car_in_shop(self, u, turn, *, whole=True):
        """The car in the shop, and a booking or a move asked in the same breath kept for after it."""
        if whole and self.state.later is None:
            two = one_breath.car_then_task(u.text, self.service_names())
            if two:
                self.state.later, u = two[1], self.utterance(two[0])
        repair_orders.start(self, u, turn)

    def take_up_later(self, turn):
        """The other request of a breath that held two (see one_breath), once the first is done
        (True: taken up)."""
        state = self.state
        if state.later is None or state.task is not None or turn.calls:
            return False
        text, state.later = state.later, (state.later_after.pop(0) if state.later_after else None)
        now, rest = one_breath.split(text, self.service_names(), self.today(), self.utterance(text).intent)
        if rest:  # "... I need an alignment tomorrow. Can I just wait for it?" kept after the hours: the question first
            if state.later is not None:
                state.later_after.insert(0, state.later)
            text, state.later = now, rest
        u = self.utterance(text)
        if info.said_already(self, u) or one_breath.KEEPS.search(text):  # answered already, or "keep that one"
            return False
        done = (state.last_booked or {}).get("service")
        if done and not u.service and u.intent in one_breath.ABOUT_THE_JOB:  # "what's that gonna run me?"
            u = self.utterance(f"{text} ({done})")
        return self.start(u, turn, whole=False)

    def goodbye(self, turn):
        name = self.state.caller.first_name
        hour = self.now().hour  # "have a great day" to a caller at half past eleven at night rings false
        rest = (
            "Have a good night"
            if hour >= 20 or hour < 4
            else "Have a good evening"
            if hour >= 17
            else "Have a great day"
        )
        turn.say(f"Thanks for calling{', ' + name if name else ''}. {rest}. Goodbye!")
        self.state.task = None
        if self.can("end_call"):
            turn.call("end_call")
            turn.then = info.nothing

    def transfer(self, turn, *, reason):
        state = self.state
        if not self.can("transfer_to_advisor"):
            turn.say("I can't transfer calls right now.")
            messages.offer(self, turn, OFFER_MESSAGE)
            return
        who = state.caller.name or "A caller"
        summary = f"{who} asked to speak with an advisor: {reason.strip()}"[:900]
        state.unclear = messages.reason_in(reason) or state.unclear  # the message, if the transfer fails
        turn.say("Sure. Let me transfer you to an advisor.")
        turn.call("transfer_to_advisor", summary=summary)
        turn.then = info.transfer_failed

    def service_names(self):
        if self.services:
            return self.services
        return list(self.state.shop.services or ())

    # --- tool results -------------------------------------------------------------------

    def learn(self, result: ToolResult):
        """Keep what any tool result tells about the caller and the shop (ours or another brain's)."""
        state, r = self.state, result.result
        if result.name == "lookup_customer":
            caller = state.caller
            caller.looked_up = True
            if "error" in r:
                caller.caller_id = "caller id" not in r["error"].lower()
            else:
                caller.on_file = bool(r.get("on_file"))
                caller.name = r.get("name") or caller.name
                caller.vehicles = list(r.get("vehicles") or [])
                caller.upcoming = int(r.get("upcoming_appointments") or 0)
                caller.cars_in_shop = int(r.get("cars_in_shop") or 0)
        elif result.name == "shop_info":
            state.shop.learn(result.arguments.get("topic"), r)
        elif result.name == "create_customer" and "error" not in r:
            state.caller.on_file = True
            state.caller.name = r.get("name") or state.caller.name
        elif result.name == "add_vehicle" and "error" not in r:
            state.caller.vehicles.append(r)

    def _succeeded(self, result):
        """A write that went through."""
        return result.name in self.writes and "error" not in result.result

    def announcement(self, result):
        r = result.result
        when = say_moment(local_time(r["start"])) if r.get("start") else ""
        service = service_phrase(r["service"], article=False) if r.get("service") else "appointment"
        verb = "are" if is_plural(r.get("service") or "") else "is"
        if result.name == "book_appointment":
            return f"You're all set: your {service} {verb} booked for {when}."
        if result.name == "reschedule_appointment":
            return f"Your {service} {verb} now on {when}."
        if result.name == "cancel_appointment":
            return f"Your {service} on {when} {verb} cancelled."
        if result.name == "take_message":
            return "I've passed your message on to an advisor."
        if result.name in ("approve_work", "decline_work", "request_work"):
            return repair_speech.announcement(result.name, r)
        if result.name == "add_vehicle":
            vehicle = r.get("vehicle") or ""
            return f"I've added {'your vehicle' if vehicle.startswith('VIN') or not vehicle else 'the ' + vehicle}."
        return ""
