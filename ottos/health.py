"""Probes for load balancers and orchestrators, and the Prometheus scrape endpoint.

/healthz  the process is up and serving (touches nothing else): 200 "ok"
/readyz   the database, Redis and the channel layer answer, each within READYZ_TIMEOUT_S:
          200 with a JSON status per check, or 503 naming the checks that failed; a vendor
          left alone after a failure is reported (vendors_resting_s) without failing the probe
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


@never_cache
@require_GET
async def readyz(request):
    timeout = READYZ_TIMEOUT_S
    names = ("database", "redis", "channel_layer")
    results = await asyncio.gather(
        probes.arun_probe(probes.database, timeout, "database"),
        _redis_check(timeout),
        _channel_layer_check(timeout),
    )
    checks = {}
    for name, result in zip(names, results):
        checks[name] = {"ok": result.ok, "detail": result.detail}
        if result.ms is not None:
            checks[name]["ms"] = result.ms
    failed = [name for name in names if not checks[name]["ok"]]
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    # A vendor this process left alone after it failed (new calls run on the offline engine until
    # the window closes): reported, but the process is still ready. Every process would say the same.
    from calls.agent.engines import resting_vendors  # here: it loads the vendor SDKs, which only call servers need

    if resting := resting_vendors():
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
