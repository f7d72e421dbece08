"""Typed vendor errors: every adapter says whether trying again can help."""


class VendorError(Exception):
    """A speech or language vendor failed. `retryable` says whether trying again can help."""

    def __init__(self, vendor, message, *, retryable):
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.retryable = retryable
