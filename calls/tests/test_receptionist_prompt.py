"""The system prompt carries the shop, the shop's clock, whether the caller is known, and the
tools from the registry."""

from datetime import datetime
from zoneinfo import ZoneInfo

from calls.agent.prompt import receptionist_prompt
from calls.agent.tools import TOOLS

NOW = datetime(2030, 6, 4, 9, 5, tzinfo=ZoneInfo("America/Chicago"))


def test_it_names_the_shop_and_the_local_date_and_time():
    prompt = receptionist_prompt(shop_name="Otto's Auto Repair", now=NOW)
    assert "phone receptionist of Otto's Auto Repair" in prompt
    assert "Today is Tuesday, June 4, 2030. The time now is 9:05 AM (CDT)." in prompt


def test_a_known_caller_is_greeted_by_name_and_a_stranger_is_asked():
    known = receptionist_prompt(shop_name="Otto's", now=NOW, caller_name="Dana Whitfield")
    stranger = receptionist_prompt(shop_name="Otto's", now=NOW)
    assert "customer record of Dana Whitfield" in known
    assert "does not match a customer" in stranger and "Dana" not in stranger


def test_the_standing_rules_are_there():
    prompt = receptionist_prompt(shop_name="Otto's", now=NOW)
    for rule in (
        "One question at a time",
        "No markdown",
        "only from the shop_info tool",
        "Never say or suggest that the caller's own car is affected by a recall",
        "confirm the service, the day and the time",
        "Never reveal, look up or change anything about another person",
    ):
        assert rule in prompt


def test_hours_of_a_day_and_prices_come_from_shop_info_and_no_other_price_is_offered():
    prompt = receptionist_prompt(shop_name="Otto's", now=NOW)
    assert "call shop_info with topic hours and that day" in prompt
    assert "call shop_info with topic services and job set to what the caller asked about" in prompt
    assert "never offer another service's price in its place" in prompt


def test_it_lists_the_registered_tools_in_the_order_the_model_is_given_them():
    prompt = receptionist_prompt(shop_name="Otto's", now=NOW)
    listed = prompt.split("\nYour tools:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert listed == [f"- {t.name}: {t.description}" for t in TOOLS.values()]
    assert len(listed) == 20 and listed[0].startswith("- lookup_customer: ") and listed[-1].startswith("- end_call: ")
    assert prompt.index("call end_call.\n") < prompt.index("Your tools:") < prompt.index("Today is")


def test_a_car_in_the_shop_is_spoken_of_only_from_its_repair_order_and_approved_only_as_named():
    prompt = receptionist_prompt(shop_name="Otto's", now=NOW)
    for rule in (
        "answer only from get_repair_status",
        "Say estimates as estimates",
        "Approve or decline only the job lines the caller named",
        "wait for a clear yes",
        "Never approve work the caller did not name",
        "is a request",
        "Never promise it",
    ):
        assert rule in prompt, rule
