"""The transcript log (CallRecorder): one call's turns, tool calls, latencies, events and, at its
end, what it used of each vendor (the session's "usage" event, kept as the call's CallUsage), written
off the audio path. (The call's audio is calls/call_audio.py.)

The voice session calls the recording methods from its audio loop, so they only queue: one
background task writes batches to the database from a worker thread, another publishes live
events to the channel layer (groups f"call-{call_sid}" and "live-calls", type "call.event")
for anyone following calls from another process. A failing database or Redis is logged and
skipped; it never slows or ends the call.

While the database is unreachable (a PostgreSQL restart, a failover) the writer keeps its batch
and retries it with backoff for up to RETRY_FOR_S; what the call records meanwhile waits in the
queue, at most MAX_PENDING rows. Records that are given up on are logged and counted in
ottos_call_records_dropped_total{reason}. A call that ends during the outage leaves its writer to
finish in the background.
"""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import InterfaceError, OperationalError, transaction

from calls.voice.clock import ms_between
from ottos.lib import metrics

from .models import CallEvent, CallUsage, ToolInvocation, Turn, TurnLatency

logger = logging.getLogger(__name__)

LIVE_CALLS_GROUP = "live-calls"
MAX_PENDING = 5000
PUBLISH_TIMEOUT_S = 1.0
# How long one batch is retried while the database cannot be reached, and the waits in between.
RETRY_FOR_S = 30.0
FIRST_RETRY_WAIT_S = 0.25
MAX_RETRY_WAIT_S = 4.0
# What a database restart or failover raises (a pooled connection it broke, a refused connection,
# the pool's timeout); anything else is a problem with the records themselves.
_UNREACHABLE = (OperationalError, InterfaceError)
_STOP = object()
# Writers still emptying their queue after their call ended (a reference, so they are not collected).
_finishing = set()


def call_group(call_sid):
    return f"call-{call_sid}"


RECORDED_CHARS = 10_000


def _cut(text):
    return (
        text
        if len(text) <= RECORDED_CHARS
        else text[:RECORDED_CHARS] + f" [... {len(text) - RECORDED_CHARS} more characters cut]"
    )


def _plain(data):
    """JSON-safe copy of event data (vendor errors hand us exceptions and the like)."""
    return json.loads(json.dumps(data, default=str))


