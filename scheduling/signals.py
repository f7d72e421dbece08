"""Signals of the scheduling app: events other parts of Otto's listen for."""

from django.dispatch import Signal

# Sent after commit whenever an appointment is written, with kwargs appointment_id and
# action ("booked" | "rescheduled" | "cancelled" | "status"). Calendar sync and the
# customer's texts hook it.
appointment_changed = Signal()
