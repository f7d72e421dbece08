"""The production server: uvicorn on uvloop, WebSockets through websockets' sans-I/O protocol.

    python -m ottos.serve [--proxy-headers] [-b HOST] [-p PORT] [--no-access-log] ottos.asgi:application

Why uvicorn: a call is a WebSocket carrying 50 media frames a second from Twilio and as many back,
so the server's WebSocket layer is paid per frame. Receiving alone (benchmarks/stream_floor.py,
50 streams) cost Daphne, with Twisted and autobahn, 0.22 CPU s per stream-minute and uvicorn's
sans-I/O websockets protocol 0.09; in the call benchmark (50 calls, one process) the server went
from 0.86 to 0.63 CPU s per call-minute.

Logging: uvicorn is given no logging configuration of its own, so its lines (an access line per
request, with its path and query string, and one per WebSocket accepted) go through LOGGING's
console handler, which cuts phone numbers and masks secrets like on every other line. The app is
imported (and Django set up) before uvicorn starts, so that even its first lines do.

--proxy-headers: behind nginx (deploy/nginx.conf) the client's address and scheme come from
X-Forwarded-For/-Proto, believed only from the addresses in FORWARDED_ALLOW_IPS (uvicorn's
variable; by default 127.0.0.1, nginx on the same host). Several processes share
PROMETHEUS_MULTIPROC_DIR: a process starting forgets the live gauges of processes that died
without saying so, and one stopping takes its own out. On SIGTERM the server stops taking
connections and closes open WebSockets with 1012 (service restart): their calls end and are filed.
The configuration itself is ottos/lib/asgi_server.py, shared with the in-process test server.
"""

import argparse
import sys


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m ottos.serve", description=__doc__.splitlines()[0])
    parser.add_argument("application", help="the ASGI application, e.g. ottos.asgi:application")
    parser.add_argument("-b", "--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="take the client's address and scheme from X-Forwarded-For/-Proto (from FORWARDED_ALLOW_IPS)",
    )
    parser.add_argument("--no-access-log", dest="access_log", action="store_false", help="no line per request")
    return parser.parse_args(argv)


def config(options):
    from uvicorn.importer import import_from_string

    application = import_from_string(options.application)  # sets Django up: LOGGING is in force

    from ottos.lib import metrics  # after the settings, which check PROMETHEUS_MULTIPROC_DIR
    from ottos.lib.asgi_server import server_config

    metrics.forget_dead_processes()
    return server_config(
        application,
        host=options.bind,
        port=options.port,
        proxy_headers=options.proxy_headers,
        access_log=options.access_log,
    )


def main(argv=None):
    import uvicorn

    options = parse(sys.argv[1:] if argv is None else argv)
    try:
        uvicorn.Server(config(options)).run()
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
