"""A loopback Google Calendar API v3 that speaks the real wire protocol (protocols.md 5).

Point the real client at it (scheduling/calendar.py does this from settings):
`build("calendar", "v3", credentials=AnonymousCredentials(), client_options={"api_endpoint": fake.api_endpoint})`.

    with FakeGoogleCalendar("shop@example.com") as fake:
        fake.add_busy("2030-06-04T15:00:00Z", "2030-06-04T16:00:00Z")   # staff blocked a bay
        fake.fail_next(429, "rateLimitExceeded")                         # next call is rate limited
        fake.outage = 503                                                # every call fails until None
        ...
        fake.events()             # live events on the shop calendar
        fake.requests[-1].method  # what the client sent

Serves under /calendar/v3/: freeBusy, events list/insert/get/patch/put/delete with the real
id rules (base32hex, 5-1024 chars), 409 on a repeated id (deleted events keep theirs), 410 on
patching or deleting a deleted event, 404 for unknown ones. Also an OAuth token endpoint
(/token) so service-account and refresh-token credentials can be exercised end to end.
"""

import asyncio
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from aiohttp import web

from fakes.server import LoopbackFake

_BODY = web.RequestKey("json_body", object)
_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_REASONS = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("global", "notFound", "Not Found"),
    409: ("global", "duplicate", "The requested identifier already exists."),
    410: ("global", "deleted", "Resource has been deleted"),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "Backend Error"),
}


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: object
    at: float = field(default_factory=time.time)


