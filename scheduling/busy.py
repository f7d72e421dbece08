"""Busy time outside Otto's own appointments (e.g. the shop's calendar), each taking a bay."""


def external_busy(start, end):
    """Busy intervals [(start, end), ...] overlapping [start, end), as aware datetimes."""
    return []
