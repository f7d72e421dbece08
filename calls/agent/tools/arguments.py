"""What each phone-agent tool accepts: one pydantic model per tool, which is both the OpenAI
JSON schema the model sees and the validator its arguments go through.

No tool takes a phone number or customer id for reading or changing records: the toolbox is
bound to the caller's own number (calls/tools.py). Appointment and vehicle ids the model
passes are checked against the caller's own records.
"""

import functools
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoArguments(Arguments):
    pass


class SlotQuery(Arguments):
    service: str = Field(description="The service, named exactly as in the list of services.")
    date: str = Field(description="First day to look at, YYYY-MM-DD (shop's local calendar).")
    days: int | None = Field(None, ge=1, le=7, description="How many days to look at from that date, 1 to 7 (default 1).")
    part_of_day: Literal["morning", "afternoon"] | None = Field(None, description="Only mornings or only afternoons.")
    waiter: bool | None = Field(None, description="True if the caller wants to wait at the shop.")
    time: str | None = Field(
        None,
        description="An exact start the caller asked for, HH:MM 24-hour shop local time, on `date`: the result "
        "says whether that start is free and the nearest free starts before and after it.",
    )


class Booking(Arguments):
    service: str = Field(description="The service, named exactly as in the list of services.")
    start: str = Field(description="Start, shop local time, YYYY-MM-DDTHH:MM, taken from get_available_slots.")
    vehicle_id: int | None = Field(None, description="One of the caller's vehicle ids from lookup_customer or add_vehicle.")
    waiter: bool | None = Field(None, description="True if the caller will wait at the shop.")
    loaner_requested: bool | None = Field(None, description="True if the caller asked for a loaner car.")
    notes: str | None = Field(None, max_length=500, description="Symptoms or requests, in a sentence.")


class AppointmentChoice(Arguments):
    appointment_id: int = Field(description="Id from get_upcoming_appointments.")
    reason: str | None = Field(None, max_length=300, description="Why, if the caller said.")


class Move(Arguments):
    appointment_id: int = Field(description="Id from get_upcoming_appointments.")
    new_start: str = Field(description="New start, shop local time, YYYY-MM-DDTHH:MM, from get_available_slots.")


class VinOnly(Arguments):
    vin: str = Field(description="The 17-character VIN as the caller read it.")


class VehicleChoice(Arguments):
    vehicle_id: int = Field(description="One of the caller's vehicle ids from lookup_customer or add_vehicle.")


class NewVehicle(Arguments):
    vin: str | None = Field(None, description="17-character VIN, if the caller has it.")
    year: int | None = Field(None, ge=1950, le=2100, description="Model year.")
    make: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=60)
    mileage: int | None = Field(None, ge=0, le=2_000_000)


class NewCustomer(Arguments):
    name: str = Field(min_length=1, max_length=120, description="The caller's full name.")
    email: str | None = Field(None, max_length=254, description="Email, only if the caller offered it.")


class ShopQuestion(Arguments):
    topic: Literal["hours", "location", "payment", "warranty", "loaners", "makes", "services", "other"] = Field(
        description="What the caller asked about. 'services' lists services with price estimates."
    )


class Message(Arguments):
    name: str = Field(min_length=1, max_length=120, description="Who is calling.")
    reason: str = Field(min_length=1, max_length=1000, description="The message for the advisor, in a sentence or two.")
    urgency: Literal["routine", "soon", "urgent"] = Field(
        description="urgent: safety or a car stranded; soon: needs an answer today; routine: otherwise."
    )
    callback_number: str | None = Field(None, description="Only if the caller wants a call back on a different number.")


class Handover(Arguments):
    # The session's own transfer (the caller pressed 0) passes a "reason".
    summary: str = Field(
        min_length=1, max_length=1000, validation_alias=AliasChoices("summary", "reason"),
        description="One or two sentences for the advisor: who and what.",
    )


# name -> (arguments, description). The order is the order the model sees.
TOOLS = {
    "lookup_customer": (NoArguments, "The caller's own customer record (by caller ID): name, vehicles, upcoming appointment count."),
    "get_available_slots": (SlotQuery, "Free start times for a service. Offer only times from here."),
    "book_appointment": (Booking, "Book a service for the caller, after they confirmed service, day and time."),
    "get_upcoming_appointments": (NoArguments, "The caller's own upcoming appointments, with their ids."),
    "cancel_appointment": (AppointmentChoice, "Cancel one of the caller's appointments, after they confirmed."),
    "reschedule_appointment": (Move, "Move one of the caller's appointments to a new free time, after they confirmed."),
    "decode_vin": (VinOnly, "Check a VIN the caller read out and say what make and year it is."),
    "add_vehicle": (NewVehicle, "Add a vehicle to the caller's record (VIN and/or year, make, model)."),
    "check_recalls": (VehicleChoice, "What may be said about NHTSA recalls for one of the caller's vehicles: say only its sentence."),
    "create_customer": (NewCustomer, "Put a new caller on file under their caller ID, with their name."),
    "shop_info": (ShopQuestion, "The shop's approved answers: hours, location, payment, warranty, loaners, makes, services and prices."),
    "take_message": (Message, "Leave a message for a service advisor to call the caller back."),
    "transfer_to_advisor": (Handover, "Put the caller through to a service advisor now."),
    "end_call": (NoArguments, "Hang up, after you said goodbye."),
}

_DROPPED_KEYWORDS = {"title", "default", "minimum", "maximum", "minLength", "maxLength"}


def _openai_property(prop):
    prop = {k: v for k, v in prop.items() if k not in _DROPPED_KEYWORDS}
    options = prop.pop("anyOf", None)
    if options:
        kinds = [o for o in options if o.get("type") != "null"]
        (kind,) = kinds
        kind = _openai_property(kind)
        prop = {**kind, **prop, "type": [kind["type"], "null"]}
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    return prop


def openai_schema(name, *, service_names=()):
    """The tool's schema in OpenAI's strict form: every property required, nullable when optional."""
    model, description = TOOLS[name]
    properties = {
        field: _openai_property(prop) for field, prop in model.model_json_schema().get("properties", {}).items()
    }
    if "service" in properties and service_names:
        properties["service"]["enum"] = list(service_names)
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object", "properties": properties, "required": list(properties), "additionalProperties": False,
            },
            "strict": True,
        },
    }


@functools.lru_cache(maxsize=32)
def openai_schemas(service_names=()):
    """Every tool's schema for a shop with these services. Building them takes ~5 ms (pydantic),
    on the event loop at every call's start; shops rarely change their services. Shared: do not mutate."""
    return tuple(openai_schema(name, service_names=service_names) for name in TOOLS)
