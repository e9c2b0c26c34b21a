"""A quick charge or a forced discharge for a while: the calibration's run, held and reverted.

``QuickRun`` is a ``CalibrationRun``: the same record, stored the same way before the first
write, the same breach and held-lever watch on every update, the same revert confirmed by
read-back, the same recovery after a restart. Its one lever is the quick task's setting
(``SettingKey.QUICK_CHARGE`` / ``QUICK_DISCHARGE``: 1 while under way, 0 after) — or, on a
bridge, the forced-discharge switch and its time window — written to every unit (engaging),
held for ``duration_s`` (``bulk``: charging or discharging), then put back (completed,
succeeded). A breach, a cancel, a lever changed outside eg4 or a restart stops it earlier; the
revert is the same in every case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any, Self

from ..calibration import (
    Action,
    CalibrationRun,
    Method,
    Phase,
    PlanItem,
    RunConfig,
    StopReason,
)
from ..calibration.codec import as_dict, as_float, enum_of
from ..calibration.observe import BankView
from ..chargeto import load_run as load_other_run
from ..model import SystemState

KIND = "quick"
MIN_MINUTES = 1
MAX_MINUTES = 1440  # a day, the portal's longest quick charge
DEFAULT_MINUTES = 60
# How long after its end a quick run may still be stopping before the calibration's own time
# limit stops it (a slow poll, a tick): the run stops itself at its end.
GRACE_S = 600.0


class QuickAction(StrEnum):
    """What a quick run does while it holds its lever."""

    CHARGE = "quick_charge"  # charge the bank from the grid now
    DISCHARGE = "forced_discharge"  # discharge the bank now (to the loads and the grid)


class QuickRun(CalibrationRun):
    """One supervised quick charge or forced discharge, for ``duration_s``."""

    kind = KIND

    def __init__(self, **kwargs: Any) -> None:
        """A run of the calibration's record; ``create_quick`` gives it its action."""
        super().__init__(**kwargs)
        self.action = QuickAction.CHARGE
        self.duration_s = 0.0

    @classmethod
    def create_quick(
        cls,
        *,
        run_id: str,
        action: QuickAction,
        duration_s: float,
        plan: Sequence[PlanItem],
        state: SystemState,
        now: float,
        config: RunConfig,
    ) -> QuickRun:
        """A run that holds ``plan`` for ``duration_s`` once every write is confirmed."""
        if not plan:
            raise ValueError("a quick run needs its lever")
        config = replace(
            config, max_duration_s=duration_s + config.engage_write_timeout_s + GRACE_S
        )
        run = cls.create(
            run_id=run_id, method=Method.GRID, plan=plan, state=state, now=now, config=config
        )
        run.action, run.duration_s = action, float(duration_s)
        return run

    # ---- views -------------------------------------------------------------------------------

    @property
    def ends_at(self) -> float | None:
        """When the run puts the settings back (None before every write was confirmed)."""
        return None if self.engaged_at is None else self.engaged_at + self.duration_s

    def summary(self) -> dict[str, Any]:
        """The calibration's record of the run, and the quick run's own figures."""
        return {
            **super().summary(),
            "kind": KIND,
            "action": self.action.value,
            "duration_min": round(self.duration_s / 60),
            "ends_at": self.ends_at,
        }

    # ---- events ------------------------------------------------------------------------------

    def _advance(self, view: BankView, now: float) -> list[Action]:
        """Engaged once every write is confirmed; held until its end (judged safe before)."""
        if self.phase is Phase.ENGAGING:
            if self.engaged_at is None:
                assert self.started_at is not None  # noqa: S101 - every active phase follows start
                if now - self.started_at > self.config.engage_write_timeout_s:
                    return self._stop(StopReason.ENGAGE_FAILED, now, "writes not confirmed")
                return []
            return self._enter(Phase.BULK, now) + self._step_held(now)
        if self.phase is Phase.BULK:
            return self._step_held(now)
        return []

    def _step_held(self, now: float) -> list[Action]:
        ends = self.ends_at
        if ends is not None and now >= ends:
            self.verified = True  # held for its whole duration: what was asked for
            return self._stop(StopReason.COMPLETED, now, "")
        return []

    # ---- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The calibration's record with the action and the duration."""
        return {
            **super().to_dict(),
            "kind": KIND,
            "quick": {"action": self.action.value, "duration_s": self.duration_s},
        }

    @classmethod
    def from_dict(cls, raw: object) -> Self:
        """Rebuild from ``to_dict``; raises RunDataError on untrustworthy data."""
        run = super().from_dict(raw)
        data = as_dict(as_dict(raw, "run").get("quick"), "quick")
        run.action = enum_of(QuickAction, data.get("action"), "action")
        run.duration_s = as_float(data.get("duration_s"), "duration_s")
        return run


def load_run(raw: object) -> CalibrationRun:
    """A stored run of any kind (calibration, charge to a target, quick run)."""
    if isinstance(raw, dict) and raw.get("kind") == KIND:
        return QuickRun.from_dict(raw)
    return load_other_run(raw)
