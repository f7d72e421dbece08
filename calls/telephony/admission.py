"""Admission control: a new call is taken only while the servers can carry it well.

One server process carries about CALLS_PER_PROCESS calls well (the call benchmark: ~100, and
everyone's barge-in suffers at ~150). Behind a load balancer the incoming-call webhook and the
media stream of one call may land on different processes, so the webhook cannot count its own
process's calls. It counts the cluster's, in Redis:

    ottos:admission:processes  sorted set, process id -> when its heartbeat lapses
    ottos:admission:live       hash, process id -> its live media streams
    ottos:admission:pending    sorted set, call SID -> when its reservation lapses

Each serving process publishes its count of live streams (when it changes, and every
HEARTBEAT_S); a process that stops publishing drops out after PROCESS_TTL_S, calls and capacity
both. The webhook admits a call, in one Lua script (atomic across processes), when

    live streams + admitted calls whose stream has not started yet < CALLS_PER_PROCESS x processes

and reserves a slot for it. The reservation ends when its stream starts (the process that takes
the stream removes it in the same script that counts the stream as live), when Twilio reports
the call over first (call_status), or after CALL_TOKEN_MAX_AGE_S (the stream's token is dead by
then). A Twilio retry of an admitted call's webhook finds its reservation and is admitted again.

On the embedded default (no REDIS_URL: one process) the same sums are made in this process.
Redis down closes nothing: the webhook falls back to this process's own count.

The consumer tells this module when a stream starts and ends (`stream_started`, `stream_ended`):
no I/O on the event loop; a daemon thread (`start_publishing`, from ottos/asgi.py) writes to Redis.
"""

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "ottos:admission:"
HEARTBEAT_S = 2.0
PROCESS_TTL_S = 10.0
REDIS_TIMEOUT_S = 0.5

_redis = None
_redis_down = False
_nudge = threading.Event()
_publisher = None
_publisher_lock = threading.Lock()

# Atomic in Redis: publish this process's count (dropping the reservations of the streams it
# took), forget the processes and reservations that lapsed, then, when a call SID is given,
# admit it if the cluster has room. Returns {admitted, live, pending, capacity, processes}. The
# clock is Redis's own, the one clock every host shares.
# ARGV: process id, its heartbeat's lifetime, its live streams, CALLS_PER_PROCESS, the call SID to
# admit (or ""), its reservation's lifetime, then the call SIDs whose streams this process took.
_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
for i = 7, #ARGV do redis.call('ZREM', KEYS[3], ARGV[i]) end
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do redis.call('HDEL', KEYS[2], gone) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local live = 0
for _, n in ipairs(redis.call('HVALS', KEYS[2])) do live = live + tonumber(n) end
local pending = redis.call('ZCARD', KEYS[3])
local processes = redis.call('ZCARD', KEYS[1])
local capacity = tonumber(ARGV[4]) * processes
local admitted = 0
if ARGV[5] ~= '' then
  if redis.call('ZSCORE', KEYS[3], ARGV[5]) then
    admitted = 1
  elseif live + pending < capacity then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), ARGV[5])
    pending = pending + 1
    admitted = 1
  end
