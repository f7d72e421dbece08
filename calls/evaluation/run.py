"""Play scenarios and report: one result per scenario, a table, JSON, and a pass rate."""

import asyncio
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field

import django
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test.utils import override_settings

from calls import actions as call_actions
from calls.agent.greeting import voice_config
from calls.agent.scripted import ScriptedBrain
from calls.agent.tools import CallTools
from ottos.lib import queueing
from scheduling import shop_info
from scheduling.management import demo_shop
from scheduling.shop_settings import settings_of

from . import shop
from .dialogue import Caller, Line, TextCall
from .judge import judge
from .scenarios import ScenarioError

SHOP_NUMBER = demo_shop.SHOP["phone"]


@dataclass
class Result:
    id: str
    source: str
    about: str
    passed: bool
    failures: list
    transcript: list = field(default_factory=list)  # [{"who", "text", "tools"}]
    seconds: float = 0.0
    tags: tuple = ()
    latencies_ms: list = field(default_factory=list)  # voice mode: caller's end of speech -> first agent audio


def brain_for(kind, tz):
    """A fresh brain for one call: the scripted receptionist, or the language model the settings name."""
    if kind == "scripted":
        return ScriptedBrain(timezone=tz)
    if kind == "openai":
        if not settings.OPENAI_API_KEY:
            raise ValueError("--brain openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server)")
        from calls.voice.llm.openai import OpenAIBrain

        return OpenAIBrain(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL or None, model=settings.OPENAI_MODEL)
    raise ValueError(f"unknown brain {kind!r}: scripted or openai")


def run_scenario(scenario, *, brain="scripted", number=1):
    """Play one scenario in a freshly built shop; the shop's records are wiped first."""
    try:
        return _run_scenario(scenario, brain=brain, number=number)
    except ScenarioError as exc:  # a state the shop cannot be built in: name the scenario
        raise ScenarioError(f"{scenario.source or '<text>'}: scenario {scenario.id!r}: {exc}") from None


def _run_scenario(scenario, *, brain, number):
    started = time.perf_counter()
    with shop.staged(scenario) as stage:
        tz = stage.tz
        call_sid = f"CAevaluation{number:020d}"
        call_actions.open_call(call_sid=call_sid, from_number=stage.phone or "anonymous", to_number=SHOP_NUMBER)
        call = TextCall(
            brain=brain_for(brain, tz),
            tools=CallTools(
                call_sid=call_sid,
                caller_phone=stage.phone,
                service_names=tuple(shop_info.active_service_names()),
                timezone=tz,
            ),
            config=voice_config(shop=settings_of(stage.profile), customer=stage.customer),
            advisor_reachable=scenario.shop["advisor"],
        )
        lines = async_to_sync(_play)(call, Caller(scenario.says, scenario.rules))
        failures = judge(
            scenario,
            before=stage.before,
            lines=lines,
            ended=call.ended,
            phone=stage.phone,
            call_day=stage.moment.date(),
            tz=tz,
        )
        if call.stuck:
            failures.append("the call got stuck")
    return Result(
        id=scenario.id,
        source=scenario.source,
        about=scenario.about,
        passed=not failures,
        failures=failures,
        transcript=[{"who": line.who, "text": line.text, "tools": line.tools} for line in lines],
        seconds=round(time.perf_counter() - started, 2),
        tags=scenario.tags,
    )


CALL_TIMEOUT_S = 60.0  # a text call takes well under a second; a stuck one fails instead of hanging the run


async def _play(call, caller):
    try:
        async with asyncio.timeout(CALL_TIMEOUT_S):
            return await call.play(caller)
    except TimeoutError:
        call.lines.append(Line("agent", f"[the call was stuck for {CALL_TIMEOUT_S:.0f} s and was hung up]"))
        call.stuck = True
        return call.lines
    finally:
        await call.brain.close()


# The evaluation's own cache: what a call caches (the caller-ID lookups, the shop's time zone) is
# about the throwaway shop, and must neither reach the shop's real cache nor meet another
# process's evaluation there.
OWN_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "evaluation"}}


def run_all(scenarios, *, brain="scripted", progress=None, jobs=1):
    """Play every scenario. Nothing reaches the outside world meanwhile: no task is queued (no
    text is sent, no calendar written), the shop's Google Calendar is not read and its cache is
    not touched. With jobs > 1 the scenarios are shared among that many processes, each in a
    throwaway database of its own (database.throwaway); the results come back in order."""
    numbered = list(enumerate(scenarios, 1))
    if jobs > 1 and len(numbered) > 1:
        return _run_in_processes(numbered, brain=brain, progress=progress, jobs=jobs)
    return [result for _, result in _run_numbered(numbered, brain=brain, progress=progress)]


def _run_numbered(numbered, *, brain, progress=None):
    done = []
    with queueing.held(), override_settings(GOOGLE_CALENDAR_ID="", CACHES=OWN_CACHE):
        for number, scenario in numbered:
            result = run_scenario(scenario, brain=brain, number=number)
            done.append((number, result))
            if progress is not None:
                progress(result)
    return done


def _run_in_processes(numbered, *, brain, progress, jobs):
    shares = [numbered[i::jobs] for i in range(jobs)]  # dealt out: each file's long calls are spread
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked connections or threads
    by_number = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn, initializer=django.setup) as pool:
        for future in as_completed([pool.submit(_play_share, share, brain) for share in shares if share]):
            for number, result in future.result():
                by_number[number] = result
                if progress is not None:
                    progress(result)
    return [by_number[number] for number, _ in numbered]


def _play_share(share, brain):
    """In a process of its own: one share of the scenarios, in a throwaway database of its own."""
    from .database import throwaway

    with throwaway():
        return _run_numbered(share, brain=brain)


def pass_rate(results):
    return sum(r.passed for r in results) / len(results) if results else 0.0


def table(results):
    """Per file: scenarios, passed, rate; then the total."""
    rows, by_source = [], {}
    for result in results:
        by_source.setdefault(result.source, []).append(result)
    width = max([len(s) for s in by_source] + [5])
    rows.append(f"{'file':<{width}}  scenarios  passed    rate")
    for source, group in sorted(by_source.items()):
        rows.append(f"{source:<{width}}  {len(group):>9}  {sum(r.passed for r in group):>6}  {pass_rate(group):>6.1%}")
    rows.append(
        f"{'total':<{width}}  {len(results):>9}  {sum(r.passed for r in results):>6}  {pass_rate(results):>6.1%}"
    )
    return "\n".join(rows)


def latency_table(results):
    """Voice mode: the caller's end of speech to the first agent audio, over every reply."""
    values = sorted(ms for r in results for ms in r.latencies_ms)
    if not values:
        return ""

    def pct(p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    return f"replies  p50 ms  p95 ms  max ms\n{len(values):>7}  {pct(50):>6.0f}  {pct(95):>6.0f}  {values[-1]:>6.0f}"


def as_json(results, **meta):
    return json.dumps(
        {**meta, "pass_rate": round(pass_rate(results), 4), "results": [asdict(r) for r in results]},
        indent=2,
        default=str,
    )
