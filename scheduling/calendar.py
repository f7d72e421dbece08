"""The shop's Google Calendar (API v3 through google-api-python-client): the one place we call it.

Knows events and free/busy, not appointments (scheduling/calendar_sync.py maps one to the
other). Every failure comes out as `CalendarUnavailable` (worth retrying: timeouts, 429,
403 rate limits, 5xx) or `CalendarRejected` (retrying will not help: bad credentials, a
calendar we may not write, a malformed event). Idempotency rules of the API are handled
here: a 409 on insert means an earlier attempt created it; deleting an event that is
already gone (404/410) is success; patching one that was deleted (410) recreates it.
"""

import base64
import hashlib
import json
import logging
import socket
import threading
from datetime import UTC, datetime

import google_auth_httplib2
import httplib2
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from .shop_time_zone import shop_zone_name

log = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/calendar"]
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
_local = threading.local()


class CalendarError(Exception):
    retryable = False

    def __init__(self, message, *, status=None, reason=""):
        super().__init__(message)
        self.status = status
        self.reason = reason


class CalendarUnavailable(CalendarError):
    """Google is unreachable, slow or rate limiting us: try again later."""

    retryable = True


class CalendarRejected(CalendarError):
    """Google refused the request for a reason that retrying will not fix."""


class _Gone(Exception):
    """The event does not exist any more (404/410) - handled inside this module."""


def is_configured():
    return bool(settings.GOOGLE_CALENDAR_ID)


def event_id_for(*parts):
    """A valid, deterministic event id: 52 base32hex characters (a-v, 0-9) derived from `parts`."""
    seed = "|".join(str(p) for p in parts).encode()
    return base64.b32hexencode(hashlib.sha256(seed).digest()).decode().lower().rstrip("=")


def next_event_id(event_id):
    """The id to recreate an event under after it was deleted (a deleted id cannot be reused)."""
    return event_id_for(event_id, "recreated")


def _credentials():
    if settings.GOOGLE_SERVICE_ACCOUNT_FILE or settings.GOOGLE_SERVICE_ACCOUNT_JSON:
        from google.oauth2 import service_account

        if settings.GOOGLE_SERVICE_ACCOUNT_FILE:
            creds = service_account.Credentials.from_service_account_file(
                settings.GOOGLE_SERVICE_ACCOUNT_FILE, scopes=SCOPES
            )
        else:
            try:
                info = json.loads(settings.GOOGLE_SERVICE_ACCOUNT_JSON)
            except ValueError as exc:
                raise CalendarRejected(f"GOOGLE_SERVICE_ACCOUNT_JSON is not JSON: {exc}") from None
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        return creds.with_subject(settings.GOOGLE_CALENDAR_SUBJECT) if settings.GOOGLE_CALENDAR_SUBJECT else creds
    if settings.GOOGLE_OAUTH_REFRESH_TOKEN:
        from google.oauth2.credentials import Credentials

        return Credentials(
            None,
            refresh_token=settings.GOOGLE_OAUTH_REFRESH_TOKEN,
            client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
            client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
            token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
            scopes=SCOPES,
        )
    # Only reachable with GOOGLE_CALENDAR_BASE_URL set (settings insists): a local server.
    return AnonymousCredentials()


def _settings_key():
    return (
        settings.GOOGLE_CALENDAR_ID,
        settings.GOOGLE_CALENDAR_BASE_URL,
        settings.GOOGLE_SERVICE_ACCOUNT_FILE,
        settings.GOOGLE_SERVICE_ACCOUNT_JSON,
        settings.GOOGLE_OAUTH_REFRESH_TOKEN,
        settings.GOOGLE_CALENDAR_SUBJECT,
        settings.GOOGLE_CALENDAR_TIMEOUT_SECONDS,
        settings.GOOGLE_FREEBUSY_TIMEOUT_SECONDS,
    )


def shop_calendar():
    """The ShopCalendar for this thread (httplib2 objects must not be shared between threads)."""
    if not is_configured():
        raise CalendarRejected("No Google Calendar is configured (GOOGLE_CALENDAR_ID is empty)")
    key = _settings_key()
    cached = getattr(_local, "calendar", None)
    if cached is None or cached[0] != key:
        cached = (key, ShopCalendar.from_settings())
        _local.calendar = cached
    return cached[1]


