"""What a caller may hear about their repair order, in plain words.

Only the status, the promised time, the vehicle, the job lines' descriptions and estimates, and
the status note an advisor approved: never internal notes or the technician's name.
"""

from ..models import JobLine, RepairOrder

Status = RepairOrder.Status

STATUS_WORDS = {
    Status.CHECKED_IN: "checked in, and a technician hasn't started on it yet",
    Status.DIAGNOSING: "being inspected: the technician is still working out what it needs",
    Status.AWAITING_APPROVAL: "inspected, and the estimate is waiting for your go-ahead",
    Status.WAITING_PARTS: "waiting for parts",
    Status.IN_PROGRESS: "being worked on",
    Status.READY: "ready for pickup",
    Status.ON_HOLD: "on hold for now",
    Status.PICKED_UP: "already picked up",
}


def vehicle_name(vehicle):
    """'2019 Toyota Camry', or 'your car' when the shop has no year, make or model."""
    described = " ".join(str(p) for p in (vehicle.year, vehicle.make, vehicle.model) if p)
    return described or "your car"


def say_when(moment, tz):
    local = moment.astimezone(tz)
    return f"{local:%A, %B} {local.day} at {local:%-I:%M %p}"


def line_view(line):
    """One job line as the caller may hear it."""
    return {
        "line_id": line.pk,
        "work": line.description,
        "estimate": line.estimate or "not priced yet",
        "status": {
            JobLine.Status.RECOMMENDED: "waiting for your decision",
            JobLine.Status.APPROVED: "approved",
            JobLine.Status.DECLINED: "declined",
            JobLine.Status.DONE: "done",
        }[line.status],
        "your_request": line.requested_by_customer,
    }


def order_view(order, tz):
    """The repair order as the caller may hear it (the lines come from the order's prefetched `lines`)."""
    view = {
        "repair_order_id": order.pk,
        "vehicle": vehicle_name(order.vehicle),
        "status": STATUS_WORDS[order.status],
        "ready": order.status == Status.READY,
        "promised": say_when(order.promised_at, tz) if order.promised_at else None,
        "note": order.status_note if order.status_note_approved and order.status_note else None,
        "work": [line_view(line) for line in order.lines.all()],
    }
    return view
