"""The voice session never crashes and never goes silent: vendor failures, silence, time limits."""

import asyncio
import time

from calls.tests.voice_doubles import Call, Recorder, ScriptedSTT, ToneTTS
from calls.voice.errors import VendorError


def first_frame_after(line, moment):
    return next(at for at, _ in line.frames if at > moment)


async def test_a_brain_failure_is_answered_with_an_apology_and_an_offer_to_take_a_message():
    failure = VendorError("openai", "429 after retries", retryable=True)
    async with Call([failure], ["Sure, what's the message?"]) as call:
        await call.greeted()
        finished_speaking = time.monotonic()
        call.stt.says("Can you book me in?")
        await call.replied(2)
        assert call.tts.requests[-2:] == [
            "I'm sorry, I'm having trouble on my end right now.",
            "Would you like me to take a message so someone from the shop can call you back?",
        ]
        assert first_frame_after(call.line, finished_speaking) - finished_speaking < 3.0
        (error,) = call.recorder.events_of("vendor_error")
        assert (error["vendor"], error["stage"], error["retryable"]) == ("openai", "brain", True)
        assert call.session.history[-1] == {"role": "assistant", "content": call.config.brain_apology}
        call.stt.says("Yes please.")
        await call.replied(3)
        assert call.brain.calls[1][0][-1] == {"role": "user", "content": "Yes please."}


async def test_a_brain_failure_mid_reply_keeps_what_was_said_and_apologises():
    failure = VendorError("openai", "stream dropped", retryable=True)
    async with Call(["Let me see. Your car is", failure]) as call:
        await call.greeted()
        call.stt.says("Is my car ready?")
        await call.replied(2)
        assert "Your car is" not in call.tts.requests  # a broken sentence is not spoken
        assert call.session.history[-2:] == [
            {"role": "assistant", "content": "Let me see."},
            {"role": "assistant", "content": call.config.brain_apology},
        ]


async def test_a_silent_brain_gets_a_filler_then_an_apology():
    async with Call([10.0, "Too late."], slow_brain_filler_s=0.15, brain_stall_s=0.4) as call:
        await call.greeted()
        asked = time.monotonic()
        call.stt.says("Hello?")
        await call.replied(2)
        assert call.tts.requests[2] == "One moment, please."
        assert call.tts.requests[3:] == [
            "I'm sorry, I'm having trouble on my end right now.",
            "Would you like me to take a message so someone from the shop can call you back?",
        ]
        assert first_frame_after(call.line, asked) - asked < 0.5
        assert call.brain.abandoned == 1
        assert call.recorder.events_of("vendor_error")[0]["stage"] == "brain"


async def test_a_sentence_the_tts_cannot_say_is_skipped_and_the_rest_is_spoken():
    tts = ToneTTS(failing={"Your total is one hundred dollars."})
    script = ["Your car is ready. Your total is one hundred dollars. See you soon."]
    async with Call(script, tts=tts) as call:
        await call.greeted()
        call.stt.says("Is my car ready?")
        await call.replied(2)
        assert call.line.marks_sent[-2:] == ["t2-s1", "t2-s3"]
        assert call.session.history[-1] == {"role": "assistant", "content": "Your car is ready. See you soon."}
        (error,) = call.recorder.events_of("vendor_error")
        assert (error["stage"], error["text"]) == ("tts", "Your total is one hundred dollars.")


async def test_when_the_transcripts_stop_the_caller_is_told_and_the_call_ends():
    async with Call() as call:
        await call.greeted()
        call.stt.fail(VendorError("deepgram", "socket closed, reconnect failed", retryable=False))
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "stt_failed"
        assert call.tts.requests[-1] == "Goodbye!"
        assert call.line.marks_sent[-1] in call.line.heard_marks
        assert call.line.hung_up_at is not None
        assert call.recorder.events_of("vendor_error")[0]["vendor"] == "deepgram"


async def test_when_speech_recognition_cannot_start_the_caller_still_hears_something():
    stt = ScriptedSTT(start_error=VendorError("deepgram", "401", retryable=False))
    async with Call(stt=stt) as call:
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "stt_failed"
        assert "Please call the shop back in a moment." in call.tts.requests
        assert call.line.hung_up_at is not None


async def test_silence_is_reprompted_twice_then_the_agent_says_goodbye_and_hangs_up():
    async with Call(silence_reprompt_s=0.1) as call:
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "silence"
        assert call.tts.requests[2:] == [
            "Are you still there?",
            "Are you still there?",
            "I haven't heard from you, so I'll hang up now.",
            "Please call back any time.",
            "Goodbye!",
        ]
        assert [kind for kind, _ in call.recorder.events if kind == "reprompt"] == ["reprompt", "reprompt"]
        assert call.line.hung_up_at is not None


async def test_the_caller_answering_a_reprompt_resets_the_count():
    async with Call(["Great, how can I help?"], silence_reprompt_s=0.2) as call:
        await call.until(lambda: call.tts.requests.count("Are you still there?") == 1)
        call.stt.says("Yes, sorry.")
        await call.until(lambda: call.recorder.events_of("reprompt") == [{"count": 1}, {"count": 1}])
        assert not call.task.done()


async def test_the_call_is_closed_politely_at_the_time_limit():
    async with Call(max_call_s=0.4) as call:
        await asyncio.wait({call.task}, timeout=3)
        assert call.task.result() == "max_call_length"
        assert call.tts.requests[-1] == "Goodbye!"
        assert call.line.hung_up_at is not None


async def test_a_recorder_that_breaks_does_not_break_the_call():
    class BrokenRecorder(Recorder):
        def turn(self, **fields):
            raise RuntimeError("database is down")

    async with Call(["Still here."], recorder=BrokenRecorder()) as call:
        await call.until(lambda: call.line.heard_marks[-1:] == ["t1-s2"])
        call.stt.says("Hello?")
        await call.until(lambda: call.line.heard_marks[-1:] == ["t2-s1"])
        assert call.tts.requests[-1] == "Still here."


async def test_caller_audio_reaches_speech_recognition_without_blocking():
    async with Call() as call:
        for _ in range(10):
            call.session.feed_audio(b"\xff" * 160)
        await call.until(lambda: len(call.stt.audio) == 1600)


async def test_stop_before_the_greeting_ends_cleanly():
    tts = ToneTTS(first_byte_s=0.5)
    async with Call(tts=tts) as call:
        await asyncio.sleep(0.05)
        assert await call.session.stop("caller_hung_up") == "caller_hung_up"
        await asyncio.wait({call.task}, timeout=1)
        assert call.task.result() == "caller_hung_up"
        assert call.tts.abandoned == ["Thanks for calling Otto's."]
        assert call.line.frames == []
