"""The managers' dashboard: calls, outcomes, conversion, transfers and messages, latency, vendor
trouble and what the calls cost over the last 7, 30 or 90 days; why people called and the calls
the agent could not finish; what the phone agent's bookings are worth; repair orders open now by
status, and the approval rate and declined value of the work customers decided on in the period;
and how the last scenario evaluation (`manage.py evaluate_calls`) went."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import last_evaluation
from .access import check_manager, nav_context
from .figures import (
    DEFAULT_PERIOD,
    PERIODS,
    Period,
    booked_value_figures,
    call_figures,
    cost_figures,
    latency_figures,
    reason_figures,
    repair_order_figures,
    vendor_figures,
)


@login_required
@require_GET
def dashboard(request):
    check_manager(request)
    try:
        days = int(request.GET.get("days", DEFAULT_PERIOD))
    except ValueError:
        days = DEFAULT_PERIOD
    days = days if days in PERIODS else DEFAULT_PERIOD
    period = Period.ending_today(days)
    totals, call_charts = call_figures(period)
    latency, latency_chart = latency_figures(period)
    vendor_totals, vendor_chart = vendor_figures(period)
    ctx = {
        **nav_context(request),
        "period": period,
        "periods": PERIODS,
        "totals": totals,
        "latency": latency,
        "vendor_totals": vendor_totals,
        "cost": cost_figures(period, booked=totals["booked"]),
        "repair_orders": repair_order_figures(period),
        "reasons": reason_figures(period),
        "booked_value": booked_value_figures(period),
        "evaluation": last_evaluation.load(),
        "charts": [
            call_charts["calls_per_day"],
            call_charts["outcomes"],
            call_charts["conversion"],
            call_charts["transfers_messages"],
            latency_chart,
            vendor_chart,
        ],
    }
    return render(request, "calls/dashboard.html", ctx)
