"""What the phone agent may tell callers about the shop: its services, hours, closures and the
answers the shop approved. Read from the same rows that drive the booking rules, so what the
agent says and what it can book never disagree.

Hours are never FAQ text: they are said from OpeningHours and Closure, the rows availability
books against, so an owner who changes Saturday in the admin changes what callers hear.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from . import faq_words
from .models import Closure, FaqAnswer, OpeningHours, ServiceType, ShopProfile

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SPOKEN_CLOSURE_DAYS = 30  # the hours answer names the closures this close; further ones only if asked
NEXT_OPEN_SEARCH_DAYS = 21


def shop_profile():
    return ShopProfile.load()


def active_service_names():
    """The names of the services callers can book, in the shop's order."""
    return list(ServiceType.objects.filter(active=True).values_list("name", flat=True))


def active_service(name):
    """The bookable service called `name` (any capitalization), or None."""
    return ServiceType.objects.filter(name__iexact=name, active=True).first()


def active_services():
    return list(ServiceType.objects.filter(active=True))


def services_overview():
    """One entry per bookable service, in the words the agent reads out.

    Prices are estimates (ServiceType.price_estimate), never quotes; a missing description or
    price is None so the agent knows not to make one up.
    """
    return [
        {
            "service": service.name,
            "about": service.description or None,
            "duration_minutes": service.duration_minutes,
            "price_estimate": service.price_estimate or None,
            "wait_at_shop": service.waiter_allowed,
        }
        for service in ServiceType.objects.filter(active=True)
    ]


def approved_answer(topic):
    """Every approved entry of `topic` (a FaqAnswer.Topic), their answers joined, or None: nothing
    else is quoted. A topic that is no FaqAnswer.Topic (an old "hours" row) is never read: hours
    come from the tables."""
    if topic not in FaqAnswer.Topic.values:
        return None
    answers = FaqAnswer.objects.filter(topic=topic, approved=True).order_by("pk").values_list("answer", flat=True)
    return " ".join(answer.strip() for answer in answers) or None


def faq_answer(topic=None, question=None):
    """What the agent reads for a question about the shop: (answer, the entry's question) or
    (None, None). A topic's own entries first ("other" is no real topic: its entries are matched by
    question); then the approved entry whose question the caller's words match."""
    if topic and topic != FaqAnswer.Topic.OTHER:
        answer = approved_answer(topic)
        if answer:
            return answer, None
    entry = matching_entry(question) if question else None
    if entry is not None:
        return entry.answer, entry.question
    if topic == FaqAnswer.Topic.OTHER and not question:
        return approved_answer(topic), None
    return None, None


def matching_entry(said):
    """The approved FAQ entry whose question the caller's words `said` ask, or None when none
    matches well: never the nearest other entry. Their content words (no stopwords, no plural)
    must cover at least half of the entry's question."""
    words = faq_words.content_words(said)
    best, best_score = None, (0, 0)
    readable = FaqAnswer.objects.filter(approved=True, topic__in=["", *FaqAnswer.Topic.values])
    for entry in readable.exclude(question=""):
        asked = faq_words.content_words(entry.question)
        shared = len(words & asked)
        if not asked or not shared or shared / len(asked) < faq_words.MATCH_SHARE:
            continue
        score = (shared / len(asked), shared)
        if score > best_score:
            best, best_score = entry, score
    return best


# --- Services, said in sentences -------------------------------------------------------------

_PLURAL_VERBS = {"is": "are", "was": "were", "has": "have"}


def spoken_service(name, *, article=True):
    """ "an oil change", "brake pads", "an A/C service": a service as said inside a sentence.

    Shops name services freely, so this reads the name itself: acronyms and inner proper nouns
    keep their capitals, and a name ending in a plural noun takes no article.
    """
    words = []
    for index, word in enumerate(name.split()):
        keep = sum(c.isupper() for c in word) > 1 or "/" in word or (index and word[:1].isupper())
        words.append(word if keep else word.lower())
    phrase = " ".join(words)
    if not article or not phrase or service_is_plural(name):
        return phrase
    first = phrase.split()[0]
    acronym = sum(c.isupper() for c in first) > 1 or "/" in first
    vowel_sound = first[0].upper() in "AEFHILMNORSX" if acronym else first[0].lower() in "aeio"
    return f"{'an' if vowel_sound else 'a'} {phrase}"


def service_is_plural(name):
    """Whether the name ends in a plural noun ("Brake pads", "Brake pads and rotors", "Wiper blades"),
    so that the sentence says "are" and "take"; "Oil and filter change" and "ABS" are singular."""
    words = re.findall(r"[A-Za-z]+", name)
    if not words:
        return False
    last = words[-1]
    if sum(c.isupper() for c in last) > 1:
        return False  # an acronym: ABS, CV
    return last.lower().endswith("s") and not last.lower().endswith(("ss", "is", "us"))


