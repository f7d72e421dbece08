"""What a voice session talks to besides the speech engines, and how it is tuned.

The Twilio consumer (calls/telephony) implements CallTransport, the agent's CallTools
(calls/agent/tools) the ToolBox and the transcript log (calls/transcript_log.py) the
CallRecorder; plain-asyncio tests implement all three in-process.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class CallTransport(Protocol):
    async def send_audio(self, mulaw: bytes) -> None:
        """One 20 ms frame (160 bytes) at a time."""

    async def send_mark(self, name: str) -> None: ...

    async def send_clear(self) -> None: ...

    async def hang_up(self) -> None:
        """Close the media stream: the call ends."""


@dataclass(frozen=True)
class ToolSpec:
    """All the voice loop knows of a tool; what it does is the tool box's business.

    `schema` is the function schema the language model sees. `filler` is said if the tool is
    slow to answer (None: the general "One moment, please."). A successful call of a tool that
    `ends_call` hangs up once the reply has been heard; one that `hands_over` leaves the caller
    with a person. When the session hands the caller over on its own (they pressed 0), it calls
    the `hands_over` tool with {"reason": "..."}.
    """

    name: str
    schema: dict
    filler: str | None = None
    ends_call: bool = False
    hands_over: bool = False


@dataclass(frozen=True)
class ToolOutcome:
    content: str  # JSON text for the model
    ok: bool
    ends_call: bool = False  # the call should end after this reply
    hands_over: bool = False  # the caller is being put through to a person


class ToolBox(Protocol):
    def specs(self) -> Sequence[ToolSpec]:
        """The tools, in the order the model sees them."""

    async def call(self, name: str, arguments: str) -> ToolOutcome:
        """Run one tool; never raises."""


class CallRecorder(Protocol):
    """Every method queues its write and returns at once; none raises or stalls audio."""

    def turn(
        self, *, role: str, text: str, heard_text: str, interrupted: bool, started_at: float, ended_at: float
    ) -> None: ...

    def tool(self, *, name: str, arguments: str, result: str, ok: bool, duration_ms: float) -> None: ...

    def latency(
        self,
        *,
        speech_end: float,
        stt_final: float,
        llm_first_token: float | None,
        tts_first_byte: float | None,
        first_audio_sent: float | None,
    ) -> None: ...

    def event(self, kind: str, **data) -> None: ...


class SafeRecorder:
    """Wraps a CallRecorder: recording must never take the call down, even if it breaks its promise."""

    def __init__(self, recorder):
        self._recorder = recorder

    def turn(self, **fields):
        self._safely(self._recorder.turn, **fields)

    def tool(self, **fields):
        self._safely(self._recorder.tool, **fields)

    def latency(self, **fields):
        self._safely(self._recorder.latency, **fields)

    def event(self, kind, **data):
        self._safely(self._recorder.event, kind, **data)

    @staticmethod
    def _safely(method, *args, **kwargs):
        try:
            method(*args, **kwargs)
        except Exception:
            log.exception("recording failed")


BACKCHANNELS = frozenset(
    {
        "uh-huh", "uh huh", "mm-hmm", "mm hmm", "mhm", "mm", "hmm", "hm", "uh", "um", "ah", "oh",
        "okay", "ok", "yeah", "yep", "right", "sure", "alright", "all right", "got it", "i see",
    }
)  # fmt: skip

BARGE_IN_MODES = ("pause_resume", "words")
TURN_MODELS = ("smart_turn", "smart_turn_words", "off")


@dataclass
class VoiceConfig:
    system_prompt: str
    greeting: str
    recording_disclosure: str = ""
    silence_reprompt_s: float = 8.0
    max_reprompts: int = 2
    max_call_s: float = 900.0
    tool_timeout_s: float = 8.0
    max_tool_depth: int = 5
    filler_after_s: float = 0.7
    history_token_budget: int = 3000
    backchannels: frozenset = BACKCHANNELS
    # Below: not in the first contract; all have defaults.
    greeting_interruptible: bool = False  # the recording disclosure should be heard whole
    # "pause_resume": the agent's audio stops at the caller's first sound (SpeechStarted) and comes
    # back from the first unheard sentence if no real words follow within barge_in_resume_after_s
    # (a backchannel or a noise; up to a second more while the engine has not ended the utterance,
    # its words being on their way); "words": the agent is cut off only once real words arrive.
    barge_in_mode: str = "pause_resume"
    barge_in_resume_after_s: float = 0.7
    # For engines without interim results: clear on SpeechStarted alone after this long without words.
    barge_in_vad_only_s: float | None = None
    slow_brain_filler_s: float = 2.0  # nothing from the brain this long: say "One moment."
    brain_stall_s: float = 6.0  # nothing from the brain this long: apologise
    playout_high_s: float = 0.24  # most audio queued at Twilio
    playout_low_s: float = 0.12
    mark_grace_s: float = 2.0  # a mark this late is taken as played (echo lost)
    transfer_wait_s: float = 30.0  # after a transfer, how long to wait for Twilio's stop
    audio_backlog_frames: int = 500  # caller audio held while STT is slow (10 s)
    # Once the caller has been quiet this long (past endpointing and utterance end), their audio goes
    # to STT quiet_chunk_s at a time instead of every 20 ms; any sound is sent at once. None: never.
    quiet_after_s: float | None = 1.5
    quiet_chunk_s: float = 0.1
    # At the recogniser's endpoint, an end-of-turn model (calls/voice/turn.py) may hear an unfinished
    # sentence: the turn then waits for more words, ending at UtteranceEnd or turn_wait_s after the
    # speech stopped. "off": the endpoint ends the turn.
    turn_model: str = "off"
    turn_wait_s: float = 1.0
    filler: str = "One moment, please."
    reprompt: str = "Are you still there?"
    silence_goodbye: str = "I haven't heard from you, so I'll hang up now. Please call back any time. Goodbye!"
    max_call_goodbye: str = (
        "I'm sorry, we've reached the time limit for this call. Please call back if you need anything else. Goodbye!"
    )
    brain_apology: str = (
        "I'm sorry, I'm having trouble on my end right now. "
        "Would you like me to take a message so someone from the shop can call you back?"
    )
    tool_depth_apology: str = (
        "I'm sorry, I'm having trouble getting that done. "
        "Would you like me to take a message so someone from the shop can call you back?"
    )
    hearing_goodbye: str = "I'm sorry, I'm having trouble hearing you. Please call the shop back in a moment. Goodbye!"
    empty_reply: str = "Sorry, could you say that again?"
    goodbye: str = "Thanks for calling. Goodbye!"
    # Keys that hand the caller to an advisor when pressed first (see keypad.py); digits keyed
    # otherwise end with #, or after this long without a key.
    advisor_keys: frozenset = frozenset("0")
    keyed_timeout_s: float = 5.0
    transfer_line: str = "Let me transfer you to an advisor."
    transfer_failed: str = (
        "I'm sorry, I couldn't reach an advisor just now. I can take a message and have someone call you back."
    )

    def __post_init__(self):
        if self.barge_in_mode not in BARGE_IN_MODES:
            raise ValueError(f"barge_in_mode must be one of {', '.join(BARGE_IN_MODES)}, not {self.barge_in_mode!r}")
        if self.turn_model not in TURN_MODELS:
            raise ValueError(f"turn_model must be one of {', '.join(TURN_MODELS)}, not {self.turn_model!r}")
        if self.barge_in_resume_after_s <= 0:
            raise ValueError("barge_in_resume_after_s must be more than 0")
