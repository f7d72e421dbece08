"""A shop that must not run GPL code in its server process (Piper links espeak-ng in-process;
PyAV would bring FFmpeg) sets VOICE_TTS_OFFLINE=espeak (or VOICE_TTS=espeak): a real server
process on that setting builds a call's engines, loads every offline model it warms up, speaks
a sentence, and has neither Piper nor espeak-ng's or FFmpeg's libraries loaded."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROCESS = """
import asyncio, json, os, re, sys
import django
django.setup()
from calls.agent.engines import engines_for_call, warm_up_in_background

engines = engines_for_call()
warming = warm_up_in_background()
if warming is not None:
    warming.join(120)
tts = getattr(engines.tts, "backup", engines.tts)  # Deepgram's voice: its offline backup

async def speak():
    return b"".join([chunk async for chunk in tts.synthesize("Your car is ready to pick up.")])

audio = asyncio.run(speak())
with open("/proc/self/maps") as maps:
    paths = {line.split()[-1] for line in maps if "/" in line}
print(json.dumps({
    "tts": type(tts).__name__,
    "audio_bytes": len(audio),
    "stt": type(engines.stt).__name__,
    "modules": sorted(name for name in sys.modules if name.split(".")[0] in ("piper", "av", "faster_whisper")),
    "libraries": sorted(p for p in paths if re.search(r"espeak|piper|/libav|/av\\.libs/|/libsw", p)),
}))
"""


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed (scripts/test.sh installs it)")
@pytest.mark.parametrize(
    "env",
    [
        {"VOICE_TTS_OFFLINE": "espeak"},  # the embedded default, offline speech in and out
        {"VOICE_TTS": "espeak"},
        {"VOICE_TTS_OFFLINE": "espeak", "DEEPGRAM_API_KEY": "dg-key"},  # Deepgram, espeak-ng as its backup
    ],
    ids=["offline", "voice-tts-espeak", "deepgram-backup"],
)
def test_the_espeak_setting_keeps_gpl_and_ffmpeg_libraries_out_of_the_process(env, tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_", "DEEPGRAM_", "OPENAI_"))}
    environment.update(env, DEBUG="1", SECRET_KEY="x", DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="ottos.settings")
    result = subprocess.run(
        [sys.executable, "-c", PROCESS], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=150
    )
    assert result.returncode == 0, result.stderr[-2000:]
    process = json.loads(result.stdout.strip().splitlines()[-1])
    assert process["tts"] == "EspeakTTS" and process["audio_bytes"] > 8000  # over a second of 8 kHz mu-law
    assert process["stt"] in ("OfflineSTT", "FailoverSTT")  # Whisper loaded, as primary or backup
    assert process["modules"] == []
    assert process["libraries"] == []
