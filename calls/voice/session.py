"""One phone call's conversation in plain asyncio: turn-taking, barge-in, silence, hang-up.

The session knows nothing of Channels, Django or the shop. Whoever carries the call (the
Twilio consumer, a test) feeds it caller audio, mark echoes and key presses, and gives it a
CallTransport to send audio, marks and `clear` back.
Everything that happens is handled in one loop (`_converse`), one event at a time; each
agent reply runs in its own task (calls/voice/reply.py) so a barge-in can cancel it.

Barge-in ("pause_resume" mode): at the caller's first sound over the agent (SpeechStarted) the
line is cleared at once and the reply paused, its brain and TTS still running. Real words within
`barge_in_resume_after_s` make it an interruption (the reply is cancelled, the conversation keeps
what was heard); a backchannel or a noise resumes the reply from its first unheard sentence. While the
engine reports the caller still talking (SpeechContinues), the wait for words goes on, and until the
engine ends the utterance (its words come after endpointing, late under load) it goes on a little more.

End of turn: the recogniser's endpoint (speech_final) ends the caller's turn unless the end-of-turn
model (turn.py, `turn_model`) hears an unfinished sentence in the caller's recent audio; then the
turn waits for more words, and ends at UtteranceEnd or `turn_wait_s` after the speech stopped.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from calls.voice.caller import CallerAudio, CallerTurn, QuietSpells, is_backchannel
from calls.voice.clock import ms_between
from calls.voice.conversation import Conversation
from calls.voice.errors import VendorError
from calls.voice.inbox import After, CallState, Heard, HearingFailed, KeyPress, MarkEcho, ReplyDone, TimerDue
from calls.voice.interfaces import (
    CallRecorder,
    CallTransport,
    SafeRecorder,
    ToolBox,
    ToolOutcome,
    ToolSpec,
    VoiceConfig,
)
from calls.voice.keypad import Keyed, Keypad, Route
from calls.voice.pacing import Pacer
from calls.voice.playout import Playout
from calls.voice.reply import Reply, ReplyContext, TurnTiming
from calls.voice.stt.base import SpeechContinues, SpeechStarted, UtteranceEnd
from calls.voice.tool_calls import ToolRunner
from calls.voice.turn import EndOfTurn, RecentAudio, load_turn_model
from calls.voice.usage import CallUsage, MeteredSTT, metered_tts

__all__ = [
    "CallRecorder", "CallState", "CallTransport", "ToolBox", "ToolOutcome", "ToolSpec", "VoiceConfig", "VoiceSession",
    "is_backchannel",
]  # fmt: skip

log = logging.getLogger(__name__)

CALLER_TURN_TIMEOUT_S = 2.0  # finals but no end-of-turn event from the engine: end the turn anyway
BARGE_IN_ONSET_WINDOW_S = 2.0  # a SpeechStarted older than this is not the start of a barge-in
BARGE_IN_WORDS_WAIT_S = 1.0  # a paused reply waits this much longer for words the engine still owes
MAX_CALL_OVERRUN_S = 30.0  # at the time limit, let a reply finish for at most this long
STOP_WAIT_S = 2.0
STT_START_TIMEOUT_S = 5.0
CALLER_TRIGGERS = frozenset({"interim", "final", "turn_end", "vad"})


class VoiceSession:
    def __init__(self, *, stt, tts, brain, tools, transport, recorder, config, clock=time.monotonic):
        self.stt = stt
        self.tts = tts
        self.brain = brain
        self.tools = tools
        self.transport = transport
        self.recorder = SafeRecorder(recorder)
        self.config = config
        self.clock = clock
        self.conversation = Conversation(config.system_prompt, token_budget=config.history_token_budget)
        self.pacer = Pacer(high_s=config.playout_high_s, low_s=config.playout_low_s, clock=clock)
        self.playout = Playout()
        self.reason = None
        self._inbox = asyncio.Queue()
        self.usage = CallUsage()  # reported to the recorder when the call ends
        self._caller_audio = CallerAudio(
            MeteredSTT(stt, self.usage),
            self._inbox,
            backlog_frames=config.audio_backlog_frames,
            on_send_error=self._stt_send_failed,
            quiet_spells=(
                QuietSpells(after_s=config.quiet_after_s, chunk_s=config.quiet_chunk_s)
                if config.quiet_after_s is not None
                else None
            ),
        )
        self._end_of_turn = EndOfTurn(  # model loaded in run()
            None,
            RecentAudio(),
            wait_s=config.turn_wait_s,
            on_skipped=lambda: self.recorder.event("turn_model_skipped", reason="the model is behind"),
        )
        self._tasks = set()
        self.tool_runner = ToolRunner(
            tools=tools,
            conversation=self.conversation,
            recorder=self.recorder,
            timeout_s=config.tool_timeout_s,
            clock=clock,
        )
        self._reply_context = ReplyContext(
            brain=brain,
            tts=metered_tts(tts, self.usage),
            transport=transport,
            tool_specs={spec.name: spec for spec in tools.specs()},
            tool_runner=self.tool_runner,
            conversation=self.conversation,
            pacer=self.pacer,
            playout=self.playout,
            recorder=self.recorder,
            config=config,
            clock=clock,
            usage=self.usage,
        )
        self._reply = None
        self._playing_on = []  # earlier replies that cannot be interrupted, closed but still playing
        self._pause_state = None  # a Pause while the reply waits to learn whether the caller interrupts
        self._replies = 0
        self._state = CallState.TALKING  # -> ENDING | TRANSFERRING -> OVER
        self._caller = CallerTurn()
        self._keypad = Keypad(route_keys=config.advisor_keys, timeout_s=config.keyed_timeout_s)
        self._started_at = clock()
        self._last_activity = self._started_at
        self._quiet_since = self._started_at
        self._max_call_at = self._started_at + config.max_call_s
        self._reprompts = 0
        self._main = None
        self._closing = None  # the shutdown task, once begun

    # -- the consumer's side ------------------------------------------------------------

    @property
    def _paused(self):
        return self._pause_state

    @_paused.setter
    def _paused(self, pause):
        """While the agent is paused the recogniser is asked whether the caller still talks."""
        if (pause is None) != (self._pause_state is None):
            self.stt.attend(pause is not None)
        self._pause_state = pause

    async def run(self):
        """Greet, then hold the conversation until it ends; returns why it ended."""
        if self._closing is not None:
            await asyncio.shield(self._closing)
            return self.reason
        if self._main is not None:
            raise RuntimeError("VoiceSession.run() called twice")
        self._started_at = self._last_activity = self._quiet_since = self.clock()
        self._max_call_at = self._started_at + self.config.max_call_s
        self._main = asyncio.create_task(self._converse(), name="voice-session")
        try:
            await asyncio.wait({self._main})
        except asyncio.CancelledError:
            await asyncio.shield(self._shut_down("cancelled"))
            raise
        reason = "stopped"
        if not self._main.cancelled():
            if self._main.exception() is None:
                reason = self._main.result()
            else:
                log.error("voice session failed", exc_info=self._main.exception())
                reason = await self._hang_up("error")
        await asyncio.shield(self._shut_down(reason))
        return self.reason

    def feed_audio(self, mulaw):
        """Caller audio (never blocks; the oldest audio is dropped if STT falls far behind)."""
        if not mulaw or self._state is CallState.OVER:
            return
        self._end_of_turn.listen(mulaw, self.clock(), self._caller.onset)
        self._caller_audio.feed(mulaw)

    def on_mark(self, name):
        if self._state is CallState.OVER:
            return
        self.playout.on_mark(name, self.clock())
        self._inbox.put_nowait(MarkEcho(name))

    def on_dtmf(self, digit):
        if self._state is not CallState.OVER:
            self._inbox.put_nowait(KeyPress(digit))

    async def stop(self, reason="caller_hung_up"):
        """Cancel everything, finalize the record. Safe to call more than once, from anywhere."""
        await asyncio.shield(self._shut_down(reason))
        return self.reason

    @property
    def agent_speaking(self):
        """True from the start of a reply until the caller has heard all of it (or cut it off)."""
        return self._agent_busy()

    @property
    def state(self):
        return self._state

    @property
    def history(self):
        """The conversation so far as OpenAI chat messages (for tests and the record)."""
        return self.conversation.messages()

    # -- the loop -----------------------------------------------------------------------

    async def _converse(self):
        greeting = " ".join(part for part in (self.config.greeting, self.config.recording_disclosure) if part)
        if greeting:  # while speech recognition connects; early caller audio waits in the backlog
            self._start_reply(lambda reply: reply.say(greeting), interruptible=self.config.greeting_interruptible)
        try:
            await asyncio.wait_for(self.stt.start(), STT_START_TIMEOUT_S)
        except Exception as exc:
            self._vendor_failed("stt", exc)
            return await self._say_goodbye(self.config.hearing_goodbye, "stt_failed")
        self._end_of_turn.model = await asyncio.to_thread(load_turn_model, self.config.turn_model)
        self._end_of_turn.words_first = self.config.turn_model == "smart_turn_words"
        self._spawn(self._caller_audio.pump(), "stt-send")
        self._spawn(self._caller_audio.listen(), "stt-listen")
        while True:
            try:
                event = await asyncio.wait_for(self._inbox.get(), self._next_timer())
            except TimeoutError:
                event = TimerDue()
            try:
                ended = await self._handle(event)
            except Exception:
                log.exception("voice session: handling %s failed", type(event).__name__)
                self.recorder.event("session_error", stage=_STAGES.get(type(event), type(event).__name__))
                continue
            if ended:
                return ended

    async def _handle(self, event):
        match event:
            case Heard(event=heard):
                return await self._on_caller(heard)
            case HearingFailed(error=error):
                if self._state is CallState.TALKING:
                    self._vendor_failed("stt", error or VendorError("stt", "transcript stream ended", retryable=False))
                    return await self._say_goodbye(self.config.hearing_goodbye, "stt_failed")
                return None
            case MarkEcho():
                self._record_played_on()
                self._close_reply_if_heard()
                return None
            case KeyPress(digit=digit):
                return await self._on_dtmf(digit)
            case ReplyDone(reply=reply):
                return await self._on_reply_done(reply)
            case TimerDue():
                return await self._on_timer()
        raise TypeError(f"unexpected inbox event {event!r}")

    # -- the caller ---------------------------------------------------------------------

    async def _on_caller(self, event):
        caller = self._caller
        self._last_activity = max(self._last_activity, event.at)
        if isinstance(event, SpeechStarted):
            caller.held_until = None  # the caller goes on: wait for the next endpoint
            caller.hearing = True
            if caller.onset is None or caller.started_at is None:
                caller.onset = event.at
            if self.config.barge_in_mode == "pause_resume" and self._paused is None and self._can_interrupt():
                await self._pause(event.at)
            return None
        if isinstance(event, SpeechContinues):
            caller.held_until = None  # still talking (its SpeechStarted may have come before the endpoint)
            if self._paused is not None:  # still talking, no words yet: wait for them, do not talk over
                self._paused.until = max(self._paused.until, event.at + self.config.barge_in_resume_after_s)
            return None
        if isinstance(event, UtteranceEnd):
            return await self._end_caller_turn(event.at)
        text = event.text.strip()
        if text:
            caller.held_until = None
            if caller.started_at is None:
                caller.started_at = event.at
                caller.over_agent = self._agent_busy()
            if self._can_interrupt() and not is_backchannel(text, self.config.backchannels):
                await self._barge_in(event.at, trigger="final" if event.is_final else "interim")
            if event.is_final:
                caller.parts.append(text)
                caller.last_final_at = event.at
                caller.speech_ended_at = event.speech_ended_at
        if event.speech_final:
            caller.hearing = False
            if caller.parts and not await self._end_of_turn.complete(
                caller.onset, caller.text, answering=self._agent_asked()
            ):
                caller.held_until = (event.speech_ended_at or event.at) + self._end_of_turn.hold_s(caller.text)
                return None
            return await self._end_caller_turn(event.at)
        return None

    async def _end_caller_turn(self, at):
        caller, self._caller = self._caller, CallerTurn()
        text = caller.text
        if not text or self._state is not CallState.TALKING:
            return None
        if caller.over_agent and is_backchannel(text, self.config.backchannels):
            if self._agent_busy() or not self._agent_asked():
                self.recorder.event("backchannel", text=text)
                return None
        timing = TurnTiming(speech_end=caller.speech_ended_at or caller.last_final_at or at, stt_final=at)
        return await self._caller_turn(text, started_at=caller.started_at or at, at=at, timing=timing)

    async def _caller_turn(self, text, *, started_at, at, timing):
        """The caller's turn is complete: record it and answer it."""
        self._reprompts = 0
        if self._can_interrupt():
            await self._barge_in(at, trigger="turn_end")
        self.conversation.caller_said(text)
        self.recorder.turn(
            role="user", text=text, heard_text=text, interrupted=False, started_at=started_at, ended_at=at
        )
        self._start_reply(Reply.respond, interruptible=True, timing=timing)
        return None

    async def _on_dtmf(self, digit):
        self.recorder.event("dtmf", digit=digit)
        if self._state is not CallState.TALKING:
            return None
        now = self.clock()
        self._last_activity = max(self._last_activity, now)
        keying = self._keypad.keying
        match self._keypad.press(digit, now):
            case Route(key=key):
                if self._agent_busy():
                    await self._interrupt(self._reply, at=now, trigger="dtmf")
                self._state = CallState.TRANSFERRING
                self._start_reply(lambda reply: reply.hand_over(f"caller pressed {key}"), interruptible=False)
            case Keyed() as keyed:
                return await self._keyed(keyed, now)
            case None if self._keypad.keying and not keying and self._can_interrupt():
                await self._barge_in(now, trigger="dtmf")  # keying over the agent: it stops to listen
        return None

    async def _keyed(self, keyed, at):
        """Digits the caller keyed in: their turn, marked as keyed. Its latency counts from the
        entry's end (the # or the pause that ended it)."""
        return await self._caller_turn(keyed.text, started_at=at, at=at, timing=TurnTiming(speech_end=at, stt_final=at))

    # -- the agent ----------------------------------------------------------------------

    def _start_reply(self, action, *, interruptible, timing=None):
        previous = self._reply
        follows = None
        if previous is not None and not previous.closed:
            follows = previous  # only a reply that cannot be interrupted is still going
            previous.close(interrupted=False, playing_on=True)
            self._playing_on.append(previous)
        self._replies += 1
        reply = Reply(
            self._reply_context, number=self._replies, interruptible=interruptible, timing=timing, follows=follows
        )
        self._reply = reply
        for task in reply.tasks:
            self._track(task)
        reply.task = self._spawn(self._run_reply(reply, action), f"reply-{reply.number}")
        return reply

    async def _run_reply(self, reply, action):
        try:
            await action(reply)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reply %s failed", reply.number)
            self.recorder.event("session_error", stage="reply", turn=reply.number)
            await reply.say(self.config.brain_apology, remember=False)
        finally:
            reply.finish_speaking()
        await reply.finished_speaking()
        self._inbox.put_nowait(ReplyDone(reply))

    async def _on_reply_done(self, reply):
        if reply is not self._reply:
            return None
        if self._paused is not None and self._paused.reply is reply:
            self._paused.reply_done = True  # handled again if the reply resumes
            return None
        if reply.after is After.END_CALL:
            self._state = CallState.ENDING
            await reply.finished_speaking()  # it may be sending again what a pause cut off
            await self._wait_heard()
            reply.close(interrupted=False)
            return await self._hang_up("agent_ended")
        if reply.after is After.HAND_OVER:
            self._state = CallState.TRANSFERRING
            self.reason = self.reason or "transferred"  # Twilio's stop, when it comes, is the hand-over's
            await reply.finished_speaking()
            await self._wait_heard()
            reply.close(interrupted=False)
            self.recorder.event("transferring")
            await asyncio.sleep(self.config.transfer_wait_s)  # Twilio's stop normally comes first
            return "transferred"
        if self._state is CallState.TRANSFERRING:  # the transfer failed; the conversation goes on
            self._state = CallState.TALKING
        self._close_reply_if_heard()
        return None

    def _agent_busy(self):
        return self._reply is not None and not self._reply.closed

    def _can_interrupt(self):
        return self._state is CallState.TALKING and self._agent_busy() and self._reply.interruptible

    def _agent_asked(self):
        reply = self._reply
        return reply is not None and reply.heard_text.rstrip().endswith("?")

    async def _barge_in(self, at, *, trigger):
        caller, paused = self._caller, self._paused
        onset = caller.onset if caller.onset is not None and at - caller.onset < BARGE_IN_ONSET_WINDOW_S else at
        if paused is not None and paused.reply is self._reply:
            onset = paused.onset
        await self._interrupt(self._reply, at=onset, trigger=trigger, trigger_at=at)

    async def _pause(self, onset):
        """The caller made a sound over the agent: silence the agent now, decide later."""
        reply = self._reply
        if reply.first_audio_at is None:
            return  # nothing was said yet: nothing to stop
        reply.pause()
        cleared_at = await self._clear()
        self._paused = Pause(
            reply, onset=onset, cleared_at=cleared_at, until=onset + self.config.barge_in_resume_after_s
        )

    async def _resume(self):
        """Only a backchannel or a noise: the agent goes on from the first sentence not heard."""
        paused, self._paused = self._paused, None
        reply = paused.reply
        if reply is not self._reply or reply.closed:
            return
        again = reply.resume()
        for task in reply.tasks:
            self._track(task)
        if paused.reply_done:
            self._inbox.put_nowait(ReplyDone(reply))
        caller = self._caller
        if caller.started_at is None:
            caller.onset = None  # the noise is over; the next sound is a new onset
        self.recorder.event(
            "barge_in_resumed",
            turn=reply.number,
            onset=paused.onset,
            cleared_at=paused.cleared_at,
            onset_to_clear_ms=ms_between(paused.onset, paused.cleared_at),
            paused_ms=ms_between(paused.onset, self.clock()),
            caller_text=caller.text,
            again=[piece.name for piece in again],
        )

    async def _clear(self):
        """Empty Twilio's playback queue if anything may be in it; returns when `clear` went out."""
        if not (self.playout.speaking or self.pacer.queued_s() > 0):
            return None
        self.playout.clear()  # before sending: an echo racing our clear counts as unheard
        self.pacer.cleared()
        try:
            await self.transport.send_clear()
        except Exception:
            log.exception("sending clear failed")
        return self.clock()

    async def _interrupt(self, reply, *, at, trigger, trigger_at=None):
        """Stop the reply now; history keeps only what the caller heard."""
        paused = self._paused
        self._paused = None
        reply.cancel()
        cleared_at = None
        if reply.first_audio_at is not None:
            cleared_at = await self._clear()
        if paused is not None and paused.reply is reply:
            cleared_at = paused.cleared_at or cleared_at
        await asyncio.wait({reply.task, *reply.tasks})
        reply.close(interrupted=True)
        self._quiet_since = self.clock()
        self.recorder.event(
            "barge_in" if trigger in CALLER_TRIGGERS else "cut_off",
            turn=reply.number,
            trigger=trigger,
            onset=at,
            cleared_at=cleared_at,
            onset_to_clear_ms=ms_between(at, cleared_at),
            trigger_to_clear_ms=ms_between(trigger_at if trigger_at is not None else at, cleared_at),
            heard_text=reply.heard_text,
        )

    def _close_reply_if_heard(self):
        reply = self._reply
        if reply is None or reply.closed or not reply.task.done() or self._paused is not None:
            return
        if reply.waiting_for(set(self.playout.pending_names)) and not self._marks_overdue():
            return
        reply.close(interrupted=False)
        self._quiet_since = self.clock()

    def _record_played_on(self):
        """Record the replies that played on once all they sent has played (or was cleared)."""
        pending = set(self.playout.pending_names)
        for reply in [r for r in self._playing_on if r.task.done() and not r.waiting_for(pending)]:
            self._playing_on.remove(reply)
            reply.record_heard(interrupted=reply.unheard())

    def _marks_overdue(self):
        return self.clock() > self.pacer.played_until + self.config.mark_grace_s

    async def _wait_heard(self):
        await self.playout.wait_idle(self.pacer.queued_s() + self.config.mark_grace_s)

    async def _say_goodbye(self, text, reason):
        """Say a last line, wait until it has played, hang up."""
        if self._agent_busy():
            await self._interrupt(self._reply, at=self.clock(), trigger=reason)
        self._state = CallState.ENDING
        reply = self._start_reply(lambda reply: reply.say(text), interruptible=False)
        await asyncio.wait({reply.task})
        await self._wait_heard()
        reply.close(interrupted=False)
        return await self._hang_up(reason)

    async def _hang_up(self, reason):
        self.reason = self.reason or reason  # closing the stream may make the consumer stop() us
        try:
            await self.transport.hang_up()
        except Exception:
            log.exception("hanging up failed")
        return reason

    # -- time ---------------------------------------------------------------------------

    def _next_timer(self):
        deadlines = [self._max_call_at]
        caller, config = self._caller, self.config
        if caller.parts:
            deadlines.append(self._last_activity + CALLER_TURN_TIMEOUT_S)
        if caller.held_until is not None:
            deadlines.append(caller.held_until)
        if config.barge_in_vad_only_s is not None and caller.onset is not None and caller.started_at is None:
            deadlines.append(caller.onset + config.barge_in_vad_only_s)
        if self._paused is not None:
            deadlines.append(self._resume_at())
        reply = self._reply
        if reply is not None and not reply.closed and reply.task.done():
            deadlines.append(self.pacer.played_until + config.mark_grace_s)
        if (silence := self._silence_deadline()) is not None:
            deadlines.append(silence)
        if self._keypad.deadline is not None:
            deadlines.append(self._keypad.deadline)
        return max(0.0, min(deadlines) - self.clock())

    def _resume_at(self):
        """A paused reply resumes at `until`, unless the engine has yet to end the caller's utterance:
        its words come only after endpointing, and late under load, so they are waited for a while."""
        return self._paused.until + (BARGE_IN_WORDS_WAIT_S if self._caller.hearing else 0.0)

    def _silence_deadline(self):
        if self._state is not CallState.TALKING or self._agent_busy() or self._caller.parts or self._keypad.keying:
            return None
        return max(self._last_activity, self._quiet_since) + self.config.silence_reprompt_s

    async def _on_timer(self):
        now, caller, config = self.clock(), self._caller, self.config
        if now >= self._max_call_at:
            overrun = now >= self._started_at + config.max_call_s + MAX_CALL_OVERRUN_S
            if self._state is CallState.TALKING and (overrun or not self._agent_busy()):
                return await self._say_goodbye(config.max_call_goodbye, "max_call_length")
            self._max_call_at = now + 1.0  # let the current reply (or transfer) finish first
        held_out = caller.held_until is not None and now >= caller.held_until
        if caller.parts and (now >= self._last_activity + CALLER_TURN_TIMEOUT_S or held_out):
            await self._end_caller_turn(now)
        if self._state is CallState.TALKING and (keyed := self._keypad.expire(now)) is not None:
            await self._keyed(keyed, now)
        vad_only = config.barge_in_vad_only_s
        if vad_only is not None and caller.onset is not None and caller.started_at is None:
            if now >= caller.onset + vad_only:
                if self._can_interrupt():
                    await self._interrupt(self._reply, at=caller.onset, trigger="vad")
                caller.onset = None
        if self._paused is not None and now >= self._resume_at():
            await self._resume()
        self._close_reply_if_heard()
        silence = self._silence_deadline()
        if silence is not None and now >= silence:
            if self._reprompts >= config.max_reprompts:
                return await self._say_goodbye(config.silence_goodbye, "silence")
            self._reprompts += 1
            self.recorder.event("reprompt", count=self._reprompts)
            self._start_reply(lambda reply: reply.say(config.reprompt), interruptible=True)
        return None

    # -- bookkeeping --------------------------------------------------------------------

    def _stt_send_failed(self, exc):
        self._vendor_failed("stt", exc)

    def _vendor_failed(self, stage, exc):
        vendor = exc.vendor if isinstance(exc, VendorError) else stage
        log.warning("%s failed: %s", stage, exc)
        self.recorder.event("vendor_error", vendor=vendor, stage=stage, message=str(exc))

    def _spawn(self, coro, name):
        return self._track(asyncio.create_task(coro, name=name))

    def _track(self, task):
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _shut_down(self, reason):
        """The shutdown task (started once): whoever asked may be cancelled, it still completes."""
        if self._closing is None:
            self.reason = self.reason or reason
            self._state = CallState.OVER
            self._closing = asyncio.create_task(self._finalize(), name="voice-session-stop")
        return self._closing

    async def _finalize(self):
        try:
            running = (self._main, *self._tasks, *self.tool_runner.tasks)
            tasks = [t for t in running if t is not None and not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
                for task in stuck:
                    log.error("task %s did not stop when cancelled", task.get_name())
            for played_on in self._playing_on:
                played_on.record_heard(interrupted=played_on.unheard())
            reply = self._reply
            if reply is not None and not reply.closed:
                reply.close(interrupted=reply.unheard())
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.stt.close(), STOP_WAIT_S)
            duration_s = round(self.clock() - self._started_at, 3)
            self.recorder.event("usage", stream_s=duration_s, **self.usage.as_dict())
            self.recorder.event("ended", reason=self.reason, duration_s=duration_s)
        except Exception:
            log.exception("stopping the voice session failed")


@dataclass
class Pause:
    reply: object
    onset: float  # when the caller's sound began (SpeechStarted)
    cleared_at: float | None  # when `clear` went out (None: nothing was queued)
    until: float  # resume then unless real words came
    reply_done: bool = False  # the reply finished while paused


# how the session's error record names the stage an inbox event belongs to
_STAGES = {
    Heard: "stt",
    HearingFailed: "stt_failed",
    MarkEcho: "mark",
    KeyPress: "dtmf",
    ReplyDone: "reply_done",
    TimerDue: "timer",
}
