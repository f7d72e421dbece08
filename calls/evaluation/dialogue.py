"""Playing one call as text: the caller's lines go in as finished transcripts, the agent's
replies come back as the words it would speak.

The loop is the voice session's reply loop without audio (calls/voice/reply.py): the
conversation is the session's own `Conversation`, rendered within its token budget; each
brain round may call tools, run against the database through the call's `CallTools`, up to
the same depth; an ending or hand-over tool ends the call after its words. Only the transfer
is a stand-in (no telephone is dialled here): it succeeds when the shop has an advisor to put
callers through to, and is refused the way a failed transfer is when not.
"""

import json
from dataclasses import dataclass, field

from calls.voice.conversation import AgentRound, Conversation, ToolResult
from calls.voice.interfaces import ToolOutcome
from calls.voice.llm.base import Done, TextDelta, ToolCall

GOODBYE = "No, that's all. Thanks, bye."
MAX_CALLER_TURNS = 16


@dataclass
class Line:
    who: str  # "caller" | "agent"
    text: str
    tools: list = field(default_factory=list)  # [(name, arguments, result)] this reply used


class Caller:
    """The scenario's caller: answers by rule when a reply matches one, otherwise says the next
    line; with nothing left to say, says goodbye once, then hangs up."""

    def __init__(self, says, rules):
        self.lines = list(says)
        self.uses = {rule: rule.times for rule in rules}
        self.said_goodbye = False

    def answer(self, reply):
        for rule, left in self.uses.items():
            if left and rule.heard.search(reply):
                self.uses[rule] -= 1
                return rule.say
        if self.lines:
            return self.lines.pop(0)
        if not self.said_goodbye:
            self.said_goodbye = True
            return GOODBYE
        return None


class TextCall:
    """One call between `brain` and `tools` (a ToolBox) with `config` (the call's VoiceConfig)."""

    def __init__(self, *, brain, tools, config, advisor_reachable=True):
        self.brain = brain
        self.tools = tools
        self.config = config
        self.advisor_reachable = advisor_reachable
        self.conversation = Conversation(config.system_prompt, token_budget=config.history_token_budget)
        self.lines = []
        self.ended = None  # "agent_ended" | "transferred" once a tool ended the call
        self.stuck = False

    async def play(self, caller):
        greeting = " ".join(part for part in (self.config.greeting, self.config.recording_disclosure) if part)
        self._agent_says(greeting, remember=True)
        reply = greeting
        for _ in range(MAX_CALLER_TURNS):
            text = caller.answer(reply)
            if text is None:
                break
            reply = await self.caller_says(text)
            if self.ended:
                break
        return self.lines

    async def caller_says(self, text):
        self.lines.append(Line("caller", text))
        self.conversation.caller_said(text)
        spoken, used = [], []
        final = False
        for depth in range(self.config.max_tool_depth + 1):
            said, calls = await self._round()
            if final or not calls:
                self._keep(AgentRound(said or None))
                if said:
                    spoken.append(said)
                elif final:
                    spoken.append(self.config.goodbye)
                break
            if depth == self.config.max_tool_depth:
                self._keep(AgentRound(said or None))
                spoken.extend(part for part in (said, self.config.tool_depth_apology) if part)
                break
            round = AgentRound(said or None, tuple(calls))
            self.conversation.agent_said(round)
            if said:
                spoken.append(said)
            outcomes = []
            for call in calls:
                outcome = await self._tool(call)
                outcomes.append(outcome)
                used.append((call.name, _json(call.arguments), _json(outcome.content)))
            self.conversation.answered(round, [ToolResult(c.id, o.content) for c, o in zip(calls, outcomes)])
            ending = next((o for o in outcomes if o.ok and (o.ends_call or o.hands_over)), None)
            if ending is not None:
                self.ended = "agent_ended" if ending.ends_call else "transferred"
                if said or ending.hands_over:
                    break
                final = True
        reply = " ".join(spoken) or self.config.empty_reply
        self.lines.append(Line("agent", reply, used))
        return reply

    def _agent_says(self, text, *, remember):
        if remember:
            self.conversation.agent_said(AgentRound(text))
        self.lines.append(Line("agent", text))

    def _keep(self, round):
        if round.text:
            self.conversation.agent_said(round)

    async def _round(self):
        text, calls = [], []
        schemas = [spec.schema for spec in self.tools.specs()]
        stream = self.brain.respond(self.conversation.render(), schemas)
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    text.append(event.text)
                elif isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Done):
                    break
        finally:
            await stream.aclose()
        return "".join(text).strip(), calls

    async def _tool(self, call):
        spec = next((s for s in self.tools.specs() if s.name == call.name), None)
        if spec is not None and spec.hands_over:
            return self._transfer(call)
        return await self.tools.call(call.name, call.arguments)

    def _transfer(self, call):
        if not self.advisor_reachable:
            return ToolOutcome(
                json.dumps({"error": "The transfer didn't go through. Offer to take a message instead."}), ok=False
            )
        return ToolOutcome(json.dumps({"transferring": True}), ok=True, hands_over=True)


def _json(text):
    try:
        return json.loads(text or "{}")
    except ValueError:
        return text
