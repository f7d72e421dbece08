"""The caller's vehicles: reading a VIN back, adding a vehicle, and what may be said about recalls."""

from django.core.exceptions import ValidationError
from django.db import transaction
from pydantic import Field

from calls.agent.tools.registry import ToolRefused, ToolResult, tool
from calls.agent.tools.schema import Arguments
from crm import actions as crm_actions
from crm.nhtsa import decode_vin_offline
from crm.recalls import recall_notice
from crm.vin import normalize_vin
from scheduling import actions as scheduling_actions
from scheduling.actions import Actor


class VinOnly(Arguments):
    vin: str = Field(description="The 17-character VIN as the caller read it.")


@tool(
    "decode_vin",
    VinOnly,
    "Check a VIN the caller read out and say what make and year it is.",
    filler="One moment while I look up that VIN.",
)
def decode_vin(call, args):
    try:
        vin = normalize_vin(args.vin)
    except ValidationError as exc:
        return ToolResult(
            {"valid": False, "problem": " ".join(exc.messages), "note": "Ask the caller to read it again."}
        )
    decoded = decode_vin_offline(vin)
    return ToolResult({"valid": True, "vin": vin, "make": decoded.make or None, "year": decoded.year})


class NewVehicle(Arguments):
    vin: str | None = Field(None, description="17-character VIN, if the caller has it.")
    year: int | None = Field(None, ge=1950, le=2100, description="Model year.")
    make: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=60)
    mileage: int | None = Field(None, ge=0, le=2_000_000)
    appointment_id: int | None = Field(
        None, description="Also put the car on this appointment of the caller's (from book_appointment)."
    )


@tool(
    "add_vehicle",
    NewVehicle,
    "Add a vehicle to the caller's record (VIN and/or year, make, model), and to an appointment of theirs if given.",
    filler=None,
    writes=True,
)
def add_vehicle(call, args):
    customer = call.caller()
    if not (args.vin or args.make or args.model):
        raise ToolRefused("Give at least a VIN, or the make and model.")
    details = {"year": args.year, "make": args.make or "", "model": args.model or "", "mileage": args.mileage}
    with transaction.atomic():  # an appointment that is not the caller's adds no car either
        try:
            vehicle = crm_actions.add_vehicle(customer, vin=args.vin or "", **details)
        except ValidationError as exc:
            if exc.code != "vin_other_owner":
                raise
            result = _added_without_vin(call, customer, args.vin, details)
            vehicle = None
        if args.appointment_id is not None:
            scheduling_actions.update_appointment_details(
                args.appointment_id,
                actor=Actor.phone_agent(call.call_sid),
                customer=customer,
                vehicle=vehicle or crm_actions.vehicle_of(customer, result.data["vehicle_id"]),
            )
        if vehicle is None:
            return result
    return ToolResult(
        {"vehicle_id": vehicle.pk, "vehicle": str(vehicle), "vin_ends_with": vehicle.vin[-6:] or None},
        line=f"Added vehicle {vehicle}.",
    )


def _added_without_vin(call, customer, vin, details):
    """A VIN that is on another customer's vehicle: the car goes on the caller's record without it,
    for an advisor to check, and the caller hears nothing about anyone else's records."""
    decoded = decode_vin_offline(normalize_vin(vin))
    details = {**details, "year": details["year"] or decoded.year, "make": details["make"] or decoded.make or ""}
    vehicle = crm_actions.add_vehicle(customer, **details)
    crm_actions.note_for_advisors(
        customer,
        f"Call {call.call_sid}: the VIN given for the {vehicle} is on another customer's vehicle; "
        "it was not saved. Check it with the customer.",
    )
    return ToolResult(
        {
            "vehicle_id": vehicle.pk,
            "vehicle": str(vehicle),
            "vin_ends_with": None,
            "vin_check": "An advisor will confirm the VIN with the caller before the visit.",
        },
        line=f"Added vehicle {vehicle} (VIN left for an advisor to check).",
    )


class VehicleChoice(Arguments):
    vehicle_id: int = Field(description="One of the caller's vehicle ids from lookup_customer or add_vehicle.")


@tool(
    "check_recalls",
    VehicleChoice,
    "What may be said about NHTSA recalls for one of the caller's vehicles: say only its sentence.",
    filler=None,
)
def check_recalls(call, args):
    vehicle = call.vehicle(call.caller(), args.vehicle_id)
    return ToolResult(
        {
            "vehicle_id": vehicle.pk,
            "vehicle": str(vehicle),
            "say": recall_notice(vehicle),
            "note": "Say only this about recalls. Never say or suggest that this car is affected.",
        }
    )
