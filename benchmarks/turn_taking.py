"""Turn-taking with a caller who pauses mid-sentence: plain endpointing vs the end-of-turn model.

    .venv/bin/python benchmarks/turn_taking.py [--only N] [--configs off,smart_turn]

Utterances (at least 100): half are complete sentences (caller_utterances.toml, four words or
more), half are said with a mid-sentence pause ("I need to bring in my, uh, ... Camry"): the
whole sentence is spoken by the offline voice (Piper), then 0.4-1.0 s of silence is put into
the short pause Piper makes after the filler (found near where the first half alone ends).
Each one goes live, paced at 20 ms a frame, into a fresh VoiceSession with the production
offline recogniser (OfflineSTT: silero endpointing, Whisper tiny.en), once per configuration:
`off` (the recogniser's endpoint ends the turn), `smart_turn` (calls/voice/turn.py: the model
judges every endpoint) and `smart_turn_words` (the model judges only turns whose words leave the
sentence open).

The same again as answers to the agent's question ("Which time works best for you?", the
greeting, played to its end first): 30 short answers ("The second one.", "Yeah, that works.") and
16 said with a pause ("My name is, um, ... Dana Whitfield."), where `smart_turn` leaves a short
answer closing as a statement to its words (calls/voice/turn.py, is_short_answer).

Columns:
  premature   paused utterances whose turn ended inside the pause (answered mid-sentence)
  complete    speech end -> turn end for the complete sentences, p50/p95 ms
  paused      the same for the paused ones, from the end of the second half, when not premature
  added p50   the median of (smart_turn - off) per complete sentence: what the model costs a turn
  held        complete sentences answered over 500 ms later than with `off` (heard as unfinished)
  model runs  endpoints the model judged (each about 70 ms of CPU), of all endpoints
Target: premature cut by at least half, added p50 <= 100 ms. Run it on a quiet machine.
"""

import argparse
import asyncio
import statistics
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calls.tests.spoken import speech_span, spoken  # noqa: E402
from calls.tests.voice_doubles import PhoneLine, Recorder, ScriptedBrain, ShopTools, ToneTTS  # noqa: E402
from calls.voice.audio import mulaw_decode, mulaw_silence  # noqa: E402
from calls.voice.session import VoiceConfig, VoiceSession  # noqa: E402
from calls.voice.stt.offline import OfflineSTT  # noqa: E402
from calls.voice.stt.whisper import shared_recognizer  # noqa: E402
from calls.voice.turn import load_turn_model  # noqa: E402
from calls.voice.vad import load_vad  # noqa: E402

