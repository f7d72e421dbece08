"""One agent reply: the brain's rounds and tool calls, what was spoken, and what was heard.

A reply is created for each caller turn (or for a fixed line: greeting, re-prompt, goodbye).
It streams the brain's text into its Speaker sentence by sentence, runs requested tools and
asks the brain again (up to the depth limit), and says one filler when a tool is slow.
When it ends, `close()` tells the conversation what the caller heard of each of its rounds
(all of it, or the segments whose marks came back before a barge-in).

A reply works with the call's parts (ReplyContext), never with the session itself; the
session drives it through `pause`, `resume`, `cancel` and `close`.
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field

from calls.voice.conversation import AgentRound
from calls.voice.errors import VendorError
from calls.voice.inbox import After
from calls.voice.llm.base import Done, TextDelta, ToolCall
from calls.voice.sentences import SentenceSplitter
from calls.voice.speaker import Speaker
from calls.voice.streams import close_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplyContext:
    """The call's parts a reply works with; the session makes one and hands it to each reply."""

    brain: object  # calls.voice.llm.base.Brain
    tts: object  # calls.voice.tts.base.TextToSpeech
    transport: object  # CallTransport
    tool_specs: dict  # name -> ToolSpec
    tool_runner: object  # calls.voice.tool_calls.ToolRunner
    conversation: object  # calls.voice.conversation.Conversation
    pacer: object
    playout: object
    recorder: object
    config: object  # VoiceConfig
    clock: object
    usage: object = None  # calls.voice.usage.CallUsage: counts the brain's rounds

    @property
    def tool_schemas(self):
        return [spec.schema for spec in self.tool_specs.values()]

    async def wait_heard(self):
        """Until everything marked so far has played (or should have)."""
        await self.playout.wait_idle(self.pacer.queued_s() + self.config.mark_grace_s)


@dataclass
class Round:
    number: int
    said: AgentRound  # what this round contributes to the conversation
    parts: list = field(default_factory=list)  # the text streamed so far


@dataclass(frozen=True)
class TurnTiming:
    """When the caller's turn ended, for the latency record."""

    speech_end: float
    stt_final: float


