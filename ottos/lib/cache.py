"""The cache backend in production: Django's RedisCache, except that Redis being down or slow is
a cache miss rather than an error.

Everything kept in the cache can be worked out again (caller IDs, VIN decodes, Google free/busy),
so while Redis is unreachable a read answers "not cached", a write is skipped and the caller goes
to the source. The phone keeps ringing through a Redis restart; each such operation is counted in
ottos_cache_degraded_total{what=<the key's family>}, and the outage is logged when it starts and
when it ends, not once per operation. (Single-use stream tokens do not rely on the cache at all:
calls/telephony/tokens.py claims the call in the database.)

A forget (delete) lost this way leaves an entry that may be stale when Redis comes back with its
data; entries expire on their own (CUSTOMER_CACHE_SECONDS and the like).
"""

import logging
import re
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from . import metrics

logger = logging.getLogger(__name__)

_NOT_A_LABEL = re.compile(r"[^a-z0-9]+")
_outage = threading.Event()  # set while Redis is failing, across threads (Django keeps a cache per thread)


def key_family(key):
    """ "crm:customer-by-phone:+1312..." -> "crm_customer_by_phone": what a key is for, not which one."""
    family = ":".join(str(key).split(":")[:2]).lower()
    return _NOT_A_LABEL.sub("_", family).strip("_")[:40] or "other"


class ForgivingRedisCache(RedisCache):
    def _degraded(self, key, operation, exc):
        metrics.cache_degraded(key_family(key))
        if not _outage.is_set():
            _outage.set()
            logger.warning(
                "Cache (Redis) unreachable: %s answers as a miss, and so will the rest until it is back (%s: %s)",
                operation,
                type(exc).__name__,
                exc,
            )

    def _answered(self, result):
        if _outage.is_set():
            _outage.clear()
            logger.warning("Cache (Redis) answers again")
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return self._answered(super().add(key, value, timeout, version))
        except RedisError as exc:
            self._degraded(key, "add", exc)
            return False

    def get(self, key, default=None, version=None):
        try:
            return self._answered(super().get(key, default, version))
        except RedisError as exc:
            self._degraded(key, "get", exc)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            self._answered(super().set(key, value, timeout, version))
        except RedisError as exc:
            self._degraded(key, "set", exc)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return self._answered(super().touch(key, timeout, version))
        except RedisError as exc:
            self._degraded(key, "touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return self._answered(super().delete(key, version))
        except RedisError as exc:
            self._degraded(key, "delete", exc)
            return False

    def get_many(self, keys, version=None):
        try:
            return self._answered(super().get_many(keys, version))
        except RedisError as exc:
            self._degraded(next(iter(keys), ""), "get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return self._answered(super().has_key(key, version))
        except RedisError as exc:
            self._degraded(key, "has_key", exc)
            return False

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return self._answered(super().set_many(data, timeout, version))
        except RedisError as exc:
            self._degraded(next(iter(data), ""), "set_many", exc)
            return list(data)

    def delete_many(self, keys, version=None):
        try:
            self._answered(super().delete_many(keys, version))
        except RedisError as exc:
            self._degraded(next(iter(keys), ""), "delete_many", exc)
