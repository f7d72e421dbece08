"""The scheduling app's models: the shop, its appointments and texts, and its repair orders."""

from .appointments import Appointment, AppointmentChange, AppointmentQuerySet, TextMessage
from .repair_orders import JobLine, RepairOrder, RepairOrderChange, RepairOrderQuerySet

# Migrations name these by their old home, scheduling.models.
from .shop import Closure, FaqAnswer, OpeningHours, ServiceType, ShopProfile, _default_timezone, _validate_timezone  # noqa: F401

__all__ = [
    "Appointment",
    "AppointmentChange",
    "AppointmentQuerySet",
    "Closure",
    "FaqAnswer",
    "JobLine",
    "OpeningHours",
    "RepairOrder",
    "RepairOrderChange",
    "RepairOrderQuerySet",
    "ServiceType",
    "ShopProfile",
    "TextMessage",
]
