"""The only way to write a repair order or a job line, and to read a customer's orders.

The admin, the board, the phone agent's tools, the commands and the tasks call these. Every write
is atomic, locks the order's row, records a RepairOrderChange and, after commit, announces itself
through scheduling.signals.repair_order_changed (the customer's status text hooks it).

Pass `customer=` when acting for a caller: an order or line that is not theirs reads as missing
(RepairOrderRefused "not_yours"), whatever id the caller or the model gave. Anything a caller or
advisor asked for that the rules do not allow raises RepairOrderRefused with a sentence that can
be said to them as it is.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ottos.lib import clock

from ..actions import Actor
from ..models import JobLine, RepairOrder, RepairOrderChange, ShopProfile

log = logging.getLogger(__name__)

Status = RepairOrder.Status
LineStatus = JobLine.Status

__all__ = [
    "Actor",
    "RepairOrderRefused",
    "add_job_line",
    "approve_job_lines",
    "close_repair_order",
    "decline_job_lines",
    "lines_awaiting_decision",
    "mark_followed_up",
    "mark_lines_done",
    "move_repair_order",
    "open_orders_for",
    "open_repair_order",
    "request_work",
    "set_promised_time",
    "set_repair_status",
    "set_shop_details",
    "set_status_note",
]


class RepairOrderRefused(Exception):
    """A repair-order change the rules do not allow. `message` can be said to the caller or advisor."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self):
        return f"RepairOrderRefused({self.code!r}, {self.message!r})"


NOT_YOURS = "I couldn't find that repair order under your name."


# --- Reading -------------------------------------------------------------------------------


def open_orders_for(customer):
    """The customer's open repair orders (not yet picked up), newest first, with vehicle and lines."""
    if customer is None or customer.pk is None:
        return []
    return list(
        RepairOrder.objects.open().filter(customer=customer).select_related("vehicle").prefetch_related("lines")
    )


def lines_awaiting_decision(order):
    """The order's job lines the customer has not yet approved or declined, oldest first."""
    return [line for line in order.lines.all() if line.status == LineStatus.RECOMMENDED]


# --- Writing the order -----------------------------------------------------------------------


def open_repair_order(
    *,
    customer,
    vehicle,
    actor,
    appointment=None,
    promised_at=None,
    mileage_in=None,
    status_note="",
    status_note_approved=False,
    internal_notes="",
    technician="",
    opened_at=None,
):
    """Check a car in: a new repair order in status "checked in"."""
    if customer is None or customer.pk is None:
        raise RepairOrderRefused("invalid", "The customer must be on file before their car is checked in.")
    if vehicle is None or vehicle.owner_id != customer.pk:
        raise RepairOrderRefused("invalid", "The vehicle must be one of the customer's vehicles.")
    if appointment is not None and appointment.customer_id != customer.pk:
        raise RepairOrderRefused("invalid", "The appointment must be the customer's own.")
    _require_aware(promised_at)
    with transaction.atomic():
        order = RepairOrder.objects.create(
            customer=customer,
            vehicle=vehicle,
            appointment=appointment,
            opened_at=opened_at or clock.now(),
            promised_at=promised_at,
            mileage_in=mileage_in,
            status_note=status_note.strip(),
            status_note_approved=bool(status_note_approved and status_note.strip()),
            internal_notes=internal_notes,
            technician=technician,
        )
        _record(order, "opened", actor, before=None)
    return order


def set_repair_status(order, status, *, actor):
    """Move an open order to another open status (any step of the ladder, or on hold).

    Picking up is close_repair_order. Setting the status it already has changes nothing, so a
    repeated click or task announces (and texts) nothing twice.
    """
    if status not in RepairOrder.OPEN_STATUSES:
        if status == Status.PICKED_UP:
            raise RepairOrderRefused("invalid", "Close the repair order to mark the car picked up.")
        raise RepairOrderRefused("invalid", f"{status!r} is not a repair order status.")
    status = Status(status)
    with transaction.atomic():
        order = _locked(order, None)
        _require_open(order)
        if order.status == status:
            return order
        before = _snapshot(order)
        order.status = status
        order.save(update_fields=["status", "updated_at"])
        _record(order, "status", actor, before=before)
    return order


