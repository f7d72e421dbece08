"""The latency record of a turn starts at the end of the caller's speech: the time the engine
gives for it (offline recognition knows it from its VAD), else when its last final came in
(Deepgram's endpointing sends the final as the caller stops)."""

import asyncio
import time

from calls.tests.voice_doubles import Call
from calls.voice.stt.base import Transcript, UtteranceEnd


def hears(call, event):
    """The speech engine reports `event` (ScriptedSTT's helpers make finals without an end of speech)."""
    call.stt._events.put_nowait(event)


async def test_the_end_of_speech_the_engine_reports_starts_the_turns_latency():
    async with Call(["Sure thing."]) as call:
        await call.greeted()
        now = time.monotonic()
        call.stt.speech_started()
        hears(call, Transcript("Can you help me?", is_final=True, speech_final=True, at=now, speech_ended_at=now - 0.3))
        await call.replied(2)
        (latency,) = call.recorder.latencies
        assert (latency["speech_end"], latency["stt_final"]) == (now - 0.3, now)


async def test_without_one_the_last_final_transcript_starts_it_as_before():
    async with Call(["Sure thing."]) as call:
        await call.greeted()
        call.stt.speech_started()
        final_at = time.monotonic()
        hears(call, Transcript("Can you help me?", is_final=True, speech_final=False, at=final_at))
        await asyncio.sleep(0.05)
        turn_end_at = time.monotonic()
        hears(call, UtteranceEnd(at=turn_end_at))
        await call.replied(2)
        (latency,) = call.recorder.latencies
        assert (latency["speech_end"], latency["stt_final"]) == (final_at, turn_end_at)
