"""What the shop approved to be said: hours, location, policies, services and price estimates.

Hours and a price are answered here in full sentences, for both brains alike: hours from the
OpeningHours and Closure rows (never FAQ text), a price only for the service the caller's words
really name (service_words.py), never the nearest other one.
"""

from datetime import date, timedelta
from typing import Literal

from pydantic import Field

from calls.agent.tools.registry import ToolRefused, ToolResult, quoted, tool
from calls.agent.tools.schema import Arguments
from calls.agent.tools.service_words import named_service, names_a_job
from calls.models import Call
from ottos.lib import clock
from scheduling import shop_info as shop

ESTIMATE_NOTE = "Prices are estimates, not quotes; the advisor confirms after inspection."
NO_ANSWER_NOTE = "No approved answer. Say you're not sure and offer to take a message."
NO_PRICE_NOTE = (
    "The shop lists no price for {job}. Tell the caller plainly there is no listed price for it; never quote "
    "another service's price instead. Offer an advisor's quote: transfer_to_advisor or take_message."
)
HOURS_NOTE = "Say approved_answer as it is: it comes from the shop's opening hours and closures."


class ShopQuestion(Arguments):
    topic: Literal["hours", "location", "payment", "warranty", "loaners", "makes", "services", "other"] = Field(
        description="What the caller asked about. 'services' lists services with price estimates."
    )
    day: str | None = Field(
        None,
        description="With 'hours': the day the caller asked about, YYYY-MM-DD (shop's calendar). The answer says "
        "whether the shop is open that day and when.",
    )
    question: str | None = Field(
        None,
        description="The caller's question in their words (e.g. 'is there a shuttle to downtown?'). With any "
        "topic but hours and services it finds the shop's approved FAQ entry that answers it; use 'other' for "
        "a question no topic fits.",
    )
    job: str | None = Field(
        None,
        description="With 'services': the service or repair the caller asked the price of, in their words "
        "(e.g. 'brake pads', 'timing belt'). The answer is that service's price, or says the shop lists none.",
    )


@tool(
    "shop_info",
    ShopQuestion,
    "The shop's approved answers: hours (of a given day too), location, payment, warranty, loaners, makes, "
    "services, the price of the job the caller asked about, and the shop's FAQ entries by the caller's question.",
    filler=None,
)
def shop_info(call, args):
    if args.topic == "hours":
        return ToolResult(_hours(call, args.day), outcome=Call.Outcome.INFO)
    if args.topic == "services":
        asked = args.job if args.job and names_a_job(args.job) else None
        return ToolResult(_price(asked) if asked else _services(), outcome=Call.Outcome.INFO)
    answer, entry_question = shop.faq_answer(args.topic, args.question)
    result = {"topic": args.topic, "approved_answer": answer}
    if args.question:
        result["question"] = args.question
    if entry_question:
        result["answers_question"] = entry_question
    if answer is None:
        result["note"] = NO_ANSWER_NOTE
    return ToolResult(result, outcome=Call.Outcome.INFO)


def _services():
    return {"services": shop.services_overview(), "note": ESTIMATE_NOTE}


def _price(job):
    """The price of the one service `job` names, or a plain "no listed price": never a neighbour's."""
    service = named_service(job, shop.active_services())
    if service is None:
        return {
            "job": job,
            "service": None,
            "price_estimate": None,
            "approved_answer": "We don't have a listed price for that.",
            "note": NO_PRICE_NOTE.format(job=quoted(job)),
        }
    price = shop.price_answer(service)
    return {
        "job": job,
        "service": service.name,
        "price_estimate": service.price_estimate or None,
        "approved_answer": price or f"We don't have a set price for {shop.spoken_service(service.name)}.",
        "how_long": shop.duration_answer(service),
        "wait_at_shop": service.waiter_allowed,
        "note": ESTIMATE_NOTE if price else NO_PRICE_NOTE.format(job=quoted(service.name)),
    }


def _hours(call, day_text):
    """The week's hours (and closures this month), or one day's; "today" is the shop's clock."""
    now = clock.now().astimezone(call.tz)
    today = now.date()
    day = _parse_day(day_text) if day_text else None
    profile = shop.shop_profile()
    result = {
        "topic": "hours",
        "approved_answer": shop.day_answer(day, now) if day and day >= today else shop.hours_answer(now),
        "weekly_hours": shop.weekly_hours(),
        "upcoming_closures": shop.closures_between(today, today + timedelta(days=profile.booking_horizon_days)),
    }
    if day and day >= today:
        result["day"] = day.isoformat()
    result["note"] = HOURS_NOTE if result["approved_answer"] else NO_ANSWER_NOTE
    return result


def _parse_day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolRefused(f"day must be a date like 2030-06-04, not {quoted(text)}") from None
