"""The one place where Deepgram's SDK client is built and pointed at a server.

`base_url` (DEEPGRAM_BASE_URL) may be http(s):// or ws(s)://: a self-hosted Deepgram or a test
server serves REST and WebSocket endpoints on one origin, so both forms are derived from it.
"""

from urllib.parse import urlsplit, urlunsplit

import httpx
from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment

from calls.voice.tls import vendor_tls

_REST = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_SOCKET = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def deepgram_environment(base_url=None):
    if not base_url:
        return DeepgramClientEnvironment.PRODUCTION
    parts = urlsplit(base_url.strip())
    if parts.scheme not in _REST or not parts.netloc:
        raise ValueError(f"Deepgram base URL must be http(s):// or ws(s)://host[:port], not {base_url!r}")
    path = parts.path.rstrip("/")
    rest = urlunsplit((_REST[parts.scheme], parts.netloc, path, "", ""))
    socket = urlunsplit((_SOCKET[parts.scheme], parts.netloc, path, "", ""))
    return DeepgramClientEnvironment(base=rest, production=socket, agent=socket, agent_rest=rest)


def deepgram_client(api_key, base_url=None, *, http=None):
    """An SDK client; `http` (from http_client()) carries REST timeouts and connection reuse."""
    if not api_key:
        raise ValueError("A Deepgram API key is required")
    return AsyncDeepgramClient(
        api_key=api_key, environment=deepgram_environment(base_url), httpx_client=http or http_client()
    )


def http_client(timeout=None):
    return httpx.AsyncClient(verify=vendor_tls(), timeout=timeout or httpx.Timeout(60.0))