end
return {admitted, live, pending, capacity, processes}
"""


@dataclass(frozen=True)
class Load:
    """Calls on the line (live streams), calls admitted but not streaming yet, and room for how many."""

    live: int
    pending: int
    capacity: int
    processes: int = 1

    def as_dict(self):
        return {
            "live_calls": self.live,
            "pending_calls": self.pending,
            "capacity": self.capacity,
            "processes": self.processes,
        }


@dataclass(frozen=True)
class Admission:
    admitted: bool
    load: Load
    shared: bool  # counted across the cluster (Redis), rather than in this process alone


def calls_per_process():
    return settings.CALLS_PER_PROCESS


class Switchboard:
    """One server process's part in admission control: its tally of live streams, and its view
    of the cluster's. The process has one (`board`); tests make others to play other processes."""

    def __init__(self, process_id, key_prefix=KEY_PREFIX):
        self.process_id = process_id
        self.keys = [key_prefix + name for name in ("processes", "live", "pending")]
        # The tally, under a lock held for no I/O (the consumer takes it on the event loop).
        self._lock = threading.Lock()
        self._live = set()  # call SIDs whose media stream is up in this process
        self._started = set()  # ... and whose reservation Redis has not been told to drop yet
        self._reserved = {}  # without Redis: call SID -> time.monotonic() when its reservation lapses
        # Writes to Redis one at a time, each with a snapshot taken after the last: an older count
        # is never written over a newer one.
        self._publishing = threading.Lock()

    def live_calls(self):
        return len(self._live)

    # --- the consumer's side ------------------------------------------------------------------

    def stream_started(self, call_sid):
        """A media stream is up in this process: one more live call, its reservation done."""
        with self._lock:
            self._live.add(call_sid)
            self._started.add(call_sid)
            self._reserved.pop(call_sid, None)

    def stream_ended(self, call_sid):
        """The stream is gone (any number of times per call)."""
        with self._lock:
            self._live.discard(call_sid)
            self._started.discard(call_sid)

    # --- the webhook's side -------------------------------------------------------------------

    def admit(self, call_sid):
        """Reserve a line for `call_sid` if the servers have room for one more call."""
        client = _client()
        if client is not None:
            try:
                return Admission(*self._run(client, call_sid), shared=True)
            except Exception as exc:  # redis-py's errors, a timeout: the phone keeps answering
                _redis_failed(exc)
        return self._admit_here(call_sid)

    def release(self, call_sid):
        """The call ended before its stream started (Twilio's status callback): its line is free."""
        with self._lock:
            self._reserved.pop(call_sid, None)
        client = _client()
        if client is not None:
            try:
                client.zrem(self.keys[2], call_sid)
            except Exception as exc:
                _redis_failed(exc)

    def cluster_load(self):
        """The cluster's load as Redis knows it (this process's count published first), or None
        without Redis or while it does not answer."""
        client = _client()
        if client is None:
            return None
        try:
            return self._run(client, None)[1]
        except Exception as exc:
            _redis_failed(exc)
            return None

    def publish(self):
        """Write this process's count to Redis now."""
        self.cluster_load()

    def _admit_here(self, call_sid):
        now = time.monotonic()
        capacity = calls_per_process()
        with self._lock:
            for sid in [sid for sid, until in self._reserved.items() if until <= now]:
                del self._reserved[sid]
            admitted = call_sid in self._reserved or len(self._live) + len(self._reserved) < capacity
            if admitted:
                self._reserved[call_sid] = now + settings.CALL_TOKEN_MAX_AGE_S
            return Admission(admitted, Load(len(self._live), len(self._reserved), capacity), shared=False)

    def _run(self, client, call_sid):
        """Publish this process's count and, with a call SID, try to admit it. -> (admitted, Load)."""
        with self._publishing:
            with self._lock:
                started, live = list(self._started), len(self._live)
            result = client.admission_script(
                keys=self.keys,
                args=[
                    self.process_id,
                    PROCESS_TTL_S,
                    live,
                    calls_per_process(),
                    call_sid or "",
                    settings.CALL_TOKEN_MAX_AGE_S,
                    *started,
                ],
            )
            with self._lock:
                self._started.difference_update(started)
        _redis_answered()
        admitted, live, pending, capacity, processes = (int(n) for n in result)
        return bool(admitted), Load(live, pending, capacity, processes)


board = Switchboard(f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")


def live_calls():
    """This process's live media streams."""
    return board.live_calls()


def stream_started(call_sid):
    board.stream_started(call_sid)
    _nudge.set()


def stream_ended(call_sid):
    board.stream_ended(call_sid)
    _nudge.set()


def admit(call_sid):
    return board.admit(call_sid)


def release(call_sid):
    board.release(call_sid)


def cluster_load():
    return board.cluster_load()


# --- Redis ------------------------------------------------------------------------------------


def _client():
    global _redis
    if not settings.REDIS_URL:
        return None
    if _redis is None:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        client.admission_script = client.register_script(_SCRIPT)
        _redis = client
    return _redis


def _redis_failed(exc):
    global _redis_down
    if not _redis_down:
        _redis_down = True
        logger.warning(
            "Admission control: Redis unreachable, each process counts only its own calls until it is back (%s: %s)",
            type(exc).__name__,
            exc,
        )


def _redis_answered():
    global _redis_down
    if _redis_down:
        _redis_down = False
        logger.warning("Admission control: Redis answers again; calls are counted across processes")


def start_publishing():
    """In a process that serves calls: keep its count and heartbeat in Redis (a daemon thread)."""
    global _publisher
    if not settings.REDIS_URL:
        return None
    with _publisher_lock:
        if _publisher is None or not _publisher.is_alive():
            _publisher = threading.Thread(target=_publish_forever, name="admission-publisher", daemon=True)
            _publisher.start()
    return _publisher


def _publish_forever():
    while True:
        _nudge.wait(HEARTBEAT_S)
        _nudge.clear()
        try:
            board.publish()
        except Exception:  # never let the heartbeat die
            logger.exception("Admission control: publishing this process's calls failed")