FRAME = 160  # 20 ms of mu-law
LEAD_S = 0.3
TAIL_S = 1.6  # past the utterance-end limit (1 s) and the model's wait
PAUSED = [
    ("I need to bring in my, uh,", "Camry for an oil change."),
    ("Can you check the, um,", "the brakes on my truck?"),
    ("I'd like to book an oil change for, um,", "Tuesday morning."),
    ("My car is making a noise when I, uh,", "turn the wheel."),
    ("I was wondering if you could, uh,", "look at my tires."),
    ("The check engine light came on, and, um,", "it's blinking."),
    ("Do you have anything open on, uh,", "Thursday afternoon?"),
    ("I dropped off my, um,", "Honda Civic yesterday."),
    ("Could I move my appointment to, uh,", "next Monday?"),
    ("My name is, um,", "Maria Gonzalez."),
    ("I think it needs a new, uh,", "battery."),
    ("How much do you charge for, um,", "a wheel alignment?"),
    ("The car is a twenty eighteen, uh,", "Toyota Corolla."),
    ("I need to cancel my, um,", "appointment on Friday."),
    ("Is my car, uh,", "ready to pick up?"),
    ("I'm calling about the, um,", "estimate you sent me."),
    ("Can somebody take a look at the, uh,", "air conditioning?"),
    ("My phone number is five five five, um,", "one two three four."),
    ("It started shaking when I, uh,", "drive on the highway."),
    ("I want to get the, um,", "state inspection done."),
    ("Do you guys work on, uh,", "diesel engines?"),
    ("There's a leak under the, um,", "front of the car."),
    ("I'd like to talk to, uh,", "the service advisor."),
    ("Can I come in, um,", "around ten tomorrow?"),
    ("The brakes are, uh,", "squeaking really loud."),
    ("I got a recall notice for my, um,", "Ford Escape."),
    ("What time do you, uh,", "close on Saturday?"),
    ("I need a tire rotation and, um,", "an oil change."),
    ("Could you call me back on, uh,", "my cell phone?"),
    ("The transmission is, um,", "slipping a little."),
    ("I'm not sure if it's the, uh,", "alternator or the battery."),
    ("Do I need an appointment for, um,", "a coolant flush?"),
    ("My wife brought in the, uh,", "minivan this morning."),
    ("Can you tell me how long the, um,", "repair will take?"),
    ("I'd rather come in on, uh,", "Wednesday if that works."),
    ("The steering wheel feels, um,", "loose when I turn."),
    ("I was told to bring it back for, uh,", "a follow up."),
    ("Is there a shuttle to, um,", "take me home?"),
    ("My last name is spelled, uh,", "K E L L Y."),
    ("The heater isn't, um,", "blowing hot air."),
    ("Can you give me a quote for, uh,", "new brake pads?"),
    ("I'll be there at, um,", "about eight thirty."),
    ("It's the car with the, uh,", "cracked windshield."),
    ("Could you check whether the, um,", "part has come in?"),
    ("We need the car back by, uh,", "Friday at noon."),
    ("I think the noise is coming from the, um,", "back wheels."),
    ("Do you take, uh,", "credit cards?"),
    ("The dashboard shows a, um,", "low tire pressure warning."),
    ("I need it done before, uh,", "my trip on Sunday."),
    ("Can I wait at the shop while you, um,", "change the oil?"),
    ("The VIN starts with, uh,", "one H G C M."),
    ("My mechanic said I need a, um,", "timing belt."),
]

ANSWERS = [
    "The first one.",
    "The second one.",
    "Yes please.",
    "Yeah, that works.",
    "That's all, thanks.",
    "Nope, that's it.",
    "Dana Whitfield.",
    "Tuesday.",
    "Thursday afternoon.",
    "Nine o'clock works.",
    "Perfect, thank you.",
    "I'll wait for it.",
    "I'll drop it off.",
    "The Camry.",
    "No thanks.",
    "Sure.",
    "Okay.",
    "Ten thirty.",
    "Whatever's earliest.",
    "Two PM is fine.",
    "Sounds good.",
    "Let's do that.",
    "The later one.",
    "Friday morning.",
    "It's the truck.",
    "Yes, go ahead.",
    "Maria Gonzalez.",
    "Next Monday.",
    "The eleven thirty.",
    "That's right.",
]
PAUSED_ANSWERS = [
    ("Tuesday, um,", "at nine."),
    ("My name is, uh,", "Dana Whitfield."),
    ("The, um,", "second one."),
    ("Let's do, uh,", "the earliest."),
    ("It's for the, um,", "Camry."),
    ("I'll, uh,", "drop it off."),
    ("Nine, um,", "thirty if you have it."),
    ("Yeah, the, uh,", "first one."),
    ("Friday, um,", "in the morning."),
    ("Could we do, uh,", "Thursday instead?"),
    ("It's Kelly, uh,", "K E L L Y."),
    ("The number is, um,", "three one two, five five five."),
    ("I think, uh,", "the later one."),
    ("Put me down for, um,", "ten thirty."),
    ("No, the, uh,", "truck, not the Camry."),
    ("Either, um,", "Monday or Tuesday."),
]
QUESTION = "Which time works best for you?"


def complete_sentences(count):
    texts = [
        u["text"] for u in tomllib.loads((ROOT / "benchmarks" / "caller_utterances.toml").read_text())["utterance"]
    ]
    return [text for text in texts if len(text.split()) >= 4][:count]


