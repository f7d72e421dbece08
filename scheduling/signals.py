"""Signals of the scheduling app: events other parts of Otto's listen for."""

from django.dispatch import Signal

# Sent after commit whenever an appointment is written, with kwargs appointment_id and
# action ("booked" | "rescheduled" | "cancelled" | "status" | "details"). Calendar sync and
# the customer's texts hook it; a listener should ignore actions it does not know.
appointment_changed = Signal()

# Sent after commit whenever a repair order or one of its job lines is written, with kwargs
# repair_order_id, action ("opened" | "status" | "promised" | "note" | "closed" | "line_added" |
# "approved" | "declined" | "line_done") and status (the order's status after the change).
repair_order_changed = Signal()
