"""The before picture a calibration runbook records, and whether a run is worth it (pure).

Before a calibration the runbook notes the bank as it is: the state-of-charge and voltage
spreads between the packs, the highest cell difference, the lowest and highest temperature,
and each pack's state of charge. A run only re-anchors drifted counters: when the readings
agree there is nothing to re-anchor, and when the voltages disagree the imbalance is real
and a full charge does not cure it. ``drift_note`` names those cases (a translation key).
Figures carry their unit as the last part of their key (``_pct``, ``_v``, ``_mv``, ``_c``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..drift import DriftReport, DriftVerdict
from ..model import SystemState
from ..safety import temperatures

NOTE_FOR_VERDICT = {
    DriftVerdict.OK: "no_drift",  # nothing to re-anchor: a run changes nothing
    DriftVerdict.IMBALANCE: "imbalance",  # real imbalance: a full charge is not the cure
    DriftVerdict.UNKNOWN: "drift_unknown",  # a pack is silent or incomplete
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PackPicture:
    """One pack before the run."""

    pack: int
    soc_pct: float | None
    voltage_v: float | None
    cell_difference_mv: float | None
    temperature_min_c: float | None
    temperature_max_c: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BeforePicture:
    """The bank before the run, as the runbook records it."""

    drift: DriftVerdict
    soc_spread_pct: float | None
    voltage_spread_v: float | None
    cell_difference_max_mv: float | None
    temperature_min_c: float | None
    temperature_max_c: float | None
    packs: tuple[PackPicture, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the action's response."""
        return {
            "drift": self.drift.value,
            "soc_spread_pct": _round(self.soc_spread_pct, 1),
            "voltage_spread_v": _round(self.voltage_spread_v, 2),
            "cell_difference_max_mv": _round(self.cell_difference_max_mv, 0),
            "temperature_min_c": self.temperature_min_c,
            "temperature_max_c": self.temperature_max_c,
            "packs": [
                {
                    "pack": p.pack,
                    "soc_pct": p.soc_pct,
                    "voltage_v": p.voltage_v,
                    "cell_difference_mv": _round(p.cell_difference_mv, 0),
                    "temperature_min_c": p.temperature_min_c,
                    "temperature_max_c": p.temperature_max_c,
                }
                for p in self.packs
            ],
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def before_picture(state: SystemState, report: DriftReport) -> BeforePicture:
    """The bank as ``report`` (the drift analysis of ``state``) and the packs' readings show it."""
    packs: list[PackPicture] = []
    for reading in report.packs:
        pack = state.packs.get(reading.index)
        readings = temperatures(pack) if pack is not None else []
        packs.append(
            PackPicture(
                pack=reading.index,
                soc_pct=reading.soc,
                voltage_v=reading.voltage,
                cell_difference_mv=reading.cell_delta_mv,
                temperature_min_c=min(readings) if readings else None,
                temperature_max_c=max(readings) if readings else None,
            )
        )
    lows = [p.temperature_min_c for p in packs if p.temperature_min_c is not None]
    highs = [p.temperature_max_c for p in packs if p.temperature_max_c is not None]
    return BeforePicture(
        drift=report.verdict,
        soc_spread_pct=report.soc_spread,
        voltage_spread_v=report.voltage_spread,
        cell_difference_max_mv=report.max_cell_delta_mv,
        temperature_min_c=min(lows) if lows else None,
        temperature_max_c=max(highs) if highs else None,
        packs=tuple(packs),
    )


def drift_note(report: DriftReport) -> str | None:
    """What the owner should know before a run, as a note key; None when the counters drifted."""
    return NOTE_FOR_VERDICT.get(report.verdict)
