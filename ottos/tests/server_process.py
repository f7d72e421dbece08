"""The project served as production serves it (`python -m ottos.serve`, as in the Procfile), in a
process of its own on the test database and the same Redis: for tests that need a real server
and a real browser or log file. Start it with scripts/test.sh (PostgreSQL shared by two processes)."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from django.conf import settings

START_TIMEOUT_S = 60


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tests_database_url():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("a server process needs the tests' PostgreSQL: run the tests with scripts/test.sh")
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def server_process(log_path, *, server_options=(), **environment):
    """Yields the server's URL once /healthz answers; its output goes to `log_path`. `environment`
    adds settings (DEBUG, DATA_DIR...); vendor keys are left out, so it runs on the offline engines.
    `server_options` are more of ottos.serve's options (e.g. "--proxy-headers")."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEEPGRAM_API_KEY", "OPENAI_API_KEY")}
    env.update(DATABASE_URL=tests_database_url(), PYTHONUNBUFFERED="1", **environment)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ottos.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                *server_options,
                "ottos.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
