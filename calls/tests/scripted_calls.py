"""Driving the scripted receptionist the way the voice session does, against the real tools.

A Dialogue keeps an OpenAI-format history, appends what the caller says, iterates the
brain's respond() with the tools' schemas, runs every tool call through the registry's
CallTools (so bookings land in PostgreSQL), appends the results and asks again until the
brain only talks — the same loop as calls/voice/reply.py, minus audio. Every line the agent
says is checked to be speakable: no markdown, no ISO dates, no raw JSON.
"""

import json
import re
from datetime import datetime, time, timedelta

import pytest
from channels.db import database_sync_to_async

from calls.agent.scripted import ScriptedBrain
from calls.agent.tools import CallTools
from calls.voice.llm.base import Done, TextDelta, ToolCall
from scheduling import shop_info

CALL_SID = "CA" + "5c" * 16
DANA = "+13125550147"  # the `customer` fixture
NEWCOMER = "+13125550188"
GREETING = "Thanks for calling Otto's Auto Repair. This call may be recorded. How can I help you today?"
UNSPEAKABLE = re.compile(r"[*#_`{}\[\]<>|]|\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}|\b\d{1,2}:\d{2}(?!\s?[AP]M)|\b0\d:\d{2}\b")


def db(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


async def tools_for(phone, *, call_sid=CALL_SID):
    """The tools of a call from `phone` (None: caller ID withheld), built from the shop's data
    the way the call runner builds them."""

    def shop_data():
        return shop_info.active_service_names(), shop_info.shop_profile().tz

    service_names, tz = await db(shop_data)
    return CallTools(call_sid=call_sid, caller_phone=phone, service_names=service_names, timezone=tz)


def brain_clock(shop):
    """A Monday 10:00 in the shop's timezone, 7 to 13 days from today (inside the booking
    horizon, past the lead time), so weekday words mean the same thing in every run."""
    today = datetime.now(shop.tz).date()
    monday = today + timedelta(days=7 + (7 - today.weekday()) % 7)
    return datetime.combine(monday, time(10), shop.tz)


class Dialogue:
    def __init__(self, brain, toolbox, *, greeting=GREETING):
        self.brain = brain
        self.toolbox = toolbox
        self.history = [
            {"role": "system", "content": "You are the phone receptionist of Otto's Auto Repair."},
            {"role": "assistant", "content": greeting},
        ]
        self.lines = []  # (who, text)
        self.tools_used = []  # (name, arguments, result)
        self.ended = None  # "end_call" | "transfer" once the brain asked for it

    async def caller(self, text):
        """The caller says `text`; returns what the agent says back."""
        assert self.ended is None, f"the call already ended ({self.ended}); the caller said {text!r}"
        if self.history[-1]["role"] == "user":
            self.history[-1]["content"] += " " + text
        else:
            self.history.append({"role": "user", "content": text})
        self.lines.append(("caller", text))
        return await self.agent_turn()

    async def agent_turn(self):
        spoken = []
        for _ in range(6):  # the session's tool depth limit is 5
            text, calls, finish = await self._round()
            message = {"role": "assistant", "content": text or None}
            if calls:
                message["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in calls
                ]
            if text or calls:
                self.history.append(message)
            if text:
                spoken.append(text)
            if not calls:
                assert finish == "stop"
                break
            assert finish == "tool_calls"
            actions = []
            for call in calls:
                outcome = await self.toolbox.call(call.name, call.arguments)
                self.history.append({"role": "tool", "tool_call_id": call.id, "content": outcome.content})
                self.tools_used.append((call.name, json.loads(call.arguments), json.loads(outcome.content)))
                if outcome.ends_call:
                    actions.append("end_call")
                elif outcome.hands_over:
                    actions.append("transfer")
            if actions and text:
                self.ended = actions[0]
                break
        else:
            raise AssertionError("the brain kept calling tools past the session's depth limit")
        reply = " ".join(spoken)
        assert reply, "the agent said nothing"
        assert not UNSPEAKABLE.search(reply), f"not speakable: {reply!r}"
        self.lines.append(("agent", reply))
        return reply

    async def _round(self):
        text, calls, finish = "", [], None
        schemas = [spec.schema for spec in self.toolbox.specs()]
        async for event in self.brain.respond(self.history, schemas):
            assert finish is None, "events after Done"
            if isinstance(event, TextDelta):
                text += event.text
            elif isinstance(event, ToolCall):
                calls.append(event)
            elif isinstance(event, Done):
                finish = event.finish_reason
        assert finish is not None, "respond() ended without Done"
        return text.strip(), calls, finish

    def used(self, name):
        return [(arguments, result) for tool, arguments, result in self.tools_used if tool == name]

    @property
    def transcript(self):
        return "\n".join(f"{who}: {text}" for who, text in self.lines)


@pytest.fixture
def clock(shop):
    return brain_clock(shop)


@pytest.fixture
def call_from(shop, clock):
    """call_from(phone) -> a Dialogue with a fresh ScriptedBrain on the fixed clock."""

    async def start(phone, *, call_sid=CALL_SID):
        tools = await tools_for(phone, call_sid=call_sid)
        return Dialogue(ScriptedBrain(timezone=shop.timezone, clock=lambda: clock), tools)

    return start


def local(shop, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), shop.tz)