def classify(exc):
    """Turn whatever the client raised into CalendarUnavailable or CalendarRejected."""
    if isinstance(exc, CalendarError):
        return exc
    if isinstance(exc, HttpError):
        status = exc.status_code
        details = exc.error_details if isinstance(exc.error_details, list) else []
        reason = next((d.get("reason", "") for d in details if isinstance(d, dict)), "")
        message = f"Google Calendar answered {status} {reason or ''}: {exc.reason}".replace("  ", " ")
        if status == 429 or status >= 500 or (status == 403 and reason in _RATE_LIMIT_REASONS):
            return CalendarUnavailable(message, status=status, reason=reason)
        return CalendarRejected(message, status=status, reason=reason)
    if isinstance(exc, auth_exceptions.RefreshError) and not exc.retryable:
        return CalendarRejected(f"Google refused our credentials: {exc}")
    if isinstance(exc, (auth_exceptions.TransportError, auth_exceptions.RefreshError)):
        return CalendarUnavailable(f"Could not get a Google access token: {exc}")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return CalendarRejected(f"Google refused our credentials: {exc}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return CalendarUnavailable("Google Calendar did not answer in time")
    if isinstance(exc, (OSError, httplib2.HttpLib2Error)):
        return CalendarUnavailable(f"Google Calendar could not be reached: {exc}")
    return None


def _status(exc):
    return exc.status_code if isinstance(exc, HttpError) else None


def _rfc3339(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value):
    """An RFC 3339 string, or an event's start/end object, as an aware datetime."""
    if isinstance(value, dict):
        if "dateTime" in value:
            value = value["dateTime"]
        else:
            from zoneinfo import ZoneInfo

            day = datetime.fromisoformat(value["date"])
            return day.replace(tzinfo=ZoneInfo(value.get("timeZone") or shop_zone_name()))
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ShopCalendar:
    def __init__(self, service, calendar_id, *, credentials, timeout, quick_timeout):
        self.service = service
        self.calendar_id = calendar_id
        self._http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self._quick_http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=quick_timeout))

    @classmethod
    def from_settings(cls):
        credentials = _credentials()
        options = {"api_endpoint": settings.GOOGLE_CALENDAR_BASE_URL} if settings.GOOGLE_CALENDAR_BASE_URL else None
        service = build(
            "calendar",
            "v3",
            credentials=credentials,
            client_options=options,
            static_discovery=True,
            cache_discovery=False,
        )
        return cls(
            service,
            settings.GOOGLE_CALENDAR_ID,
            credentials=credentials,
            timeout=settings.GOOGLE_CALENDAR_TIMEOUT_SECONDS,
            quick_timeout=settings.GOOGLE_FREEBUSY_TIMEOUT_SECONDS,
        )

    def _execute(self, request, *, quick=False, gone_ok=False):
        try:
            return request.execute(http=self._quick_http if quick else self._http)
        except Exception as exc:
            if gone_ok and _status(exc) in (404, 410):
                raise _Gone() from exc
            typed = classify(exc)
            if typed is None:
                raise
            raise typed from exc

    # -- free/busy
    def busy(self, start, end, *, quick=True):
        """Busy intervals [(start, end)] on the calendar between start and end (aware datetimes)."""
        body = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "items": [{"id": self.calendar_id}]}
        answer = self._execute(self.service.freebusy().query(body=body), quick=quick)
        calendar = answer.get("calendars", {}).get(self.calendar_id, {})
        if calendar.get("errors"):
            reasons = ", ".join(e.get("reason", "?") for e in calendar["errors"])
            if any(e.get("reason") == "internalError" for e in calendar["errors"]):
                raise CalendarUnavailable(f"Google Calendar free/busy failed: {reasons}")
            raise CalendarRejected(f"Google Calendar free/busy refused {self.calendar_id}: {reasons}")
        return [(parse_time(b["start"]), parse_time(b["end"])) for b in calendar.get("busy", [])]

    # -- events
    def get_event(self, event_id):
        """The event (possibly with status "cancelled" if deleted), or None if unknown."""
        try:
            return self._execute(self.service.events().get(calendarId=self.calendar_id, eventId=event_id), gone_ok=True)
        except _Gone:
            return None

    def put_event(self, event_id, body, *, same=None):
        """Make event `event_id` look like `body`; returns (event_id, event).

        Inserts it; if an earlier attempt already created it (409), reads it and patches it
        only when `same(existing, body)` says it differs. If it was deleted in the meantime,
        recreates it under next_event_id(event_id). Idempotent.
        """
        for _ in range(5):
            try:
                event = self._execute(
                    self.service.events().insert(
                        calendarId=self.calendar_id, body={**body, "id": event_id}, sendUpdates="none"
                    )
                )
                return event_id, event
            except CalendarRejected as exc:
                if exc.status != 409:
                    raise
            existing = self.get_event(event_id)
            if existing is None or existing.get("status") == "cancelled":
                event_id = next_event_id(event_id)
                continue
            if same is not None and same(existing, body):
                return event_id, existing
            try:
                return event_id, self._patch(event_id, body)
            except _Gone:
                event_id = next_event_id(event_id)
        raise CalendarRejected(f"Could not create event {event_id}: its ids keep colliding")

    def _patch(self, event_id, body):
        """Patch the event; raises _Gone if it no longer exists."""
        return self._execute(
            self.service.events().patch(calendarId=self.calendar_id, eventId=event_id, body=body, sendUpdates="none"),
            gone_ok=True,
        )

    def update_or_recreate(self, event_id, body):
        """Patch the event to `body`; if it is gone (404/410) recreate it. Returns (event_id, event)."""
        try:
            return event_id, self._patch(event_id, body)
        except _Gone:
            log.info("Calendar event %s was deleted outside Otto's; recreating it", event_id)
            return self.put_event(next_event_id(event_id), body)

    def delete_event(self, event_id):
        """Delete the event. Returns False if it was already gone (not an error)."""
        try:
            self._execute(
                self.service.events().delete(calendarId=self.calendar_id, eventId=event_id, sendUpdates="none"),
                gone_ok=True,
            )
            return True
        except _Gone:
            return False

    def list_events(self, start, end, *, private=None):
        """Live events overlapping [start, end), optionally only those with these private properties."""
        page_token = None
        while True:
            request = self.service.events().list(
                calendarId=self.calendar_id,
                timeMin=_rfc3339(start),
                timeMax=_rfc3339(end),
                singleEvents=True,
                showDeleted=False,
                maxResults=250,
                pageToken=page_token,
                privateExtendedProperty=[f"{k}={v}" for k, v in (private or {}).items()] or None,
            )
            page = self._execute(request)
            yield from page.get("items", [])
            page_token = page.get("nextPageToken")
            if not page_token:
                return
