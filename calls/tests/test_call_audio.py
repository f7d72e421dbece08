"""The call's recording: one stereo WAV, caller left and agent right, as the caller heard it
(the caller's frames are the clock; agent audio plays after what Twilio already had queued;
`clear` drops what was never heard), taped to disk rather than memory, and never at the
cost of the call."""

import asyncio
import io
import tempfile
import time
import tracemalloc
import wave

import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from calls.call_audio import CallTape, tape_for_call
from calls.models import Call, CallRecording
from calls.voice.audio import mulaw_decode
from fakes.deepgram import spoken
from fakes.openai import text
from fakes.twilio_caller import silence
from ottos.asgi import application

from .page_records import ensure_staff_groups

pytestmark = pytest.mark.django_db(transaction=True)

FRAME = 160  # 20 ms of 8 kHz mu-law
CALL_SID = "CA" + "a7" * 16


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECORDING_ENABLED = True
    return settings.MEDIA_ROOT


@pytest.fixture
def call(db):
    return Call.objects.create(call_sid=CALL_SID, from_number="+13125550147", to_number="+13125550100")


@pytest.fixture
def staff_groups(transactional_db):
    ensure_staff_groups()


def tape_of(call):
    return CallTape(call_id=call.pk, call_sid=call.call_sid)


def frame_of(byte):
    return bytes([byte]) * FRAME


def sound(seed, frames=1):
    """Loud mu-law audio, different for each seed (no 0xFF/0x7F: those decode to silence)."""
    return np.random.default_rng(seed).integers(0x10, 0x70, frames * FRAME, dtype=np.uint8).tobytes()


def legs(recording):
    """(left, right, wav params) of a stored recording."""
    with recording.audio.open("rb") as stored, wave.open(io.BytesIO(stored.read())) as wav:
        params = wav.getparams()
        samples = np.frombuffer(wav.readframes(params.nframes), dtype="<i2").reshape(-1, params.nchannels)
    return samples[:, 0], samples[:, 1], params


def frames(channel):
    return [channel[i : i + FRAME] for i in range(0, len(channel), FRAME)]


def decoded(mulaw):
    return mulaw_decode(mulaw)


SILENT = np.zeros(FRAME, dtype=np.int16)


# --- the tape ---------------------------------------------------------------------------------


async def test_each_caller_frame_is_20_ms_of_the_left_channel(media_root, call):
    tape = tape_of(call)
    said = sound(1, frames=50) + silence(0.5) + sound(2, frames=10)
    for start in range(0, len(said), FRAME):
        tape.caller_frame(said[start : start + FRAME])
    recording = await tape.save()

    left, right, params = legs(recording)
    assert (params.nchannels, params.sampwidth, params.framerate) == (2, 2, 8000)
    assert params.nframes == len(said) and recording.duration_s == pytest.approx(len(said) / 8000)
    assert np.array_equal(left, decoded(said))
    assert not right.any(), "the agent said nothing"
    assert recording.content_type == "audio/wav" and recording.audio.name.endswith(f"{CALL_SID}.wav")


async def test_agent_audio_is_on_the_right_when_the_caller_heard_it(media_root, call):
    tape = tape_of(call)
    a, b, c, d = (sound(seed) for seed in (10, 11, 12, 13))
    for _ in range(3):
        tape.caller_frame(silence(0.02))
    for agent in (a, b, c):  # sent ahead of playback; Twilio plays one per 20 ms
        tape.agent_frame(agent)
    for _ in range(5):
        tape.caller_frame(silence(0.02))
    tape.agent_frame(d)
    for _ in range(2):
        tape.caller_frame(silence(0.02))
    recording = await tape.save()

    left, right, _ = legs(recording)
    expected = [SILENT] * 3 + [decoded(a), decoded(b), decoded(c)] + [SILENT] * 2 + [decoded(d), SILENT]
    assert len(frames(right)) == len(expected) == 10
    assert all(np.array_equal(got, want) for got, want in zip(frames(right), expected))
    assert not left.any()


async def test_agent_audio_follows_the_callers_frames_whatever_their_size(media_root, call):
    tape = tape_of(call)
    reply = sound(20, frames=2)
    tape.agent_frame(reply)
    for size in (100, 60, 160, 160):
        tape.caller_frame(bytes([0xFF]) * size)
    recording = await tape.save()

    _, right, params = legs(recording)
    assert params.nframes == 480
    assert np.array_equal(right[:320], decoded(reply)) and not right[320:].any()


async def test_clear_drops_the_agent_audio_the_caller_never_heard(media_root, call):
    tape = tape_of(call)
    planned = [sound(seed) for seed in (30, 31, 32, 33)]
    for agent in planned:
        tape.agent_frame(agent)
    tape.caller_frame(sound(40))  # the caller talks over the first frame...
    tape.agent_cleared()  # ...and the agent stops: Twilio drops the other three
    answer = sound(41)
    tape.agent_frame(answer)
    tape.caller_frame(silence(0.02))
    tape.caller_frame(silence(0.02))
    recording = await tape.save()

    _, right, _ = legs(recording)
    assert [f.tolist() for f in frames(right)] == [
        decoded(planned[0]).tolist(),
        decoded(answer).tolist(),
        SILENT.tolist(),
    ]


async def test_agent_audio_still_queued_when_the_call_ends_is_left_out(media_root, call):
    tape = tape_of(call)
    tape.agent_frame(sound(50))
    tape.agent_frame(sound(51))
    tape.caller_frame(silence(0.02))
    recording = await tape.save()

    _, right, params = legs(recording)
    assert params.nframes == FRAME, "the tape is as long as the caller was on the line"
    assert np.array_equal(right, decoded(sound(50)))


