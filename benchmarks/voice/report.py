"""From what the callers heard and what the fakes timed to the benchmark's figures and tables.

Per reply to a caller turn (all in monotonic seconds, one clock across processes):
  v2v   = first agent frame at the caller - the caller's last speech frame
  fakes = STT (the caller's 15th frame of silence went out - last speech frame: 300 ms of
          endpointing on the audio clock, or the 50th for a turn ended by UtteranceEnd; plus
          how late the fake sent the message that ended the turn) + LLM (request received -> the token that completes the
          first spoken piece was written; for a tool turn also the whole tool-call round)
          + TTS (request received -> first audio byte written)
  own   = v2v - fakes, the pipeline's share; split into where it was spent:
          in     the endpointing frame's trip caller -> server -> fake STT (until it decides)
          llm    fake STT's end of turn sent -> the chat request reaches the fake LLM
          tool   tool-call round written -> the next chat request (the tool and the database)
          tts    the first piece is complete -> its TTS request reaches the fake
          out    TTS first byte -> that audio's first frame reaches the caller
Refused calls (the server had no room: admission control) are counted with their hand-off (advisor
or voicemail); every other figure is of the admitted calls.
Per barge-in: clear = `clear` at the caller - the caller's first frame over the agent, split into
          vad_in        that frame's trip to the fake STT (until it sends SpeechStarted)
          vad_to_clear  SpeechStarted sent -> `clear` reaches the caller
"The token that completes the first piece": the sentence splitter cuts a piece only when the
token after its last word shows it ended ("3." may become "3.5"), so that next token counts
as the LLM's time. `own strict` instead charges the wait for it to the pipeline.
"""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from benchmarks.voice import script


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def ms(seconds):
    return seconds * 1000.0


@dataclass
class Level:
    calls: int
    rounds: list = field(default_factory=list)  # Round
    turns: list = field(default_factory=list)  # dicts, one per measured reply to a caller turn
    barge_ins: list = field(default_factory=list)
    gaps: list = field(default_factory=list)  # the longest gap of each reply, seconds
    problems: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # the hand-off of each refused call: "advisor", "voicemail", "none"


@dataclass
class Round:
    calls: list  # SimulatedCall
    server_cpu_s: float
    server_rss_mb: float  # highest while every call of the round was up
    server_rss_before_mb: float
    other_cpu_s: dict  # process name -> CPU seconds during the round
    wall_s: float
    timings: dict  # merged /_bench/timings of both fakes
    streams_per_process: list = field(default_factory=list)  # media streams each server process took (--processes)

    @property
    def call_minutes(self):
        return sum((c.closed_at - c.connected_at) / 60 for c in self.calls if c.connected_at and c.closed_at)


def analyse(level):
    for round in level.rounds:
        _analyse_round(level, round)
    return level


def _analyse_round(level, round):
    timings = round.timings
    chats = defaultdict(list)
    for entry in timings.get("chat", []):
        if entry.get("call") is not None:
            chats[(entry["call"], entry["turn"])].append(entry)
    speak = {}
    for entry in sorted(timings.get("speak", []), key=lambda e: e["received"]):
        tag = script.tag_of(entry.get("text"))
        if tag is not None and tag not in speak:
            speak[tag] = entry
    utterances = {}  # (call, turn) -> what the fake STT sent for the caller's line of that turn
    for timeline in timings.get("listen", []):
        for utterance in _utterances(timeline):
            tag = script.tag_of(" ".join(e["text"] for e in utterance["finals"]))
            if tag is not None:
                utterances.setdefault(tag, utterance)

    for call in round.calls:
        if call.refused is not None:
            level.refused.append(call.refused)
            if call.refused == "none":
                level.problems.append(f"call {call.number}: refused without a hand-off to a person")
        for error in call.errors:
            level.problems.append(f"call {call.number}: {error}")
        if call.stray_frames:
            level.problems.append(f"call {call.number}: {call.stray_frames} agent frames after a clear")
        for reply in call.replies:
            if reply.frames:
                level.gaps.append(reply.max_gap)
            if reply.turn == 0 or reply.first_audio is None or reply.heard is None or reply.heard.endpoint_sent is None:
                continue
            key = (call.number, reply.turn)
            turn = _turn_figures(reply, chats.get(key, []), speak.get(key), utterances.get(key))
            if isinstance(turn, str):
                level.problems.append(f"call {call.number} turn {reply.turn}: {turn}")
                continue
            turn["tool_turn"] = script.TURNS[reply.turn - 1].tool
            level.turns.append(turn)
        for barge in call.barge_ins:
            if barge.cleared_at is None:
                level.problems.append(f"call {call.number} turn {barge.turn}: no clear after the caller cut in")
                continue
            heard = utterances.get((call.number, barge.turn + 1))
            vad, words = (heard["started"], heard["first_words"]) if heard else (None, None)
            level.barge_ins.append(
                {
                    "clear": barge.cleared_at - barge.onset,
                    "after_words": barge.cleared_at - words["at"] if words else float("nan"),
                    "vad_in": vad["at"] - barge.onset if vad else float("nan"),
                    "vad_to_clear": barge.cleared_at - vad["at"] if vad else float("nan"),
                }
            )


