"""Barge-in with a recognizer that says nothing between words (Deepgram: one SpeechStarted per
utterance, then words about once a second). The agent pauses at the caller's first sound; it must
not resume while they are still talking, only because no words have come yet. The caller's audio
is real speech, fed in real time; the local VAD (StillTalking) is what knows they still talk."""

import asyncio
import time

import pytest

from calls.tests import spoken as real
from calls.tests.voice_doubles import Call, ScriptedSTT, ToneTTS
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.stt.still_talking import StillTalking

REPLY = (
    "We have Tuesday at nine in the morning. We also have Wednesday at ten thirty. "
    "And Thursday afternoon at two is open too. Friday is wide open as well."
)
WORDS_AFTER_S = 1.0  # the recognizer's first words: about a second into the caller's speech
RESUME_AFTER_S = 0.7  # the default: a backchannel or a cough resumes the reply this long after it


def a_call(stt, *scripts):
    return Call(*scripts, stt=stt, tts=ToneTTS(ms_per_char=12.0), barge_in_resume_after_s=RESUME_AFTER_S)


async def talk(call, audio, *, words=None, words_after_s=WORDS_AFTER_S):
    """The caller says `audio` over the agent, in 20 ms frames in real time; the recognizer reports
    the first sound at once and `words` (an interim, then a final) only `words_after_s` in."""
    frames = real.frames_of(audio)
    started = time.monotonic()
    call.stt.inner.speech_started() if isinstance(call.stt, StillTalking) else call.stt.speech_started()
    recognizer = call.stt.inner if isinstance(call.stt, StillTalking) else call.stt
    said = False
    for index, frame in enumerate(frames):
        call.session.feed_audio(frame)
        if words and not said and time.monotonic() - started >= words_after_s:
            recognizer.interim(words)
            said = True
        await asyncio.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))
    return started, time.monotonic()


def agent_frames_between(call, start, end):
    return [at for at, _ in call.line.frames if start < at < end]


async def agent_talking(call):
    await call.greeted()
    call.stt.inner.final("When can you fit me in?") if isinstance(call.stt, StillTalking) else call.stt.final(
        "When can you fit me in?"
    )
    await call.until(lambda: "t2-s1" in call.line.heard_marks, timeout=5)


@pytest.mark.parametrize("words_after_s", [0.25, 1.0, 1.5])
async def test_no_agent_audio_reaches_a_caller_who_is_still_talking(words_after_s):
    sentence = real.spoken("Actually, hang on, I was going to ask about Wednesday afternoon instead of that")
    async with a_call(StillTalking(ScriptedSTT()), [REPLY], ["Wednesday afternoon works."]) as call:
        await agent_talking(call)
        started, ended = await talk(call, sentence, words="Actually hang on", words_after_s=words_after_s)
        await call.until(lambda: call.line.clears, timeout=1)
        assert agent_frames_between(call, started + 0.05, ended) == [], "the agent talked over the caller"
        agent = call.assistant_turns()[1]
        assert agent["interrupted"] is True


async def test_without_the_local_vad_this_timing_talks_over_the_caller():
    # Words come late, nothing between. A plain pause-and-resume waits a while for the words of an
    # utterance the engine has not ended, but no longer: it takes the wordless stretch for a cough
    # and speaks again, the defect StillTalking mends.
    sentence = real.spoken("Actually, hang on, I was going to ask about Wednesday afternoon instead of that")
    async with a_call(ScriptedSTT(), [REPLY], ["Wednesday afternoon works."]) as call:
        await agent_talking(call)
        started, ended = await talk(call, sentence, words="Actually hang on", words_after_s=2.0)
        assert agent_frames_between(call, started + 0.05, ended), "expected the unguarded loop to talk over"


async def test_a_backchannel_still_resumes_the_reply_soon_after_it_ends():
    uh_huh = real.spoken("Uh huh.")
    async with a_call(StillTalking(ScriptedSTT()), [REPLY]) as call:
        await agent_talking(call)
        _, ended = await talk(call, uh_huh + real.silence(0.1))
        call.stt.inner.final("uh-huh", speech_final=True)
        await call.until(lambda: call.recorder.events_of("barge_in_resumed"), timeout=3)
        await call.until(lambda: any(at > ended for at, _ in call.line.frames), timeout=3)  # its audio follows
        resumed_at = min(at for at, _ in call.line.frames if at > ended)
        assert resumed_at - ended <= RESUME_AFTER_S + 0.25, f"resumed {resumed_at - ended:.2f} s after the uh-huh"


