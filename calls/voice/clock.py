"""Times in the voice loop are time.monotonic() seconds; the figures recorded are milliseconds."""


def ms_between(start, end):
    """Milliseconds from `start` to `end`, to 0.1 ms; None when either is unknown."""
    if start is None or end is None:
        return None
    return round((end - start) * 1000, 1)
