"""A process that serves calls offline loads only what it runs: Whisper on CTranslate2 with its
own front end and tokenizer, not faster-whisper, whose import brings PyAV (FFmpeg with GPL
libx264/libx265, ~150 MB mapped) and huggingface_hub into every process though nothing is
decoded from a file or downloaded."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The offline voice as the server warms it up (calls/agent/engines.py), then one utterance heard.
SERVE_OFFLINE = """
import json, sys
from calls.tests.spoken import spoken
from calls.voice import turn, vad
from calls.voice.audio import mulaw_decode
from calls.voice.stt.whisper import shared_recognizer
from calls.voice.tts.offline import shared_piper_voice

recognizer = shared_recognizer()
vad.warm_up()
turn.warm_up()
shared_piper_voice()
text = recognizer.transcribe(mulaw_decode(spoken("Can I get an oil change tomorrow?")))
print(json.dumps({"text": text, "modules": sorted(sys.modules), "maps": open("/proc/self/maps").read()}))
"""


def serve_offline():
    done = subprocess.run([sys.executable, "-c", SERVE_OFFLINE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_offline_voice_hears_without_faster_whisper_pyav_or_the_hub():
    process = serve_offline()

    assert "oil change" in process["text"].lower()
    loaded = {name.partition(".")[0] for name in process["modules"]}
    assert not loaded & {"faster_whisper", "av", "huggingface_hub", "hf_xet", "fsspec", "filelock", "yaml"}
    libraries = {Path(line.split()[-1]).name for line in process["maps"].splitlines() if "/" in line}
    assert not [name for name in libraries if name.startswith(("libav", "libx264", "libx265", "libswscale"))]
