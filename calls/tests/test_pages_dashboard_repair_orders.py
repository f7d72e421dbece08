"""The dashboard's repair-order figures: open orders per status now, and for the period the approval
rate of the work customers decided on and the value of what they declined, said honestly when
nothing was decided."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.pages.figures import Period, repair_order_figures
from crm.models import Vehicle
from scheduling.models import JobLine, RepairOrder
from scheduling.repair_orders.actions import (
    Actor,
    add_job_line,
    approve_job_lines,
    close_repair_order,
    decline_job_lines,
    mark_lines_done,
    open_repair_order,
    set_repair_status,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("call_pages:dashboard")
OFFICE = Actor.command("test-setup")
Status = RepairOrder.Status
IN_PERSON = JobLine.Via.IN_PERSON


@pytest.fixture
def camry(customer):
    return Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")


def an_order(customer, vehicle, status=Status.CHECKED_IN):
    order = open_repair_order(
        customer=customer, vehicle=vehicle, actor=OFFICE, opened_at=timezone.now() - timedelta(days=60)
    )
    if status == Status.PICKED_UP:
        return close_repair_order(order, actor=OFFICE)
    if status != Status.CHECKED_IN:
        return set_repair_status(order, status, actor=OFFICE)
    return order


def line(order, description, **money):
    return add_job_line(order, description=description, actor=OFFICE, **money)


def decided_days_ago(lines, days):
    JobLine.objects.filter(pk__in=[x.pk for x in lines]).update(decided_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def decisions(shop, customer, camry):
    """This week: 2 approved (one since done), 3 declined ($400 high estimate, $120 amount, one unpriced);
    60 days ago: 1 declined ($900), outside a 30-day period."""
    order = an_order(customer, camry, Status.AWAITING_APPROVAL)
    brakes = line(order, "Front brake pads", estimate_low="250", estimate_high="400")
    filter_ = line(order, "Cabin air filter", amount="120")
    rattle = line(order, "Find the rattle")
    oil = line(order, "Oil change", amount="60")
    wipers = line(order, "Wiper blades", amount="35")
    belt = line(order, "Timing belt", amount="900")
    approve_job_lines(order, [oil.pk, wipers.pk], actor=OFFICE, via=IN_PERSON)
    mark_lines_done(order, [oil.pk], actor=OFFICE)
    decline_job_lines(order, [brakes.pk, filter_.pk, rattle.pk], actor=OFFICE, via=IN_PERSON)
    decline_job_lines(order, [belt.pk], actor=OFFICE, via=IN_PERSON)
    decided_days_ago([belt], 60)
    line(order, "Air filter", amount="30")  # still waiting: not a decision
    return order


def test_open_orders_are_counted_per_status_now(shop, customer, camry):
    for status in (Status.CHECKED_IN, Status.CHECKED_IN, Status.READY, Status.ON_HOLD, Status.PICKED_UP):
        an_order(customer, camry, status)
    figures = repair_order_figures(Period.ending_today(30))
    counts = dict(figures["open_by_status"])
    assert counts["Checked in"] == 2 and counts["Ready for pickup"] == 1 and counts["On hold"] == 1
    assert counts["Waiting for parts"] == 0 and "Picked up" not in counts
    assert figures["open"] == 4


def test_the_approval_rate_is_approved_lines_over_decided_lines_in_the_period(decisions):
    figures = repair_order_figures(Period.ending_today(30))
    assert (figures["approved"], figures["declined"], figures["decided"]) == (2, 3, 5)
    assert figures["approval_rate"] == 40.0  # the line since done counts as approved


def test_the_declined_value_counts_unpriced_lines_without_valuing_them_at_zero(decisions):
    figures = repair_order_figures(Period.ending_today(30))
    assert figures["declined_value"] == 520  # $400 (the estimate's high end) + $120
    assert figures["declined_unpriced"] == 1
    assert figures["declined_value_label"] == "at least $520"


def test_decisions_before_the_period_are_left_out_and_weeks_add_up(decisions):
    ninety = repair_order_figures(Period.ending_today(90))
    assert ninety["declined"] == 4 and ninety["declined_value"] == 1420
    assert len(ninety["weeks"]) == 13
    assert sum(w["decided"] for w in ninety["weeks"]) == ninety["decided"]
    assert ninety["weeks"][-1]["decided"] == 5 and ninety["weeks"][-1]["approval_rate"] == 40.0
    assert (
        ninety["weeks"][0]["approval_rate"] is None and ninety["weeks"][0]["declined_value_label"] == "nothing declined"
    )


def test_with_no_decisions_the_page_says_so_rather_than_zero(signed_in, manager, shop, customer, camry):
    an_order(customer, camry)
    figures = repair_order_figures(Period.ending_today(7))
    assert figures["approval_rate"] is None and figures["declined_value_label"] == "nothing declined"
    page = signed_in(manager).get(DASHBOARD + "?days=7").text
    assert re.search(r'class="ro-approval-rate">no decisions yet<', page)
    assert re.search(r'class="ro-declined-value">nothing declined<', page)
    assert "0.0%" not in page


def test_the_dashboard_shows_the_repair_order_figures(signed_in, manager, decisions):
    page = signed_in(manager).get(DASHBOARD).text
    section = re.search(r'<section aria-labelledby="repair-orders-heading".*?</section>', page, re.S).group(0)
    assert "<dt>Estimate sent, waiting for approval</dt><dd>1</dd>" in section
    assert 'class="ro-approval-rate">40.0%<' in section
    assert 'class="ro-declined-value">at least $520<' in section
    assert "1 declined line had no price or estimate" in section
    assert page.count('<svg class="chart"') == 6  # the call charts as before


def test_the_figures_take_two_queries_however_many_lines(django_assert_num_queries, decisions):
    with django_assert_num_queries(2):
        repair_order_figures(Period.ending_today(90))
