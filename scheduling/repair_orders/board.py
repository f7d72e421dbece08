"""The advisors' board: open repair orders in columns by status, with quick moves; and the list of
declined work whose follow-up is due.

Admin views (wired by RepairOrderAdmin.get_urls): the admin's login, staff check and CSRF apply;
the model's view and change permissions decide who sees and who moves. A move goes through the
same action as everywhere else, and a refusal comes back as a message on the board.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from crm.phones import display_phone
from ottos.lib import clock

from ..actions import Actor
from ..admin_sync import local_time
from ..models import JobLine, RepairOrder
from .actions import RepairOrderRefused, mark_followed_up, move_repair_order
from .follow_ups import due_follow_ups

Status = RepairOrder.Status
LADDER = list(RepairOrder.LADDER)
# The board's columns, left to right: the open steps of the ladder, then orders on hold.
COLUMNS = [*RepairOrder.LADDER[:-1], Status.ON_HOLD]


def is_overdue(order, now):
    """Promised for a time gone by, and the car is neither ready nor picked up."""
    return (
        order.promised_at is not None
        and order.promised_at < now
        and order.status not in (Status.READY, Status.PICKED_UP)
    )


def promised_words(order, now):
    if order.promised_at is None:
        return "No time promised"
    when = local_time(order.promised_at)
    return f"Overdue: promised {when}" if is_overdue(order, now) else f"Promised {when}"


def board_orders():
    """Every open order with its customer, vehicle and count of lines awaiting a decision: one query."""
    return (
        RepairOrder.objects.open()
        .select_related("customer", "vehicle")
        .annotate(awaiting=Count("lines", filter=Q(lines__status=JobLine.Status.RECOMMENDED)))
        .order_by(F("promised_at").asc(nulls_last=True), "opened_at", "pk")
    )


def quick_moves(order):
    """The one-click moves a card offers: the next step, ready for pickup, on hold, picked up."""
    moves = []
    if order.status != Status.ON_HOLD:
        following = LADDER[LADDER.index(order.status) + 1]
        moves.append(following)
        if following not in (Status.READY, Status.PICKED_UP):
            moves.append(Status.READY)
        moves.append(Status.ON_HOLD)
    return [(status, move_label(status)) for status in moves]


def move_label(status):
    return "Picked up (close)" if status == Status.PICKED_UP else Status(status).label


def card(order, now):
    return {
        "order": order,
        "overdue": is_overdue(order, now),
        "promised": promised_words(order, now),
        "moves": quick_moves(order),
        "other_moves": [(s, move_label(s)) for s in (*COLUMNS, Status.PICKED_UP) if s != order.status],
        "url": reverse("admin:scheduling_repairorder_change", args=[order.pk]),
        "move_url": reverse("admin:scheduling_repairorder_move", args=[order.pk]),
    }


def board_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    now = clock.now()
    cards = {status: [] for status in COLUMNS}
    for order in board_orders():
        cards[order.status].append(card(order, now))
    columns = [{"status": s, "label": Status(s).label, "cards": cards[s]} for s in COLUMNS]
    ctx = {
        **model_admin.admin_site.each_context(request),
        "title": "Repair order board",
        "opts": model_admin.model._meta,
        "columns": columns,
        "open_count": sum(len(c["cards"]) for c in columns),
        "overdue_count": sum(1 for c in columns for k in c["cards"] if k["overdue"]),
        "can_change": model_admin.has_change_permission(request),
        "follow_ups_url": reverse("admin:scheduling_repairorder_follow_ups"),
        "changelist_url": reverse("admin:scheduling_repairorder_changelist"),
    }
    return TemplateResponse(request, "admin/scheduling/repairorder/board.html", ctx)


def move_view(model_admin, request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    board = reverse("admin:scheduling_repairorder_board")
    status = request.POST.get("status", "")
    order = RepairOrder.objects.select_related("vehicle").filter(pk=pk).first()
    if order is None:
        messages.warning(request, "There is no such repair order (it may have been removed).")
        return HttpResponseRedirect(board)
    if status not in Status.values:
        messages.warning(request, f"RO {order.number}: choose a status to move it to.")
        return HttpResponseRedirect(board)
    try:
        moved = move_repair_order(order, status, actor=Actor.advisor(request.user))
    except RepairOrderRefused as refusal:
        messages.warning(request, f"RO {order.number}: {refusal.message}")
    else:
        messages.success(request, f"RO {order.number} ({order.vehicle}): {moved.get_status_display()}.")
    return HttpResponseRedirect(board)


def followed_up_view(model_admin, request, line_pk):
    """An advisor called the customer about declined work: off the list, with their note."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    page = reverse("admin:scheduling_repairorder_follow_ups")
    line = JobLine.objects.select_related("repair_order").filter(pk=line_pk).first()
    if line is None:
        messages.warning(request, "There is no such job line (it may have been removed).")
        return HttpResponseRedirect(page)
    try:
        mark_followed_up(line, actor=Actor.advisor(request.user), note=request.POST.get("note", ""))
    except RepairOrderRefused as refusal:
        messages.warning(request, f"RO {line.repair_order.number}: {refusal.message}")
    else:
        messages.success(request, f"RO {line.repair_order.number}: {line.description} marked followed up.")
    return HttpResponseRedirect(page)


def follow_up_rows(lines):
    return [
        {
            "line": line,
            "order": line.repair_order,
            "customer": line.repair_order.customer,
            "phone": display_phone(line.repair_order.customer.phone),
            "vehicle": line.repair_order.vehicle,
            "estimate": line.estimate or "not priced",
            "declined": local_time(line.decided_at) if line.decided_at else "—",
            "url": reverse("admin:scheduling_repairorder_change", args=[line.repair_order_id]),
            "done_url": reverse("admin:scheduling_repairorder_followed_up", args=[line.pk]),
        }
        for line in lines
    ]


def follow_ups_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ctx = {
        **model_admin.admin_site.each_context(request),
        "title": "Declined work to follow up",
        "opts": model_admin.model._meta,
        "rows": follow_up_rows(due_follow_ups()),
        "board_url": reverse("admin:scheduling_repairorder_board"),
        "changelist_url": reverse("admin:scheduling_repairorder_changelist"),
    }
    return TemplateResponse(request, "admin/scheduling/repairorder/follow_ups.html", ctx)
