"""What reaches a session's loop, one event at a time, and the states a call goes through.

The loop (VoiceSession._converse) waits on one queue; everything that can change the
conversation arrives there as one of these, so it is handled in order, never concurrently.
"""

import enum
from dataclasses import dataclass


class CallState(enum.Enum):
    TALKING = "talking"  # the conversation goes on
    ENDING = "ending"  # a last line is being said before hanging up
    TRANSFERRING = "transferring"  # the caller is being handed to a person
    OVER = "over"  # stopped: nothing more is taken in or sent


class After(enum.Enum):
    """What a reply leaves the call to do once it has been heard."""

    END_CALL = "end_call"
    HAND_OVER = "hand_over"


@dataclass(frozen=True)
class Heard:
    """An event from speech recognition (calls.voice.stt.base.SttEvent)."""

    event: object


@dataclass(frozen=True)
class HearingFailed:
    """Speech recognition stopped for good; `error` is why, if it said."""

    error: Exception | None


@dataclass(frozen=True)
class MarkEcho:
    """Twilio played (or flushed) the audio before this mark."""

    name: str


@dataclass(frozen=True)
class KeyPress:
    digit: str


@dataclass(frozen=True)
class ReplyDone:
    reply: object  # calls.voice.reply.Reply


@dataclass(frozen=True)
class TimerDue:
    """Nothing arrived before the loop's next deadline (silence, a pause, the time limit)."""


InboxEvent = Heard | HearingFailed | MarkEcho | KeyPress | ReplyDone | TimerDue
