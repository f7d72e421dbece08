"""How the receptionist speaks of a car in the shop: where it stands, the work and its estimates
(always as estimates), and what was approved, declined or asked for. From get_repair_status'
views only, never anything else about the order."""

import re

from calls.agent.scripted.repair_words import wants_pickup
from calls.agent.scripted.speech import is_plural, say_list, say_moment, say_time
from calls.agent.scripted.tool_times import local_time

WAITING = "waiting for your decision"
NO_ESTIMATE = (
    "There's no estimate for the repair yet; your advisor will call you once the technician knows what it needs."
)


def status_said(order, said, pickup_today, now):
    """Where the car stands: status, the approved note, when it will be ready (and today's hours).
    `now`: the shop's local time (a promise already past is not said as a plan)."""
    today = now.date()
    sentences = [f"Your {order['vehicle']} is {order['status']}."]
    if order.get("note"):
        sentences.append(order["note"].rstrip(".") + ".")
    pickup = wants_pickup(said)
    if order["ready"]:
        sentences.append(f"You can pick it up any time we're open. {pickup_today}".strip())
    elif order.get("promised_at") and local_time(order["promised_at"]) <= now:
        sentences.append(
            f"It was promised for {promised_for(order['promised_at'], today)}, and I'm sorry it's running late."
        )
        if pickup and not order.get("note"):
            sentences.append("Your advisor will call you as soon as it's ready.")
    elif order.get("promised_at"):
        if not _note_says_when(order.get("note"), order["promised_at"]):  # "ready by noon" said once
            sentences.append(f"We're planning to have it ready {promised_when(order['promised_at'], today)}.")
        if pickup:
            sentences.append(pickup_today)
    elif pickup:
        sentences.append("I don't have a time for it yet; your advisor will call you when it's ready.")
        sentences.append(pickup_today)
    return " ".join(s for s in sentences if s)


def _note_says_when(note, iso):
    """The advisor's note already says when it will be ready ("it will be ready by noon")."""
    said = (note or "").lower()
    if not any(word in said for word in ("ready", "done", "finished")):
        return False
    at = local_time(iso).time()
    if (at.hour, at.minute) == (12, 0):
        return re.search(r"\b(?:noon|12|twelve)\b", said) is not None
    hour = at.hour % 12 or 12
    word = "one two three four five six seven eight nine ten eleven twelve".split()[hour - 1]
    return re.search(rf"\b(?:{hour}|{word})\b", said) is not None


def promised_for(iso, today):
    """ "noon today", "5 PM yesterday", "Monday, December 14 at 5 PM": a promise gone by."""
    moment = local_time(iso)
    days = (today - moment.date()).days
    if days == 0:
        return f"{say_time(moment.time())} today"
    if days == 1:
        return f"{say_time(moment.time())} yesterday"
    return say_moment(moment)


def pickup_when_not_ready(order, now):
    """ "When can I pick it up?" of a car not ready: when it should be, never the shop's hours alone."""
    note = f" {order['note'].rstrip('.')}." if order.get("note") else ""
    if order.get("promised_at") and local_time(order["promised_at"]) > now:
        when = promised_when(order["promised_at"], now.date())
        if _note_says_when(order.get("note"), order["promised_at"]):
            return f"It isn't ready yet.{note}"
        return f"It isn't ready yet.{note} We're planning to have it ready {when}."
    if note:
        return f"It isn't ready yet.{note}"
    return "It isn't ready yet; your advisor will call you as soon as it is."


def promised_when(iso, today):
    moment = local_time(iso)
    days = (moment.date() - today).days
    if days == 0:
        return f"today by {say_time(moment.time())}"
    if days == 1:
        return f"tomorrow by {say_time(moment.time())}"
    return f"by {say_moment(moment)}"


def waiting_lines(order):
    """The lines waiting for the caller's decision that have an estimate to decide on."""
    return [
        line
        for line in order.get("work") or ()
        if line["status"] == WAITING and not (line.get("your_request") and line["estimate"] == "not priced yet")
    ]


def work_name(line):
    text = line["work"]
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def priced(line):
    estimate = line["estimate"]
    if estimate == "not priced yet":
        return f"{work_name(line)}, which isn't priced yet"
    if estimate.startswith("about"):
        return f"{work_name(line)}, {estimate}"
    return f"{work_name(line)}, estimated at {estimate}"


def recommended(lines, *, total=False):
    said = f"The technician recommends {say_list([priced(line) for line in lines], 'and')}."
    figure = total_estimate(lines) if total and len(lines) > 1 else None
    if figure:
        said += f" All together that's an estimated {figure}."
    return said + " Those are estimates; the final price comes from your advisor."


def estimates_of(lines):
    """The estimate of each line asked about: "The cabin air filter is about $45." """
    parts = []
    for line in lines:
        name, estimate = work_name(line), line["estimate"]
        verb = "are" if is_plural(line["work"]) else "is"
        if estimate == "not priced yet":
            parts.append(f"the {name} {verb}n't priced yet")
        else:
            parts.append(f"the {name} {verb} {'' if estimate.startswith('about') else 'estimated at '}{estimate}")
    said = say_list(parts, "and")
    return f"{said[:1].upper()}{said[1:]}."


def total_estimate(lines):
    lows = highs = 0
    for line in lines:
        figures = [int(f.replace(",", "")) for f in re.findall(r"\$([\d,]+)", line["estimate"])]
        if not figures:
            return None
        lows, highs = lows + figures[0], highs + figures[-1]
    return f"${lows:,}" if lows == highs else f"${lows:,} to ${highs:,}"


def work_so_far(order, *, total=False):
    """The work approved or done, with its estimates (and their sum, when the caller asked what they owe)."""
    lines = [line for line in order.get("work") or () if line["status"] in ("approved", "done")]
    if not lines:
        return "There's no estimate yet; your advisor will call you once the technician knows what it needs."
    said = f"The work on it is {say_list([priced(line) for line in lines], 'and')}."
    figure = total_estimate(lines) if total and len(lines) > 1 else None
    if figure:
        said += f" That's about {figure} all together, as an estimate; the final bill comes from your advisor."
    return said


def decision_question(waiting):
    if len(waiting) == 1:
        return f"Would you like us to go ahead with the {priced(waiting[0])}?"
    return "Which of those would you like us to go ahead with?"


def announcement(name, result):
    """What the caller hears once approve_work, decline_work or request_work went through."""
    work = [w for w in result.get("work") or () if isinstance(w, dict)]
    if name == "approve_work":
        return (
            f"Done. I've approved the {say_list([priced(w) for w in work], 'and the')}. "
            "That's an estimate; the final price comes from your advisor."
        )
    if name == "decline_work":
        return f"I've noted that you're holding off on the {say_list([work_name(w) for w in work], 'and the')} for now."
    if name == "request_work":
        return (
            f"I've passed that on as a request: {work_name({'work': result.get('work') or 'the work you asked for'})}. "
            "Your advisor will price it and check with you before doing any of it."
        )
    return ""
