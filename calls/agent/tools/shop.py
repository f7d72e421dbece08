"""What the shop approved to be said: hours, location, policies, services and price estimates."""

from datetime import timedelta
from typing import Literal

from pydantic import Field

from calls.agent.tools.registry import ToolResult, tool
from calls.agent.tools.schema import Arguments
from calls.models import Call
from ottos.lib import clock
from scheduling import shop_info as shop

CLOSURES_AHEAD_DAYS = 30


class ShopQuestion(Arguments):
    topic: Literal["hours", "location", "payment", "warranty", "loaners", "makes", "services", "other"] = Field(
        description="What the caller asked about. 'services' lists services with price estimates."
    )


@tool(
    "shop_info", ShopQuestion,
    "The shop's approved answers: hours, location, payment, warranty, loaners, makes, services and prices.",
    filler=None,
)
def shop_info(call, args):
    if args.topic == "services":
        return ToolResult(
            {
                "services": shop.services_overview(),
                "note": "Prices are estimates, not quotes; the advisor confirms after inspection.",
            },
            outcome=Call.Outcome.INFO,
        )
    answer = shop.approved_answer(args.topic)
    result = {"topic": args.topic, "approved_answer": answer}
    if args.topic == "hours":
        result["weekly_hours"] = shop.weekly_hours()
        today = clock.now().astimezone(call.tz).date()
        result["upcoming_closures"] = shop.closures_between(today, today + timedelta(days=CLOSURES_AHEAD_DAYS))
    elif answer is None:
        result["note"] = "No approved answer. Say you're not sure and offer to take a message."
    return ToolResult(result, outcome=Call.Outcome.INFO)
