"""The processes of the call benchmark and what they cost: both vendor fakes, each in its own
process, and one server process (ottos.serve) serving ottos.asgi:application on the PostgreSQL and Redis named by
DATABASE_URL and REDIS_URL, configured as production would be (signed webhooks, keys, base
URLs pointing at the fakes). With `processes` > 1, that many server processes behind nginx
running deploy/nginx.conf (ottos/tests/balanced_servers.py, as test_scale_out runs them), sharing
a PROMETHEUS_MULTIPROC_DIR; the callers then go through nginx, and the server's CPU and memory
are the sums over its processes.

On a machine with two or more CPUs the server gets CPU 0 and everything else (fakes,
callers) shares the others: the fakes stand for Deepgram's, OpenAI's and Twilio's machines,
and must not take the server's CPU. PostgreSQL and Redis are left on any CPU. All of these
run at a raised priority (`nice`, when allowed) so that other work on a shared machine
disturbs the figures as little as possible.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.voice import script
from ottos.tests.balanced_servers import BalancedServers

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SERVER = [PYTHON, "-m", "ottos.serve"]  # uvicorn on uvloop, as in production
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PUBLIC_BASE_URL = "https://ottos-bench.example"
TWILIO_AUTH_TOKEN = "benchmark-twilio-auth-token"
DEEPGRAM_API_KEY = "test-deepgram-key"  # fakes.deepgram.DEFAULT_API_KEY
OPENAI_API_KEY = "sk-fake-openai-key"  # fakes.openai.DEFAULT_API_KEY


def cpu_seconds(pid):
    """User + system CPU of a whole process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_busy():
    """Per CPU: (busy, total) jiffies since boot, from /proc/stat."""
    busy = {}
    with open("/proc/stat") as stat:
        for line in stat:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu":
                values = list(map(int, values[:8]))
                idle = values[3] + values[4]
                busy[name] = (sum(values) - idle, sum(values))
    return busy


class Rig:
    def __init__(self, workdir, *, pin=True, nice=-10, port=0, extra_env=None, processes=1):
        self.workdir = Path(workdir)
        self.nice = nice
        self.extra_env = dict(extra_env or {})
        self.port = port or _free_port()
        self.app_url = f"http://127.0.0.1:{self.port}"
        self.server_count = processes
        self.balanced = None  # BalancedServers, with several server processes
        cpus = sorted(os.sched_getaffinity(0))
        # The server processes share the first CPUs (as many as there are processes, leaving one
        # for the fakes and callers); everything else gets the rest.
        server_share = max(1, min(processes, len(cpus) - 1))
        self.server_cpus = set(cpus[:server_share]) if pin and len(cpus) > 1 else None
        self.other_cpus = set(cpus[server_share:]) if self.server_cpus else None
        self.processes = {}  # name -> Popen
        self.urls = {}

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def server_pid(self):
        return self.server_pids[0]

    @property
    def server_pids(self):
        if self.balanced is not None:
            return self.balanced.pids
        return [self.processes["server"].pid]

    def server_rss_mb(self):
        return sum(rss_mb(pid) for pid in self.server_pids)

    def streams_per_process(self):
        """Media streams each server process has accepted so far (several processes only)."""
        return self.balanced.streams() if self.balanced is not None else []

    def start(self):
        if self.other_cpus:
            os.sched_setaffinity(0, self.other_cpus)  # the callers
        self.nice = _raise_priority(0, self.nice)
        for pid in _service_pids():
            _raise_priority(pid, self.nice)
        for vendor in ("deepgram", "openai"):
            self.urls[vendor] = self._start_vendor(vendor)
        env = self.server_env()
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        if self.server_count > 1:
            (self.workdir / "metrics").mkdir(exist_ok=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.workdir / "metrics")
            self.balanced = BalancedServers(
                self.workdir, self.server_count, env, preexec_fn=self._pin(self.server_cpus), python=PYTHON
            )
            self.balanced.start()
            self.app_url = self.balanced.url
            return
        log = open(self.workdir / "server.log", "wb")
        self.processes["server"] = subprocess.Popen(
            [*SERVER, "-b", "127.0.0.1", "-p", str(self.port), "ottos.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=self._pin(self.server_cpus),
        )
        self._wait_healthy()

    def server_env(self):
        env = dict(os.environ)
        env.update(
            SECRET_KEY="benchmark-only-not-secret",
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PUBLIC_BASE_URL=PUBLIC_BASE_URL,
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
            DEEPGRAM_API_KEY=DEEPGRAM_API_KEY,
            DEEPGRAM_BASE_URL=self.urls["deepgram"],
            OPENAI_API_KEY=OPENAI_API_KEY,
            OPENAI_BASE_URL=self.urls["openai"],
            VOICE_ENDPOINTING_MS=str(script.STT_ENDPOINTING_MS),
            PYTHONUNBUFFERED="1",
            SECURE_SSL_REDIRECT="false",  # plain http on loopback stands for TLS at the balancer
        )
        env.update(self.extra_env)
        return env

    def stop(self):
        if self.balanced is not None:
            self.balanced.stop()
        for _name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()

    def cpu_by_process(self):
        """CPU seconds so far: "server" (summed over its processes), each vendor fake, the callers
        (this process), and with several server processes each of them ("server-1"...) and nginx."""
        figures = {name: cpu_seconds(p.pid) for name, p in self.processes.items() if p.poll() is None}
        if self.balanced is not None:
            for index, pid in enumerate(self.balanced.pids, 1):
                figures[f"server-{index}"] = cpu_seconds(pid)
            figures["server"] = sum(figures[f"server-{i}"] for i in range(1, len(self.balanced.pids) + 1))
            nginx = self.balanced.nginx.pid
            figures["nginx"] = sum(cpu_seconds(pid) for pid in [nginx, *_children(nginx)])
        times = os.times()
        figures["callers"] = times.user + times.system
        return figures

    def _start_vendor(self, vendor):
        process = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.voice.vendors", vendor],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=open(self.workdir / f"{vendor}.log", "wb"),
            preexec_fn=self._pin(self.other_cpus),
        )
        self.processes[vendor] = process
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {vendor} fake did not start; see {self.workdir / (vendor + '.log')}")
        return json.loads(line)["base_url"]

    def _wait_healthy(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["server"].poll() is not None:
                raise RuntimeError(f"the server exited; see {self.workdir / 'server.log'}")
            try:
                with urllib.request.urlopen(self.app_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /healthz in {timeout:g} s")

    def _pin(self, cpus):
        def prepare():
            if cpus:
                os.sched_setaffinity(0, cpus)
            _raise_priority(0, self.nice)

        return prepare


def _raise_priority(pid, nice):
    """Set `nice` on a process; returns the nice value in effect (0 when not allowed)."""
    if not nice:
        return 0
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:
        return 0
    return nice


def _service_pids():
    """PostgreSQL (the postmaster and its processes) and Redis of DATABASE_URL and REDIS_URL."""
    from urllib.parse import urlsplit

    ports = [urlsplit(os.environ.get(name, "")).port for name in ("DATABASE_URL", "REDIS_URL")]
    marks = [f"-p {ports[0]} ", f":{ports[1]}"]
    pids, parents = [], {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace") + " "
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ("postgres" in command or "redis-server" in command) and any(m in command for m in marks if "None" not in m):
            pids.append(int(entry.name))
    return pids + [pid for pid, parent in parents.items() if parent in pids]


def _children(pid):
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                children.append(int(entry.name))
    return children


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
