"""The vendor fakes for the call benchmark, each in its own process, timing what they do.

    python -m benchmarks.voice.vendors deepgram [--port 0]
    python -m benchmarks.voice.vendors openai [--port 0]

Prints one JSON line {"base_url": ...} once listening, then serves until SIGTERM. Latencies
are issue 3's (benchmarks/voice/script.py). Besides the vendor's own routes, each serves
`GET /_bench/timings` (add `?clear=1` to forget what was returned), in time.monotonic()
seconds, which is one clock for every process on the machine:

- deepgram: "speak": TTS requests {text, received, first_byte}; "listen": per live stream,
  its SpeechStarted / interim / final / UtteranceEnd messages {kind, fed, at, text, speech_final}:
  `fed` when the audio that made it arrived, `at` when it went out (a late final, and what follows
  it, goes out late).
- openai: "chat": {call, turn, round, received, tokens: [[sent_at, text], ...], finished}.
  `round` counts the tool results after the caller's words (0: the first request of a turn).
- both: "lag": {vendor: [seconds late of each 10 ms timer on the fake's loop]}.

The fakes themselves (fakes/deepgram, fakes/openai) are used as they are; the timing is
added here by wrapping them, so nothing in fakes/ knows about benchmarks.
"""

import argparse
import asyncio
import contextvars
import json
import signal
import threading
import time
from dataclasses import dataclass

from aiohttp import web

from benchmarks.voice import script


class LoopLag:
    """How late a 10 ms timer fires on a loop: the fake's own delays, kept out of the server's share."""

    PERIOD_S = 0.01

    def __init__(self):
        self.samples = []

    async def watch(self):
        while True:
            due = time.monotonic() + self.PERIOD_S
            await asyncio.sleep(self.PERIOD_S)
            self.samples.append(time.monotonic() - due)

    def take(self, clear):
        samples = list(self.samples)
        if clear:
            self.samples.clear()
        return samples

    def start_on(self, loop):
        asyncio.run_coroutine_threadsafe(self.watch(), loop)


def _timings_route(get_and_maybe_clear):
    async def timings(request):
        return web.json_response(get_and_maybe_clear(request.query.get("clear") == "1"))

    return timings


# --- Deepgram -------------------------------------------------------------------------------


