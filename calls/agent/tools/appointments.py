"""The caller's own appointments: booking one, listing them, cancelling and moving one."""

from datetime import datetime

from pydantic import Field

from calls.agent.tools.registry import ToolRefused, ToolResult, quoted, tool
from calls.agent.tools.schema import Arguments, NoArguments
from calls.models import Call
from scheduling import actions as scheduling_actions
from scheduling.actions import Actor
from scheduling.refusals import say_also_that_day, too_many_for_one_call

# What one call may put on the books; more is an advisor's job (and a prank call's limit).
MOST_BOOKINGS_PER_CALL = 3


class Booking(Arguments):
    service: str = Field(description="The service, named exactly as in the list of services.")
    start: str = Field(description="Start, shop local time, YYYY-MM-DDTHH:MM, taken from get_available_slots.")
    vehicle_id: int | None = Field(
        None, description="One of the caller's vehicle ids from lookup_customer or add_vehicle."
    )
    waiter: bool | None = Field(None, description="True if the caller will wait at the shop.")
    loaner_requested: bool | None = Field(None, description="True if the caller asked for a loaner car.")
    notes: str | None = Field(None, max_length=500, description="Symptoms or requests, in a sentence.")


@tool(
    "book_appointment",
    Booking,
    "Book a service for the caller, after they confirmed service, day and time.",
    filler="One moment while I book that.",
    writes=True,
)
def book_appointment(call, args):
    customer = call.caller()
    service = call.service(args.service)
    key = call.idempotency_key("book_appointment", args)
    _check_call_limit(call, key)
    appointment = scheduling_actions.book_appointment(
        customer=customer,
        service_type=service,
        start=_parse_start(call, args.start, "start"),
        actor=Actor.phone_agent(call.call_sid),
        vehicle=call.vehicle(customer, args.vehicle_id),
        waiter=bool(args.waiter),
        loaner_requested=bool(args.loaner_requested),
        notes=args.notes or "",
        idempotency_key=key,
    )
    return ToolResult(
        {
            "booked": True,
            **_appointment_view(call, appointment),
            "wait_at_shop": service.waiter_allowed,
            **_also_that_day(call, appointment),
        },
        outcome=Call.Outcome.BOOKED,
        line=f"Booked {service.name} for {call.say_when(appointment.start)}.",
    )


def _check_call_limit(call, key):
    """Refuse a booking past MOST_BOOKINGS_PER_CALL; a retry of one already made is not a new one.

    Counted from the appointments this call booked that still stand (their keys start with the
    call SID, as CallContext.idempotency_key makes them). Not under the booking's lock: a call's
    tools run one at a time (the model is asked for no parallel tool calls).
    """
    if scheduling_actions.count_booked_with_key_prefix(f"{call.call_sid}:", besides=key) >= MOST_BOOKINGS_PER_CALL:
        raise too_many_for_one_call(MOST_BOOKINGS_PER_CALL)


@tool(
    "get_upcoming_appointments",
    NoArguments,
    "The caller's own upcoming appointments, with their ids.",
    filler="One moment while I look that up.",
)
def get_upcoming_appointments(call, args):
    customer = call.caller()
    appointments = scheduling_actions.upcoming_appointments(customer)
    return ToolResult({"appointments": [_appointment_view(call, a) for a in appointments]})


class AppointmentChoice(Arguments):
    appointment_id: int = Field(description="Id from get_upcoming_appointments.")
    reason: str | None = Field(None, max_length=300, description="Why, if the caller said.")


@tool(
    "cancel_appointment",
    AppointmentChoice,
    "Cancel one of the caller's appointments, after they confirmed.",
    filler="One moment while I cancel that.",
    writes=True,
)
def cancel_appointment(call, args):
    customer = call.caller()
    appointment = scheduling_actions.cancel_appointment(
        args.appointment_id,
        actor=Actor.phone_agent(call.call_sid),
        customer=customer,
        reason=args.reason or "",
    )
    return ToolResult(
        {"cancelled": True, **_appointment_view(call, appointment)},
        outcome=Call.Outcome.CANCELLED,
        line=f"Cancelled {appointment.service_type.name} of {call.say_when(appointment.start)}.",
    )


class Move(Arguments):
    appointment_id: int = Field(description="Id from get_upcoming_appointments.")
    new_start: str = Field(description="New start, shop local time, YYYY-MM-DDTHH:MM, from get_available_slots.")


@tool(
    "reschedule_appointment",
    Move,
    "Move one of the caller's appointments to a new free time, after they confirmed.",
    filler="One moment while I move that.",
    writes=True,
)
def reschedule_appointment(call, args):
    customer = call.caller()
    new_start = _parse_start(call, args.new_start, "new_start")
    appointment = scheduling_actions.reschedule_appointment(
        args.appointment_id, new_start=new_start, actor=Actor.phone_agent(call.call_sid), customer=customer
    )
    return ToolResult(
        {"rescheduled": True, **_appointment_view(call, appointment), **_also_that_day(call, appointment)},
        outcome=Call.Outcome.RESCHEDULED,
        line=f"Moved {appointment.service_type.name} to {call.say_when(appointment.start)}.",
    )


class Details(Arguments):
    appointment_id: int = Field(description="Id from book_appointment or get_upcoming_appointments.")
    vehicle_id: int | None = Field(
        None, description="One of the caller's vehicle ids from lookup_customer or add_vehicle."
    )
    waiter: bool | None = Field(None, description="True if the caller will wait at the shop, false to drop off.")
    loaner_requested: bool | None = Field(None, description="True if the caller asked for a loaner car.")


@tool(
    "update_appointment",
    Details,
    "Change which car an appointment of the caller's is for, whether they wait or drop off, or the loaner request.",
    filler=None,
    writes=True,
)
def update_appointment(call, args):
    customer = call.caller()
    if args.vehicle_id is None and args.waiter is None and args.loaner_requested is None:
        raise ToolRefused("Give the vehicle_id, waiter or loaner_requested to change.")
    appointment = scheduling_actions.update_appointment_details(
        args.appointment_id,
        actor=Actor.phone_agent(call.call_sid),
        customer=customer,
        vehicle=call.vehicle(customer, args.vehicle_id),
        waiter=args.waiter,
        loaner_requested=args.loaner_requested,
    )
    return ToolResult(
        {"updated": True, **_appointment_view(call, appointment)},
        line=f"Updated {appointment.service_type.name} of {call.say_when(appointment.start)}.",
    )


def _appointment_view(call, appointment):
    return {
        "appointment_id": appointment.pk,
        "service": appointment.service_type.name,
        "start": call.local_iso(appointment.start),
        "when": call.say_when(appointment.start),
        "vehicle": str(appointment.vehicle) if appointment.vehicle else None,
        "waiter": appointment.waiter,
        "status": appointment.status,
    }


def _also_that_day(call, appointment):
    """{"also_that_day": sentence} when the caller has other appointments that day, so the model can mention them."""
    others = scheduling_actions.also_that_day(appointment)
    return {"also_that_day": say_also_that_day("The caller", others, call.tz)} if others else {}


def _parse_start(call, text, field):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ToolRefused(f"{field} must be a local date and time like 2030-06-04T09:30, not {quoted(text)}") from None
    return moment.replace(tzinfo=call.tz) if moment.tzinfo is None else moment.astimezone(call.tz)
