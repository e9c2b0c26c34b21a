"""How long a calibration charge should take, and at what current (pure, no HA imports).

The bank charges at the lower of what the units' settings allow and what the packs' BMSs allow.
A BMS derates its charge current in the cold (``safety.CHARGE_DERATING``, the curve the
pre-flight's cold warning reports too) and allows none below 0 °C. The run takes: constant
current to about 97 % at that current, then the CV taper (the current falls from there to the
taper current, so about half of it on average), the taper hold, and the verify hold.
Paralleled packs hold the same charge while their counters may have drifted, so the bank's
state of charge is taken as the median reading (one drifted pack does not move it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median
from typing import Any

from ..drift import number
from ..model import SettingKey, SettingValue, SystemState
from ..safety import CHARGE_DERATING, DeratingCurve, derating, temperatures
from .config import RunConfig

CC_END_SOC = 97.0  # where the constant-current stage gives way to the CV taper
HOUR = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PackFamily:
    """What an estimate assumes of the packs (the bridges do not report these)."""

    capacity_ah: float = 100.0
    derating: DeratingCurve = CHARGE_DERATING
    # Share of the charge current the packs' counters gain (LFP: ~99 % coulombic, rounded
    # down so that a plan built on it errs early): used where a deadline is at stake.
    charge_efficiency: float = 0.97


LIFEPOWER4 = PackFamily()


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """The current a run can expect and how long it should take; None where unknown."""

    current_a: float | None  # bank charge current: the lower of charger and BMS allowance
    charger_current_a: float | None  # what the units' current settings allow, all units
    bms_current_a: float  # what the packs' BMSs allow at their temperatures, all packs
    derated_by: float  # share of the current the cold takes away (0 = none, 1 = all)
    coldest_c: float | None  # the coldest pack reading
    soc: float | None  # the bank's state of charge the estimate starts from
    duration_s: float | None  # from the start to the end of verification

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the action's response (each figure's unit ends its key)."""
        return {
            "current_a": _round(self.current_a),
            "charger_current_a": _round(self.charger_current_a),
            "bms_current_a": _round(self.bms_current_a),
            "derated_by": round(self.derated_by, 3),
            "coldest_c": self.coldest_c,
            "soc_pct": self.soc,
            "duration_s": None if self.duration_s is None else round(self.duration_s),
            "duration_min": None if self.duration_s is None else round(self.duration_s / 60),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def charger_current(state: SystemState, levers: Mapping[SettingKey, SettingValue]) -> float | None:
    """What the units' current settings allow together (the levers win over the read-backs).

    A grid run (levers given) charges at the lower of the maximum and the utility charge
    current; the solar method (no levers) at the maximum. None when a unit reports neither.
    """
    keys = [SettingKey.MAX_CHARGE_CURRENT]
    if levers:
        keys.append(SettingKey.MAX_UTILITY_CHARGE_CURRENT)
    total = 0.0
    for inverter in state.inverters.values():
        values = [levers.get(key, inverter.settings.get(key)) for key in keys]
        known = [v for v in values if isinstance(v, float)]
        if not known:
            return None
        total += min(known)
    return total if state.inverters else None


def estimate(
    state: SystemState,
    levers: Mapping[SettingKey, SettingValue],
    config: RunConfig,
    *,
    family: PackFamily = LIFEPOWER4,
) -> Estimate:
    """The expected current and duration of a run from the bank's state and its levers."""
    coldest: list[float] = []
    bms = 0.0
    for pack in state.packs.values():
        readings = temperatures(pack)
        rate = derating(min(readings), family.derating) if readings else family.derating[-1][1]
        bms += rate * family.capacity_ah
        if readings:
            coldest.append(min(readings))
    full = family.derating[-1][1] * family.capacity_ah * len(state.packs)  # at 20 °C and up
    charger = charger_current(state, levers)
    current = bms if charger is None else min(charger, bms)
    warm = full if charger is None else min(charger, full)
    derated_by = 0.0 if warm <= 0 else max(0.0, 1.0 - current / warm)
    socs = [number(p.metrics, "soc") for p in state.packs.values()]
    known = [v for v in socs if v is not None]
    soc = float(median(known)) if known else None
    return Estimate(
        current_a=current if state.packs else None,
        charger_current_a=charger,
        bms_current_a=bms,
        derated_by=derated_by,
        coldest_c=min(coldest) if coldest else None,
        soc=soc,
        duration_s=_duration(soc, current, len(state.packs), config, family),
    )


def _duration(
    soc: float | None, current: float, packs: int, config: RunConfig, family: PackFamily
) -> float | None:
    charging = charge_s(soc, current, packs, config, family)
    return None if charging is None else charging + config.taper_hold_s + config.verify_hold_s


def charge_s(
    soc: float | None,
    current: float,
    packs: int,
    config: RunConfig,
    family: PackFamily = LIFEPOWER4,
) -> float | None:
    """Seconds of charge from ``soc`` to full at ``current``: constant current, then the taper.

    None when it cannot be told (no SoC, no current, no packs). The holds are not included.
    """
    return charge_between_s(soc, 100.0, current, packs, config.taper_current_a, family)


def charge_between_s(
    soc: float | None,
    target: float,
    current: float,
    packs: int,
    taper_current_a: float,
    family: PackFamily = LIFEPOWER4,
    *,
    efficiency: float = 1.0,
) -> float | None:
    """Seconds of charge from ``soc`` to ``target`` % at ``current``: CC, then the taper.

    Up to ``CC_END_SOC`` at ``current``; above it at the taper's average (about half way
    from ``current`` to ``taper_current_a`` per pack). ``efficiency`` is the share of the
    current the counters gain. None when it cannot be told (no SoC, no current, no packs).
    """
    if soc is None or current <= 0 or packs == 0 or efficiency <= 0:
        return None
    capacity = family.capacity_ah * packs / efficiency
    cc_ah = capacity * max(0.0, min(target, CC_END_SOC) - soc) / 100
    top_ah = capacity * max(0.0, target - max(CC_END_SOC, soc)) / 100
    taper_a = min(current, (current + packs * taper_current_a) / 2)
    return cc_ah / current * HOUR + top_ah / taper_a * HOUR
