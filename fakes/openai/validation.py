"""Request validation: the 400s OpenAI answers for requests it refuses."""

from fakes.openai.replies import HttpError

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def validation_problem(body):
    """The HttpError OpenAI would answer for this request body, or None if it is acceptable."""
    if not isinstance(body, dict):
        return invalid("The request body must be a JSON object.")
    if not body.get("model"):
        return invalid("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return invalid("[] is too short - 'messages'", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return invalid(f"Invalid value for 'messages[{i}].role'.", f"messages.[{i}].role")
    problem = _tool_order_problem(messages)
    if problem:
        return problem
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return invalid("Invalid type for 'tools': expected an array.", "tools")
        for i, tool in enumerate(tools):
            if not (
                isinstance(tool, dict)
                and tool.get("type") == "function"
                and isinstance(tool.get("function"), dict)
                and tool["function"].get("name")
            ):
                return invalid(f"Missing required parameter: 'tools[{i}].function.name'.", f"tools[{i}]")
    if "parallel_tool_calls" in body and not tools:
        return invalid(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
            "when 'tools' are specified.",
            "parallel_tool_calls",
        )
    if "tool_choice" in body and not tools and body["tool_choice"] != "none":
        return invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice"
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    return None


def _tool_order_problem(messages):
    pending = set()  # tool_call_ids still waiting for their tool message
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            pending.discard(call_id)
            continue
        if pending:
            return invalid(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(sorted(pending))}",
                f"messages.[{i}].role",
            )
        if role == "assistant":
            pending = {call.get("id") for call in message.get("tool_calls") or ()}
    if pending:
        return invalid(
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(sorted(pending))}",
            "messages",
        )
    return None


def invalid(message, param=None):
    """A 400 invalid_request_error."""
    return HttpError(400, message, "invalid_request_error", param=param)
