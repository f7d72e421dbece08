"""Barge-in on the embedded default (offline speech, scripted receptionist), end to end: real
caller speech (Piper through the phone codec) over the agent's answer, through the production server, the
consumer and the voice loop. Twilio's side plays the agent's audio in real time and echoes a
mark only when its audio has played, so "heard" means heard.

In the default "pause_resume" mode the VAD's first sound clears the line at once, long before
Whisper has any words; real words then cut the reply to what was heard, while a backchannel
or a throat-clearing lets it go on from the sentence that was cut off. (The greeting, with its
recording disclosure, is not interruptible by design: the caller talks over the first answer.)"""

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from channels.db import database_sync_to_async

from calls.agent.engines import chosen_engines
from calls.models import Call, CallEvent, Turn, TurnLatency
from calls.tests import spoken as real
from calls.voice.audio import mulaw_encode
from calls.voice.sentences import SentenceSplitter
from calls.voice.stt.accuracy import word_error_rate
from fakes.twilio_caller import TwilioCaller

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, _call_filed
from .test_call_e2e import eventually, greeted

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "How much is an oil change?"
INTERRUPTION = "What time do you close on Saturdays?"  # no pause in it: Whisper has no words for a while
CLEAR_WITHIN_S = 0.3  # the VAD needs 64 ms of voice; the rest is the trip through the server


@pytest.fixture
async def caller(live_app, twilio, shop, oil_change, brake_job, customer):
    """Dana calls a server with no vendor keys: every engine is the offline one."""
    for name in ("DEEPGRAM_API_KEY", "OPENAI_API_KEY", "VOICE_STT", "VOICE_TTS", "VOICE_BRAIN"):
        setattr(twilio, name, "")
    choice = chosen_engines()
    assert (choice.stt, choice.brain) == ("offline", "scripted")
    caller = TwilioCaller(
        app_url=live_app.url,
        public_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        from_number=customer.phone,
    )
    yield caller
    await caller.hang_up()
    await _call_filed(caller.call_sid)


async def the_first_sentence_of_the_answer_is_heard(caller):
    """Dana asks a price; returns once the answer's first sentence has played (its mark came back).
    What the caller says is synthesized before dialling: the caller must keep real time."""
    question = real.spoken(QUESTION)
    await caller.dial()
    await greeted(caller)
    asked = await caller.say(question + real.silence(0.2))
    await caller.wait_for(lambda: sentences_played(caller), timeout=30)
    return voice_of(asked, question)


def sentences_played(caller, turn=2):
    """Numbers of the turn's sentences whose audio played to the end (a resent one counts once)."""
    return sorted(
        {
            int(m.name.split("-s")[1].split("-r")[0])
            for m in caller.marks
            if m.name.startswith(f"t{turn}-") and not m.flushed
        }
    )


def sentences_of(text):
    """The pieces the agent spoke `text` in, one mark each (as calls/voice/reply.py cuts them)."""
    splitter = SentenceSplitter(first_clause=True)
    return [*splitter.feed(text), splitter.flush()]


def voice_of(utterance, audio):
    """When the caller's voice began and ended, on the test's clock."""
    first, last = real.speech_span(audio)
    return utterance.started_at + first / 8000, utterance.started_at + last / 8000


def wall_clock(moment):
    """A time.monotonic() moment as the records' datetimes have it (the server is this process)."""
    return datetime.fromtimestamp(time.time() - (time.monotonic() - moment), tz=UTC)


def call_records(call_sid):
    call = Call.objects.get(call_sid=call_sid)
    turns = list(Turn.objects.filter(call=call).order_by("index"))
    events = list(CallEvent.objects.filter(call=call).order_by("at", "id").values_list("kind", "data"))
    latencies = list(TurnLatency.objects.filter(call=call).order_by("turn_index"))
    return turns, events, latencies


def of_kind(events, kind):
    return [data for event_kind, data in events if event_kind == kind]


