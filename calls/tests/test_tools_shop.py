"""shop_info: only what the shop approved is quoted; services come with price estimates."""

from datetime import datetime, timedelta

import pytest

from calls.models import Call
from calls.tests.test_tools import DANA, db, tools_for, use
from scheduling.models import Closure, FaqAnswer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_shop_info_quotes_only_approved_answers(shop, oil_change):
    await db(FaqAnswer.objects.create, topic="warranty", answer="Lifetime on everything!", approved=False)
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "shop_info", {"topic": "hours"})
    assert content["approved_answer"].startswith("We're open 8 to 5")
    assert "Saturday 08:00-12:00" in content["weekly_hours"]
    assert content["upcoming_closures"] == []
    outcome, content = await use(tools, "shop_info", {"topic": "warranty"})
    assert outcome.ok and content["approved_answer"] is None and "take a message" in content["note"]
    assert "Lifetime" not in outcome.content
    outcome, content = await use(tools, "shop_info", {"topic": "services"})
    assert content["services"][0]["price_estimate"] == "$49 to $89"
    assert "estimates" in content["note"]
    assert tools.outcome.achieved == {Call.Outcome.INFO} and tools.outcome.lines == []


async def test_the_hours_answer_names_closures_in_the_next_month_only(shop):
    today = datetime.now(shop.tz).date()
    soon = await db(Closure.objects.create, start_date=today + timedelta(days=5), end_date=today + timedelta(days=6),
                    reason="Inventory")
    await db(Closure.objects.create, start_date=today + timedelta(days=60), end_date=today + timedelta(days=61),
             reason="Far off")
    outcome, content = await use(await tools_for(DANA), "shop_info", {"topic": "hours"})
    assert outcome.ok and content["upcoming_closures"] == [str(soon)]
