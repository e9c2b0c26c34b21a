"""The typed summary of a calibration run, for responses, notifications and diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..numbers import is_number
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


# The record's figures as an owner reads them: each key names its unit, each value is rounded
# to what the reading is worth. (record key, shown key, scale, decimals)
FIGURES: tuple[tuple[str, str, float, int], ...] = (
    ("duration_s", "duration_min", 1 / 60, 0),
    ("soc_spread_before", "soc_spread_before_pct", 1.0, 0),
    ("soc_spread_after", "soc_spread_after_pct", 1.0, 0),
    ("max_cell_voltage", "max_cell_voltage_v", 1.0, 3),
    ("cell_delta_after_mv", "cell_difference_after_mv", 1.0, 0),
    ("max_temperature", "max_temperature_c", 1.0, 1),
)
PACK_LISTS = ("packs_reanchored", "packs_at_ceiling", "packs_cut_off", "packs_behind")


def owner_figures(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record (``RunSummary.to_dict``) with units in its keys and rounded figures.

    Records stored before a figure existed show it as None (a pack list as empty).
    """
    out: dict[str, Any] = {}
    for key, shown, scale, decimals in FIGURES:
        value = record.get(key)
        if is_number(value):
            out[shown] = round(value * scale, decimals)
        else:
            out[shown] = None
    for key in PACK_LISTS:
        value = record.get(key)
        out[key] = [n for n in value if isinstance(n, int)] if isinstance(value, list) else []
    return out
