"""The dashboard's reasons for calling, the calls the agent could not finish, what the phone
agent's bookings are worth, and the last scenario evaluation's pass rate (kept by
`manage.py evaluate_calls`, "never run" until then)."""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from calls import last_evaluation
from calls.agent.tools import TOOLS
from calls.evaluation.run import Result
from calls.models import Call, ToolInvocation
from calls.pages.figures import CALL_REASONS, Period, booked_value_figures, call_figures, reason_figures
from scheduling.models import Appointment, ServiceType

from .page_records import make_call

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("call_pages:dashboard")
# ... and the details put on a record after the booking or the customer is made (car, waiting, email)
BOOK_KEEPING = {"lookup_customer", "create_customer", "end_call", "update_appointment", "add_email"}


def days_ago(n, hour=10):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=n)


def used(call, *tools):
    """`tools`: names, "!name" for one that failed."""
    for name in tools:
        ToolInvocation.objects.create(
            call=call, name=name.lstrip("!"), ok=not name.startswith("!"), duration_ms=10.0, at=call.started_at
        )


@pytest.fixture
def calls(db):
    """Six calls in the last week, one older:
    booked (slots, booking), moved (slots, reschedule), a failed booking that left a message,
    transferred, abandoned, lines full; 40 days ago a booking."""
    booked = make_call(started_at=days_ago(1), outcome=Call.Outcome.BOOKED)
    used(booked, "lookup_customer", "get_available_slots", "book_appointment", "end_call")
    moved = make_call(started_at=days_ago(1), outcome=Call.Outcome.RESCHEDULED)
    used(moved, "get_available_slots", "reschedule_appointment")
    used(make_call(started_at=days_ago(2), outcome=Call.Outcome.MESSAGE), "!book_appointment", "take_message")
    used(make_call(started_at=days_ago(2), outcome=Call.Outcome.TRANSFERRED, transferred=True), "transfer_to_advisor")
    make_call(started_at=days_ago(3), outcome=Call.Outcome.ABANDONED)
    make_call(started_at=days_ago(3), outcome=Call.Outcome.OVER_CAPACITY)
    used(make_call(started_at=days_ago(40), outcome=Call.Outcome.BOOKED), "book_appointment")


def test_every_tool_that_tells_why_someone_called_has_a_reason():
    named = [name for _, names in CALL_REASONS for name in names]
    assert len(named) == len(set(named)), "a tool in two reasons"
    assert set(named) == set(TOOLS) - BOOK_KEEPING


def test_reasons_count_calls_tried_and_done_the_most_frequent_first(calls):
    figures = reason_figures(Period.ending_today(30))
    assert figures["calls"] == 6 and figures["none"] == 2  # abandoned, lines full
    rows = [(r["label"], r["calls"], r["done"]) for r in figures["reasons"] if r["calls"]]
    assert rows == [
        ("Book a service", 2, 1),  # one failed, then a message was taken
        ("Ask for open times", 2, 2),
        ("Move an appointment", 1, 1),
        ("Leave a message", 1, 1),
        ("Talk to a person", 1, 1),
    ]
    assert len(figures["reasons"]) == len(CALL_REASONS)


def test_the_calls_the_agent_could_not_finish_by_outcome(calls):
    totals, _ = call_figures(Period.ending_today(30))
    assert totals["unfinished"] == [
        ("Transferred", 1),
        ("Message taken", 1),
        ("Abandoned", 1),
        ("Lines full: handed over", 1),
    ]
    assert totals["unfinished_total"] == 4 and totals["unfinished_share"] == 66.7
    week, _ = call_figures(Period.ending_today(7))
    assert week["unfinished_share"] == 66.7
    Call.objects.all().delete()
    nothing, _ = call_figures(Period.ending_today(7))
    assert nothing["unfinished_total"] == 0 and nothing["unfinished_share"] is None


@pytest.fixture
def bookings(customer, oil_change, brake_job):
    """By the phone agent this week: an oil change ($49-$89), a brake job ($250-$600), a $100
    inspection (one figure), an unpriced diagnosis and a cancelled brake job; by an advisor, a brake
    job; by the phone agent 40 days ago, a brake job."""
    inspection = ServiceType.objects.create(name="Inspection", duration_minutes=60, price_low=Decimal("100"))
    diagnosis = ServiceType.objects.create(name="Diagnosis", duration_minutes=60)
    agent, advisor = Appointment.Source.PHONE_AGENT, Appointment.Source.ADVISOR
    made = [
        (oil_change, agent, Appointment.Status.BOOKED, 1),
        (brake_job, agent, Appointment.Status.CONFIRMED, 2),
        (inspection, agent, Appointment.Status.COMPLETED, 3),
        (diagnosis, agent, Appointment.Status.BOOKED, 3),
        (brake_job, agent, Appointment.Status.CANCELLED, 4),
        (brake_job, advisor, Appointment.Status.BOOKED, 1),
        (brake_job, agent, Appointment.Status.BOOKED, 40),
    ]
    for n, (service, source, status, age) in enumerate(made):
        start = timezone.now() + timedelta(days=5, hours=n)
        booking = Appointment.objects.create(
            customer=customer, service_type=service, start=start, end=start + service.duration, source=source
        )
        Appointment.objects.filter(pk=booking.pk).update(status=status, created_at=days_ago(age))


