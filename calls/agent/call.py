"""One call with the receptionist, from the stream's start to the filed record.

The Twilio consumer only connects it: `start()` when the stream says which call it is, then
`hear()`, `mark()` and `key()` as Twilio's frames arrive, and `end()` however the call ends.
Here the call's data is loaded (in one database trip), its parts are built (the transcript log,
the tape, the tools bound to the caller, the engines, the voice session), and at the end
they are stopped in order and the call is filed from its CallOutcome.
"""

import asyncio
import logging
import time
from dataclasses import dataclass, replace

from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from calls import actions
from calls.agent.engines import engines_for_call
from calls.agent.greeting import voice_config
from calls.agent.outcome import CallOutcome
from calls.agent.tools import CallTools
from calls.call_audio import tape_for_call
from calls.models import Call
from calls.transcript_log import CallRecorder
from calls.voice.session import VoiceSession
from crm.actions import find_customer_by_phone
from ottos.lib import metrics
from scheduling.shop_info import active_service_names, shop_profile
from scheduling.shop_settings import settings_of

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 3.0
RECORDER_FLUSH_TIMEOUT_S = 3.0


def _in_db_thread(fn):
    return database_sync_to_async(fn, thread_sensitive=False)


# A call that ends while the database is unreachable is filed once it is back: retried in the
# background for up to FILING_RETRY_FOR_S. The end of the call waits at most FILING_WAIT_S for it.
FILING_RETRY_FOR_S = 60.0
FILING_WAIT_S = 3.0
_filings = set()  # filings under way (held, so that a background one is not collected)


async def file_finished_call(call_sid, **filing):
    """File the finished call (actions.finish_call), with the time it really ended. A database that
    is down or slow neither holds up the end of the call nor loses the filing: it carries on in the
    background, and is counted as lost only if the database never comes back."""
    filing.setdefault("ended_at", timezone.now())
    task = asyncio.ensure_future(_file(call_sid, filing))
    _filings.add(task)
    task.add_done_callback(_filings.discard)
    try:
        await asyncio.wait_for(asyncio.shield(task), FILING_WAIT_S)
    except TimeoutError:
        logger.warning("Call %s: filing the call is slow; it goes on in the background", call_sid)


async def _file(call_sid, filing):
    give_up_at, wait = None, 0.25
    while True:
        try:
            await _in_db_thread(actions.finish_call)(call_sid, **filing)
        except (OperationalError, InterfaceError) as exc:
            if give_up_at is None:
                give_up_at = time.monotonic() + FILING_RETRY_FOR_S
                logger.warning(
                    "Call %s: the database is unreachable (%s); filing the call when it is back",
                    call_sid,
                    type(exc).__name__,
                )
            remaining = give_up_at - time.monotonic()
            if remaining <= 0:
                metrics.call_records_dropped("unreachable")
                logger.error(
                    "Call %s: the database stayed unreachable for %.0f s; the call was not filed",
                    call_sid,
                    FILING_RETRY_FOR_S,
                )
                return
            await asyncio.sleep(min(wait, remaining))
            wait = min(wait * 2, 4.0)
            continue
        except Exception:
            logger.exception("Call %s: could not file the finished call", call_sid)
            return
        if give_up_at is not None:
            logger.warning("Call %s: the database is back; the call is filed", call_sid)
        return


@dataclass(frozen=True)
class CallData:
    """Everything a call needs from the database, loaded once when its stream starts."""

    call: object  # calls.models.Call
    phone: str | None  # the caller's E.164 number; None when caller ID is withheld
    customer: object  # crm.models.Customer | None
    shop: object  # scheduling.models.ShopProfile
    service_names: tuple

    @property
    def shop_settings(self):
        """The shop's settings for this call: its Settings page, the environment filling the blanks."""
        return settings_of(self.shop)


def load_call_data(call_sid, stream_sid, caller):
    call = actions.stream_started(call_sid, stream_sid)
    phone = actions.caller_phone(caller)
    customer = find_customer_by_phone(phone) if phone else None
    return CallData(call, phone, customer, shop_profile(), tuple(active_service_names()))


def call_vocabulary(data):
    """What the caller is likely to say that a recognizer may not know: the shop's services and,
    when caller ID finds them, their own name."""
    return (*data.service_names, *([data.customer.name] if data.customer and data.customer.name else []))


def hearing_goodbye(advisor_number):
    """What the agent says when it cannot hear the caller any more: the stream-ended webhook then
    puts them through to an advisor, or to the voicemail (calls/telephony/webhooks.py)."""
    if advisor_number:
        return "I'm sorry, I'm having trouble hearing you. Let me put you through to a service advisor."
    return "I'm sorry, I'm having trouble hearing you. Let me take you to our voicemail."


class CallLine:
    """The transport the session speaks through: it tapes the agent's side when the call is
    recorded, and notes why the call ends before it closes the stream."""

    def __init__(self, transport, tape, note_end):
        self._transport = transport
        self._tape = tape
        self._note_end = note_end

    async def send_audio(self, mulaw):
        await self._transport.send_audio(mulaw)
        if self._tape is not None:
            self._tape.agent_frame(mulaw)

    async def send_mark(self, name):
        await self._transport.send_mark(name)

    async def send_clear(self):
        await self._transport.send_clear()
        if self._tape is not None:
            self._tape.agent_cleared()

    async def hang_up(self):
        await self._note_end()
        await self._transport.hang_up()


