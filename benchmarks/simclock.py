"""Simulated time for the CPU benchmarks: the event loop's clock moves with the twin.

The benchmarks deliver a simulated second of telemetry in a few milliseconds. Left on the
real clock, whatever the integration waits for on the event loop (a coalesced entity write
``async_call_later`` schedules, the recorder's commit) would see an hour of telemetry pass in
half a minute and do a fraction of the work it does in production. ``SimClock`` adds one
simulated second to ``loop.time()`` per round, so every timer falls due after as many rounds as
it waits seconds. Only the loop's clock moves (an attribute on the loop object, a call to a
small function): the state machine's timestamps and ``time.monotonic()`` stay real, and
nothing measured pays for a patched clock (freezegun's costs microseconds a call).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Self


class SimClock:
    """``loop.time()`` plus the simulated seconds advanced so far (a context manager)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the loop; nothing moves until ``__enter__``."""
        self._loop = loop
        self._real: Callable[[], float] = loop.time
        self.offset = 0.0

    def _time(self) -> float:
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the loop's clock on; the timers due by then run on the loop's next pass."""
        self.offset += seconds

    def __enter__(self) -> Self:
        """Put the simulated clock on the loop."""
        self._loop.time = self._time  # type: ignore[method-assign]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Give the loop its own clock back (timers already scheduled stay where they are)."""
        del self._loop.time
