"""Keeping the shop's Google Calendar in step with appointments. The database is the truth.

Each appointment owns at most one event, found by a deterministic id (so a retried or
repeated sync never creates a second one) and tagged with the appointment's id in its
private extended properties (so the reconcile can attribute events it finds). Our events
are "transparent": they do not show as busy, so free/busy returns only time that staff
blocked by hand, and appointments are never counted twice against the bays.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from crm.phones import display_phone

from . import calendar
from .calendar import CalendarError, event_id_for, parse_time
from .models import Appointment, ShopProfile

log = logging.getLogger(__name__)

EVENT_SOURCE = "ottos"


def event_id_for_appointment(appointment):
    # created_at keeps ids apart when a database is recreated and pks start over.
    return event_id_for("appointment", settings.GOOGLE_CALENDAR_ID, appointment.pk, appointment.created_at.isoformat())


def event_body(appointment, tz):
    """The event an appointment should have in the calendar."""
    customer = appointment.customer
    who = customer.name or display_phone(customer.phone)
    summary = f"{appointment.service_type.name} - {who}"
    if appointment.vehicle is not None:
        summary += f" - {appointment.vehicle}"
    if appointment.status in (Appointment.Status.NO_SHOW, Appointment.Status.COMPLETED):
        summary = f"[{appointment.get_status_display()}] {summary}"
    lines = [
        f"Customer: {customer.name or 'not given'}, {display_phone(customer.phone)}",
        "Waits at the shop" if appointment.waiter else "Drop-off",
    ]
    if appointment.vehicle is not None:
        vin = f" (VIN {appointment.vehicle.vin})" if appointment.vehicle.vin else ""
        lines.append(f"Vehicle: {appointment.vehicle}{vin}")
    if appointment.loaner_requested:
        lines.append("Loaner requested")
    if appointment.notes:
        lines.append(f"Notes: {appointment.notes}")
    lines.append(f"Booked by {appointment.get_source_display().lower()}; Otto's appointment #{appointment.pk}")
    return {
        "summary": summary,
        "description": "\n".join(lines),
        "start": {"dateTime": appointment.start.astimezone(tz).isoformat(), "timeZone": str(tz)},
        "end": {"dateTime": appointment.end.astimezone(tz).isoformat(), "timeZone": str(tz)},
        "transparency": "transparent",
        "status": "confirmed",
        "extendedProperties": {"private": {"appointment_id": str(appointment.pk), "source": EVENT_SOURCE}},
    }


def same_event(existing, wanted):
    """Does the stored event already say what `wanted` says?"""
    try:
        times_match = all(parse_time(existing[k]) == parse_time(wanted[k]) for k in ("start", "end"))
    except (KeyError, ValueError):
        return False
    return (
        times_match
        and existing.get("status", "confirmed") != "cancelled"
        and all(existing.get(k, "") == wanted[k] for k in ("summary", "description"))
        and existing.get("transparency", "opaque") == wanted["transparency"]
        and existing.get("extendedProperties", {}).get("private", {}) == wanted["extendedProperties"]["private"]
    )


def appointment_id_of(event):
    raw = event.get("extendedProperties", {}).get("private", {}).get("appointment_id", "")
    return int(raw) if raw.isdigit() else None


def _load(appointment_id):
    return Appointment.objects.select_related("customer", "vehicle", "service_type").filter(pk=appointment_id).first()


def _push(appointment, shop_calendar, tz):
    """Make the calendar match the appointment. Returns (outcome, event_id)."""
    if appointment.status == Appointment.Status.CANCELLED:
        event_id = appointment.calendar_event_id or event_id_for_appointment(appointment)
        deleted = shop_calendar.delete_event(event_id)
        return ("deleted" if deleted else "already_gone"), event_id
    body = event_body(appointment, tz)
    if appointment.calendar_event_id:
        event_id, _ = shop_calendar.update_or_recreate(appointment.calendar_event_id, body)
        return "updated", event_id
    event_id, _ = shop_calendar.put_event(event_id_for_appointment(appointment), body, same=same_event)
    return "created", event_id


def sync_appointment(appointment_id, *, shop_calendar=None, tz=None):
    """Create, update or delete the appointment's event. Idempotent; raises CalendarError.

    The result is only marked synced if the appointment did not change while we wrote it
    (a conditional update on updated_at); if it did, we write again.
    """
    shop_calendar = shop_calendar or calendar.shop_calendar()
    tz = tz or ShopProfile.load().tz
    outcome = "missing"
    for _ in range(3):
        appointment = _load(appointment_id)
        if appointment is None:
            return "missing"
        outcome, event_id = _push(appointment, shop_calendar, tz)
        now = timezone.now()
        Appointment.objects.filter(pk=appointment.pk).update(calendar_event_id=event_id, calendar_synced_at=now)
        marked = Appointment.objects.filter(pk=appointment.pk, updated_at=appointment.updated_at).update(
            calendar_sync_state=Appointment.CalendarSync.SYNCED, calendar_sync_error=""
        )
        if marked:
            return outcome
    return outcome


def record_failure(appointment_id, error, *, will_retry):
    note = " (retrying automatically)" if will_retry else ""
    Appointment.objects.filter(pk=appointment_id).update(
        calendar_sync_state=Appointment.CalendarSync.FAILED,
        calendar_sync_error=f"{error}{note}"[:2000],
        calendar_synced_at=timezone.now(),
    )


def mark_pending(appointment_ids):
    """Used when a sync is queued by hand (the admin's resync action)."""
    return Appointment.objects.filter(pk__in=appointment_ids).update(
        calendar_sync_state=Appointment.CalendarSync.PENDING
    )


@dataclass
class ReconcileSummary:
    checked: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    unchanged: int = 0

    def __str__(self):
        return (
            f"{self.checked} appointments checked: {self.created} events created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} already right, {self.failed} failed"
        )


def reconcile(days=None, *, now=None, progress=None):
    """Compare the next `days` days of appointments with the calendar and repair what differs.

    Repairs what it can attribute: a missing or stale event is (re)written, an event whose
    appointment was cancelled or no longer exists is deleted, a second event for one
    appointment is deleted. Appointments whose last sync failed are retried whatever their
    date. Events without our tag are staff's own and are left alone. `progress(n)` is called
    as appointments are done. Raises CalendarError only if the calendar cannot be listed.
    """
    days = days or settings.CALENDAR_RECONCILE_DAYS
    now = now or timezone.now()
    window_end = now + timedelta(days=days)
    shop_calendar = calendar.shop_calendar()
    tz = ShopProfile.load().tz
    summary = ReconcileSummary()

    events_by_appointment = defaultdict(list)
    for event in shop_calendar.list_events(now, window_end, private={"source": EVENT_SOURCE}):
        appointment_id = appointment_id_of(event)
        if appointment_id is not None:
            events_by_appointment[appointment_id].append(event)

    appointments = list(
        Appointment.objects.select_related("customer", "vehicle", "service_type")
        .filter(
            Q(start__lt=window_end, end__gt=now)
            | Q(pk__in=list(events_by_appointment))
            | Q(
                end__gt=now, calendar_sync_state__in=[Appointment.CalendarSync.FAILED, Appointment.CalendarSync.PENDING]
            )
        )
        .order_by("start")
    )
    known = {a.pk for a in appointments}
    orphans = [e for pk, events in events_by_appointment.items() if pk not in known for e in events]

    for appointment in appointments:
        events = events_by_appointment.get(appointment.pk, [])
        try:
            _reconcile_one(appointment, events, shop_calendar, tz, summary)
        except CalendarError as exc:
            summary.failed += 1
            record_failure(appointment.pk, exc, will_retry=exc.retryable)
            log.warning("Reconcile could not sync appointment %s: %s", appointment.pk, exc)
        summary.checked += 1
        if progress:
            progress(1)
    for event in orphans:
        try:
            if shop_calendar.delete_event(event["id"]):
                summary.deleted += 1
        except CalendarError as exc:
            summary.failed += 1
            log.warning("Reconcile could not delete orphaned event %s: %s", event["id"], exc)
    return summary


def _reconcile_one(appointment, events, shop_calendar, tz, summary):
    cancelled = appointment.status == Appointment.Status.CANCELLED
    current = next((e for e in events if e["id"] == appointment.calendar_event_id), None)
    in_sync = appointment.calendar_sync_state == Appointment.CalendarSync.SYNCED
    if cancelled:
        needs_push = bool(events) or not in_sync
    else:
        needs_push = not in_sync or current is None or not same_event(current, event_body(appointment, tz))
    event_id = appointment.calendar_event_id
    if needs_push:
        outcome = sync_appointment(appointment.pk, shop_calendar=shop_calendar, tz=tz)
        if outcome == "created" or (outcome == "updated" and current is None):
            summary.created += 1
        elif outcome == "updated":
            summary.updated += 1
        elif outcome == "deleted":
            summary.deleted += 1
        else:
            summary.unchanged += 1
        event_id = Appointment.objects.filter(pk=appointment.pk).values_list("calendar_event_id", flat=True).first()
    else:
        summary.unchanged += 1
    for extra in events:
        if extra["id"] != event_id and shop_calendar.delete_event(extra["id"]):
            summary.deleted += 1
