"""The write budget: how many setting writes an hour the owner's automations may make.

An inverter keeps its settings in memory that wears with every write (hardware of this class
is rated for some hundreds of thousands to a million writes), and a template automation that
flaps can send thousands a day. The budget is a sliding one-hour window: a write the owner
(an entity, an automation) asks for is let through while fewer than ``per_hour`` were let
through in the hour before it, and refused otherwise — with the time the next one will be
allowed. The calibration's own writes and its reverts never count against it and are never
refused: refusing a revert would leave the grid charge on.

What counts is one write as the owner asks for it, not one command: a group write reaches
each unit at most once (one broadcast, or one command per unit), so each unit's settings
memory sees exactly one write per write counted here. A write that changes nothing (every
unit already reads the value back) sends nothing and is not counted.

Every write that sends, the calibration's included, is counted per setting for the day (the
local date the caller passes), for the diagnostic sensor. Pure: no Home Assistant imports;
times are seconds on a clock that does not jump (``clock.Clock``).

Both are kept across a reload or a restart (``to_dict`` / ``restore``): otherwise changing an
option, or restarting, would hand a flapping automation a fresh hour and zero the day's count.
Each set-up has a clock of its own (anchored anew, apart from the wall clock by whatever steps
the last one ignored), so the window is saved as wall-clock instants.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import date
from typing import Any

from .numbers import is_number

WINDOW_S = 3600.0
DEFAULT_PER_HOUR = 60  # one write a minute on average; 0 turns the budget off


class WriteBudget:
    """A sliding one-hour window of the owner's writes, and the day's writes per setting."""

    def __init__(self, per_hour: int) -> None:
        """Allow ``per_hour`` owner writes in any hour (0: no limit)."""
        self.per_hour = max(0, per_hour)
        self._window: deque[float] = deque()
        self._day: date | None = None
        self._today: Counter[str] = Counter()

    def _prune(self, now: float) -> None:
        while self._window and self._window[0] + WINDOW_S <= now:
            self._window.popleft()

    def used(self, now: float) -> int:
        """The owner's writes let through in the hour before ``now``."""
        self._prune(now)
        return len(self._window)

    def next_allowed(self, now: float) -> float | None:
        """None when an owner's write may go now; otherwise when the next one may."""
        if not self.per_hour:
            return None
        self._prune(now)
        if len(self._window) < self.per_hour:
            return None
        # The window must lose enough writes to have room for one more.
        return self._window[len(self._window) - self.per_hour] + WINDOW_S

    def record(self, setting: str, now: float, day: date, *, budgeted: bool) -> None:
        """A write that sends: counted for ``day``; ``budgeted`` (the owner's) fills the window."""
        if budgeted and self.per_hour:
            self._prune(now)
            self._window.append(now)
        if day != self._day:
            self._day = day
            self._today.clear()
        self._today[setting] += 1

    def today(self, day: date) -> dict[str, int]:
        """The writes of ``day`` per setting (none yet, or a past day's: empty)."""
        return dict(self._today) if day == self._day else {}

    def to_dict(self, *, now: float, wall: float) -> dict[str, Any]:
        """What a later set-up needs (JSON-ready): ``now`` on this clock is ``wall`` seconds."""
        self._prune(now)
        return {
            "window": [t - now + wall for t in self._window],
            "day": None if self._day is None else self._day.isoformat(),
            "today": dict(self._today),
        }

    def restore(self, data: object, *, now: float, wall: float) -> None:
        """Take over a saved ``to_dict``: what it cannot read is left out, never raised.

        A write stamped after ``wall`` (the wall clock went back since) counts from ``now``.
        """
        if not isinstance(data, dict):
            return
        window = data.get("window")
        if isinstance(window, list):
            stamps = [w for w in window if is_number(w)]
            self._window = deque(sorted(min(now, w - wall + now) for w in stamps))
            self._prune(now)
        try:
            day = date.fromisoformat(data["day"])
        except (KeyError, TypeError, ValueError):
            return
        today = data.get("today")
        if isinstance(today, dict):
            self._day = day
            self._today = Counter(
                {
                    k: n
                    for k, n in today.items()
                    if isinstance(n, int) and not isinstance(n, bool) and n > 0
                }
            )
