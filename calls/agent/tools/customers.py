"""Who is calling: the caller's own record, and putting a new caller on file."""

from pydantic import Field

from calls.agent.tools.context import NOT_ON_FILE
from calls.agent.tools.registry import ToolResult, tool
from calls.agent.tools.schema import Arguments, NoArguments
from crm import actions as crm_actions
from scheduling import actions as scheduling_actions
from scheduling.repair_orders import actions as repair_actions


@tool(
    "lookup_customer",
    NoArguments,
    "The caller's own customer record (by caller ID): name, vehicles, upcoming appointment count, cars in the shop.",
    filler="One moment while I look that up.",
)
def lookup_customer(call, args):
    customer = call.caller(required=False)
    if customer is None:
        return ToolResult({"on_file": False, "note": NOT_ON_FILE})
    vehicles = [
        {"vehicle_id": v.pk, "vehicle": str(v), "vin_ends_with": v.vin[-6:] if v.vin else None}
        for v in crm_actions.vehicles_of(customer)
    ]
    upcoming = scheduling_actions.upcoming_count(customer)
    in_shop = len(repair_actions.open_orders_for(customer))
    return ToolResult(
        {
            "on_file": True,
            "name": customer.name,
            "vehicles": vehicles,
            "upcoming_appointments": upcoming,
            "cars_in_shop": in_shop,
        }
    )


class NewCustomer(Arguments):
    name: str = Field(min_length=1, max_length=120, description="The caller's full name.")
    email: str | None = Field(None, max_length=254, description="Email, only if the caller offered it.")


@tool(
    "create_customer",
    NewCustomer,
    "Put a new caller on file under their caller ID, with their name.",
    filler=None,
)
def create_customer(call, args):
    existing = call.caller(required=False)
    if existing is not None:
        return ToolResult({"created": False, "already_on_file": True, "name": existing.name})
    customer, created = crm_actions.get_or_create_customer(
        phone=call.caller_phone, name=args.name, email=args.email or ""
    )
    return ToolResult(
        {"created": created, "already_on_file": not created, "name": customer.name},
        line=f"New customer {customer.name}." if created else None,
    )


class Email(Arguments):
    email: str = Field(min_length=3, max_length=254, description="The address the caller gave, as an address.")


SAID_OF_EMAIL = {
    "saved": None,
    "already_on_file": "There is already an address on file; only an advisor can change it. Offer a message.",
    "invalid": "That isn't a valid address; ask the caller to say it again.",
    "not_saved": "It could not be saved; an advisor will check it with the caller.",
}


@tool(
    "add_email",
    Email,
    "Put the caller's email address on their record when none is on file yet.",
    filler=None,
    writes=True,
)
def add_email(call, args):
    customer = call.caller()
    status = crm_actions.add_missing_email(customer, args.email)
    if status != "saved":
        return ToolResult({"saved": False, "status": status, "note": SAID_OF_EMAIL[status]})
    return ToolResult({"saved": True, "email": customer.email}, line="Email address put on file.")
