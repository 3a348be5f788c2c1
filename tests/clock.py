"""A fake monotonic clock for tests that check the time budget without depending on the machine's speed."""

from __future__ import annotations

import time

import pytest

from connect_omni import budget as budget_module
from connect_omni.salesforce import transport as transport_module


class FakeClock:
    """Monotonic seconds (``now``) that move only when the test, or the code through :meth:`sleep`, says so.

    Installed in place of the ``time`` module of :mod:`connect_omni.budget` and
    :mod:`connect_omni.salesforce.transport` by :meth:`install`: ``monotonic()`` reads ``now``; ``time()``
    (wall-clock, for ``Retry-After`` dates) passes through to the real clock.
    """

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.time = time.time
        #: Every wait asked for through :meth:`sleep` (s).
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock by it (nothing really waits)."""
        self.sleeps.append(seconds)
        self.now += seconds

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
        """Make the budget and the transport read this clock for the rest of the test; returns ``self``."""
        monkeypatch.setattr(budget_module, "time", self)
        monkeypatch.setattr(transport_module, "time", self)
        return self
