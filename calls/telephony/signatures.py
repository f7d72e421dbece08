"""Is this request really from Twilio? And the public URLs Twilio signs them against.

Twilio signs the URL it requested, so behind a TLS-terminating proxy the URL must be rebuilt
from PUBLIC_BASE_URL rather than from what the proxy forwarded.
"""

import logging

from django.conf import settings
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

MEDIA_STREAM_PATH = "/ws/twilio/media/"


def public_base_url(request=None):
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is None:
        raise ValueError("PUBLIC_BASE_URL is not set and there is no request to take the host from")
    return f"{request.scheme}://{request.get_host()}"


def public_url(path, request=None):
    return public_base_url(request) + path


def media_stream_url(request=None, *, host=None):
    """The wss:// URL of the media stream, exactly as written in the TwiML (Twilio signs it)."""
    if host is not None and not settings.PUBLIC_BASE_URL:
        return f"wss://{host}{MEDIA_STREAM_PATH}"
    base = public_base_url(request)
    scheme, rest = base.split("://", 1)
    return ("wss://" if scheme == "https" else "ws://") + rest + MEDIA_STREAM_PATH


def _unsigned_allowed(what):
    if settings.DEBUG:
        logger.warning(
            "!!! TWILIO_AUTH_TOKEN is not set: accepting an UNSIGNED %s because DEBUG is on. "
            "Anyone can place fake calls; never run like this on the internet. !!!",
            what,
        )
        return True
    logger.error("TWILIO_AUTH_TOKEN is not set: refusing %s (set it, or DEBUG=1 for local experiments)", what)
    return False


def webhook_is_from_twilio(request):
    """Check X-Twilio-Signature over PUBLIC_BASE_URL + path and the POSTed form."""
    if not settings.TWILIO_AUTH_TOKEN:
        return _unsigned_allowed(f"webhook to {request.path}")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        logger.warning("Twilio webhook to %s without a signature: refused", request.path)
        return False
    url = public_url(request.get_full_path(), request)
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature):
        logger.warning("Twilio webhook to %s with a bad signature (checked against %s): refused", request.path, url)
        return False
    return True


def stream_handshake_is_from_twilio(signature, *, host):
    """Check the media-stream upgrade's signature, when Twilio sent one, over the wss:// URL.

    The handshake may come without one (the single-use call token is what really
    authenticates a stream), so a missing signature is not a failure here.
    """
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return True
    url = media_stream_url(host=host)
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, {}, signature)
