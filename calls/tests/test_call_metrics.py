"""What a call's recorder reports shows up at /metrics: active calls, turns, voice-to-voice,
failed tools, vendor errors, failovers and reconnects."""

import time

import pytest
from django.test import AsyncClient
from prometheus_client import REGISTRY

from calls.models import Call
from calls.transcript_log import CallRecorder

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def figures():
    return {
        "active": sample("ottos_active_calls"),
        "caller_turns": sample("ottos_call_turns_total", role="user"),
        "agent_turns": sample("ottos_call_turns_total", role="assistant"),
        "replies": sample("ottos_voice_to_voice_seconds_count"),
        "slow_replies": sample("ottos_voice_to_voice_seconds_count")
        - sample("ottos_voice_to_voice_seconds_bucket", le="1.5"),
        "booking_failures": sample("ottos_tool_errors_total", tool="book_appointment"),
        "slot_failures": sample("ottos_tool_errors_total", tool="get_available_slots"),
        "openai_errors": sample("ottos_vendor_errors_total", vendor="openai"),
        "deepgram_reconnects": sample("ottos_vendor_reconnects_total", vendor="deepgram"),
        "deepgram_errors": sample("ottos_vendor_errors_total", vendor="deepgram"),
        "openai_failovers": sample("ottos_vendor_failovers_total", engine="brain", vendor="openai"),
        "deepgram_tts_failovers": sample("ottos_vendor_failovers_total", engine="tts", vendor="deepgram"),
    }


async def test_a_calls_recorder_feeds_the_metrics():
    call = await Call.objects.acreate(call_sid="CA" + "e5" * 16, from_number="+13125550147")
    before = figures()
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid)
    recorder.start()
    assert figures()["active"] == before["active"] + 1

    now = time.monotonic()
    recorder.turn(
        role="assistant",
        text="Otto's, how can I help?",
        heard_text="Otto's, how can I help?",
        interrupted=False,
        started_at=now - 6,
        ended_at=now - 5,
    )
    recorder.turn(
        role="user", text="Book me in", heard_text="", interrupted=False, started_at=now - 4, ended_at=now - 3
    )
    recorder.latency(
        speech_end=now - 3,
        stt_final=now - 2.8,
        llm_first_token=now - 2.4,
        tts_first_byte=now - 2.2,
        first_audio_sent=now - 2.15,
    )  # 850 ms
    recorder.latency(
        speech_end=now - 2, stt_final=now - 1.7, llm_first_token=None, tts_first_byte=None, first_audio_sent=now
    )  # 2 s
    recorder.tool(name="get_available_slots", arguments="{}", result="{}", ok=True, duration_ms=30.0)
    recorder.tool(name="book_appointment", arguments="{}", result='{"error": "slot_taken"}', ok=False, duration_ms=50.0)
    recorder.event("vendor_error", vendor="openai", stage="brain", message="HTTP 503")
    recorder.event("reconnect", vendor="deepgram", attempts=1)
    recorder.event("filler", turn=1, text="One moment.")

    scraped = (await AsyncClient().get("/metrics")).content.decode()
    await recorder.close()
    after = figures()

    assert after["active"] == before["active"]
    assert f"ottos_active_calls {before['active'] + 1}" in scraped
    assert after["caller_turns"] == before["caller_turns"] + 1
    assert after["agent_turns"] == before["agent_turns"] + 1
    assert after["replies"] == before["replies"] + 2
    assert after["slow_replies"] == before["slow_replies"] + 1
    assert after["booking_failures"] == before["booking_failures"] + 1
    assert after["slot_failures"] == before["slot_failures"]
    assert after["openai_errors"] == before["openai_errors"] + 1
    assert after["deepgram_reconnects"] == before["deepgram_reconnects"] + 1


async def test_a_vendor_replaced_by_the_offline_engine_counts_as_its_error_and_as_a_failover():
    """With VOICE_FAILOVER on the caller never hears the vendor fail; the figures must still show it."""
    call = await Call.objects.acreate(call_sid="CA" + "f6" * 16, from_number="+13125550147")
    before = figures()
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid)
    recorder.start()
    recorder.event("failover", engine="brain", vendor="openai", to="scripted", error="openai: HTTP 503")
    recorder.event("failover", engine="tts", vendor="deepgram", to="piper", error="deepgram: HTTP 500")
    await recorder.close()
    after = figures()
    assert after["openai_errors"] == before["openai_errors"] + 1
    assert after["openai_failovers"] == before["openai_failovers"] + 1
    assert after["deepgram_errors"] == before["deepgram_errors"] + 1
    assert after["deepgram_tts_failovers"] == before["deepgram_tts_failovers"] + 1