class AgentCall:
    """`transport`: the stream's CallTransport. `on_over()`: awaited once the call is filed if
    the conversation ended by itself (the agent hung up, the session failed): close the stream."""

    def __init__(self, *, call_sid, stream_sid, transport, on_over):
        self.call_sid = call_sid
        self.stream_sid = stream_sid
        self.outcome = CallOutcome()
        self.session = self.tape = self.recorder = self.engines = None
        self._transport = transport
        self._on_over = on_over
        self._run = None
        self._ending = None

    async def start(self, caller):
        """Load the call, build its parts and start the conversation. Raises if it cannot start."""
        data = await _in_db_thread(load_call_data)(self.call_sid, self.stream_sid, caller)
        if self._ending is not None:  # the stream went while the call was loading: nobody to talk to
            return
        tz = data.shop.tz
        shop = data.shop_settings
        self.tape = tape_for_call(data.call.pk, self.call_sid, recording=shop.recording_enabled)
        self.recorder = CallRecorder(call_id=data.call.pk, call_sid=self.call_sid, outcome=self.outcome)
        self.recorder.start()
        self.recorder.event("started", caller=caller, customer=data.customer.name if data.customer else None)
        tools = CallTools(
            call_sid=self.call_sid,
            caller_phone=data.phone,
            service_names=data.service_names,
            timezone=tz,
            outcome=self.outcome,
            advisor_number=shop.advisor_number,
        )
        self.engines = engines_for_call(
            timezone=tz, record_event=self.recorder.event, vocabulary=call_vocabulary(data), voice=shop.voice
        )
        transport = CallLine(self._transport, self.tape, self._note_end)
        self.session = VoiceSession(
            stt=self.engines.stt,
            tts=self.engines.tts,
            brain=self.engines.brain,
            tools=tools,
            transport=transport,
            recorder=self.recorder,
            config=replace(
                voice_config(shop=shop, customer=data.customer),
                hearing_goodbye=hearing_goodbye(shop.advisor_number),
            ),
        )
        self._run = asyncio.create_task(self.session.run(), name=f"voice-session-{self.call_sid}")
        self._run.add_done_callback(self._session_over)

    # --- Twilio -> the conversation -----------------------------------------------------------

    def hear(self, audio):
        if self.session is None or not audio:
            return
        self.session.feed_audio(audio)
        if self.tape is not None:
            self.tape.caller_frame(audio)

    def mark(self, name):
        if self.session is not None:
            self.session.on_mark(name)

    def key(self, digit):
        if self.session is not None:
            self.session.on_dtmf(digit)

    # --- ending -------------------------------------------------------------------------------

    async def end(self, reason):
        """Stop the conversation and file the call, once, however the call ends."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._finish(reason))
        await asyncio.shield(self._ending)

    async def stream_broke(self):
        """The stream went without Twilio's stop (the caller may still be on the line): end the call."""
        if self._ending is None and not (self.session is not None and self.session.reason):
            await self._note_end("stream_error")
        await self.end("stream_error")

    async def _note_end(self, reason=None):
        """Write why the call is ending before the stream closes (the session's reason when it
        hangs up): Twilio then asks the stream-ended webhook what to do with the caller at once."""
        reason = self._why_it_ended(reason or "agent_ended")
        try:
            await _in_db_thread(actions.note_end_reason)(self.call_sid, reason)
        except Exception:
            logger.exception("Call %s: could not note why the call ends", self.call_sid)

    async def fail(self, why):
        """The agent cannot go on: note it, so the stream-ended webhook hands the caller to a person."""
        try:
            await _in_db_thread(actions.mark_agent_failed)(self.call_sid, why)
        except Exception:
            logger.exception("Call %s: could not note the failure", self.call_sid)

    def _session_over(self, task):
        reason = "ended"
        if task.cancelled():
            reason = "cancelled"
        elif task.exception() is not None:
            logger.error("Call %s: the voice session failed", self.call_sid, exc_info=task.exception())
            reason = "agent_error"
        elif task.result() == "error":
            reason = "agent_error"
        elif isinstance(task.result(), str) and task.result():
            reason = task.result()
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._over(reason))

    async def _over(self, reason):
        if reason == "agent_error":
            await self.fail("the voice session failed")
        await self._finish(reason)
        await self._on_over()

    def _why_it_ended(self, reason):
        """The first cause wins: the session's own reason (a goodbye, silence, the time limit, a
        hand-over) when it had one before the stream closed, else what the stream said."""
        told = self.session.reason if self.session is not None else None
        reason = {"error": "agent_error"}.get(told, told) or reason
        if reason in ("caller_hung_up", "stream_error") and Call.Outcome.TRANSFERRED in self.outcome.achieved:
            return "transferred"  # Twilio took the caller to the advisor before the session heard back
        return reason

    async def _finish(self, reason):
        if self._run is not None and not self._run.done():
            try:
                await asyncio.wait_for(self.session.stop(reason), STOP_TIMEOUT_S)
            except Exception:
                logger.exception("Call %s: the voice session did not stop cleanly", self.call_sid)
            if not self._run.done():
                self._run.cancel()
                await asyncio.wait({self._run}, timeout=1.0)
        if self.tape is not None:
            self.tape.save_in_background()  # no more agent audio; the file copy does not hold up the call's end
        if self.engines is not None:
            try:
                await asyncio.wait_for(self.engines.close(), STOP_TIMEOUT_S)
            except Exception:
                logger.warning("Call %s: closing the engines failed", self.call_sid, exc_info=True)
        if self.recorder is not None:
            await self.recorder.close(timeout=RECORDER_FLUSH_TIMEOUT_S)
        await file_finished_call(self.call_sid, end_reason=self._why_it_ended(reason), **self.outcome.filing())
