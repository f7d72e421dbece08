"""Hearing callers as they talk: final transcripts re-spelled the way the receptionist reads them
(glued clock times, spelled letters, "break" for "brake"), and the offline recognizer biased
per call with the shop's services and the caller's name through Whisper's prompt."""

import re
from types import SimpleNamespace

import pytest

from calls.agent.call import CallData, call_vocabulary
from calls.agent.engines import engines_for_call
from calls.tests.spoken import silence, spoken
from calls.voice.stt.base import Transcript
from calls.voice.stt.normalize import readable
from calls.voice.stt.offline import OfflineSTT
from calls.voice.stt.whisper import PROMPT_WORDS, call_prompt, shared_recognizer

SERVICES = ("Oil change", "Tire rotation", "Brake pads", "Wheel alignment")


def letters_and_digits(text):
    return re.sub(r"[^A-Za-z0-9]", "", text).lower()


# --- clock times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written,read",
    [
        ("1030 works.", "10:30 works."),
        ("I can drop it off at 745 before work.", "I can drop it off at 7:45 before work."),
        ("Maybe around 130.", "Maybe around 1:30."),
        ("I get off at 2, so like 215.", "I get off at 2, so like 2:15."),
        ("905 is fine, I'll be there.", "9:05 is fine, I'll be there."),
        ("Is 1030 on Tuesday open?", "Is 10:30 on Tuesday open?"),
        ("Yeah, so like 1230, during my lunch break.", "Yeah, so like 12:30, during my lunch break."),
        ("Can we do 345 tomorrow?", "Can we do 3:45 tomorrow?"),
    ],
)
def test_a_clock_time_whisper_glued_into_one_number_reads_as_a_time(written, read):
    assert readable(written) == read


@pytest.mark.parametrize(
    "written",
    [
        "My Ford F-150 has 120,000 miles.",
        "It's a 2015 Camry.",
        "It's the Ram 1500.",
        "They quoted me 150 dollars.",
        "It was about 300 miles ago.",
        "My number is 312 555 0198.",
        "Call me at 3125550147.",
        "The VIN is 1 H G C M 8 2 6 3 3 A 0 0 4 3 5 2.",
        "Room 215 please.",
        "It's 10:30 already.",
    ],
)
def test_numbers_that_are_not_clock_times_stay_as_they_were(written):
    assert readable(written) == written


def test_an_hour_ish_is_written_the_way_the_date_reader_knows_it():
    assert readable("I'm thinking 11 ish on Saturday.") == "I'm thinking 11ish on Saturday."


# --- spelled letters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written,read",
    [
        ("It's Nguyen, N-G-U-Y-E-N.", "It's Nguyen, N G U Y E N."),
        ("That's S-I-O-B-H-A-N.", "That's S I O B H A N."),
        ("K.E.L.L.Y.", "K E L L Y."),
        ("Kowalski, k-o-w-a-l-s-k-i", "Kowalski, K O W A L S K I"),
    ],
)
def test_spelled_letters_run_together_become_one_letter_a_word(written, read):
    assert readable(written) == read


@pytest.mark.parametrize("written", ["See you at 9 a.m.", "The A.C. is out.", "A well-known shop.", "X-ray"])
def test_abbreviations_and_hyphenated_words_are_not_spelled_letters(written):
    assert readable(written) == written


# --- homophones of the shop's words -----------------------------------------------------------


@pytest.mark.parametrize(
    "written,read",
    [
        ("I need a break job.", "I need a brake job."),
        ("Just the break pads, front ones.", "Just the brake pads, front ones."),
        ("My breaks are squeaking real bad.", "My brakes are squeaking real bad."),
        ("Can you check my breaks?", "Can you check my brakes?"),
        ("Breaks are grinding.", "Brakes are grinding."),
        ("The break light stays on.", "The brake light stays on."),
    ],
)
def test_break_beside_a_brake_word_is_the_brake(written, read):
    assert readable(written) == read


@pytest.mark.parametrize(
    "written", ["During my lunch break.", "I'll take a break.", "It breaks down a lot.", "Give me a break."]
)
def test_a_break_that_is_no_brake_stays(written):
    assert readable(written) == written


@pytest.mark.parametrize(
    "written",
    [
        "Hi, it's N-G-U-Y-E-N, my breaks are grinding, can I come at 1030 or like 11 ish?",
        "Let's say 745, the break pads and K.E.L.L.Y.",
        "",
        "Mm-hmm.",
    ],
)
def test_no_word_is_lost_or_added(written):
    read = readable(written)
    assert len(read.split()) >= len(written.split())
    said = letters_and_digits(written).replace("break", "brake")
    assert letters_and_digits(read) == said


