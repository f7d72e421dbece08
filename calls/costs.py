"""What a call cost: its usage (calls.models.CallUsage, counted by the voice loop) at the list
prices in settings, and Twilio's minutes from the call's length.

One formula, twice: `call_cost()` for one call (its page, its CSV row) and `cost_expression()` for
the database to add up (the dashboard). A figure the system cannot know is None, shown as
"unknown" and never as 0: no usage recorded (a call still going, or one that never reached the
agent), no duration yet (the caller is still with an advisor), or an OpenAI-compatible server
that did not report its tokens.

Twilio bills each started minute, of the call and of its media stream; the vendors bill what was
sent (seconds of audio, characters, tokens). Offline engines cost nothing.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, F, FloatField, Value, When
from django.db.models.functions import Cast, Ceil, Coalesce


@dataclass(frozen=True)
class Prices:
    openai_input_per_1m_tokens: float
    openai_output_per_1m_tokens: float
    deepgram_stt_per_minute: float
    deepgram_tts_per_1k_characters: float
    twilio_voice_per_minute: float
    twilio_stream_per_minute: float
    twilio_outbound_per_minute: float = 0.0

    @classmethod
    def from_settings(cls):
        return cls(
            openai_input_per_1m_tokens=settings.PRICE_OPENAI_INPUT_PER_1M_TOKENS,
            openai_output_per_1m_tokens=settings.PRICE_OPENAI_OUTPUT_PER_1M_TOKENS,
            deepgram_stt_per_minute=settings.PRICE_DEEPGRAM_STT_PER_MINUTE,
            deepgram_tts_per_1k_characters=settings.PRICE_DEEPGRAM_TTS_PER_1K_CHARACTERS,
            twilio_voice_per_minute=settings.PRICE_TWILIO_VOICE_PER_MINUTE,
            twilio_stream_per_minute=settings.PRICE_TWILIO_STREAM_PER_MINUTE,
            twilio_outbound_per_minute=settings.PRICE_TWILIO_OUTBOUND_PER_MINUTE,
        )


@dataclass(frozen=True)
class CostLine:
    vendor: str  # "openai" | "deepgram" | "twilio" | "offline"
    label: str
    quantity: str  # what was used, in words
    amount: float | None  # US dollars; None: unknown

    @property
    def amount_label(self):
        return dollars(self.amount)


@dataclass(frozen=True)
class CallCost:
    lines: tuple

    @property
    def total(self):
        """The whole cost, or None if any part of it is unknown."""
        amounts = [line.amount for line in self.lines]
        return None if None in amounts else sum(amounts)

    @property
    def known(self):
        """What the parts that are known add up to (the least the call cost)."""
        return sum(line.amount for line in self.lines if line.amount is not None)

    @property
    def total_label(self):
        total = self.total
        if total is None and self.known:
            return f"unknown (at least {dollars(self.known)})"
        return dollars(total)

    def by_vendor(self, vendor):
        """What `vendor` charged for the call; None if unknown (the engines' use was not recorded)."""
        amounts = [line.amount for line in self.lines if line.vendor in (vendor, "unknown")]
        return None if None in amounts else sum(amounts)


def usage_of(call):
    """The call's CallUsage, or None (select_related("usage") saves the query)."""
    try:
        return call.usage
    except ObjectDoesNotExist:
        return None


def started_minutes(seconds):
    return math.ceil(seconds / 60)


def call_cost(call, prices=None):
    prices = prices or Prices.from_settings()
    usage = usage_of(call)
    lines = []
    if usage is None:
        lines.append(CostLine("unknown", "Speech and language engines", "not recorded", None))
    else:
        lines.extend(_engine_lines(usage, prices))
    if call.duration_s is None:
        lines.append(CostLine("twilio", "Twilio voice", "call length not known yet", None))
    else:
        minutes = started_minutes(call.duration_s)
        lines.append(
            CostLine("twilio", "Twilio voice", _count(minutes, "minute"), minutes * prices.twilio_voice_per_minute)
        )
    if usage is not None:
        minutes = started_minutes(usage.stream_s)
        lines.append(
            CostLine(
                "twilio", "Twilio Media Streams", _count(minutes, "minute"), minutes * prices.twilio_stream_per_minute
            )
        )
    if call.advisor_leg_s:
        minutes = started_minutes(call.advisor_leg_s)
        lines.append(
            CostLine(
                "twilio",
                "Twilio transfer to an advisor",
                _count(minutes, "minute"),
                minutes * prices.twilio_outbound_per_minute,
            )
        )
    elif call.advisor_leg_s is None and call.handover == call.Handover.ADVISOR:
        lines.append(CostLine("twilio", "Twilio transfer to an advisor", "transfer not over yet", None))
    return CallCost(tuple(lines))


def _engine_lines(usage, prices):
    lines = []
    if usage.openai_rounds:
        tokens = (
            f"{usage.openai_prompt_tokens:,} input + {usage.openai_completion_tokens:,} output tokens, "
            f"{_count(usage.openai_rounds, 'request')}"
        )
        amount = (
            usage.openai_prompt_tokens * prices.openai_input_per_1m_tokens
            + usage.openai_completion_tokens * prices.openai_output_per_1m_tokens
        ) / 1_000_000
        if usage.openai_unreported_rounds:
            tokens += f" ({usage.openai_unreported_rounds} without usage from the server)"
            amount = None
        lines.append(CostLine("openai", f"OpenAI {usage.llm_models}".strip(), tokens, amount))
    if usage.offline_brain_rounds:
        lines.append(CostLine("offline", "Scripted receptionist", _count(usage.offline_brain_rounds, "round"), 0.0))
    if usage.stt_deepgram_s:
        lines.append(
            CostLine(
                "deepgram",
                "Deepgram speech-to-text",
                _seconds(usage.stt_deepgram_s),
                usage.stt_deepgram_s / 60 * prices.deepgram_stt_per_minute,
            )
        )
    if usage.stt_offline_s:
        lines.append(CostLine("offline", "Offline speech-to-text", _seconds(usage.stt_offline_s), 0.0))
    if usage.tts_deepgram_chars:
        lines.append(
            CostLine(
                "deepgram",
                "Deepgram text-to-speech",
                _count(usage.tts_deepgram_chars, "character"),
                usage.tts_deepgram_chars / 1000 * prices.deepgram_tts_per_1k_characters,
            )
        )
    if usage.tts_offline_chars:
        lines.append(CostLine("offline", "Offline text-to-speech", _count(usage.tts_offline_chars, "character"), 0.0))
    return lines


def cost_expression(prices=None):
    """The same cost as `call_cost(call).total`, for the database: NULL where it is unknown."""
    prices = prices or Prices.from_settings()

    def price(value):
        return Value(float(value), output_field=FloatField())

    def minutes(field):
        return Ceil(Cast(F(field), FloatField()) / price(60))

    engines = (
        Cast(F("usage__openai_prompt_tokens"), FloatField()) * price(prices.openai_input_per_1m_tokens / 1_000_000)
        + Cast(F("usage__openai_completion_tokens"), FloatField())
        * price(prices.openai_output_per_1m_tokens / 1_000_000)
        + F("usage__stt_deepgram_s") * price(prices.deepgram_stt_per_minute / 60)
        + Cast(F("usage__tts_deepgram_chars"), FloatField()) * price(prices.deepgram_tts_per_1k_characters / 1000)
        + minutes("usage__stream_s") * price(prices.twilio_stream_per_minute)
    )
    advisor_leg = Coalesce(minutes("advisor_leg_s"), price(0)) * price(prices.twilio_outbound_per_minute)
    total = engines + minutes("duration_s") * price(prices.twilio_voice_per_minute) + advisor_leg
    # NULL when the usage row or the duration is missing (the sum is), the tokens went unreported,
    # or a transfer to an advisor has not reported its length yet.
    unknown = Value(None, output_field=FloatField())
    return Case(
        When(usage__openai_unreported_rounds__gt=0, then=unknown),
        When(handover="advisor", advisor_leg_s__isnull=True, then=unknown),
        default=total,
        output_field=FloatField(),
    )


def dollars(amount):
    """US dollars for people: "unknown" for None, cents kept on the small sums a call costs."""
    if amount is None:
        return "unknown"
    if amount == 0:
        return "$0"
    return f"${amount:,.4f}" if amount < 1 else f"${amount:,.2f}"


def _count(n, unit):
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def _seconds(seconds):
    return f"{seconds:,.1f} s of audio"
