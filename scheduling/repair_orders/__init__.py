"""Repair orders: the shop's work on a car that is in the shop (models in scheduling.models.repair_orders)."""
