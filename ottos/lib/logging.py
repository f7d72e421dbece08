"""Structured logs: every line of a call carries its call SID, and no line carries a secret.

The Channels consumer binds the call SID when the media stream starts (`bind_call_sid`);
tasks it creates afterwards, and threads run through asgiref, inherit it (contextvars), so
each line logged on behalf of the call is tagged without passing the SID around. Elsewhere
`with call_context(sid):` does the same for a block.

Inside a Celery task (a worker's, or one run eagerly) every line carries the task's id and name:
Celery's task_prerun / task_postrun signals bind them for the task's run (`TaskFilter`).

Wired in settings.LOGGING: `CallSidFilter`, `TaskFilter` and `RedactingFilter` on the console
handler and `StructuredFormatter` (LOG_FORMAT "text": key=value pairs, or "json": one object per line).

Redaction: phone numbers keep their last four digits (***0147), card-like numbers (Luhn) too,
secret settings' values, Authorization headers, bearer/basic credentials, key=value secrets,
passwords in URLs and PEM private keys are replaced by ***. Numbers are looked for in the line
as a person would read it: a URL's %-escapes decoded (`?q=%2B13125550147`, or twice over in a
login redirect's `?next=`) and a "+" between digits read as the space it is in a query string.
The server's access log (uvicorn's) goes through the same handlers, so through `redact` too.
"""

import contextlib
import contextvars
import json
import logging
import re
from datetime import UTC, datetime

import phonenumbers

_call_sid = contextvars.ContextVar("call_sid", default=None)
_task = contextvars.ContextVar("celery_task", default=None)  # (task id, task name) while a task runs

# Settings whose values must never appear in a log line.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "DEEPGRAM_API_KEY",
    "OPENAI_API_KEY",
    "TWILIO_AUTH_TOKEN",
    "GOOGLE_OAUTH_CLIENT_SECRET",
    "GOOGLE_OAUTH_REFRESH_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_JSON",
    "METRICS_TOKEN",
)
MASK = "***"


def current_call_sid():
    return _call_sid.get()


def bind_call_sid(call_sid):
    """Tag every later log line of this task (and tasks/threads it starts) with `call_sid`.

    Returns the contextvars token, for `unbind_call_sid` if the task lives on after the call.
    """
    return _call_sid.set(call_sid or None)


def unbind_call_sid(token):
    _call_sid.reset(token)


@contextlib.contextmanager
def call_context(call_sid):
    token = bind_call_sid(call_sid)
    try:
        yield
    finally:
        _call_sid.reset(token)


def current_task():
    """(id, name) of the Celery task running here, or None."""
    return _task.get()


_task_tokens = {}  # task id -> the contextvars token that restores what was bound before it


def _task_started(task_id=None, task=None, **_):
    _task_tokens[task_id] = _task.set((task_id, getattr(task, "name", None)))


def _task_finished(task_id=None, **_):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _task.reset(token)
        except ValueError:  # finished in another context than it started in: just unbind
            _task.set(None)


try:
    from celery.signals import task_postrun, task_prerun
except ImportError:  # pragma: no cover (Celery is a requirement; logging must not depend on it)
    pass
else:
    task_prerun.connect(_task_started, weak=False, dispatch_uid="ottos.lib.logging.task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="ottos.lib.logging.task_finished")


# --- Redaction --------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)
_AUTH_HEADER = re.compile(r"""(?i)(authorization["']?\s*[:=]\s*["']?)(?:(bearer|token|basic)\s+)?[^\s"',}]+""")
_CREDENTIAL = re.compile(r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9._~+/=-]{12,}")
_KEY_VALUE = re.compile(
    r"""(?i)(?<![\w-])(api[_-]?key|access[_-]?token|refresh[_-]?token|auth[_-]?token|call[_-]?token|id[_-]?token|"""
    r"""client[_-]?secret|secret[_-]?key|private[_-]?key|password|passwd|secret|token|signature)"""
    r"""(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+"""
)
# A bare "key" is a secret in a URL's query (?key=...), not in prose ("missing key: service").
_QUERY_KEY = re.compile(r"(?i)([?&]key=)[^\s\"'&#]+")
_OPENAI_KEY = re.compile(r"\bsk-[A-Za-z0-9_-]{12,}")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")
_E164 = re.compile(r"\+[1-9]\d{7,14}(?!\d)")
# Worth asking libphonenumber about (it costs ~0.3 ms): seven or more digits with at most single
# separators, standing alone (not inside an id such as a call SID).
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])\d(?:[\s().-]?\d){6,}(?![A-Za-z0-9])")
_DIGIT = re.compile(r"\d")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# In a query string "+" is a space: a search for "(312) 555-0147" arrives as "%28312%29+555-0147".
_PLUS_AS_SPACE = re.compile(r"(?<=[\d)])\+(?=[\d(])")
# A login redirect's ?next= holds the page's own query encoded once more ("%252B1312...").
URL_DECODE_PASSES = 3


def _luhn_ok(digits):
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _last_four(text):
    digits = re.sub(r"\D", "", text)
    return MASK + digits[-4:]


def _is_card(text):
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def _phone_region():
    try:
        from django.conf import settings

        return settings.PHONE_REGION if settings.configured else "US"
    except Exception:
        return "US"


def _decode_escapes(text):
    """`text` with each %XX decoded, and where each of its characters starts in `text` (plus its end)."""
    pieces, starts, done = [], [], 0
    for escape in _PERCENT_ESCAPE.finditer(text):
        pieces += [text[done : escape.start()], chr(int(escape.group()[1:], 16))]
        starts += [*range(done, escape.start()), escape.start()]
        done = escape.end()
    pieces.append(text[done:])
    starts += range(done, len(text) + 1)
    return "".join(pieces), starts


