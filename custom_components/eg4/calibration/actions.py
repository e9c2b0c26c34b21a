"""What a calibration run asks its host (the Home Assistant side) to do."""

from __future__ import annotations

from dataclasses import dataclass

from .plan import PlanItem
from .result import Outcome, Phase, StopReason


@dataclass(frozen=True, slots=True)
class EnterPhase:
    """The run entered a phase: persist the run, update entities, log."""

    phase: Phase


@dataclass(frozen=True, slots=True)
class ApplyPlan:
    """Write the levers to every unit and confirm each by read-back.

    Then call ``engaged(now)``, or ``engage_failed(now, detail)`` when a write is not confirmed.
    """

    items: tuple[PlanItem, ...]


@dataclass(frozen=True, slots=True)
class StartRevert:
    """Restore the saved settings (``items``, in order) and confirm each by read-back.

    Then call ``revert_confirmed(now, restored)``, or ``revert_failed(now, detail)``.
    """

    reason: StopReason
    items: tuple[PlanItem, ...]


@dataclass(frozen=True, slots=True)
class Finish:
    """The run is over: record it, notify."""

    outcome: Outcome
    reason: StopReason | None


type Action = EnterPhase | ApplyPlan | StartRevert | Finish
