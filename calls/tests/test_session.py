"""The voice session's conversation: greeting, turns, streaming, pacing, barge-in."""

import asyncio

from calls.tests.voice_doubles import Call, ToneTTS
from calls.voice.pacing import FRAME_BYTES


async def test_it_greets_with_the_recording_disclosure_and_remembers_the_greeting():
    async with Call() as call:
        await call.greeted()
        assert call.tts.requests == ["Thanks for calling Otto's.", "This call is recorded."]
        assert call.session.history[1] == {
            "role": "assistant",
            "content": "Thanks for calling Otto's. This call is recorded.",
        }
        await call.replied(1)
        assert call.assistant_turns()[0]["interrupted"] is False


async def test_a_scripted_conversation_comes_back_as_paced_frames_with_a_mark_per_sentence():
    tts = ToneTTS(ms_per_char=10.0)  # "We open at eight. We close at five." is 0.35 s of audio
    script = ["We open at eight. We close at five."]
    pacing = dict(playout_high_s=0.1, playout_low_s=0.05)
    async with Call(script, tts=tts, greeting="Hi.", recording_disclosure="", **pacing) as call:
        await call.greeted()
        call.stt.says("When are you open?")
        await call.replied(2)
        line = call.line
        assert line.marks_sent == ["t1-s1", "t2-s1", "t2-s2"]
        assert line.heard_marks == ["t1-s1", "t2-s1", "t2-s2"]
        assert {len(frame) for _, frame in line.frames} == {FRAME_BYTES}
        assert line.max_queued_s <= call.config.playout_high_s + 0.03
        reply_frames = [at for at, _ in line.frames[-(len(line.frames) - 3) :]]
        assert reply_frames[-1] - reply_frames[0] >= 0.35 - 0.1 - 0.05  # not dumped at once
        assert call.session.history[-2:] == [
            {"role": "user", "content": "When are you open?"},
            {"role": "assistant", "content": "We open at eight. We close at five."},
        ]
        user, agent = call.recorder.turns[-2:]
        assert (user["role"], user["text"]) == ("user", "When are you open?")
        assert agent["heard_text"] == agent["text"] == "We open at eight. We close at five."
        assert not agent["interrupted"]


async def test_it_records_the_latency_of_each_answered_turn():
    async with Call(["Sure thing."]) as call:
        await call.greeted()
        call.stt.says("Can you help me?")
        await call.replied(2)
        (latency,) = call.recorder.latencies
        assert latency["speech_end"] <= latency["stt_final"] <= latency["llm_first_token"]
        assert latency["llm_first_token"] <= latency["tts_first_byte"] <= latency["first_audio_sent"]


async def test_the_first_sentence_is_spoken_before_the_brain_has_finished():
    script = ["I can help with that. Let me see what we have open this week for an oil change."]
    async with Call(script, word_delay_s=0.03) as call:
        await call.greeted()
        call.stt.says("I need an oil change.")
        await call.until(lambda: len(call.brain.finished_at) == 1)
        first_sentence_started = call.tts.started_at["I can help with that."]
        assert first_sentence_started < call.brain.finished_at[0] - 0.2


async def test_a_long_first_clause_is_spoken_on_its_own():
    async with Call(["Let me check the schedule for you, it should only take a second."]) as call:
        await call.greeted()
        call.stt.says("Anything Tuesday?")
        await call.replied(2)
        assert call.tts.requests[-2:] == ["Let me check the schedule for you,", "it should only take a second."]


async def test_a_turn_is_the_finals_up_to_the_end_of_speech_and_utterance_end_does_not_repeat_it():
    async with Call(["Got it."]) as call:
        await call.greeted()
        call.stt.speech_started()
        call.stt.final("I need brakes", speech_final=False)
        call.stt.final("on my Civic.", speech_final=True)
        call.stt.utterance_end()
        await call.replied(2)
        await asyncio.sleep(0.05)
        assert len(call.brain.calls) == 1
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need brakes on my Civic."}


