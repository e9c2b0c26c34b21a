"""How a calibration ended, in the figures the owner is told (pure, no HA imports).

Every run ends one of four ways (``Ending``): it succeeded; it was stopped (a limit, a
cancel, a charge that never came); Home Assistant restarted or the entry unloaded under
it (``interrupted``); or its settings could not be confirmed back (``revert_failed``).
``ending_data`` is the ``eg4_calibration_ended`` event's data: codes for automations, and
figures whose unit is the last part of their key (``_min``, ``_pct``, ``_v``, ``_c``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .result import ACTIVE_PHASES, Outcome, Phase
from .summary import RunSummary

MINUTE = 60.0


class Ending(StrEnum):
    """How a calibration run ended, as the owner is told."""

    SUCCEEDED = "succeeded"  # re-anchored, settings confirmed back
    ABORTED = "aborted"  # stopped early, settings confirmed back
    INTERRUPTED = "interrupted"  # a restart or an unload stopped it, settings confirmed back
    REVERT_FAILED = "revert_failed"  # the settings are not confirmed back: check the inverters


def ending_of(summary: RunSummary) -> Ending:
    """The ending of a finished run (a run not finished has none: ValueError)."""
    if summary.outcome is None:
        raise ValueError(f"run {summary.run_id} has not ended")
    if summary.outcome is Outcome.FAILED:
        return Ending.REVERT_FAILED
    if summary.outcome is Outcome.SUCCEEDED:
        return Ending.SUCCEEDED
    return Ending.INTERRUPTED if summary.interrupted else Ending.ABORTED


def stopped_in(summary: RunSummary) -> Phase | None:
    """The last phase the run was charging or supervising in before it was stopped."""
    supervised = [e.phase for e in summary.phases if e.phase in ACTIVE_PHASES]
    supervised = [p for p in supervised if p is not Phase.REVERTING]
    return supervised[-1] if supervised else None


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes, to a tenth."""
    return None if seconds is None else round(seconds / MINUTE, 1)


def tenth(value: float | None) -> float | None:
    """A figure to a tenth (a percentage point, a degree)."""
    return None if value is None else round(value, 1)


def ending_data(entry_id: str, summary: RunSummary) -> dict[str, Any]:
    """The ``eg4_calibration_ended`` event's data (JSON-ready)."""
    phase = stopped_in(summary)
    return {
        "config_entry_id": entry_id,
        "run_id": summary.run_id,
        "method": summary.method.value,
        "ending": ending_of(summary).value,
        "outcome": None if summary.outcome is None else summary.outcome.value,
        "reason": None if summary.reason is None else summary.reason.value,
        "detail": summary.revert_detail or summary.detail,
        "stopped_in": None if phase is None else phase.value,
        "settings_restored": summary.outcome is not Outcome.FAILED,
        "duration_min": minutes(summary.duration_s),
        "soc_spread_before_pct": tenth(summary.soc_spread_before),
        "soc_spread_after_pct": tenth(summary.soc_spread_after),
        "max_cell_voltage_v": summary.max_cell_voltage,
        "max_temperature_c": tenth(summary.max_temperature),
        **summary.packs.to_dict(),
    }


def format_duration(seconds: float | None) -> str:
    """A duration as an owner reads it: "under a minute" is "0 min", then "42 min", "2 h 05 min"."""
    if seconds is None:
        return "?"
    total = max(0, round(seconds / MINUTE))
    hours, mins = divmod(total, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def format_figure(value: float | None, digits: int = 1) -> str:
    """A figure without false decimals ("25", "0.5", "3.45"); "?" when unknown."""
    if value is None:
        return "?"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return "0" if text in ("-0", "") else text
