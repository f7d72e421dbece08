"""Infrastructure the apps share: structured logging, metrics, readiness probes, stopping on
SIGTERM, the one Twilio REST client, read-only admin, and queueing a task on commit.

The apps import these and nothing else of `ottos`: the rest of the package (settings, URLs,
ASGI routing, the Celery app) is the wiring that imports the apps.
"""
