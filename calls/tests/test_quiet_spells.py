"""Caller audio goes to STT in fewer messages while the line is quiet, without delaying speech."""

import asyncio

import numpy as np

from calls.tests.voice_doubles import Call, ScriptedSTT
from calls.voice.audio import FRAME_BYTES, mulaw_encode, mulaw_silence
from calls.voice.caller import QuietSpells

SILENT = mulaw_silence(20)


def voiced(amplitude=3000):
    return mulaw_encode((np.sin(np.arange(FRAME_BYTES) / 3.0) * amplitude).astype(np.int16))


def hiss(amplitude=12):
    """Line noise far below speech: counts as quiet."""
    return mulaw_encode(np.random.default_rng(7).integers(-amplitude, amplitude, FRAME_BYTES).astype(np.int16))


def test_a_long_quiet_spell_goes_out_in_chunks_and_speech_goes_out_at_once_with_it():
    spells = QuietSpells(after_s=1.0, chunk_s=0.1)
    line = [SILENT] * 50 + [hiss()] * 52 + [voiced()] + [SILENT] * 10  # 1 s, 1.04 s more, a word, 0.2 s
    sent = [spells.take(frame) for frame in line]

    messages = [chunk for chunk in sent if chunk]
    assert b"".join(messages) == b"".join(line)  # every byte, in order
    assert all(chunk == frame for chunk, frame in zip(sent[:50], line[:50]))  # first second: frame by frame
    held = sent[50:102]
    assert [len(chunk) for chunk in held if chunk] == [800] * 10  # then 100 ms at a time
    speech = sent[102]  # the voiced frame is not held back: it leaves with the two frames still held
    assert speech == line[100] + line[101] + line[102]
    assert sent[103:] == line[103:]  # after a sound the clock starts again: frame by frame


def test_any_frame_with_sound_resets_the_quiet_clock():
    spells = QuietSpells(after_s=0.1, chunk_s=0.1)
    for _ in range(3):
        assert [spells.take(SILENT) for _ in range(5)] == [SILENT] * 5
        assert spells.take(voiced(amplitude=150)) == voiced(amplitude=150)  # soft, but not quiet


class CountingSTT(ScriptedSTT):
    def __init__(self):
        super().__init__()
        self.messages = 0

    async def send(self, mulaw):
        self.messages += 1
        await super().send(mulaw)


async def feed(call, line):
    for frame in line:
        call.session.feed_audio(frame)
        await asyncio.sleep(0.002)  # frames arrive one by one, as from Twilio (every 20 ms)


async def test_the_session_sends_every_byte_of_a_quiet_caller_in_fewer_messages():
    stt = CountingSTT()
    async with Call(stt=stt, quiet_after_s=0.2, quiet_chunk_s=0.2) as call:
        await call.greeted()
        line = [SILENT] * 100 + [voiced()]  # 2 s of quiet, then the caller starts talking
        await feed(call, line)
        await call.until(lambda: len(stt.audio) == len(b"".join(line)))
        assert bytes(stt.audio) == b"".join(line)
        assert stt.messages <= 10 + 9 + 1  # 0.2 s frame by frame, then 0.2 s chunks, the last with the word


async def test_quiet_spells_can_be_turned_off():
    stt = CountingSTT()
    async with Call(stt=stt, quiet_after_s=None) as call:
        await call.greeted()
        await feed(call, [SILENT] * 100)
        await call.until(lambda: len(stt.audio) == 100 * FRAME_BYTES)
        assert stt.messages > 50  # frame by frame (two may share a send when the pump is late)
