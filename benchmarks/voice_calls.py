"""Phone-call benchmark: N concurrent simulated calls against a running server, end to end.

Usage (throwaway PostgreSQL and Redis, started and stopped for the run):
    scripts/bench_voice.sh [--calls 1,10,50] [--min-turns 20] [--processes N]
which is   scripts/with_services.sh .venv/bin/python benchmarks/voice_calls.py ...

What runs (issue 3, "Benchmark"): one server process (ottos.serve: uvicorn) serving ottos.asgi:application on
PostgreSQL + Redis (migrated, seed_demo), signed Twilio webhooks (TWILIO_AUTH_TOKEN,
PUBLIC_BASE_URL), the real Deepgram and OpenAI SDKs pointed at the loopback fakes, each fake
in its own process with the vendors' awkward timing (benchmarks/voice/script.py: STT endpointing
300 ms, interims about a second apart, split and late finals, some turns ended only by
UtteranceEnd; LLM first token 200-700 ms then 50 tokens/s; TTS first byte 90-250 ms). The callers run here, in this process: each signs the
webhook, opens the media stream, sends 20 ms frames in real time and plays what it gets at
8000 bytes/s, echoing marks (benchmarks/voice/caller.py). Each call: the greeting, then five
turns (benchmarks/voice/script.py): questions answered in two or three sentences, one turn
through the get_available_slots tool (PostgreSQL), and one reply the caller talks over.
Each level runs enough rounds of N calls for --min-turns measured turns.

--processes N (N > 1): N server processes behind nginx running deploy/nginx.conf (least_conn),
sharing a PROMETHEUS_MULTIPROC_DIR, as production runs several; the callers' webhooks and media
streams go through nginx. The server's CPU and memory are then summed over the processes, and
each level also gives each process's CPU and the media streams it took.

Columns (ms unless stated); how the fakes' time is taken out: benchmarks/voice/report.py.
  v2v            the caller's last speech frame -> the first agent frame reaching the caller
  own            v2v minus the fakes' own time (STT endpointing or utterance end, and how late
                 it sent that; LLM until the token that completes the first spoken piece; TTS
                 first byte), each measured by the fake
  own p95*       the same with the LLM's time ending at the piece's last token (stricter)
  clear          barge-in: the caller's first frame of speech over the agent -> `clear` at the
                 caller (the fake STT sends SpeechStarted on that first loud frame; its first
                 interim words come about a second of audio later)
  gap            the longest time a reply's playback ran dry between its first and last frame
  CPU s/call-min server process CPU seconds per minute of call (all server processes)
  MB/extra call  (server RSS at N calls - at the first level) / (N - first level's N)
"""

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from benchmarks.voice import caller, report, rig, script  # noqa: E402
from scheduling.management.demo_shop import cast  # noqa: E402

