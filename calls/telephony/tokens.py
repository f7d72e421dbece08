"""Stream tokens: the webhook vouches for a call, the media stream presents the voucher once.

The token travels in the TwiML as a <Parameter> and comes back in the stream's `start`
message. It is signed (nobody can forge one), short-lived, bound to the CallSid and the
caller, and single-use: a nonce in the cache is claimed on first use.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache

_SALT = "calls.stream-token"


class InvalidCallToken(Exception):
    """The stream presented no token, a forged or expired one, one for another call, or a used one."""


def _nonce_key(nonce):
    return f"calls:stream-token:{nonce}"


def issue_call_token(call_sid, caller):
    nonce = secrets.token_urlsafe(12)
    cache.set(_nonce_key(nonce), call_sid, timeout=settings.CALL_TOKEN_MAX_AGE_S + 5)
    return signing.dumps({"sid": call_sid, "caller": caller, "n": nonce}, salt=_SALT)


def redeem_call_token(token, *, call_sid, caller):
    """Accept `token` for this stream exactly once, or raise InvalidCallToken saying why."""
    if not token:
        raise InvalidCallToken("no call token")
    try:
        claims = signing.loads(token, salt=_SALT, max_age=settings.CALL_TOKEN_MAX_AGE_S)
    except signing.SignatureExpired:
        raise InvalidCallToken("call token expired") from None
    except signing.BadSignature:
        raise InvalidCallToken("call token is not genuine") from None
    if claims.get("sid") != call_sid or claims.get("caller") != caller:
        raise InvalidCallToken("call token belongs to another call")
    # delete() reports whether the key existed: the first stream to present the token wins.
    if not cache.delete(_nonce_key(claims.get("n", ""))):
        raise InvalidCallToken("call token was already used")
