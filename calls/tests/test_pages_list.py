"""The call list: search by number in any format or by name, filters, sort orders, pages, the
CSV of the same selection, and a query count that does not grow with the number of calls."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call

from .page_records import add_conversation, make_call

pytestmark = pytest.mark.django_db

LIST = reverse("call_pages:list")


@pytest.fixture
def manager_client(signed_in, manager):
    return signed_in(manager)


def sids(response):
    return [call.call_sid for call in response.context["page"].object_list]


def test_each_row_shows_time_caller_customer_duration_outcome_and_median_latency(manager_client, customer, settings):
    started = datetime(2030, 3, 4, 15, 5, tzinfo=timezone.get_fixed_timezone(0))  # 9:05 AM in Chicago
    call = make_call(
        started_at=started,
        customer=customer,
        outcome=Call.Outcome.BOOKED,
        seconds=185,
        voice_to_voice=(700.0, 900.0, 1500.0, 2000.0),
    )
    page = manager_client.get(LIST).text
    assert "Mar 4, 2030 9:05 AM" in page  # the shop's time zone, not UTC
    assert "(312) 555-0147" in page and "Dana Whitfield" in page
    assert "3:05" in page and "Booked" in page
    assert "1200 ms" in page  # median of 700, 900, 1500, 2000
    assert reverse("call_pages:detail", args=[call.call_sid]) in page


@pytest.mark.parametrize("typed", ["(312) 555-0147", "312.555.0147", "+1 312 555 0147", "13125550147", "555-0147"])
def test_it_finds_calls_by_phone_number_in_any_format(manager_client, typed):
    wanted = make_call(from_number="+13125550147")
    make_call(from_number="+17735550199")
    assert sids(manager_client.get(LIST, {"q": typed})) == [wanted.call_sid]


def test_it_finds_calls_by_the_customers_name_or_their_number_on_file(manager_client, customer, other_customer):
    dana = make_call(customer=customer, from_number="anonymous")
    make_call(customer=other_customer, from_number="+17735550199")
    assert sids(manager_client.get(LIST, {"q": "whitf"})) == [dana.call_sid]
    assert sids(manager_client.get(LIST, {"q": "(312) 555-0147"})) == [dana.call_sid]


def test_it_filters_by_date_range_in_shop_time(manager_client):
    tz = timezone.get_current_timezone()
    late_on_the_4th = make_call(started_at=datetime(2030, 3, 4, 23, 30, tzinfo=tz))
    make_call(started_at=datetime(2030, 3, 5, 0, 30, tzinfo=tz))
    make_call(started_at=datetime(2030, 3, 3, 23, 59, tzinfo=tz))
    response = manager_client.get(LIST, {"date_from": "2030-03-04", "date_to": "2030-03-04"})
    assert sids(response) == [late_on_the_4th.call_sid]


def test_a_backwards_date_range_is_explained_and_the_rest_still_applies(manager_client):
    booked = make_call(outcome=Call.Outcome.BOOKED)
    make_call(outcome=Call.Outcome.INFO)
    response = manager_client.get(LIST, {"date_from": "2030-03-05", "date_to": "2030-03-01", "outcome": "booked"})
    assert "The end date is before the start date." in response.text
    assert sids(response) == [booked.call_sid]


def test_a_date_that_is_not_a_date_is_reported(manager_client):
    make_call()
    response = manager_client.get(LIST, {"date_from": "next tuesday"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.text
    assert 'aria-invalid="true" aria-describedby="id_date_from-error"' in response.text
    assert len(sids(response)) == 1


def test_it_filters_by_outcome_status_transferred_and_interrupted(manager_client):
    booked = make_call(outcome=Call.Outcome.BOOKED)
    transferred = make_call(outcome=Call.Outcome.TRANSFERRED, transferred=True)
    interrupted = make_call(outcome=Call.Outcome.INFO, interruptions=2)
    live = make_call(status=Call.Status.IN_PROGRESS, ended=False)
    assert sids(manager_client.get(LIST, {"outcome": "booked"})) == [booked.call_sid]
    assert sids(manager_client.get(LIST, {"status": "in-progress"})) == [live.call_sid]
    assert sids(manager_client.get(LIST, {"transferred": "yes"})) == [transferred.call_sid]
    assert set(sids(manager_client.get(LIST, {"transferred": "no"}))) == {
        booked.call_sid,
        interrupted.call_sid,
        live.call_sid,
    }
    assert sids(manager_client.get(LIST, {"interrupted": "yes"})) == [interrupted.call_sid]


def test_it_sorts_by_each_column_both_ways(manager_client, customer, other_customer):
    now = timezone.now()
    slow = make_call(
        started_at=now - timedelta(hours=3),
        seconds=300,
        voice_to_voice=(2500.0,),
        customer=customer,
        outcome=Call.Outcome.BOOKED,
    )
    fast = make_call(
        started_at=now - timedelta(hours=2),
        seconds=30,
        voice_to_voice=(600.0,),
        customer=other_customer,
        outcome=Call.Outcome.MESSAGE,
    )
    unmeasured = make_call(
        started_at=now - timedelta(hours=1), seconds=120, voice_to_voice=(), outcome=Call.Outcome.ABANDONED
    )
    assert sids(manager_client.get(LIST)) == [unmeasured.call_sid, fast.call_sid, slow.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "started"})) == [slow.call_sid, fast.call_sid, unmeasured.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "-latency"})) == [slow.call_sid, fast.call_sid, unmeasured.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "latency"})) == [fast.call_sid, slow.call_sid, unmeasured.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "-duration"})) == [slow.call_sid, unmeasured.call_sid, fast.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "customer"})) == [slow.call_sid, fast.call_sid, unmeasured.call_sid]
    assert sids(manager_client.get(LIST, {"sort": "outcome"})) == [unmeasured.call_sid, slow.call_sid, fast.call_sid]


def test_the_sorted_column_says_so_and_its_link_reverses_it(manager_client):
    make_call()
    page = manager_client.get(LIST, {"sort": "latency", "outcome": "info"}).text
    assert 'aria-sort="ascending"' in page
    assert "?sort=-latency&amp;outcome=info" in page or "?outcome=info&amp;sort=-latency" in page


def test_an_unknown_sort_falls_back_to_newest_first(manager_client):
    older = make_call(started_at=timezone.now() - timedelta(hours=5))
    newer = make_call(started_at=timezone.now() - timedelta(hours=1))
    assert sids(manager_client.get(LIST, {"sort": "password"})) == [newer.call_sid, older.call_sid]


def test_it_pages_through_the_calls_keeping_the_filters(manager_client):
    start = timezone.now() - timedelta(days=1)
    calls = [
        make_call(started_at=start + timedelta(minutes=n), outcome=Call.Outcome.BOOKED, voice_to_voice=())
        for n in range(30)
    ]
    make_call(outcome=Call.Outcome.INFO)
    first = manager_client.get(LIST, {"outcome": "booked"})
    assert len(sids(first)) == 25 and "Page 1 of 2" in first.text
    assert "?outcome=booked&amp;page=2" in first.text
    second = manager_client.get(LIST, {"outcome": "booked", "page": 2})
    assert sids(second) == [c.call_sid for c in reversed(calls[:5])]
    assert manager_client.get(LIST, {"outcome": "booked", "page": 99}).context["page"].number == 2


def rows_of(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_the_csv_holds_the_filtered_calls(manager_client, customer):
    booked = add_conversation(
        make_call(
            outcome=Call.Outcome.BOOKED,
            customer=customer,
            voice_to_voice=(800.0, 1000.0),
            summary='=HYPERLINK("http://evil") booked oil change',
        )
    )
    make_call(outcome=Call.Outcome.INFO)
    response = manager_client.get(reverse("call_pages:csv"), {"outcome": "booked", "page": 3})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [r["call_sid"] for r in rows] == [booked.call_sid]
    assert rows[0]["customer"] == "Dana Whitfield" and rows[0]["median_voice_to_voice_ms"] == "900"
    assert rows[0]["duration_s"] == "95" and rows[0]["caller"] == "+13125550147"
    assert rows[0]["customer_phone"] == "+13125550147" and rows[0]["turns"] == "4"  # as `export_calls` has them
    assert rows[0]["summary"].startswith("'=HYPERLINK"), "a spreadsheet must not run what a caller said"


def test_the_list_page_links_to_the_csv_with_the_same_filters(manager_client):
    make_call()
    page = manager_client.get(LIST, {"outcome": "booked", "page": 1}).text
    assert reverse("call_pages:csv") + "?outcome=booked" in page


def queries_for(client, url, params, assert_max):
    with assert_max(8) as captured:
        response = client.get(url, params)
        assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [LIST, reverse("call_pages:csv")])
def test_the_query_count_does_not_grow_with_the_calls(
    manager_client, customer, django_assert_max_num_queries, url, shop_zone_cached
):
    for _ in range(5):
        make_call(customer=customer)
    with_five = queries_for(manager_client, url, {"sort": "-latency"}, django_assert_max_num_queries)
    for _ in range(45):
        make_call(customer=customer)
    with_fifty = queries_for(manager_client, url, {"sort": "-latency"}, django_assert_max_num_queries)
    assert with_five == with_fifty
