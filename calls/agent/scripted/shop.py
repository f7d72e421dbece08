"""What the receptionist knows about the shop: only what shop_info returned.

The hours she says are shop_info's sentences, built from the shop's opening hours and closures;
the weekly hours and closures kept here only let a booking turn away a closed day early.
"""

from dataclasses import dataclass, field
from datetime import date, time

from calls.agent.scripted.speech import WEEKDAY_NAMES, say_day


@dataclass
class ShopFacts:
    hours: dict | None = None  # weekday -> (opens, closes); a missing weekday is closed
    lunch: dict = field(default_factory=dict)  # weekday -> (from, until) when the shop closes for lunch
    closures: list = field(default_factory=list)  # (first day, last day, reason)
    answers: dict = field(default_factory=dict)  # topic -> approved answer or None ("hours": the week's)
    answers_to: dict = field(default_factory=dict)  # a caller's question -> the FAQ entry's answer or None
    day_hours: dict = field(default_factory=dict)  # date -> what shop_info said of that day's hours
    services: dict | None = None  # name -> shop_info's service dict

    def learn(self, topic, result):
        if not isinstance(result, dict) or "error" in result:
            return
        if topic == "services":
            if "services" in result:  # not a price answer for one job
                self.services = {s["service"]: s for s in result.get("services") or []}
            return
        if topic == "hours":
            return self._learn_hours(result)
        if result.get("question") and (result.get("answers_question") or not result.get("approved_answer")):
            # an entry found by the caller's words (or none): it answers that question, not the topic
            self.answers_to[result["question"]] = result.get("approved_answer")
            return
        self.answers[topic] = result.get("approved_answer")

    def answer(self, topic, question):
        """The approved answer to the caller's question about `topic`, or None."""
        return self.answers.get(topic) or self.answers_to.get(question)

    def knows(self, topic, question):
        return topic in self.answers or question in self.answers_to

    def _learn_hours(self, result):
        if result.get("day"):
            self.day_hours[_day(result["day"])] = result.get("approved_answer")
        else:
            self.answers["hours"] = result.get("approved_answer")
        if result.get("weekly_hours") is not None:
            self.hours = {
                WEEKDAY_NAMES.index(h["weekday"]): (_clock(h["opens"]), _clock(h["closes"]))
                for h in result["weekly_hours"]
                if h.get("weekday") in WEEKDAY_NAMES
            }
            self.lunch = {
                WEEKDAY_NAMES.index(h["weekday"]): (_clock(h["lunch_start"]), _clock(h["lunch_end"]))
                for h in result["weekly_hours"]
                if h.get("weekday") in WEEKDAY_NAMES and h.get("lunch_start") and h.get("lunch_end")
            }
        if result.get("upcoming_closures") is not None:
            self.closures = [
                (_day(c["first_day"]), _day(c["last_day"]), c.get("reason") or "") for c in result["upcoming_closures"]
            ]

    def closed_because(self, day):
        """Why the shop is closed on `day` (a sentence), or None if it opens, or nobody knows."""
        for first, last, reason in self.closures:
            if first <= day <= last:
                why = f" for {reason}" if reason else ""
                return f"We're closed on {say_day(day)}{why}."
        if self.hours is not None and day.weekday() not in self.hours:
            return f"We're closed on {WEEKDAY_NAMES[day.weekday()]}s."
        return None

    def opening(self, day):
        return self.hours.get(day.weekday()) if self.hours else None

    def at_lunch(self, moment):
        """(from, until) when `moment` falls in the shop's lunch break that day, else None."""
        lunch = self.lunch.get(moment.weekday())
        return lunch if lunch and lunch[0] <= moment.time() < lunch[1] else None


def _day(text):
    return date.fromisoformat(text)


def _clock(text):
    return time.fromisoformat(text)
