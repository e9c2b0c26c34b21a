"""Timestamps for telemetry and calibration runs whose differences do not jump.

Wall-clock seconds (what a record shows and a restart can compare), advanced by the
monotonic clock: a clock corrected while Home Assistant runs (NTP steps are seconds to
minutes) changes neither a run's durations nor how old a reading looks. A gap of more than
``REANCHOR_S`` between the two clocks means the clock was set by hand or the machine slept
(the monotonic clock stops during suspend): then wall time is taken again as it is.
"""

from __future__ import annotations

import time

REANCHOR_S = 6 * 3600.0


class Clock:
    """Wall time at creation, moved on by the monotonic clock."""

    def __init__(self) -> None:
        """Anchor to the wall clock now."""
        self._wall = time.time()
        self._mono = time.monotonic()

    def now(self) -> float:
        """Seconds since the epoch: the anchor plus the monotonic time elapsed since."""
        wall, mono = time.time(), time.monotonic()
        now = self._wall + (mono - self._mono)
        if abs(now - wall) > REANCHOR_S:
            self._wall, self._mono = wall, mono
            return wall
        return now