class CallRecorder:
    def __init__(self, *, call_id, call_sid, outcome=None, channel_layer=None, clock=time.monotonic):
        self.call_id = call_id
        self.call_sid = call_sid
        self.channel_layer = channel_layer if channel_layer is not None else get_channel_layer()
        self._clock = clock
        self._wall0, self._mono0 = time.time(), clock()
        self._rows = asyncio.Queue()
        self._live = asyncio.Queue()
        self._tasks = []
        self._next_index = 0
        self._overflowed = 0
        # The call's CallOutcome (calls/agent/outcome.py) counts the caller's turns and the
        # interruptions; the call is filed from it.
        self.outcome = outcome
        self.last_caller_turn = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self):
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._write_rows(), name=f"recorder-db-{self.call_sid}"),
            loop.create_task(self._publish_live(), name=f"recorder-live-{self.call_sid}"),
        ]
        metrics.call_started()

    async def close(self, timeout=5.0):
        """Write what is queued, then stop. Waits at most `timeout` seconds: a writer still
        retrying an unreachable database after that carries on in the background."""
        if not self._tasks:
            return
        self._rows.put_nowait(_STOP)
        self._live.put_nowait(_STOP)
        writer, publisher = self._tasks
        await asyncio.wait(self._tasks, timeout=timeout)
        if not writer.done():
            # The database is slow or down: the writer goes on by itself, within its own bounds.
            logger.warning(
                "Call %s: call records still being written %.0f s after the call; finishing in the background",
                self.call_sid,
                timeout,
            )
            _finishing.add(writer)
            writer.add_done_callback(_finishing.discard)
        if not publisher.done():
            publisher.cancel()
            await asyncio.wait({publisher})
        self._tasks = []
        metrics.call_ended()

    # --- CallRecorder protocol (never blocks, never raises) --------------------------------

    def turn(self, *, role, text, heard_text, interrupted, started_at, ended_at):
        index = self._next_index
        self._next_index += 1
        if role == Turn.Role.CALLER:
            self.last_caller_turn = index
            if self.outcome is not None:
                self.outcome.caller_said(text)
        if interrupted and self.outcome is not None:
            self.outcome.interrupted()
        metrics.turn_recorded(role)
        self._queue(
            Turn(
                call_id=self.call_id,
                index=index,
                role=role,
                text=text,
                heard_text=heard_text or "",
                interrupted=bool(interrupted),
                started_at=self._when(started_at),
                ended_at=self._when(ended_at),
            ),
            "turn",
            {"index": index, "role": role, "text": text, "heard_text": heard_text, "interrupted": bool(interrupted)},
        )

    def tool(self, *, name, arguments, result, ok, duration_ms):
        if not ok:
            metrics.tool_failed(name)
        # A model can send anything: a name past the column's width would lose the row, and a
        # megabyte of arguments has no place on a manager's transcript page.
        name, arguments, result = name[:60], _cut(arguments), _cut(result)
        self._queue(
            ToolInvocation(
                call_id=self.call_id,
                name=name,
                arguments=arguments,
                result=result,
                ok=bool(ok),
                duration_ms=float(duration_ms),
                at=self._when(self._clock()),
            ),
            "tool",
            {"name": name, "arguments": arguments, "result": result, "ok": bool(ok), "duration_ms": duration_ms},
        )

    def latency(self, *, speech_end, stt_final, llm_first_token, tts_first_byte, first_audio_sent):
        figures = {
            "stt_final_ms": ms_between(speech_end, stt_final),
            "llm_first_token_ms": ms_between(stt_final, llm_first_token),
            "tts_first_byte_ms": ms_between(llm_first_token, tts_first_byte),
            "first_audio_ms": ms_between(tts_first_byte, first_audio_sent),
            "voice_to_voice_ms": ms_between(speech_end, first_audio_sent),
        }
        turn_index = self.last_caller_turn if self.last_caller_turn is not None else self._next_index
        figures["stt_final_ms"] = figures["stt_final_ms"] or 0.0
        if figures["voice_to_voice_ms"] is not None:
            metrics.voice_to_voice(figures["voice_to_voice_ms"] / 1000)
        self._queue(
            TurnLatency(call_id=self.call_id, turn_index=turn_index, at=self._when(self._clock()), **figures),
            "latency",
            {"turn_index": turn_index, **figures},
        )

    def event(self, kind, **data):
        try:
            data = _plain(data)
        except (TypeError, ValueError):
            data = {"unreadable": repr(data)}
        if kind == "usage":  # the session's count of what the call used: the call's usage row
            try:
                row = CallUsage.from_counts(self.call_id, data)
            except (AttributeError, TypeError, ValueError):
                logger.exception("Call %s: unreadable usage %r", self.call_sid, data)
                return
            self._queue(row, kind, data)
            return
        metrics.call_event(kind, data)
        self._queue(
            CallEvent(call_id=self.call_id, kind=kind[:40], data=data, at=self._when(self._clock())), kind, data
        )

    # --- inside ---------------------------------------------------------------------------

    def _when(self, monotonic_s):
        return datetime.fromtimestamp(self._wall0 + (monotonic_s - self._mono0), tz=UTC)

    def _queue(self, row, kind, live_data):
        if self._rows.qsize() >= MAX_PENDING:
            self._overflowed += 1
            metrics.call_records_dropped("overflow")
            if self._overflowed == 1:
                logger.error(
                    "Call %s: %d call records waiting for the database; dropping new ones", self.call_sid, MAX_PENDING
                )
            return
        self._rows.put_nowait(row)
        if self._live.qsize() < MAX_PENDING:  # Redis that hangs: the live page misses some, nothing piles up
            self._live.put_nowait({"kind": kind, "data": live_data, "at": time.time()})

    async def _write_rows(self):
        stopping = False
        while not stopping:
            batch = [await self._rows.get()]
            while not self._rows.empty():
                batch.append(self._rows.get_nowait())
            if batch[-1] is _STOP or _STOP in batch:
                stopping = True
                batch = [row for row in batch if row is not _STOP]
            if batch:
                await self._write(batch)

    async def _write(self, batch):
        give_up_at, wait = None, FIRST_RETRY_WAIT_S
        while True:
            try:
                await database_sync_to_async(_save_rows, thread_sensitive=False)(batch)
            except _UNREACHABLE as exc:
                if give_up_at is None:
                    give_up_at = time.monotonic() + RETRY_FOR_S
                    logger.warning(
                        "Call %s: the database is unreachable (%s); keeping %d call records and retrying "
                        "for up to %.0f s",
                        self.call_sid,
                        type(exc).__name__,
                        len(batch),
                        RETRY_FOR_S,
                    )
                remaining = give_up_at - time.monotonic()
                if remaining <= 0:
                    metrics.call_records_dropped("unreachable", len(batch))
                    logger.error(
                        "Call %s: the database stayed unreachable for %.0f s; %d call records are lost",
                        self.call_sid,
                        RETRY_FOR_S,
                        len(batch),
                    )
                    return
                # database_sync_to_async closes the broken connection, so the next try opens a new one.
                await asyncio.sleep(min(wait, remaining))
                wait = min(wait * 2, MAX_RETRY_WAIT_S)
                continue
            except Exception:
                await self._write_one_by_one(batch)
                return
            if give_up_at is not None:
                logger.warning("Call %s: the database is back; %d call records written", self.call_sid, len(batch))
            return

    async def _write_one_by_one(self, batch):
        logger.warning(
            "Call %s: saving %d call records failed; retrying one by one", self.call_sid, len(batch), exc_info=True
        )
        await asyncio.sleep(0.2)
        try:
            lost = await database_sync_to_async(_save_rows_one_by_one, thread_sensitive=False)(batch)
        except Exception:
            lost = len(batch)
        if lost:
            metrics.call_records_dropped("unsavable", lost)
            logger.error("Call %s: %d call records could not be saved and are lost", self.call_sid, lost)

    async def _publish_live(self):
        if self.channel_layer is None:
            while await self._live.get() is not _STOP:
                pass
            return
        while (item := await self._live.get()) is not _STOP:
            message = {"type": "call.event", "call_sid": self.call_sid, **item}
            for group in (call_group(self.call_sid), LIVE_CALLS_GROUP):
                try:
                    await asyncio.wait_for(self.channel_layer.group_send(group, message), PUBLISH_TIMEOUT_S)
                except Exception:
                    logger.warning("Call %s: live event to %s not published", self.call_sid, group, exc_info=True)


# database_sync_to_async closes unusable (and, with CONN_MAX_AGE=0, all) connections around these.
def _save_rows(batch):
    by_model = {}
    for row in batch:
        by_model.setdefault(type(row), []).append(row)
    with transaction.atomic():
        for model, rows in by_model.items():
            model.objects.bulk_create(rows)


def _save_rows_one_by_one(batch):
    lost = 0
    for row in batch:
        try:
            row.save(force_insert=True)
        except Exception:
            logger.exception("Could not save %r", row)
            lost += 1
    return lost
