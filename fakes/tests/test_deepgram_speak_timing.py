"""The fake Aura is as awkward as the real one: a first byte after 90-250 ms that varies, audio
in chunks of varying sizes that do not line up with Twilio's 160-byte frames, on REST and on the
WebSocket; the same seed gives the same run, and fixed values are there for exact tests."""

import asyncio
import json
import time

import aiohttp
import pytest

from fakes.deepgram import DEFAULT_API_KEY, FakeDeepgram

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}"}
SPEAK = "model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none"
TEXT = "Your appointment is confirmed for Tuesday at ten in the morning, see you then."


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def rest_chunks(http, fake, text=TEXT):
    """(seconds to the first byte, sizes of the HTTP chunks) of one REST request."""
    asked = time.monotonic()
    first, sizes = None, [0]
    async with http.post(f"{fake.base_url}/v1/speak?{SPEAK}", json={"text": text}, headers=AUTH) as response:
        async for data, end_of_chunk in response.content.iter_chunks():
            first = first or time.monotonic() - asked
            sizes[-1] += len(data)
            if end_of_chunk:
                sizes.append(0)
    return first, [size for size in sizes if size]


async def socket_chunks(http, fake, text=TEXT):
    """(seconds from Flush to the first audio, sizes of the binary frames) of one flush."""
    ws = await http.ws_connect(f"{fake.base_url}/v1/speak?encoding=mulaw&sample_rate=8000", headers=AUTH)
    await ws.receive_json()
    await ws.send_json({"type": "Speak", "text": text})
    flushed = time.monotonic()
    await ws.send_json({"type": "Flush"})
    first, sizes = None, []
    while (message := await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.BINARY:
        first = first or time.monotonic() - flushed
        sizes.append(len(message.data))
    assert json.loads(message.data)["type"] == "Flushed"
    await ws.close()
    return first, sizes


@pytest.mark.parametrize("chunks", [rest_chunks, socket_chunks])
async def test_by_default_the_first_byte_varies_between_90_and_250_ms_and_chunks_vary_in_size(http, chunks):
    with FakeDeepgram(DEFAULT_API_KEY) as fake:
        results = [await chunks(http, fake) for _ in range(4)]
    firsts = [first for first, _ in results]
    sizes = [size for _, run in results for size in run[:-1]]  # the last chunk is whatever is left
    assert all(0.09 <= first < 0.40 for first in firsts)
    assert max(firsts) - min(firsts) > 0.01
    assert len(set(sizes)) > 3 and all(200 <= size <= 4000 for size in sizes)
    assert any(size % 160 for size in sizes) and any(size % 2 for size in sizes)
    assert all(sum(run) == fake.tts.audio_bytes_for(TEXT) for _, run in results)


async def test_the_same_seed_gives_the_same_chunks_and_another_seed_others(http):
    runs = []
    for seed in (7, 7, 8):
        with FakeDeepgram(DEFAULT_API_KEY, tts_seed=seed, tts_first_byte_s=0.0) as fake:
            runs.append((await rest_chunks(http, fake))[1])
    assert runs[0] == runs[1] != runs[2]


@pytest.mark.parametrize("chunks", [rest_chunks, socket_chunks])
async def test_fixed_knobs_give_exact_timing_and_frame_aligned_chunks(http, chunks):
    with FakeDeepgram(DEFAULT_API_KEY, tts_first_byte_s=0.0, tts_chunk_bytes=800) as fake:
        first, sizes = await chunks(http, fake)
    assert first < 0.09
    assert set(sizes[:-1]) == {800} and sum(sizes) == fake.tts.audio_bytes_for(TEXT)
