"""CallTools: the registry's tools bound to one call, as the voice session uses them (its ToolBox).

Every call comes back as a ToolOutcome with JSON the model can read: bad arguments, refusals
and database failures come back as {"error": ...} so the model can recover, never as an
exception that ends the call.
"""

import functools
import json
import logging

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from pydantic import ValidationError as ArgumentError

from calls.agent.outcome import CallOutcome
from calls.agent.tools.context import CallContext
from calls.agent.tools.registry import TOOLS, ToolRefused, quoted
from calls.voice.interfaces import ToolOutcome, ToolSpec
from scheduling.actions import BookingRefused
from scheduling.repair_orders.actions import RepairOrderRefused

logger = logging.getLogger(__name__)

SYSTEM_TROUBLE = "The shop's system didn't respond. Apologize and offer to take a message for an advisor."
# No tool takes more (the longest, take_message, is a name and a reason of at most 1,000 characters);
# a model that sends more is confused, and whatever it sent would ride along in every later request.
MAX_ARGUMENTS_CHARS = 4000


@functools.lru_cache(maxsize=32)
def tool_specs(service_names=()):
    """Every tool as the voice session sees it, for a shop with these services. Building the
    schemas takes ~5 ms (pydantic), on the event loop at every call's start; shops rarely
    change their services. Shared: do not mutate."""
    return tuple(
        ToolSpec(
            name=t.name,
            schema=t.schema(service_names),
            filler=t.filler,
            ends_call=t.ends_call,
            hands_over=t.hands_over,
        )
        for t in TOOLS.values()
    )


class CallTools:
    """The tools for one call, bound to the caller's own number."""

    def __init__(self, *, call_sid, caller_phone, service_names, timezone, outcome=None, advisor_number=None):
        self.outcome = outcome if outcome is not None else CallOutcome()
        self.context = CallContext(
            call_sid=call_sid,
            caller_phone=caller_phone,
            service_names=service_names,
            tz=timezone,
            outcome=self.outcome,
            advisor_number=advisor_number,
        )
        self._specs = tool_specs(tuple(service_names))

    def specs(self):
        return self._specs

    async def call(self, name, arguments):
        tool = TOOLS.get(name)
        if tool is None:
            return _error(f"There is no tool called {quoted(name)}.")
        if len(arguments or "") > MAX_ARGUMENTS_CHARS:
            return _error(f"The arguments for {name} are {len(arguments)} characters long; send only what it asks for.")
        try:
            args = tool.arguments.model_validate_json(arguments or "{}")
        except ArgumentError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            return _error(f"Invalid arguments for {name}: {problems}")
        try:
            if tool.runs_on_event_loop:
                result = _recorded(await tool.handler(self.context, args), self.outcome)
            else:
                result = await database_sync_to_async(_run_and_record, thread_sensitive=False)(
                    tool.handler, self.context, args
                )
        except ToolRefused as exc:
            return _error(str(exc))
        except (BookingRefused, RepairOrderRefused) as exc:
            return _error(exc.message, code=exc.code)
        except ValidationError as exc:
            return _error(" ".join(exc.messages))
        except DatabaseError:
            logger.exception("Call %s: tool %s hit a database error", self.context.call_sid, name)
            return _error(SYSTEM_TROUBLE)
        except Exception:
            logger.exception("Call %s: tool %s failed", self.context.call_sid, name)
            return _error(SYSTEM_TROUBLE)
        return ToolOutcome(json.dumps(result.data), ok=True, ends_call=tool.ends_call, hands_over=tool.hands_over)


def _run_and_record(handler, call, args):
    # Recorded in the database thread, as soon as the handler succeeded: if the call ends
    # while a booking is being written, the booking it made still counts when the call is filed.
    return _recorded(handler(call, args), call.outcome)


def _recorded(result, outcome):
    if result.outcome is not None:
        outcome.achieve(result.outcome, result.line)
    elif result.line:
        outcome.note(result.line)
    return result


def _error(message, **extra):
    return ToolOutcome(json.dumps({"error": message, **extra}), ok=False)
