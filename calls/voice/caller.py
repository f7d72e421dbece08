"""The caller's side: their audio into speech recognition, their words into turns, and
telling a real interruption from a backchannel."""

import asyncio
import contextlib
import functools
import logging
import re
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class CallerAudio:
    """Caller audio to the STT engine without ever blocking the consumer, and the engine's
    events back into the session's inbox as ("stt", event) or ("stt_failed", error or None)."""

    def __init__(self, stt, inbox, *, backlog_frames, on_send_error):
        self._stt = stt
        self._inbox = inbox
        self._backlog = asyncio.Queue(maxsize=max(1, backlog_frames))
        self._on_send_error = on_send_error
        self._send_failed = False

    def feed(self, mulaw):
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
                self._inbox.put_nowait(("stt", event))
        except Exception as exc:
            self._inbox.put_nowait(("stt_failed", exc))
            return
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        self._inbox.put_nowait(("stt_failed", None))


@dataclass
class CallerTurn:
    """What the caller has said since their last turn ended."""

    parts: list = field(default_factory=list)  # final transcripts
    onset: float | None = None  # latest SpeechStarted before the first words
    started_at: float | None = None  # first words
    last_final_at: float | None = None
    speech_ended_at: float | None = None  # when the last final's speech ended, if the engine says
    over_agent: bool = False  # started while the agent was talking

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
