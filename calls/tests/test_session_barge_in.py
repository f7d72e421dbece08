"""Barge-in by pause and resume: the agent goes quiet at the caller's first sound, then either
stops for good (real words) or carries on from the first sentence the caller did not hear."""

import asyncio
import time

import pytest

from calls.tests.voice_doubles import Call, ShopTools, ToneTTS, tool_call
from calls.voice.session import ToolOutcome, VoiceConfig

FIRST = "We have Tuesday at nine in the morning."
SECOND = "We also have Wednesday at ten thirty."
THIRD = "And Thursday afternoon at two is open too."
REPLY = f"{FIRST} {SECOND} {THIRD}"
WINDOW_S = 0.3


def slow_call(*scripts, **config):
    """Sentences of about 0.4 s of audio each: long enough to talk over."""
    return Call(*scripts, tts=ToneTTS(ms_per_char=10.0), barge_in_resume_after_s=WINDOW_S, **config)


async def first_sentence_heard(call):
    await call.greeted()
    call.stt.says("When can you fit me in?")
    await call.until(lambda: "t2-s1" in call.line.heard_marks)


def heard_sentences(call, turn=2):
    """The sentences of a turn whose audio played to its end, by their first mark's name."""
    return [name.split("-r")[0] for name in call.line.heard_marks if name.startswith(f"t{turn}-")]


async def test_the_first_sound_over_the_agent_clears_the_line_at_once_and_stops_the_audio():
    async with slow_call([REPLY]) as call:
        await first_sentence_heard(call)
        onset = time.monotonic()
        call.stt.speech_started()
        await call.until(lambda: call.line.clears, timeout=1)
        assert call.line.clears[0] - onset < 0.02
        sent = len(call.line.frames)
        await asyncio.sleep(WINDOW_S * 0.8)
        assert len(call.line.frames) == sent  # nothing goes out while the caller may be talking
        assert call.session.agent_speaking


async def test_a_backchannel_resumes_the_reply_from_the_first_sentence_not_heard():
    async with slow_call([REPLY], word_delay_s=0.02) as call:  # the brain is still talking too
        await first_sentence_heard(call)
        call.stt.speech_started()
        call.stt.interim("uh-huh")
        call.stt.final("Uh-huh.")
        await call.replied(2, timeout=6)
        assert heard_sentences(call) == ["t2-s1", "t2-s2", "t2-s3"]  # each sentence heard, once
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is False
        assert agent["heard_text"] == agent["text"] == REPLY
        assert call.session.history[-1] == {"role": "assistant", "content": REPLY}
        assert call.brain.abandoned == 0 and len(call.brain.calls) == 1
        assert call.tts.abandoned == []
        (resumed,) = call.recorder.events_of("barge_in_resumed")
        assert resumed["again"][0].split("-r")[0] == "t2-s2"  # the sentence cut off, from its start
        assert resumed["onset_to_clear_ms"] < 20
        assert call.recorder.events_of("barge_in") == []


async def test_real_words_after_the_first_sound_cut_the_reply_to_what_was_heard():
    async with slow_call([REPLY], ["Wednesday at ten thirty it is."]) as call:
        await first_sentence_heard(call)
        call.stt.speech_started()
        await asyncio.sleep(0.1)  # the first interim words come a little after the sound
        call.stt.interim("Actually Wednesday")
        await call.replied(2)
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is True
        assert agent["heard_text"] == FIRST
        assert call.session.history[-1] == {"role": "assistant", "content": FIRST}
        assert len(call.line.clears) == 1
        (barge_in,) = call.recorder.events_of("barge_in")
        assert barge_in["trigger"] == "interim"
        assert barge_in["onset_to_clear_ms"] < 20
        assert call.recorder.events_of("barge_in_resumed") == []
        sent = len(call.line.frames)
        call.stt.final("Actually Wednesday works.")
        await call.replied(3)
        assert call.brain.calls[1][0][-2:] == [
            {"role": "assistant", "content": FIRST},
            {"role": "user", "content": "Actually Wednesday works."},
        ]
        assert len(call.line.frames) > sent


async def test_a_noise_with_no_words_resumes_the_reply():
    async with slow_call([REPLY]) as call:
        await first_sentence_heard(call)
        call.stt.speech_started()  # a cough, a door
        await call.replied(2, timeout=6)
        assert heard_sentences(call) == ["t2-s1", "t2-s2", "t2-s3"]
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is False and agent["heard_text"] == REPLY
        assert len(call.recorder.events_of("barge_in_resumed")) == 1


async def test_a_caller_still_talking_without_words_yet_is_not_talked_over():
    # A slow recognizer: the caller talks on for well past the resume window before any words come.
    async with slow_call([REPLY], ["Wednesday at ten thirty it is."]) as call:
        await first_sentence_heard(call)
        call.stt.speech_started()
        await call.until(lambda: call.line.clears, timeout=1)
        sent = len(call.line.frames)
        for _ in range(6):  # 0.6 s of speech, twice the window
            await asyncio.sleep(WINDOW_S / 3)
            call.stt.speech_continues()
        assert len(call.line.frames) == sent, "the agent resumed over a caller who was still talking"
        call.stt.final("Actually Wednesday works.")
        await call.replied(3)
        agent = call.assistant_turns()[1]
        assert agent["interrupted"] is True and agent["heard_text"] == FIRST
        assert call.recorder.events_of("barge_in_resumed") == []


async def test_once_the_sound_stops_without_words_the_reply_resumes():
    async with slow_call([REPLY]) as call:
        await first_sentence_heard(call)
        call.stt.speech_started()
        call.stt.speech_continues()  # a long cough
        await call.replied(2, timeout=6)
        assert heard_sentences(call) == ["t2-s1", "t2-s2", "t2-s3"]
        assert len(call.recorder.events_of("barge_in_resumed")) == 1


async def test_the_caller_can_still_interrupt_the_resumed_reply():
    async with slow_call([REPLY], ["Sure."]) as call:
        await first_sentence_heard(call)
        call.stt.speech_started()
        await call.until(lambda: "t2-s2" in heard_sentences(call), timeout=3)
        call.stt.speech_started()
        call.stt.interim("Hold on, what about Friday")
        await call.replied(2)
        assert len(call.line.clears) == 2
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is True
        assert agent["heard_text"] == f"{FIRST} {SECOND}"
        assert call.session.history[-1] == {"role": "assistant", "content": f"{FIRST} {SECOND}"}
        assert [e["onset_to_clear_ms"] < 20 for e in call.recorder.events_of("barge_in")] == [True]


async def test_a_goodbye_paused_by_a_noise_is_heard_whole_before_the_call_ends():
    tools = ShopTools({"end_call": ToolOutcome('{"ok": true}', ok=True, ends_call=True)})
    goodbye = ["Thanks for calling Otto's today. Have a great afternoon. Goodbye!"]
    async with slow_call([tool_call("end_call")], goodbye, tools=tools) as call:
        await call.greeted()
        call.stt.says("That's all, thanks.")
        await call.until(lambda: "t2-s1" in call.line.heard_marks, timeout=3)
        call.stt.speech_started()
        await call.until(lambda: call.line.hung_up_at, timeout=6)
        assert heard_sentences(call) == ["t2-s1", "t2-s2", "t2-s3"]
        assert call.line.hung_up_at >= call.line.clears[0] + WINDOW_S


def test_an_unknown_barge_in_mode_is_refused_clearly():
    with pytest.raises(ValueError, match="barge_in_mode must be one of pause_resume, words"):
        VoiceConfig(system_prompt="", greeting="", barge_in_mode="vad")
