"""Every log line written inside a Celery task carries the task's id and name, through the console
handler as settings.LOGGING wires it (redaction and all); lines outside a task carry neither."""

import io
import json
import logging

import pytest

from ottos.celery import app
from ottos.lib.logging import StructuredFormatter, current_task

logger = logging.getLogger("ottos.tests.task_logging")


@app.task(name="ottos.tests.task_logging.remind")
def remind(phone):
    logger.warning("Reminder texted to %s", phone)
    return current_task()


@app.task(name="ottos.tests.task_logging.fails")
def fails():
    logger.info("about to fail")
    raise RuntimeError("the shop calendar said no")


@pytest.fixture
def console():
    """The console handler of settings.LOGGING, writing into a buffer: returns a reader of its lines."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, StructuredFormatter))
    buffer = io.StringIO()
    saved = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(saved)


def test_a_task_s_lines_carry_its_id_and_name_and_stay_redacted(console):
    result = remind.apply(args=["+13125550147"], task_id="0f4e2a9c-task-id-under-test")
    assert tuple(result.get()) == ("0f4e2a9c-task-id-under-test", "ottos.tests.task_logging.remind")
    (line,) = [line for line in console() if "Reminder texted" in line]
    assert "task_id=0f4e2a9c-task-id-under-test" in line
    assert "task=ottos.tests.task_logging.remind" in line
    assert "+13125550147" not in line and "***0147" in line


def test_lines_after_the_task_carry_no_task(console):
    remind.apply(args=["+13125550147"])
    logger.warning("outside any task")
    (line,) = [line for line in console() if "outside any task" in line]
    assert "task_id=" not in line and current_task() is None


def test_a_failing_task_s_error_line_carries_its_id_too(console):
    fails.apply(task_id="5b1d-failing-task")
    ours = [line for line in console() if "5b1d-failing-task" in line]
    assert any("about to fail" in line for line in ours)
    assert current_task() is None


def test_the_json_style_has_the_task_as_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    record.task_id, record.task_name = "abc-123", "crm.tasks.decode_vin"
    fields = json.loads(StructuredFormatter("json").format(record))
    assert (fields["task"], fields["task_id"]) == ("crm.tasks.decode_vin", "abc-123")


@pytest.mark.django_db(transaction=True)
def test_a_worker_s_lines_for_a_task_carry_its_id(tmp_path):
    """A real worker (Redis broker, prefork as in the Procfile): its line about the task it ran
    carries the task's id and name as fields."""
    import os
    import secrets
    import subprocess
    import sys
    import time

    from calls.tasks import transcribe_voicemail
    from ottos.tests import server_process

    queue = "test-task-log-" + secrets.token_hex(4)
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": server_process.tests_database_url(), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ottos",
                "worker",
                "-Q",
                queue,
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        task_id = "7c2e-worker-task-" + secrets.token_hex(4)
        result = transcribe_voicemail.apply_async(args=[0], queue=queue, task_id=task_id)
        assert result.get(timeout=60) == "gone"
        deadline = time.monotonic() + 10
        while f"task_id={task_id}" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(20)
    ours = [line for line in log_path.read_text().splitlines() if f"task_id={task_id}" in line]
    assert ours, log_path.read_text()[-3000:]
    assert all("task=calls.tasks.transcribe_voicemail" in line for line in ours)
