"""One call's conversation as people read it: turns and tool calls in time order, what the
caller heard versus what the agent meant to say, and the per-turn latency chart."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Turn
from .charts import Chart, Series

STAGES = [
    ("stt_final_ms", "Speech end → final transcript"),
    ("llm_first_token_ms", "→ first LLM token"),
    ("tts_first_byte_ms", "→ first TTS byte"),
    ("first_audio_ms", "→ first audio sent"),
]


@dataclass(frozen=True)
class Said:
    """What the caller heard of an agent turn, and the part they never heard."""

    heard: str
    planned: str
    kept: str  # the start of `planned` the caller heard ("" when the two differ)
    unheard: str


def split_heard(turn):
    if not turn.interrupted or turn.role != Turn.Role.AGENT:
        return None
    heard = turn.heard_text.strip()
    planned = turn.text.strip()
    kept = heard if heard and planned.startswith(heard) else ""
    return Said(heard=heard, planned=planned, kept=kept, unheard=planned[len(kept) :].strip())


def pretty_json(text):
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


@dataclass
class Entry:
    kind: str  # "turn" or "tool"
    at: datetime
    offset: timedelta
    item: object
    said: Said | None = None
    arguments: str = ""
    result: str = ""

    @property
    def offset_label(self):
        return offset_label(self.offset)


def conversation(call, turns, tools):
    """Turns and tool calls merged by time, each with its offset from the start of the call."""
    entries = [Entry("turn", t.started_at, t.started_at - call.started_at, t, said=split_heard(t)) for t in turns]
    entries += [
        Entry("tool", t.at, t.at - call.started_at, t, arguments=pretty_json(t.arguments), result=pretty_json(t.result))
        for t in tools
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind != "turn"))


def offset_label(offset):
    seconds = max(0, int(offset.total_seconds()))
    return f"+{seconds // 60}:{seconds % 60:02d}"


def latency_chart(latencies):
    labels = [f"Turn {lat.turn_index}" for lat in latencies]
    bars = [Series(label, [getattr(lat, field) for lat in latencies]) for field, label in STAGES]
    line = Series("Voice-to-voice", [lat.voice_to_voice_ms for lat in latencies], "#000000")
    return Chart.draw("Latency per reply (ms)", labels, bars=bars, lines=[line], unit="ms")
