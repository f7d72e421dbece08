"""Playing scenarios as phone calls: the caller's lines are spoken by the offline TTS into the
whole call path (signed webhook, media stream, speech recognition, the receptionist, speech
synthesis) on a server in this process, and the agent's words are read from the call's
records, as `manage.py simulate_call` does. A benchmark, not a CI test: it runs in real time.

Besides the judge's verdict, each call gives the caller-side latency of every reply (the
caller's end of speech to the first agent audio they hear), and a call fails if the agent
asked whether the caller was still there: it must never do so while it is still transcribing.
"""

import asyncio
import time

from django.test.utils import override_settings

from calls.simulation import CallerLine, SimulatedCall, SimulationError, local_server, voiced_seconds
from calls.voice.interfaces import VoiceConfig
from ottos.lib import queueing

from . import shop
from .dialogue import Caller, Line
from .judge import judge
from .run import Result

STILL_THERE = VoiceConfig.__dataclass_fields__["reprompt"].default


class SpokenCaller:
    """The scenario's caller (dialogue.Caller), speaking through the offline TTS."""

    def __init__(self, caller, tts):
        self.caller = caller
        self.tts = tts

    async def next(self, agent_text):
        text = self.caller.answer(agent_text)
        if text is None:
            return None
        audio = b"".join([chunk async for chunk in self.tts.synthesize(text)])
        return CallerLine(text=text, audio=audio, voiced_s=voiced_seconds(audio))


def run_all_voice(scenarios, *, progress=None):
    from calls.voice.tts.offline import offline_tts

    results = []
    with queueing.held(), override_settings(GOOGLE_CALENDAR_ID=""), local_server() as url:
        tts = offline_tts()
        for _number, scenario in enumerate(scenarios, 1):
            result = run_voice_scenario(scenario, url=url, tts=tts)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


def run_voice_scenario(scenario, *, url, tts):
    started = time.perf_counter()
    with shop.staged(scenario) as stage:
        call = SimulatedCall(
            server_url=url,
            from_number=stage.phone or "anonymous",
            lines=SpokenCaller(Caller(scenario.says, scenario.rules), tts),
        )
        try:
            report = asyncio.run(call.run())
            problem = None
        except SimulationError as exc:
            report, problem = call.report, f"the call went wrong: {exc}"
        lines = [
            Line(line.role, line.said or line.text if line.role == "caller" else line.text)
            for line in report.transcript
        ]
        ended = (
            "transferred"
            if report.outcome == "transferred"
            else ("agent_ended" if report.ended_by == "agent" else None)
        )
        failures = judge(
            scenario,
            before=stage.before,
            lines=lines,
            ended=ended,
            phone=stage.phone,
            call_day=stage.moment.date(),
            tz=stage.tz,
        )
    failures += [problem] if problem else []
    failures += [f"no answer to {text!r}" for text in report.unanswered]
    if any(STILL_THERE in line.text for line in report.transcript if line.role == "agent"):
        failures.append("the agent asked whether the caller was still there")
    return Result(
        id=scenario.id,
        source=scenario.source,
        about=scenario.about,
        passed=not failures,
        failures=failures,
        transcript=[
            {
                "who": line.role,
                "text": line.text,
                "heard_as": line.text if line.role == "caller" else None,
                "said": line.said,
                "latency_ms": line.latency_ms,
                "tools": [],
            }
            for line in report.transcript
        ],
        seconds=round(time.perf_counter() - started, 2),
        tags=scenario.tags,
        latencies_ms=[line.latency_ms for line in report.transcript if line.latency_ms is not None],
    )
