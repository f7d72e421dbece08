"""The Twilio Media Streams consumer: Twilio's JSON in, calls on the voice session; the
session's audio, marks and clears out as Twilio's JSON. It owns no conversation logic.

Close codes: 4403 the handshake signature is wrong; 4401 the stream's call token is missing,
forged, expired, for another call or already used; 1011 the token could not be checked (the
cache is down). Malformed frames (bad JSON, unknown events, bad base64, oversized, media
before `start`) are logged and ignored.
"""

import asyncio
import base64
import binascii
import json
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from crm.actions import find_customer_by_phone
from ottos.lib.logging import bind_call_sid
from scheduling.models import ServiceType, ShopProfile

from calls import actions
from calls.call_audio import tape_for_call
from calls.agent.engines import engines_for_call
from calls.agent.greeting import voice_config
from calls.transcript_log import CallRecorder
from calls.telephony.tokens import InvalidCallToken, redeem_call_token
from calls.agent.tools.toolbox import ToolBox
from calls.telephony.signatures import stream_handshake_is_from_twilio
from calls.voice.session import VoiceSession

logger = logging.getLogger(__name__)

MAX_FRAME_CHARS = 64 * 1024
MAX_LOGGED_BAD_FRAMES = 5
STOP_TIMEOUT_S = 3.0
RECORDER_FLUSH_TIMEOUT_S = 3.0


def _in_db_thread(fn):
    return database_sync_to_async(fn, thread_sensitive=False)


def _load_call(call_sid, stream_sid, caller):
    """Everything the call needs from the database, in one trip."""
    call = actions.stream_started(call_sid, stream_sid)
    phone = actions.caller_phone(caller)
    customer = find_customer_by_phone(phone) if phone else None
    shop = ShopProfile.load()
    services = list(ServiceType.objects.filter(active=True).values_list("name", flat=True))
    return call, phone, customer, shop, services


