"""The production server: Daphne on uvloop, its access log redacted.

    python -m ottos.serve [daphne's options] ottos.asgi:application

Daphne builds Twisted's event loop when `daphne.server` is imported, from the asyncio policy in
force, so uvloop has to be chosen before that import; Daphne has no option for it. The call
benchmark measured Daphne's server CPU per call-minute at one call drop by about a third on
uvloop (each caller frame is several event-loop wake-ups). Where uvloop is not available the
standard loop serves.

Daphne writes its access log itself (to stdout, or the file of --access-log), not through
`logging`, so the console handler's redaction never sees it, and it writes each request's path
as it came, query string and all (`GET /calls/?q=%2B13125550147`). The server is given an access
log that passes every path through the same `redact` first; where and in what form Daphne writes
it stay Daphne's (--access-log, -v).

Several processes behind a load balancer (deploy/nginx.conf) run with --proxy-headers, so that
the client's address and scheme come from X-Forwarded-For/-Proto, and share
PROMETHEUS_MULTIPROC_DIR: a process starting forgets the live gauges of processes that died
without saying so, and one stopping takes its own out.
"""

import asyncio
import sys

from ottos.lib.logging import redact


def redacted_access_log(action_logger):
    """Daphne's action logger (what writes its access log), handed each request's path redacted."""
    if action_logger is None:
        return None

    def log_action(protocol, action, details):
        if details.get("path"):
            details = {**details, "path": redact(details["path"])}
        action_logger(protocol, action, details)

    return log_action


def server_with_redacted_access_log(**options):
    """Daphne's Server, as its command line builds it, with the access log redacted and the
    WebSocket message limit set by MEDIA_STREAM_MAX_MESSAGE_BYTES (Daphne's CLI has no option)."""
    from daphne.server import Server
    from django.conf import settings  # configured: the CLI imported the application first

    from ottos.lib import metrics  # after the settings, which check PROMETHEUS_MULTIPROC_DIR

    metrics.forget_dead_processes()
    limit = settings.MEDIA_STREAM_MAX_MESSAGE_BYTES
    return Server(
        **{
            **options,
            "action_logger": redacted_access_log(options.get("action_logger")),
            "websocket_max_message_size": limit,
            "websocket_max_frame_size": limit,
        }
    )


def main(argv=None):
    try:
        import uvloop
    except ImportError:
        pass
    else:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    cli = CommandLineInterface()
    cli.server_class = server_with_redacted_access_log
    try:
        cli.run(sys.argv[1:] if argv is None else argv)
    finally:
        _leave_the_live_gauges()


def _leave_the_live_gauges():
    """This process no longer counts in PROMETHEUS_MULTIPROC_DIR's live gauges (if it got as far
    as loading the metrics: importing them here would create their files)."""
    metrics = sys.modules.get("ottos.lib.metrics")
    if metrics is not None:
        metrics.process_exited()


if __name__ == "__main__":
    main()