def service_with_verb(name, verb):
    """The start of a sentence about a service, the verb agreeing with it: "An oil change takes",
    "Brake pads take", "Brake pads are". `verb` is the singular form ("is", "takes")."""
    subject = spoken_service(name)
    if service_is_plural(name):
        verb = _PLURAL_VERBS.get(verb) or verb.removesuffix("s")
    return f"{subject[:1].upper()}{subject[1:]} {verb}"


def say_length(minutes):
    """30 minutes, an hour, an hour and a half, 2 hours, 2 hours and 15 minutes."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} minutes"
    whole = "an hour" if hours == 1 else f"{hours} hours"
    if not rest:
        return whole
    if rest == 30:
        return "an hour and a half" if hours == 1 else f"{hours} and a half hours"
    return f"{whole} and {rest} minutes"


def price_answer(service):
    """ "Brake pads are usually $189 to $349.", or None when the shop set no price for it."""
    estimate = service.price_estimate
    if not estimate:
        return None
    usually = estimate if estimate.startswith("about") else f"usually {estimate}"
    return f"{service_with_verb(service.name, 'is')} {usually}."


def duration_answer(service):
    """ "Brake pads take about 2 hours." """
    return f"{service_with_verb(service.name, 'takes')} about {say_length(service.duration_minutes)}."


# --- Hours and closures ----------------------------------------------------------------------


def weekly_hours():
    """The regular hours, one entry per open weekday, Monday first (a missing day is closed)."""
    return [
        {
            "weekday": WEEKDAYS[h.weekday],
            "opens": f"{h.opens:%H:%M}",
            "closes": f"{h.closes:%H:%M}",
            "lunch_start": f"{h.lunch_start:%H:%M}" if h.lunch_start else None,
            "lunch_end": f"{h.lunch_end:%H:%M}" if h.lunch_end else None,
        }
        for h in OpeningHours.objects.all()
    ]


def closures_between(first_day, last_day):
    """The closures that touch any day from `first_day` to `last_day` (inclusive), earliest first."""
    return [
        {"first_day": c.start_date.isoformat(), "last_day": c.end_date.isoformat(), "reason": c.reason.strip()}
        for c in Closure.objects.filter(end_date__gte=first_day, start_date__lte=last_day)
    ]


def hours_answer(now):
    """What a caller who asks "what are your hours?" hears: the week, grouping days with the same
    hours, the weekdays the shop is closed, then any closure in the next month. None when the
    shop has no hours set. `now` is an aware datetime in the shop's time zone."""
    today = now.date()
    week = _Week.load(today, today + timedelta(days=SPOKEN_CLOSURE_DAYS))
    if not week.hours:
        return None
    return " ".join([week.regular_hours(), *(week.closure_sentence(c, today, also=True) for c in week.closures)])


def day_answer(day, now):
    """What a caller who asks about one day hears ("are you open Saturday?", "what time do you
    close today?"): that day's hours, or why it is closed and when the shop opens again."""
    today = now.date()
    week = _Week.load(day, day + timedelta(days=NEXT_OPEN_SEARCH_DAYS))
    closure = week.closure_on(day)
    hours = week.hours.get(day.weekday())
    if closure is not None:
        return f"{week.closure_sentence(closure, today)} {week.open_again(day, today)}".strip()
    if hours is None:
        return f"We're closed on {WEEKDAYS[day.weekday()]}s. {week.open_again(day, today)}".strip()
    if day == today:
        return week.rest_of_today(hours, now)
    return f"{_on_day(day, today, capital=True)} we're open from {_span(hours)}{_lunch(hours)}."


def next_open_answer(now):
    """ "We're open again tomorrow from 8 AM to 1 PM.": the first open day after today (for a caller
    who cannot come before today's close), or "" if none is found within NEXT_OPEN_SEARCH_DAYS."""
    today = now.date()
    return _Week.load(today, today + timedelta(days=NEXT_OPEN_SEARCH_DAYS)).open_again(today, today)


def is_open_at(moment, tz):
    """Whether the shop is open at `moment` (aware) by its opening hours and closures, in zone `tz`.
    Lunch counts as open: someone is at the shop."""
    local = moment.astimezone(tz)
    day = local.date()
    if Closure.objects.filter(start_date__lte=day, end_date__gte=day).exists():
        return False
    hours = OpeningHours.objects.filter(weekday=day.weekday()).first()
    return hours is not None and hours.opens <= local.time() < hours.closes


