"""One agent reply: the brain's rounds and tool calls, what was spoken, and what was heard.

A reply is created for each caller turn (or for a fixed line: greeting, re-prompt, goodbye).
It streams the brain's text into its Speaker sentence by sentence, runs requested tools and
asks the brain again (up to the depth limit), and says one filler when a tool is slow.
When it ends, `close()` rewrites the assistant messages it put into the history so they hold
what the caller heard (all of it, or the segments whose marks came back before a barge-in).
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field

from calls.voice.llm.base import Done, TextDelta, ToolCall
from calls.voice.errors import VendorError
from calls.voice.sentences import SentenceSplitter
from calls.voice.speaker import Speaker

log = logging.getLogger(__name__)


@dataclass
class Round:
    number: int
    message: dict  # the assistant message this round contributes to the history
    in_history: bool = False
    parts: list = field(default_factory=list)  # the text streamed so far


@dataclass(frozen=True)
class TurnTiming:
    """When the caller's turn ended, for the latency record."""

    speech_end: float
    stt_final: float


class Reply:
    def __init__(self, session, *, number, interruptible, timing=None, follows=None):
        self.session = session
        self.number = number
        self.interruptible = interruptible
        self.timing = timing
        self.after = None  # "end_call" | "transfer" once a tool asked for it
        self.closed = False
        self.task = None
        self.llm_first_token = None
        self.started_at = session.clock()
        self.rounds = []
        self.heard_text = ""
        self._filler_said = False
        self.speaker = Speaker(
            number=number,
            tts=session.tts,
            transport=session.transport,
            pacer=session.pacer,
            playout=session.playout,
            recorder=session.recorder,
            clock=session.clock,
            follows=follows,
        )

    # -- what a reply does ------------------------------------------------------------

    async def respond(self):
        """Answer the caller: brain rounds with tools until the brain only talks."""
        session, config = self.session, self.session.config
        await session.tool_runner.settled()
        tool_rounds = 0
        final = False  # after end_call/transfer: one last round for the words, no more tools
        while True:
            round = self._new_round({"role": "assistant", "content": None})
            try:
                text, calls = await self._think(round)
            except Exception as exc:
                self._brain_failed(exc)
                self._commit(round, text=self._text_of(round))
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
                session.recorder.event("tool_depth_limit", turn=self.number, depth=tool_rounds)
                self._commit(round, text=text)
                self._say_line(config.tool_depth_apology)
                return
            tool_rounds += 1
            round.message["content"] = text or None
            round.message["tool_calls"] = [_call_message(call) for call in calls]
            self._commit(round)
            outcomes = await self._run_tools(round, calls, said_something=bool(text))
            actions = [outcome.action for outcome in outcomes if outcome.action in ("end_call", "transfer")]
            if actions:
                self.after = actions[0]
                if text or self.after == "transfer":  # Twilio announces the transfer itself
                    return
                final = True

    async def say(self, text, *, remember=True):
        """Say a fixed line (greeting, re-prompt, apology, goodbye)."""
        self._say_line(text, remember=remember)

    async def transfer_on_request(self, reason):
        """The caller pressed 0: say so, then hand the call to an advisor."""
        session, config = self.session, self.session.config
        self._say_line(config.transfer_line)
        await self.speaker.caught_up()
        await session.playout.wait_idle(session.pacer.queued_s() + config.mark_grace_s)
        arguments = json.dumps({"reason": reason})
        call = ToolCall(id=f"dtmf-{self.number}", name="transfer_to_advisor", arguments=arguments)
        round = self._new_round({"role": "assistant", "content": None, "tool_calls": [_call_message(call)]})
        self._commit(round)
        outcome = (await self._run_tools(round, [call], said_something=True))[0]
        if outcome.ok and outcome.action == "transfer":
            self.after = "transfer"
        else:
            self._say_line(config.transfer_failed)

    # -- brain ------------------------------------------------------------------------

    async def _think(self, round):
        """Stream one brain round into the speaker; returns (text, tool calls)."""
        session, config = self.session, self.session.config
        loop = asyncio.get_running_loop()
        splitter = SentenceSplitter(first_clause=not self.speaker.pieces)
        parts, calls = round.parts, []
        slow = loop.call_later(config.slow_brain_filler_s, self._slow_brain)
        stream = None
        try:
            stream = session.brain.respond(session.messages_for_brain(), session.tools.schemas())
            async with asyncio.timeout(config.brain_stall_s) as deadline:
                async for event in stream:
                    deadline.reschedule(loop.time() + config.brain_stall_s)
                    if isinstance(event, (TextDelta, ToolCall)):
                        slow.cancel()
                        if self.llm_first_token is None:
                            self.llm_first_token = session.clock()
                    if isinstance(event, TextDelta):
                        parts.append(event.text)
                        for piece in splitter.feed(event.text):
                            self.speaker.say(piece, round.number)
                    elif isinstance(event, ToolCall):
                        calls.append(event)
                    elif isinstance(event, Done):
                        break
        except TimeoutError:
            raise VendorError("brain", f"no reply for {config.brain_stall_s:g} s", retryable=True) from None
        finally:
            slow.cancel()
            if stream is not None:
                await _close(stream)
        if tail := splitter.flush():
            self.speaker.say(tail, round.number)
        return "".join(parts).strip(), calls

    def _slow_brain(self):
        if self.speaker.idle and not self.session.playout.speaking:
            self._say_filler(self.session.config.filler)

    def _brain_failed(self, exc):
        vendor = exc.vendor if isinstance(exc, VendorError) else "brain"
        retryable = exc.retryable if isinstance(exc, VendorError) else None
        log.warning("brain failed: %s", exc)
        self.session.recorder.event("vendor_error", vendor=vendor, stage="brain", message=str(exc), retryable=retryable)

    # -- tools ------------------------------------------------------------------------

    async def _run_tools(self, round, calls, *, said_something):
        """Run the round's tools in a task of the session's (a barge-in does not cancel it),
        saying one filler if they are slow. Their results go into the history either way."""
        session = self.session
        batch = session.tool_runner.run(round.message, calls)
        if not self._filler_said:
            timer = asyncio.create_task(self._filler_due(said_something))
            try:
                await asyncio.wait({batch, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
                await asyncio.wait({timer})
            if not batch.done():
                first = calls[0].name
                self._say_filler(session.config.tool_fillers.get(first, session.config.filler))
        return await asyncio.shield(batch)

    async def _filler_due(self, said_something):
        config = self.session.config
        if said_something:  # let what was said play out before judging the silence
            await self.speaker.caught_up()
            await self.session.playout.wait_idle(self.session.pacer.queued_s() + config.mark_grace_s)
        await asyncio.sleep(config.filler_after_s)

    def _say_filler(self, text):
        if self._filler_said:
            return
        self._filler_said = True
        self.speaker.say(text, None)
        self.session.recorder.event("filler", turn=self.number, text=text)

    # -- history ----------------------------------------------------------------------

    def _new_round(self, message):
        round = Round(number=len(self.rounds) + 1, message=message)
        self.rounds.append(round)
        return round

    def _commit(self, round, *, text=None):
        if text is not None:
            round.message["content"] = text
        if round.message.get("content") or round.message.get("tool_calls"):
            self.session.history.append(round.message)
            round.in_history = True

    def _say_line(self, text, *, remember=True):
        round = self._new_round({"role": "assistant", "content": text})
        if remember:
            self._commit(round)
        splitter = SentenceSplitter(first_clause=False)
        for piece in [*splitter.feed(text), splitter.flush()]:
            if piece:
                self.speaker.say(piece, round.number if remember else None)

    def _text_of(self, round):
        return "".join(round.parts).strip()

    @property
    def planned_text(self):
        return " ".join(piece.text for piece in self.speaker.pieces if piece.round is not None)

    def close(self, *, interrupted):
        """Put what the caller heard into the history and the record. Runs once."""
        if self.closed:
            return
        self.closed = True
        session = self.session
        if interrupted:
            heard = [p for p in self.speaker.pieces if p.marked and session.playout.heard(p.name)]
        else:  # all of it (pieces still being sent by a reply that cannot be interrupted will be heard)
            heard = [p for p in self.speaker.pieces if not p.failed]
        for round in self.rounds:
            text = " ".join(p.text for p in heard if p.round == round.number)
            spoken = [p for p in self.speaker.pieces if p.round == round.number]
            if not spoken:
                continue  # nothing of this round was meant to be said (tool call only)
            self._rewrite(round, text)
        heard_text = " ".join(p.text for p in heard if p.round is not None)
        ended = session.clock()
        if self.planned_text:
            session.recorder.turn(
                role="assistant",
                text=self.planned_text,
                heard_text=heard_text,
                interrupted=interrupted,
                started_at=self.speaker.first_audio_at or self.started_at,
                ended_at=ended,
            )
        if self.timing is not None:
            session.recorder.latency(
                speech_end=self.timing.speech_end,
                stt_final=self.timing.stt_final,
                llm_first_token=self.llm_first_token,
                tts_first_byte=self.speaker.first_byte_at,
                first_audio_sent=self.speaker.first_audio_at,
            )
        self.heard_text = heard_text

    def _rewrite(self, round, text):
        message, history = round.message, self.session.history
        if message.get("tool_calls"):
            message["content"] = text or None
            return
        if text:
            message["content"] = text
            if not round.in_history:
                history.append(message)
                round.in_history = True
        elif round.in_history:
            history[:] = [m for m in history if m is not message]
            round.in_history = False


def _call_message(call):
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


async def _close(stream):
    close = getattr(stream, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:
            log.debug("closing the brain stream failed", exc_info=True)
