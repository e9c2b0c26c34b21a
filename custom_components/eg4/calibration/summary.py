"""The typed summary of a calibration run, for responses, notifications and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .judge import PackTally
from .plan import Method
from .result import Outcome, Phase, PhaseEntry, StopReason


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """What a run did and how it ended; ``to_dict`` is the JSON form the host stores and shows."""

    run_id: str
    method: Method
    phase: Phase
    outcome: Outcome | None
    reason: StopReason | None
    detail: str
    revert_detail: str
    interrupted: bool
    started_at: float | None
    finished_at: float | None
    duration_s: float | None
    soc_spread_before: float | None
    soc_spread_after: float | None
    max_cell_voltage: float | None
    max_temperature: float | None
    cell_delta_after_mv: float | None  # the worst pack's cell difference at the last update
    packs: PackTally  # which packs re-anchored, and which did not (by pack number)
    phases: tuple[PhaseEntry, ...]

    @property
    def succeeded(self) -> bool:
        """True when the run re-anchored every pack and the settings are confirmed back."""
        return self.outcome is Outcome.SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: enums as strings, pack numbers as lists."""
        return {
            "run_id": self.run_id,
            "method": self.method.value,
            "phase": self.phase.value,
            "outcome": None if self.outcome is None else self.outcome.value,
            "reason": None if self.reason is None else self.reason.value,
            "detail": self.detail,
            "revert_detail": self.revert_detail,
            "interrupted": self.interrupted,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "soc_spread_before": self.soc_spread_before,
            "soc_spread_after": self.soc_spread_after,
            "max_cell_voltage": self.max_cell_voltage,
            "max_temperature": self.max_temperature,
            "cell_delta_after_mv": self.cell_delta_after_mv,
            **self.packs.to_dict(),
            "phases": [{"phase": e.phase.value, "at": e.at} for e in self.phases],
        }