@dataclass(frozen=True)
class _Week:
    hours: dict  # weekday -> OpeningHours
    closures: list  # Closure rows touching the days loaded

    @classmethod
    def load(cls, first_day, last_day):
        closures = Closure.objects.filter(end_date__gte=first_day, start_date__lte=last_day)
        return cls({h.weekday: h for h in OpeningHours.objects.all()}, list(closures))

    def regular_hours(self):
        """ "We're open Monday to Friday 7:30 AM to 5:30 PM, closed for lunch from noon to 1, and
        Saturday 8 AM to 1 PM. We're closed on Sundays." """
        groups = {}
        for weekday, row in self.hours.items():
            key = (row.opens, row.closes, row.lunch_start, row.lunch_end)
            groups.setdefault(key, (row, []))[1].append(weekday)
        parts = [f"{_say_days(days)} {_span(row)}{_lunch(row)}" for row, days in groups.values()]
        text = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])}, and {parts[-1]}"
        closed = [f"{WEEKDAYS[d]}s" for d in range(7) if d not in self.hours]
        return f"We're open {text}." + (f" We're closed on {_say_list(closed)}." if closed else "")

    def closure_on(self, day):
        return next((c for c in self.closures if c.start_date <= day <= c.end_date), None)

    def is_open(self, day):
        return day.weekday() in self.hours and self.closure_on(day) is None

    def closure_sentence(self, closure, today, *, also=False):
        """ "We're closed on Thursday, November 26 for Thanksgiving." (from today on, if it has begun;
        `also`: said after the regular hours)"""
        first, last = max(closure.start_date, today), closure.end_date
        why = f" for {closure.reason.strip()}" if closure.reason.strip() else ""
        closed = "We're also closed" if also else "We're closed"
        if first == last:
            return f"{closed} {_on_day(first, today)}{why}."
        if (last - first).days == 1:
            return f"{closed} {_on_day(first, today)} and {_say_date(last, today)}{why}."
        return f"{closed} from {_say_date(first, today)} through {_say_date(last, today)}{why}."

    def open_again(self, day, today):
        """ "We're open again on Monday, June 10 from 8 AM to 5 PM." (the first open day after `day`)"""
        for ahead in range(1, NEXT_OPEN_SEARCH_DAYS + 1):
            following = day + timedelta(days=ahead)
            if self.is_open(following):
                return f"We're open again {_on_day(following, today)} from {_span(self.hours[following.weekday()])}."
        return ""

    def rest_of_today(self, hours, now):
        """Today's hours from where the clock stands: not open yet, open until, at lunch, or closed."""
        moment, today = now.time(), now.date()
        if moment < hours.opens:
            return f"Today we're open from {_span(hours)}{_lunch(hours)}."
        if moment >= hours.closes:
            return f"We're closed for the rest of today. {self.open_again(today, today)}".strip()
        if hours.lunch_start and hours.lunch_start <= moment < hours.lunch_end:
            back = _lunch_time(hours.lunch_end)
            return f"We're closed for lunch until {back}, then open until {say_time(hours.closes)}."
        lunch_ahead = _lunch(hours) if hours.lunch_start and moment < hours.lunch_start else ""
        return f"We're open today until {say_time(hours.closes)}{lunch_ahead}."


def say_time(clock):
    """9 AM, 7:30 AM, noon, 5:30 PM."""
    if clock.hour == 12 and clock.minute == 0:
        return "noon"
    hour = clock.hour % 12 or 12
    suffix = "AM" if clock.hour < 12 else "PM"
    return f"{hour} {suffix}" if clock.minute == 0 else f"{hour}:{clock.minute:02d} {suffix}"


def _lunch_time(clock):
    """Lunch is always midday, so its times need no AM or PM: noon, 1, 12:30."""
    if clock.hour == 12 and clock.minute == 0:
        return "noon"
    hour = clock.hour % 12 or 12
    return f"{hour}" if clock.minute == 0 else f"{hour}:{clock.minute:02d}"


def _span(hours):
    return f"{say_time(hours.opens)} to {say_time(hours.closes)}"


def _lunch(hours):
    if not hours.lunch_start:
        return ""
    return f", closed for lunch from {_lunch_time(hours.lunch_start)} to {_lunch_time(hours.lunch_end)}"


def _say_days(weekdays):
    """Monday to Friday; Monday, Wednesday and Friday; Saturday (runs of three or more joined by "to")."""
    runs = []
    for day in weekdays:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    items = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{WEEKDAYS[run[0]]} to {WEEKDAYS[run[-1]]}")
        else:
            items.extend(WEEKDAYS[d] for d in run)
    return _say_list(items)


def _say_list(items):
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _say_date(day, today):
    """today, tomorrow, Thursday, November 26."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"{WEEKDAYS[day.weekday()]}, {day:%B} {day.day}"


def _on_day(day, today, *, capital=False):
    """ "today", "tomorrow" or "on Thursday, November 26", to follow a verb or open a sentence."""
    said = _say_date(day, today)
    phrase = said if said in ("today", "tomorrow") else f"on {said}"
    return phrase[:1].upper() + phrase[1:] if capital else phrase
