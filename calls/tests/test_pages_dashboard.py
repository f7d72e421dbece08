"""The managers' dashboard: calls per day, outcomes, booking conversion, transfers and
messages, voice-to-voice p50/p95 per day and vendor trouble, as SVG charts from a handful of
aggregate queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallbackRequest, CallEvent
from calls.pages.figures import Period, call_figures, latency_figures, vendor_figures
from calls.pages.percentile import percentile_cont

from .page_records import make_call

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("call_pages:dashboard")


def days_ago(n, hour=10):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=n)


@pytest.fixture
def week(db):
    """Two days of calls: 3 yesterday (2 booked, 1 abandoned), 2 today (one transferred, one message)."""
    make_call(started_at=days_ago(1), outcome=Call.Outcome.BOOKED, voice_to_voice=(600.0, 800.0))
    make_call(started_at=days_ago(1, 11), outcome=Call.Outcome.BOOKED, voice_to_voice=(1000.0,))
    make_call(started_at=days_ago(1, 12), outcome=Call.Outcome.ABANDONED, voice_to_voice=())
    transferred = make_call(
        started_at=days_ago(0, 0), outcome=Call.Outcome.TRANSFERRED, transferred=True, voice_to_voice=(2000.0,)
    )
    message = make_call(started_at=days_ago(0, 0), outcome=Call.Outcome.MESSAGE, voice_to_voice=())
    CallbackRequest.objects.create(call=message, reason="Call me back about the quote")
    CallEvent.objects.create(call=transferred, kind="vendor_error", data={"vendor": "openai", "stage": "brain"})
    CallEvent.objects.create(call=transferred, kind="vendor_error", data={"vendor": "openai", "stage": "brain"})
    CallEvent.objects.create(call=transferred, kind="reconnect", data={"vendor": "deepgram"})
    CallEvent.objects.create(
        call=transferred,
        kind="failover",
        data={"engine": "brain", "vendor": "openai", "to": "scripted", "error": "HTTP 503"},
    )
    CallEvent.objects.create(call=transferred, kind="barge_in", data={})
    make_call(started_at=days_ago(40), outcome=Call.Outcome.BOOKED)  # outside a 30-day period


def test_the_totals_add_up_over_the_period(week):
    totals, charts = call_figures(Period.ending_today(30))
    assert (totals["calls"], totals["booked"], totals["transferred"], totals["messages"]) == (5, 2, 1, 1)
    assert totals["conversion"] == 50.0  # 2 booked of 4 calls where the caller talked to the agent
    assert dict(totals["by_outcome"])["Abandoned"] == 1
    per_day = {s.name: s.values[-2:] for s in charts["calls_per_day"].bars}
    assert per_day["Booked"] == [2, 0] and per_day["Transferred"] == [0, 1]
    assert charts["conversion"].lines[0].values[-2:] == [100.0, 0.0]
    assert charts["conversion"].lines[0].values[0] is None  # no calls: no conversion, not 0 %


def test_latency_percentiles_per_day_match_postgresqls(week):
    overall, chart = latency_figures(Period.ending_today(7))
    p50, p95 = chart.lines
    assert p50.values[-2:] == [pytest.approx(800.0), pytest.approx(2000.0)]
    assert p95.values[-2] == pytest.approx(percentile_cont([600.0, 800.0, 1000.0], 0.95))
    assert p50.values[0] is None  # a day without calls is a gap, not zero
    assert overall["p95"] == pytest.approx(percentile_cont([600.0, 800.0, 1000.0, 2000.0], 0.95))


def test_vendor_errors_failovers_and_reconnects_are_counted_per_vendor(week):
    totals, chart = vendor_figures(Period.ending_today(7))
    assert dict(totals) == {"deepgram: reconnects": 1, "openai: errors": 2, "openai: failovers": 1}


def test_the_page_draws_each_chart_as_svg_with_its_figures(signed_in, manager, week):
    page = signed_in(manager).get(DASHBOARD).text
    assert page.count('<svg class="chart"') == 6
    for title in (
        "Calls per day",
        "Outcomes",
        "Booking conversion",
        "Transfers and messages",
        "Voice-to-voice latency per day",
        "Vendor errors",
    ):
        assert title in page
    tiles = re.search(r'<dl class="tiles">.*?</dl>', page, re.S).group(0)
    assert "<dt>Calls</dt><dd>5</dd>" in tiles and "50.0%" in tiles
    assert "openai: errors: 2" in tiles
    assert "<script" not in page and "cdn" not in page.lower()


def test_the_period_can_be_chosen(signed_in, manager, week):
    client = signed_in(manager)
    assert client.get(DASHBOARD, {"days": 90}).context["totals"]["calls"] == 6
    assert client.get(DASHBOARD, {"days": 7}).context["period"].days == 7
    assert client.get(DASHBOARD, {"days": "lots"}).context["period"].days == 30
    assert client.get(DASHBOARD, {"days": 3650}).context["period"].days == 30


def test_an_empty_period_says_so(signed_in, manager):
    page = signed_in(manager).get(DASHBOARD).text
    assert "No data for this period" in page


def test_the_query_count_does_not_grow_with_the_calls(
    signed_in, manager, django_assert_max_num_queries, shop_zone_cached
):
    client = signed_in(manager)

    def queries():
        # 2 of them the repair-order figures, 2 the reasons for calling and the booked value
        with django_assert_max_num_queries(14) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured.captured_queries)

    for n in range(5):
        call = make_call(started_at=days_ago(n % 3))
        CallEvent.objects.create(call=call, kind="vendor_error", data={"vendor": "deepgram"})
    with_five = queries()
    for n in range(45):
        call = make_call(started_at=days_ago(n % 20), outcome=Call.Outcome.BOOKED)
        CallEvent.objects.create(call=call, kind="reconnect", data={"vendor": "deepgram"})
    assert queries() == with_five
