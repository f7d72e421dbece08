"""A loopback Twilio REST API (2010-04-01): call updates and text messages (protocols.md 1.7).

Point the real SDK at it (there is no base-URL variable):

    with FakeTwilioRest() as fake:
        client = Client(fake.account_sid, fake.auth_token)
        client.api.base_url = fake.base_url
        client.calls("CA...").update(twiml="<Response><Dial>...</Dial></Response>")
        client.messages.create(to="+13125550142", from_="+13125550100", body="See you Tuesday")
        fake.calls["CA..."]["updates"], fake.messages[-1]["body"], fake.requests
        fake.add_recording("RE...", wav_bytes)   # GET .../Recordings/RE....wav serves it (Basic auth)

Faults: `fake.fail_next(500)`, `fake.fail_next(429)`, `fake.fail_next(400, 21211, "...")`, or
`fake.invalid_numbers.add("+13125550199")`. Error bodies have Twilio's legacy shape
{"code", "message", "more_info", "status"}, which the SDK raises as TwilioRestException.
"""

import base64
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web
from twilio.request_validator import RequestValidator

from fakes.server import LoopbackFake

API = "/2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
MAX_BODY_CHARS = 1600
STANDARD_ERRORS = {
    400: (21220, "Invalid request"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict  # the posted fields (last value wins, as Twilio reads them)
    authenticated: bool
    status: int | None = None
    received_at: float = 0.0


@dataclass(frozen=True)
class Fault:
    status: int
    code: int
    message: str
    resource: str | None  # "Calls", "Messages" or None for any


class FakeTwilioRest(LoopbackFake):
    def __init__(self, *, account_sid=None, auth_token=None):
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.calls = {}  # CallSid -> Call resource dict, plus "updates": [form, ...]
        self.messages = []  # Message resource dicts, oldest first, plus "status_callback"
        self.requests = []
        self.invalid_numbers = set()  # To numbers answered with error 21211
        self.unknown_calls_404 = False  # True: updating a call not added with add_call() is a 404
        self.recordings = {}  # RecordingSid -> WAV bytes
        self._faults = deque()
        self._lock = threading.Lock()
        self._server = None

    @property
    def base_url(self):
        """Assign to `client.api.base_url`."""
        return self._server.base_url

    # -- arranging
    def add_call(self, sid, *, from_="+13125550142", to="+13125550100", status="in-progress"):
        with self._lock:
            self.calls[sid] = _call_resource(self.account_sid, sid, from_, to, status)
        return self.calls[sid]

    def add_recording(self, sid, wav):
        """A recording's media (WAV bytes), as Twilio serves it once the <Record> is processed."""
        self.recordings[sid] = wav

    def fail_next(self, status, code=None, message=None, *, resource=None, times=1):
        """The next `times` requests (to `resource`, "Calls" or "Messages", if given) get this error."""
        default_code, default_message = STANDARD_ERRORS.get(status, (20500, "Error"))
        for _ in range(times):
            self._faults.append(Fault(status, code or default_code, message or default_message, resource))

    def set_message_status(self, sid, status, *, error_code=None):
        """Move a message along (sent, delivered, undelivered, failed) as Twilio would."""
        message = self.message(sid)
        with self._lock:
            message["status"] = status
            message["error_code"] = error_code
            message["date_updated"] = _rfc2822()
            if status in {"sent", "delivered"} and message["date_sent"] is None:
                message["date_sent"] = message["date_updated"]
        return message

    def status_callback(self, sid):
        """What Twilio would POST to the message's StatusCallback now: (url, params, X-Twilio-Signature)."""
        message = self.message(sid)
        url = message["status_callback"]
        if not url:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "From": message["from"] or "",
            "To": message["to"],
            "MessageStatus": message["status"],
            "SmsStatus": message["status"],
            "ApiVersion": "2010-04-01",
        }
        if message["error_code"]:
            params["ErrorCode"] = str(message["error_code"])
        return url, params, RequestValidator(self.auth_token).compute_signature(url, params)

    # -- reading
    def message(self, sid):
        for message in self.messages:
            if message["sid"] == sid:
                return message
        raise KeyError(sid)

    # -- the server
    def _make_app(self):
        app = web.Application()
        account = f"{API}/Accounts/{{account}}"
        app.router.add_post(f"{account}/Calls/{{sid}}.json", self._update_call)
        app.router.add_get(f"{account}/Calls/{{sid}}.json", self._fetch_call)
        app.router.add_post(f"{account}/Messages.json", self._create_message)
        app.router.add_get(f"{account}/Messages/{{sid}}.json", self._fetch_message)
        app.router.add_get(f"{account}.json", self._fetch_account)
        app.router.add_get(f"{account}/Recordings/{{name}}", self._fetch_recording_media)
        return app

    async def _begin(self, request, resource):
        """Record the request; return an error response if auth or an injected fault says so."""
        form = dict(await request.post()) if request.method == "POST" else {}
        record = RecordedRequest(
            request.method,
            request.path,
            {k: str(v) for k, v in form.items()},
            self._authorized(request),
            received_at=time.monotonic(),
        )
        self.requests.append(record)
        if not record.authenticated:
            return record, self._error(record, 401, 20003, "Authenticate")
        if request.match_info["account"] != self.account_sid:
            return record, self._not_found(record, request.path)
        fault = self._take_fault(resource)
        if fault:
            return record, self._error(record, fault.status, fault.code, fault.message)
        return record, None

    def _authorized(self, request):
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            return False
        return scheme.lower() == "basic" and login == self.account_sid and password == self.auth_token

    def _take_fault(self, resource):
        with self._lock:
            for fault in self._faults:
                if fault.resource in (None, resource):
                    self._faults.remove(fault)
                    return fault
        return None

    async def _update_call(self, request):
        record, refusal = await self._begin(request, "Calls")
        if refusal:
            return refusal
        sid = request.match_info["sid"]
        form = record.form
        with self._lock:
            call = self.calls.get(sid)
            if call is None:
                if self.unknown_calls_404:
                    return self._not_found(record, request.path)
                call = self.calls[sid] = _call_resource(
                    self.account_sid, sid, "+13125550142", "+13125550100", "in-progress"
                )
            redirect = "Twiml" in form or "Url" in form
            if redirect and call["status"] not in {"queued", "ringing", "in-progress"}:
                return self._error(record, 400, 21220, "Call is not in-progress. Cannot redirect.")
            call["updates"].append(dict(form))
            status = form.get("Status")
            if status == "completed" or (status == "canceled" and call["status"] in {"queued", "ringing"}):
                call["status"] = status
                call["end_time"] = _rfc2822()
            if "Twiml" in form:
                call["twiml"] = form["Twiml"]
            if "Url" in form:
                call["url"] = form["Url"]
            call["date_updated"] = _rfc2822()
            resource = _public(call)
        return self._ok(record, resource)

    async def _fetch_call(self, request):
        record, refusal = await self._begin(request, "Calls")
        if refusal:
            return refusal
        call = self.calls.get(request.match_info["sid"])
        if call is None:
            return self._not_found(record, request.path)
        return self._ok(record, _public(call))

    async def _create_message(self, request):
        record, refusal = await self._begin(request, "Messages")
        if refusal:
            return refusal
        form = record.form
        to, sender, service = form.get("To", ""), form.get("From"), form.get("MessagingServiceSid")
        body = form.get("Body", "")
        if not to:
            return self._error(record, 400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return self._error(record, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if not body and not form.get("MediaUrl") and not form.get("ContentSid"):
            return self._error(record, 400, 21602, "Message body is required.")
        if not E164.match(to) or to in self.invalid_numbers:
            return self._error(record, 400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender and not E164.match(sender):
            return self._error(record, 400, 21212, f"Invalid 'From' Phone Number: {sender}")
        if len(body) > MAX_BODY_CHARS:
            return self._error(record, 400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = "SM" + secrets.token_hex(16)
        now = _rfc2822()
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(1 if len(body) <= 160 else -(-len(body) // 153)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        with self._lock:
            self.messages.append(message)
        return self._ok(record, _public(message), status=201)

    async def _fetch_message(self, request):
        record, refusal = await self._begin(request, "Messages")
        if refusal:
            return refusal
        try:
            message = self.message(request.match_info["sid"])
        except KeyError:
            return self._not_found(record, request.path)
        return self._ok(record, _public(message))

    async def _fetch_account(self, request):
        record, refusal = await self._begin(request, "Accounts")
        if refusal:
            return refusal
        sid = self.account_sid
        return self._ok(
            record,
            {
                "sid": sid,
                "friendly_name": "Otto's Auto Repair (fake)",
                "status": "active",
                "type": "Full",
                "owner_account_sid": sid,
                "auth_token": self.auth_token,
                "date_created": _rfc2822(),
                "date_updated": _rfc2822(),
                "uri": f"{API}/Accounts/{sid}.json",
                "subresource_uris": {},
            },
        )

    async def _fetch_recording_media(self, request):
        record, refusal = await self._begin(request, "Recordings")
        if refusal:
            return refusal
        sid, _, extension = request.match_info["name"].partition(".")
        wav = self.recordings.get(sid)
        if wav is None or extension not in ("", "wav"):
            return self._not_found(record, request.path)
        record.status = 200
        return web.Response(body=wav, content_type="audio/x-wav")

    def _ok(self, record, resource, status=200):
        record.status = status
        return web.json_response(resource, status=status)

    def _not_found(self, record, path):
        return self._error(record, 404, 20404, f"The requested resource {path} was not found")

    def _error(self, record, status, code, message):
        record.status = status
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )


def _call_resource(account_sid, sid, from_, to, status):
    now = _rfc2822()
    return {
        "account_sid": account_sid,
        "annotation": None,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": now,
        "date_updated": now,
        "direction": "inbound",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": from_,
        "from_formatted": from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": "PN" + secrets.token_hex(16),
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": now,
        "status": status,
        "to": to,
        "to_formatted": to,
        "trunk_sid": None,
        "subresource_uris": {},
        "uri": f"{API}/Accounts/{account_sid}/Calls/{sid}.json",
        "updates": [],
        "twiml": None,
        "url": None,
    }


def _public(resource):
    """The resource as Twilio returns it (without what the fake keeps for assertions)."""
    return {k: v for k, v in resource.items() if k not in {"updates", "twiml", "url", "status_callback"}}


def _rfc2822():
    return format_datetime(datetime.now(UTC).replace(microsecond=0))
