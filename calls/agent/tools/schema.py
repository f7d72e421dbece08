"""Tool arguments: the pydantic base every tool's Arguments model derives from, and the
conversion of such a model into the strict function schema OpenAI's models are given.

No tool takes a phone number or customer id for reading or changing records: the tools are
bound to the caller's own number (context.py). Appointment and vehicle ids the model passes
are checked against the caller's own records.
"""

from pydantic import BaseModel, ConfigDict

_DROPPED_KEYWORDS = {"title", "default", "minimum", "maximum", "minLength", "maxLength"}


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoArguments(Arguments):
    pass


def _openai_property(prop):
    prop = {k: v for k, v in prop.items() if k not in _DROPPED_KEYWORDS}
    options = prop.pop("anyOf", None)
    if options:
        kinds = [o for o in options if o.get("type") != "null"]
        (kind,) = kinds
        kind = _openai_property(kind)
        prop = {**kind, **prop, "type": [kind["type"], "null"]}
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    return prop


def openai_schema(name, description, arguments, *, service_names=()):
    """A tool's schema in OpenAI's strict form: every property required, nullable when optional.
    A `service` argument is limited to the shop's services, named exactly."""
    properties = {
        field: _openai_property(prop) for field, prop in arguments.model_json_schema().get("properties", {}).items()
    }
    if "service" in properties and service_names:
        properties["service"]["enum"] = list(service_names)
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(properties),
                "additionalProperties": False,
            },
            "strict": True,
        },
    }
