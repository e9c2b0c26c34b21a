"""Timestamps for telemetry and calibration runs whose differences never jump.

Wall-clock seconds (what a record shows and a restart can compare), advanced by the
monotonic clock: a clock set back or forward while Home Assistant runs changes neither a
run's durations nor how old a reading looks.
"""

from __future__ import annotations

import time


class Clock:
    """Wall time at creation, moved on by the monotonic clock."""

    def __init__(self) -> None:
        """Anchor to the wall clock now."""
        self._wall = time.time()
        self._mono = time.monotonic()

    def now(self) -> float:
        """Seconds since the epoch, as the wall clock read at creation plus elapsed time."""
        return self._wall + (time.monotonic() - self._mono)