def _utterances(timeline):
    """A stream's messages, one dict per utterance: its SpeechStarted, first interim with words,
    finals, and the message that ended it (the final with speech_final, else UtteranceEnd)."""
    current = None
    for event in timeline:
        if event["kind"] == "SpeechStarted":
            if current is None or current["finals"]:
                current = {"started": event, "first_words": None, "finals": [], "ended": None}
            continue
        if current is None:
            continue
        if event["kind"] == "interim" and event["text"] and current["first_words"] is None:
            current["first_words"] = event
        elif event["kind"] == "final":
            if event["text"]:
                current["finals"].append(event)
                current["first_words"] = current["first_words"] or event
            if event.get("speech_final"):
                current["ended"] = event
        elif event["kind"] == "UtteranceEnd" and current["ended"] is None:
            current["ended"] = event
        if current["ended"] is not None:
            if current["finals"]:
                yield current
            current = None


def _turn_figures(reply, chats, speak, utterance):
    if not chats or speak is None or speak.get("first_byte") is None:
        return "the fakes have no record of its LLM or TTS request"
    chats = sorted(chats, key=lambda e: e["received"])
    text_round = chats[-1]
    piece = speak["text"]
    strict = lookahead = None
    spoken = ""
    tokens = text_round["tokens"]
    for index, (at, token) in enumerate(tokens):
        spoken += token
        if len(spoken.lstrip()) >= len(piece):
            strict = at
            lookahead = tokens[index + 1][0] if index + 1 < len(tokens) else (text_round["finished"] or at)
            break
    if strict is None or not _same_words(spoken, piece):
        return f"first spoken piece {piece!r} is not how its reply began ({spoken[:80]!r})"
    if reply.first_audio < speak["first_byte"]:
        return "the first audio came before the reply's TTS (a filler?)"
    tool_rounds = [c for c in chats[:-1] if c.get("finished") is not None]
    tool_llm = sum(c["finished"] - c["received"] for c in tool_rounds)
    tool_own = sum(
        later["received"] - earlier["finished"]
        for earlier, later in zip(chats, chats[1:])
        if earlier.get("finished") is not None
    )
    if utterance is None:
        return "the fake STT has no record of the caller's line"
    # The STT's own time: its wait on the audio clock (endpointing, or utterance_end_ms after the
    # last word when no speech_final comes) plus how late it sent the message that ended the turn.
    # The trip of that audio frame from the caller through the server to the fake is the pipeline's.
    ended = utterance["ended"]
    trigger = reply.heard.endpoint_sent if ended["kind"] == "final" else reply.heard.utterance_end_sent
    if trigger is None:
        return "the turn ended before the caller's silence could have ended it"
    stt = (trigger - reply.speech_end) + (ended["at"] - ended["fed"])
    hop_in = ended["fed"] - trigger
    llm = lookahead - text_round["received"]
    tts = speak["first_byte"] - speak["received"]
    v2v = reply.first_audio - reply.speech_end
    own = v2v - stt - tool_llm - llm - tts
    return {
        "v2v": v2v,
        "own": own,
        "own_strict": own + (lookahead - strict),
        "stt": stt,
        "llm": llm + tool_llm,
        "tts": tts,
        "in": hop_in,
        "to_llm": chats[0]["received"] - ended["at"],
        "tool": tool_own,
        "to_tts": speak["received"] - lookahead,
        "out": reply.first_audio - speak["first_byte"],
    }


