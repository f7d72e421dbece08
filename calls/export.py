"""Calls as spreadsheet rows: the one layout of both CSV exports, the `export_calls` command and
the call list's download (calls/pages/call_list.py), so a sheet reads the same whichever made it."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .costs import Prices, call_cost, usage_of
from .models import Turn

COLUMNS = [
    "started_at",
    "call_sid",
    "caller",
    "customer",
    "customer_phone",
    "status",
    "outcome",
    "duration_s",
    "transferred",
    "interrupted",
    "interruptions",
    "turns",
    "median_voice_to_voice_ms",
    "end_reason",
    "summary",
    # What the call cost (calls/costs.py), in US dollars; empty where it is not known.
    "cost_usd",
    "openai_usd",
    "deepgram_usd",
    "twilio_usd",
    "openai_input_tokens",
    "openai_output_tokens",
    "stt_deepgram_s",
    "stt_offline_s",
    "tts_deepgram_chars",
    "tts_offline_chars",
]


def for_export(calls):
    """`calls` with what a row needs, in the same query: the customer, the usage, the number of turns.
    The median voice-to-voice comes from calls.pages.listing.with_figures, as on the pages."""
    turns = Turn.objects.filter(call=OuterRef("pk")).order_by().values("call").annotate(n=Count("pk")).values("n")
    return calls.select_related("customer", "usage").annotate(
        turn_count=Coalesce(Subquery(turns, output_field=IntegerField()), 0)
    )


def call_row(call, prices=None):
    """One call (from `for_export` and `with_figures`) as a row of COLUMNS."""
    customer = call.customer
    cost, usage = call_cost(call, prices or Prices.from_settings()), usage_of(call)
    return [
        timezone.localtime(call.started_at).isoformat(timespec="seconds"),
        call.call_sid,
        call.from_number,
        _text(customer.name) if customer else "",
        customer.phone if customer else "",
        call.status,
        call.outcome,
        "" if call.duration_s is None else call.duration_s,
        "yes" if call.transferred else "no",
        "yes" if call.interrupted else "no",
        call.interruption_count,
        call.turn_count,
        "" if call.median_v2v_ms is None else round(call.median_v2v_ms),
        call.end_reason,
        _text(call.summary),
        _dollars(cost.total),
        *(_dollars(cost.by_vendor(vendor)) for vendor in ("openai", "deepgram", "twilio")),
        *(
            ("",) * 6
            if usage is None
            else (
                usage.openai_prompt_tokens,
                usage.openai_completion_tokens,
                round(usage.stt_deepgram_s, 1),
                round(usage.stt_offline_s, 1),
                usage.tts_deepgram_chars,
                usage.tts_offline_chars,
            )
        ),
    ]


def _dollars(amount):
    return "" if amount is None else f"{amount:.4f}"


def _text(value):
    """Free text that a spreadsheet must not run as a formula (a caller can say anything)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
