"""In-process implementations of the voice session's own interfaces, for plain-asyncio tests.

These stand in for OUR interfaces (SpeechToText, TextToSpeech, Brain, ToolBox, CallTransport,
CallRecorder), not for any vendor SDK: the end-to-end tests drive the real SDKs against the
loopback fakes in fakes/. `PhoneLine` plays Twilio's side of the media stream the way
protocols.md 1.6 describes it: audio queued and played at 8000 bytes a second, marks echoed
when playback reaches them, and every queued mark echoed at once on `clear`.
"""

import asyncio
import copy
import json
import time
from collections import deque

from calls.voice.errors import VendorError
from calls.voice.llm.base import Brain, Done, TextDelta, ToolCall
from calls.voice.session import ToolOutcome, ToolSpec, VoiceConfig, VoiceSession
from calls.voice.stt.base import SpeechContinues, SpeechStarted, SpeechToText, Transcript, UtteranceEnd
from calls.voice.tts.base import TextToSpeech


class ScriptedSTT(SpeechToText):
    """Transcript events are pushed by the test (the caller 'speaks' through it)."""

    def __init__(self, *, start_error=None):
        self.audio = bytearray()
        self.started = False
        self.closed = False
        self._start_error = start_error
        self._events = asyncio.Queue()

    async def start(self):
        if self._start_error is not None:
            raise self._start_error
        self.started = True

    async def send(self, mulaw):
        self.audio += mulaw

    async def events(self):
        while True:
            item = await self._events.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    async def close(self):
        self.closed = True
        self._events.put_nowait(None)

    def speech_started(self):
        self._events.put_nowait(SpeechStarted(at=time.monotonic()))

    def speech_continues(self):
        self._events.put_nowait(SpeechContinues(at=time.monotonic()))

    def interim(self, text):
        self._events.put_nowait(Transcript(text, is_final=False, speech_final=False, at=time.monotonic()))

    def final(self, text, *, speech_final=True):
        self._events.put_nowait(Transcript(text, is_final=True, speech_final=speech_final, at=time.monotonic()))

    def utterance_end(self):
        self._events.put_nowait(UtteranceEnd(at=time.monotonic()))

    def fail(self, exc):
        self._events.put_nowait(exc)

    def says(self, text):
        """A whole caller utterance: VAD, an interim, the final with end of speech."""
        self.speech_started()
        self.interim(text)
        self.final(text)


class ToneTTS(TextToSpeech):
    """Audio whose length follows the text: `ms_per_char` milliseconds per character."""

    def __init__(self, *, ms_per_char=0.3, first_byte_s=0.0, chunk_bytes=400, failing=()):
        self.ms_per_char = ms_per_char
        self.first_byte_s = first_byte_s
        self.chunk_bytes = chunk_bytes
        self.failing = set(failing)  # texts that raise VendorError
        self.requests = []
        self.started_at = {}
        self.abandoned = []  # texts whose synthesis was closed before the end

    def audio_for(self, text):
        return bytes([0x7F]) * max(1, int(len(text) * self.ms_per_char * 8))

    async def synthesize(self, text):
        self.requests.append(text)
        self.started_at[text] = time.monotonic()
        finished = False
        try:
            if self.first_byte_s:
                await asyncio.sleep(self.first_byte_s)
            if text in self.failing:
                raise VendorError("tone", "synthesis failed", retryable=True)
            audio = self.audio_for(text)
            for start in range(0, len(audio), self.chunk_bytes):
                yield audio[start : start + self.chunk_bytes]
                await asyncio.sleep(0)
            finished = True
        finally:
            if not finished and text not in self.failing:
                self.abandoned.append(text)


