"""What a call cost, priced from its usage at the settings' prices: on the call page, in the CSV
and on the dashboard (in all, per call, per booking). A cost the system cannot know stays unknown."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.costs import Prices, call_cost
from calls.models import Call, CallUsage
from calls.pages.figures import Period, cost_figures

from .page_records import make_call

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("call_pages:dashboard")


@pytest.fixture
def manager_client(signed_in, manager):
    return signed_in(manager)


@pytest.fixture(autouse=True)
def prices(settings):
    """Round prices so the sums are easy to check by hand."""
    settings.PRICE_OPENAI_INPUT_PER_1M_TOKENS = 1.0
    settings.PRICE_OPENAI_OUTPUT_PER_1M_TOKENS = 4.0
    settings.PRICE_DEEPGRAM_STT_PER_MINUTE = 0.01
    settings.PRICE_DEEPGRAM_TTS_PER_1K_CHARACTERS = 0.03
    settings.PRICE_TWILIO_VOICE_PER_MINUTE = 0.01
    settings.PRICE_TWILIO_STREAM_PER_MINUTE = 0.005
    settings.PRICE_TWILIO_OUTBOUND_PER_MINUTE = 0.02


def with_usage(call, **figures):
    defaults = dict(
        stream_s=90.0,
        llm_models="gpt-4.1-mini",
        openai_prompt_tokens=100_000,
        openai_completion_tokens=2_500,
        openai_rounds=6,
        stt_deepgram_s=60.0,
        stt_offline_s=0.0,
        tts_deepgram_chars=1000,
        tts_offline_chars=0,
    )
    CallUsage.objects.create(call=call, **{**defaults, **figures})
    return call


# 100k input tokens $0.10 + 2.5k output $0.01 + 60 s Deepgram STT $0.01 + 1000 characters $0.03
# + 95 s of call (2 started minutes) $0.02 + 90 s of stream (2 minutes) $0.01
PRICED = 0.18


def detail(client, call):
    return client.get(reverse("call_pages:detail", args=[call.call_sid])).text


def test_the_call_page_shows_the_cost_line_by_line(manager_client):
    call = with_usage(make_call(seconds=95))
    page = detail(manager_client, call)
    assert "Cost" in page
    assert "100,000 input + 2,500 output tokens" in page and "$0.1100" in page
    assert "Deepgram speech-to-text" in page and "60.0 s of audio" in page and "$0.0100" in page
    assert "Deepgram text-to-speech" in page and "1,000 characters" in page and "$0.0300" in page
    assert "Twilio voice" in page and "2 minutes" in page and "$0.0200" in page
    assert "Twilio Media Streams" in page
    assert '<td class="cost-total">$0.1800</td>' in page
    assert call_cost(call).total == pytest.approx(PRICED)


def test_offline_engines_are_shown_at_no_cost(manager_client):
    call = with_usage(
        make_call(seconds=30),
        openai_prompt_tokens=0,
        openai_completion_tokens=0,
        openai_rounds=0,
        offline_brain_rounds=3,
        stt_deepgram_s=0.0,
        stt_offline_s=20.0,
        tts_deepgram_chars=0,
        tts_offline_chars=250,
        stream_s=30.0,
    )
    cost = call_cost(call)
    assert cost.total == pytest.approx(0.01 + 0.005)  # Twilio alone: one minute of call and of stream
    page = detail(manager_client, call)
    assert "Scripted receptionist" in page and "Offline speech-to-text" in page and "250 characters" in page


def test_a_call_without_usage_or_duration_has_an_unknown_cost_not_zero(manager_client):
    no_usage = make_call(seconds=95)
    assert call_cost(no_usage).total is None
    assert "unknown (at least $0.0200)" in detail(manager_client, no_usage)  # the Twilio minutes are known

    with_advisor = with_usage(make_call(seconds=95))
    Call.objects.filter(pk=with_advisor.pk).update(duration_s=None)  # Twilio has not said how long yet
    with_advisor.refresh_from_db()
    assert call_cost(with_advisor).total is None
    assert "call length not known yet" in detail(manager_client, with_advisor)


def test_tokens_a_server_did_not_report_make_the_cost_unknown():
    call = with_usage(make_call(), openai_unreported_rounds=1)
    assert call_cost(call).total is None and call_cost(call).by_vendor("openai") is None
    assert call_cost(call).by_vendor("deepgram") == pytest.approx(0.04)


def rows_of(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_cost_and_the_usage_and_leaves_unknowns_empty(manager_client):
    priced = with_usage(make_call(started_at=timezone.now() - timedelta(hours=2), seconds=95))
    unpriced = make_call(started_at=timezone.now() - timedelta(hours=1), seconds=95)
    rows = {row["call_sid"]: row for row in rows_of(manager_client.get(reverse("call_pages:csv")))}
    row = rows[priced.call_sid]
    assert (row["cost_usd"], row["openai_usd"], row["deepgram_usd"], row["twilio_usd"]) == (
        "0.1800",
        "0.1100",
        "0.0400",
        "0.0300",
    )
    assert (row["openai_input_tokens"], row["openai_output_tokens"]) == ("100000", "2500")
    assert (row["stt_deepgram_s"], row["tts_deepgram_chars"], row["stt_offline_s"]) == ("60.0", "1000", "0.0")
    row = rows[unpriced.call_sid]
    assert row["cost_usd"] == row["openai_usd"] == row["twilio_usd"] == row["openai_input_tokens"] == ""


def test_the_dashboard_adds_up_the_cost_per_call_and_per_booking(manager_client):
    with_usage(make_call(outcome=Call.Outcome.BOOKED, seconds=95))  # $0.18
    with_usage(
        make_call(outcome=Call.Outcome.INFO, seconds=30),
        openai_prompt_tokens=0,  # $0.015 Twilio + $0.04 Deepgram
        openai_completion_tokens=0,
        stream_s=30.0,
    )
    make_call(outcome=Call.Outcome.BOOKED, ended=False)  # still going: not over, not counted
    figures = cost_figures(Period.ending_today(30), booked=1)
    assert figures["total"] == pytest.approx(PRICED + 0.055)
    assert figures["per_call"] == pytest.approx((PRICED + 0.055) / 2)
    assert figures["per_booking"] == pytest.approx(PRICED + 0.055)
    assert (figures["priced"], figures["unpriced"]) == (2, 0)

    page = manager_client.get(DASHBOARD).text
    assert '<dd class="cost-total">$0.2350</dd>' in page
    assert '<dd class="cost-per-call">$0.1175</dd>' in page
    assert '<dd class="cost-per-booking">$0.2350</dd>' in page
    assert "no known cost yet" not in page


def test_the_dashboard_and_the_call_page_price_a_call_the_same(manager_client):
    call = with_usage(
        make_call(seconds=601),
        openai_prompt_tokens=123_457,
        openai_completion_tokens=3_211,
        stt_deepgram_s=317.3,
        tts_deepgram_chars=2_345,
        stream_s=599.5,
    )
    figures = cost_figures(Period.ending_today(7), booked=0)
    assert figures["total"] == pytest.approx(call_cost(call, Prices.from_settings()).total)
    assert figures["per_booking"] is None


def test_calls_without_a_known_cost_make_the_dashboard_say_at_least(manager_client):
    with_usage(make_call(outcome=Call.Outcome.BOOKED, seconds=95))
    make_call(outcome=Call.Outcome.BOOKED, seconds=95)  # no usage recorded
    figures = cost_figures(Period.ending_today(30), booked=2)
    assert (figures["priced"], figures["unpriced"]) == (1, 1)
    assert figures["per_call"] == pytest.approx(PRICED)  # over the calls whose cost is known
    page = manager_client.get(DASHBOARD).text
    assert '<dd class="cost-total">at least $0.1800</dd>' in page
    assert '<dd class="cost-per-booking">at least $0.0900</dd>' in page
    assert "1 call over in the period has no known cost yet" in page


def test_with_no_calls_there_is_no_cost_rather_than_zero(manager_client):
    figures = cost_figures(Period.ending_today(7), booked=0)
    assert figures["total"] is None and figures["per_call"] is None and figures["per_booking"] is None
    assert '<dd class="cost-total">—</dd>' in manager_client.get(DASHBOARD).text


def test_the_advisors_leg_after_a_transfer_is_priced_once_twilio_reports_it(manager_client):
    from calls import actions

    call = with_usage(make_call(outcome=Call.Outcome.TRANSFERRED, seconds=95))
    Call.objects.filter(pk=call.pk).update(handover=Call.Handover.ADVISOR, status=Call.Status.IN_PROGRESS)
    call.refresh_from_db()
    assert call_cost(call).total is None  # the advisor is still talking: not known yet
    assert "transfer not over yet" in detail(manager_client, call)
    assert cost_figures(Period.ending_today(7), booked=0)["unpriced"] == 1

    actions.dial_ended(call.call_sid, dial_status="completed", caller_status="in-progress", duration_s=125)
    call.refresh_from_db()
    assert call.advisor_leg_s == 125
    # PRICED plus 125 s of the advisor's leg: 3 started minutes at $0.02
    assert call_cost(call).total == pytest.approx(PRICED + 0.06)
    assert "Twilio transfer to an advisor" in detail(manager_client, call)
    assert cost_figures(Period.ending_today(7), booked=0)["total"] == pytest.approx(PRICED + 0.06)


def test_an_unanswered_transfer_costs_no_advisors_leg():
    from calls import actions

    call = with_usage(make_call(seconds=95))
    Call.objects.filter(pk=call.pk).update(handover=Call.Handover.ADVISOR, status=Call.Status.IN_PROGRESS)
    assert actions.dial_ended(call.call_sid, dial_status="no-answer", caller_status="in-progress") == "voicemail"
    call.refresh_from_db()
    assert call.advisor_leg_s is None and call.handover == Call.Handover.VOICEMAIL
    assert call_cost(call).total == pytest.approx(PRICED)
