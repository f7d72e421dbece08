"""The production server: Daphne on uvloop.

    python -m ottos.serve [daphne's options] ottos.asgi:application

Daphne builds Twisted's event loop when `daphne.server` is imported, from the asyncio policy in
force, so uvloop has to be chosen before that import; Daphne has no option for it. The call
benchmark measured Daphne's server CPU per call-minute at one call drop by about a third on
uvloop (each caller frame is several event-loop wake-ups). Where uvloop is not available the
standard loop serves.
"""

import asyncio
import sys


def main(argv=None):
    try:
        import uvloop
    except ImportError:
        pass
    else:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
