"""The fake Deepgram over the wire (plain aiohttp client, no SDK): handshakes, messages, faults."""

import asyncio
import contextlib
import json

import aiohttp
import pytest

from fakes.deepgram import DEFAULT_API_KEY, FakeDeepgram, decode_mulaw, in_frames, is_speech, silence, spoken, tone
from fakes.fixtures import deepgram as fake  # noqa: F401 (the fixture: a FakeDeepgram)

KEY = DEFAULT_API_KEY
AUTH = {"Authorization": f"Token {KEY}"}
PHONE = (
    "model=nova-3&encoding=mulaw&sample_rate=8000&channels=1&interim_results=true"
    "&endpointing=300&utterance_end_ms=1000&vad_events=true&smart_format=true"
)


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def listen(http, fake, query=PHONE, headers=AUTH):
    return await http.ws_connect(f"{fake.base_url}/v1/listen?{query}", headers=headers)


async def send_audio(ws, audio):
    for frame in in_frames(audio):
        await ws.send_bytes(frame)


async def messages_until(ws, kind, timeout=5.0):
    received = []
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"socket ended with {message.type} {ws.close_code} before {kind}")
            received.append(json.loads(message.data))
            if received[-1]["type"] == kind:
                return received


async def test_a_stream_transcribes_spoken_audio_and_records_what_it_got(fake, http):
    ws = await listen(http, fake)
    await send_audio(ws, silence(0.2) + spoken("My check engine light is on.") + silence(1.2))
    received = await messages_until(ws, "UtteranceEnd")
    assert received[0]["type"] == "SpeechStarted"
    finals = [m for m in received if m["type"] == "Results" and m["is_final"]]
    assert [m["channel"]["alternatives"][0]["transcript"] for m in finals] == ["My check engine light is on."]
    assert finals[0]["speech_final"] is True
    assert all(
        {"channel_index", "duration", "start", "metadata", "from_finalize"} <= m.keys()
        for m in received
        if m["type"] == "Results"
    )
    await ws.send_str(json.dumps({"type": "CloseStream"}))
    (metadata,) = await messages_until(ws, "Metadata")
    assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1000
    stream = fake.stt.streams[0]
    assert stream.query["model"] == "nova-3" and stream.query["endpointing"] == "300"
    assert stream.audio_bytes == len(silence(0.2) + spoken("My check engine light is on.") + silence(1.2))
    assert stream.close_stream and stream.close_code == 1000
    assert metadata["duration"] == pytest.approx(stream.audio_seconds, abs=0.02)
    assert fake.stt.transcripts == ["My check engine light is on."]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Token wrong"}, {"Authorization": f"Bearer {KEY}"}])
