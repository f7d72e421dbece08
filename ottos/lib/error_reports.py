"""Error reports to Sentry (sentry-sdk), started by settings only when SENTRY_DSN is set.

What leaves the process is held to the same rule as a log line: every string of an event and of
each breadcrumb goes through `ottos.lib.logging.redact` (phone and card numbers cut to their
last four digits, secrets masked) in `before_send` / `before_breadcrumb`. On top of that the SDK
sends no personal data it could add itself (user, IP, cookies), no request bodies (Twilio's forms
carry callers' numbers and words) and no local variables of the frames (customers' names and
what they said would be in them).
"""

import sentry_sdk

from ottos.lib.logging import redact

# Ids and times the SDK writes: nothing of ours, and a long digit run in one must stay intact.
_NOT_TEXT = frozenset({"event_id", "trace_id", "span_id", "parent_span_id", "timestamp", "start_timestamp"})


def start_error_reports(dsn, *, environment, release=None):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=redact_event,
        before_send_transaction=redact_event,
        before_breadcrumb=redact_breadcrumb,
    )


def redact_event(event, hint):
    return _redacted(event)


def redact_breadcrumb(crumb, hint):
    return _redacted(crumb)


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            (redact(key) if isinstance(key, str) else key): (item if key in _NOT_TEXT else _redacted(item))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    return value
