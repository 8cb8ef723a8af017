"""When to sweep an in-process store of expiring entries (the embedded backend's claims,
strikes, dedupe marks …): amortized O(1) per write, however many entries stay live.

    schedule = SweepSchedule(floor=100_000)
    if schedule.due(len(store)):
        store = {k: v for k, v in store.items() if v.expires > now}
        schedule.swept(len(store))

A store swept whenever it held more than a fixed size copied itself on EVERY write once
that many entries were live (a busy day of chat keeps 100,000 claims for their 24 hours);
here the next sweep waits until the store has doubled since the last one, so a sweep's
cost is paid for by the writes before it, and the store never holds more than twice its
live entries (or `floor`).
"""

from __future__ import annotations


class SweepSchedule:
    """Says when a store of `size` entries is due for a sweep of its expired ones."""

    __slots__ = ("_at", "floor")

    def __init__(self, floor: int) -> None:
        if floor < 1:
            raise ValueError("floor must be at least 1")
        self.floor = floor
        self._at = floor

    def due(self, size: int) -> bool:
        return size > self._at

    def swept(self, size: int) -> None:
        """After a sweep that left `size` live entries: the next one at twice that (≥ floor)."""
        self._at = max(self.floor, 2 * size)
