"""A message for a service advisor to call the caller back."""

from typing import Literal

from django.core.exceptions import ValidationError
from pydantic import Field

from calls import actions as call_actions
from calls.agent.tools.registry import ToolRefused, ToolResult, tool
from calls.agent.tools.schema import Arguments
from calls.models import Call
from crm.phones import normalize_phone


class Message(Arguments):
    name: str = Field(min_length=1, max_length=120, description="Who is calling.")
    reason: str = Field(min_length=1, max_length=1000, description="The message for the advisor, in a sentence or two.")
    urgency: Literal["routine", "soon", "urgent"] = Field(
        description="urgent: safety or a car stranded; soon: needs an answer today; routine: otherwise."
    )
    callback_number: str | None = Field(None, description="Only if the caller wants a call back on a different number.")


@tool(
    "take_message",
    Message,
    "Leave a message for a service advisor to call the caller back.",
    filler=None,
    writes=True,
)
def take_message(call, args):
    customer = call.caller(required=False) if call.caller_phone else None
    phone = call.caller_phone
    if args.callback_number:
        try:
            phone = normalize_phone(args.callback_number)
        except ValidationError as exc:
            raise ToolRefused(f"That callback number doesn't work: {' '.join(exc.messages)}") from None
    if phone is None:
        raise ToolRefused("Ask for a number the advisor can call back on (callback_number).")
    call_actions.take_message(
        call_sid=call.call_sid,
        customer=customer,
        name=args.name,
        phone=phone,
        reason=args.reason,
        urgency=args.urgency,
    )
    return ToolResult(
        {"message_taken": True},
        outcome=Call.Outcome.MESSAGE,
        line=f"Message for an advisor ({args.urgency}): {args.reason}",
    )
