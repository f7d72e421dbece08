"""ScriptedBrain: the receptionist without a language model, behind the same Brain interface.

It reads the history the session gives it (the caller's words, and its own tool calls'
results as JSON, exactly as a model would) and answers with text and tool calls from the same
tool set. One instance per call: it remembers the conversation between rounds, and can take
over a call another brain started (failover) from the history alone.
"""

import json
import logging
import zoneinfo

from calls.agent.scripted.receptionist import Receptionist
from calls.agent.scripted.transcript import Reader
from calls.voice.llm.base import Brain, Done, TextDelta, ToolCall
from ottos.lib.clock import now as clock_now

log = logging.getLogger(__name__)


class ScriptedBrain(Brain):
    def __init__(self, *, timezone="America/Chicago", clock=None, writes=None):
        """`timezone`: the shop's (name or tzinfo); `clock`: () -> aware datetime, "now"; `writes`:
        the names of the tools that change records, whose results are announced (None: the tool
        registry's, calls.agent.tools.WRITES)."""
        self.tz = zoneinfo.ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.clock = clock or clock_now
        if writes is None:
            from calls.agent.tools import WRITES as writes  # lazily: the registry is Django's side
        self.writes = frozenset(writes)
        self._reader = Reader()
        self._receptionist = None

    def _now(self):
        moment = self.clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.tz)
        return moment.replace(tzinfo=None)

    async def respond(self, messages, tools):
        news = self._reader.news(messages)
        names, services = tool_names(tools), service_names(tools)
        if self._receptionist is None:
            self._receptionist = Receptionist(now=self._now, services=services, tools=names, writes=self.writes)
        else:
            self._receptionist.tools, self._receptionist.services = set(names), services or self._receptionist.services
        try:
            turn = self._receptionist.reply(news)
        except Exception:
            # A flaw in the script must not end the call: say something safe and offer a message.
            log.exception("scripted receptionist failed on %r", news.user_text)
            turn = self._receptionist.recover()
        calls = [
            ToolCall(id=i, name=name, arguments=json.dumps(args))
            for i, (name, args) in zip(turn.ids, turn.calls, strict=True)
        ]
        self._reader.said(turn.text, turn.ids)
        if turn.text:
            yield TextDelta(turn.text)
        for call in calls:
            yield call
        yield Done("tool_calls" if calls else "stop")

    async def close(self):
        pass


def tool_names(tools):
    return [(t.get("function") or {}).get("name") for t in tools or () if isinstance(t, dict)]


def service_names(tools):
    """The active services, from the enum in get_available_slots' schema."""
    for tool in tools or ():
        function = tool.get("function") or {} if isinstance(tool, dict) else {}
        if function.get("name") == "get_available_slots":
            service = ((function.get("parameters") or {}).get("properties") or {}).get("service") or {}
            return [name for name in service.get("enum") or () if name]
    return []
