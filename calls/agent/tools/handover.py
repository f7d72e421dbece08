"""Leaving the agent: putting the caller through to a service advisor, and hanging up.

Both run on the event loop: the transfer waits on Twilio, and ending the call needs no database.
"""

import logging

from channels.db import database_sync_to_async
from django.db import DatabaseError
from pydantic import AliasChoices, Field

from calls import actions as call_actions
from calls.agent.outcome import SUMMARY_QUOTE_CHARS
from calls.agent.tools.registry import ToolRefused, ToolResult, tool
from calls.agent.tools.schema import Arguments, NoArguments
from calls.models import Call
from calls.telephony.transfer import TransferFailed, transfer_call

logger = logging.getLogger(__name__)


class Handover(Arguments):
    # The session's own transfer (the caller pressed 0) passes a "reason".
    summary: str = Field(
        min_length=1,
        max_length=1000,
        validation_alias=AliasChoices("summary", "reason"),
        description="One or two sentences for the advisor: who and what.",
    )


@tool(
    "transfer_to_advisor",
    Handover,
    "Put the caller through to a service advisor now.",
    filler=None,
    hands_over=True,
)
async def transfer_to_advisor(call, args):
    # Counted before the request: once Twilio applies it the caller leaves the stream, which
    # can cancel this tool before the reply arrives; the finished call is still filed as a transfer.
    line = f"Transferred to an advisor: {args.summary}"
    call.outcome.achieve(Call.Outcome.TRANSFERRED, line)
    try:
        await transfer_call(call.call_sid, call.advisor_number)
    except Exception as exc:
        call.outcome.withdraw(Call.Outcome.TRANSFERRED, line)
        if isinstance(exc, TransferFailed):
            raise ToolRefused("The transfer didn't go through. Offer to take a message instead.") from None
        raise
    try:
        await database_sync_to_async(call_actions.mark_transferred, thread_sensitive=False)(
            call.call_sid, handover_summary(args.summary, call.outcome, leaving_out=line)
        )
    except DatabaseError:
        logger.exception("Call %s: transferred, but the summary could not be saved", call.call_sid)
    return ToolResult({"transferring": True})


def handover_summary(why, outcome, *, leaving_out=None):
    """What the advisor is told (the whisper) and the call's summary: why the caller is put
    through, and the conversation so far (what was done on the call, else what the caller said)."""
    why = why.strip()
    why = why[:1].upper() + why[1:]
    parts = [why if why.endswith((".", "!", "?")) else why + "."]
    done = [line for line in outcome.lines if line != leaving_out]
    if done:
        parts.append("So far: " + " ".join(done))
    elif outcome.first_caller_text and outcome.first_caller_text not in why:
        parts.append(f"Caller said: {outcome.first_caller_text[:SUMMARY_QUOTE_CHARS]}")
    return " ".join(parts)


@tool("end_call", NoArguments, "Hang up, after you said goodbye.", filler=None, ends_call=True)
async def end_call(call, args):
    return ToolResult({"ok": True})
