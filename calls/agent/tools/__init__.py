"""The phone agent's tools: one decorated handler per tool (registry.py), grouped by family.

Adding a tool is one `@tool(...)` handler in its family's module. The registry is the one
source of what the model is given (schemas), what the caller hears while a tool runs
(fillers), which tools end or hand over the call, and the prompt's list of tools.

    tools = CallTools(call_sid=..., caller_phone=..., service_names=..., timezone=..., outcome=CallOutcome())
    tools.specs()                          # the voice session's ToolSpecs (schemas for either brain)
    await tools.call(name, arguments_json) # a ToolOutcome; never raises
"""

# The families, in the order the model sees their tools (registry.MODEL_ORDER pins it exactly).
from calls.agent.tools import customers, schedule, appointments, repair_orders, vehicles, shop, messages, handover  # noqa: F401, I001
from calls.agent.tools.dispatch import CallTools, tool_specs
from calls.agent.tools.registry import TOOLS, Tool, ToolRefused, ToolResult, tool

WRITES = frozenset(name for name, registered in TOOLS.items() if registered.writes)

__all__ = ["TOOLS", "WRITES", "CallTools", "Tool", "ToolRefused", "ToolResult", "tool", "tool_specs"]
