"""The advisors' appointment board: a day by time and bay, and a week at a glance, with quick
actions (arrived, no-show, completed, move to a free time, cancel).

Admin views (wired by AppointmentAdmin.get_urls), like the repair-order board: the admin's login,
staff check and CSRF apply; the model's view and change permissions decide who sees and who acts.
Every change goes through scheduling.actions with the advisor as the actor, and a refusal comes
back as a message on the board. What is free (the room left in each slot, the times a card can
move to) comes from the rules bookings obey, never counted here.
"""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from crm.phones import display_phone
from ottos.lib import clock

from .actions import (
    Actor,
    cancel_appointment,
    move_starts,
    reschedule_appointment,
    room_by_day,
    set_appointment_status,
)
from .admin_sync import local_time
from .booking_times import TIME_REFUSALS, alternatives
from .models import Appointment, ShopProfile
from .refusals import BookingRefused, say_time

Status = Appointment.Status
# The one-click changes a card offers, by the appointment's status: (status, button label).
QUICK_STATUSES = {
    Status.BOOKED: [(Status.ARRIVED, "Arrived"), (Status.NO_SHOW, "No-show")],
    Status.CONFIRMED: [(Status.ARRIVED, "Arrived"), (Status.NO_SHOW, "No-show")],
    Status.ARRIVED: [(Status.COMPLETED, "Completed")],
}
DONE_WORDS = {Status.ARRIVED: "marked arrived", Status.NO_SHOW: "marked no-show", Status.COMPLETED: "marked completed"}
MOVABLE = (Status.BOOKED, Status.CONFIRMED)
MOVE_DAYS = 3  # a card's move list: the free starts on the board's day and the two days after
CANCEL_REASON = "Cancelled on the appointment board"

DAY_BOARD = "admin:scheduling_appointment_board"
WEEK_BOARD = "admin:scheduling_appointment_week"


def _midnight(day, tz):
    return datetime.combine(day, time(), tzinfo=tz)


def said_when(moment, tz):
    """'Tue Dec 15, 1:00 PM' in the shop's time: the back office's formatter."""
    with timezone.override(tz):
        return local_time(moment)


def day_label(day):
    return f"{day:%a %b} {day.day}"


def asked_day(request, tz):
    """The day in ?day=YYYY-MM-DD, else today in the shop."""
    try:
        return date.fromisoformat(request.GET.get("day", "").strip())
    except ValueError:
        return clock.now().astimezone(tz).date()


def board_url(name, day):
    return f"{reverse(name)}?day={day.isoformat()}"


def appointments_starting(first_day, last_day, tz):
    """Every appointment starting on those shop days, whatever its status: one query."""
    return list(
        Appointment.objects.filter(
            start__gte=_midnight(first_day, tz), start__lt=_midnight(last_day + timedelta(days=1), tz)
        )
        .select_related("customer", "vehicle", "service_type")
        .order_by("start", "pk")
    )


# --- The day: slots down, bays across ----------------------------------------------------------


def lay_out(appointments, slots):
    """Place each active appointment in the first lane free over the slots it overlaps.

    An appointment holds a bay, not a particular one: a lane is where the board draws it. Lanes
    past the shop's bays mean more cars than bays (hours or bays changed after booking).
    Returns ({appointment pk: (first row, rows, lane)}, appointments over no slot, lanes used).
    """
    free_from = []  # per lane: the first row it is free again
    placed, outside = {}, []
    for appointment in appointments:
        rows = [n for n, slot in enumerate(slots) if slot.start < appointment.end and appointment.start < slot.end]
        if not rows:
            outside.append(appointment)
            continue
        first, count = rows[0], rows[-1] - rows[0] + 1
        lane = next((n for n, free in enumerate(free_from) if free <= first), len(free_from))
        if lane == len(free_from):
            free_from.append(0)
        free_from[lane] = first + count
        placed[appointment.pk] = (first, count, lane)
    return placed, outside, len(free_from)


