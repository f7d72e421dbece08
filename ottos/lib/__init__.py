"""Infrastructure the apps share: structured logging, metrics, readiness probes, stopping on SIGTERM.

The apps import these and nothing else of `ottos`: the rest of the package (settings, URLs,
ASGI routing, the Celery app) is the wiring that imports the apps.
"""