async def test_barge_in_clears_the_line_and_history_keeps_only_what_was_heard():
    tts = ToneTTS(ms_per_char=5.0)
    reply = "Tuesday at nine works. I will need your name. And the car's make and model please."
    async with Call([reply], ["Sure, Wednesday then."], tts=tts) as call:
        await call.greeted()
        call.stt.says("Can I come in Tuesday?")
        await call.until(lambda: "t2-s1" in call.line.heard_marks)
        call.stt.speech_started()
        call.stt.interim("Actually can we")
        await call.until(lambda: call.line.clears)
        assert call.brain.abandoned == 0  # the brain had finished; the TTS and audio are what stop
        await call.replied(2)
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is True
        assert agent["heard_text"] == "Tuesday at nine works."
        assert agent["text"] == reply
        assert call.session.history[-1] == {"role": "assistant", "content": "Tuesday at nine works."}
        unheard = [name for name in call.line.marks_sent if name.startswith("t2-") and name != "t2-s1"]
        assert set(unheard) == set(call.line.flushed_marks)
        assert "t2-s3" not in call.line.heard_marks
        (barge_in,) = call.recorder.events_of("barge_in")
        assert barge_in["trigger"] == "interim" and barge_in["onset_to_clear_ms"] < 100
        call.stt.final("Actually can we do Wednesday?")
        await call.replied(3)
        messages = call.brain.calls[1][0]
        assert messages[-2:] == [
            {"role": "assistant", "content": "Tuesday at nine works."},
            {"role": "user", "content": "Actually can we do Wednesday?"},
        ]


async def test_barge_in_while_the_brain_streams_cancels_the_brain_and_the_tts():
    tts = ToneTTS(ms_per_char=5.0)
    script = ["Let me tell you about our services. " + "We do oil changes and brakes and tires. " * 6]
    async with Call(script, word_delay_s=0.01, tts=tts) as call:
        await call.greeted()
        call.stt.says("What do you do?")
        await call.until(lambda: "t2-s1" in call.line.marks_sent)
        call.stt.interim("Stop please")
        await call.until(lambda: call.line.clears)
        await call.replied(2)
        assert call.brain.abandoned == 1
        sentences_spoken = len(call.tts.requests)
        await asyncio.sleep(0.2)
        assert len(call.tts.requests) == sentences_spoken  # nothing more was synthesized
        assert not call.session.agent_speaking


async def test_a_backchannel_does_not_interrupt():
    tts = ToneTTS(ms_per_char=5.0)
    reply = "Your car will be ready at five. We will text you when it is done."
    async with Call([reply], tts=tts, barge_in_resume_after_s=0.2) as call:
        await call.greeted()
        call.stt.says("When will my car be ready?")
        await call.until(lambda: "t2-s1" in call.line.marks_sent)
        call.stt.speech_started()
        call.stt.interim("uh-huh")
        call.stt.final("Uh-huh.")
        await call.replied(2)
        assert len(call.line.clears) == 1  # paused at the sound, then resumed
        assert call.assistant_turns()[-1]["interrupted"] is False
        assert call.session.history[-1] == {"role": "assistant", "content": reply}
        await asyncio.sleep(0.05)
        assert len(call.brain.calls) == 1  # the backchannel is not a turn of its own
        assert call.recorder.events_of("backchannel") == [{"text": "Uh-huh."}]


async def test_yeah_after_a_question_is_an_answer():
    async with Call(["Shall I book Tuesday at nine?"], ["Done, you're booked."]) as call:
        await call.greeted()
        call.stt.says("Tuesday morning please.")
        await call.replied(2)
        call.stt.says("Yeah.")
        await call.replied(3)
        assert call.brain.calls[1][0][-1] == {"role": "user", "content": "Yeah."}


async def test_speech_while_the_agent_is_thinking_joins_the_same_turn():
    async with Call([1.0, "Sorry, that was slow."], ["Sure, an oil change for the Civic."]) as call:
        await call.greeted()
        call.stt.says("I need an oil change")
        await call.until(lambda: len(call.brain.calls) == 1)
        call.stt.says("for my Civic.")
        await call.replied(2)
        assert call.line.clears == []  # nothing was playing
        assert call.brain.abandoned == 1
        assert call.brain.calls[1][0][-1] == {"role": "user", "content": "I need an oil change for my Civic."}


async def test_the_greeting_plays_whole_even_if_the_caller_talks_over_it():
    tts = ToneTTS(ms_per_char=5.0)
    async with Call(["Hello Sam, how can I help?"], tts=tts) as call:
        await call.until(lambda: call.line.frames)
        call.stt.says("Hi, it's Sam.")
        await call.replied(2)
        assert call.line.clears == []
        assert call.line.heard_marks[:2] == ["t1-s1", "t1-s2"]
        assert call.assistant_turns()[0]["interrupted"] is False


async def test_a_hang_up_before_the_greeting_played_whole_does_not_record_it_as_heard():
    tts = ToneTTS(ms_per_char=20.0)
    async with Call(["Hi Sam."], tts=tts) as call:
        await call.until(lambda: call.line.frames)
        call.stt.says("Hi, it's Sam.")  # over the greeting, which plays on
        await call.until(lambda: call.brain.calls)
        assert "t1-s2" not in call.line.heard_marks
        await call.session.stop("caller_hung_up")
        greeting = call.assistant_turns()[0]
        assert greeting["text"] == "Thanks for calling Otto's. This call is recorded."
        assert "recorded" not in greeting["heard_text"] and greeting["interrupted"] is True
        assert call.session.history[1]["content"] == greeting["text"]  # what the model was told: it plays on