def _same_words(streamed, piece):
    return " ".join(streamed.split()).startswith(" ".join(piece.split())[: max(0, len(piece) - 1)])


# --- tables ------------------------------------------------------------------------------------


def _f(value, digits=0):
    if value is None or value != value:
        return "-"
    return f"{value:.{digits}f}"


def level_row(level):
    turns, barges = level.turns, level.barge_ins
    v2v = [ms(t["v2v"]) for t in turns]
    own = [ms(t["own"]) for t in turns]
    strict = [ms(t["own_strict"]) for t in turns]
    clear = [ms(b["clear"]) for b in barges]
    gaps = [ms(g) for g in level.gaps]
    cpu = sum(r.server_cpu_s for r in level.rounds)
    minutes = sum(r.call_minutes for r in level.rounds)
    return {
        "calls": level.calls,
        "rounds": len(level.rounds),
        "turns": len(turns),
        "v2v_p50": pct(v2v, 50),
        "v2v_p95": pct(v2v, 95),
        "own_p50": pct(own, 50),
        "own_p95": pct(own, 95),
        "own_strict_p95": pct(strict, 95),
        "clear_p50": pct(clear, 50),
        "clear_p95": pct(clear, 95),
        "barge_ins": len(clear),
        "gap_max": max(gaps) if gaps else float("nan"),
        "gap_p95": pct(gaps, 95),
        "gaps_over_100": sum(g > 100 for g in gaps),
        "replies": len(gaps),
        "cpu_per_min": cpu / minutes if minutes else float("nan"),
        "call_minutes": minutes,
        "rss_mb": max(r.server_rss_mb for r in level.rounds),
        "placed": sum(len(r.calls) for r in level.rounds),
        "refused": len(level.refused),
        "hand_offs": dict(Counter(level.refused)),
    }


TURN_PARTS = ("stt", "llm", "tts", "in", "to_llm", "tool", "to_tts", "out")
BARGE_PARTS = ("vad_in", "vad_to_clear")


def breakdown_row(level):
    row = {"calls": level.calls}
    for part in TURN_PARTS:
        values = [ms(t[part]) for t in level.turns if t[part] == t[part] and (part != "tool" or t["tool_turn"])]
        row[part] = (pct(values, 50), pct(values, 95))
    for part in BARGE_PARTS:
        values = [ms(b[part]) for b in level.barge_ins if b[part] == b[part]]
        row[part] = (pct(values, 50), pct(values, 95))
    return row


def render(levels):
    rows = [level_row(level) for level in levels]
    base = rows[0] if rows else None
    for row in rows:
        extra = row["calls"] - base["calls"] if base else 0
        row["mb_per_call"] = (row["rss_mb"] - base["rss_mb"]) / extra if extra > 0 else float("nan")
    lines = []
    header = (
        "calls",
        "turns",
        "v2v p50",
        "v2v p95",
        "own p50",
        "own p95",
        "own p95*",
        "clear p50",
        "clear p95",
        "gap max",
        "gap p95",
        ">100ms",
        "CPU s/call-min",
        "RSS MB",
        "MB/extra call",
    )
    lines.append(
        _table(
            header,
            [
                (
                    r["calls"],
                    r["turns"],
                    _f(r["v2v_p50"]),
                    _f(r["v2v_p95"]),
                    _f(r["own_p50"], 1),
                    _f(r["own_p95"], 1),
                    _f(r["own_strict_p95"], 1),
                    _f(r["clear_p50"], 1),
                    _f(r["clear_p95"], 1),
                    _f(r["gap_max"], 1),
                    _f(r["gap_p95"], 1),
                    f"{r['gaps_over_100']}/{r['replies']}",
                    _f(r["cpu_per_min"], 2),
                    _f(r["rss_mb"], 1),
                    _f(r["mb_per_call"], 2),
                )
                for r in rows
            ],
        )
    )
    lines.append("")
    lines.append(
        "Where the time goes (ms, p50/p95): the fakes' own (stt llm tts), the pipeline's hops of a turn "
        "(in to_llm tool to_tts out), and of a barge-in (vad_in vad_to_clear)"
    )
    parts = TURN_PARTS + BARGE_PARTS
    lines.append(
        _table(
            ("calls", *parts),
            [(b["calls"], *(f"{_f(b[p][0], 1)}/{_f(b[p][1], 1)}" for p in parts)) for b in map(breakdown_row, levels)],
        )
    )
    if any(r["refused"] for r in rows):
        lines.append("")
        lines.append("Refused calls (no room: CALLS_PER_PROCESS); the figures above are of the admitted calls")
        lines.append(
            _table(
                ("calls", "placed", "admitted", "refused", "to an advisor", "to the voicemail", "no hand-off"),
                [
                    (
                        r["calls"],
                        r["placed"],
                        r["placed"] - r["refused"],
                        r["refused"],
                        r["hand_offs"].get("advisor", 0),
                        r["hand_offs"].get("voicemail", 0),
                        r["hand_offs"].get("none", 0),
                    )
                    for r in rows
                ],
            )
        )
    lines.append("")
    lines.append(_table(("target (issue 3)", "measured", "result"), list(_verdicts(rows))))
    return "\n".join(lines), rows


