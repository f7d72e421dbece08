"""shop_info: only what the shop approved is quoted; hours are said from the opening hours and
closures; a price only for the service the caller's words name."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from calls.models import Call
from calls.tests.test_tools import DANA, db, tools_for, use
from ottos.lib import clock
from scheduling.models import Closure, FaqAnswer, OpeningHours, ServiceType

pytestmark = pytest.mark.django_db(transaction=True)

WEEK = (
    "We're open Monday to Friday 8 AM to 5 PM, closed for lunch from noon to 1, and Saturday 8 AM to noon. "
    "We're closed on Sundays."
)


def ahead(shop, weekday, weeks=1):
    """A date `weeks` weeks ahead on `weekday` (Monday=0), in the shop's calendar."""
    today = datetime.now(shop.tz).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def say_date(day):
    return f"{day:%A, %B} {day.day}"


async def test_shop_info_quotes_only_approved_answers(shop, oil_change):
    await db(FaqAnswer.objects.create, topic="warranty", answer="Lifetime on everything!", approved=False)
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "shop_info", {"topic": "warranty"})
    assert outcome.ok and content["approved_answer"] is None and "take a message" in content["note"]
    assert "Lifetime" not in outcome.content
    outcome, content = await use(tools, "shop_info", {"topic": "services"})
    assert content["services"][0]["price_estimate"] == "$49 to $89"
    assert "estimates" in content["note"]
    assert tools.outcome.achieved == {Call.Outcome.INFO} and tools.outcome.lines == []


async def test_the_hours_are_said_from_the_opening_hours_not_the_faq_text(shop):
    # The shared shop fixture still holds an old "hours" FAQ text ("8 to 5 on weekdays"): never read.
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours"})
    assert outcome.ok and content["approved_answer"] == WEEK
    assert "on weekdays" not in outcome.content
    assert {
        "weekday": "Saturday",
        "opens": "08:00",
        "closes": "12:00",
        "lunch_start": None,
        "lunch_end": None,
    } in content["weekly_hours"]
    assert content["upcoming_closures"] == []


async def test_changing_saturday_changes_the_answer(shop):
    await db(lambda: OpeningHours.objects.filter(weekday=5).update(opens=time(9), closes=time(14)))
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours"})
    assert content["approved_answer"].endswith("and Saturday 9 AM to 2 PM. We're closed on Sundays.")


async def test_the_hours_answer_names_closures_in_the_next_month_only(shop):
    today = datetime.now(shop.tz).date()
    soon, far = today + timedelta(days=5), today + timedelta(days=40)
    await db(Closure.objects.create, start_date=soon, end_date=soon, reason="Inventory")
    await db(Closure.objects.create, start_date=far, end_date=far, reason="Far off")
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours"})
    assert content["approved_answer"] == f"{WEEK} We're also closed on {say_date(soon)} for Inventory."
    # Bookings look further ahead than the answer: the closures up to the booking horizon are listed.
    assert [c["reason"] for c in content["upcoming_closures"]] == ["Inventory", "Far off"]


async def test_one_day_is_answered_from_its_row(shop):
    saturday = ahead(shop, 5)
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours", "day": saturday.isoformat()})
    assert content["approved_answer"] == f"On {say_date(saturday)} we're open from 8 AM to noon."
    assert content["day"] == saturday.isoformat()


async def test_a_closure_day_says_the_shop_is_closed_and_when_it_opens_again(shop):
    wednesday = ahead(shop, 2)
    await db(Closure.objects.create, start_date=wednesday, end_date=wednesday, reason="the team training day")
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours", "day": wednesday.isoformat()})
    thursday = wednesday + timedelta(days=1)
    assert content["approved_answer"] == (
        f"We're closed on {say_date(wednesday)} for the team training day. "
        f"We're open again on {say_date(thursday)} from 8 AM to 5 PM."
    )


async def test_today_is_the_shops_clock(shop):
    monday = ahead(shop, 0)
    with clock.set_to(datetime.combine(monday, time(15, 30), shop.tz)):
        outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours", "day": monday.isoformat()})
    assert content["approved_answer"] == "We're open today until 5 PM."


async def test_a_day_that_is_not_a_date_is_refused(shop):
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours", "day": "Saturday"})
    assert not outcome.ok and "2030-06-04" in content["error"]


# --- prices --------------------------------------------------------------------------------


async def test_the_price_of_the_service_the_caller_names(shop, oil_change, brake_job):
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "services", "job": "break pads"})
    assert content["service"] == "Brake pads and rotors" and content["price_estimate"] == "$250 to $600"
    assert content["approved_answer"] == "Brake pads and rotors are usually $250 to $600."
    assert content["how_long"] == "Brake pads and rotors take about 3 hours."


@pytest.mark.parametrize("job", ["timing belt", "a transmission rebuild", "brake calipers", "new tires"])
async def test_a_job_the_shop_does_not_list_has_no_price(shop, oil_change, brake_job, job):
    await db(
        ServiceType.objects.create,
        name="Transmission fluid service",
        duration_minutes=90,
        price_low=Decimal("179"),
        price_high=Decimal("299"),
    )
    await db(ServiceType.objects.create, name="Tire rotation", duration_minutes=30, price_low=Decimal("29"))
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "services", "job": job})
    assert outcome.ok and content["service"] is None and content["price_estimate"] is None
    assert content["approved_answer"] == "We don't have a listed price for that."
    assert "no price" in content["note"] and "never quote another service's price" in content["note"]
    assert "$" not in outcome.content


async def test_a_listed_service_without_a_price_says_so(shop):
    await db(ServiceType.objects.create, name="Check engine light diagnostic", duration_minutes=60)
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "services", "job": "engine light"})
    assert content["service"] == "Check engine light diagnostic" and content["price_estimate"] is None
    assert content["approved_answer"] == "We don't have a set price for a check engine light diagnostic."


async def test_words_that_name_no_job_get_the_whole_list(shop, oil_change, brake_job):
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "services", "job": "how much is it"})
    assert [s["service"] for s in content["services"]] == ["Brake pads and rotors", "Oil change"]
