"""Long management commands stop between units of work on SIGTERM, instead of dying mid-write."""

import signal
import threading


class StopOnSigterm:
    """`with StopOnSigterm() as stop: ... if stop.requested: break` (the old handler comes back after)."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._note)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None

    def _note(self, signum, frame):
        self.requested = True
