"""Running the tools a brain round asked for, so that nothing is ever done twice.

Tool calls run in tasks of their own: a barge-in cancels the reply that asked for them but
not the calls, and their results always land in the conversation with the round that
requested them. The next brain request waits for them (`settled`).
"""

import asyncio
import json
import logging

from calls.voice.conversation import ToolResult
from calls.voice.interfaces import ToolOutcome

log = logging.getLogger(__name__)


class ToolRunner:
    def __init__(self, *, tools, conversation, recorder, timeout_s, clock):
        self.tools = tools
        self.tasks = set()
        self._conversation = conversation
        self._recorder = recorder
        self._timeout_s = timeout_s
        self._clock = clock

    def run(self, round, calls):
        """Start the round's calls; the task's result is their ToolOutcomes, in order."""
        batch = asyncio.create_task(self._run(round, calls), name="tools")
        self.tasks.add(batch)
        batch.add_done_callback(self.tasks.discard)
        return batch

    async def settled(self):
        if self.tasks:
            await asyncio.wait(set(self.tasks))

    async def _run(self, round, calls):
        outcomes = [await self._call(call) for call in calls]
        self._conversation.answered(
            round, [ToolResult(call.id, outcome.content) for call, outcome in zip(calls, outcomes, strict=True)]
        )
        return outcomes

    async def _call(self, call):
        started = self._clock()
        try:
            outcome = await asyncio.wait_for(self.tools.call(call.name, call.arguments), self._timeout_s)
        except TimeoutError:
            self._recorder.event("tool_timeout", name=call.name, timeout_s=self._timeout_s)
            outcome = ToolOutcome(
                json.dumps(
                    {
                        "error": f"{call.name} took too long and was stopped.",
                        "hint": "It may still have gone through: check before trying it again.",
                    }
                ),
                ok=False,
            )
        except Exception:
            log.exception("tool %s raised", call.name)
            outcome = ToolOutcome(json.dumps({"error": f"{call.name} failed unexpectedly."}), ok=False)
        self._recorder.tool(
            name=call.name,
            arguments=call.arguments,
            result=outcome.content,
            ok=outcome.ok,
            duration_ms=round((self._clock() - started) * 1000, 1),
        )
        return outcome
