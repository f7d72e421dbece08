"""The caller's own cars in the shop: where each stands, the work waiting for their go-ahead,
approving or declining the lines they name, and asking for more work while the car is in.

Everything said comes from scheduling.repair_orders.words.order_view (never internal notes or
a technician); every change goes through scheduling.repair_orders.actions with `customer=`, so
another customer's order or line reads as missing whatever id the model sends.
"""

from pydantic import Field

from calls.agent.tools.registry import ToolRefused, ToolResult, tool
from calls.agent.tools.schema import Arguments, NoArguments
from calls.models import Call
from ottos.lib import clock
from scheduling import shop_info
from scheduling.actions import Actor
from scheduling.repair_orders import actions as repair_actions
from scheduling.repair_orders.words import order_view, vehicle_name

PHONE = repair_actions.JobLine.Via.PHONE
STATUS_NOTE = (
    'Say each car\'s status, promised time and note as given; estimates are estimates ("$189 to $349", '
    '"about $120"), never a firm price. To approve or decline, the caller must name the work: read back the '
    'lines and their estimates and wait for a clear yes. pickup_today is today\'s hours, for "when can I pick it up"; '
    "pickup_next is when the shop opens next, for a caller who cannot come before today's close."
)
NO_ORDERS_NOTE = (
    "The caller has no car in the shop on an open repair order. Say so plainly; offer to check their "
    "appointments or take a message for an advisor. Never look for anyone else's car."
)
APPROVED_NOTE = "Say what was approved with its estimate, as an estimate: the advisor confirms the final price."
REQUESTED_NOTE = (
    "This is a request, not a promise: say an advisor will look at it, price it and confirm with the caller "
    "before doing the work."
)


class WorkDecision(Arguments):
    repair_order_id: int = Field(description="Id from get_repair_status.")
    line_ids: list[int] = Field(
        description="Ids of the job lines the caller named, from get_repair_status; never lines they did not name.",
    )
    caller_words: str = Field(max_length=1000, description="What the caller said when deciding, as heard.")


class Decline(WorkDecision):
    reason: str | None = Field(None, max_length=200, description='Why, if the caller said ("too expensive right now").')


class WorkRequest(Arguments):
    repair_order_id: int = Field(description="Id from get_repair_status.")
    description: str = Field(min_length=1, max_length=200, description="The work asked for, in a few words.")
    caller_words: str = Field(max_length=1000, description="What the caller said, as heard.")


@tool(
    "get_repair_status",
    NoArguments,
    "The caller's own cars in the shop (open repair orders): status, promised time, note, job lines with "
    "estimates and which wait for the caller's decision, and today's hours for pickup.",
    filler="One moment while I check on that.",
)
def get_repair_status(call, args):
    customer = call.caller()
    orders = [
        {**order_view(order, call.tz), "promised_at": call.local_iso(order.promised_at) if order.promised_at else None}
        for order in repair_actions.open_orders_for(customer)
    ]
    if not orders:
        return ToolResult({"repair_orders": [], "note": NO_ORDERS_NOTE}, outcome=Call.Outcome.INFO)
    now = clock.now().astimezone(call.tz)
    return ToolResult(
        {
            "repair_orders": orders,
            "pickup_today": shop_info.day_answer(now.date(), now),
            "pickup_next": shop_info.next_open_answer(now),
            "note": STATUS_NOTE,
        },
        outcome=Call.Outcome.INFO,
    )


@tool(
    "approve_work",
    WorkDecision,
    "Approve the job lines the caller named, after reading them back with their estimates and hearing a clear yes.",
    filler="One moment while I note that approval.",
    writes=True,
)
def approve_work(call, args):
    customer = call.caller()
    lines = repair_actions.approve_job_lines(
        args.repair_order_id,
        args.line_ids,
        actor=Actor.phone_agent(call.call_sid),
        via=PHONE,
        customer=customer,
        decided_by=customer.name,
        words=args.caller_words,
    )
    work = _work(lines)
    return ToolResult(
        {"approved": True, **work, "note": APPROVED_NOTE},
        outcome=Call.Outcome.APPROVED,
        line=f"Approved by phone on the {work['vehicle']}: {_listed(lines)}.",
    )


@tool(
    "decline_work",
    Decline,
    "Decline the job lines the caller named (with their reason, if they gave one), after a read-back and a clear yes.",
    filler="One moment while I note that.",
    writes=True,
)
def decline_work(call, args):
    customer = call.caller()
    lines = repair_actions.decline_job_lines(
        args.repair_order_id,
        args.line_ids,
        actor=Actor.phone_agent(call.call_sid),
        via=PHONE,
        customer=customer,
        decided_by=customer.name,
        words=args.caller_words,
        reason=args.reason or "",
    )
    work = _work(lines)
    reason = f" ({args.reason})" if args.reason else ""
    return ToolResult(
        {"declined": True, **work},
        outcome=Call.Outcome.INFO,
        line=f"Declined by phone on the {work['vehicle']}: {_listed(lines)}{reason}.",
    )


@tool(
    "request_work",
    WorkRequest,
    "The caller asks for more work on a car already in the shop: noted for an advisor to price and confirm.",
    filler="One moment while I note that.",
    writes=True,
)
def request_work(call, args):
    customer = call.caller()
    order = _own_order(customer, args.repair_order_id)
    line = repair_actions.request_work(
        order,
        description=args.description,
        actor=Actor.phone_agent(call.call_sid),
        customer=customer,
        words=args.caller_words,
    )
    vehicle = vehicle_name(order.vehicle)
    return ToolResult(
        {
            "requested": True,
            "repair_order_id": order.pk,
            "vehicle": vehicle,
            "work": line.description,
            "note": REQUESTED_NOTE,
        },
        outcome=Call.Outcome.MESSAGE,
        line=f"Asked for more work on the {vehicle}: {line.description}.",
    )


def _own_order(customer, repair_order_id):
    for order in repair_actions.open_orders_for(customer):
        if order.pk == repair_order_id:
            return order
    raise ToolRefused(repair_actions.NOT_YOURS + " Use get_repair_status for the caller's own orders.")


def _work(lines):
    order = lines[0].repair_order
    return {
        "repair_order_id": order.pk,
        "vehicle": vehicle_name(order.vehicle),
        "work": [
            {"line_id": line.pk, "work": line.description, "estimate": line.estimate or "not priced yet"}
            for line in lines
        ],
    }


def _listed(lines):
    return "; ".join(f"{line.description} ({line.estimate or 'not priced'})" for line in lines)
