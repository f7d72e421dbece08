"""What every simulated call says and hears: the caller's lines and the scripted model's replies.

Shared by the caller (benchmarks/voice/caller.py) and the OpenAI fake's process
(benchmarks/voice/vendors.py). Every caller line and every reply carries "caller C turn K",
so each process can tell which call and turn a transcript, a chat request or a TTS request
belongs to without sharing any state.
"""

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

# The vendors' timing, as awkward as the real ones (issue 14): Deepgram's interims about a second
# apart with jitter, finals split every 2-3 s of speech, up to 200 ms late, 15 % of utterances ended
# only by UtteranceEnd (the fake's defaults); the first LLM token and the first TTS byte jittered.
# The fakes measure each of these per request, and the report takes them out of the server's share.
STT_ENDPOINTING_MS = 300
STT_UTTERANCE_END_MS = 1000  # what the server asks Deepgram for (calls/voice/stt/deepgram.py)
STT_INTERIM_INTERVAL_S = 1.0
LLM_FIRST_TOKEN_S = (0.2, 0.7)
LLM_TOKENS_PER_S = 50.0
TTS_FIRST_BYTE_S = (0.09, 0.25)
TTS_S_PER_CHAR = 0.07  # ~14 characters of speech a second

CALLER_LINE_S = 2.0  # every caller line lasts this long (fakes.deepgram.spoken audio)
TAG = re.compile(r"caller (\d+) turn (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    line: str  # what the caller says; {c} is the call number
    reply: str  # what the model answers; {c}, {k}, and {slots} after the tool
    tool: bool = False  # the model first calls get_available_slots
    barge_in: bool = False  # the caller talks over this reply once its first piece was heard


TURNS = (
    Turn(
        "Hi, this is caller {c} turn 1. I need an oil change next week.",
        "Okay caller {c} turn 1, an oil change takes about thirty minutes. It costs between forty nine "
        "and ninety nine dollars. Which day works for you?",
    ),
    Turn(
        "Caller {c} turn 2 here. What do you have on {day}?",
        "Okay caller {c} turn 2, I have {slots} open. Which one would you like?",
        tool=True,
    ),
    Turn(
        "Caller {c} turn 3. What should I know before I come in?",
        "Okay caller {c} turn 3, please bring your keys and tell us about any warning lights. We open at "
        "seven thirty on weekdays. Parking is behind the shop. If you wait, there is coffee in the lobby.",
        barge_in=True,
    ),
    Turn(
        "Wait, caller {c} turn 4, sorry. How long does it take?",
        "Okay caller {c} turn 4, it takes about thirty minutes. You are welcome to wait in the lobby.",
    ),
    Turn(
        "Caller {c} turn 5. Great, thanks, that is all.",
        "Okay caller {c} turn 5, thanks for calling Otto's. Have a great day!",
    ),
)


def slot_day(today=None):
    """A weekday a few days ahead: the shop is open and inside its booking horizon."""
    day = (today or date.today()) + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def caller_line(call, turn):
    return TURNS[turn - 1].line.format(c=call, day=slot_day().strftime("%A"))


def tag_of(text):
    """(call, turn) of the last "caller C turn K" in `text`, or None."""
    found = TAG.findall(text or "")
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def model_reply(messages):
    """What the scripted model does for a chat request: ("tool", arguments) or ("text", words).

    The turn is read from the caller's latest words; a request that follows the tool result
    answers with the slots the tool found.
    """
    last_user = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
    tag = tag_of(last_user)
    if tag is None or not 1 <= tag[1] <= len(TURNS):
        return "text", "Sorry, could you say that again?"
    call, number = tag
    turn = TURNS[number - 1]
    after_tool = messages and messages[-1].get("role") == "tool"
    if turn.tool and not after_tool:
        return "tool", {"service": "Oil change", "date": slot_day().isoformat()}
    slots = "nine in the morning"
    if after_tool:
        try:
            offered = json.loads(messages[-1].get("content") or "{}").get("slots") or []
        except ValueError:
            offered = []
        if offered:
            slots = " or ".join(slot["say"] for slot in offered[:2])
    return "text", turn.reply.format(c=call, k=number, slots=slots)
