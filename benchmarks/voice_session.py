"""Voice session benchmark: the session's own cost per turn, in process, at 1, 10 and 50 calls.

Usage:
    .venv/bin/python benchmarks/voice_session.py [--calls 1,10,50] [--turns 4]

No network, no Django: each simulated call runs a VoiceSession against in-process engines with
the fixed latencies of the end-to-end benchmark (LLM first token 350 ms then 50 tokens/s, TTS
first byte 150 ms, speech at about 15 characters a second) and a phone line that plays audio
in real time and echoes marks as Twilio does. Caller audio flows in 20 ms frames all along.
Each call: greeting, then turns of a question and a three-sentence answer; every other answer
is interrupted by the caller after its first sentence.

Columns (milliseconds unless stated):
  own p50/p95   end of the caller's turn -> first agent frame sent, minus the engines' own time
                (LLM until its first sentence is complete, TTS first byte)
  v2v p50/p95   end of the caller's turn -> first agent frame sent (what the engines add included)
  clear p95     the caller's SpeechStarted (voice onset) -> `clear` sent; the first interim words
                arrive FIRST_INTERIM_S after the onset, as with Deepgram
  max gap       longest silence inside a reply that was not interrupted (Twilio ran dry)
  CPU s/min     process CPU seconds per call-minute
  MB/call       memory per additional call (RSS growth / calls)
Targets (issue 3): own p95 <= 30 ms at 1 call, <= 60 ms at 50; clear p95 <= 100 ms; no gap
> 100 ms inside a reply; <= 1 CPU s per call-minute; <= 5 MB per additional call.
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calls.tests.voice_doubles import PhoneLine, Recorder, ScriptedSTT, ShopTools  # noqa: E402
from calls.voice.llm.base import Brain, Done, TextDelta  # noqa: E402
from calls.voice.session import VoiceConfig, VoiceSession  # noqa: E402
from calls.voice.tts.base import TextToSpeech  # noqa: E402

ANSWER = (
    "We have an opening on Tuesday at nine in the morning. "
    "The oil change takes about forty five minutes. "
    "Would you like me to book that for you?"
)
LLM_FIRST_TOKEN_S = 0.35
LLM_TOKEN_S = 0.02
TTS_FIRST_BYTE_S = 0.15
SPEECH_MS_PER_CHAR = 66
FIRST_INTERIM_S = 0.25  # Deepgram's first interim words come about this long after speech onset


class TimedBrain(Brain):
    def __init__(self):
        self.called_at = []
        self.yields = []  # (time, text) of every token

    async def respond(self, messages, tools):
        self.called_at.append(time.monotonic())
        await asyncio.sleep(LLM_FIRST_TOKEN_S)
        words = ANSWER.split(" ")
        for index, word in enumerate(words):
            if index:
                await asyncio.sleep(LLM_TOKEN_S)
            self.yields.append(time.monotonic())
            yield TextDelta(word if index == 0 else " " + word)
        yield Done("stop")


class TimedTTS(TextToSpeech):
    def __init__(self):
        self.requests = []  # (time asked, time of first byte, text)

    async def synthesize(self, text):
        asked = time.monotonic()
        await asyncio.sleep(TTS_FIRST_BYTE_S)
        self.requests.append((asked, time.monotonic(), text))
        audio = b"\x7f" * int(len(text) * SPEECH_MS_PER_CHAR * 8)
        for start in range(0, len(audio), 1600):
            yield audio[start : start + 1600]
            await asyncio.sleep(0.01)


class SimulatedCall:
    def __init__(self):
        self.stt, self.brain, self.tts, self.line = ScriptedSTT(), TimedBrain(), TimedTTS(), PhoneLine()
        self.recorder = Recorder()
        self.session = VoiceSession(
            stt=self.stt,
            tts=self.tts,
            brain=self.brain,
            tools=ShopTools(),
            transport=self.line,
            recorder=self.recorder,
            config=VoiceConfig(system_prompt="You are a receptionist.", greeting="Thanks for calling Otto's."),
        )
        self.line.attach(self.session)
        self.own, self.v2v, self.clears, self.gaps = [], [], [], []

    async def feed(self):
        while True:
            self.session.feed_audio(b"\xff" * 160)
            await asyncio.sleep(0.02)

    async def run(self, turns):
        feeder = asyncio.create_task(self.feed())
        runner = asyncio.create_task(self.session.run())
        await self.wait(lambda: len(self.line.heard_marks) >= 1)
        for turn in range(turns):
            before = (len(self.line.frames), len(self.brain.called_at), len(self.tts.requests))
            ended = time.monotonic()
            self.stt.says("Do you have anything Tuesday for an oil change?")
            await self.wait(lambda: len(self.line.frames) > before[0] and len(self.tts.requests) > before[2])
            self.measure_turn(ended, *before)
            frames_before = before[0]
            if turn % 2:
                await self.wait(lambda: self.line.heard_marks and self.line.heard_marks[-1].endswith("-s1"))
                clears = len(self.line.clears)
                self.stt.speech_started()
                onset = time.monotonic()
                await asyncio.sleep(FIRST_INTERIM_S)
                self.stt.interim("Actually wait")
                await self.wait(lambda: len(self.line.clears) > clears)
                self.clears.append(self.line.clears[clears] - onset)
                self.stt.final("Actually wait, never mind.")
                await self.wait(lambda: not self.session.agent_speaking)
            else:
                await self.wait(lambda: not self.session.agent_speaking, timeout=30)
                self.gaps.append(max_gap(self.line.frames[frames_before:]))
            await asyncio.sleep(0.3)
        await self.session.stop("benchmark")
        feeder.cancel()
        await asyncio.wait({runner, feeder})
        await self.line.close()

    def measure_turn(self, ended, frames_before, calls_before, requests_before):
        first_frame = self.line.frames[frames_before][0]
        asked, first_byte, _ = self.tts.requests[requests_before]
        sentence_done = max(t for t in self.brain.yields if t <= asked)
        engines = (sentence_done - self.brain.called_at[calls_before]) + (first_byte - asked)
        self.v2v.append(first_frame - ended)
        self.own.append(first_frame - ended - engines)

    async def wait(self, condition, timeout=15):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("simulated call stuck")
            await asyncio.sleep(0.02)


def max_gap(frames):
    """Longest time Twilio would have had nothing to play between a reply's first and last frame."""
    playing_until, gap = None, 0.0
    for sent_at, frame in frames:
        if playing_until is not None and sent_at > playing_until:
            gap = max(gap, sent_at - playing_until)
        playing_until = max(playing_until or sent_at, sent_at) + len(frame) / 8000
    return gap


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def measure(count, turns):
    rss_before = rss_mb()
    cpu_before, wall_before = time.process_time(), time.monotonic()
    calls = [SimulatedCall() for _ in range(count)]
    tasks = [asyncio.create_task(call.run(turns)) for call in calls]
    await asyncio.sleep(2.0)
    rss_during = rss_mb()
    await asyncio.gather(*tasks)
    cpu, wall = time.process_time() - cpu_before, time.monotonic() - wall_before
    own = [x for call in calls for x in call.own]
    v2v = [x for call in calls for x in call.v2v]
    clears = [x for call in calls for x in call.clears]
    gaps = [x for call in calls for x in call.gaps]
    return {
        "calls": count,
        "own p50": p(own, 0.5),
        "own p95": p(own, 0.95),
        "v2v p50": p(v2v, 0.5),
        "v2v p95": p(v2v, 0.95),
        "clear p95": p(clears, 0.95) if clears else float("nan"),
        "max gap": max(gaps) * 1000 if gaps else 0.0,
        "CPU s/min": cpu / (count * wall / 60),
        "MB/call": max(0.0, rss_during - rss_before) / count,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="1,10,50")
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    rows = [asyncio.run(measure(int(n), args.turns)) for n in args.calls.split(",")]
    columns = list(rows[0])
    print(" | ".join(f"{c:>9}" for c in columns))
    for row in rows:
        print(" | ".join(f"{row[c]:>9.1f}" if isinstance(row[c], float) else f"{row[c]:>9}" for c in columns))


if __name__ == "__main__":
    main()
