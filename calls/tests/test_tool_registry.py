"""The tool registry: every tool is one declared handler with a strict schema, a description and
a filler rule; the model's order and fillers are as they were; both brains are given the same
tools, from one place; and no tool reaches past the crm/scheduling/calls actions."""

import ast
import json
import re
from pathlib import Path

import pytest

from calls.agent import tools as registry_package
from calls.agent.scripted import ScriptedBrain
from calls.agent.scripted.brain import service_names as scripted_service_names
from calls.agent.scripted.brain import tool_names as scripted_tool_names
from calls.agent.tools import TOOLS, WRITES, CallTools, Tool, ToolResult, tool, tool_specs
from calls.agent.tools.schema import NoArguments
from calls.tests.scripted_calls import tools_for

MODEL_ORDER = [
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
]
FILLERS = {  # said while these tools are slow; every other tool gets the general filler
    "get_available_slots": "One moment while I check the schedule.",
    "book_appointment": "One moment while I book that.",
    "reschedule_appointment": "One moment while I move that.",
    "cancel_appointment": "One moment while I cancel that.",
    "get_upcoming_appointments": "One moment while I look that up.",
    "lookup_customer": "One moment while I look that up.",
    "decode_vin": "One moment while I look up that VIN.",
    "get_repair_status": "One moment while I check on that.",
    "approve_work": "One moment while I note that approval.",
    "decline_work": "One moment while I note that.",
    "request_work": "One moment while I note that.",
}
SERVICES = ("Brake pads and rotors", "Oil change")
TOOLS_DIR = Path(registry_package.__file__).parent
SCRIPTED_DIR = TOOLS_DIR.parent / "scripted"


def test_the_registry_holds_the_twenty_tools_in_the_order_the_model_sees_them():
    assert list(TOOLS) == MODEL_ORDER
    assert all(isinstance(t, Tool) and t.name == name for name, t in TOOLS.items())


@pytest.mark.parametrize("name", MODEL_ORDER)
def test_every_tool_has_a_strict_schema_a_description_a_handler_and_a_filler_rule(name):
    registered = TOOLS[name]
    function = registered.schema(SERVICES)["function"]
    parameters = function["parameters"]
    assert registered.schema(SERVICES)["type"] == "function"
    assert function["name"] == name and function["strict"] is True
    assert function["description"] == registered.description and registered.description.endswith(".")
    assert parameters["type"] == "object" and parameters["additionalProperties"] is False
    assert parameters["required"] == list(parameters["properties"]), "every property is required"
    for field, prop in parameters["properties"].items():
        assert not {"default", "title", "minimum", "maximum", "minLength", "maxLength"} & set(prop), (name, field)
        if not registered.arguments.model_fields[field].is_required():
            assert "null" in prop["type"], f"{name}.{field} is optional, so nullable"
    assert callable(registered.handler)
    assert registered.filler == FILLERS.get(name)


def test_no_tool_has_any_way_to_name_another_customer():
    for name, registered in TOOLS.items():
        properties = registered.schema()["function"]["parameters"]["properties"]
        assert not {"phone", "customer", "customer_id", "caller"} & set(properties), name


def test_a_service_argument_names_only_the_shops_services():
    schemas = {s.name: s.schema["function"] for s in tool_specs(SERVICES)}
    for name in ("get_available_slots", "book_appointment"):
        assert schemas[name]["parameters"]["properties"]["service"]["enum"] == list(SERVICES)
    assert "enum" not in TOOLS["book_appointment"].schema()["function"]["parameters"]["properties"]["service"]


def test_only_end_call_ends_the_call_and_only_the_transfer_hands_over():
    assert [t.name for t in TOOLS.values() if t.ends_call] == ["end_call"]
    assert [t.name for t in TOOLS.values() if t.hands_over] == ["transfer_to_advisor"]
    # The session hands over on its own when the caller presses 0, with {"reason": ...}.
    TOOLS["transfer_to_advisor"].arguments.model_validate_json(json.dumps({"reason": "The caller pressed 0."}))