class ScriptedBrain(Brain):
    """Each respond() plays the next script: strings stream as words, ToolCalls come whole,
    numbers are pauses in seconds, an exception is raised where it stands."""

    def __init__(self, *scripts, word_delay_s=0.0):
        self.scripts = deque(scripts)
        self.word_delay_s = word_delay_s
        self.calls = []  # (messages, tools) as each call saw them
        self.abandoned = 0  # streams closed before they ended (barge-in)
        self.finished_at = []

    def add(self, *scripts):
        self.scripts.extend(scripts)

    async def respond(self, messages, tools):
        self.calls.append((copy.deepcopy(messages), tools))
        script = self.scripts.popleft() if self.scripts else ["(no more scripted replies)"]
        finished = False
        try:
            used_tools = False
            for step in script:
                if isinstance(step, BaseException):
                    raise step
                if isinstance(step, (int, float)):
                    await asyncio.sleep(step)
                elif isinstance(step, ToolCall):
                    used_tools = True
                    yield step
                else:
                    for word in _words_with_spaces(step):
                        if self.word_delay_s:
                            await asyncio.sleep(self.word_delay_s)
                        yield TextDelta(word)
            finished = True  # the session may stop reading once it has Done
            self.finished_at.append(time.monotonic())
            yield Done("tool_calls" if used_tools else "stop")
        finally:
            if not finished:
                self.abandoned += 1


def _words_with_spaces(text):
    words = text.split(" ")
    return [word if index == 0 else " " + word for index, word in enumerate(words)]


def tool_call(name, call_id=None, **arguments):
    return ToolCall(id=call_id or f"call_{name}", name=name, arguments=json.dumps(arguments))


class ShopTools:
    """A ToolBox: `handlers` maps a tool name to a ToolOutcome, or to a function of the parsed
    arguments returning one; `delays` holds seconds each tool takes; `fillers` the filler of a
    tool that has its own; `hands_over` names the tool that puts the caller through to a person."""

    def __init__(self, handlers=None, delays=None, fillers=None, hands_over=("transfer_to_advisor",)):
        self.handlers = dict(handlers or {})
        self.delays = dict(delays or {})
        self.fillers = dict(fillers or {})
        self.hands_over = frozenset(hands_over)
        self.calls = []  # (name, arguments) as requested
        self.completed = []  # names of calls that ran to the end

    def specs(self):
        return [
            ToolSpec(
                name=name,
                schema={
                    "type": "function",
                    "function": {"name": name, "parameters": {"type": "object", "properties": {}}},
                },
                filler=self.fillers.get(name),
                hands_over=name in self.hands_over,
            )
            for name in self.handlers
        ]

    def schemas(self):
        return [spec.schema for spec in self.specs()]

    async def call(self, name, arguments):
        self.calls.append((name, arguments))
        if name not in self.handlers:
            return ToolOutcome(json.dumps({"error": f"unknown tool {name}"}), ok=False)
        if self.delays.get(name):
            await asyncio.sleep(self.delays[name])
        handler = self.handlers[name]
        outcome = handler(json.loads(arguments or "{}")) if callable(handler) else handler
        self.completed.append(name)
        return outcome


class PhoneLine:
    """Twilio's end of the media stream: plays our audio in real time and echoes marks."""

    def __init__(self, *, echo_delay_s=0.0):
        self.session = None
        self.echo_delay_s = echo_delay_s
        self.frames = []  # (monotonic time sent, frame bytes)
        self.marks_sent = []
        self.heard_marks = []  # echoed because playback reached them
        self.flushed_marks = []  # echoed because of a clear
        self.clears = []  # monotonic times a clear arrived
        self.hung_up_at = None
        self.max_queued_s = 0.0
        self._queue = deque()  # ("audio", nbytes) | ("mark", name)
        self._player = None
        self._playing_until = 0.0  # estimate of when the queued audio ends, for max_queued_s

    def attach(self, session):
        self.session = session

    async def send_audio(self, mulaw):
        now = time.monotonic()
        self.frames.append((now, mulaw))
        self._playing_until = max(self._playing_until, now) + len(mulaw) / 8000
        self.max_queued_s = max(self.max_queued_s, self._playing_until - now)
        self._enqueue(("audio", len(mulaw)))

    async def send_mark(self, name):
        self.marks_sent.append(name)
        self._enqueue(("mark", name))

    async def send_clear(self):
        self.clears.append(time.monotonic())
        if self._player is not None:
            self._player.cancel()
            self._player = None
        flushed = [item[1] for item in self._queue if item[0] == "mark"]
        self._queue.clear()
        self._playing_until = time.monotonic()
        for name in flushed:
            self.flushed_marks.append(name)
            self._echo(name)

    async def hang_up(self):
        self.hung_up_at = time.monotonic()

    def audio_seconds(self):
        return sum(len(frame) for _, frame in self.frames) / 8000

    def _enqueue(self, item):
        self._queue.append(item)
        if self._player is None or self._player.done():
            self._player = asyncio.create_task(self._play())

    async def _play(self):
        while self._queue:
            kind, value = self._queue[0]
            if kind == "audio":
                nbytes = 0
                while self._queue and self._queue[0][0] == "audio":  # play up to the next mark at once
                    nbytes += self._queue.popleft()[1]
                self._queue.appendleft(("audio", nbytes))
                await asyncio.sleep(nbytes / 8000)
                self._queue.popleft()
            else:
                self._queue.popleft()
                self.heard_marks.append(value)
                self._echo(value)

    def _echo(self, name):
        loop = asyncio.get_running_loop()
        if self.echo_delay_s:
            loop.call_later(self.echo_delay_s, self.session.on_mark, name)
        else:
            loop.call_soon(self.session.on_mark, name)

    async def close(self):
        if self._player is not None:
            self._player.cancel()
            await asyncio.wait({self._player})


