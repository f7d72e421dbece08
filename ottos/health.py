"""Probes for load balancers and orchestrators, and the Prometheus scrape endpoint.

/healthz  the process is up and serving (touches nothing else): 200 "ok"
/readyz   the database, Redis and the channel layer answer, each within READYZ_TIMEOUT_S:
          200 with a JSON status per check, or 503 naming the checks that failed; a vendor
          left alone after a failure is reported (vendors_resting_s) without failing the probe.
          `calls` is the load: this process's live calls and its capacity (CALLS_PER_PROCESS),
          and the cluster's as Redis knows it; 503 ("full") while this process is full, so
          that a load balancer steers new calls to another
/metrics  Prometheus text format; when METRICS_TOKEN is set it needs `Authorization: Bearer <token>`
"""

import asyncio
import hmac
import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from calls.telephony import admission
from ottos.lib import probes

READYZ_TIMEOUT_S = 2.0


@never_cache
@require_GET
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


async def _redis_check(timeout):
    return await probes.arun_probe(probes.redis, timeout, "redis")


async def _channel_layer_check(timeout):
    try:
        return await probes.channel_layer(timeout)
    except TimeoutError:
        return probes.fail(f"no answer within {timeout:g} s")
    except Exception as exc:
        return probes.fail(probes.describe_error(exc))


async def _cluster_load(timeout):
    try:
        load = await asyncio.wait_for(asyncio.to_thread(admission.cluster_load), timeout)
    except Exception:  # TimeoutError: the redis check says what is wrong
        return None
    return None if load is None else load.as_dict()


@never_cache
@require_GET
async def readyz(request):
    timeout = READYZ_TIMEOUT_S
    names = ("database", "redis", "channel_layer")
    *results, cluster = await asyncio.gather(
        probes.arun_probe(probes.database, timeout, "database"),
        _redis_check(timeout),
        _channel_layer_check(timeout),
        _cluster_load(timeout),
    )
    checks = {}
    for name, result in zip(names, results):
        checks[name] = {"ok": result.ok, "detail": result.detail}
        if result.ms is not None:
            checks[name]["ms"] = result.ms
    failed = [name for name in names if not checks[name]["ok"]]
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    live, capacity = admission.live_calls(), admission.calls_per_process()
    body["calls"] = {"live": live, "capacity": capacity, "full": live >= capacity}
    if cluster is not None:
        body["calls"]["cluster"] = cluster
    if live >= capacity:
        body["status"] = body["status"] if failed else "full"
        failed.append("calls")
    if failed:
        body["failed"] = failed
    # A vendor left alone after it failed, here or in another process (new calls run on the offline
    # engine until the window closes): reported, but the process is still ready.
    from calls.agent.engines import (
        shared_resting_vendors,  # here: it loads the vendor SDKs, which only call servers need
    )

    if resting := await shared_resting_vendors():
        body["vendors_resting_s"] = resting
    return JsonResponse(body, status=503 if failed else 200)


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _authorized(request):
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics(request):
    if not _authorized(request):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(_registry()), content_type=content_type)
