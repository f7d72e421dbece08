"""Several server processes (`python -m ottos.serve --proxy-headers`, as the Procfile runs them)
behind nginx running the shipped deploy/nginx.conf, only its ports changed: what
test_scale_out.py tests and what the call benchmark runs with --processes. Nothing here needs
Django: the caller gives each process its environment (database, Redis, keys, settings).

    with BalancedServers(workdir, 3, env) as servers:
        servers.url             # nginx
        servers.processes[0]    # .url, .pid, .log_path: one server, reached directly
        servers.streams()       # media streams each process has accepted, from its access log
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
START_TIMEOUT_S = 60
MEDIA_STREAM_OPENED = re.compile(r'"WebSocket /ws/twilio/media/\S*" \[accepted\]')  # the server's line per stream

_UPSTREAM_SERVER = re.compile(r"^(?P<indent>[ \t]*)server 127\.0\.0\.1:\d+(?P<options>[^;\n]*);[ \t]*\n", re.M)
_LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen 80;", re.M)
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def nginx_binary():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        raise RuntimeError("nginx is needed (scripts/test.sh installs it)")
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_conf(upstream_ports, listen_port, text=None):
    """deploy/nginx.conf with its upstream servers on `upstream_ports` and listening on loopback
    `listen_port`; everything else as shipped."""
    text = NGINX_CONF.read_text() if text is None else text
    servers = list(_UPSTREAM_SERVER.finditer(text))
    if not servers or len(_LISTEN.findall(text)) != 1:
        raise ValueError(f"{NGINX_CONF} no longer has the upstream servers and `listen 80;` this expects")
    first = servers[0]
    lines = "".join(f"{first['indent']}server 127.0.0.1:{port}{first['options']};\n" for port in upstream_ports)
    text = text[: first.start()] + lines + _UPSTREAM_SERVER.sub("", text[first.start() :])
    return _LISTEN.sub(lambda m: f"{m['indent']}listen 127.0.0.1:{listen_port};", text)


@dataclass
class ServerProcess:
    url: str
    port: int
    log_path: Path
    process: subprocess.Popen

    @property
    def pid(self):
        return self.process.pid


class BalancedServers:
    """`count` server processes, each with `env`, behind nginx; logs and nginx's prefix in `workdir`.
    `preexec_fn` runs in each server process before it starts (the benchmark pins CPUs)."""

    def __init__(self, workdir, count, env, *, preexec_fn=None, python=sys.executable):
        self.workdir = Path(workdir)
        self.count = count
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.preexec_fn = preexec_fn
        self.python = python
        self.processes = []  # ServerProcess
        self.nginx = None
        self.port = None
        self.url = None

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
    def pids(self):
        return [server.pid for server in self.processes]

    def start(self):
        for index in range(1, self.count + 1):
            self.processes.append(self._start_server(index))
        for server in self.processes:
            self._wait_healthy(server.url, server.process, server.log_path)
        self._start_nginx()

    def stop(self):
        """nginx first (no new requests), then each server, gracefully (SIGTERM, as a deploy stops them)."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: open connections are let finish
            try:
                self.nginx.wait(5)
            except subprocess.TimeoutExpired:
                self.nginx.terminate()
                self.nginx.wait(5)
        for server in self.processes:
            if server.process.poll() is None:
                server.process.terminate()
        for server in self.processes:
            try:
                server.process.wait(15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()

    def streams(self):
        """How many media streams each process has accepted so far (in the order of `processes`)."""
        return [
            len(MEDIA_STREAM_OPENED.findall(server.log_path.read_text(errors="replace"))) for server in self.processes
        ]

    # --- inside --------------------------------------------------------------------------------

    def _start_server(self, index):
        port = free_port()
        log_path = self.workdir / f"server-{index}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    self.python,
                    "-m",
                    "ottos.serve",
                    "--proxy-headers",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "ottos.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn,
            )
        return ServerProcess(url=f"http://127.0.0.1:{port}", port=port, log_path=log_path, process=process)

    def _start_nginx(self):
        prefix = self.workdir / "nginx"
        for folder in ("logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_conf([server.port for server in self.processes], self.port))
        log_path = prefix / "logs" / "error.log"
        with open(prefix / "logs" / "stderr.log", "wb") as stderr:
            self.nginx = subprocess.Popen(
                [nginx_binary(), "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"],
                stdout=stderr,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_healthy(self.url, self.nginx, log_path)

    @staticmethod
    def _wait_healthy(url, process, log_path):
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with _DIRECT.open(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = Path(log_path).read_text(errors="replace")[-3000:] if Path(log_path).exists() else ""
                raise RuntimeError(f"{url} did not start (see {log_path}): {log}")
            time.sleep(0.1)
