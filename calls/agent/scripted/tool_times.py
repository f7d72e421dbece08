"""Moments as the tools take and give them: ISO 8601 in the shop's time. The script itself works
in naive datetimes, shop local."""

from datetime import datetime


def iso(moment):
    """A tool argument: "2030-06-04T09:30"."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def local_time(iso):
    """A tool result's moment ("2030-06-04T09:30-05:00"), as the naive shop-local datetime."""
    return datetime.fromisoformat(iso).replace(tzinfo=None)
