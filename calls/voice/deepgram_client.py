"""The one place where Deepgram's SDK client is built and pointed at a server.

`base_url` (DEEPGRAM_BASE_URL) may be http(s):// or ws(s)://: a self-hosted Deepgram or a test
server serves REST and WebSocket endpoints on one origin, so both forms are derived from it.
"""

from urllib.parse import urlsplit, urlunsplit

from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment

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


def deepgram_client(api_key, base_url=None, **options):
    if not api_key:
        raise ValueError("A Deepgram API key is required")
    return AsyncDeepgramClient(api_key=api_key, environment=deepgram_environment(base_url), **options)
