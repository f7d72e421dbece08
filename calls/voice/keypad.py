"""The caller's keypad: keys that route the call, and numbers keyed in.

A routing key (the shop's choice; 0 by default: an advisor) routes only as the first key of an
entry, so a number keyed in may still contain it. Any other digits are collected until `#`, until
the caller stops keying for `timeout_s`, or until `most_digits`; `*` starts the entry over. What
was keyed goes to the brain as the caller's turn, marked as keyed (KEYED), never as words they said.
"""

from dataclasses import dataclass

KEYED = "(keyed on the phone) "


@dataclass(frozen=True)
class Route:
    """A routing key was pressed: hand the call over."""

    key: str


@dataclass(frozen=True)
class Keyed:
    """An entry is complete: `digits`, as keyed."""

    digits: str

    @property
    def text(self):
        return KEYED + self.digits


class Keypad:
    def __init__(self, *, route_keys=frozenset("0"), timeout_s=5.0, most_digits=20):
        self.route_keys = frozenset(route_keys)
        self.timeout_s = timeout_s
        self.most_digits = most_digits
        self._digits = ""
        self._last_at = None

    @property
    def keying(self):
        """True while an entry is under way."""
        return bool(self._digits)

    @property
    def deadline(self):
        """When the entry under way ends by itself (None: nothing keyed)."""
        return self._last_at + self.timeout_s if self._digits else None

    def press(self, key, at):
        """A key the caller pressed at `at`: a Route, a finished Keyed entry, or None (keep listening)."""
        if not self._digits and key in self.route_keys:
            return Route(key)
        if key == "#":
            return self._finish()
        if key == "*":
            self._digits, self._last_at = "", None
            return None
        if key.isdigit():
            self._digits += key
            self._last_at = at
            if len(self._digits) >= self.most_digits:
                return self._finish()
        return None  # A-D: no meaning here

    def expire(self, now):
        """The entry, if the caller stopped keying long enough ago; else None."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self._finish()
        return None

    def _finish(self):
        digits, self._digits, self._last_at = self._digits, "", None
        return Keyed(digits) if digits else None