def test_the_tools_that_change_records_are_the_ones_a_retried_turn_must_not_repeat():
    assert WRITES == {
        "book_appointment",
        "reschedule_appointment",
        "update_appointment",
        "cancel_appointment",
        "take_message",
        "add_vehicle",
        "add_email",
        "approve_work",
        "decline_work",
        "request_work",
    }
    assert ScriptedBrain().writes == WRITES, "the scripted receptionist announces exactly these"


def test_only_the_tools_that_wait_on_no_database_run_on_the_event_loop():
    assert {t.name for t in TOOLS.values() if t.runs_on_event_loop} == {"transfer_to_advisor", "end_call"}


def test_call_tools_give_the_voice_session_the_registrys_schemas_fillers_and_flags():
    tools = CallTools(
        call_sid="CA" + "0" * 32, caller_phone="+13125550147", service_names=list(SERVICES), timezone=None
    )
    specs = tools.specs()
    assert [s.name for s in specs] == MODEL_ORDER
    assert [s.schema for s in specs] == [t.schema(SERVICES) for t in TOOLS.values()]
    assert [(s.filler, s.ends_call, s.hands_over) for s in specs] == [
        (t.filler, t.ends_call, t.hands_over) for t in TOOLS.values()
    ]
    again = CallTools(call_sid="CA" + "1" * 32, caller_phone=None, service_names=SERVICES, timezone=None)
    assert again.specs() is specs, "built once per list of services, not per call"
    assert (
        CallTools(call_sid="CA" + "2" * 32, caller_phone=None, service_names=("Oil change",), timezone=None).specs()
        is not specs
    )


@pytest.mark.django_db(transaction=True)
async def test_both_brains_are_given_the_same_tools_built_from_the_shops_data(shop, oil_change, brake_job):
    tools = await tools_for("+13125550147")
    schemas = [s.schema for s in tools.specs()]
    assert schemas == [t.schema(SERVICES) for t in TOOLS.values()]
    # The scripted receptionist reads its tool set and the services from those same schemas.
    assert scripted_tool_names(schemas) == MODEL_ORDER
    assert scripted_service_names(schemas) == list(SERVICES)


def test_every_tool_the_scripted_receptionist_calls_is_registered():
    called = set()
    for source in SCRIPTED_DIR.glob("*.py"):
        called |= set(re.findall(r"""\.call\(\s*["']([a-z_]+)["']""", source.read_text()))
    assert called, "the scripted receptionist calls tools"
    assert called <= set(TOOLS), called - set(TOOLS)


def test_a_tool_must_state_its_filler_rule_and_its_name_once():
    with pytest.raises(TypeError):
        tool("say_hello", NoArguments, "Say hello.")  # no filler=
    with pytest.raises(ValueError, match="already registered"):
        tool("end_call", NoArguments, "Hang up twice.", filler=None)(lambda call, args: ToolResult({}))
    assert list(TOOLS) == MODEL_ORDER


FORBIDDEN = {
    r"\.objects\b": "a manager or queryset",
    r"\.vehicles\b": "a related manager",
    r"\.save\(": "a direct write",
    r"\.full_clean\(": "model validation",
    r"\.refresh_from_db\(": "a model read",
    r"\bcustomer\.\w+\s*=[^=]": "a customer field set by hand",
}


@pytest.mark.parametrize("module", sorted(p.name for p in TOOLS_DIR.glob("*.py")))
def test_tools_reach_shop_data_only_through_actions_and_queries(module):
    source = (TOOLS_DIR / module).read_text()
    for pattern, what in FORBIDDEN.items():
        assert not re.search(pattern, source), f"{module} uses {what}; call a crm/scheduling action instead"
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {"crm.models", "scheduling.models"} & imported, module