async def test_stop_mid_reply_cancels_everything():
    tts = ToneTTS(ms_per_char=5.0)
    script = ["Here is a long answer. " * 6]
    async with Call(script, tts=tts, word_delay_s=0.01) as call:
        await call.greeted()
        before = asyncio.all_tasks()
        call.stt.says("Tell me everything.")
        await call.until(lambda: "t2-s2" in call.line.marks_sent)
        reason = await call.session.stop("caller_hung_up")
        assert reason == "caller_hung_up"
        await asyncio.wait({call.task}, timeout=1)
        assert call.task.result() == "caller_hung_up"
        left = {t for t in asyncio.all_tasks() - before if not t.done()}
        left.discard(call.line._player)
        assert left == set()
        assert call.brain.abandoned == 1
        assert call.stt.closed
        agent = call.assistant_turns()[-1]
        assert agent["interrupted"] is True
        assert call.recorder.events_of("ended")[-1]["reason"] == "caller_hung_up"
        sent = len(call.line.frames)
        await asyncio.sleep(0.1)
        assert len(call.line.frames) == sent


async def test_a_finished_turn_without_end_of_speech_is_closed_by_utterance_end():
    async with Call(["Okay."]) as call:
        await call.greeted()
        call.stt.final("My check engine light is on.", speech_final=False)
        await asyncio.sleep(0.05)
        assert len(call.brain.calls) == 0
        call.stt.utterance_end()
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "My check engine light is on."}


async def test_a_backchannel_does_not_even_pause_the_agent_when_barge_in_waits_for_words():
    tts = ToneTTS(ms_per_char=5.0)
    async with Call(
        ["Your car will be ready at five. We will text you when it is done."], tts=tts, barge_in_mode="words"
    ) as call:
        await call.greeted()
        call.stt.says("When will my car be ready?")
        await call.until(lambda: "t2-s1" in call.line.marks_sent)
        call.stt.speech_started()
        call.stt.interim("uh-huh")
        call.stt.final("Uh-huh.")
        await call.replied(2)
        assert call.line.clears == []
        assert call.assistant_turns()[-1]["interrupted"] is False
        assert call.recorder.events_of("backchannel") == [{"text": "Uh-huh."}]


async def test_voice_activity_alone_does_not_cut_the_agent_off():
    tts = ToneTTS(ms_per_char=5.0)
    async with Call(["Your car is ready for pickup. We close at six tonight."], tts=tts, barge_in_mode="words") as call:
        await call.greeted()
        call.stt.says("Is my car ready?")
        await call.until(lambda: call.line.marks_sent[-1:] == ["t2-s1"])
        call.stt.speech_started()  # a cough, a door: no words follow
        await call.replied(2)
        assert call.line.clears == []
        assert call.assistant_turns()[-1]["interrupted"] is False


async def test_voice_activity_alone_can_cut_the_agent_off_for_engines_without_interim_words():
    tts = ToneTTS(ms_per_char=5.0)
    script = ["Your car is ready for pickup. We close at six tonight."]
    async with Call(script, tts=tts, barge_in_vad_only_s=0.05, barge_in_mode="words") as call:
        await call.greeted()
        call.stt.says("Is my car ready?")
        await call.until(lambda: call.line.marks_sent[-1:] == ["t2-s1"])
        call.stt.speech_started()
        await call.until(lambda: call.recorder.events_of("barge_in"))
        (barge_in,) = call.recorder.events_of("barge_in")
        assert barge_in["trigger"] == "vad"
        assert 50 <= barge_in["onset_to_clear_ms"] < 150


async def test_cancelling_run_stops_everything_and_cancellation_propagates():
    tts = ToneTTS(ms_per_char=5.0)
    async with Call(["A fairly long answer that keeps going. And going on."], tts=tts) as call:
        await call.greeted()
        before = asyncio.all_tasks()
        call.stt.says("Tell me.")
        await call.until(lambda: "t2-s1" in call.line.marks_sent)
        call.task.cancel()
        await asyncio.wait({call.task}, timeout=1)
        assert call.task.cancelled()
        await asyncio.sleep(0)
        left = {t for t in asyncio.all_tasks() - before if not t.done()}
        left.discard(call.line._player)
        assert left == set()
        assert call.stt.closed
        assert call.recorder.events_of("ended")[-1]["reason"] == "cancelled"