async def test_the_wrapper_reports_speech_only_while_there_is_speech():
    stt = StillTalking(ScriptedSTT())
    await stt.start()
    events = []

    async def read():
        async for event in stt.events():
            events.append(event)

    reader = asyncio.ensure_future(read())
    speech = real.frames_of(real.spoken("I was going to ask about Wednesday afternoon"))
    for frame in speech:  # outside an utterance the engine reported, the VAD is not run at all
        await stt.send(frame)
    await asyncio.sleep(0.01)
    assert events == []
    stt.inner.speech_started()
    await asyncio.sleep(0.01)
    for frame in real.frames_of(real.silence(0.6)):
        await stt.send(frame)
    await asyncio.sleep(0.01)
    assert [type(e).__name__ for e in events] == ["SpeechStarted"]
    for frame in speech:  # an agent that is listening, not paused, needs no "still talking"
        await stt.send(frame)
    await asyncio.sleep(0.01)
    assert [type(e).__name__ for e in events] == ["SpeechStarted"]
    stt.attend(True)  # the session paused the agent: now it wants to know
    for frame in speech:
        await stt.send(frame)
    await asyncio.sleep(0.01)
    assert len(events) >= 6 and all(type(e).__name__ == "SpeechContinues" for e in events[1:])
    stt.inner.final("I was going to ask about Wednesday afternoon", speech_final=True)
    await asyncio.sleep(0.01)
    reported = len(events)
    for frame in speech:  # the utterance is over: no VAD until the next one starts
        await stt.send(frame)
    await asyncio.sleep(0.01)
    assert len(events) == reported
    assert stt.vendor == "voice_doubles"  # usage is counted for the wrapped engine
    await stt.close()
    await asyncio.wait({reader}, timeout=1)


class Line:
    """The caller's end of a call: 20 ms frames in real time, silence when they say nothing."""

    def __init__(self, session):
        self.session = session
        self.pending = bytearray()
        self.task = asyncio.ensure_future(self._run())

    def say(self, audio):
        self.pending += audio

    async def _run(self):
        started, sent = time.monotonic(), 0
        while True:
            frame = bytes(self.pending[:160]) or real.silence(0.02)
            del self.pending[:160]
            self.session.feed_audio(frame)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent * 0.02 - time.monotonic()))


@pytest.mark.parametrize("final_delay_s", [0.0, 0.2, 0.6], ids=["prompt", "usual", "under-load"])
async def test_a_short_interruption_is_not_talked_over_while_its_words_are_on_their_way(deepgram, final_delay_s):
    # Deepgram's timing: no interim within a short phrase, its words only in the final, after the
    # endpointing wait and, under load, late. The paused agent must wait for them, not resume.
    deepgram.stt.final_delay_s = final_delay_s
    deepgram.stt.script(["When can you fit me in?", "Hold on a second"])
    stt = StillTalking(DeepgramSTT(deepgram.api_key, deepgram.base_url))
    async with a_call(stt, [REPLY], ["Sure, take your time."]) as call:
        line = Line(call.session)
        await call.greeted()
        line.say(real.spoken("When can you fit me in?"))
        await call.until(lambda: "t2-s1" in call.line.heard_marks, timeout=10)
        line.say(real.spoken("Hold on a second"))
        await call.until(lambda: call.assistant_turns()[1:], timeout=5)
        line.task.cancel()
        assert call.assistant_turns()[1]["interrupted"] is True
        assert not call.recorder.events_of("barge_in_resumed"), "the agent spoke again before the words came"
        barge_in = call.recorder.events_of("barge_in")[-1]
        words_at = barge_in["cleared_at"] - barge_in["trigger_to_clear_ms"] / 1000
        assert agent_frames_between(call, barge_in["onset"] + 0.05, words_at) == []