SETTLE_S = 2.0  # after the last hang-up: the server files the calls (counted in its CPU)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="1,10,50", help="concurrent calls per level (default 1,10,50)")
    parser.add_argument("--min-turns", type=int, default=20, help="measured turns per level at least (default 20)")
    parser.add_argument("--stagger-s", type=float, default=5.0, help="calls of a round start over this long")
    parser.add_argument("--no-pin", action="store_true", help="do not give the server a CPU of its own")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes; more than 1 puts them behind nginx (deploy/nginx.conf)",
    )
    parser.add_argument(
        "--nice", type=int, default=-10, help="priority of the benchmark's processes (default -10; 0 leaves it)"
    )
    parser.add_argument("--dump", metavar="FILE", help="write every measurement and fake timing as JSON")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for the server, e.g. DB_POOL_SIZE=0 (repeatable)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.calls.split(",")]
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (postgres://...) and REDIS_URL, or run it through scripts/bench_voice.sh")
    workdir = tempfile.mkdtemp(prefix="ottos-bench-voice-")
    print(f"logs in {workdir}", file=sys.stderr)
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    if args.processes < 1:
        sys.exit("--processes must be at least 1")
    with rig.Rig(
        workdir, pin=not args.no_pin, nice=args.nice, extra_env=extra_env, processes=args.processes
    ) as processes:
        pinned = f"server on CPU {sorted(processes.server_cpus)}" if processes.server_cpus else "no CPU pinning"
        pinned += f", nice {processes.nice}"
        pids = ", ".join(map(str, processes.server_pids))
        behind = " behind nginx" if args.processes > 1 else ""
        print(f"server {processes.app_url}{behind} (pid {pids}, {pinned}); fakes {processes.urls}", file=sys.stderr)
        results = asyncio.run(run_levels(processes, levels, args))
    text, _ = report.render(results)
    print(text)
    print_context(results)
    if args.dump:
        Path(args.dump).write_text(json.dumps(report.dump(results), indent=1))


async def run_levels(processes, sizes, args):
    phones = [person["phone"] for person in cast()]
    timeout = aiohttp.ClientTimeout(total=None, connect=10, sock_read=None)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as http:
        numbers = iter(range(1, 1_000_000))
        print("warm-up call ...", file=sys.stderr)
        await run_round(http, processes, 1, numbers, phones, args)  # imports, pools, caches
        levels = []
        for size in sizes:
            level = report.Level(calls=size)
            rounds = max(1, math.ceil(args.min_turns / (size * len(script.TURNS))))
            for index in range(rounds):
                print(f"{size} calls, round {index + 1} of {rounds} ...", file=sys.stderr)
                level.rounds.append(await run_round(http, processes, size, numbers, phones, args))
            levels.append(report.analyse(level))
            row = report.level_row(level)
            print(
                f"  {size} calls: v2v p95 {row['v2v_p95']:.0f} ms, own p95 {row['own_p95']:.1f} ms, "
                f"clear p95 {row['clear_p95']:.1f} ms, {len(level.problems)} problems",
                file=sys.stderr,
            )
    return levels


async def run_round(http, processes, size, numbers, phones, args):
    calls = [
        caller.SimulatedCall(
            http,
            number=next(numbers),
            app_url=processes.app_url,
            public_url=rig.PUBLIC_BASE_URL,
            auth_token=rig.TWILIO_AUTH_TOKEN,
            from_number=phones[i % len(phones)],
        )
        for i in range(size)
    ]
    samples = []

    async def sample_memory():
        while True:
            samples.append((time.monotonic(), processes.server_rss_mb()))
            await asyncio.sleep(0.25)

    async def place(index, call):
        await asyncio.sleep(index * args.stagger_s / size)
        await call.run()

    callers_lag = []

    async def watch_lag():  # how late this process's timers fire: the callers' own delays
        while True:
            due = time.monotonic() + 0.01
            await asyncio.sleep(0.01)
            callers_lag.append(time.monotonic() - due)

    lag = asyncio.create_task(watch_lag())
    rss_before = processes.server_rss_mb()
    streams_before = processes.streams_per_process()
    cpu_before, busy_before, started = processes.cpu_by_process(), rig.cpu_busy(), time.monotonic()
    sampler = asyncio.create_task(sample_memory())
    await asyncio.gather(*(place(i, call) for i, call in enumerate(calls)))
    await asyncio.sleep(SETTLE_S)
    sampler.cancel()
    cpu_after, busy_after, wall = processes.cpu_by_process(), rig.cpu_busy(), time.monotonic() - started
    streams = [now - then for now, then in zip(processes.streams_per_process(), streams_before)]
    lag.cancel()
    timings = {"lag": {"callers": callers_lag}}
    for _vendor, base in processes.urls.items():
        async with http.get(base.removesuffix("/v1") + "/_bench/timings", params={"clear": "1"}) as response:
            answer = await response.json()
        timings["lag"].update(answer.pop("lag", {}))
        timings.update(answer)
    up = [c for c in calls if c.connected_at and c.closed_at]
    all_up = [
        rss for at, rss in samples if up and max(c.connected_at for c in up) <= at <= min(c.closed_at for c in up)
    ]
    other = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after if name != "server"}
    other["cpu_busy"] = {
        name: (busy_after[name][0] - busy_before[name][0]) / max(1, busy_after[name][1] - busy_before[name][1])
        for name in busy_after
    }
    return report.Round(
        calls=calls,
        server_cpu_s=cpu_after["server"] - cpu_before["server"],
        server_rss_mb=max(all_up or [rss for _, rss in samples] or [rss_before]),
        server_rss_before_mb=rss_before,
        other_cpu_s=other,
        wall_s=wall,
        timings=timings,
        streams_per_process=streams,
    )


def print_context(levels):
    print()
    for level in levels:
        rounds = level.rounds
        wall = sum(r.wall_s for r in rounds)
        cpu = {name: sum(r.other_cpu_s[name] for r in rounds) for name in ("deepgram", "openai", "callers")}
        busy = {}
        for r in rounds:
            for name, share in r.other_cpu_s["cpu_busy"].items():
                busy.setdefault(name, []).append(share)
        print(
            f"{level.calls} calls: {len(rounds)} round(s), {wall:.0f} s, "
            f"{sum(r.call_minutes for r in rounds):.1f} call-minutes, server CPU "
            f"{sum(r.server_cpu_s for r in rounds) / wall * 100:.0f}% of a core; "
            + ", ".join(f"{name} {seconds / wall * 100:.0f}%" for name, seconds in cpu.items())
            + "; machine "
            + ", ".join(f"{name} {max(shares) * 100:.0f}% busy" for name, shares in busy.items())
        )
        lags = {}
        for r in rounds:
            for name, samples in r.timings.get("lag", {}).items():
                lags.setdefault(name, []).extend(samples)
        servers = sorted(
            (name for name in rounds[0].other_cpu_s if name.startswith("server-")),
            key=lambda name: int(name.split("-")[1]),
        )
        if servers:  # several processes behind nginx
            streams = [sum(r.streams_per_process[i] for r in rounds) for i in range(len(servers))]
            print(
                f"  {len(servers)} server processes: CPU "
                + ", ".join(f"{sum(r.other_cpu_s[name] for r in rounds) / wall * 100:.0f}%" for name in servers)
                + f" of a core (nginx {sum(r.other_cpu_s['nginx'] for r in rounds) / wall * 100:.0f}%); "
                + "media streams "
                + "/".join(map(str, streams))
            )
        print(
            "  timer lateness of the non-server processes (ms, p95/max): "
            + ", ".join(
                f"{name} {report.pct(samples, 95) * 1000:.1f}/{max(samples, default=0) * 1000:.1f}"
                for name, samples in lags.items()
            )
        )
        for problem in level.problems[:10]:
            print(f"  problem: {problem}")
        if len(level.problems) > 10:
            print(f"  ... and {len(level.problems) - 10} more problems")


if __name__ == "__main__":
    main()