def test_the_booked_value_sums_the_price_ranges_of_the_agents_bookings(bookings):
    figures = booked_value_figures(Period.ending_today(30))
    assert (figures["bookings"], figures["cancelled"], figures["priced"], figures["unpriced"]) == (4, 1, 3, 1)
    assert (figures["low"], figures["high"]) == (Decimal("399"), Decimal("789"))
    assert figures["label"] == "$399 to $789"


def test_the_booked_value_says_when_there_is_nothing_to_sum(db, customer):
    assert booked_value_figures(Period.ending_today(7))["label"] == "no bookings"
    unpriced = ServiceType.objects.create(name="Diagnosis", duration_minutes=60)
    start = timezone.now() + timedelta(days=2)
    end = start + timedelta(hours=1)
    source = Appointment.Source.PHONE_AGENT
    Appointment.objects.create(customer=customer, service_type=unpriced, start=start, end=end, source=source)
    assert booked_value_figures(Period.ending_today(7))["label"] == "not priced"


def test_the_page_shows_reasons_unfinished_calls_and_the_booked_value(signed_in, manager, calls, bookings):
    page = signed_in(manager).get(DASHBOARD + "?days=30").content.decode()
    table = re.search(r'<table class="reasons">.*?</table>', page, re.S).group(0)
    assert re.search(r"Book a service</th><td class=\"num\">2</td><td class=\"num\">1</td>", table)
    assert re.search(r"None of these.*?<td class=\"num\">2</td>", table, re.S)
    assert re.search(r'class="unfinished-total">4 <span class="muted">\(66.7% of calls\)', page)
    assert '<dd class="booked-value-range">$399 to $789</dd>' in page
    assert "1 cancelled since is left out" in page and "1 for a service with no price is not in the value" in page


def test_the_added_figures_cost_two_queries_however_many_calls(
    signed_in, manager, django_assert_max_num_queries, shop_zone_cached
):
    client = signed_in(manager)

    def queries():
        with django_assert_max_num_queries(14) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for n in range(15):
        used(make_call(started_at=days_ago(n % 5), outcome=Call.Outcome.BOOKED), "book_appointment", "shop_info")
    assert queries() == before


# --- the last scenario evaluation ---------------------------------------------------------------


def result(scenario_id, source, passed):
    return Result(id=scenario_id, source=source, about="", passed=passed, failures=[] if passed else ["no"])


RESULTS = [
    result("book-wednesday", "booking.toml", True),
    result("book-friday", "booking.toml", True),
    result("moved", "moving.toml", True),
    result("impossible", "moving.toml", False),
]


def test_the_summary_is_kept_in_data_dir_and_read_back(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert last_evaluation.load() is None
    when = timezone.now() - timedelta(hours=2)
    last_evaluation.record(RESULTS, brain="scripted", mode="text", match="book", now=when)
    summary = last_evaluation.load()
    assert (summary["passed"], summary["total"], summary["rate"]) == (3, 4, 75.0)
    assert summary["finished_at"] == when and (summary["brain"], summary["mode"], summary["match"]) == (
        "scripted",
        "text",
        "book",
    )
    assert summary["files"] == [
        {"file": "booking.toml", "scenarios": 2, "passed": 2},
        {"file": "moving.toml", "scenarios": 2, "passed": 1},
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["last_evaluation.json"], "no partial file left"


def test_an_unreadable_summary_reads_as_never_run(settings, tmp_path, caplog):
    settings.DATA_DIR = tmp_path
    (tmp_path / "last_evaluation.json").write_text("{not json")
    assert last_evaluation.load() is None and "cannot be read" in caplog.text
    (tmp_path / "last_evaluation.json").write_text(json.dumps({"passed": 1}))
    assert last_evaluation.load() is None


@pytest.fixture
def evaluation_without_a_database(monkeypatch):
    """The command as it runs, but the scenarios' results made up and no throwaway database."""
    from contextlib import nullcontext

    from calls.management.commands import evaluate_calls

    monkeypatch.setattr(evaluate_calls.database, "throwaway", lambda: nullcontext("unused"))
    monkeypatch.setattr(evaluate_calls.run, "run_all", lambda chosen, **kwargs: RESULTS)


def test_the_command_keeps_its_runs_summary_even_below_the_threshold(settings, tmp_path, evaluation_without_a_database):
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="75.0% of calls ended right"):
        call_command("evaluate_calls", "--show", "none", stdout=io.StringIO(), stderr=io.StringIO())
    summary = last_evaluation.load()
    assert (summary["passed"], summary["total"], summary["brain"], summary["mode"]) == (3, 4, "scripted", "text")
    assert timezone.now() - summary["finished_at"] < timedelta(minutes=1)


def test_the_dashboard_shows_the_last_pass_rate_or_never_run(
    settings, tmp_path, signed_in, manager, evaluation_without_a_database
):
    settings.DATA_DIR = tmp_path
    client = signed_in(manager)
    assert "Never run." in client.get(DASHBOARD).content.decode()
    call_command("evaluate_calls", "--threshold", "0.5", "--show", "none", stdout=io.StringIO(), stderr=io.StringIO())
    page = client.get(DASHBOARD).content.decode()
    assert re.search(
        r"<strong>3 of 4</strong> scenario calls ended right \(<span class=\"evaluation-rate\">75.0%", page
    )
    assert "with the scripted receptionist, text calls" in page
    assert "booking.toml (2 of 2), moving.toml (1 of 2)" in page
