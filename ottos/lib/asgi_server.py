"""How the project's ASGI application is served: one uvicorn configuration for production
(ottos/serve.py, see there why uvicorn) and for the in-process server of `simulate_call`, the
caller evaluation and the tests (calls/simulation.py), so that they try what production runs."""

from django.conf import settings

SHUTDOWN_GRACE_S = 10  # closing calls are filed in this time, then what is left is cancelled


def server_config(application, *, host, port=0, proxy_headers=False, access_log=True):
    import uvicorn

    return uvicorn.Config(
        application,
        host=host,
        port=port,
        loop="uvloop",
        http="h11",
        ws="websockets-sansio",
        ws_max_size=settings.MEDIA_STREAM_MAX_MESSAGE_BYTES,
        ws_per_message_deflate=False,  # Twilio does not offer it; compressing audio costs CPU for nothing
        lifespan="off",  # Django's ASGI handler does not speak the lifespan protocol
        proxy_headers=proxy_headers,
        access_log=access_log,
        log_config=None,  # LOGGING's handlers, with their redaction
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