async def test_a_handshake_without_the_key_is_refused_with_401_and_dg_error(fake, http, headers):
    async with http.get(
        f"{fake.base_url}/v1/listen?{PHONE}",
        headers={
            **headers,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    ) as response:
        assert response.status == 401
        assert response.headers["dg-error"] and response.headers["dg-request-id"]
    assert fake.stt.rejected == [401] and fake.stt.streams == []


async def test_injected_handshake_failures_are_used_up_in_order(fake, http):
    fake.stt.reject_next(503, times=2)
    for _ in range(2):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await listen(http, fake)
        assert refused.value.status == 503
    ws = await listen(http, fake)
    assert not ws.closed
    await ws.close()


async def test_finalize_answers_with_a_from_finalize_result_and_keepalive_is_silent(fake, http):
    ws = await listen(http, fake)
    await ws.send_str(json.dumps({"type": "KeepAlive"}))
    await send_audio(ws, spoken("Wait, one more thing", seconds=1.0))
    await ws.send_str(json.dumps({"type": "Finalize"}))
    received = await messages_until(ws, "Results")
    while not received[-1]["is_final"]:
        received += await messages_until(ws, "Results")
    assert received[-1]["from_finalize"] is True
    assert received[-1]["channel"]["alternatives"][0]["transcript"] == "Wait, one more thing"
    assert fake.stt.streams[0].keepalives == 1 and fake.stt.streams[0].finalizes == 1
    await ws.close()


async def test_a_silent_client_is_closed_with_1011_net_0001():
    with FakeDeepgram(KEY, idle_timeout_s=0.3) as fake:
        async with aiohttp.ClientSession() as http:
            ws = await listen(http, fake)
            message = await asyncio.wait_for(ws.receive(), 5)
            assert message.type == aiohttp.WSMsgType.CLOSE
            assert ws.close_code == 1011 and message.extra == "NET-0001"


async def test_keepalives_hold_an_idle_stream_open():
    with FakeDeepgram(KEY, idle_timeout_s=0.3) as fake:
        async with aiohttp.ClientSession() as http:
            ws = await listen(http, fake)
            for _ in range(6):
                await ws.send_str(json.dumps({"type": "KeepAlive"}))
                await asyncio.sleep(0.1)
            assert fake.stt.streams[0].open and fake.stt.streams[0].keepalives == 6
            await ws.close()


async def test_an_empty_audio_frame_closes_the_stream(fake, http):
    ws = await listen(http, fake)
    await ws.send_bytes(b"")
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1011
    assert fake.stt.streams[0].empty_frames == 1


async def test_drop_next_resets_the_connection_mid_utterance_and_hands_back_its_script_line(fake, http):
    fake.stt.script(["Can you fit me in today?"])
    fake.stt.drop_next(after_audio_s=0.5)
    ws = await listen(http, fake)
    with contextlib.suppress(aiohttp.ClientConnectionResetError):  # the audio after the drop has nowhere to go
        await send_audio(ws, tone(1.0) + silence(1.0))
    async with asyncio.timeout(5):
        while (message := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            pass
    assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
    assert ws.close_code != 1000
    async with asyncio.timeout(5):
        while fake.stt.streams[0].open:
            await asyncio.sleep(0.01)
    assert fake.stt.streams[0].dropped and fake.stt.streams[0].audio_seconds == pytest.approx(0.5, abs=0.02)
    assert fake.stt.pending_script == ["Can you fit me in today?"]


async def test_drop_open_streams_can_close_with_a_server_error_code(fake, http):
    first, second = await listen(http, fake), await listen(http, fake)
    await send_audio(first, silence(0.1))
    assert fake.stt.drop_open_streams(code=1011, reason="NET-0000") == 2
    for ws in (first, second):
        message = await asyncio.wait_for(ws.receive(), 5)
        assert message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1011 and message.extra == "NET-0000"


async def test_stopping_the_fake_closes_open_streams_promptly(http):
    fake = FakeDeepgram(KEY)
    fake.start()
    ws = await listen(http, fake)
    await asyncio.to_thread(fake.stop)
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1001


# -- text to speech ----------------------------------------------------------------------------------

SPEAK = "model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none"


async def test_rest_speak_streams_raw_mulaw_proportional_to_the_text(fake, http):
    text = "Your appointment is confirmed for Tuesday at ten."
    async with http.post(f"{fake.base_url}/v1/speak?{SPEAK}", json={"text": text}, headers=AUTH) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "audio/basic"
        assert response.headers.get("Transfer-Encoding") == "chunked"
        audio = await response.read()
    assert len(audio) == round(len(text) * 0.07 * 8000)
    assert audio[:4] != b"RIFF"
    assert all(is_speech(audio[i : i + 160]) for i in range(0, len(audio) - 159, 160))
    assert max(abs(int(s)) for s in decode_mulaw(audio[:800])) > 3000
    (request,) = fake.tts.requests
    assert request.completed and request.bytes_sent == len(audio) and fake.tts.texts == [text]


async def test_rest_speak_wraps_mulaw_in_wav_unless_container_none_like_deepgram(fake, http):
    async with http.post(
        f"{fake.base_url}/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000",
        json={"text": "Hello"},
        headers=AUTH,
    ) as response:
        audio = await response.read()
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    assert len(audio) == 44 + fake.tts.audio_bytes_for("Hello")


@pytest.mark.parametrize(
    "query, body, headers, status",
    [
        (SPEAK, {"text": "Hi"}, {"Authorization": "Token nope"}, 401),
        (SPEAK, {"text": "  "}, AUTH, 400),
        (SPEAK, {"words": "Hi"}, AUTH, 400),
        ("model=aura-2-thalia-en&encoding=linear16&sample_rate=24000", {"text": "Hi"}, AUTH, 400),
        (SPEAK, {"text": "x" * 2001}, AUTH, 413),
    ],
)
async def test_rest_speak_refuses_bad_requests_with_a_json_error(fake, http, query, body, headers, status):
    async with http.post(f"{fake.base_url}/v1/speak?{query}", json=body, headers=headers) as response:
        assert response.status == status
        assert (await response.json())["err_msg"]


async def test_rest_speak_faults_fail_then_break_then_recover(fake, http):
    fake.tts.chunk_bytes = 800  # the cut lands exactly after 1600 bytes
    fake.tts.fail_next(500)
    fake.tts.break_next(after_bytes=1600)
    url = f"{fake.base_url}/v1/speak?{SPEAK}"
    async with http.post(url, json={"text": "One"}, headers=AUTH) as response:
        assert response.status == 500
    with pytest.raises(aiohttp.ClientError):
        async with http.post(url, json={"text": "Two " * 50}, headers=AUTH) as response:
            await response.read()
    async with http.post(url, json={"text": "Three"}, headers=AUTH) as response:
        assert response.status == 200 and len(await response.read()) == fake.tts.audio_bytes_for("Three")
    assert [r.status for r in fake.tts.requests] == [500, 200, 200]
    assert fake.tts.requests[1].aborted and fake.tts.requests[1].bytes_sent == 1600


async def test_rest_speak_stall_holds_the_request_until_the_client_gives_up(fake, http):
    fake.tts.stall_next()
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{fake.base_url}/v1/speak?{SPEAK}",
            json={"text": "Hello"},
            headers=AUTH,
            timeout=aiohttp.ClientTimeout(total=0.3),
        ) as response:
            await response.read()
    async with asyncio.timeout(5):
        while not fake.tts.requests[0].aborted:
            await asyncio.sleep(0.02)


async def test_rest_speak_reports_a_client_that_hangs_up_early(http):
    with FakeDeepgram(KEY, tts_realtime_factor=20) as fake:
        response = await http.post(
            f"{fake.base_url}/v1/speak?{SPEAK}", json={"text": "Long reply. " * 30}, headers=AUTH
        )
        await response.content.readexactly(800)
        response.close()
        async with asyncio.timeout(5):
            while not fake.tts.requests[0].aborted:
                await asyncio.sleep(0.02)
        assert fake.tts.requests[0].bytes_sent < fake.tts.audio_bytes_for("Long reply. " * 30)


async def test_speak_socket_flushes_clears_and_closes(fake, http):
    ws = await http.ws_connect(
        f"{fake.base_url}/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000", headers=AUTH
    )
    metadata = await ws.receive_json()
    assert metadata["type"] == "Metadata" and metadata["model_name"] == "aura-2-thalia-en"
    await ws.send_json({"type": "Speak", "text": "Good morning, "})
    await ws.send_json({"type": "Speak", "text": "Otto's Auto."})
    await ws.send_json({"type": "Flush"})
    audio = b""
    while (message := await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.BINARY:
        audio += message.data
    assert json.loads(message.data) == {"type": "Flushed", "sequence_id": 0}
    assert len(audio) == fake.tts.audio_bytes_for("Good morning, Otto's Auto.")
    await ws.send_json({"type": "Clear"})
    assert (await ws.receive_json())["type"] == "Cleared"
    await ws.send_json({"type": "Close"})
    assert (await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1000
    (socket,) = fake.tts.sockets
    assert socket.texts == ["Good morning, ", "Otto's Auto."] and socket.flushes == 1 and socket.clears == 1


async def test_speak_socket_clear_stops_audio_in_flight():
    with FakeDeepgram(KEY, tts_realtime_factor=5) as fake:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{fake.base_url}/v1/speak?encoding=mulaw&sample_rate=8000", headers=AUTH)
            await ws.receive_json()
            await ws.send_json({"type": "Speak", "text": "A very long answer. " * 20})
            await ws.send_json({"type": "Flush"})
            assert (await ws.receive()).type == aiohttp.WSMsgType.BINARY
            await ws.send_json({"type": "Clear"})
            kinds = []
            while not kinds or kinds[-1] != "Cleared":
                message = await asyncio.wait_for(ws.receive(), 5)
                if message.type == aiohttp.WSMsgType.TEXT:
                    kinds.append(json.loads(message.data)["type"])
            assert "Flushed" not in kinds
            total = fake.tts.audio_bytes_for("A very long answer. " * 20)
            assert fake.tts.sockets[0].bytes_sent < total
            await ws.close()
