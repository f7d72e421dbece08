"""What a call uses of each vendor is counted where it happens: OpenAI's tokens from its stream
(the real SDK against the fake), caller audio sent to speech recognition and characters sent to
speech synthesis per engine (a session with the Deepgram and OpenAI fakes), and the transcript
log keeps the count with the call."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from calls.agent.outcome import CallOutcome
from calls.models import Call, CallEvent, CallUsage
from calls.tests.voice_doubles import Call as SessionCall
from calls.tests.voice_doubles import ScriptedSTT, ToneTTS
from calls.transcript_log import CallRecorder
from calls.voice.audio import PHONE_RATE
from calls.voice.llm.base import Done, TextDelta, TokenUsage
from calls.voice.llm.openai import OpenAIBrain
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.tts.deepgram import DeepgramTTS
from calls.voice.tts.failover import FailoverTTS
from fakes.deepgram import in_frames, silence, spoken
from fakes.openai import FakeOpenAI, text

HISTORY = [
    {"role": "system", "content": "You are the receptionist."},
    {"role": "user", "content": "Can I get an oil change on Tuesday?"},
]


def fake_prompt_tokens(messages):
    return sum(len(json.dumps(m)) // 4 for m in messages)  # how the fake counts them


# -- the language model: tokens from OpenAI's stream ---------------------------------------------


async def test_the_openai_brain_reports_the_rounds_usage_on_done(openai):
    brain = OpenAIBrain(openai.api_key, openai.base_url, model="gpt-4.1-mini", timeout_s=1.0)
    try:
        openai.script(text("Sure. Tuesday at nine works."))
        events = [event async for event in brain.respond(HISTORY, [])]
    finally:
        await brain.close()
    deltas = [e for e in events if isinstance(e, TextDelta)]
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop"
    assert done.usage == TokenUsage("openai", "gpt-4.1-mini", fake_prompt_tokens(HISTORY), len(deltas))


async def test_a_server_that_does_not_report_usage_leaves_the_tokens_unknown_not_zero():
    with FakeOpenAI(sends_usage=False) as fake:
        brain = OpenAIBrain(fake.api_key, fake.base_url, timeout_s=1.0)
        try:
            fake.script(text("Sure."))
            events = [event async for event in brain.respond(HISTORY, [])]
        finally:
            await brain.close()
    assert fake.requests[-1].body["stream_options"] == {"include_usage": True}
    assert events[-1].usage.vendor == "openai"
    assert (events[-1].usage.prompt_tokens, events[-1].usage.completion_tokens) == (None, None)


# -- a call through the session with the vendor fakes ---------------------------------------------


async def test_a_call_with_the_vendor_fakes_counts_audio_seconds_characters_and_tokens(deepgram, openai):
    deepgram.stt.script(["I need an oil change"])
    openai.script(text("Sure, when would you like to come in?"))
    stt = DeepgramSTT(deepgram.api_key, deepgram.base_url)
    tts = DeepgramTTS(deepgram.api_key, deepgram.base_url)
    brain = OpenAIBrain(openai.api_key, openai.base_url, model="gpt-4.1-mini", timeout_s=2.0)
    audio = silence(0.2) + spoken("I need an oil change") + silence(1.2)
    try:
        async with SessionCall(
            stt=stt,
            tts=tts,
            brain=brain,
            greeting="Thanks for calling Otto's.",
            recording_disclosure="",
            quiet_after_s=None,
        ) as call:
            await call.greeted()
            for frame in in_frames(audio):
                call.session.feed_audio(frame)
                await asyncio.sleep(0)
            await call.replied(2, timeout=10)
    finally:
        await tts.close()
        await brain.close()

    (usage,) = call.recorder.events_of("usage")
    assert usage["stt_seconds"] == {"deepgram": pytest.approx(len(audio) / PHONE_RATE, abs=0.001)}
    spoken_by_agent = ["Thanks for calling Otto's.", "Sure, when would you like to come in?"]
    assert usage["tts_characters"] == {"deepgram": sum(len(t) for t in spoken_by_agent)}
    request = openai.requests[-1]
    assert usage["prompt_tokens"] == {"openai": fake_prompt_tokens(request.messages)}
    assert usage["completion_tokens"]["openai"] > 0 and usage["brain_rounds"] == {"openai": 1}
    assert usage["models"] == ["gpt-4.1-mini"]
    assert usage["stream_s"] > 0
    assert [kind for kind, _ in call.recorder.events][-2:] == ["usage", "ended"]


async def test_offline_engines_are_counted_as_offline():
    async with SessionCall(["We open at eight."], greeting="Hi.", recording_disclosure="", quiet_after_s=None) as call:
        await call.greeted()
        call.session.feed_audio(b"\xff" * 1600)
        call.stt.says("When are you open?")
        await call.replied(2)
        await call.until(lambda: len(call.stt.audio) == 1600)
    (usage,) = call.recorder.events_of("usage")
    assert usage["stt_seconds"] == {"voice_doubles": 0.2}  # engines without a vendor: named by their module
    assert usage["tts_characters"] == {"voice_doubles": len("Hi.") + len("We open at eight.")}
    assert usage["brain_rounds"] == {"offline": 1} and usage["prompt_tokens"] == {}


async def test_when_the_speech_vendor_fails_the_backups_characters_count_as_the_backups():
    class Piper(ToneTTS):
        vendor = "piper"

    class Vendor(ToneTTS):
        vendor = "deepgram"

    tts = FailoverTTS(Vendor(failing={"We open at eight."}), Piper())
    async with SessionCall(
        ["We open at eight."], tts=tts, greeting="Hi.", recording_disclosure="", stt=ScriptedSTT()
    ) as call:
        await call.greeted()
        call.stt.says("When are you open?")
        await call.replied(2)
    (usage,) = call.recorder.events_of("usage")
    assert usage["tts_characters"] == {
        "deepgram": len("Hi.") + len("We open at eight."),
        "piper": len("We open at eight."),
    }


# -- the transcript log keeps it with the call ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_recorder_files_the_usage_with_the_call():
    call = await database_sync_to_async(Call.objects.create)(call_sid="CA" + "e5" * 16, from_number="+13125550147")
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid, outcome=CallOutcome())
    recorder.start()
    recorder.event(
        "usage",
        stream_s=61.5,
        stt_seconds={"deepgram": 40.25, "offline": 3.0},
        tts_characters={"deepgram": 420, "piper": 80},
        prompt_tokens={"openai": 5000},
        completion_tokens={"openai": 300},
        brain_rounds={"openai": 4, "offline": 1},
        unreported_rounds={},
        models=["gpt-4.1-mini"],
    )
    recorder.event("ended", reason="agent_ended", duration_s=61.5)
    await recorder.close()

    usage = await database_sync_to_async(CallUsage.objects.get)(call=call)
    assert (usage.stream_s, usage.stt_deepgram_s, usage.stt_offline_s) == (61.5, 40.25, 3.0)
    assert (usage.tts_deepgram_chars, usage.tts_offline_chars) == (420, 80)
    assert (usage.openai_prompt_tokens, usage.openai_completion_tokens) == (5000, 300)
    assert (usage.openai_rounds, usage.offline_brain_rounds, usage.openai_unreported_rounds) == (4, 1, 0)
    assert usage.llm_models == "gpt-4.1-mini"
    kinds = await database_sync_to_async(
        lambda: list(CallEvent.objects.filter(call=call).values_list("kind", flat=True))
    )()
    assert kinds == ["ended"]  # the usage is the call's row, not one more event
