"""Closing a vendor's stream early (a barge-in drops the rest of a reply or a sentence)."""

import logging

log = logging.getLogger(__name__)


async def close_stream(stream):
    """Close an async iterator if it can be closed, so the vendor stops work nobody will hear.
    A stream that fails to close is logged and left: the call goes on either way."""
    close = getattr(stream, "aclose", None)
    if close is None:
        return
    try:
        await close()
    except Exception:
        log.debug("closing a stream failed", exc_info=True)