def _as_read(text):
    """`text` as a person reads it, and for each of its characters where it starts in `text` (None: the same place).

    URLs are read decoded, up to URL_DECODE_PASSES times over; a "+" between digits is a query
    string's space. Both keep the search for numbers from being fooled by how a URL is written.
    """
    view, origin = _PLUS_AS_SPACE.sub(" ", text), None
    for _ in range(URL_DECODE_PASSES):
        if not _PERCENT_ESCAPE.search(view):
            break
        view, starts = _decode_escapes(view)
        view = _PLUS_AS_SPACE.sub(" ", view)
        origin = starts if origin is None else [origin[i] for i in starts]
    return view, origin


def _blank(text, spans):
    for start, end in spans:
        text = text[:start] + "*" * (end - start) + text[end:]
    return text


def _number_spans(view):
    """Where `view` holds card numbers and phone numbers: (start, end) pairs that do not overlap."""
    spans = [(m.start(), m.end()) for m in _CARD.finditer(view) if _is_card(m.group())]
    view = _blank(view, spans)  # same length: later finds keep their places
    found = [(m.start(), m.end()) for m in _E164.finditer(view)]
    spans += found
    view = _blank(view, found)
    if _DIGIT_RUN.search(view):
        matcher = phonenumbers.PhoneNumberMatcher(view, _phone_region(), leniency=phonenumbers.Leniency.VALID)
        spans += [(match.start, match.end) for match in matcher]
    return sorted(spans)


def _mask_numbers(text):
    """Card and phone numbers cut to their last four digits, wherever and however `text` writes them."""
    if not _DIGIT.search(text):
        return text
    view, origin = _as_read(text)
    spans = _number_spans(view)
    if not spans:
        return text
    pieces, done = [], 0
    for start, end in spans:
        masked = _last_four(view[start:end])
        if origin is not None:
            start, end = origin[start], origin[end]
        pieces += [text[done:start], masked]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _secret_values():
    try:
        from django.conf import settings

        if not settings.configured:
            return []
        values = [str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS]
    except Exception:
        return []
    # Short values would mask ordinary words; real keys and tokens are long.
    return sorted((v for v in values if len(v) >= 8), key=len, reverse=True)


def redact(text):
    """`text` with secrets replaced by *** and phone/card numbers cut to their last four digits."""
    if not text:
        return text
    for value in _secret_values():
        if value in text:
            text = text.replace(value, MASK)
    text = _PRIVATE_KEY.sub("[private key]", text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + (m.group(2) + " " if m.group(2) else "") + MASK, text)
    text = _CREDENTIAL.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _QUERY_KEY.sub(lambda m: m.group(1) + MASK, text)
    text = _OPENAI_KEY.sub("sk-" + MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    return _mask_numbers(text)


# --- Filters and formatter ----------------------------------------------------------------------


class CallSidFilter(logging.Filter):
    """Sets `record.call_sid` (None outside a call) unless the caller passed one in `extra`."""

    def filter(self, record):
        if getattr(record, "call_sid", None) is None:
            record.call_sid = _call_sid.get()
        return True


class TaskFilter(logging.Filter):
    """Sets `record.task_id` and `record.task_name` (None outside a Celery task)."""

    def filter(self, record):
        task = _task.get()
        if getattr(record, "task_id", None) is None:
            record.task_id, record.task_name = task if task else (None, None)
        return True


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (and traceback) with `redact`, before any handler formats it."""

    _formatter = logging.Formatter()

    def filter(self, record):
        if getattr(record, "_ottos_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:
            message = f"[log message could not be formatted: {record.msg!r} % {record.args!r}]"
        record.msg, record.args = redact(message), None
        try:
            if record.exc_info and not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        except Exception:
            record.exc_text = "[traceback could not be formatted]"
        record._ottos_redacted = True
        return True


# Attributes every LogRecord has; anything else was passed in `extra` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "call_sid",
    "_ottos_redacted",
    "taskName",
    "task_id",
    "task_name",
    "color_message",  # uvicorn's message template with terminal colours: the message says it already
}
_BARE = re.compile(r"^[\w.:/@+-]+$")


class StructuredFormatter(logging.Formatter):
    """One line per record: `ts=... level=INFO logger=calls.telephony.consumer call_sid=CA... msg="..."` or JSON."""

    def __init__(self, style="text", **kwargs):
        super().__init__()
        if style not in ("text", "json"):
            raise ValueError(f"log style must be 'text' or 'json', not {style!r}")
        self.json = style == "json"

    def format(self, record):
        fields = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
        }
        call_sid = getattr(record, "call_sid", None)
        if call_sid:
            fields["call_sid"] = call_sid
        task_id = getattr(record, "task_id", None)
        if task_id:
            fields["task"] = getattr(record, "task_name", None) or "?"
            fields["task_id"] = redact(str(task_id))
        message = record.getMessage()
        fields["msg"] = message if getattr(record, "_ottos_redacted", False) else redact(message)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                fields[key] = value if isinstance(value, (int, float, bool)) or value is None else redact(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            fields["exc"] = record.exc_text
        if record.stack_info:
            fields["stack"] = record.stack_info
        if self.json:
            return json.dumps(fields, default=str, ensure_ascii=False)
        return " ".join(f"{key}={_text_value(value)}" for key, value in fields.items())


def _text_value(value):
    text = str(value)
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)
