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


# -- as awkward as a real stream (protocols.md 2.2) -------------------------------------------------

LONG = (
    "I'd like to bring in my 2016 Honda Civic for an oil change and a tire rotation "
    "sometime next week, preferably Tuesday morning."
)  # about 8 s of speech


async def heard(fake, http, audio, query=PHONE):
    """Everything one stream sends for `audio` (fed faster than real time), up to its Metadata."""
    ws = await listen(http, fake, query)
    await send_audio(ws, audio)
    await ws.send_str(json.dumps({"type": "CloseStream"}))
    received = await messages_until(ws, "Metadata")
    await ws.close()
    return received[:-1]


def results(messages, *, final):
    return [m for m in messages if m["type"] == "Results" and m["is_final"] is final]


def text(message):
    return message["channel"]["alternatives"][0]["transcript"]


def words(message):
    return message["channel"]["alternatives"][0]["words"]


def audio_time(message):
    """Where on the audio clock a result was sent: the end of the span it covers."""
    return message["start"] + message["duration"]


async def test_interims_come_about_once_a_second_of_speech_with_jitter(fake, http):
    received = await heard(fake, http, silence(0.3) + spoken(LONG) + silence(1.5))
    sent_at = [0.3] + [audio_time(m) for m in results(received, final=False)]
    gaps = [later - earlier for earlier, later in zip(sent_at, sent_at[1:])]
    assert len(gaps) >= 6
    assert all(0.7 - 0.021 <= gap <= 1.3 + 0.021 for gap in gaps)
    assert max(gaps) - min(gaps) > 0.1  # not a metronome


async def test_a_test_can_ask_for_a_fixed_interim_cadence(http):
    with FakeDeepgram(interim_interval_s=0.25, interim_jitter=0) as fake:
        received = await heard(fake, http, spoken(LONG) + silence(1.5))
    sent_at = [audio_time(m) for m in results(received, final=False)]
    # on the 20 ms audio clock: due every 0.25 s, one skipped when no new word began
    assert sent_at[0] == pytest.approx(0.25, abs=0.021) and len(sent_at) >= 0.6 * len(spoken(LONG)) / 8000 / 0.25
    assert all(t == pytest.approx(0.25 * round(t / 0.25), abs=0.021) for t in sent_at)


async def test_a_long_utterance_comes_as_several_finals_that_tile_the_audio_and_make_up_the_whole(http):
    with FakeDeepgram(no_speech_final=0) as fake:
        received = await heard(fake, http, silence(0.3) + spoken(LONG) + silence(1.5))
    finals = results(received, final=True)
    assert len(finals) >= 3
    assert [m["speech_final"] for m in finals] == [False] * (len(finals) - 1) + [True]
    assert " ".join(text(m) for m in finals if text(m)) == LONG
    assert finals[0]["start"] == 0
    for earlier, later in zip(finals, finals[1:]):
        assert later["start"] == pytest.approx(audio_time(earlier), abs=0.001)
    splits = [0.3] + [audio_time(m) for m in finals[:-1]]
    assert all(2.0 - 0.021 <= later - earlier <= 3.0 + 0.021 for earlier, later in zip(splits, splits[1:]))
    for final in finals:  # each final's words lie in the audio it covers, in order
        assert all(final["start"] - 0.001 <= w["start"] < w["end"] <= audio_time(final) + 0.001 for w in words(final))
    every_word = [w for final in finals for w in words(final)]
    assert all(earlier["end"] <= later["start"] + 0.001 for earlier, later in zip(every_word, every_word[1:]))
    assert every_word[0]["start"] == pytest.approx(0.3, abs=0.021)
    assert every_word[-1]["end"] == pytest.approx(0.3 + len(spoken(LONG)) / 8000, abs=0.021)
    for interim in results(received, final=False):  # interims show only the words not yet final
        before = [m for m in finals if audio_time(m) <= audio_time(interim)]
        assert not before or words(interim)[0]["start"] >= audio_time(before[-1]) - 0.001


async def test_some_turns_end_with_only_an_utterance_end(http):
    with FakeDeepgram(no_speech_final=1.0) as fake:
        ws = await listen(http, fake)
        await send_audio(ws, spoken("Is that still on for Friday?") + silence(1.5))
        received = await messages_until(ws, "UtteranceEnd")
        await ws.close()
    (final,) = results(received, final=True)
    assert text(final) == "Is that still on for Friday?" and final["speech_final"] is False
    assert received[-1]["last_word_end"] == pytest.approx(words(final)[-1]["end"], abs=0.001)


