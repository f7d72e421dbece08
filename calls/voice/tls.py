"""One TLS context for every vendor connection of the process.

Built once: a fresh context per call loads the CA bundle, ~30 ms of CPU on the event loop
(a stall for every other call).
"""

import functools
import ssl

import certifi


@functools.cache
def vendor_tls():
    return ssl.create_default_context(cafile=certifi.where())
