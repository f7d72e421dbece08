"""What the receptionist knows about the shop: only what shop_info returned (approved text)."""

import re
from dataclasses import dataclass, field
from datetime import date, time

from calls.agent.scripted.speech import WEEKDAY_NAMES, say_day, say_list, say_time


@dataclass
class ShopFacts:
    hours: dict | None = None  # weekday -> (opens, closes); a missing weekday is closed
    closures: list = field(default_factory=list)  # (first day, last day, reason)
    answers: dict = field(default_factory=dict)  # topic -> approved answer or None
    services: dict | None = None  # name -> shop_info's service dict

    def learn(self, topic, result):
        if not isinstance(result, dict) or "error" in result:
            return
        if topic == "services":
            self.services = {s["service"]: s for s in result.get("services") or []}
            return
        self.answers[topic] = result.get("approved_answer")
        if topic == "hours" and result.get("weekly_hours") is not None:
            self.hours = {}
            for line in result["weekly_hours"]:
                m = re.match(r"(\w+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", line)
                if m and m[1] in WEEKDAY_NAMES:
                    self.hours[WEEKDAY_NAMES.index(m[1])] = (time(int(m[2]), int(m[3])), time(int(m[4]), int(m[5])))
            self.closures = []
            for line in result.get("upcoming_closures") or []:
                m = re.match(r"(.*?)\s*\((\d{4}-\d{2}-\d{2})(?: to (\d{4}-\d{2}-\d{2}))?\)\s*$", line)
                if m:
                    first = date.fromisoformat(m[2])
                    self.closures.append((first, date.fromisoformat(m[3]) if m[3] else first, m[1] or "Closed"))

    def closed_because(self, day):
        """Why the shop is closed on `day` (a sentence), or None if it opens, or nobody knows."""
        for first, last, reason in self.closures:
            if first <= day <= last:
                why = "" if reason.lower() == "closed" else f" for {reason}"
                return f"We're closed on {say_day(day)}{why}."
        if self.hours is not None and day.weekday() not in self.hours:
            return f"We're closed on {WEEKDAY_NAMES[day.weekday()]}s."
        return None

    def opening(self, day):
        return self.hours.get(day.weekday()) if self.hours else None

    def hours_sentence(self):
        """The approved hours text, or the weekly hours read out."""
        if self.answers.get("hours"):
            return self.answers["hours"]
        if not self.hours:
            return None
        spans = [f"{WEEKDAY_NAMES[d]} {say_time(o)} to {say_time(c)}" for d, (o, c) in sorted(self.hours.items())]
        return f"We're open {say_list(spans, 'and')}."
