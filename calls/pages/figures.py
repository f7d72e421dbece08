"""The dashboard's figures: a handful of aggregate queries over a period, whatever the call count."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from scheduling.models import Appointment, JobLine, RepairOrder

from ..costs import cost_expression, dollars
from ..models import Call, CallbackRequest, CallEvent, TurnLatency
from .charts import Chart, Series
from .percentile import Percentile

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# What counts against a vendor on the dashboard (kinds of CallEvent the voice loop records). A
# failover is the vendor failing too: the offline engine took over, so the caller did not hear it.
VENDOR_TROUBLE = {"vendor_error": "errors", "failover": "failovers", "reconnect": "reconnects"}
# The calls the agent could not see through itself: a person or a message has to finish them.
UNFINISHED = (Call.Outcome.TRANSFERRED, Call.Outcome.MESSAGE, Call.Outcome.ABANDONED, Call.Outcome.OVER_CAPACITY)
# Why people called, read from the tools the agent used on the call: a reason counts a call when
# one of its tools was tried, and as done when one succeeded. A call can have several reasons. The
# agent's book-keeping tools (lookup_customer, create_customer, end_call, and the details put on a
# record once made: update_appointment, add_email) tell no reason.
CALL_REASONS = (
    ("Book a service", ("book_appointment",)),
    ("Ask for open times", ("get_available_slots",)),
    ("Ask about their appointments", ("get_upcoming_appointments",)),
    ("Move an appointment", ("reschedule_appointment",)),
    ("Cancel an appointment", ("cancel_appointment",)),
    ("Repair status", ("get_repair_status",)),
    ("Approve, decline or ask for work", ("approve_work", "decline_work", "request_work")),
    ("Vehicle, VIN or recalls", ("decode_vin", "add_vehicle", "check_recalls")),
    ("Hours, prices and shop questions", ("shop_info",)),
    ("Leave a message", ("take_message",)),
    ("Talk to a person", ("transfer_to_advisor",)),
)


@dataclass(frozen=True)
class Period:
    days: int
    first_day: object
    start: datetime

    @classmethod
    def ending_today(cls, days, now=None):
        today = timezone.localdate(now)
        first = today - timedelta(days=days - 1)
        return cls(days, first, datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone()))

    @property
    def dates(self):
        return [self.first_day + timedelta(days=n) for n in range(self.days)]

    @property
    def labels(self):
        return [f"{d:%b} {d.day}" for d in self.dates]


def _per_day(period, rows, value):
    by_day = {}
    for row in rows:
        by_day[row["day"]] = by_day.get(row["day"], 0) + value(row)
    return [by_day.get(day, 0) for day in period.dates]


def call_figures(period):
    rows = list(
        Call.objects.filter(started_at__gte=period.start)
        .annotate(day=TruncDate("started_at"))
        .values("day", "outcome")
        .annotate(calls=Count("id"), transferred=Count("id", filter=Q(transferred=True)))
        .order_by()
    )
    messages = list(
        CallbackRequest.objects.filter(created_at__gte=period.start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcomes = [(value, label) for value, label in Call.Outcome.choices]
    by_outcome = [
        Series(label, _per_day(period, [r for r in rows if r["outcome"] == value], lambda r: r["calls"]))
        for value, label in outcomes
    ]
    unfiled = _per_day(period, [r for r in rows if not r["outcome"]], lambda r: r["calls"])
    if any(unfiled):
        by_outcome.append(Series("Not filed yet", unfiled))
    calls = _per_day(period, rows, lambda r: r["calls"])
    booked = _per_day(period, [r for r in rows if r["outcome"] == Call.Outcome.BOOKED], lambda r: r["calls"])
    conversations = _per_day(
        period, [r for r in rows if r["outcome"] not in (Call.Outcome.ABANDONED, "")], lambda r: r["calls"]
    )
    transfers = _per_day(period, rows, lambda r: r["transferred"])
    taken = _per_day(period, messages, lambda r: r["n"])
    totals = {
        "calls": sum(calls),
        "booked": sum(booked),
        "conversations": sum(conversations),
        "transferred": sum(transfers),
        "messages": sum(taken),
        "conversion": _percent(sum(booked), sum(conversations)),
        "by_outcome": [(s.name, sum(s.values)) for s in by_outcome],
    }
    unfinished = [(o.label, sum(r["calls"] for r in rows if r["outcome"] == o)) for o in UNFINISHED]
    totals["unfinished"] = unfinished
    totals["unfinished_total"] = sum(n for _, n in unfinished)
    totals["unfinished_share"] = _percent(totals["unfinished_total"], totals["calls"])
    drawn_outcomes = [s for s in by_outcome if any(s.values)] or by_outcome[:1]
    charts = {
        "calls_per_day": Chart.draw("Calls per day, by outcome", period.labels, bars=drawn_outcomes, whole=True),
        "outcomes": Chart.draw(
            "Outcomes over the period",
            [name for name, _ in totals["by_outcome"]],
            bars=[Series("Calls", [n for _, n in totals["by_outcome"]])],
            whole=True,
        ),
        "conversion": Chart.draw(
            "Booking conversion (booked ÷ calls where the caller talked to the agent)",
            period.labels,
            lines=[Series("Conversion", [_percent(b, c) for b, c in zip(booked, conversations)])],
            unit="%",
            scale_max=100,
        ),
        "transfers_messages": Chart.draw(
            "Transfers and messages taken per day",
            period.labels,
            bars=[Series("Transferred", transfers), Series("Messages", taken)],
            stacked=False,
            whole=True,
        ),
    }
    return totals, charts


def reason_figures(period):
    """Calls per reason for calling (CALL_REASONS), tried and done, the most frequent first, and how
    many calls had none (the caller only talked, or hung up). One query, over the calls and their tools."""
    calls = Call.objects.filter(started_at__gte=period.start)
    figures = {"calls": Count("id", distinct=True)}
    for n, (_, names) in enumerate(CALL_REASONS):
        used = Q(tool_invocations__name__in=names)
        figures[f"tried_{n}"] = Count("id", distinct=True, filter=used)
        figures[f"done_{n}"] = Count("id", distinct=True, filter=used & Q(tool_invocations__ok=True))
    every_name = [name for _, names in CALL_REASONS for name in names]
    figures["with_reason"] = Count("id", distinct=True, filter=Q(tool_invocations__name__in=every_name))
    counts = calls.aggregate(**figures)
    reasons = [
        {"label": label, "calls": counts[f"tried_{n}"], "done": counts[f"done_{n}"]}
        for n, (label, _) in enumerate(CALL_REASONS)
    ]
    reasons.sort(key=lambda r: -r["calls"])  # stable: equal counts keep CALL_REASONS' order
    return {"reasons": reasons, "none": counts["calls"] - counts["with_reason"], "calls": counts["calls"]}


def booked_value_figures(period):
    """What the services the phone agent booked in the period are worth, from their price ranges:
    the sum of the low ends and of the high ends (a service priced at one figure counts it in
    both). Appointments cancelled since are left out and counted; those of unpriced services are
    counted, not valued at 0 (the page says how many). One query."""
    booked = Appointment.objects.filter(source=Appointment.Source.PHONE_AGENT, created_at__gte=period.start)
    standing = ~Q(status=Appointment.Status.CANCELLED)
    priced = standing & Q(service_type__price_low__isnull=False)
    figures = booked.aggregate(
        bookings=Count("id", filter=standing),
        cancelled=Count("id", filter=~standing),
        priced=Count("id", filter=priced),
        low=Sum("service_type__price_low", filter=priced),
        high=Sum(Coalesce("service_type__price_high", "service_type__price_low"), filter=priced),
    )
    figures["unpriced"] = figures["bookings"] - figures["priced"]
    figures["label"] = _booked_value_label(figures)
    return figures


def _booked_value_label(figures):
    if not figures["bookings"]:
        return "no bookings"
    if not figures["priced"]:
        return "not priced"
    low, high = figures["low"], figures["high"]
    return f"${low:,.0f}" if low == high else f"${low:,.0f} to ${high:,.0f}"


def latency_figures(period):
    measured = TurnLatency.objects.filter(at__gte=period.start, voice_to_voice_ms__isnull=False)
    rows = list(
        measured.annotate(day=TruncDate("at"))
        .values("day")
        .annotate(p50=Percentile("voice_to_voice_ms", 0.5), p95=Percentile("voice_to_voice_ms", 0.95), n=Count("id"))
        .order_by()
    )
    overall = measured.aggregate(
        p50=Percentile("voice_to_voice_ms", 0.5), p95=Percentile("voice_to_voice_ms", 0.95), turns=Count("id")
    )
    by_day = {r["day"]: r for r in rows}
    p50 = [by_day[d]["p50"] if d in by_day else None for d in period.dates]
    p95 = [by_day[d]["p95"] if d in by_day else None for d in period.dates]
    chart = Chart.draw(
        "Voice-to-voice latency per day (end of caller speech to first agent audio)",
        period.labels,
        lines=[Series("p50", p50), Series("p95", p95, "#D55E00")],
        unit="ms",
    )
    return overall, chart


def vendor_figures(period):
    rows = list(
        CallEvent.objects.filter(at__gte=period.start, kind__in=list(VENDOR_TROUBLE))
        .annotate(day=TruncDate("at"), vendor=KeyTextTransform("vendor", "data"))
        .values("day", "kind", "vendor")
        .annotate(n=Count("id"))
        .order_by()
    )
    names = sorted({(r["kind"], r["vendor"] or "unknown") for r in rows})
    series = [
        Series(
            f"{vendor}: {VENDOR_TROUBLE[kind]}",
            _per_day(
                period,
                [r for r in rows if r["kind"] == kind and (r["vendor"] or "unknown") == vendor],
                lambda r: r["n"],
            ),
        )
        for kind, vendor in names
    ]
    totals = [(s.name, sum(s.values)) for s in series]
    chart = Chart.draw(
        "Vendor errors, failovers and reconnects per day",
        period.labels,
        bars=series or [Series("Errors", [0] * period.days)],
        whole=True,
    )
    return totals, chart


def cost_figures(period, booked):
    """What the calls that are over cost: in all, per call and per booked call (`booked`: how many
    calls booked). Calls whose cost is not known yet (no usage recorded, no duration from Twilio)
    are counted, not priced at 0: while there are any, the sums are the least the period cost."""
    figures = (
        Call.objects.filter(started_at__gte=period.start, ended_at__isnull=False)
        .annotate(cost=cost_expression())
        .aggregate(total=Sum("cost"), priced=Count("cost"), calls=Count("id"))
    )
    priced, unpriced = figures["priced"], figures["calls"] - figures["priced"]
    total = (figures["total"] or 0.0) if priced else None
    lower_bound = "at least " if unpriced else ""

    def label(amount, bound=""):
        return "—" if amount is None else bound + dollars(amount)

    per_booking = total / booked if total is not None and booked else None
    per_call = total / priced if priced else None
    return {
        "total": total,
        "per_call": per_call,
        "per_booking": per_booking,
        "priced": priced,
        "unpriced": unpriced,
        "total_label": label(total, lower_bound),
        "per_call_label": label(per_call),
        "per_booking_label": label(per_booking, lower_bound),
    }


def repair_order_figures(period):
    """Open repair orders per status (now), and the customers' decisions on job lines in the period:
    the approval rate (approved ÷ decided; None while nothing was decided), the declined value (a
    line's amount, else its estimate; unpriced lines are counted, not valued at 0) and the same
    week by week. Two queries."""
    counts = dict(RepairOrder.objects.open().values_list("status").annotate(n=Count("id")).order_by())
    open_by_status = [(RepairOrder.Status(s).label, counts.get(s, 0)) for s in RepairOrder.OPEN_STATUSES]
    approved, declined = Q(status__in=[JobLine.Status.APPROVED, JobLine.Status.DONE]), Q(status=JobLine.Status.DECLINED)
    rows = list(
        JobLine.objects.filter(decided_at__gte=period.start)
        .annotate(day=TruncDate("decided_at"), worth=Coalesce("amount", "estimate_high", "estimate_low"))
        .values("day")
        .annotate(
            approved=Count("id", filter=approved),
            declined=Count("id", filter=declined),
            declined_value=Sum("worth", filter=declined),
            unpriced=Count("id", filter=declined & Q(worth__isnull=True)),
        )
        .order_by()
    )
    weeks = []
    for start in range(0, period.days, 7):
        days = set(period.dates[start : start + 7])
        weeks.append(_decisions([r for r in rows if r["day"] in days], first_day=min(days)))
    return {"open_by_status": open_by_status, "open": sum(counts.values()), **_decisions(rows), "weeks": weeks}


def _decisions(rows, **extra):
    approved = sum(r["approved"] for r in rows)
    declined = sum(r["declined"] for r in rows)
    value = sum((r["declined_value"] for r in rows if r["declined_value"] is not None), 0)
    unpriced = sum(r["unpriced"] for r in rows)
    return {
        **extra,
        "approved": approved,
        "declined": declined,
        "decided": approved + declined,
        "approval_rate": _percent(approved, approved + declined),
        "declined_value": value,
        "declined_unpriced": unpriced,
        "declined_value_label": _declined_value_label(declined, value, unpriced),
    }


def _declined_value_label(declined, value, unpriced):
    if not declined:
        return "nothing declined"
    if unpriced == declined:
        return "not priced"
    return ("at least " if unpriced else "") + f"${value:,.0f}"


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None