async def test_a_15_minute_call_is_taped_to_disk_not_kept_in_memory(media_root, call):
    tape = tape_of(call)
    caller, agent = sound(60), sound(61)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(15 * 60 * 50):
            tape.agent_frame(agent)
            tape.caller_frame(caller)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    recording = await tape.save()

    assert recording.duration_s == 900.0
    assert recording.audio.size == 44 + 900 * 8000 * 2 * 2  # 28.8 MB of stereo 16-bit PCM...
    assert peak - before < 512 * 1024, f"...while the call held {peak - before} bytes"


async def test_a_call_that_sent_no_audio_has_no_recording(media_root, call):
    tape = tape_of(call)
    tape.agent_frame(sound(70))
    assert await tape.save() is None
    assert not await database_sync_to_async(CallRecording.objects.exists)()


async def test_saving_twice_files_one_recording(media_root, call):
    tape = tape_of(call)
    tape.caller_frame(sound(80))
    assert await tape.save() is not None
    tape.caller_frame(sound(81))  # a frame arriving after the end changes nothing
    assert await tape.save() is None
    assert await database_sync_to_async(CallRecording.objects.count)() == 1


def test_with_recording_off_there_is_no_tape(settings, call):
    assert tape_for_call(call.pk, call.call_sid, recording=False) is None


def test_without_a_temporary_directory_the_call_is_not_recorded(media_root, call, monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-directory"))
    assert tape_for_call(call.pk, call.call_sid, recording=True) is None
    assert "not recorded" in caplog.text


# --- through the real consumer ----------------------------------------------------------------


async def greeted(caller):
    """Everything the agent sent so far has played."""
    await caller.wait_for(lambda: caller.marks and not caller.is_playing, timeout=15)


async def stored_recording(call_sid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = await database_sync_to_async(
            lambda: CallRecording.objects.filter(call__call_sid=call_sid).first()
        )()
        if recording is not None:
            return recording
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no recording of {call_sid} after {timeout} s")


def agent_frames(audio):
    """The agent's frames that carry sound (pauses between sentences fall where playback put them)."""
    return [f for f in frames(audio) if f.any()]


async def test_a_recorded_call_keeps_both_legs_as_the_caller_heard_them(
    media_root, make_caller, openai, staff_groups, manager, signed_in
):
    openai.script(text("Sure, I can help with an oil change."))
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    greeting_played = len(caller.played)
    marks_before = len(caller.marks)
    utterance = spoken("I need an oil change")
    await caller.say(utterance + silence(0.5))
    await caller.wait_for(lambda: len(caller.marks) > marks_before and not caller.is_playing, timeout=15)
    await asyncio.sleep(0.3)
    await caller.hang_up()
    frames_sent = caller._chunk  # every 20 ms media frame the fake Twilio sent, silence included

    recording = await stored_recording(caller.call_sid)
    left, right, params = legs(recording)
    assert (params.nchannels, params.sampwidth, params.framerate) == (2, 2, 8000)
    assert frames_sent - 1 <= params.nframes / FRAME <= frames_sent  # the last one may cross the hang-up
    assert recording.duration_s == pytest.approx(params.nframes / 8000)

    # Left: the caller's words where they said them, silence elsewhere.
    said_at = int(np.flatnonzero(left)[0]) // FRAME * FRAME
    assert np.array_equal(left[said_at : said_at + len(utterance)], decoded(utterance))
    assert not left[:said_at].any() and not left[said_at + len(utterance) :].any()

    # Right: everything the caller heard of the agent, in order: the greeting before they spoke,
    # the answer after.
    heard = decoded(bytes(caller.played))
    assert len(agent_frames(right)) == len(agent_frames(heard)) > 0
    assert all(np.array_equal(a, b) for a, b in zip(agent_frames(right), agent_frames(heard)))
    greeting_frames = len(agent_frames(decoded(bytes(caller.played[:greeting_played]))))
    sounding = [i for i, f in enumerate(frames(right)) if f.any()]
    assert sounding[greeting_frames - 1] * FRAME < said_at
    assert sounding[greeting_frames] * FRAME >= said_at + len(utterance)

    def player_page():
        client = signed_in(manager)
        page = client.get(reverse("call_pages:detail", args=[caller.call_sid])).text
        audio = client.get(reverse("call_pages:audio", args=[caller.call_sid]))
        return page, audio["Content-Type"], b"".join(audio.streaming_content)

    page, content_type, audio = await database_sync_to_async(player_page)()
    assert f'<audio controls preload="metadata" src="{reverse("call_pages:audio", args=[caller.call_sid])}">' in page
    assert content_type == "audio/wav" and audio[:4] == b"RIFF" and len(audio) == 44 + params.nframes * 4


async def test_with_recording_off_nothing_is_kept(settings, tmp_path, make_caller):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECORDING_ENABLED = False
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    await caller.say(spoken("I need an oil change"))
    await caller.hang_up()
    await asyncio.sleep(0.3)

    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.ended_at is not None
    assert not await database_sync_to_async(CallRecording.objects.exists)()
    assert not (tmp_path / "media").exists()


async def test_a_failing_storage_loses_the_recording_not_the_call(settings, tmp_path, make_caller, customer, caplog):
    settings.RECORDING_ENABLED = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.write_text("a file where the recordings folder should be")
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    await caller.hang_up()

    await caller.wait_for(lambda: "the recording could not be saved" in caplog.text, timeout=10)
    call = await database_sync_to_async(Call.objects.get)(call_sid=caller.call_sid)
    assert call.ended_at is not None
    assert (call.outcome, call.end_reason, call.customer_id) == ("abandoned", "caller_hung_up", customer.pk)
    assert not await database_sync_to_async(CallRecording.objects.exists)()