async def test_by_default_about_one_turn_in_seven_has_no_speech_final(fake, http):
    received = await heard(fake, http, (spoken("Yes.", seconds=0.4) + silence(1.2)) * 40)
    finals = results(received, final=True)
    assert len(finals) == 40 and [m["type"] for m in received].count("UtteranceEnd") == 40
    assert 2 <= sum(not m["speech_final"] for m in finals) <= 12


async def test_without_utterance_end_ms_a_turn_without_speech_final_never_ends(http):
    with FakeDeepgram(no_speech_final=1.0) as fake:
        received = await heard(
            fake, http, spoken("Hello?") + silence(3.0), query=PHONE.replace("&utterance_end_ms=1000", "")
        )
    assert [(m["type"], m.get("speech_final")) for m in received if m["type"] != "SpeechStarted"][-1] == (
        "Results",
        False,
    )
    assert "UtteranceEnd" not in [m["type"] for m in received]


def comparable(messages):
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


async def test_finals_arrive_late_and_hold_back_what_follows_them_but_nothing_before(http):
    loop = asyncio.get_running_loop()
    audio = spoken("Do you do brakes on a Subaru?") + silence(0.4) + spoken("Okay.") + silence(1.5)
    with FakeDeepgram(final_delay_s=0.5, seed=3) as fake:
        ws = await listen(http, fake)
        sent = loop.time()
        await send_audio(ws, audio)
        arrivals = []
        async with asyncio.timeout(5):
            while len(arrivals) < 2 or arrivals[-1][1]["type"] != "UtteranceEnd":
                message = json.loads((await ws.receive()).data)
                arrivals.append((loop.time(), message))
        await ws.close()
    received = [m for _, m in arrivals]
    first_final = next(i for i, m in enumerate(received) if m["type"] == "Results" and m["is_final"])
    assert all(at - sent < 0.3 for at, _ in arrivals[:first_final])  # what came before it is not held
    assert all(at - sent >= 0.5 - 0.01 for at, _ in arrivals[first_final:])  # it, and all after it, late
    # the order is the recogniser's: the same seed without the delay sends the same messages
    with FakeDeepgram(final_delay_s=0, seed=3) as prompt:
        assert comparable(await heard(prompt, http, audio)) == comparable(received)


async def test_a_seed_makes_a_stream_reproducible(http):
    audio = silence(0.2) + spoken(LONG) + silence(1.5) + tone(2.5) + silence(1.5)
    runs = []
    for seed in (7, 7, 8):
        with FakeDeepgram(seed=seed) as fake:
            fake.stt.script(["Actually, could you also check the brakes while it's in?"])
            runs.append(comparable(await heard(fake, http, audio)))
    assert runs[0] == runs[1] and runs[0] != runs[2]


async def test_a_stream_dropped_after_a_split_final_leaves_only_the_rest_to_the_next_one(http):
    audio = spoken(LONG)
    with FakeDeepgram(split_finals_s=(2.0, 2.0), final_delay_s=0) as fake:
        fake.stt.drop_next(after_audio_s=2.6, code=1011)
        ws = await listen(http, fake)
        await send_audio(ws, audio[:16800])
        received = await messages_until(ws, "Results")
        while not received[-1]["is_final"]:
            received += await messages_until(ws, "Results")
        with contextlib.suppress(aiohttp.ClientConnectionResetError):
            await send_audio(ws, audio[16800:24000])
        assert (await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.CLOSE
        (split,) = results(received, final=True)
        # the client replays what no final covered, as the app does
        rest = await heard(fake, http, audio[round(audio_time(split) * 8000) :] + silence(1.5))
    assert " ".join([text(split)] + [text(m) for m in results(rest, final=True) if text(m)]) == LONG


async def test_words_a_reset_stream_never_delivered_are_heard_again_by_the_next_one(http):
    audio = spoken(LONG)
    with FakeDeepgram(split_finals_s=(2.0, 2.0), final_delay_s=5.0) as fake:
        ws = await listen(http, fake)
        await send_audio(ws, audio[:24000])  # a split final at 2 s, held back
        async with asyncio.timeout(5):
            while fake.stt.streams[0].audio_bytes < 24000:
                await asyncio.sleep(0.01)
        fake.stt.drop_open_streams()  # a TCP reset: the final is lost with the stream
        async with asyncio.timeout(5):
            while fake.stt.streams[0].open:
                await asyncio.sleep(0.01)
        assert fake.stt.streams[0].finals == []
        fake.stt.final_delay_s = 0
        rest = await heard(fake, http, audio + silence(1.5))  # no final came: the client replays it all
    assert " ".join(text(m) for m in results(rest, final=True) if text(m)) == LONG


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