def move_choices(appointments, day, tz):
    """{appointment pk: [(day label, [(start, "9:30 AM"), ...]), ...]}: the free starts each movable
    appointment could move to from `day` on, as an advisor books them (walk-ins inside the minimum
    lead), the time it holds itself counted free. One availability load for the whole board."""
    window_start, window_end = _midnight(day, tz), _midnight(day + timedelta(days=MOVE_DAYS), tz)
    movable = [a for a in appointments if a.status in MOVABLE]
    found = {}
    for pk, starts in move_starts(movable, window_start, window_end, walk_in=True).items():
        by_day = {}
        for start in starts:
            by_day.setdefault(start.astimezone(tz).date(), []).append((start, say_time(start, tz)))
        found[pk] = [(day_label(d), times) for d, times in by_day.items()]
    return found


def card(appointment, tz, choices):
    customer = appointment.customer
    moves = None
    if appointment.status in MOVABLE:
        moves = [
            (label, [(start.isoformat(), said) for start, said in times if start != appointment.start])
            for label, times in choices.get(appointment.pk, [])
        ]
        moves = [(label, times) for label, times in moves if times]
    return {
        "appointment": appointment,
        "when": f"{say_time(appointment.start, tz)} – {say_time(appointment.end, tz)}",
        "customer": customer.name or display_phone(customer.phone),
        "quick": QUICK_STATUSES.get(appointment.status, []),
        "movable": appointment.status in MOVABLE,
        "moves": moves,
        "url": reverse("admin:scheduling_appointment_change", args=[appointment.pk]),
        "status_url": reverse("admin:scheduling_appointment_board_status", args=[appointment.pk]),
        "move_url": reverse("admin:scheduling_appointment_board_move", args=[appointment.pk]),
        "cancel_url": reverse("admin:scheduling_appointment_board_cancel", args=[appointment.pk]),
    }


def grid_rows(slots, cards, placed, lanes, now, tz):
    """The table's rows: a slot, the room left in it, and per lane a card starting there (with
    the rows it spans), an empty cell, or nothing where a card above spans it."""
    starting, spanned = {}, set()
    for entry in cards:
        first, count, lane = placed[entry["appointment"].pk]
        starting[first, lane] = (entry, count)
        spanned.update((row, lane) for row in range(first + 1, first + count))
    rows = []
    for n, slot in enumerate(slots):
        cells = []
        for lane in range(lanes):
            if (n, lane) not in spanned:
                entry, count = starting.get((n, lane), (None, 1))
                cells.append({"card": entry, "rowspan": count})
        rows.append(
            {
                "slot": slot,
                "label": say_time(slot.start, tz),
                "after_break": n > 0 and slots[n - 1].end != slot.start,
                "past": slot.end <= now,
                "full": slot.bays_left == 0,
                "cells": cells,
            }
        )
    return rows


def board_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    profile = ShopProfile.load()
    tz, now = profile.tz, clock.now()
    day = asked_day(request, tz)
    slots = room_by_day(day, day)[day]
    appointments = appointments_starting(day, day, tz)
    active = [a for a in appointments if a.is_active]
    placed, outside, used = lay_out(active, slots)
    choices = move_choices(active, day, tz)
    cards = [card(a, tz, choices) for a in active]
    lanes = max(profile.bays, used)
    ctx = {
        **_page(model_admin, request, f"Appointments: {day:%A, %B} {day.day}", day, "day", tz),
        "bays": profile.bays,
        "lanes": [f"Bay {n + 1}" if n < profile.bays else "Over the bays" for n in range(lanes)],
        "rows": grid_rows(slots, [c for c in cards if c["appointment"].pk in placed], placed, lanes, now, tz),
        "outside": [c for c in cards if c["appointment"].pk not in placed],
        "off_board": [
            {
                "appointment": a,
                "when": say_time(a.start, tz),
                "url": reverse("admin:scheduling_appointment_change", args=[a.pk]),
            }
            for a in appointments
            if not a.is_active
        ],
        "active_count": len(active),
        "waiter_count": sum(a.waiter for a in active),
        "closed": not slots,
    }
    return TemplateResponse(request, "admin/scheduling/appointment/board.html", ctx)


# --- The week: seven columns ---------------------------------------------------------------


