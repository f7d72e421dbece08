"""Offline speech figures (issue 5): STT word error rate on the domain set, end of caller
speech -> final transcript latency, TTS first-audio latency, and the install size.

    .venv/bin/python benchmarks/offline_speech.py [--sentences N]

Caller audio is the domain sentences spoken by the offline TTS and sent through the 8 kHz
mu-law codec. For latency the end of each sentence is fed in real time, 20 ms a frame, as
Twilio sends it; "end of speech" is the last frame louder than the line's silence.
Run it on a quiet machine: other work on the two cores shows up in every figure.
"""

import argparse
import asyncio
import os
import re
import resource
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calls.voice.audio import mulaw_decode, mulaw_silence  # noqa: E402
from calls.voice.stt.accuracy import domain_sentences, word_error_rate  # noqa: E402
from calls.voice.stt.base import Transcript  # noqa: E402
from calls.voice.stt.offline import OfflineSTT  # noqa: E402
from calls.voice.stt.whisper import shared_recognizer  # noqa: E402
from calls.voice.tts.offline import PiperTTS  # noqa: E402

FRAME = 160
AGENT_SENTENCES = [
    "Thanks for calling Otto's Auto Repair, this is the virtual receptionist.",
    "How can I help you today?",
    "Sure, I can book an oil change for you.",
    "We have an opening on Tuesday the 14th at 2 in the afternoon, or Wednesday at 9 in the morning.",
    "Which one works better for you?",
    "Great, you're all set for Tuesday at 2.",
    "Can I get the VIN of the car, or the year, make and model?",
    "A standard oil change is forty nine dollars and takes about half an hour.",
    "We're open 8 to 5 on weekdays and 8 to noon on Saturday.",
    "I'm sorry, that time is already taken.",
    "Would you like me to take a message for an advisor?",
    "Is there anything else I can help you with?",
]


def speech_end(mulaw, threshold=100):
    pcm = mulaw_decode(mulaw).astype(np.float64)
    frames = pcm[: len(pcm) // 80 * 80].reshape(-1, 80)
    loud = np.nonzero(np.sqrt((frames**2).mean(axis=1)) > threshold)[0]
    return int(loud[-1] + 1) * 80


async def speak(tts, text):
    return b"".join([chunk async for chunk in tts.synthesize(text)])


async def recognise_live(stt, audio, end_sample, realtime_from):
    """Feed `audio` (fast until `realtime_from`, then paced at 20 ms); return (text, latency_s)."""
    finals, final_at = [], []
    done = asyncio.Event()

    async def read():
        async for event in stt.events():
            if isinstance(event, Transcript) and event.is_final:
                finals.append(event.text)
                final_at.append(event.at)
                done.set()

    reader = asyncio.create_task(read())
    ended_at = None
    paced_from = None
    for offset in range(0, len(audio), FRAME):
        if offset >= realtime_from:
            if paced_from is None:
                await asyncio.sleep(0.3)  # let drafts from the fast part finish, as they would live
                paced_from = (time.monotonic(), offset)
            due = paced_from[0] + (offset - paced_from[1]) / 8000
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await stt.send(audio[offset : offset + FRAME])
        if ended_at is None and offset + FRAME >= end_sample:
            ended_at = time.monotonic()
    await stt.close()
    await reader
    latency = (final_at[-1] - ended_at) if final_at and ended_at else None
    return " ".join(finals), latency


def installed_size(requirements):
    names = [
        re.split(r"[=<> ]", line, maxsplit=1)[0]
        for line in requirements.read_text().splitlines()
        if line and not line.startswith((" ", "#"))
    ]
    total = 0
    for name in names:
        for file in metadata.distribution(name).files or []:
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
    return total, len(names)


def percentile(values, q):
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


async def main(count):
    load_at_start = os.getloadavg()[0]
    sentences = domain_sentences()[:count]
    tts = PiperTTS()
    await tts.warm_up()

    first_audio = []
    for _ in range(2):
        for text in AGENT_SENTENCES:
            started = time.monotonic()
            chunks = tts.synthesize(text)
            await anext(chunks)
            first_audio.append(time.monotonic() - started)
            await chunks.aclose()

    probe = OfflineSTT()
    await probe.start()  # loads and warms the recognizer once for the process
    await probe.close()

    caller_voice = PiperTTS(variation=False)  # the same audio as the accuracy test hears
    recognizer = shared_recognizer()
    hypotheses, latencies, decode_times = [], [], []
    for sentence in sentences:
        spoken = await speak(caller_voice, sentence)
        audio = mulaw_silence(300) + spoken + mulaw_silence(1000)
        started = time.monotonic()
        recognizer.transcribe(mulaw_decode(mulaw_silence(250) + spoken + mulaw_silence(50)))
        decode_times.append(time.monotonic() - started)
        end = speech_end(audio)
        stt = OfflineSTT()
        await stt.start()
        text, latency = await recognise_live(stt, audio, end, realtime_from=max(0, end - 8000) // FRAME * FRAME)
        hypotheses.append(text)
        if latency is not None:
            latencies.append(latency)

    wer = word_error_rate(sentences, hypotheses)
    size, packages = installed_size(Path(__file__).resolve().parent.parent / "requirements" / "offline.txt")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("STT word error rate, domain set", f"{wer:.1%}", f"{len(sentences)} sentences, target <= 10%"),
        ("end of speech -> final transcript p50", f"{percentile(latencies, 50):.0f} ms", "target <= 400 ms"),
        (
            "end of speech -> final transcript p95",
            f"{percentile(latencies, 95):.0f} ms",
            "endpointing: 250 ms VAD silence",
        ),
        ("Whisper decode of one utterance p50", f"{percentile(decode_times, 50):.0f} ms", "overlaps the endpoint wait"),
        ("Whisper decode of one utterance p95", f"{percentile(decode_times, 95):.0f} ms", "8 s window, greedy"),
        ("TTS first audio p50", f"{percentile(first_audio, 50):.0f} ms", "target <= 150 ms"),
        ("TTS first audio p95", f"{percentile(first_audio, 95):.0f} ms", f"{len(first_audio)} agent sentences"),
        ("install size added", f"{size / 2**20:.0f} MiB", f"{packages} packages, requirements/offline.txt"),
        ("peak RSS of this process", f"{rss:.0f} MiB", "Whisper + Piper + silero loaded"),
        (
            "load average (1 min), start / end",
            f"{load_at_start:.1f}/{os.getloadavg()[0]:.1f}",
            f"{os.cpu_count()} cores",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>9}  note")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 30}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}")
    missed = [(s, h) for s, h in zip(sentences, hypotheses) if word_error_rate([s], [h]) > 0]
    if missed:
        print(f"\n{len(missed)} sentences with errors:")
        for said, heard in missed:
            print(f"  said:  {said}\n  heard: {heard}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=None, help="only the first N domain sentences")
    args = parser.parse_args()
    asyncio.run(main(args.sentences))