# --- the call's vocabulary in Whisper's prompt ------------------------------------------------


def test_the_call_prompt_ends_with_the_shop_s_services_and_the_caller_s_name():
    prompt = call_prompt("Otto's Auto Repair.", (*SERVICES, "Siobhan Kelly"))
    assert prompt.startswith("Otto's Auto Repair.")
    assert prompt.endswith("Oil change, Tire rotation, Brake pads, Wheel alignment, Siobhan Kelly.")


def test_a_long_service_list_cannot_push_the_domain_prompt_out():
    services = [f"Service number {n} with a rather long name indeed" for n in range(50)]
    prompt = call_prompt("Otto's Auto Repair.", services)
    assert prompt.startswith("Otto's Auto Repair.")
    assert len(prompt.split()) <= len("Otto's Auto Repair.".split()) + PROMPT_WORDS
    assert call_prompt("Otto's.", ["Oil change", "oil change", " ", ""]) == "Otto's. Oil change."


def test_without_vocabulary_the_prompt_is_the_domain_prompt():
    assert call_prompt("Otto's Auto Repair.", ()) == "Otto's Auto Repair."


def test_the_recognizer_prompts_with_the_call_s_words():
    recognizer = shared_recognizer()
    prompt = recognizer.tokenizer.decode(recognizer.prompt_for((*SERVICES, "Siobhan Kelly"))[1:])
    assert "Wheel alignment, Siobhan Kelly." in prompt
    assert "Otto's Auto Repair" in prompt
    assert recognizer.prompt_for(()) == recognizer.prompt_for(None) != recognizer.prompt_for(SERVICES)


class RecordingRecognizer:
    def __init__(self, text):
        self.text = text
        self.calls = []

    def transcribe(self, pcm, rate, **options):
        self.calls.append(options)
        return self.text


async def finals_of(stt, audio):
    await stt.start()
    for start in range(0, len(audio), 160):
        await stt.send(audio[start : start + 160])
    await stt.close()
    return [event async for event in stt.events() if isinstance(event, Transcript) and event.is_final]


async def test_the_offline_engine_hands_the_call_s_vocabulary_to_the_recognizer_and_reads_finals():
    recognizer = RecordingRecognizer("Yeah, so like 1230, my breaks are squeaking.")
    stt = OfflineSTT(recognizer=recognizer, vocabulary=(*SERVICES, "Siobhan Kelly"), interim_results=False)
    [final] = await finals_of(stt, silence(0.3) + spoken("Twelve thirty, my brakes are squeaking.") + silence(1.2))
    assert final.text == "Yeah, so like 12:30, my brakes are squeaking."
    assert recognizer.calls and all(c == {"vocabulary": (*SERVICES, "Siobhan Kelly")} for c in recognizer.calls)


async def test_without_vocabulary_the_recognizer_is_asked_as_before():
    recognizer = RecordingRecognizer("Yes.")
    stt = OfflineSTT(recognizer=recognizer, interim_results=False)
    await finals_of(stt, silence(0.3) + spoken("Yes.") + silence(1.2))
    assert recognizer.calls and all(c == {} for c in recognizer.calls)


# --- the call passes what it knows ------------------------------------------------------------


def test_a_known_caller_s_name_joins_the_shop_s_services():
    customer = SimpleNamespace(name="Siobhan Kelly")
    data = CallData(call=None, phone="+13125550147", customer=customer, shop=None, service_names=SERVICES)
    assert call_vocabulary(data) == (*SERVICES, "Siobhan Kelly")
    unknown = CallData(call=None, phone=None, customer=None, shop=None, service_names=SERVICES)
    assert call_vocabulary(unknown) == SERVICES


def test_the_offline_engine_of_a_call_gets_its_vocabulary(settings):
    settings.DEEPGRAM_API_KEY = settings.OPENAI_API_KEY = ""
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    engines = engines_for_call(vocabulary=[*SERVICES, "Siobhan Kelly"])
    assert engines.stt._vocabulary == (*SERVICES, "Siobhan Kelly")


def test_the_offline_backup_of_a_vendor_gets_the_vocabulary_too(settings):
    settings.DEEPGRAM_API_KEY, settings.OPENAI_API_KEY = "dg-key", "sk-key"
    settings.VOICE_STT = settings.VOICE_TTS = settings.VOICE_BRAIN = ""
    settings.VOICE_FAILOVER = True
    engines = engines_for_call(vocabulary=SERVICES)
    backup = engines.stt._backup_factory()
    assert isinstance(backup, OfflineSTT) and backup._vocabulary == SERVICES
