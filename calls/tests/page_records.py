"""Call records for the page tests: calls as the recorder leaves them, made in bulk."""

import itertools
from datetime import timedelta

from django.utils import timezone

from calls.models import Call, CallEvent, ToolInvocation, Turn, TurnLatency

_numbers = itertools.count(1)


def make_call(
    *,
    started_at=None,
    from_number="+13125550147",
    customer=None,
    outcome=Call.Outcome.INFO,
    status=Call.Status.COMPLETED,
    seconds=95,
    transferred=False,
    interruptions=0,
    voice_to_voice=(800.0, 1000.0, 1400.0),
    ended=True,
    **fields,
):
    started_at = started_at or timezone.now() - timedelta(hours=1)
    call = Call.objects.create(
        call_sid=f"CA{next(_numbers):032x}",
        from_number=from_number,
        to_number="+13125550100",
        customer=customer,
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=seconds) if ended else None,
        status=status,
        outcome=outcome if ended else "",
        duration_s=seconds if ended else None,
        transferred=transferred,
        interrupted=interruptions > 0,
        interruption_count=interruptions,
        **fields,
    )
    TurnLatency.objects.bulk_create(
        [
            TurnLatency(
                call=call,
                turn_index=2 * n + 1,
                stt_final_ms=200.0,
                llm_first_token_ms=v * 0.45,
                tts_first_byte_ms=v * 0.2,
                first_audio_ms=v * 0.35 - 200.0,
                voice_to_voice_ms=v,
                at=started_at + timedelta(seconds=10 * (n + 1)),
            )
            for n, v in enumerate(voice_to_voice)
        ]
    )
    return call


def add_conversation(call):
    """A short conversation with a tool call and an interrupted agent turn."""
    t0 = call.started_at
    Turn.objects.bulk_create(
        [
            Turn(
                call=call,
                index=0,
                role=Turn.Role.AGENT,
                text="Hi Dana, thanks for calling Otto's Auto Repair.",
                heard_text="Hi Dana, thanks for calling Otto's Auto Repair.",
                started_at=t0,
                ended_at=t0 + timedelta(seconds=3),
            ),
            Turn(
                call=call,
                index=1,
                role=Turn.Role.CALLER,
                text="When can you fit me in for an oil change?",
                started_at=t0 + timedelta(seconds=4),
                ended_at=t0 + timedelta(seconds=7),
            ),
            Turn(
                call=call,
                index=2,
                role=Turn.Role.AGENT,
                text="We have Tuesday at nine in the morning. We also have Wednesday at ten thirty.",
                heard_text="We have Tuesday at nine in the morning.",
                interrupted=True,
                started_at=t0 + timedelta(seconds=9),
                ended_at=t0 + timedelta(seconds=12),
            ),
            Turn(
                call=call,
                index=3,
                role=Turn.Role.CALLER,
                text="Actually Wednesday works",
                started_at=t0 + timedelta(seconds=12),
                ended_at=t0 + timedelta(seconds=14),
            ),
        ]
    )
    ToolInvocation.objects.create(
        call=call,
        name="get_available_slots",
        arguments='{"service": "Oil change", "day": "2030-03-05"}',
        result='{"slots": ["2030-03-05T09:00", "2030-03-06T10:30"]}',
        ok=True,
        duration_ms=42.5,
        at=t0 + timedelta(seconds=8),
    )
    CallEvent.objects.create(
        call=call,
        kind="vendor_error",
        data={"vendor": "deepgram", "stage": "tts", "message": "HTTP 503"},
        at=t0 + timedelta(seconds=10),
    )
    return call


def ensure_staff_groups():
    """Transactional tests empty every table between tests, the staff groups made by the
    migrations included; the persona fixtures need them back."""
    from django.contrib.auth.models import Group

    from calls.pages.access import CALL_READERS

    for name in CALL_READERS:
        Group.objects.get_or_create(name=name)
