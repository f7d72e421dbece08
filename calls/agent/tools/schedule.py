"""When the shop is free: start times for a service, and whether an exact time the caller
named is one of them."""

import re
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import Field

from calls.agent.tools.registry import ToolRefused, ToolResult, quoted, tool
from calls.agent.tools.schema import Arguments
from calls.models import Call
from scheduling import actions as scheduling_actions

SLOTS_PER_DAY = 6
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class SlotQuery(Arguments):
    service: str = Field(description="The service, named exactly as in the list of services.")
    date: str = Field(description="First day to look at, YYYY-MM-DD (shop's local calendar).")
    days: int | None = Field(
        None, ge=1, le=7, description="How many days to look at from that date, 1 to 7 (default 1)."
    )
    part_of_day: Literal["morning", "afternoon"] | None = Field(None, description="Only mornings or only afternoons.")
    waiter: bool | None = Field(None, description="True if the caller wants to wait at the shop.")
    time: str | None = Field(
        None,
        description="An exact start the caller asked for, HH:MM 24-hour shop local time, on `date`: the result "
        "says whether that start is free and the nearest free starts before and after it.",
    )
    appointment_id: int | None = Field(
        None,
        description="When moving one of the caller's appointments: its id from get_upcoming_appointments, so the "
        "time it holds now counts as free.",
    )
    vehicle_id: int | None = Field(
        None, description="The caller's car it is for, if known: their other cars' appointments may overlap it."
    )


@tool(
    "get_available_slots",
    SlotQuery,
    "Free start times for a service. Offer only times from here.",
    filler="One moment while I check the schedule.",
)
def get_available_slots(call, args):
    service = call.service(args.service)
    first = _parse_day(args.date)
    clock = _parse_clock(args.time) if args.time else None
    start = datetime.combine(first, time(0), call.tz)
    end = datetime.combine(first + timedelta(days=args.days or 1), time(0), call.tz)
    moving = _callers_appointment(call, args.appointment_id)
    customer = call.caller(required=False) if call.caller_phone else None  # never offered over their own
    slots = scheduling_actions.available_slots(
        service,
        start,
        end,
        waiter=bool(args.waiter),
        exclude=moving,
        customer=customer,
        vehicle=call.vehicle(customer, args.vehicle_id) if customer else None,
    )
    requested = _exact_start(call, datetime.combine(first, clock, call.tz), slots) if clock else None
    if args.part_of_day == "morning":
        slots = [s for s in slots if s.astimezone(call.tz).hour < 12]
    elif args.part_of_day == "afternoon":
        slots = [s for s in slots if s.astimezone(call.tz).hour >= 12]
    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.astimezone(call.tz).date(), []).append(slot)
    offered = [s for day_slots in by_day.values() for s in _spread(day_slots, SLOTS_PER_DAY)]
    result = {
        "service": service.name,
        "duration_minutes": service.duration_minutes,
        "slots": [_slot_view(call, s) for s in offered],
        "more_available": len(offered) < len(slots),
        "note": None if slots else "Nothing free then; try other days.",
    }
    if requested is not None:
        result["requested"] = requested
    return ToolResult(result, outcome=Call.Outcome.INFO)


def _callers_appointment(call, appointment_id):
    """The id of the caller's own upcoming appointment being moved, or None; someone else's is refused."""
    if appointment_id is None:
        return None
    if not any(a.pk == appointment_id for a in scheduling_actions.upcoming_appointments(call.caller())):
        raise ToolRefused(
            "appointment_id isn't one of the caller's upcoming appointments; use get_upcoming_appointments."
        )
    return appointment_id


def _exact_start(call, wanted, free_starts):
    """Whether `wanted` is one of the free starts, and the nearest free starts either side."""
    before = [s for s in free_starts if s < wanted]
    after = [s for s in free_starts if s > wanted]
    return {
        **_slot_view(call, wanted),
        "free": wanted in free_starts,
        "nearest_before": _slot_view(call, before[-1]) if before else None,
        "nearest_after": _slot_view(call, after[0]) if after else None,
    }


def _slot_view(call, moment):
    return {"start": call.local_iso(moment), "say": call.say_when(moment)}


def _spread(items, count):
    """At most `count` items spread evenly over the list (mornings and afternoons both offered)."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def _parse_day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolRefused(f"date must be a day like 2030-06-04, not {quoted(text)}") from None


def _parse_clock(text):
    match = _CLOCK.match(text)
    if match is None:
        raise ToolRefused(f"time must be a 24-hour shop local time like 14:30, not {quoted(text)}")
    return time(int(match[1]), int(match[2]))
