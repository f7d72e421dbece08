"""A loopback Deepgram: live speech to text (`/v1/listen` WS) and Aura text to speech
(`/v1/speak` REST and WS) on one origin, as deepgram-sdk 7 expects (protocols.md sections 2-3).

    from fakes.deepgram import FakeDeepgram, spoken, silence

    with FakeDeepgram(api_key="test-key") as fake:          # serves on 127.0.0.1:<free port>
        stt = DeepgramSTT("test-key", fake.base_url)
        ...  await stt.send(silence(0.3) + spoken("I need an oil change") + silence(1.2))
        fake.stt.streams[0].finals == ["I need an oil change"]

Live transcription is as awkward as a real stream by default (interims about once a second, long
utterances in several finals, turns ended only by UtteranceEnd, late finals); the `interim_*`,
`split_finals_s`, `no_speech_final`, `final_delay_s` and `seed` arguments set each behaviour.
How caller speech is recognised: speech.py. Knobs and faults: listen.py (fake.stt), speak.py (fake.tts).
Run standalone for benchmarks: `python -m fakes.deepgram --port 8765`.
"""

from aiohttp import web

from ..server import LoopbackFake
from .listen import ListenFake, ListenStream
from .speak import SpeakFake, SpeakRequest, SpeakSocket
from .speech import decode_mulaw, encode_mulaw, in_frames, is_speech, read_spoken, silence, spoken, tone

__all__ = [
    "FakeDeepgram",
    "ListenFake",
    "ListenStream",
    "SpeakFake",
    "SpeakRequest",
    "SpeakSocket",
    "decode_mulaw",
    "encode_mulaw",
    "in_frames",
    "is_speech",
    "read_spoken",
    "silence",
    "spoken",
    "tone",
]

DEFAULT_API_KEY = "test-deepgram-key"


class FakeDeepgram(LoopbackFake):
    name = "deepgram"

    def __init__(
        self,
        api_key=DEFAULT_API_KEY,
        *,
        host="127.0.0.1",
        port=0,
        idle_timeout_s=10.0,
        interim_interval_s=1.0,
        interim_jitter=0.3,
        split_finals_s=(2.0, 3.0),
        no_speech_final=0.15,
        final_delay_s=(0.0, 0.2),
        seed=0,
        tts_first_byte_s=(0.09, 0.25),
        tts_audio_s_per_char=0.07,
        tts_realtime_factor=None,
        tts_chunk_bytes=(200, 4000),
        tts_seed=0,
    ):
        self.api_key = api_key
        self.host, self.port = host, port
        self.stt = ListenFake(
            api_key,
            interim_interval_s=interim_interval_s,
            interim_jitter=interim_jitter,
            split_finals_s=split_finals_s,
            no_speech_final=no_speech_final,
            final_delay_s=final_delay_s,
            seed=seed,
            idle_timeout_s=idle_timeout_s,
        )
        self.tts = SpeakFake(
            api_key,
            first_byte_s=tts_first_byte_s,
            audio_s_per_char=tts_audio_s_per_char,
            realtime_factor=tts_realtime_factor,
            chunk_bytes=tts_chunk_bytes,
            seed=tts_seed,
        )
        self.app = self._build_app()  # built now: a benchmark adds its own routes before start()

    def start(self):
        """Serve in a background thread; returns the base URL (http://127.0.0.1:PORT)."""
        super().start()
        return self.base_url

    @property
    def base_url(self):
        return self._server.base_url

    def _make_app(self):
        return self.app

    def _build_app(self):
        app = web.Application()

        async def speak(request):
            if request.method == "GET":  # a WebSocket upgrade
                return await self.tts.handle_socket(request)
            return await self.tts.handle_rest(request)

        async def projects(request):  # the cheap authenticated request `check_services` makes
            if request.headers.get("Authorization", "") != f"Token {self.api_key}":
                return web.json_response({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}, status=401)
            return web.json_response({"projects": [{"project_id": "fake-project", "name": "Otto's (fake)"}]})

        async def close_sockets(app):
            for ws in list(self.stt.open_sockets) + list(self.tts.open_sockets):
                await ws.close(code=1001, message=b"server shutting down")

        app.router.add_get("/v1/listen", self.stt.handle)
        app.router.add_route("*", "/v1/speak", speak)
        app.router.add_get("/v1/projects", projects)
        app.on_shutdown.append(close_sockets)
        return app