def set_promised_time(order, promised_at, *, actor):
    """The time the shop promises the car (None: no promise)."""
    _require_aware(promised_at)
    with transaction.atomic():
        order = _locked(order, None)
        if order.promised_at == promised_at:
            return order
        before = _snapshot(order)
        order.promised_at = promised_at
        order.save(update_fields=["promised_at", "updated_at"])
        _record(order, "promised", actor, before=before)
    return order


def set_status_note(order, note, *, approved, actor):
    """The sentence callers may hear about the order, and whether an advisor approved it for them."""
    note = (note or "").strip()
    with transaction.atomic():
        order = _locked(order, None)
        approved = bool(approved and note)
        if order.status_note == note and order.status_note_approved == approved:
            return order
        before = _snapshot(order)
        order.status_note, order.status_note_approved = note, approved
        order.save(update_fields=["status_note", "status_note_approved", "updated_at"])
        _record(order, "note", actor, before=before)
    return order


SHOP_DETAILS = ("internal_notes", "technician", "mileage_in")


def set_shop_details(order, *, actor, **details):
    """Internal notes, technician and mileage in: the shop's own, never told to callers; recorded
    like every change but announced to nobody (no customer text hangs on them)."""
    unknown = set(details) - set(SHOP_DETAILS)
    if unknown:
        raise ValueError(f"Not shop details: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        order = _locked(order, None)
        before = {name: getattr(order, name) for name in SHOP_DETAILS}
        after = {**before, **details}
        if after == before:
            return order
        for name, value in details.items():
            setattr(order, name, value)
        order.save(update_fields=[*details, "updated_at"])
        _record(order, "shop_details", actor, details={"before": before, "after": after}, announce=False)
    return order


def move_repair_order(order, status, *, actor):
    """The board's, the admin's and any caller's one way to move an order: picked up closes it, the rest is a status."""
    if status == Status.PICKED_UP:
        return close_repair_order(order, actor=actor)
    return set_repair_status(order, status, actor=actor)


def close_repair_order(order, *, actor, closed_at=None):
    """The customer picked the car up: the order is closed. Closing a closed order changes nothing.

    Work still waiting for the customer's decision is left as it is (an advisor declines it if the
    customer said no at the counter).
    """
    with transaction.atomic():
        order = _locked(order, None)
        if order.status == Status.PICKED_UP:
            return order
        before = _snapshot(order)
        order.status = Status.PICKED_UP
        order.closed_at = max(closed_at or clock.now(), order.opened_at)
        order.save(update_fields=["status", "closed_at", "updated_at"])
        _record(order, "closed", actor, before=before)
    return order


# --- Writing job lines -----------------------------------------------------------------------


def add_job_line(
    order,
    *,
    description,
    actor,
    estimate_low=None,
    estimate_high=None,
    amount=None,
    status=LineStatus.RECOMMENDED,
    requested_by_customer=False,
    customer=None,
):
    """A piece of work on the order, recommended (waiting for the customer) unless said otherwise."""
    description = " ".join((description or "").split())
    if not description:
        raise RepairOrderRefused("invalid", "Say what the work is.")
    if status not in (LineStatus.RECOMMENDED, LineStatus.APPROVED, LineStatus.DONE):
        raise RepairOrderRefused("invalid", "A new job line is recommended, approved or done; decline it afterwards.")
    low, high, amount = (_money(v) for v in (estimate_low, estimate_high, amount))
    if low is not None and high is not None and low > high:
        raise RepairOrderRefused("invalid", "The high end of the estimate is below the low end.")
    with transaction.atomic():
        order = _locked(order, customer)
        _require_open(order)
        line = JobLine.objects.create(
            repair_order=order,
            description=description[:200],
            estimate_low=low,
            estimate_high=high,
            amount=amount,
            status=status,
            requested_by_customer=requested_by_customer,
        )
        _record(order, "line_added", actor, before=None, line=line)
    return line


def request_work(order, *, description, actor, customer, words=""):
    """The customer asked for more work while the car is in ("can you do the brakes while it's there?").

    It becomes a recommended line flagged as the customer's request, unpriced, for an advisor to
    price and confirm: a request, never a promise. Asking twice for the same thing on one order
    adds it once.
    """
    description = " ".join((description or "").split())
    with transaction.atomic():
        order = _locked(order, customer)
        _require_open(order)
        for line in order.lines.filter(requested_by_customer=True, status=LineStatus.RECOMMENDED):
            if line.description.casefold() == description.casefold():
                return line
        line = add_job_line(order, description=description, actor=actor, requested_by_customer=True, customer=customer)
        if words:
            line.decided_words = words[:1000]
            line.save(update_fields=["decided_words", "updated_at"])
    return line


def approve_job_lines(order, line_ids, *, actor, via, customer=None, decided_by="", words=""):
    """The customer approves these lines of this order. Returns the lines, approved.

    Every id must be a line of the order (the caller's own order when `customer` is given) that
    is waiting for a decision or already approved; a line already approved stays as it was, with
    its first approval's time and words, and no second record. So a retried or interrupted
    approval is recorded once.
    """
    return _decide(
        order,
        line_ids,
        LineStatus.APPROVED,
        actor=actor,
        via=via,
        customer=customer,
        decided_by=decided_by,
        words=words,
    )


def decline_job_lines(order, line_ids, *, actor, via, customer=None, decided_by="", words="", reason=""):
    """The customer declines these lines; a follow-up date is set (the shop's declined-work delay)."""
    return _decide(
        order,
        line_ids,
        LineStatus.DECLINED,
        actor=actor,
        via=via,
        customer=customer,
        decided_by=decided_by,
        words=words,
        reason=reason,
    )


def mark_followed_up(line, *, actor, note=""):
    """An advisor followed up declined work (called the customer): it leaves the follow-up list.
    The record is the change itself, with what the advisor noted; doing it twice records it once."""
    with transaction.atomic():
        order = _locked(line.repair_order_id, None)
        line = JobLine.objects.get(pk=line.pk, repair_order=order)
        if line.status != LineStatus.DECLINED:
            raise RepairOrderRefused(
                "invalid", f"{line.description} was not declined, so there is nothing to follow up."
            )
        if line.changes.filter(action="followed_up").exists():
            return line
        _record(order, "followed_up", actor, line=line, details={"note": (note or "").strip()[:500]}, announce=False)
    return line


def mark_lines_done(order, line_ids, *, actor):
    """Approved work finished."""
    with transaction.atomic():
        order = _locked(order, None)
        lines = _lines_of(order, line_ids)
        for line in lines:
            if line.status == LineStatus.DONE:
                continue
            if line.status != LineStatus.APPROVED:
                raise RepairOrderRefused("invalid", f"{line.description} isn't approved, so it can't be done.")
            before = _line_snapshot(line)
            line.status = LineStatus.DONE
            line.save(update_fields=["status", "updated_at"])
            _record(order, "line_done", actor, before=before, line=line)
    return lines


def _decide(order, line_ids, decision, *, actor, via, customer, decided_by, words, reason=""):
    if via not in JobLine.Via.values:
        raise RepairOrderRefused("invalid", f"{via!r} is not a way of approving work.")
    if not line_ids:
        raise RepairOrderRefused("invalid", "Name the work to approve or decline.")
    now = clock.now()
    with transaction.atomic():
        order = _locked(order, customer)
        _require_open(order)
        lines = _lines_of(order, line_ids)
        follow_up = now.astimezone(ShopProfile.load().tz).date() + timedelta(
            days=ShopProfile.load().declined_work_follow_up_days
        )
        for line in lines:
            if line.status == decision:
                continue
            if line.status != LineStatus.RECOMMENDED:
                raise RepairOrderRefused(
                    "already_decided", f"{line.description} is already {line.get_status_display().lower()}."
                )
            before = _line_snapshot(line)
            line.status = decision
            line.decided_at = now
            line.decided_via = via
            line.decided_by = (decided_by or actor.label or "")[:120]
            line.decided_call_sid = actor.label[:64] if actor.kind == "phone_agent" else ""
            line.decided_words = (words or "")[:1000]
            line.decline_reason = (reason or "")[:200] if decision == LineStatus.DECLINED else ""
            line.follow_up_on = follow_up if decision == LineStatus.DECLINED else None
            line.save()
            _record(
                order, "approved" if decision == LineStatus.APPROVED else "declined", actor, before=before, line=line
            )
    return lines


# --- Inside the transaction -----------------------------------------------------------------


def _locked(order, customer):
    pk = order.pk if isinstance(order, RepairOrder) else order
    queryset = RepairOrder.objects.select_for_update().filter(pk=pk)
    if customer is not None:
        queryset = queryset.filter(customer_id=customer.pk)
    locked = queryset.first()
    if locked is None:
        if customer is not None:
            raise RepairOrderRefused("not_yours", NOT_YOURS)
        raise RepairOrderRefused("invalid", "There is no such repair order.")
    return locked


def _lines_of(order, line_ids):
    ids = [int(i) for i in line_ids]
    lines = {line.pk: line for line in JobLine.objects.select_for_update().filter(repair_order=order, pk__in=ids)}
    missing = [i for i in ids if i not in lines]
    if missing:
        raise RepairOrderRefused("not_yours", "That work isn't on this repair order.")
    return [lines[i] for i in dict.fromkeys(ids)]


def _require_open(order):
    if order.status == Status.PICKED_UP:
        raise RepairOrderRefused("closed", "That car has already been picked up, so its repair order is closed.")


def _require_aware(moment):
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("Repair order times must be timezone-aware.")


def _money(value):
    if value is None or value == "":
        return None
    try:
        money = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RepairOrderRefused("invalid", f"{value!r} is not an amount of money.") from None
    if money < 0:
        raise RepairOrderRefused("invalid", "An estimate can't be negative.")
    return money


def _record(order, action, actor, *, before=None, line=None, details=None, announce=True):
    """The audit record of a change (before and after, unless `details` says what happened); after
    commit, announced to listeners (the status text) unless the change is the shop's own business."""
    if details is None:
        details = {"before": before, "after": _line_snapshot(line) if line is not None else _snapshot(order)}
    RepairOrderChange.objects.create(
        repair_order=order,
        line=line,
        action=action,
        actor_kind=actor.kind,
        actor_user=actor.user if getattr(actor.user, "pk", None) else None,
        actor_label=actor.label[:120],
        details=details,
    )
    if announce:
        order_id, status = order.pk, order.status
        transaction.on_commit(lambda: _announce(order_id, action, status), robust=True)


def _announce(order_id, action, status):
    from ..signals import repair_order_changed

    for receiver, result in repair_order_changed.send_robust(
        sender=RepairOrder, repair_order_id=order_id, action=action, status=status
    ):
        if isinstance(result, Exception):
            log.error(
                "repair_order_changed receiver %r failed for repair order %s", receiver, order_id, exc_info=result
            )


def _snapshot(order):
    return {
        "status": order.status,
        "promised_at": timezone.localtime(order.promised_at).isoformat() if order.promised_at else None,
        "status_note": order.status_note,
        "status_note_approved": order.status_note_approved,
        "closed_at": timezone.localtime(order.closed_at).isoformat() if order.closed_at else None,
    }


def _line_snapshot(line):
    return {
        "line_id": line.pk,
        "description": line.description,
        "status": line.status,
        "estimate_low": str(line.estimate_low) if line.estimate_low is not None else None,
        "estimate_high": str(line.estimate_high) if line.estimate_high is not None else None,
        "amount": str(line.amount) if line.amount is not None else None,
        "decided_via": line.decided_via,
        "decline_reason": line.decline_reason,
    }
