"""The language-model brain with a car in the shop, against the project's fake OpenAI: the model
reads the caller's own repair order, reads the named line back, and approves only that line once
the caller said yes; the evaluation's judge reads the database."""

import json
import tomllib

import pytest
from django.test import override_settings

from calls.evaluation import run, scenarios
from fakes.openai import FakeOpenAI, text, tool_call, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)

BRAKES = """
[[scenario]]
id = "llm-approves-the-brakes"
caller = "marcus"
at = "Thursday 10:00"
says = ["Go ahead with the brakes on the truck", "Yes, go ahead"]
[[scenario.repair_orders]]
vehicle = "2012 Ford F-150"
status = "awaiting_approval"
internal = "Customer was rude to the front desk"
technician = "Luis"
lines = ["Front brake pads $189-$349", "Coolant flush $129"]
[scenario.expect]
approved = ["Front brake pads"]
never = ["rude", "Luis"]
"""


def test_the_model_approves_only_the_named_line_after_the_read_back():
    seen = {}

    def answer(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            result = json.loads(last["content"])
            if "repair_orders" in result:
                (order,) = result["repair_orders"]
                brakes = next(w for w in order["work"] if "brake" in w["work"].lower())
                seen.update(order=order["repair_order_id"], line=brakes["line_id"], text=json.dumps(result))
                return text(f"Just to confirm: go ahead with the {brakes['work']}, estimated at {brakes['estimate']}?")
            if result.get("approved"):
                return tool_calls(tool_call("end_call", {}), text="Done, the brake pads are approved. Goodbye!")
            return text("Sorry, that didn't go through.")
        said = last["content"].lower()
        if said.startswith("yes"):
            return tool_calls(
                tool_call(
                    "approve_work",
                    {
                        "repair_order_id": seen["order"],
                        "line_ids": [seen["line"]],
                        "caller_words": last["content"],
                    },
                )
            )
        return tool_calls(tool_call("get_repair_status", {}))

    s = scenarios.parse(tomllib.loads(BRAKES)["scenario"][0], source="test.toml")
    with FakeOpenAI() as fake, override_settings(OPENAI_API_KEY=fake.api_key, OPENAI_BASE_URL=fake.base_url):
        fake.reply = answer
        result = run.run_scenario(s, brain="openai")
    assert result.passed, (result.failures, result.transcript)
    assert "rude" not in seen["text"] and "Luis" not in seen["text"]
    tools = [t[0] for line in result.transcript for t in line["tools"]]
    assert tools == ["get_repair_status", "approve_work", "end_call"], tools