def quiet_gaps(pcm, threshold=150, min_ms=50):
    """(start, end) samples of the quiet spells inside the speech of `pcm` (10 ms resolution)."""
    frames = pcm[: len(pcm) // 80 * 80].astype(np.float64).reshape(-1, 80)
    quiet = np.sqrt((frames**2).mean(axis=1)) < threshold
    loud = np.nonzero(~quiet)[0]
    gaps, at = [], loud[0]
    while at <= loud[-1]:
        if quiet[at]:
            end = at
            while quiet[end]:
                end += 1
            if (end - at) * 10 >= min_ms:
                gaps.append((at * 80, end * 80))
            at = end
        else:
            at += 1
    return gaps


def paused_utterance(first, second, pause_s):
    """mu-law of the sentence with `pause_s` of silence after `first`; (audio, pause start, resume)."""
    whole = spoken(f"{first} {second}")
    first_ends = speech_span(spoken(first))[1]
    start, end = min(quiet_gaps(mulaw_decode(whole)), key=lambda gap: abs(gap[0] - first_ends))
    cut = (start + end) // 2
    audio = whole[:cut] + mulaw_silence(round(pause_s * 1000)) + whole[cut:]
    return audio, start, cut + round(pause_s * 8000)


class TimedBrain(ScriptedBrain):
    """Notes when each turn reaches the brain: the end of the caller's turn as the session decides it."""

    def __init__(self):
        super().__init__(*[["Okay."]] * 4)
        self.asked_at = []
        self.heard = []

    def respond(self, messages, tools):
        self.asked_at.append(time.monotonic())
        self.heard.append(next((m["content"] for m in reversed(messages) if m.get("role") == "user"), ""))
        return super().respond(messages, tools)


RUNS = {"asked": 0, "endpoints": 0}
SHOW_MISSES = "--show-misses" in sys.argv


async def one_turn(audio, config, resume_sample=None, asked=False):
    """Feed `audio` live to a fresh session (`asked`: after its greeting, a question, has played);
    returns (turn end times - speech end, premature)."""
    turn_model = config
    recorder = Recorder()
    line = PhoneLine()
    session = VoiceSession(
        stt=OfflineSTT(),
        tts=ToneTTS(),
        brain=(brain := TimedBrain()),
        tools=ShopTools(),
        transport=line,
        recorder=recorder,
        config=VoiceConfig(
            system_prompt="", greeting=QUESTION if asked else "", turn_model=turn_model, turn_wait_s=1.0
        ),
    )
    line.attach(session)
    runner = asyncio.create_task(session.run())
    if asked:  # the caller answers once the question has played to its end
        deadline = time.monotonic() + 10
        while not any(t["role"] == "assistant" for t in recorder.turns) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    audio = mulaw_silence(round(LEAD_S * 1000)) + audio
    lead = round(LEAD_S * 8000)
    speech_end = lead + speech_span(audio[lead:])[1]
    marks = {"speech_end": speech_end, "resume": None if resume_sample is None else lead + resume_sample}
    fed_at = {}
    started = time.monotonic()
    await asyncio.sleep(0.05)
    total = audio + mulaw_silence(round(TAIL_S * 1000))
    for offset in range(0, len(total), FRAME):
        due = started + offset / 8000
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        session.feed_audio(total[offset : offset + FRAME])
        if brain.asked_at and offset >= speech_end:
            break  # the turn is over (for a paused one: it ended in the pause, or after it)
        for name, sample in marks.items():
            if sample is not None and name not in fed_at and offset + FRAME >= sample:
                fed_at[name] = time.monotonic()
    await session.stop("benchmark")
    await asyncio.wait({runner})
    RUNS["asked"] += session._end_of_turn.asked
    RUNS["endpoints"] += session._end_of_turn.asked + session._end_of_turn.by_words
    await line.close()
    ends = brain.asked_at
    premature = resume_sample is not None and bool(ends) and ends[0] < fed_at["resume"]
    latency = (ends[-1] - fed_at["speech_end"]) * 1000 if ends and not premature else None
    if premature and SHOW_MISSES:
        print(f"    answered inside the pause: {brain.heard[0]!r}", flush=True)
    return latency, premature, len(ends)


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


async def measure(config, complete, paused, asked):
    RUNS.update(asked=0, endpoints=0)
    lat_complete, lat_paused, premature, missing = [], [], 0, 0
    for text in complete:
        latency, _, turns = await one_turn(spoken(text), config, asked=asked)
        missing += turns == 0
        lat_complete.append(latency)
    for first, second, pause_s in paused:
        audio, _, resume = paused_utterance(first, second, pause_s)
        latency, early, _ = await one_turn(audio, config, resume_sample=resume, asked=asked)
        premature += early
        if latency is not None:
            lat_paused.append(latency)
    return lat_complete, lat_paused, premature, missing, dict(RUNS), len(paused)


def table(title, results):
    print(f"\n{title}")
    print(
        f"{'config':<17} {'premature':>13} {'complete p50':>13} {'p95':>6} {'paused p50':>11} {'p95':>6} "
        f"{'added p50':>10} {'p95':>6} {'held':>5} {'model runs':>11}"
    )
    base = results.get("off")
    for config, (lat_complete, lat_paused, premature, missing, runs, paused) in results.items():
        done = [x for x in lat_complete if x is not None]
        added = []
        if base is not None:
            added = [a - b for a, b in zip(lat_complete, base[0]) if a is not None and b is not None]
        print(
            f"{config:<17} {premature:>4}/{paused:<3} {100 * premature / max(1, paused):>3.0f}% "
            f"{pct(done, 50):>13.0f} {pct(done, 95):>6.0f} {pct(lat_paused, 50):>11.0f} {pct(lat_paused, 95):>6.0f} "
            f"{pct(added, 50):>10.0f} {pct(added, 95):>6.0f} {sum(a > 500 for a in added):>5} "
            f"{runs['asked']:>5}/{runs['endpoints']:<5}" + (f"  ({missing} unanswered)" if missing else "")
        )
    if "smart_turn" in results and base is not None:
        pairs = [(a, b) for a, b in zip(results["smart_turn"][0], base[0]) if a is not None and b is not None]
        print(
            f"median turn: off {statistics.median(b for _, b in pairs):.0f} ms, "
            f"smart_turn {statistics.median(a for a, _ in pairs):.0f} ms"
        )


async def main(only, configs, kinds):
    shared_recognizer()
    load_vad()
    load_turn_model("smart_turn")
    rng = np.random.default_rng(7)
    sets = {
        "statements": (
            complete_sentences(len(PAUSED))[:only],
            [(first, second, float(rng.uniform(0.4, 1.0))) for first, second in PAUSED][:only],
            False,
        ),
        "answers": (
            ANSWERS[:only],
            [(first, second, float(rng.uniform(0.4, 1.0))) for first, second in PAUSED_ANSWERS][:only],
            True,
        ),
    }
    for kind in kinds:
        complete, paused, asked = sets[kind]
        print(
            f"{kind}: {len(complete)} complete, {len(paused)} with a mid-sentence pause (0.4-1.0 s)"
            + (f", after {QUESTION!r}" if asked else ""),
            flush=True,
        )
        results = {}
        for config in configs:
            results[config] = await measure(config, complete, paused, asked)
            print(f"  {config}: done", flush=True)
        table(kind, results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=int, default=None, help="the first N of each kind")
    parser.add_argument("--configs", default="off,smart_turn,smart_turn_words")
    parser.add_argument("--kinds", default="statements,answers", help="statements, answers (to a question)")
    parser.add_argument("--show-misses", action="store_true", help="print what was answered inside a pause")
    args = parser.parse_args()
    asyncio.run(main(args.only, args.configs.split(","), args.kinds.split(",")))