class MediaStreamConsumer(AsyncWebsocketConsumer):
    tape = None  # the call's audio, when RECORDING_ENABLED

    async def connect(self):
        self.call_sid = self.stream_sid = None
        self.session = self.run_task = self.recorder = self.tools = self.engines = None
        self.closed = False
        self._ending = None
        self._bad_frames = 0
        await self.accept()
        headers = dict(self.scope.get("headers", []))
        signature = headers.get(b"x-twilio-signature", b"").decode("latin1")
        host = headers.get(b"host", b"").decode("latin1")
        if not stream_handshake_is_from_twilio(signature, host=host):
            logger.warning("Media stream with a bad handshake signature: closed")
            await self._close(4403)

    async def __call__(self, scope, receive, send):
        # Channels' own loop (await_many_dispatch) also listens on the channel layer, and for each
        # message makes a new task and an asyncio.wait over both: 50 frames a second per call for
        # nothing, since Twilio's stream takes no channel-layer messages (live events go out with
        # group_send). One source, one plain loop.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        # Channels' own dispatch first closes stale database connections by a hop to the sync
        # thread, for every message: 50 media frames a second per call, most of the server's CPU.
        # This consumer reaches the database only through database_sync_to_async, which closes
        # stale connections itself, in its worker thread.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if text_data is None:
            return self._ignore("a binary frame")
        if len(text_data) > MAX_FRAME_CHARS:
            return self._ignore(f"an oversized frame ({len(text_data)} characters)")
        try:
            message = json.loads(text_data)
        except ValueError:
            return self._ignore("a frame that is not JSON")
        if not isinstance(message, dict):
            return self._ignore("a JSON frame that is not an object")
        handler = self._handlers.get(message.get("event"))
        if handler is None:
            return self._ignore(f"an unknown event {str(message.get('event'))[:40]!r}")
        try:
            await handler(self, message)
        except Exception:
            # Last line of defence: one bad message must not take the call down.
            logger.exception("Call %s: handling a %r message failed", self.call_sid, message.get("event"))

    async def disconnect(self, code):
        await self._end("caller_hung_up")

    # --- Twilio -> session ------------------------------------------------------------------

    async def _on_connected(self, message):
        pass

    async def _on_start(self, message):
        if self.call_sid is not None:
            return self._ignore("a second start")
        start = message.get("start") if isinstance(message.get("start"), dict) else {}
        params = start.get("customParameters") if isinstance(start.get("customParameters"), dict) else {}
        call_sid, caller = start.get("callSid"), params.get("caller", "")
        stream_sid = message.get("streamSid") or start.get("streamSid")
        token = params.get("call_token")
        if not all(isinstance(v, str) and v for v in (call_sid, stream_sid, token)) or not isinstance(caller, str):
            logger.warning("Media stream start without call SID, stream SID or call token: closed")
            return await self._close(4401)
        try:
            await _in_db_thread(redeem_call_token)(token, call_sid=call_sid, caller=caller)
        except InvalidCallToken as exc:
            logger.warning("Media stream for %s refused: %s", call_sid, exc)
            return await self._close(4401)
        except Exception:
            logger.exception("Media stream for %s: the call token could not be checked", call_sid)
            return await self._close(1011)
        self.call_sid, self.stream_sid = call_sid, stream_sid
        # Only a SID its token vouched for tags the logs. The session's tasks and the database
        # threads started from here on inherit it; the consumer's task ends with the stream.
        bind_call_sid(call_sid)
        self._media_prefix = '{"event":"media","streamSid":%s,"media":{"payload":"' % json.dumps(stream_sid)
        try:
            await self._begin(caller)
        except Exception:
            logger.exception("Call %s: the conversation could not start", call_sid)
            await self._fail("could not start")

    async def _begin(self, caller):
        call, phone, customer, shop, services = await _in_db_thread(_load_call)(self.call_sid, self.stream_sid, caller)
        self.tape = tape_for_call(call.pk, self.call_sid)
        self.recorder = CallRecorder(call_id=call.pk, call_sid=self.call_sid)
        self.recorder.start()
        self.recorder.event("started", caller=caller, customer=customer.name if customer else None)
        self.tools = ToolBox(call_sid=self.call_sid, caller_phone=phone, service_names=services, timezone=shop.tz)
        self.engines = engines_for_call(timezone=shop.tz, record_event=self.recorder.event)
        self.session = VoiceSession(
            stt=self.engines.stt, tts=self.engines.tts, brain=self.engines.brain, tools=self.tools,
            transport=self, recorder=self.recorder,
            config=voice_config(shop_name=shop.name, timezone=shop.tz, customer=customer),
        )
        self.run_task = asyncio.create_task(self.session.run(), name=f"voice-session-{self.call_sid}")
        self.run_task.add_done_callback(self._session_over)

    async def _on_media(self, message):
        media = message.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            return self._ignore("a media frame without a payload")
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return self._ignore("a media frame that is not base64")
        if self.session is None:
            return self._ignore("media before start")
        if audio:
            self.session.feed_audio(audio)
            if self.tape is not None:
                self.tape.caller_frame(audio)

    async def _on_mark(self, message):
        mark = message.get("mark")
        name = mark.get("name") if isinstance(mark, dict) else None
        if self.session is None or not isinstance(name, str):
            return self._ignore("a mark without a name, or before start")
        self.session.on_mark(name)

    async def _on_dtmf(self, message):
        dtmf = message.get("dtmf")
        digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
        if self.session is None or not isinstance(digit, str) or len(digit) != 1:
            return self._ignore("a dtmf without a digit, or before start")
        self.session.on_dtmf(digit)

    async def _on_stop(self, message):
        await self._end("caller_hung_up")
        await self._close(1000)

    _handlers = {
        "connected": _on_connected, "start": _on_start, "media": _on_media,
        "mark": _on_mark, "dtmf": _on_dtmf, "stop": _on_stop,
    }

    # --- session -> Twilio (CallTransport) ------------------------------------------------------

    async def send_audio(self, mulaw):
        if not self.closed:
            await self.send(text_data=self._media_prefix + base64.b64encode(mulaw).decode("ascii") + '"}}')
            if self.tape is not None:
                self.tape.agent_frame(mulaw)

    async def send_mark(self, name):
        if not self.closed:
            await self.send(text_data=json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}))

    async def send_clear(self):
        if not self.closed:
            await self.send(text_data=json.dumps({"event": "clear", "streamSid": self.stream_sid}))
            if self.tape is not None:
                self.tape.agent_cleared()

    async def hang_up(self):
        await self._close(1000)

    # --- ending -------------------------------------------------------------------------------

    def _session_over(self, task):
        reason = "ended"
        if task.cancelled():
            reason = "cancelled"
        elif task.exception() is not None:
            logger.error("Call %s: the voice session failed", self.call_sid, exc_info=task.exception())
            reason = "agent_error"
        elif task.result() == "error":
            reason = "agent_error"
        elif isinstance(task.result(), str) and task.result():
            reason = task.result()
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._finish_and_close(reason))

    async def _finish_and_close(self, reason):
        if reason == "agent_error":
            await self._fail("the voice session failed", finishing=True)
        await self._finish(reason)
        await self._close(1000)

    async def _end(self, reason):
        """Stop the conversation and file the call, once, however the call ends."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._finish(reason))
        await asyncio.shield(self._ending)

    async def _fail(self, why, finishing=False):
        """The agent cannot go on: note it (the stream-ended webhook then hands the caller to a
        person) before closing the stream."""
        try:
            await _in_db_thread(actions.mark_agent_failed)(self.call_sid, why)
        except Exception:
            logger.exception("Call %s: could not note the failure", self.call_sid)
        if not finishing:
            await self._end("agent_error")
            await self._close(1000)

    async def _finish(self, reason):
        if self.call_sid is None:
            return
        if self.run_task is not None and not self.run_task.done():
            try:
                await asyncio.wait_for(self.session.stop(reason), STOP_TIMEOUT_S)
            except Exception:
                logger.exception("Call %s: the voice session did not stop cleanly", self.call_sid)
            if not self.run_task.done():
                self.run_task.cancel()
                await asyncio.wait({self.run_task}, timeout=1.0)
        if self.tape is not None:
            self.tape.save_in_background()  # no more agent audio; the file copy does not hold up the call's end
        if self.engines is not None:
            try:
                await asyncio.wait_for(self.engines.close(), STOP_TIMEOUT_S)
            except Exception:
                logger.warning("Call %s: closing the engines failed", self.call_sid, exc_info=True)
        if self.recorder is not None:
            await self.recorder.close(timeout=RECORDER_FLUSH_TIMEOUT_S)
        try:
            await _in_db_thread(actions.finish_call)(
                self.call_sid, end_reason=reason, outcomes=self.tools.outcomes if self.tools else (),
                caller_spoke=bool(self.recorder and self.recorder.caller_turns),
                summary=self._summary(), interruption_count=self.recorder.interruptions if self.recorder else 0,
            )
        except Exception:
            logger.exception("Call %s: could not file the finished call", self.call_sid)

    def _summary(self):
        lines = list(self.tools.done) if self.tools else []
        if not lines and self.recorder and self.recorder.first_caller_text:
            lines.append(f"Caller said: {self.recorder.first_caller_text[:300]}")
        return " ".join(lines)

    async def _close(self, code):
        if not self.closed:
            self.closed = True
            await self.close(code=code)

    def _ignore(self, what):
        self._bad_frames += 1
        if self._bad_frames <= MAX_LOGGED_BAD_FRAMES:
            logger.warning("Call %s: ignored %s", self.call_sid or "(not started)", what)
        elif self._bad_frames == MAX_LOGGED_BAD_FRAMES + 1:
            logger.warning("Call %s: ignoring more bad frames without logging them", self.call_sid)
