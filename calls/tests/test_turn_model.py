"""The end-of-turn model: a caller who pauses mid-sentence is not answered at the endpoint."""

import asyncio
import logging
import os
import threading
import time

import numpy as np
import pytest

from calls.tests.spoken import frames_of, silence, speech_span, spoken
from calls.tests.voice_doubles import Call
from calls.voice import turn
from calls.voice.audio import PHONE_RATE, mulaw_decode, mulaw_encode
from calls.voice.interfaces import VoiceConfig
from calls.voice.stt.offline import OfflineSTT
from calls.voice.turn import EndOfTurn, RecentAudio, SmartTurn


def caller_sound():
    """Audio the caller's line carried (the session's recent audio), for engines that are doubles."""
    return spoken("Hello.")


def quiet_gaps(pcm, threshold=150, min_ms=50):
    """(start, end) samples of the short silences between the words of `pcm`."""
    frames = pcm[: len(pcm) // 80 * 80].astype(np.float64).reshape(-1, 80)
    quiet = np.sqrt((frames**2).mean(axis=1)) < threshold
    loud = np.nonzero(~quiet)[0]
    gaps, at = [], loud[0]
    while at <= loud[-1]:
        end = at
        while quiet[end]:
            end += 1
        if (end - at) * 10 >= min_ms:
            gaps.append((at * 80, end * 80))
        at = end + 1
    return gaps


def cut_before_last_word(text):
    """`text` spoken, cut in the short pause before its last words: "I need to bring in my, uh, |"."""
    pcm = mulaw_decode(spoken(text))
    start, end = quiet_gaps(pcm)[-1]
    return pcm[: (start + end) // 2]


def with_silence(pcm, ms=300):
    return np.concatenate([pcm, np.zeros(PHONE_RATE * ms // 1000, dtype=np.int16)])


class Judge:
    """Stands in for SmartTurn: says the probabilities it was given, in order."""

    def __init__(self, *probabilities, error=None):
        self.probabilities = list(probabilities)
        self.error = error
        self.heard = []

    def probability(self, pcm):
        self.heard.append(len(pcm))
        if self.error is not None:
            raise self.error
        return self.probabilities.pop(0)


@pytest.fixture
def judge(monkeypatch):
    def install(*probabilities, error=None):
        model = Judge(*probabilities, error=error)
        monkeypatch.setattr(turn, "SmartTurn", lambda: model)
        return model

    return install


# -- the model on real speech ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["What time do you close on Saturday?", "I need to bring my Camry in for an oil change."]
)
def test_the_model_hears_a_finished_sentence_as_complete(text):
    assert SmartTurn().probability(with_silence(mulaw_decode(spoken(text)))) > turn.COMPLETE_AT


@pytest.mark.parametrize("text", ["I need to bring in my, uh, Camry.", "I was wondering if, you know, you do tires."])
def test_the_model_hears_a_sentence_cut_off_mid_thought_as_unfinished(text):
    assert SmartTurn().probability(with_silence(cut_before_last_word(text))) < turn.COMPLETE_AT


def test_log_mel_features_are_whisper_sized():
    features = turn.log_mel(np.zeros(turn.WINDOW_S * turn.MODEL_RATE, dtype=np.float32))
    assert features.shape == (80, 800) and features.dtype == np.float32


# -- the caller's recent audio --------------------------------------------------------------


def test_recent_audio_keeps_the_last_eight_seconds():
    audio = RecentAudio()
    for second in range(10):
        audio.push(spoken("Hello.")[:PHONE_RATE].ljust(PHONE_RATE, b"\xff"), at=float(second))
    assert len(audio.since(None)) == 8 * PHONE_RATE


def test_recent_audio_since_a_moment_is_what_arrived_after_it():
    audio = RecentAudio()
    audio.push(b"\xff" * PHONE_RATE * 2, at=10.0)
    assert len(audio.since(9.5)) == PHONE_RATE // 2
    assert len(audio.since(11.0)) == 0
    assert len(audio.since(5.0)) == 2 * PHONE_RATE


def test_an_unknown_turn_model_is_refused():
    with pytest.raises(ValueError, match="turn_model"):
        VoiceConfig(system_prompt="", greeting="", turn_model="magic")


# -- the session ----------------------------------------------------------------------------


async def test_the_session_waits_through_a_mid_sentence_pause_when_the_model_hears_it_unfinished(judge):
    model = judge(0.1, 0.9)
    async with Call(["Sure."], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await asyncio.sleep(0.4)
        assert len(call.brain.calls) == 0  # not answered in the pause
        call.stt.speech_started()
        call.stt.final("Camry.", speech_final=True)
        await call.replied(2)
        assert len(call.brain.calls) == 1
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my Camry."}
        assert len(model.heard) == 2


async def caller_pauses(call, text="What time do you close", quiet_s=0.3):
    """The caller's words as they arrive (after the engine's SpeechStarted), then quiet in real time."""
    call.stt.speech_started()
    await asyncio.sleep(0.05)  # the session takes the SpeechStarted: the turn has begun
    for frame in [*frames_of(spoken(text)), *frames_of(silence(quiet_s))]:  # in real time, as calls send
        call.session.feed_audio(frame)
        await asyncio.sleep(0.02)


async def test_the_turn_is_judged_in_the_callers_pause_before_the_endpoint(judge):
    model = judge(0.95)
    async with Call(["We close at five."], turn_model="smart_turn") as call:
        await call.greeted()
        await caller_pauses(call)
        assert len(model.heard) == 1  # judged in the quiet, before any endpoint
        call.stt.final("What time do you close", speech_final=True)
        await call.until(lambda: call.brain.calls)
        assert len(model.heard) == 1  # the endpoint used that verdict
        assert call.session._end_of_turn.early == 1


async def test_a_caller_who_goes_on_after_the_early_judgement_is_judged_again(judge):
    model = judge(0.1, 0.9)  # the pause sounded unfinished; the whole turn, finished
    async with Call(["Sure."], turn_model="smart_turn") as call:
        await call.greeted()
        await caller_pauses(call, "I need to bring in my")
        assert len(model.heard) == 1
        call.session.feed_audio(spoken("Camry"))  # sound after the verdict: it is stale
        call.stt.final("I need to bring in my Camry.", speech_final=True)
        await call.replied(2)
        assert len(model.heard) == 2 and call.session._end_of_turn.early == 0
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my Camry."}


async def test_an_early_verdict_of_unfinished_holds_the_turn_at_the_endpoint(judge):
    model = judge(0.1)
    async with Call(["Which car?"], turn_model="smart_turn", turn_wait_s=0.6) as call:
        await call.greeted()
        await caller_pauses(call, "I need to bring in my")
        call.stt.final("I need to bring in my", speech_final=True)
        await asyncio.sleep(0.3)
        assert not call.brain.calls and len(model.heard) == 1
        await call.replied(2)  # the wait runs out: answered with what was said


def test_hiss_on_the_line_is_not_the_callers_voice():
    audio = RecentAudio()
    audio.push(spoken("Hello."), at=1.0)
    loud_at = audio.loud_at
    assert loud_at is not None and loud_at <= 1.0
    audio.push(mulaw_encode(np.full(PHONE_RATE, 120, dtype=np.int16)), at=2.0)  # a second of hiss
    assert audio.loud_at == loud_at


@pytest.mark.parametrize(
    "text",
    [
        "I need to bring in my",
        "My name is, um,",
        "The brakes are.",
        "Is my car...",
        "I'd like to book for",
        "Uh.",
        "The steering wheel feels.",  # the recogniser closed "feels, um," with a full stop
        "My last name is spelled F.",  # a spelling goes on letter by letter
    ],
)
def test_a_turn_whose_words_leave_the_sentence_open_goes_to_the_model(text):
    assert turn.words_leave_it_open(text)


@pytest.mark.parametrize(
    "text",
    [
        "Yes, please.",
        "Do you have anything Tuesday?",
        "The first one.",
        "My name is Maria Gonzalez.",
        "No, actually leave it. I'll keep it.",  # "it" and "her" close a sentence as objects
        "Can you cancel it for her?",
    ],
)
def test_a_finished_sentence_is_settled_by_its_words(text):
    assert not turn.words_leave_it_open(text)


async def test_with_words_first_a_finished_sentence_is_answered_without_running_the_model(judge):
    model = judge(0.1)  # the model would have held it: it is not asked
    async with Call(["We close at five."], turn_model="smart_turn_words") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("What time do you close on Saturday?", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "What time do you close on Saturday?"}
        assert model.heard == []


@pytest.mark.parametrize(
    "text", ["The second one.", "Yeah, that works.", "Dana Whitfield.", "Nine o'clock works for me.", "Sure!"]
)
def test_a_few_words_closing_as_a_statement_are_a_short_answer(text):
    assert turn.is_short_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        "Is my car?",  # a question back, or half-heard words the recogniser closed with a question mark
        "My name is, um,",
        "The, uh.",
        "Tuesday at",
        "I'll... yeah.",  # a hesitation inside: the caller may go on
        "Tuesday, um, nine.",
        "I think.",
        "I'd like to come in on Thursday morning.",  # six words: more than an answer, the model judges
    ],
)
def test_a_question_an_open_ending_or_a_longer_sentence_is_not_a_short_answer(text):
    assert not turn.is_short_answer(text)


async def test_a_short_answer_to_the_agents_question_is_answered_without_the_model(judge):
    # On the offline voice the model hears "The second one." as unfinished (0.15): the caller
    # waited a second for the reply to "Which works best for you?".
    model = judge(0.9, 0.1)
    async with Call(
        ["I have nine or eleven. Which works best for you?"], ["Eleven it is."], turn_model="smart_turn"
    ) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("Can I come in Tuesday", speech_final=True)
        await call.replied(2)
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("The second one.", speech_final=True)
        await call.until(lambda: len(call.brain.calls) == 2)
        assert time.monotonic() - said_at < 0.3
        assert call.brain.calls[1][0][-1] == {"role": "user", "content": "The second one."}
        assert len(model.heard) == 1  # only the first turn went to the model


async def test_a_short_answer_left_open_still_waits_for_the_rest(judge):
    judge(0.9, 0.1, 0.9)
    async with Call(["What name is it under?"], ["Thanks, Dana."], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I'd like to book an oil change", speech_final=True)
        await call.replied(2)
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("My name is, um,", speech_final=True)
        await asyncio.sleep(0.3)
        assert len(call.brain.calls) == 1
        call.stt.speech_started()
        call.stt.final("Dana Whitfield.", speech_final=True)
        await call.until(lambda: len(call.brain.calls) == 2)
        assert call.brain.calls[1][0][-1] == {"role": "user", "content": "My name is, um, Dana Whitfield."}


async def test_a_short_sentence_after_a_statement_is_still_put_to_the_model(judge):
    model = judge(0.9, 0.02)  # what the model gives a half-sentence the recogniser closed
    async with Call(["We close at five."], ["Sure."], turn_model="smart_turn", turn_wait_s=0.5) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("When do you close", speech_final=True)
        await call.replied(2)
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("Okay, and Saturday.", speech_final=True)
        await asyncio.sleep(0.2)
        assert len(call.brain.calls) == 1  # held: the agent asked nothing
        assert len(model.heard) == 2


async def test_by_default_even_a_sentence_that_reads_finished_is_put_to_the_model(judge):
    # Recognisers write half-heard words as a finished sentence ("Is my car?" for "Is my car, uh,"):
    # the default asks the model at every endpoint.
    model = judge(0.02, 0.9)  # the offline voice's "Is my car?" scored 0.02
    async with Call(["It is ready."], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("Is my car?", speech_final=True)
        await asyncio.sleep(0.4)
        assert not call.brain.calls
        call.stt.speech_started()
        call.stt.final("Ready to pick up?", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "Is my car? Ready to pick up?"}
        assert len(model.heard) == 2


async def test_the_session_answers_at_once_when_the_model_hears_a_finished_sentence(judge):
    model = judge(0.95)
    async with Call(["We close at five."], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("What time do you close", speech_final=True)  # no full stop: the model is asked
        await call.until(lambda: call.brain.calls)
        assert time.monotonic() - said_at < 0.3
        assert len(model.heard) == 1


async def test_a_finished_sentence_needs_less_of_the_models_confidence_than_an_open_one(judge):
    # "Can we move my tire rotation to Friday, same time?" scored 0.18 on the phone line: with words
    # that finish a sentence that is enough; with words left open it is not.
    model = judge(0.18, 0.18)
    async with Call(["Friday at nine, then?"], ["Which car?"], turn_model="smart_turn", turn_wait_s=2.0) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("Can we move my tire rotation to Friday, same time?", speech_final=True)
        await call.until(lambda: call.brain.calls)
        assert time.monotonic() - said_at < 0.3
        await call.replied(2)
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("It's for my", speech_final=True)
        await asyncio.sleep(0.5)
        assert len(call.brain.calls) == 1 and len(model.heard) == 2


async def test_an_unfinished_turn_ends_at_utterance_end(judge):
    judge(0.1)
    async with Call(["Which car?"], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await asyncio.sleep(0.1)
        assert not call.brain.calls
        call.stt.utterance_end()
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my"}


async def test_an_unfinished_turn_ends_after_the_wait_if_nothing_else_comes(judge):
    judge(0.1)
    async with Call(["Which car?"], turn_model="smart_turn", turn_wait_s=0.3) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("I need to bring in my", speech_final=True)
        await call.until(lambda: call.brain.calls)
        assert 0.25 <= time.monotonic() - said_at < 0.8


async def test_a_held_turn_whose_words_read_finished_waits_less(judge):
    # The model holds some whole sentences: with words that end one, the wait is shorter.
    judge(0.05, 0.05)
    async with Call(["You have one on Tuesday."], ["Which car?"], turn_model="smart_turn", turn_wait_s=2.0) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("Do I have anything coming up with you guys?", speech_final=True)
        await call.until(lambda: call.brain.calls)
        assert turn.WORDS_DONE_WAIT_S - 0.1 <= time.monotonic() - said_at < turn.WORDS_DONE_WAIT_S + 0.4
        await call.replied(2)
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        said_at = time.monotonic()
        call.stt.final("I need to bring in my", speech_final=True)  # left open: the whole wait
        await call.until(lambda: len(call.brain.calls) == 2, timeout=4)
        assert time.monotonic() - said_at >= 1.8


async def test_the_caller_still_talking_keeps_the_turn_open(judge):
    judge(0.1, 0.9)
    async with Call(["Sure."], turn_model="smart_turn", turn_wait_s=0.3) as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("Can you check the", speech_final=True)
        for _ in range(4):  # the caller goes on for 0.4 s, past the wait, before their words come
            await asyncio.sleep(0.1)
            call.stt.speech_continues()
        assert not call.brain.calls
        call.stt.final("brakes?", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "Can you check the brakes?"}


async def test_switching_the_model_off_restores_plain_endpointing(judge):
    model = judge(0.1)
    async with Call(["Which car?"], turn_model="off") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my"}
        assert model.heard == []


async def test_a_missing_model_file_falls_back_to_plain_endpointing_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr(turn.SMART_TURN, "path", lambda: None)
    monkeypatch.setattr(turn.SMART_TURN, "_session", None)
    caplog.set_level(logging.WARNING, logger="calls.voice.turn")
    async with Call(["Which car?"], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my"}
    assert "End-of-turn model unavailable" in caplog.text
    assert "Smart Turn's ONNX model is not installed" in caplog.text


async def test_a_failing_model_never_holds_up_the_call(judge):
    judge(error=RuntimeError("onnxruntime broke"))
    async with Call(["Which car?"], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await call.replied(2)
        assert call.session.state.name == "TALKING"


async def test_a_caller_pausing_mid_sentence_on_the_offline_recogniser_gets_one_answer_to_all_of_it():
    text = "I need to bring in my, uh, Camry for an oil change."
    whole = spoken(text)
    first_half_ends = speech_span(spoken("I need to bring in my, uh,"))[1]
    start, end = min(quiet_gaps(mulaw_decode(whole)), key=lambda gap: abs(gap[0] - first_half_ends))
    pause_at = (start + end) // 2
    audio = silence(0.3) + whole[:pause_at] + silence(0.7) + whole[pause_at:] + silence(1.5)
    # A generous wait: on a loaded machine the audio may reach the session late; what is tested is
    # that the model holds the turn through the pause, not how long it may wait.
    async with Call(
        ["Sure."], stt=OfflineSTT(), turn_model="smart_turn", turn_wait_s=2.0, greeting="", recording_disclosure=""
    ) as call:
        started = time.monotonic()
        for index, frame in enumerate(frames_of(audio)):
            await asyncio.sleep(max(0.0, started + index * 0.02 - time.monotonic()))
            call.session.feed_audio(frame)
            if call.brain.calls:
                break
        await call.until(lambda: call.brain.calls, timeout=5)
        assert len(call.brain.calls) == 1
        said = call.brain.calls[0][0][-1]["content"].lower()
        assert "camry" in said and "oil change" in said


async def test_when_the_model_is_behind_an_endpoint_ends_the_turn_unjudged(monkeypatch):
    """One model thread per process: endpoints beyond MAX_WAITING are not queued behind it."""
    monkeypatch.setattr(turn, "VERDICT_WAIT_S", 5.0)  # what is tested here is the queue, not the wait
    release = threading.Event()

    class Slow:
        def probability(self, pcm):
            release.wait(5)
            return 0.1  # unfinished

    skipped = []
    audio = RecentAudio()
    audio.push(spoken("Hello."), at=time.monotonic())
    ends = [EndOfTurn(Slow(), audio, wait_s=1.0, on_skipped=lambda: skipped.append(1)) for _ in range(3)]
    judged = [asyncio.ensure_future(end.complete()) for end in ends[: turn.MAX_WAITING]]
    await asyncio.sleep(0.05)
    assert await asyncio.wait_for(ends[-1].complete(), 0.5) is True  # answered at the endpoint
    assert skipped == [1]
    release.set()
    assert await asyncio.gather(*judged) == [False] * turn.MAX_WAITING  # the judged ones wait for words
    assert turn._waiting == 0


async def test_a_verdict_that_comes_too_late_is_not_waited_for():
    """The model's thread starved of CPU (it yields to the calls): the caller is answered at the
    endpoint, unjudged, and the run finishing later leaves nothing behind."""
    release = threading.Event()

    class Starved:
        def probability(self, pcm):
            release.wait(5)
            return 0.1

    skipped = []
    audio = RecentAudio()
    audio.push(spoken("Hello."), at=time.monotonic())
    end = EndOfTurn(Starved(), audio, wait_s=1.0, on_skipped=lambda: skipped.append(1))
    started = time.monotonic()
    assert await end.complete() is True
    assert turn.VERDICT_WAIT_S <= time.monotonic() - started < turn.VERDICT_WAIT_S + 0.2
    assert skipped == [1] and turn._waiting == 1  # the run still holds the model's thread
    release.set()
    for _ in range(100):
        if turn._waiting == 0:
            break
        await asyncio.sleep(0.01)
    assert turn._waiting == 0


async def test_a_turn_the_model_could_not_judge_is_recorded(judge, monkeypatch):
    model = judge(0.1)
    monkeypatch.setattr(turn, "_waiting", turn.MAX_WAITING)  # the model's thread is behind
    async with Call(["Which car?"], turn_model="smart_turn") as call:
        await call.greeted()
        call.session.feed_audio(caller_sound())
        call.stt.speech_started()
        call.stt.final("I need to bring in my", speech_final=True)
        await call.replied(2)
        assert call.brain.calls[0][0][-1] == {"role": "user", "content": "I need to bring in my"}
        assert model.heard == []
        assert call.recorder.events_of("turn_model_skipped") == [{"reason": "the model is behind"}]


def test_the_models_thread_yields_the_cpu_to_the_calls():
    """On a busy core the event loop (barge-in, audio) comes before the model, which is a guess."""
    loop_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    model_nice = turn._thread.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result(5)
    assert model_nice == min(loop_nice + turn.MODEL_NICE, 19)