class Recorder:
    """A CallRecorder that keeps everything in lists."""

    def __init__(self):
        self.turns = []
        self.tools = []
        self.latencies = []
        self.events = []

    def turn(self, **fields):
        self.turns.append(fields)

    def tool(self, **fields):
        self.tools.append(fields)

    def latency(self, **fields):
        self.latencies.append(fields)

    def event(self, kind, **data):
        self.events.append((kind, data))

    def events_of(self, kind):
        return [data for event_kind, data in self.events if event_kind == kind]


FAST = dict(
    silence_reprompt_s=30.0,
    filler_after_s=0.1,
    slow_brain_filler_s=1.0,
    brain_stall_s=2.0,
    tool_timeout_s=1.0,
    transfer_wait_s=0.2,
)


class Call:
    """One session wired to the doubles above, with the caller's side to drive it."""

    def __init__(
        self, *scripts, brain=None, tools=None, tts=None, stt=None, line=None, recorder=None, word_delay_s=0.0, **config
    ):
        """`scripts`: the replies of a ScriptedBrain double, unless a `brain` is given."""
        self.stt = stt or ScriptedSTT()
        self.tts = tts or ToneTTS()
        self.brain = brain or ScriptedBrain(*scripts, word_delay_s=word_delay_s)
        self.tools = tools or ShopTools()
        self.line = line or PhoneLine()
        self.recorder = recorder or Recorder()
        settings = dict(
            system_prompt="You are the receptionist at Otto's.",
            greeting="Thanks for calling Otto's.",
            recording_disclosure="This call is recorded.",
        )
        settings.update(FAST)
        settings.update(config)
        self.config = VoiceConfig(**settings)
        self.session = VoiceSession(
            stt=self.stt,
            tts=self.tts,
            brain=self.brain,
            tools=self.tools,
            transport=self.line,
            recorder=self.recorder,
            config=self.config,
        )
        self.line.attach(self.session)
        self.task = None

    async def __aenter__(self):
        self.task = asyncio.create_task(self.session.run())
        return self

    async def __aexit__(self, *exc):
        await self.session.stop("test_over")
        await asyncio.wait({self.task}, timeout=2)
        await self.line.close()

    async def greeted(self):
        """Wait until the greeting has been played to the caller."""
        await self.replied(1)

    async def until(self, condition, timeout=3.0):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the call to reach the expected state")
            await asyncio.sleep(0.005)

    def assistant_turns(self):
        return [turn for turn in self.recorder.turns if turn["role"] == "assistant"]

    async def replied(self, count, timeout=3.0):
        """Wait until `count` agent turns (greeting included) are over: played, or cut short."""
        await self.until(lambda: len(self.assistant_turns()) >= count, timeout)

    def assistant_messages(self):
        return [m["content"] for m in self.session.history if m["role"] == "assistant" and not m.get("tool_calls")]

    def spoken_texts(self):
        return list(self.tts.requests)
