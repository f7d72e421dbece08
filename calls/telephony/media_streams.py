"""Twilio Media Streams messages (protocols.md 1.5): JSON text frames in, typed events out, and
the frames we send back. Pure: no sockets, no Django, no call state.

`parse(text)` returns one of the events below or raises BadFrame (the consumer logs and ignores
it) or BadStart (a `start` without the call SID, stream SID or call token: the stream is refused).
"""

import base64
import binascii
import json
from dataclasses import dataclass

MAX_FRAME_CHARS = 64 * 1024


class BadFrame(Exception):
    """A frame to ignore; the message says what it was, for the log."""


class BadStart(BadFrame):
    """A `start` that does not say which call it is: the stream cannot be accepted."""


@dataclass(frozen=True)
class Connected:
    pass


@dataclass(frozen=True)
class Start:
    call_sid: str
    stream_sid: str
    call_token: str
    caller: str  # the From number our webhook put in the stream's parameters ("" if none)


@dataclass(frozen=True)
class Media:
    audio: bytes  # raw mu-law 8 kHz (may be empty)


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Stop:
    pass


def parse(text):
    if text is None:
        raise BadFrame("a binary frame")
    if len(text) > MAX_FRAME_CHARS:
        raise BadFrame(f"an oversized frame ({len(text)} characters)")
    try:
        message = json.loads(text)
    except ValueError:
        raise BadFrame("a frame that is not JSON") from None
    except RecursionError:  # [[[[...]]]] nested past the interpreter's limit
        raise BadFrame("a JSON frame nested too deep") from None
    if not isinstance(message, dict):
        raise BadFrame("a JSON frame that is not an object")
    event = message.get("event")
    parser = _PARSERS.get(event) if isinstance(event, str) else None
    if parser is None:
        raise BadFrame(f"an unknown event {str(event)[:40]!r}")
    return parser(message)


def _connected(message):
    return Connected()


def _start(message):
    start = _object(message.get("start"))
    params = _object(start.get("customParameters"))
    call_sid, caller = start.get("callSid"), params.get("caller", "")
    stream_sid = message.get("streamSid") or start.get("streamSid")
    token = params.get("call_token")
    if not all(isinstance(v, str) and v for v in (call_sid, stream_sid, token)) or not isinstance(caller, str):
        raise BadStart("a start without call SID, stream SID or call token")
    return Start(call_sid=call_sid, stream_sid=stream_sid, call_token=token, caller=caller)


def _media(message):
    payload = _object(message.get("media")).get("payload")
    if not isinstance(payload, str):
        raise BadFrame("a media frame without a payload")
    try:
        return Media(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        raise BadFrame("a media frame that is not base64") from None


def _mark(message):
    name = _object(message.get("mark")).get("name")
    if not isinstance(name, str):
        raise BadFrame("a mark without a name")
    return Mark(name)


def _dtmf(message):
    digit = _object(message.get("dtmf")).get("digit")
    if not isinstance(digit, str) or len(digit) != 1:
        raise BadFrame("a dtmf without a digit")
    return Dtmf(digit)


def _stop(message):
    return Stop()


def _object(value):
    return value if isinstance(value, dict) else {}


_PARSERS = {"connected": _connected, "start": _start, "media": _media, "mark": _mark, "dtmf": _dtmf, "stop": _stop}


class OutgoingFrames:
    """The frames we send on one stream: agent audio, marks and `clear`."""

    def __init__(self, stream_sid):
        self.stream_sid = stream_sid
        # Built once: 50 audio frames a second per call, each otherwise a json.dumps.
        self._media_prefix = '{"event":"media","streamSid":%s,"media":{"payload":"' % json.dumps(stream_sid)

    def media(self, mulaw):
        return self._media_prefix + base64.b64encode(mulaw).decode("ascii") + '"}}'

    def mark(self, name):
        return json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    def clear(self):
        return json.dumps({"event": "clear", "streamSid": self.stream_sid})
