"""The caller's side: their audio into speech recognition, their words into turns, and
telling a real interruption from a backchannel."""

import asyncio
import contextlib
import functools
import logging
import re
from dataclasses import dataclass, field

from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.inbox import Heard, HearingFailed

log = logging.getLogger(__name__)


def _quiet_codes(peak):
    """The mu-law byte values whose sample is smaller than `peak` (of 32767) either way."""
    return bytes(code for code, sample in enumerate(mulaw_decode(bytes(range(256)))) if abs(int(sample)) < peak)


class QuietSpells:
    """Sends the caller's audio to STT in fewer, larger messages while the line is quiet.

    Twilio delivers 20 ms frames, and each one sent on is a websocket message and a wake-up
    on both sides. Once the line has been quiet for `after_s` (past the engine's endpointing
    and utterance-end windows, so no turn ends later), quiet frames are held and sent
    `chunk_s` at a time. The first frame with any sound in it goes out at once with what was
    held, so neither the start of speech nor a barge-in waits. All audio is sent, in order.
    """

    QUIET = _quiet_codes(100)  # about -50 dBFS: far below speech, and below any VAD's onset

    def __init__(self, *, after_s, chunk_s):
        self._after = round(after_s * PHONE_RATE)
        self._chunk = max(1, round(chunk_s * PHONE_RATE))
        self._quiet_for = 0  # bytes of quiet since the last sound
        self._held = bytearray()

    def take(self, mulaw):
        """The audio to send now (maybe b"")."""
        if mulaw.translate(None, self.QUIET):  # some sample is not quiet
            self._quiet_for = 0
            if self._held:
                mulaw = bytes(self._held) + mulaw
                self._held.clear()
            return mulaw
        self._quiet_for += len(mulaw)
        if self._quiet_for <= self._after:
            return mulaw
        self._held += mulaw
        if len(self._held) < self._chunk:
            return b""
        held = bytes(self._held)
        self._held.clear()
        return held


class CallerAudio:
    """Caller audio to the STT engine without ever blocking the consumer, and the engine's
    events back into the session's inbox as Heard(event), or HearingFailed when it stops."""

    def __init__(self, stt, inbox, *, backlog_frames, on_send_error, quiet_spells=None):
        self._stt = stt
        self._inbox = inbox
        self._backlog = asyncio.Queue(maxsize=max(1, backlog_frames))
        self._on_send_error = on_send_error
        self._send_failed = False
        self._quiet = quiet_spells

    def feed(self, mulaw):
        if self._quiet is not None:
            mulaw = self._quiet.take(mulaw)
            if not mulaw:
                return
        if self._backlog.full():  # STT far behind: drop the oldest audio, not the newest
            self._backlog.get_nowait()
        self._backlog.put_nowait(mulaw)

    async def pump(self):
        while True:
            chunks = [await self._backlog.get()]
            while not self._backlog.empty():
                chunks.append(self._backlog.get_nowait())
            try:
                await self._stt.send(b"".join(chunks))
            except Exception as exc:
                if not self._send_failed:  # the event stream reports a lasting failure itself
                    self._send_failed = True
                    self._on_send_error(exc)

    async def listen(self):
        events = self._stt.events()
        try:
            async for event in events:
                self._inbox.put_nowait(Heard(event))
        except Exception as exc:
            self._inbox.put_nowait(HearingFailed(exc))
            return
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        self._inbox.put_nowait(HearingFailed(None))


@dataclass
class CallerTurn:
    """What the caller has said since their last turn ended."""

    parts: list = field(default_factory=list)  # final transcripts
    onset: float | None = None  # latest SpeechStarted before the first words
    started_at: float | None = None  # first words
    last_final_at: float | None = None
    speech_ended_at: float | None = None  # when the last final's speech ended, if the engine says
    over_agent: bool = False  # started while the agent was talking
    held_until: float | None = None  # the endpoint came mid-sentence (turn.py): end the turn then at the latest
    hearing: bool = False  # the engine reported speech and has not ended that utterance (speech_final) yet

    @property
    def text(self):
        return " ".join(self.parts).strip()


def is_backchannel(text, backchannels):
    """True when `text` is only acknowledgement sounds ("uh-huh", "okay, yeah") or no words at all."""
    words = _words(text)
    phrases = _phrases(frozenset(backchannels))
    at = 0
    while at < len(words):
        for phrase in phrases:
            if tuple(words[at : at + len(phrase)]) == phrase:
                at += len(phrase)
                break
        else:
            return False
    return True


def _words(text):
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


@functools.lru_cache(maxsize=8)
def _phrases(backchannels):
    return sorted({tuple(_words(p)) for p in backchannels if _words(p)}, key=len, reverse=True)
