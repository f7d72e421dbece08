"""The call recorder writes turns, tool calls, latencies and events off the audio path, and a
database that fails or hangs never stalls or ends the call."""

import asyncio
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from calls.agent.outcome import CallOutcome
from calls.models import Call, CallEvent, ToolInvocation, Turn, TurnLatency
from calls.transcript_log import LIVE_CALLS_GROUP, CallRecorder, call_group

pytestmark = pytest.mark.django_db(transaction=True)

CALL_SID = "CA" + "d4" * 16


@pytest.fixture
def call(db):
    return Call.objects.create(call_sid=CALL_SID, from_number="+13125550147", to_number="+13125550100")


def recorder_for(call):
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid, outcome=CallOutcome())
    recorder.start()
    return recorder


def a_conversation(recorder):
    now = time.monotonic()
    recorder.turn(
        role="assistant",
        text="Hi Dana, thanks for calling.",
        heard_text="Hi Dana, thanks for calling.",
        interrupted=False,
        started_at=now - 5,
        ended_at=now - 4,
    )
    recorder.turn(
        role="user",
        text="I need an oil change.",
        heard_text="",
        interrupted=False,
        started_at=now - 3.5,
        ended_at=now - 2,
    )
    recorder.latency(
        speech_end=now - 2,
        stt_final=now - 1.7,
        llm_first_token=now - 1.35,
        tts_first_byte=now - 1.1,
        first_audio_sent=now - 1.09,
    )
    recorder.tool(
        name="get_available_slots",
        arguments='{"service": "Oil change"}',
        result='{"slots": []}',
        ok=True,
        duration_ms=41.5,
    )
    recorder.turn(
        role="assistant",
        text="I have Tuesday at nine. Or Wednesday at ten.",
        heard_text="I have Tuesday at nine.",
        interrupted=True,
        started_at=now - 1,
        ended_at=now,
    )
    recorder.event("reconnect", vendor="deepgram", gap_ms=180)


async def test_it_writes_the_conversation_in_order(call):
    recorder = recorder_for(call)
    a_conversation(recorder)
    await recorder.close()

    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call).order_by("index")))()
    assert [(t.index, t.role, t.interrupted) for t in turns] == [
        (0, "assistant", False),
        (1, "user", False),
        (2, "assistant", True),
    ]
    assert turns[2].heard_text == "I have Tuesday at nine."
    assert turns[0].started_at < turns[1].started_at < turns[2].ended_at
    latency = await database_sync_to_async(TurnLatency.objects.get)(call=call)
    assert latency.turn_index == 1
    assert latency.stt_final_ms == pytest.approx(300, abs=1)
    assert latency.llm_first_token_ms == pytest.approx(350, abs=1)
    assert latency.voice_to_voice_ms == pytest.approx(910, abs=1)
    tool = await database_sync_to_async(ToolInvocation.objects.get)(call=call)
    assert (tool.name, tool.ok, tool.duration_ms) == ("get_available_slots", True, 41.5)
    event = await database_sync_to_async(CallEvent.objects.get)(call=call)
    assert (event.kind, event.data) == ("reconnect", {"vendor": "deepgram", "gap_ms": 180})
    outcome = recorder.outcome
    assert (outcome.caller_turns, outcome.interruptions, outcome.first_caller_text) == (1, 1, "I need an oil change.")


async def test_it_publishes_live_events_for_other_processes(call):
    layer = get_channel_layer()
    call_channel = await layer.new_channel()
    all_calls_channel = await layer.new_channel()
    await layer.group_add(call_group(CALL_SID), call_channel)
    await layer.group_add(LIVE_CALLS_GROUP, all_calls_channel)
    try:
        recorder = recorder_for(call)
        a_conversation(recorder)
        await recorder.close()
        kinds = []
        for _ in range(6):
            message = await asyncio.wait_for(layer.receive(call_channel), 2)
            assert (message["type"], message["call_sid"]) == ("call.event", CALL_SID)
            kinds.append(message["kind"])
        assert kinds == ["turn", "turn", "latency", "tool", "turn", "reconnect"]
        first = await asyncio.wait_for(layer.receive(all_calls_channel), 2)
        assert first["data"]["text"] == "Hi Dana, thanks for calling."
    finally:
        await layer.group_discard(call_group(CALL_SID), call_channel)
        await layer.group_discard(LIVE_CALLS_GROUP, all_calls_channel)


async def test_a_failing_database_is_logged_and_the_call_goes_on(call, caplog):
    recorder = recorder_for(call)
    # The call's row disappears under the recorder: every write now violates its foreign key.
    await database_sync_to_async(Call.objects.filter(pk=call.pk).delete)()
    a_conversation(recorder)
    recorder.event("ended", reason="caller_hung_up")
    await recorder.close(timeout=5)
    assert "could not be saved" in caplog.text
    assert not await database_sync_to_async(Turn.objects.exists)()


async def test_one_unsavable_record_does_not_lose_the_others(call, caplog):
    recorder = recorder_for(call)
    now = time.monotonic()
    recorder.turn(role="user", text="Hello?", heard_text="", interrupted=False, started_at=now, ended_at=now)
    recorder.turn(role="user", text="bad \x00 byte", heard_text="", interrupted=False, started_at=now, ended_at=now)
    recorder.turn(
        role="assistant", text="Hi there.", heard_text="Hi there.", interrupted=False, started_at=now, ended_at=now
    )
    await recorder.close()
    texts = await database_sync_to_async(lambda: list(Turn.objects.order_by("index").values_list("text", flat=True)))()
    assert texts == ["Hello?", "Hi there."]
    assert "1 call records could not be saved" in caplog.text


async def test_a_hung_database_never_blocks_the_audio_loop(call):
    """Another session holds a lock on the turns table: writes hang, recording calls do not."""
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("LOCK TABLE calls_turn IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(5)
    try:
        recorder = recorder_for(call)
        for _second in range(200):
            a_conversation(recorder)  # returns at once: nothing here waits for the database
        await asyncio.sleep(0.3)
        assert not await database_sync_to_async(CallEvent.objects.exists)()  # stuck behind the turns
        started = time.monotonic()
        await recorder.close(timeout=0.5)
        assert time.monotonic() - started < 2
    finally:
        release.set()
        holder.join()