class Reply:
    def __init__(self, context, *, number, interruptible, timing=None, follows=None):
        self.context = context
        self.number = number
        self.interruptible = interruptible
        self.timing = timing
        self.after = None  # an After, once a tool ended the call or handed it over
        self.closed = False
        self.task = None
        self.llm_first_token = None
        self.started_at = context.clock()
        self.rounds = []
        self.heard_text = ""
        self._filler_said = False
        self.speaker = Speaker(
            number=number,
            tts=context.tts,
            transport=context.transport,
            pacer=context.pacer,
            playout=context.playout,
            recorder=context.recorder,
            clock=context.clock,
            follows=follows.speaker if follows is not None else None,
        )

    # -- what a reply does ------------------------------------------------------------

    async def respond(self):
        """Answer the caller: brain rounds with tools until the brain only talks."""
        context, config = self.context, self.context.config
        await context.tool_runner.settled()
        tool_rounds = 0
        final = False  # after ending or handing over: one last round for the words, no more tools
        while True:
            round = self._new_round()
            try:
                text, calls = await self._think(round)
            except Exception as exc:
                self._brain_failed(exc)
                self._commit(round, text="".join(round.parts).strip())
                self._say_line(config.brain_apology)
                return
            if final or not calls:
                self._commit(round, text=text)
                if final and not text:
                    self._say_line(config.goodbye)
                elif not self.planned_text:  # the brain said nothing at all: never leave dead air
                    self._say_line(config.empty_reply)
                return
            if tool_rounds == config.max_tool_depth:
                context.recorder.event("tool_depth_limit", turn=self.number, depth=tool_rounds)
                self._commit(round, text=text)
                self._say_line(config.tool_depth_apology)
                return
            tool_rounds += 1
            round.said.tool_calls = tuple(calls)
            self._commit(round, text=text or None)
            outcomes = await self._run_tools(round, calls, said_something=bool(text))
            after = _after(outcomes)
            if after is not None:
                self.after = after
                if text or after is After.HAND_OVER:  # Twilio announces the transfer itself
                    return
                final = True

    async def say(self, text, *, remember=True):
        """Say a fixed line (greeting, re-prompt, apology, goodbye)."""
        self._say_line(text, remember=remember)

    async def hand_over(self, reason):
        """The caller asked for a person on their own (pressed 0): say so, then hand the call over."""
        context, config = self.context, self.context.config
        self._say_line(config.transfer_line)
        await self.speaker.caught_up()
        await context.wait_heard()
        spec = next((spec for spec in context.tool_specs.values() if spec.hands_over), None)
        if spec is None:
            self._say_line(config.transfer_failed)
            return
        call = ToolCall(id=f"dtmf-{self.number}", name=spec.name, arguments=json.dumps({"reason": reason}))
        round = self._new_round()
        round.said.tool_calls = (call,)
        self._commit(round)
        outcome = (await self._run_tools(round, [call], said_something=True))[0]
        if outcome.ok and outcome.hands_over:
            self.after = After.HAND_OVER
        else:
            self._say_line(config.transfer_failed)

    # -- what the session drives ------------------------------------------------------

    @property
    def tasks(self):
        """The tasks speaking this reply (they change when it resumes)."""
        return self.speaker.tasks

    @property
    def first_audio_at(self):
        return self.speaker.first_audio_at

    def pause(self):
        self.speaker.pause()

    def resume(self):
        """Speak again from the first sentence not heard; returns the pieces sent again."""
        return self.speaker.resume()

    def cancel(self):
        self.task.cancel()
        self.speaker.cancel()

    async def finished_speaking(self):
        await self.speaker.finished()

    def finish_speaking(self):
        self.speaker.finish()

    def waiting_for(self, pending_marks):
        """Some of this reply's audio is still waiting for its mark."""
        return any(piece.name in pending_marks for piece in self.speaker.pieces)

    def unheard(self):
        """Some of what this reply sent has not been heard (yet)."""
        return any(not p.failed and not self.context.playout.heard(p.name) for p in self.speaker.pieces)

    # -- brain ------------------------------------------------------------------------

    async def _think(self, round):
        """Stream one brain round into the speaker; returns (text, tool calls)."""
        context, config = self.context, self.context.config
        loop = asyncio.get_running_loop()
        splitter = SentenceSplitter(first_clause=not self.speaker.pieces)
        parts, calls = round.parts, []
        slow = loop.call_later(config.slow_brain_filler_s, self._slow_brain)
        stream = None
        try:
            stream = context.brain.respond(context.conversation.render(), context.tool_schemas)
            async with asyncio.timeout(config.brain_stall_s) as deadline:
                async for event in stream:
                    deadline.reschedule(loop.time() + config.brain_stall_s)
                    if isinstance(event, (TextDelta, ToolCall)):
                        slow.cancel()
                        if self.llm_first_token is None:
                            self.llm_first_token = context.clock()
                    if isinstance(event, TextDelta):
                        parts.append(event.text)
                        for piece in splitter.feed(event.text):
                            self.speaker.say(piece, round.number)
                    elif isinstance(event, ToolCall):
                        calls.append(event)
                    elif isinstance(event, Done):
                        if context.usage is not None:
                            context.usage.brain_round(event.usage)
                        break
        except TimeoutError:
            raise VendorError("brain", f"no reply for {config.brain_stall_s:g} s", retryable=True) from None
        finally:
            slow.cancel()
            if stream is not None:
                await close_stream(stream)
        if tail := splitter.flush():
            self.speaker.say(tail, round.number)
        return "".join(parts).strip(), calls

    def _slow_brain(self):
        if self.speaker.idle and not self.context.playout.speaking:
            self._say_filler(self.context.config.filler)

    def _brain_failed(self, exc):
        vendor = exc.vendor if isinstance(exc, VendorError) else "brain"
        retryable = exc.retryable if isinstance(exc, VendorError) else None
        log.warning("brain failed: %s", exc)
        self.context.recorder.event("vendor_error", vendor=vendor, stage="brain", message=str(exc), retryable=retryable)

    # -- tools ------------------------------------------------------------------------

    async def _run_tools(self, round, calls, *, said_something):
        """Run the round's tools in a task of the session's (a barge-in does not cancel it),
        saying one filler if they are slow. Their results go into the conversation either way."""
        context = self.context
        batch = context.tool_runner.run(round.said, calls)
        if not self._filler_said:
            timer = asyncio.create_task(self._filler_due(said_something))
            try:
                await asyncio.wait({batch, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
                await asyncio.wait({timer})
            if not batch.done():
                spec = context.tool_specs.get(calls[0].name)
                self._say_filler((spec.filler if spec is not None else None) or context.config.filler)
        return await asyncio.shield(batch)

    async def _filler_due(self, said_something):
        if said_something:  # let what was said play out before judging the silence
            await self.speaker.caught_up()
            await self.context.wait_heard()
        await asyncio.sleep(self.context.config.filler_after_s)

    def _say_filler(self, text):
        if self._filler_said:
            return
        self._filler_said = True
        self.speaker.say(text, None)
        self.context.recorder.event("filler", turn=self.number, text=text)

    # -- the conversation -------------------------------------------------------------

    def _new_round(self, text=None):
        round = Round(number=len(self.rounds) + 1, said=AgentRound(text))
        self.rounds.append(round)
        return round

    def _commit(self, round, *, text=None):
        if text is not None:
            round.said.text = text or None
        if round.said.text or round.said.tool_calls:
            self.context.conversation.agent_said(round.said)

    def _say_line(self, text, *, remember=True):
        round = self._new_round(text)
        if remember:
            self._commit(round)
        splitter = SentenceSplitter(first_clause=False)
        for piece in [*splitter.feed(text), splitter.flush()]:
            if piece:
                self.speaker.say(piece, round.number if remember else None)

    @property
    def planned_text(self):
        return " ".join(piece.text for piece in self.speaker.pieces if piece.round is not None)

    def close(self, *, interrupted, playing_on=False):
        """Tell the conversation and the record what the caller heard. Runs once.

        `playing_on`: the next reply starts while this one, which cannot be interrupted, still
        plays. The conversation gets all of it now (the caller is going to hear it); the record
        waits for `record_heard()`, once it has played or the call is over: a caller who hangs up
        before its end did not hear it whole."""
        if self.closed:
            return
        self.closed = True
        context = self.context
        heard = self._heard(interrupted)
        for round in self.rounds:
            if not any(p.round == round.number for p in self.speaker.pieces):
                continue  # nothing of this round was meant to be said (tool call only)
            context.conversation.heard(round.said, " ".join(p.text for p in heard if p.round == round.number))
        self.heard_text = " ".join(p.text for p in heard if p.round is not None)
        if not playing_on:
            self.record_heard(interrupted)
        if self.timing is not None:
            context.recorder.latency(
                speech_end=self.timing.speech_end,
                stt_final=self.timing.stt_final,
                llm_first_token=self.llm_first_token,
                tts_first_byte=self.speaker.first_byte_at,
                first_audio_sent=self.speaker.first_audio_at,
            )

    def record_heard(self, interrupted):
        """The record of this reply: what it planned to say and what of it the caller heard."""
        if self.planned_text:
            self.context.recorder.turn(
                role="assistant",
                text=self.planned_text,
                heard_text=" ".join(p.text for p in self._heard(interrupted) if p.round is not None),
                interrupted=interrupted,
                started_at=self.speaker.first_audio_at or self.started_at,
                ended_at=self.context.clock(),
            )

    def _heard(self, interrupted):
        if interrupted:
            return [p for p in self.speaker.pieces if p.marked and self.context.playout.heard(p.name)]
        # all of it (pieces still being sent by a reply that cannot be interrupted will be heard)
        return [p for p in self.speaker.pieces if not p.failed]


def _after(outcomes):
    """The first ending or hand-over a successful tool asked for, if any."""
    for outcome in outcomes:
        if outcome.ends_call:
            return After.END_CALL
        if outcome.hands_over:
            return After.HAND_OVER
    return None
