"""Timing and sizes that vary as a real vendor's do, yet reproduce run after run.

A knob is either a number (always that value: for a test that needs exact timing) or a
`(low, high)` range drawn from the fake's own seeded `random.Random`: the same seed gives the
same draws in the same order.
"""

import random


class Jitter:
    def __init__(self, seed=0):
        self.random = random.Random(seed)

    def draw(self, knob):
        """A value of `knob`: itself, or uniform in its range (an integer for an integer range)."""
        if not isinstance(knob, tuple):
            return knob
        low, high = knob
        if isinstance(low, int) and isinstance(high, int):
            return self.random.randint(low, high)
        return self.random.uniform(low, high)