def deepgram(port):
    from fakes.deepgram import DEFAULT_API_KEY, FakeDeepgram
    from fakes.deepgram import listen as listen_module
    from fakes.deepgram.recognizer import Recognizer

    lock = threading.Lock()
    speak, streams = [], []
    current = contextvars.ContextVar("speak_request", default=None)

    class TimedRecognizer(Recognizer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.timeline = []
            with lock:
                streams.append(self.timeline)

        def feed(self, data):
            messages = super().feed(data)
            if messages:
                now = time.monotonic()
                for message in messages:
                    entry = {"kind": message["type"], "at": now, "fed": now, "text": ""}
                    if message["type"] == "Results":
                        entry["text"] = message["channel"]["alternatives"][0]["transcript"]
                        entry["kind"] = "final" if message["is_final"] else "interim"
                        entry["speech_final"] = bool(message.get("speech_final"))
                    self.timeline.append(entry)
                    queued[id(message)] = entry
            return messages

    class TimedOutbox(listen_module._Outbox):
        """A message goes out when its outbox says (a late final, and what follows it, later)."""

        def put(self, messages):
            for message in messages:
                super().put([message])
                entry = queued.pop(id(message), None)
                if entry is not None:
                    entry["at"] = max(entry["at"], self._due)

    queued = {}  # id(message) -> its timeline entry, between the recogniser and the outbox (one loop)
    listen_module._Outbox = TimedOutbox
    listen_module.Recognizer = TimedRecognizer

    fake = FakeDeepgram(
        DEFAULT_API_KEY,
        port=port,
        interim_interval_s=script.STT_INTERIM_INTERVAL_S,
        tts_first_byte_s=script.TTS_FIRST_BYTE_S,
        tts_audio_s_per_char=script.TTS_S_PER_CHAR,
    )
    handle_rest, audio = fake.tts.handle_rest, fake.tts._audio

    async def timed_rest(request):
        entry = {"text": None, "received": time.monotonic(), "first_byte": None}
        try:
            body = await request.json()  # aiohttp keeps the body: the fake reads it again
            entry["text"] = body.get("text") if isinstance(body, dict) else None
        except ValueError:
            pass
        with lock:
            speak.append(entry)
        current.set(entry)  # this request's task (and the audio generator it runs) only
        return await handle_rest(request)

    async def timed_audio(total, **kwargs):
        entry = current.get()
        async for chunk in audio(total, **kwargs):
            if entry is not None and entry["first_byte"] is None:
                entry["first_byte"] = time.monotonic()  # written right after this yield
            yield chunk

    fake.tts.handle_rest, fake.tts._audio = timed_rest, timed_audio

    lag = LoopLag()

    def timings(clear):
        with lock:
            answer = {
                "speak": list(speak),
                "listen": [list(t) for t in streams if t],
                "lag": {"deepgram": lag.take(clear)},
            }
            if clear:
                speak.clear()
                for timeline in streams:
                    timeline.clear()  # a stream still open keeps appending to its list
        return answer

    fake.app.router.add_get("/_bench/timings", _timings_route(timings))
    base_url = fake.start()
    lag.start_on(fake.server.loop)
    return base_url, fake.stop


# --- OpenAI ---------------------------------------------------------------------------------


def openai(port):
    from fakes.openai import app as app_module
    from fakes.openai import replies
    from fakes.server import LoopbackServer

    lock = threading.Lock()
    chat = []

    @dataclass(frozen=True)
    class KeyedReply(replies.Reply):
        entry: dict | None = None

    class TimedCompletion(app_module.Completion):
        def events(self, reply, include_usage):
            entry = getattr(reply, "entry", None)
            for payload in super().events(reply, include_usage):
                yield payload
                # The fake resumes this generator only once it has written `payload`.
                if entry is not None and payload is not app_module.STALL:
                    choices = payload.get("choices") or [{}]
                    content = (choices[0].get("delta") or {}).get("content") if choices else None
                    if content:
                        entry["tokens"].append((time.monotonic(), content))
            if entry is not None:
                entry["finished"] = time.monotonic()

    app_module.Completion = TimedCompletion

    class TimedOpenAI(app_module.FakeOpenAI):
        def start(self):
            app = self._make_app()
            app.router.add_get("/_bench/timings", _timings_route(timings))
            self._server = LoopbackServer(app, port=port, name="openai")
            self._server.start()
            return self

    fake = TimedOpenAI(first_token_s=script.LLM_FIRST_TOKEN_S, tokens_per_s=script.LLM_TOKENS_PER_S)

    def reply(body):
        messages = body.get("messages") or []
        # No await between the request being recorded and this call: requests[-1] is ours.
        received = fake.requests[-1].received_at if fake.requests else time.monotonic()
        fake.requests.clear()  # nothing reads them here; a long run need not keep them
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        tag = script.tag_of(messages[last_user].get("content") if last_user >= 0 else "")
        entry = {
            "call": tag and tag[0],
            "turn": tag and tag[1],
            "received": received,
            "tokens": [],
            "finished": None,
            "round": sum(1 for m in messages[last_user + 1 :] if m.get("role") == "tool"),
        }
        with lock:
            chat.append(entry)
        kind, content = script.model_reply(messages)
        if kind == "tool":
            call = replies.tool_call("get_available_slots", content)
            entry["tool"] = True
            return KeyedReply(tool_calls=(call,), entry=entry)
        return KeyedReply(text=content, entry=entry)

    fake.reply = reply

    lag = LoopLag()

    def timings(clear):
        with lock:
            # "finished" stays None for a stream the caller cut off (barge-in)
            answer = {"chat": [dict(e) for e in chat], "lag": {"openai": lag.take(clear)}}
            if clear:
                chat.clear()
        return answer

    fake.start()
    lag.start_on(fake._server.loop)
    return fake.base_url, fake.stop


def main():
    parser = argparse.ArgumentParser(description="Run one vendor fake for the call benchmark.")
    parser.add_argument("vendor", choices=("deepgram", "openai"))
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    base_url, stop = {"deepgram": deepgram, "openai": openai}[args.vendor](args.port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    print(json.dumps({"base_url": base_url}), flush=True)
    stopping.wait()
    stop()


if __name__ == "__main__":
    main()
