"""The voice engine stands on its own: a whole conversation with a tool and a barge-in runs in
plain asyncio, in a fresh interpreter where Django is not configured, and nothing of Django,
Channels or the shop is ever imported."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONVERSATION = r"""
import asyncio, json, sys

from calls.tests.voice_doubles import Call, ShopTools, ToneTTS, tool_call
from calls.voice.session import ToolOutcome

LONG = "Tuesday at nine works. I will need your name. And the car's make and model please."


async def main():
    slots = ToolOutcome(json.dumps({"slots": ["Tuesday 9:00"]}), ok=True)
    tools = ShopTools({"get_available_slots": slots}, fillers={"get_available_slots": "Checking."})
    async with Call([tool_call("get_available_slots", date="2030-06-04")], [LONG], ["Wednesday it is."],
                    tools=tools, tts=ToneTTS(ms_per_char=5.0)) as call:
        await call.greeted()
        call.stt.says("Can I come in Tuesday?")
        await call.until(lambda: "t2-s1" in call.line.heard_marks, timeout=5)
        call.stt.speech_started()
        call.stt.interim("Actually can we")
        await call.until(lambda: call.line.clears, timeout=5)
        call.stt.final("Actually can we do Wednesday?")
        await call.replied(3, timeout=5)
        result = {
            "tools_run": tools.completed,
            "heard": call.assistant_turns()[1]["heard_text"],
            "history": call.session.history[1:],
            "last_reply": call.assistant_turns()[-1]["heard_text"],
        }
    result["foreign_modules"] = sorted(
        name for name in sys.modules
        if name.split(".")[0] in ("django", "channels", "uvicorn", "crm", "scheduling", "ottos")
        or (name.startswith("calls.") and not name.startswith(("calls.voice", "calls.tests")))
    )
    print(json.dumps(result))


asyncio.run(main())
"""


def test_a_whole_conversation_runs_without_django():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", CONVERSATION], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["foreign_modules"] == []
    assert result["tools_run"] == ["get_available_slots"]
    assert result["heard"] == "Tuesday at nine works."  # the barge-in cut the reply after its first sentence
    greeting, *history = result["history"]
    assert greeting == {"role": "assistant", "content": "Thanks for calling Otto's. This call is recorded."}
    assert history[0] == {"role": "user", "content": "Can I come in Tuesday?"}
    assert history[1]["tool_calls"][0]["function"]["name"] == "get_available_slots"
    assert history[2]["role"] == "tool" and history[2]["tool_call_id"] == history[1]["tool_calls"][0]["id"]
    assert history[3:] == [
        {"role": "assistant", "content": "Tuesday at nine works."},
        {"role": "user", "content": "Actually can we do Wednesday?"},
        {"role": "assistant", "content": "Wednesday it is."},
    ]
    assert result["last_reply"] == "Wednesday it is."
