"""Which engines a call gets for every combination of VOICE_STT / VOICE_TTS / VOICE_BRAIN and
vendor keys; bad values stop start-up naming the variable; the brain's failover to the
scripted receptionist (the real OpenAI SDK against the fake OpenAI)."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calls.agent.engines import Choice, chosen_engines, engines_for_call, offline_models_needed
from calls.agent.scripted import ScriptedBrain
from calls.voice.llm.base import Done, TextDelta
from calls.voice.llm.failover import RESUME, FailoverBrain, Outage
from calls.voice.llm.openai import OpenAIBrain
from calls.voice.stt.deepgram import DeepgramSTT
from calls.voice.stt.failover import FailoverSTT
from calls.voice.stt.offline import OfflineSTT
from calls.voice.stt.still_talking import StillTalking
from calls.voice.tts.deepgram import DeepgramTTS
from calls.voice.tts.failover import FailoverTTS
from calls.voice.tts.offline import EspeakTTS, PiperTTS
from fakes.openai import server_error, stream_error, text

ROOT = Path(__file__).resolve().parents[2]
STT_VALUES = ("", "deepgram", "offline")
TTS_VALUES = ("", "deepgram", "piper", "espeak")
BRAIN_VALUES = ("", "openai", "scripted")


def expected(stt, tts, brain, deepgram_key, openai_key):
    """What the README promises: empty = the vendor if its key is set, else offline."""
    if (stt == "deepgram" or tts == "deepgram") and not deepgram_key:
        return None
    if brain == "openai" and not openai_key:
        return None
    return (
        stt or ("deepgram" if deepgram_key else "offline"),
        tts or ("deepgram" if deepgram_key else "offline"),
        brain or ("openai" if openai_key else "scripted"),
    )


# A vendor named without its key stops start-up (test_a_bad_engine_setting_stops_start_up_...):
# a running process only ever sees the combinations below.
@pytest.mark.parametrize(
    "stt,tts,brain,deepgram_key,openai_key",
    [
        combination
        for combination in itertools.product(STT_VALUES, TTS_VALUES, BRAIN_VALUES, (False, True), (False, True))
        if expected(*combination) is not None
    ],
)
def test_every_combination_of_settings_and_keys_picks_what_the_readme_says(
    settings, stt, tts, brain, deepgram_key, openai_key
):
    settings.VOICE_STT, settings.VOICE_TTS, settings.VOICE_BRAIN = stt, tts, brain
    settings.DEEPGRAM_API_KEY = "dg-key" if deepgram_key else ""
    settings.OPENAI_API_KEY = "sk-key" if openai_key else ""
    want = expected(stt, tts, brain, deepgram_key, openai_key)
    choice = chosen_engines()
    assert (choice.stt, choice.tts, choice.brain) == want
    engines = engines_for_call()
    stt_type = {"deepgram": FailoverSTT, "offline": OfflineSTT}[want[0]]
    tts_type = {"deepgram": FailoverTTS, "piper": PiperTTS, "espeak": EspeakTTS, "offline": PiperTTS}[want[1]]
    brain_type = {"openai": FailoverBrain, "scripted": ScriptedBrain}[want[2]]
    assert (type(engines.stt), type(engines.tts), type(engines.brain)) == (stt_type, tts_type, brain_type)


def test_the_embedded_default_is_offline_speech_and_the_scripted_receptionist(settings):
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = ""
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    engines = engines_for_call(timezone="America/Denver")
    assert isinstance(engines.stt, OfflineSTT)
    assert isinstance(engines.tts, PiperTTS)  # Piper is installed here; espeak-ng only without it
    assert isinstance(engines.brain, ScriptedBrain) and str(engines.brain.tz) == "America/Denver"
    assert "scripted receptionist" in engines.choice.describe()


def test_vendor_engines_have_the_offline_ones_behind_them(settings):
    settings.DEEPGRAM_API_KEY, settings.OPENAI_API_KEY = "dg-key", "sk-key"
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    engines = engines_for_call(timezone="America/New_York")
    # Deepgram says nothing between words: the local VAD tells a paused agent the caller still talks.
    assert isinstance(engines.stt.primary, StillTalking) and isinstance(engines.stt.primary.inner, DeepgramSTT)
    assert isinstance(engines.stt._backup_factory(), OfflineSTT)
    assert isinstance(engines.tts.primary, DeepgramTTS) and isinstance(engines.tts.backup, PiperTTS)
    assert isinstance(engines.brain.primary, OpenAIBrain) and isinstance(engines.brain.backup, ScriptedBrain)
    assert str(engines.brain.backup.tz) == "America/New_York"
    assert "Deepgram with offline backup" in engines.choice.describe()


def test_without_failover_the_vendor_engines_stand_alone(settings):
    settings.DEEPGRAM_API_KEY, settings.OPENAI_API_KEY = "dg-key", "sk-key"
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    settings.VOICE_FAILOVER = False
    engines = engines_for_call()
    assert (type(engines.stt.inner), type(engines.tts), type(engines.brain)) == (DeepgramSTT, DeepgramTTS, OpenAIBrain)


def test_when_the_agent_only_stops_for_words_deepgram_goes_unwrapped(settings):
    settings.DEEPGRAM_API_KEY, settings.OPENAI_API_KEY = "dg-key", "sk-key"
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    settings.VOICE_FAILOVER = False
    settings.VOICE_BARGE_IN_MODE = "words"
    assert type(engines_for_call().stt) is DeepgramSTT


@pytest.mark.parametrize(
    "choice,models",
    [
        (Choice("offline", "offline", "scripted", True), {"whisper", "piper"}),
        (Choice("deepgram", "deepgram", "openai", True), {"whisper", "piper"}),
        (Choice("deepgram", "deepgram", "openai", False), set()),
        (Choice("deepgram", "espeak", "openai", False), set()),
        (Choice("offline", "espeak", "scripted", False), {"whisper"}),
        (Choice("deepgram", "piper", "scripted", False), {"piper"}),
    ],
)
def test_only_the_offline_models_a_call_may_use_are_warmed_up(choice, models):
    assert offline_models_needed(choice) == models


def test_the_offline_voice_setting_picks_espeak_as_primary_and_as_deepgram_s_backup(settings):
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    settings.VOICE_TTS_OFFLINE = "espeak"
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = ""
    assert chosen_engines().tts == "espeak" and isinstance(engines_for_call().tts, EspeakTTS)
    assert offline_models_needed(chosen_engines()) == {"whisper"}
    settings.DEEPGRAM_API_KEY = "dg-key"
    engines = engines_for_call()
    assert isinstance(engines.tts.primary, DeepgramTTS) and isinstance(engines.tts.backup, EspeakTTS)
    assert offline_models_needed(engines.choice) == {"whisper"}  # Piper is never loaded


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"VOICE_STT": "whisper"}, "VOICE_STT"),
        ({"VOICE_TTS": "aura"}, "VOICE_TTS"),
        ({"VOICE_BRAIN": "gpt"}, "VOICE_BRAIN"),
        ({"VOICE_STT": "deepgram"}, "VOICE_STT is deepgram but DEEPGRAM_API_KEY is not set"),
        ({"VOICE_TTS": "deepgram"}, "VOICE_TTS is deepgram but DEEPGRAM_API_KEY is not set"),
        ({"VOICE_BRAIN": "openai"}, "VOICE_BRAIN is openai but OPENAI_API_KEY is not set"),
        ({"VOICE_FAILOVER": "maybe"}, "VOICE_FAILOVER"),
        ({"VOICE_TTS_OFFLINE": "festival"}, "VOICE_TTS_OFFLINE"),
    ],
)
def test_a_bad_engine_setting_stops_start_up_naming_the_variable(env, variable):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_", "DEEPGRAM_", "OPENAI_"))}
    environment.update(env, DEBUG="1", DJANGO_SETTINGS_MODULE="ottos.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr, result.stderr[-500:]


def test_good_engine_settings_start(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_", "DEEPGRAM_", "OPENAI_"))}
    environment.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="ottos.settings",
        VOICE_STT="Offline",
        VOICE_TTS="espeak",
        VOICE_BRAIN="scripted",
        DEEPGRAM_API_KEY="dg",
        OPENAI_API_KEY="sk",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from calls.agent.engines import chosen_engines; "
            "print(chosen_engines().describe())",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "speech in: offline (Whisper), speech out: offline (espeak-ng), conversation: the scripted" in result.stdout


# --- the brain's failover ------------------------------------------------------------------------

HISTORY = [
    {"role": "system", "content": "You are the receptionist."},
    {"role": "assistant", "content": "Thanks for calling Otto's. How can I help?"},
    {"role": "user", "content": "Can I leave a message for the service advisor?"},
]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def answer(brain, messages=HISTORY):
    return [event async for event in brain.respond(messages, [])]


def said(events):
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.fixture
def openai():
    from fakes.openai import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


def failing_openai_brain(openai):
    return OpenAIBrain(openai.api_key, openai.base_url, max_retries=0)


async def test_a_failing_model_s_turn_is_answered_by_the_scripted_receptionist(openai):
    openai.reply = lambda body: server_error(500)
    errors = []
    brain = FailoverBrain(failing_openai_brain(openai), ScriptedBrain(), on_failover=errors.append)
    events = await answer(brain)
    expected_answer = said(await answer(ScriptedBrain()))
    assert expected_answer and said(events) == expected_answer
    assert isinstance(events[-1], Done)
    assert [e.vendor for e in errors] == ["openai"] and brain.failovers == 1
    await brain.close()


async def test_text_already_spoken_is_followed_by_an_apology_and_the_backup_s_answer(openai):
    openai.script(stream_error(text_before="Sure, let me "))
    brain = FailoverBrain(failing_openai_brain(openai), ScriptedBrain())
    events = await answer(brain)
    expected_answer = said(await answer(ScriptedBrain()))
    assert said(events) == "Sure, let me " + RESUME + expected_answer
    await brain.close()


async def test_while_the_model_rests_later_turns_and_new_calls_skip_it_then_it_is_tried_again(openai):
    clock = Clock()
    outage = Outage(rest_s=300, clock=clock)
    openai.script(server_error(500))
    first_call = FailoverBrain(failing_openai_brain(openai), ScriptedBrain(), outage=outage)
    await answer(first_call)
    assert len(openai.requests) == 1

    clock.now += 60
    next_call = FailoverBrain(failing_openai_brain(openai), ScriptedBrain(), outage=outage)
    assert said(await answer(next_call)) == said(await answer(ScriptedBrain()))
    assert len(openai.requests) == 1  # not asked: it is resting

    clock.now += 300
    openai.script(text("The model is back."))
    assert said(await answer(next_call)) == "The model is back."
    assert len(openai.requests) == 2 and not outage.resting()
    for brain in (first_call, next_call):
        await brain.close()


async def test_a_healthy_model_answers_and_the_backup_is_never_asked(openai):
    openai.script(text("Of course."))
    brain = FailoverBrain(failing_openai_brain(openai), ScriptedBrain())
    assert said(await answer(brain)) == "Of course."
    assert brain.failovers == 0
    await brain.close()
