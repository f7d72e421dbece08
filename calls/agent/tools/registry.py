"""The tool registry: a tool is one decorated handler, with its name, arguments, description,
filler and flags beside it.

    @tool("book_appointment", Booking, "Book a service for the caller, ...",
          filler="One moment while I book that.", writes=True)
    def book_appointment(call, args):
        ...
        return ToolResult({"booked": True, ...}, outcome=Call.Outcome.BOOKED, line="Booked ...")

`call` is the CallContext (context.py): who is calling and the shared look-ups. A plain
handler runs in a database thread; an `async def` one (the hand-over, which waits on Twilio)
runs on the event loop. A handler refuses with ToolRefused("what to do instead") or lets a
domain refusal (BookingRefused, ValidationError) through; dispatch.py turns either into an
error the model can read.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calls.agent.tools.schema import Arguments, openai_schema

# The order the model has always seen the tools in, in its schemas and in the prompt. Family
# by family, except that create_customer comes after the vehicle tools; kept so that nothing
# the model sees changes. A tool not named here follows these, in the order it was registered.
MODEL_ORDER = (
    "lookup_customer",
    "get_available_slots",
    "book_appointment",
    "get_upcoming_appointments",
    "get_repair_status",
    "approve_work",
    "decline_work",
    "request_work",
    "cancel_appointment",
    "reschedule_appointment",
    "update_appointment",
    "decode_vin",
    "add_vehicle",
    "check_recalls",
    "create_customer",
    "add_email",
    "shop_info",
    "take_message",
    "transfer_to_advisor",
    "end_call",
)

TOOLS = {}  # name -> Tool, in the order the model sees them


class ToolRefused(Exception):
    """The tool cannot do this; `message` tells the model what to do instead."""


ECHO_CHARS = 60


def quoted(text):
    """What the model sent, repeated in a refusal: quoted, and cut short, since a tool's answer goes
    back to the model in every later request of the call."""
    text = str(text)
    return (
        repr(text)
        if len(text) <= ECHO_CHARS
        else repr(text[:ECHO_CHARS]) + f" (and {len(text) - ECHO_CHARS} more characters)"
    )


@dataclass(frozen=True)
class ToolResult:
    data: dict  # the JSON the model reads
    outcome: str | None = None  # the Call.Outcome this achieved
    line: str | None = None  # what was done, in words, for the call's summary


@dataclass(frozen=True)
class Tool:
    name: str
    arguments: type[Arguments]
    description: str
    handler: Callable[..., Any]
    filler: str | None  # said if the tool is slow; None: the general filler
    writes: bool = False  # changes the shop's records (a retried turn must not do it twice)
    ends_call: bool = False
    hands_over: bool = False

    @property
    def runs_on_event_loop(self):
        return inspect.iscoroutinefunction(self.handler)

    def schema(self, service_names=()):
        return openai_schema(self.name, self.description, self.arguments, service_names=service_names)


def tool(name, arguments, description, *, filler, writes=False, ends_call=False, hands_over=False):
    """Register the decorated handler as the tool `name`. `filler` is required: the sentence said
    while the tool is slow, or None for the general one."""

    def register(handler):
        _add(Tool(name, arguments, description, handler, filler, writes, ends_call, hands_over))
        return handler

    return register


def _add(new):
    if new.name in TOOLS:
        raise ValueError(f"A tool called {new.name!r} is already registered")
    if not (isinstance(new.arguments, type) and issubclass(new.arguments, Arguments)):
        raise TypeError(f"Tool {new.name!r}: arguments must be an Arguments model")
    ordered = sorted([*TOOLS.values(), new], key=_model_position)  # stable: registration order otherwise
    TOOLS.clear()
    TOOLS.update((t.name, t) for t in ordered)


def _model_position(t):
    return MODEL_ORDER.index(t.name) if t.name in MODEL_ORDER else len(MODEL_ORDER)
