"""Texts to customers about their repair orders: the car is ready, an estimate is waiting, and
(scheduling.repair_orders.follow_ups) the work they declined.

The bodies and queries live here; recording, quiet hours and sending are scheduling.texts'. A
repair-order text is one per order, kind and `about` (the status it announces, or the declined
work it follows up), so it goes out once however often the order comes back to that status.
"""

from django.conf import settings
from django.utils import timezone

from crm.phones import display_phone

from .. import shop_info, texts
from ..models import OpeningHours, RepairOrder, ShopProfile, TextMessage

Status = RepairOrder.Status
Kind = TextMessage.Kind

# The statuses a customer is texted about when their order reaches them.
TEXTED_STATUSES = (Status.READY, Status.AWAITING_APPROVAL)


# --- What -------------------------------------------------------------------------------------


def vehicle_long_name(vehicle):
    """'2019 Toyota Camry', or 'car' when the shop has no year, make or model."""
    return " ".join(str(p) for p in (vehicle.year, vehicle.make, vehicle.model) if p) or "car"


def vehicle_short_name(vehicle):
    """'Camry' (or 'Toyota', or 'car'): the car as a customer calls it."""
    return vehicle.model or vehicle.make or "car"


def hours_when_read(moment, tz):
    """What the shop's hours mean to someone reading the text at `moment` ("We're open today until
    5 PM."), from the hours and closures bookings follow; "" when the shop has no hours set."""
    if not OpeningHours.objects.exists():
        return ""
    local = moment.astimezone(tz)
    return shop_info.day_answer(local.date(), local)


def status_body(order, status, profile, *, sent_at):
    """The text for an order that reached `status` (one of TEXTED_STATUSES), read at `sent_at`."""
    if status == Status.READY:
        hours = hours_when_read(sent_at, profile.tz)
        return f"{profile.name}: your {vehicle_long_name(order.vehicle)} is ready for pickup. {hours}".strip()
    call = f"call us at {display_phone(profile.phone)}" if profile.phone else "call us"
    return (
        f"{profile.name}: we've looked at your {vehicle_short_name(order.vehicle)} and have an estimate ready; "
        f"{call} to go over it."
    )


def declined_work_body(order, lines, profile, *, sent_at):
    """ "Otto's Auto Repair: when your Camry was in on Nov 3 we recommended front brake pads
    ($189 to $349). Call (312) 555-0100 to book it." for the declined `lines` of `order`."""
    tz = profile.tz
    opened = order.opened_at.astimezone(tz)
    when = f"{opened:%b} {opened.day}"
    if opened.year != sent_at.astimezone(tz).year:
        when += f", {opened.year}"
    work = [
        shop_info.spoken_service(line.description, article=False) + (f" ({line.estimate})" if line.estimate else "")
        for line in lines
    ]
    said = work[0] if len(work) == 1 else f"{', '.join(work[:-1])} and {work[-1]}"
    call = f"Call {display_phone(profile.phone)}" if profile.phone else "Call us"
    it = "it" if len(lines) == 1 else "them"
    return (
        f"{profile.name}: when your {vehicle_short_name(order.vehicle)} was in on {when} we recommended {said}. "
        f"{call} to book {it}."
    )


# --- Queueing ---------------------------------------------------------------------------------


def queue_status_text(order_id, status, *, now=None):
    """Record the text announcing that the order reached `status`; the existing one if already recorded.

    Returns None when no text applies: texts off, a status nobody is texted about, the order has
    moved on already, or the customer did not agree to texts. A text recorded earlier that was
    never sent (the order had moved on when it was due) is due again now that the order is back:
    still at most one goes out.
    """
    now = now or timezone.now()
    if not settings.TEXTS_ENABLED or status not in TEXTED_STATUSES:
        return None
    order = RepairOrder.objects.select_related("customer", "vehicle").filter(pk=order_id).first()
    if order is None or order.status != status or not order.customer.sms_opt_in:
        return None
    once = {"repair_order": order, "kind": Kind.REPAIR_STATUS, "about": status}
    existing = TextMessage.objects.filter(**once).first()
    if existing is not None and existing.status != TextMessage.Status.SKIPPED:
        return existing
    profile = ShopProfile.load()
    send_after = texts.first_allowed_time(now, profile.tz)
    fields = {
        "to": order.customer.phone,
        "send_after": send_after,
        "body": status_body(order, status, profile, sent_at=send_after),
    }
    if existing is None:
        return texts.record_once(once, customer=order.customer, **fields)
    TextMessage.objects.filter(pk=existing.pk, status=TextMessage.Status.SKIPPED).update(
        status=TextMessage.Status.SCHEDULED, error="", updated_at=now, **fields
    )
    existing.refresh_from_db()
    return existing


def queue_declined_work_text(order, lines, about, *, now=None):
    """Record the follow-up text about the declined `lines` of `order` (customer and vehicle
    selected), once under `about`; the existing one if already recorded. None with texts off or
    for a customer who did not agree to texts."""
    now = now or timezone.now()
    if not settings.TEXTS_ENABLED or not order.customer.sms_opt_in or not lines:
        return None
    once = {"repair_order": order, "kind": Kind.DECLINED_WORK, "about": about}
    existing = TextMessage.objects.filter(**once).first()
    if existing is not None:
        return existing
    profile = ShopProfile.load()
    send_after = texts.first_allowed_time(now, profile.tz)
    return texts.record_once(
        once,
        customer=order.customer,
        to=order.customer.phone,
        send_after=send_after,
        body=declined_work_body(order, lines, profile, sent_at=send_after),
    )
