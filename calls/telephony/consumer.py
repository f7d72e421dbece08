"""The Twilio Media Streams socket: Twilio's frames in, calls on the agent's call; the session's
audio, marks and clears out (this class is its CallTransport). It owns no conversation logic.

What answers the call is given by the routing (`MediaStreamConsumer.as_asgi(answer=AgentCall)`
in ottos/routing.py), so the Twilio edge does not import the agent that, for transfers, uses it.

Close codes: 4403 the handshake signature is wrong; 4401 the stream's call token is missing,
forged, expired, for another call or already used; 1011 the token could not be checked (the
database is down: then there is no call to take either). Redis down closes nothing. Malformed frames (media_streams.BadFrame) are logged and ignored.
The server itself closes with 1009 a message over MEDIA_STREAM_MAX_MESSAGE_BYTES: a broken stream,
whose caller the stream-ended webhook hands to a person.
"""

import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from calls.telephony import admission
from calls.telephony import media_streams as twilio
from calls.telephony.signatures import stream_handshake_is_from_twilio
from calls.telephony.tokens import InvalidCallToken, redeem_call_token
from ottos.lib.logging import bind_call_sid

logger = logging.getLogger(__name__)

MAX_LOGGED_BAD_FRAMES = 5
MESSAGE_TOO_BIG = 1009  # the server closed the socket: a message over MEDIA_STREAM_MAX_MESSAGE_BYTES


class MediaStreamConsumer(AsyncWebsocketConsumer):
    def __init__(self, *, answer):
        """`answer(call_sid=, stream_sid=, transport=, on_over=)` makes the object that takes the
        call: start(caller), hear(audio), mark(name), key(digit), end(reason), fail(why)."""
        super().__init__()
        self.answer = answer

    async def connect(self):
        self.call = self.frames = None
        self.closed = self.stopped = False
        self._send_failed = False  # a send found the socket gone (not a close of ours: see disconnect)
        self._bad_frames = 0
        await self.accept()
        headers = dict(self.scope.get("headers", []))
        signature = headers.get(b"x-twilio-signature", b"").decode("latin1")
        if not stream_handshake_is_from_twilio(signature, host=headers.get(b"host", b"").decode("latin1")):
            logger.warning("Media stream with a bad handshake signature: closed")
            await self._close(4403)

    async def __call__(self, scope, receive, send):
        # Channels' own loop also listens on the channel layer, with a new task and an
        # asyncio.wait per message: 50 frames a second per call for nothing (this socket takes no
        # channel-layer messages). One source, one plain loop.
        self.scope, self.channel_layer, self.base_send = scope, None, send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        # Channels' own dispatch first closes stale database connections by a hop to the sync
        # thread for every message (most of the server's CPU at 50 frames a second). The call
        # reaches the database only through database_sync_to_async, which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        try:
            event = twilio.parse(text_data)
            call = self.call
            match event:
                case twilio.Start():
                    await self._start(event)
                case twilio.Media(audio=audio) if call is not None and call.session is not None:
                    call.hear(audio)
                case twilio.Mark(name=name) if call is not None and call.session is not None:
                    call.mark(name)
                case twilio.Dtmf(digit=digit) if call is not None and call.session is not None:
                    call.key(digit)
                case twilio.Stop():
                    self.stopped = True
                    await self._end("caller_hung_up")
                    await self._close(1000)
                case twilio.Media() | twilio.Mark() | twilio.Dtmf():
                    self._ignore(f"a {type(event).__name__.lower()} before start")
        except twilio.BadStart as exc:
            logger.warning("Media stream %s: closed", exc)
            await self._close(4401)
        except twilio.BadFrame as exc:
            self._ignore(str(exc))
        except Exception:  # last line of defence: one bad message must not take the call down
            logger.exception("Call %s: handling a frame failed", self.call.call_sid if self.call else None)

    async def disconnect(self, code):
        broke = not (self.stopped or self.closed)
        self.closed = True  # the socket is gone: nothing more is sent on it while the call is filed
        if self.call is not None and broke:
            logger.warning(
                "Call %s: the stream broke (close code %s%s)",
                self.call.call_sid,
                code,
                ", a message over MEDIA_STREAM_MAX_MESSAGE_BYTES" if code == MESSAGE_TOO_BIG else "",
            )
            # Gone without Twilio's stop and not closed by us: the stream broke, the caller may still
            # be on the line (the stream-ended webhook then hands them to a person).
            await self.call.stream_broke()
        if getattr(self, "live_call_sid", None):
            admission.stream_ended(self.live_call_sid)
        await self._end("caller_hung_up")

    async def _start(self, start):
        if self.call is not None:
            return self._ignore("a second start")
        try:
            await database_sync_to_async(redeem_call_token, thread_sensitive=False)(
                start.call_token, call_sid=start.call_sid, caller=start.caller, stream_sid=start.stream_sid
            )
        except InvalidCallToken as exc:
            logger.warning("Media stream for %s refused: %s", start.call_sid, exc)
            return await self._close(4401)
        except Exception:
            logger.exception("Media stream for %s: the call token could not be checked", start.call_sid)
            return await self._close(1011)
        # Only a SID its token vouched for tags the logs; the call's tasks and threads inherit it.
        bind_call_sid(start.call_sid)
        self.live_call_sid = start.call_sid  # a live call of this process until the socket goes (admission)
        admission.stream_started(start.call_sid)
        self.frames = twilio.OutgoingFrames(start.stream_sid)
        self.call = self.answer(
            call_sid=start.call_sid, stream_sid=start.stream_sid, transport=self, on_over=self.hang_up
        )
        try:
            await self.call.start(start.caller)
        except Exception:
            logger.exception("Call %s: the conversation could not start", start.call_sid)
            await self._fail("could not start")

    # --- the session's CallTransport ----------------------------------------------------------

    async def send_audio(self, mulaw):
        await self._send_frame(self.frames.media, mulaw)

    async def send_mark(self, name):
        await self._send_frame(self.frames.mark, name)

    async def send_clear(self):
        await self._send_frame(self.frames.clear)

    async def _send_frame(self, frame, *args):
        if self.closed or self._send_failed:
            return
        try:
            await self.send(text_data=frame(*args))
        except Exception as exc:
            # The caller hung up between our last look and this send (the server raises an
            # OSError, as ASGI says): nothing more goes out; disconnect() files the call.
            self._send_failed = True
            logger.info(
                "Call %s: the socket closed under a send (%s)",
                self.call.call_sid if self.call else None,
                type(exc).__name__,
            )

    async def hang_up(self):
        await self._close(1000)

    # --- ending -------------------------------------------------------------------------------

    async def _end(self, reason):
        if self.call is not None:
            await self.call.end(reason)

    async def _fail(self, why):
        await self.call.fail(why)
        await self._end("agent_error")
        await self._close(1000)

    async def _close(self, code):
        if not self.closed:
            self.closed = True
            try:
                await self.close(code=code)
            except OSError:  # ASGI's error for a socket already closed: Twilio hung up first
                pass

    def _ignore(self, what):
        self._bad_frames += 1
        if self._bad_frames <= MAX_LOGGED_BAD_FRAMES:
            logger.warning("Call %s: ignored %s", self.call.call_sid if self.call else "(not started)", what)
        elif self._bad_frames == MAX_LOGGED_BAD_FRAMES + 1:
            logger.warning(
                "Call %s: ignoring more bad frames without logging them",
                self.call.call_sid if self.call else "(not started)",
            )
