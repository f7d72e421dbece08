"""Stream tokens: the webhook vouches for a call, the media stream presents the voucher once.

The token travels in the TwiML as a <Parameter> and comes back in the stream's `start`
message. It is signed (nobody can forge one), short-lived and bound to the CallSid and the
caller. It is good for one stream: the first stream to present it claims the call in the
database (a conditional update of Call.stream_sid), so a replay is refused even while the
cache is down or after it forgot everything.
"""

import secrets

from django.conf import settings
from django.core import signing

from calls.models import Call

_SALT = "calls.stream-token"


class InvalidCallToken(Exception):
    """The stream presented no token, a forged or expired one, one for another call, or a used one."""


def issue_call_token(call_sid, caller):
    # The nonce makes every token unique (Twilio's retries of the webhook get fresh ones); the
    # single use is the call's, below.
    return signing.dumps({"sid": call_sid, "caller": caller, "n": secrets.token_urlsafe(9)}, salt=_SALT)


def redeem_call_token(token, *, call_sid, caller, stream_sid):
    """Accept `token` for the stream `stream_sid` of this call exactly once, or raise InvalidCallToken saying why."""
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
    # A call has one media stream: the first to present a good token claims it, atomically.
    if not Call.objects.filter(call_sid=call_sid, stream_sid="").update(stream_sid=stream_sid):
        if not Call.objects.filter(call_sid=call_sid).exists():
            raise InvalidCallToken("call token is for a call that is not on file")
        raise InvalidCallToken("call token was already used")