async def test_talking_over_the_agent_clears_the_line_at_the_first_sound_and_the_words_are_answered(caller):
    audio = real.spoken(INTERRUPTION)
    _, question_end = await the_first_sentence_of_the_answer_is_heard(caller)
    utterance = caller.speak(audio + real.silence(1.0))
    await caller.wait_for(lambda: caller.clears, timeout=10)
    onset, voice_end = voice_of(utterance, audio)
    assert caller.clears[0] - onset < CLEAR_WITHIN_S
    assert caller.clears[0] < voice_end - 1.0, "cleared while the caller was still talking"

    answer = await eventually(
        lambda: Turn.objects.filter(call__call_sid=caller.call_sid, role="assistant", index__gt=3).first(), timeout=20
    )
    assert "Saturday" in answer.text and "to noon" in answer.text, answer.text  # from the Saturday hours row
    await caller.wait_for(lambda: not caller.is_playing and sentences_played(caller, turn=3), timeout=20)

    turns, events, latencies = await database_sync_to_async(call_records)(caller.call_sid)
    (barge_in,) = of_kind(events, "barge_in")
    assert barge_in["trigger_to_clear_ms"] < 0, "the line was cleared before any words were recognised"
    assert of_kind(events, "barge_in_resumed") == []
    assert len(caller.clears) == 1
    agent_audio_over_the_caller = [r.at for r in caller.received if caller.clears[0] < r.at < voice_end]
    assert agent_audio_over_the_caller == [], "the agent stays quiet while the caller talks"

    greeting, question, cut, words, reply = turns
    pieces = sentences_of(cut.text)
    heard = sentences_played(caller)
    assert heard == list(range(1, len(heard) + 1)) and len(heard) < len(pieces)
    assert (cut.role, cut.interrupted) == ("assistant", True)
    assert cut.heard_text == " ".join(pieces[: len(heard)])
    assert words.role == "user" and word_error_rate([INTERRUPTION], [words.text]) <= 0.2, words.text
    assert reply.index == answer.index and not reply.interrupted

    # Offline recognition knows when the caller stopped: the record shows the real wait for the
    # final transcript (at least the 250 ms of silence that ends a phrase), from the real end of speech
    # (not the VAD's stop, some 70 ms later), and the wait it records is the caller's, to within 40 ms.
    assert [latency.turn_index for latency in latencies] == [question.index, words.index]
    for turn, latency, spoken_until in zip((question, words), latencies, (question_end, voice_end)):
        assert latency.stt_final_ms > 200 and latency.voice_to_voice_ms > latency.stt_final_ms
        speech_end = turn.ended_at - timedelta(milliseconds=latency.stt_final_ms)  # the turn ends at the final
        assert abs(speech_end - wall_clock(spoken_until)) < timedelta(milliseconds=40), latency.stt_final_ms
    heard_after_ms = (caller.first_audio_after(voice_end) - voice_end) * 1000
    assert abs(latencies[1].voice_to_voice_ms - heard_after_ms) <= 40, (latencies[1].voice_to_voice_ms, heard_after_ms)


@pytest.mark.parametrize("sound", ["Uh-huh.", "Ahem!"], ids=["backchannel", "throat-clearing"])
async def test_a_short_sound_over_the_agent_pauses_it_and_it_goes_on_from_the_sentence_cut_off(caller, sound):
    audio = real.spoken(sound)
    await the_first_sentence_of_the_answer_is_heard(caller)
    utterance = caller.speak(audio + real.silence(0.5))
    await caller.wait_for(lambda: caller.clears, timeout=10)
    onset, _ = voice_of(utterance, audio)
    assert caller.clears[0] - onset < CLEAR_WITHIN_S

    answer = await eventually(
        lambda: Turn.objects.filter(call__call_sid=caller.call_sid, role="assistant", index=2).first(), timeout=30
    )
    assert (answer.interrupted, answer.heard_text) == (False, answer.text)
    pieces = sentences_of(answer.text)
    assert sentences_played(caller) == list(range(1, len(pieces) + 1)), "every sentence was heard"
    resumed_at = caller.first_audio_after(caller.clears[0])
    assert 0.4 < resumed_at - onset < 1.5  # quiet for the resume window, then on again

    turns, events, _ = await database_sync_to_async(call_records)(caller.call_sid)
    assert [turn.role for turn in turns] == ["assistant", "user", "assistant"], "the sound is not a turn"
    assert len(caller.clears) == 1 and of_kind(events, "barge_in") == []
    (resumed,) = of_kind(events, "barge_in_resumed")
    assert resumed["again"][0].startswith("t2-s2"), "said again from the start of the sentence cut off"


def a_knock(seconds=0.3, level=12000, seed=0):
    """A loud, short broadband burst (a cough into the phone, a door): noise, not a voice."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(8000 * seconds)) / 8000
    burst = np.convolve(rng.normal(0, 1, len(t)), [1, 1.5, 1], mode="same")
    burst *= np.minimum(t / 0.01, 1) * np.exp(-t / 0.1) * level / np.abs(burst).max()
    return mulaw_encode(burst.astype(np.int16))


async def test_a_noise_that_is_not_a_voice_does_not_stop_the_agent(caller):
    knocks = a_knock() + real.silence(0.4) + a_knock(seed=1)
    await the_first_sentence_of_the_answer_is_heard(caller)
    await caller.say(knocks)
    answer = await eventually(
        lambda: Turn.objects.filter(call__call_sid=caller.call_sid, role="assistant", index=2).first(), timeout=30
    )
    assert (answer.interrupted, answer.heard_text) == (False, answer.text)
    assert caller.clears == [] and not [m for m in caller.marks if m.flushed]
    turns, events, _ = await database_sync_to_async(call_records)(caller.call_sid)
    assert [turn.role for turn in turns] == ["assistant", "user", "assistant"]
    assert not of_kind(events, "barge_in") and not of_kind(events, "barge_in_resumed")
    assert not caller.closed.is_set()
