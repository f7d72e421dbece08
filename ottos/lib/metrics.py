"""Prometheus metrics for the phone agent (prometheus-client), served at /metrics (ottos.health).

The transcript log of a call (calls/transcript_log.py) reports through the small functions below; they
never raise, so a metrics problem cannot touch a call. With several server processes set
PROMETHEUS_MULTIPROC_DIR to an empty directory shared by them (wiped at deploy): values are
then kept in files there and any process's /metrics adds them all up; the gauges count live
processes only (`forget_dead_processes`, `process_exited`), and ottos_process_active_calls keeps
one series per process (its pid), to show how evenly the load balancer spreads the calls.
"""

import glob
import logging
import os
import re

from prometheus_client import Counter, Gauge, Histogram, multiprocess

logger = logging.getLogger(__name__)

ACTIVE_CALLS = Gauge("ottos_active_calls", "Calls whose media stream is open right now.", multiprocess_mode="livesum")
PROCESS_ACTIVE_CALLS = Gauge(
    "ottos_process_active_calls",
    "Calls whose media stream is open right now, per server process (a pid label with several processes).",
    multiprocess_mode="liveall",
)
CALLS = Counter("ottos_calls", "Calls whose media stream opened (the agent answered).")
TURNS = Counter("ottos_call_turns", "Conversation turns recorded, by who spoke.", ["role"])
VOICE_TO_VOICE = Histogram(
    "ottos_voice_to_voice_seconds",
    "From the end of the caller's speech to the first audio of the agent's reply.",
    buckets=(0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 8.0),
)
TOOL_ERRORS = Counter("ottos_tool_errors", "Agent tool calls that failed, by tool.", ["tool"])
VENDOR_ERRORS = Counter("ottos_vendor_errors", "Errors from speech and language vendors, by vendor.", ["vendor"])
VENDOR_FAILOVERS = Counter(
    "ottos_vendor_failovers",
    "Times a failing vendor was replaced mid-call by the offline engine, by engine (stt, tts, brain) and vendor.",
    ["engine", "vendor"],
)
VENDOR_RECONNECTS = Counter(
    "ottos_vendor_reconnects", "Streams to a vendor re-opened in the middle of a call, by vendor.", ["vendor"]
)
CACHE_DEGRADED = Counter(
    "ottos_cache_degraded",
    "Cache operations answered without Redis (unreachable or timing out), by what the key is for.",
    ["what"],
)
CALL_RECORDS_DROPPED = Counter(
    "ottos_call_records_dropped",
    "Call records (turns, tool calls, latencies, events) never written, by reason: unreachable (the database "
    "was down for longer than the recorder retries), overflow (too many waiting), unsavable (refused).",
    ["reason"],
)

ROLES = {"user", "assistant"}
# Label values come from call events: keep them few and tidy whatever a vendor module sends.
_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _label(value, known=None):
    text = str(value or "").strip().lower()
    if known is not None:
        return text if text in known else "other"
    return text if _LABEL.match(text) else "other"


def _safely(update):
    try:
        update()
    except Exception:
        logger.warning("Updating a metric failed", exc_info=True)


def call_started():
    _safely(CALLS.inc)
    _safely(ACTIVE_CALLS.inc)
    _safely(PROCESS_ACTIVE_CALLS.inc)


def call_ended():
    _safely(ACTIVE_CALLS.dec)
    _safely(PROCESS_ACTIVE_CALLS.dec)


def turn_recorded(role):
    _safely(lambda: TURNS.labels(role=_label(role, ROLES)).inc())


def voice_to_voice(seconds):
    if seconds is not None and seconds >= 0:
        _safely(lambda: VOICE_TO_VOICE.observe(seconds))


def tool_failed(name):
    _safely(lambda: TOOL_ERRORS.labels(tool=_label(name)).inc())


def vendor_error(vendor):
    _safely(lambda: VENDOR_ERRORS.labels(vendor=_label(vendor)).inc())


def vendor_reconnected(vendor):
    _safely(lambda: VENDOR_RECONNECTS.labels(vendor=_label(vendor)).inc())


def vendor_failed_over(engine, vendor):
    _safely(lambda: VENDOR_FAILOVERS.labels(engine=_label(engine, ENGINES), vendor=_label(vendor)).inc())


ENGINES = {"stt", "tts", "brain"}


def cache_degraded(what):
    _safely(lambda: CACHE_DEGRADED.labels(what=_label(what)).inc())


DROP_REASONS = {"unreachable", "overflow", "unsavable"}


def call_records_dropped(reason, count=1):
    if count > 0:
        _safely(lambda: CALL_RECORDS_DROPPED.labels(reason=_label(reason, DROP_REASONS)).inc(count))


def call_event(kind, data):
    """Count what a CallRecorder.event() reports: "vendor_error", "failover" and "reconnect" events.
    A failover is the vendor's error too: the offline engine took over because the vendor failed."""
    if kind == "vendor_error":
        vendor_error(data.get("vendor"))
    elif kind == "failover":
        vendor_error(data.get("vendor") or data.get("engine"))
        vendor_failed_over(data.get("engine"), data.get("vendor") or data.get("engine"))
    elif kind == "reconnect":
        vendor_reconnected(data.get("vendor"))


# --- several processes (PROMETHEUS_MULTIPROC_DIR) --------------------------------------------


def _multiprocess_dir():
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_exited(pid=None):
    """A server process is gone: its live gauges stop counting (its counters stay in the sums)."""
    if _multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid() if pid is None else pid)


def forget_dead_processes():
    """At a server's start: the live gauges of processes that died without `process_exited`
    (killed, crashed) stop counting. Returns their pids."""
    path = _multiprocess_dir()
    if not path:
        return []
    pids = {
        int(match.group(1))
        for name in glob.glob(os.path.join(path, "gauge_live*_*.db"))
        if (match := re.search(r"_(\d+)\.db$", name))
    }
    dead = sorted(pid for pid in pids if not _running(pid))
    for pid in dead:
        process_exited(pid)
    return dead


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