def _parse_time(value, tz):
    """An event time ({"dateTime"} or all-day {"date"}) or an RFC 3339 string, as aware UTC."""
    if isinstance(value, dict):
        if "dateTime" in value:
            value = value["dateTime"]
        else:
            day = datetime.fromisoformat(value["date"])
            return day.replace(tzinfo=ZoneInfo(value.get("timeZone") or tz)).astimezone(UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


def _rfc3339(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def error_body(status, reason=None, message=None, domain=None):
    default_domain, default_reason, default_message = _REASONS.get(status, ("global", "error", "Error"))
    if reason and reason != default_reason:
        default_domain, default_message = "global", f"The request failed: {reason}."
    message = message or default_message
    return {
        "error": {
            "errors": [{"domain": domain or default_domain, "reason": reason or default_reason, "message": message}],
            "code": status,
            "message": message,
        }
    }


class FakeGoogleCalendar(LoopbackFake):
    def __init__(self, *calendar_ids, time_zone="America/Chicago", require_auth=False):
        self.calendar_ids = calendar_ids or ("primary",)
        self.time_zone = time_zone
        self.require_auth = require_auth  # only accept access tokens this fake handed out
        self.honour_tokens = True  # False: hand out tokens, then refuse them (revoked access)
        self.outage = None  # an HTTP status every API call answers with, while set
        self.latency_s = 0.0
        self.requests = []
        self.issued_tokens = []
        self.token_requests = []
        self.stored_at = {}  # event id -> time.time() when it was first stored
        self._calendars = {cid: {} for cid in self.calendar_ids}
        self._faults = deque()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._sequence = itertools.count(1)
        self._server = None

    @property
    def url(self):
        return self._server.base_url

    @property
    def api_endpoint(self):
        """The value for client_options api_endpoint / GOOGLE_CALENDAR_BASE_URL (full base)."""
        return f"{self._server.base_url}/calendar/v3/"

    @property
    def token_uri(self):
        return f"{self._server.base_url}/token"

    # -- arranging
    def fail_next(self, status, reason=None, *, times=1, methods=None, kind=None, message=None, after_applying=False):
        """The next `times` API calls answer `status` - only calls with these HTTP `methods` and of
        this `kind` ("events" or "freeBusy") if given; others pass.

        With after_applying the call takes effect first and only the answer is lost (as when
        a connection drops after Google stored the event).
        """
        with self._lock:
            for _ in range(times):
                self._faults.append((status, reason, message, set(methods) if methods else None, after_applying, kind))

    def add_event(self, start, end, *, calendar_id=None, summary="Blocked", transparency="opaque", **extra):
        """Put an event straight into the calendar, as staff would in Google's own UI."""
        start_value = start if isinstance(start, dict) else {"dateTime": _as_text(start)}
        end_value = end if isinstance(end, dict) else {"dateTime": _as_text(end)}
        body = {"summary": summary, "start": start_value, "end": end_value, "transparency": transparency, **extra}
        with self._lock:
            return self._store(calendar_id or self.calendar_ids[0], body)

    add_busy = add_event

    def delete_event(self, event_id, *, calendar_id=None):
        """Delete an event by hand (it lingers as cancelled and keeps its id, as Google's do)."""
        with self._lock:
            event = self._calendars[calendar_id or self.calendar_ids[0]][event_id]
            self._touch(event, status="cancelled")

    def move_event(self, event_id, start, end, *, calendar_id=None):
        with self._lock:
            event = self._calendars[calendar_id or self.calendar_ids[0]][event_id]
            self._touch(event, start={"dateTime": _as_text(start)}, end={"dateTime": _as_text(end)})

    # -- reading
    def events(self, *, calendar_id=None, include_deleted=False):
        with self._lock:
            stored = self._calendars[calendar_id or self.calendar_ids[0]].values()
            return [json.loads(json.dumps(e)) for e in stored if include_deleted or e["status"] != "cancelled"]

    def event(self, event_id, *, calendar_id=None):
        with self._lock:
            found = self._calendars[calendar_id or self.calendar_ids[0]].get(event_id)
            return json.loads(json.dumps(found)) if found else None

    def event_for_appointment(self, appointment_id, *, calendar_id=None):
        found = [
            e
            for e in self.events(calendar_id=calendar_id)
            if e.get("extendedProperties", {}).get("private", {}).get("appointment_id") == str(appointment_id)
        ]
        return found

    def calls(self, method=None, kind=None):
        """Recorded API requests, e.g. calls("POST", "events")."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (kind is None or _kind(r.path) == kind)
            ]

    def reset(self):
        with self._lock:
            self._calendars = {cid: {} for cid in self.calendar_ids}
            self._faults.clear()
            self.requests.clear()
            self.outage = None

    # -- storage (callers hold the lock)
    def _store(self, calendar_id, body):
        now = datetime.now(UTC)
        event = {
            **body,
            "kind": "calendar#event",
            "id": body.get("id") or secrets.token_hex(13),
            "status": body.get("status", "confirmed"),
            "created": _rfc3339(now),
            "updated": _rfc3339(now),
            "sequence": 0,
            "organizer": {"email": calendar_id, "self": True},
            "creator": {"email": calendar_id},
        }
        event["iCalUID"] = f"{event['id']}@google.com"
        event["htmlLink"] = f"{self.url}/calendar/event?eid={event['id']}"
        event["etag"] = f'"{next(self._sequence)}"'
        self._calendars[calendar_id][event["id"]] = event
        self.stored_at.setdefault(event["id"], time.time())
        self._changed.notify_all()
        return event

    def _touch(self, event, **changes):
        event.update(changes)
        event["updated"] = _rfc3339(datetime.now(UTC))
        event["sequence"] += 1
        event["etag"] = f'"{next(self._sequence)}"'
        self._changed.notify_all()
        return event

    # -- the server
    def _make_app(self):
        app = web.Application(middlewares=[self._middleware])
        base = "/calendar/v3"
        app.router.add_post("/token", self._token)
        app.router.add_post(f"{base}/freeBusy", self._free_busy)
        app.router.add_get(base + "/calendars/{cid}/events", self._list)
        app.router.add_post(base + "/calendars/{cid}/events", self._insert)
        app.router.add_get(base + "/calendars/{cid}/events/{eid}", self._get)
        app.router.add_patch(base + "/calendars/{cid}/events/{eid}", self._patch)
        app.router.add_put(base + "/calendars/{cid}/events/{eid}", self._put)
        app.router.add_delete(base + "/calendars/{cid}/events/{eid}", self._delete)
        return app

    @web.middleware
    async def _middleware(self, request, handler):
        if request.path == "/token":
            return await handler(request)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error(400, "parseError", "Parse Error")
        with self._lock:
            self.requests.append(Request(request.method, request.path, dict(request.query), body))
            self._changed.notify_all()
            fault = None
            if self.outage:
                fault = (self.outage, None, None, None, False, None)
            else:
                fault = next((f for f in self._faults if _matches(f, request.method, request.path)), None)
                if fault is not None:
                    self._faults.remove(fault)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if fault and not fault[4]:
            return _fault_response(fault)
        if self.require_auth:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or header[7:] not in self.issued_tokens:
                return _error(401, "authError", "Invalid Credentials")
        request[_BODY] = body
        response = await handler(request)
        return _fault_response(fault) if fault else response

    async def _token(self, request):
        form = dict(await request.post())
        with self._lock:
            self.token_requests.append(form)
            token = f"ya29.fake-{secrets.token_hex(8)}"
            if self.honour_tokens:
                self.issued_tokens.append(token)
        return web.json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _calendar(self, request):
        cid = unquote(request.match_info["cid"])
        return cid, self._calendars.get(cid)

    async def _free_busy(self, request):
        body = request[_BODY] or {}
        try:
            time_min = _parse_time(body["timeMin"], self.time_zone)
            time_max = _parse_time(body["timeMax"], self.time_zone)
        except (KeyError, ValueError):
            return _error(400, "badRequest", "Missing or invalid timeMin/timeMax")
        if time_max <= time_min:
            return _error(400, "timeRangeEmpty", "The specified time range is empty.")
        calendars = {}
        with self._lock:
            for item in body.get("items", []):
                stored = self._calendars.get(item["id"])
                if stored is None:
                    calendars[item["id"]] = {"busy": [], "errors": [{"domain": "global", "reason": "notFound"}]}
                    continue
                spans = []
                for event in stored.values():
                    if event["status"] == "cancelled" or event.get("transparency") == "transparent":
                        continue
                    start = _parse_time(event["start"], self.time_zone)
                    end = _parse_time(event["end"], self.time_zone)
                    if start < time_max and end > time_min:
                        spans.append((max(start, time_min), min(end, time_max)))
                calendars[item["id"]] = {"busy": [{"start": _rfc3339(s), "end": _rfc3339(e)} for s, e in _merge(spans)]}
        return web.json_response(
            {
                "kind": "calendar#freeBusy",
                "timeMin": _rfc3339(time_min),
                "timeMax": _rfc3339(time_max),
                "calendars": calendars,
            }
        )

    async def _list(self, request):
        cid, stored = self._calendar(request)
        if stored is None:
            return _error(404)
        query = request.query
        show_deleted = query.get("showDeleted") == "true"
        time_min = _parse_time(query["timeMin"], self.time_zone) if "timeMin" in query else None
        time_max = _parse_time(query["timeMax"], self.time_zone) if "timeMax" in query else None
        wanted = [p.split("=", 1) for p in query.getall("privateExtendedProperty", [])]
        with self._lock:
            found = []
            for event in stored.values():
                if event["status"] == "cancelled" and not show_deleted:
                    continue
                start = _parse_time(event["start"], self.time_zone)
                end = _parse_time(event["end"], self.time_zone)
                if (time_min and end <= time_min) or (time_max and start >= time_max):
                    continue
                private = event.get("extendedProperties", {}).get("private", {})
                if any(private.get(k) != v for k, v in wanted):
                    continue
                found.append((start, event))
            found.sort(key=lambda pair: (pair[0], pair[1]["id"]))
            items = [json.loads(json.dumps(e)) for _, e in found]
        size = min(int(query.get("maxResults", 250)), 2500)
        offset = int(query.get("pageToken", 0) or 0)
        page = {
            "kind": "calendar#events",
            "summary": cid,
            "timeZone": self.time_zone,
            "items": items[offset : offset + size],
        }
        if offset + size < len(items):
            page["nextPageToken"] = str(offset + size)
        return web.json_response(page)

    async def _insert(self, request):
        cid, stored = self._calendar(request)
        if stored is None:
            return _error(404)
        body = request[_BODY] or {}
        if "start" not in body or "end" not in body:
            return _error(400, "required", "Missing end time.")
        event_id = body.get("id")
        if event_id is not None and not _EVENT_ID.match(event_id):
            return _error(400, "invalid", "Invalid resource id value.")
        with self._lock:
            if event_id in stored:
                return _error(409)
            return web.json_response(self._store(cid, body))

    async def _get(self, request):
        cid, stored = self._calendar(request)
        event = (stored or {}).get(request.match_info["eid"])
        if event is None:
            return _error(404)
        with self._lock:
            return web.json_response(event)

    async def _patch(self, request, replace=False):
        cid, stored = self._calendar(request)
        event = (stored or {}).get(request.match_info["eid"])
        if event is None:
            return _error(404)
        body = dict(request[_BODY] or {})
        body.pop("id", None)
        with self._lock:
            if event["status"] == "cancelled":
                return _error(410)
            if replace:
                for key in [
                    k
                    for k in event
                    if k in ("summary", "description", "extendedProperties", "transparency", "location", "colorId")
                ]:
                    event.pop(key)
            return web.json_response(self._touch(event, **body))

    async def _put(self, request):
        return await self._patch(request, replace=True)

    async def _delete(self, request):
        cid, stored = self._calendar(request)
        event = (stored or {}).get(request.match_info["eid"])
        if event is None:
            return _error(404)
        with self._lock:
            if event["status"] == "cancelled":
                return _error(410)
            self._touch(event, status="cancelled")
        return web.Response(status=204)


def _as_text(moment):
    return moment if isinstance(moment, str) else moment.isoformat()


def _kind(path):
    if path.endswith("/freeBusy"):
        return "freeBusy"
    return "events" if "/events" in path else "other"


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _matches(fault, method, path):
    methods, kind = fault[3], fault[5]
    return (methods is None or method in methods) and (kind is None or _kind(path) == kind)


def _fault_response(fault):
    status, reason, message = fault[:3]
    domain = "usageLimits" if reason in ("rateLimitExceeded", "userRateLimitExceeded") else None
    return _error(status, reason, message, domain)


def _error(status, reason=None, message=None, domain=None):
    return web.json_response(error_body(status, reason, message, domain), status=status)
