"""What the caller heard (marks and clear), and 20 ms framing paced ahead of real time."""

import asyncio
import time

from calls.voice.pacing import FRAME_BYTES, Framer, Pacer
from calls.voice.playout import Playout


def playout_with(*names):
    playout = Playout()
    for name in names:
        playout.sent(name, f"text of {name}", 1600, at=0.0)
    return playout


def test_a_segment_is_heard_when_its_mark_comes_back():
    playout = playout_with("t1-s1", "t1-s2")
    assert playout.speaking
    assert playout.on_mark("t1-s1", at=1.0) is True
    assert playout.heard("t1-s1") and not playout.heard("t1-s2")
    assert playout.pending_names == ["t1-s2"]
    assert playout.on_mark("t1-s2", at=2.0) is True
    assert not playout.speaking


def test_marks_echoed_after_a_clear_were_flushed_not_heard():
    playout = playout_with("t1-s1", "t1-s2", "t1-s3")
    playout.on_mark("t1-s1", at=1.0)
    assert playout.clear() == ["t1-s2", "t1-s3"]
    assert not playout.speaking
    assert playout.on_mark("t1-s2", at=1.1) is False
    assert playout.on_mark("t1-s3", at=1.1) is False
    assert [playout.heard(n) for n in ("t1-s1", "t1-s2", "t1-s3")] == [True, False, False]


def test_segments_sent_after_a_clear_are_tracked_normally_even_if_old_echoes_arrive_late():
    playout = playout_with("t1-s1", "t1-s2")
    playout.clear()
    playout.sent("t2-s1", "new answer", 800, at=1.0)
    assert playout.on_mark("t1-s1", at=1.1) is False  # a late echo of the flushed audio
    assert playout.speaking
    assert playout.on_mark("t2-s1", at=1.2) is True


def test_an_echo_proves_everything_sent_before_it_was_played():
    playout = playout_with("t1-s1", "t1-s2", "t1-s3")
    playout.on_mark("t1-s2", at=1.0)  # the echo of s1 was lost
    assert playout.heard("t1-s1") and playout.heard("t1-s2")
    assert playout.pending_names == ["t1-s3"]


def test_an_unknown_mark_is_ignored():
    playout = playout_with("t1-s1")
    assert playout.on_mark("nonsense", at=1.0) is False
    assert playout.pending_names == ["t1-s1"]


async def test_waiting_for_playout_ends_when_the_last_mark_comes_back():
    playout = playout_with("t1-s1")
    asyncio.get_running_loop().call_later(0.05, playout.on_mark, "t1-s1", 1.0)
    assert await playout.wait_idle(1.0) is True
    playout.sent("t2-s1", "never echoed", 160, at=2.0)
    assert await playout.wait_idle(0.05) is False


def test_the_framer_makes_whole_20_ms_frames_and_pads_the_tail_with_silence():
    framer = Framer()
    frames = framer.feed(b"\x01" * 100) + framer.feed(b"\x02" * 300) + framer.flush()
    assert [len(frame) for frame in frames] == [FRAME_BYTES] * 3
    assert b"".join(frames)[:400] == b"\x01" * 100 + b"\x02" * 300
    assert frames[-1][80:] == b"\xff" * 80
    assert framer.flush() == []


async def test_the_pacer_keeps_a_little_audio_queued_and_never_the_whole_reply():
    pacer = Pacer(high_s=0.1, low_s=0.05)
    started = time.monotonic()
    most_queued = 0.0
    for _ in range(25):  # half a second of audio
        await pacer.room()
        pacer.sent(FRAME_BYTES)
        most_queued = max(most_queued, pacer.queued_s())
    elapsed = time.monotonic() - started
    assert most_queued <= 0.1 + 1e-6
    assert 0.38 <= elapsed <= 0.48  # real time, minus the head start


async def test_after_a_clear_the_pacer_sends_the_next_reply_at_once():
    pacer = Pacer(high_s=0.2, low_s=0.1)
    for _ in range(10):
        pacer.sent(FRAME_BYTES)
    pacer.cleared()
    started = time.monotonic()
    await pacer.room()
    assert time.monotonic() - started < 0.01