def week_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    profile = ShopProfile.load()
    tz = profile.tz
    day = asked_day(request, tz)
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    room = room_by_day(monday, sunday)
    on_day = {}
    for appointment in appointments_starting(monday, sunday, tz):
        on_day.setdefault(appointment.start.astimezone(tz).date(), []).append(appointment)
    today = clock.now().astimezone(tz).date()
    columns = []
    for n in range(7):
        that_day = monday + timedelta(days=n)
        slots, listed = room[that_day], on_day.get(that_day, [])
        active = [a for a in listed if a.is_active]
        columns.append(
            {
                "day": that_day,
                "label": day_label(that_day),
                "url": board_url(DAY_BOARD, that_day),
                "today": that_day == today,
                "closed": not slots,
                "count": len(active),
                "waiters": sum(a.waiter for a in active),
                "cancelled": sum(a.status == Status.CANCELLED for a in listed),
                "free": sum(s.bays_left for s in slots),
                "room": profile.bays * len(slots),
                "items": [
                    {"appointment": a, "when": say_time(a.start, tz)} for a in listed if a.status != Status.CANCELLED
                ],
            }
        )
    title = f"Appointments: week of {monday:%A, %B} {monday.day}"
    ctx = {
        **_page(model_admin, request, title, day, "week", tz),
        "columns": columns,
        "week_count": sum(c["count"] for c in columns),
    }
    return TemplateResponse(request, "admin/scheduling/appointment/board_week.html", ctx)


def _page(model_admin, request, title, day, view, tz):
    """What both boards show around the grid: the title, and the way to other days."""
    step = timedelta(days=7 if view == "week" else 1)
    here = WEEK_BOARD if view == "week" else DAY_BOARD
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "view": view,
        "day": day,
        "previous_url": board_url(here, day - step),
        "next_url": board_url(here, day + step),
        "today_url": reverse(here),
        "day_url": board_url(DAY_BOARD, day),
        "week_url": board_url(WEEK_BOARD, day),
        "changelist_url": reverse("admin:scheduling_appointment_changelist"),
        "can_change": model_admin.has_change_permission(request),
    }


# --- Quick actions ---------------------------------------------------------------------------


def _quick_action(change):
    """A card's button: POST only, for those who may change appointments; the change goes through
    an action and comes back to the board it was made on, with what happened or why not."""

    def view(model_admin, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not model_admin.has_change_permission(request):
            raise PermissionDenied
        tz = ShopProfile.load().tz
        appointment = Appointment.objects.select_related("customer", "service_type").filter(pk=pk).first()
        if appointment is None:
            messages.warning(request, "There is no such appointment (it may have been removed).")
            return _back(request)
        customer = appointment.customer.name or display_phone(appointment.customer.phone)
        who = f"{customer} ({appointment.service_type.name}, {said_when(appointment.start, tz)})"
        try:
            done = change(request, appointment, Actor.advisor(request.user), tz)
        except BookingRefused as refusal:
            messages.warning(request, f"{who}: {refusal.message}")
        else:
            messages.success(request, f"{who}: {done}.")
        return _back(request)

    view.__name__ = change.__name__
    return view


def _back(request):
    """The board the action was taken on: its view and day, as posted."""
    name = WEEK_BOARD if request.POST.get("view") == "week" else DAY_BOARD
    try:
        return HttpResponseRedirect(board_url(name, date.fromisoformat(request.POST.get("day", ""))))
    except ValueError:
        return HttpResponseRedirect(reverse(name))


@_quick_action
def status_view(request, appointment, actor, tz):
    status = request.POST.get("status", "")
    if status not in DONE_WORDS:
        raise BookingRefused("invalid", "Choose arrived, no-show or completed.")
    set_appointment_status(appointment, status, actor=actor)
    return DONE_WORDS[status]


@_quick_action
def move_view(request, appointment, actor, tz):
    try:
        new_start = datetime.fromisoformat(request.POST.get("start", "").strip())
    except ValueError:
        new_start = None
    if new_start is None or new_start.tzinfo is None:
        raise BookingRefused("invalid", "Choose a free time to move it to.")
    try:
        moved = reschedule_appointment(appointment, new_start=new_start, actor=actor, walk_in=True)
    except BookingRefused as refusal:
        if refusal.code not in TIME_REFUSALS:
            raise
        more = alternatives(appointment.service_type, new_start, waiter=appointment.waiter, moving=appointment)
        raise BookingRefused(refusal.code, f"{refusal.message} {more}".strip()) from None
    return f"moved to {said_when(moved.start, tz)}"


@_quick_action
def cancel_view(request, appointment, actor, tz):
    cancel_appointment(appointment, actor=actor, reason=request.POST.get("reason", "").strip() or CANCEL_REASON)
    return "cancelled"