def _verdicts(rows):
    def verdict(ok):
        return "-" if ok is None else ("PASS" if ok else "FAIL")

    def check(value, limit):
        return None if value != value else value <= limit

    smallest, largest = rows[0], rows[-1]
    yield (
        f"own share p95 <= 30 ms at {smallest['calls']} call",
        f"{_f(smallest['own_p95'], 1)} ms",
        verdict(check(smallest["own_p95"], 30)),
    )
    yield (
        f"own share p95 <= 60 ms at {largest['calls']} calls",
        f"{_f(largest['own_p95'], 1)} ms",
        verdict(check(largest["own_p95"], 60)),
    )
    for r in rows:
        admitted = f", {r['placed'] - r['refused']} of {r['placed']} admitted" if r["refused"] else ""
        yield (
            f"barge-in -> clear p95 <= 100 ms ({r['calls']} calls{admitted})",
            f"{_f(r['clear_p95'], 1)} ms",
            verdict(check(r["clear_p95"], 100)),
        )
    for r in rows:
        if r["refused"]:
            handed = r["refused"] - r["hand_offs"].get("none", 0)
            yield (
                f"every refused caller got the hand-off ({r['calls']} calls)",
                f"{handed} of {r['refused']} ({', '.join(f'{k} {v}' for k, v in sorted(r['hand_offs'].items()))})",
                verdict(handed == r["refused"]),
            )
    for r in rows:
        yield (
            f"no gap > 100 ms inside a reply ({r['calls']} calls)",
            f"max {_f(r['gap_max'], 1)} ms, {r['gaps_over_100']} of {r['replies']} replies",
            verdict(r["gaps_over_100"] == 0 if r["replies"] else None),
        )
    for r in rows:
        yield (
            f"<= 1 CPU s per call-minute ({r['calls']} calls)",
            f"{_f(r['cpu_per_min'], 3)} s",
            verdict(check(r["cpu_per_min"], 1.0)),
        )
    for r in rows[1:]:
        yield (
            f"<= 5 MB per additional call ({r['calls']} vs {smallest['calls']})",
            f"{_f(r['mb_per_call'], 2)} MB",
            verdict(check(r["mb_per_call"], 5.0)),
        )


def _table(header, rows):
    cells = [list(map(str, header))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    out = [" | ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def dump(levels):
    """Everything measured, as JSON-ready data (for --dump)."""
    return [
        {
            "calls": level.calls,
            "turns": level.turns,
            "barge_ins": level.barge_ins,
            "gaps": level.gaps,
            "problems": level.problems,
            "refused": level.refused,
            "rounds": [
                {
                    "server_cpu_s": r.server_cpu_s,
                    "server_rss_mb": r.server_rss_mb,
                    "wall_s": r.wall_s,
                    "server_rss_before_mb": r.server_rss_before_mb,
                    "other_cpu_s": r.other_cpu_s,
                    "timings": r.timings,
                    "streams_per_process": r.streams_per_process,
                    "calls": [
                        {
                            "number": c.number,
                            "connected_at": c.connected_at,
                            "closed_at": c.closed_at,
                            "errors": c.errors,
                            "refused": c.refused,
                            "replies": [asdict(x) for x in c.replies],
                            "barge_ins": [asdict(x) for x in c.barge_ins],
                            "marks": c.marks,
                        }
                        for c in r.calls
                    ],
                }
                for r in level.rounds
            ],
        }
        for level in levels
    ]
