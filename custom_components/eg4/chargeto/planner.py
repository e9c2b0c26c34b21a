"""The lowest charge current that reaches a target SoC by a deadline (pure, no HA imports).

The bank's state of charge, the packs' BMS allowance in the cold (``safety.CHARGE_DERATING``)
and the charge time (constant current, then the taper above ``CC_END_SOC``) are the
calibration's estimate (``calibration.estimate``); the packs' counters gain
``PackFamily.charge_efficiency`` of the current. The current is chosen among the values the
family's charge-current setting takes (per unit, on its step); the bank takes the sum over the
units, or the BMSs' allowance if that is lower.

The bank's capacity is what the source reports (``bank_capacity``): each pack's full capacity
(the cloud), or the bank as each unit's BMS port reports it (lxp-bridge: units that report the
same figure share one bank; different figures are separate banks and add up). Where nothing
is reported (the PI family's bridges), each pack is taken as ``PackFamily.capacity_ah``
(100 Ah, a LifePower4), and the plan says so.

Two methods: ``grid`` charges at the planned current (the sun only replaces the grid inside
it); ``solar_first`` lets the sun charge as much as it gives and the grid make up the rest,
so a sunny hour brings the finish forward and the next plan asks the grid for less. Where the
family limits the grid's share on its own (the PI family's utility charge current), solar
first plans that share and leaves the charge current at its highest; where it does not (the
hybrid family), the charge current is at least what the sun gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from statistics import median

from ..calibration.config import RunConfig
from ..calibration.estimate import LIFEPOWER4, PackFamily, charge_between_s, estimate
from ..drift import number
from ..model import BANK_CAPACITY, PACK_CAPACITY, SettingKey, SystemState
from ..refusal import RefusedError
from ..settings import NumberSetting

BANK_CEILING_A = 250.0  # no unit is asked for more than this, whatever its range says
HIGHEST_TARGET = 100.0
# Every translation key a refused charge-to may carry.
CHARGE_TO_REFUSALS = (
    "charge_to_unsupported",
    "charge_to_soc_unknown",
    "charge_to_already_reached",
    "charge_to_deadline_passed",
    "charge_to_too_little_time",
    "charge_to_too_cold",
)


class ChargeMethod(StrEnum):
    """Where the charge comes from."""

    GRID = "grid"  # the planned current, from the grid (the sun replaces it inside the plan)
    SOLAR_FIRST = "solar_first"  # the sun as much as it gives, the grid makes up the rest


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentSteps:
    """The family's charge-current settings: written alike, per unit, on one step."""

    keys: tuple[SettingKey, ...]
    minimum: float
    maximum: float
    step: float
    units: int
    grid_key: SettingKey | None = None  # the setting that limits the grid's share alone

    @classmethod
    def of(
        cls,
        setting: NumberSetting,
        keys: tuple[SettingKey, ...],
        units: int,
        grid_key: SettingKey | None = None,
    ) -> CurrentSteps:
        """The steps of ``setting`` (capped at ``BANK_CEILING_A``) for ``units`` units."""
        return cls(
            keys=keys,
            grid_key=grid_key if grid_key in keys else None,
            minimum=float(setting.minimum),
            maximum=float(min(setting.maximum, BANK_CEILING_A)),
            step=float(setting.step),
            units=max(1, units),
        )

    def values(self) -> list[float]:
        """Every per-unit value above zero, lowest first."""
        count = math.floor((self.maximum - self.minimum) / self.step + 1e-9)
        out = [float(round(self.minimum + k * self.step, 6)) for k in range(count + 1)]
        return [v for v in out if v > 0]

    def at_least(self, per_unit: float) -> float:
        """The lowest value at or above ``per_unit`` (the highest when none is)."""
        values = self.values()
        return next((v for v in values if v >= per_unit - 1e-6), values[-1])

    @property
    def highest(self) -> float:
        """The highest per-unit value."""
        return self.values()[-1]

    def settings(self, per_unit: float, grid: float) -> dict[SettingKey, float]:
        """Each charge-current setting's value per unit (the grid's share on its own key)."""
        return {key: grid if key is self.grid_key else per_unit for key in self.keys}


class CapacitySource(StrEnum):
    """Where the bank's capacity comes from."""

    PACKS = "packs"  # each pack's full capacity, as its BMS reports it
    BANK = "bank"  # the bank as the units' BMS ports report it
    ASSUMED = "assumed"  # nothing reported: ``PackFamily.capacity_ah`` per pack


@dataclass(frozen=True, slots=True, kw_only=True)
class BankCapacity:
    """The bank's full capacity and where the figure comes from."""

    ah: float
    source: CapacitySource


def bank_capacity(state: SystemState, family: PackFamily = LIFEPOWER4) -> BankCapacity:
    """The bank's capacity as reported (packs first, then the units' banks), else assumed.

    A pack that does not report its own capacity counts as the median of those that do.
    """
    packs = [p.metrics for p in state.packs.values()]
    own = [c for c in (number(m, PACK_CAPACITY) for m in packs) if c is not None and c > 0]
    if own:
        return BankCapacity(ah=float(median(own)) * len(packs), source=CapacitySource.PACKS)
    banks = [c for c in (number(m, BANK_CAPACITY) for m in packs) if c is not None and c > 0]
    if banks:
        shared = max(banks) - min(banks) <= 1.0  # one bank, every unit reporting all of it
        ah = max(banks) if shared else sum(banks)
        return BankCapacity(ah=float(ah), source=CapacitySource.BANK)
    return BankCapacity(ah=family.capacity_ah * len(packs), source=CapacitySource.ASSUMED)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeRequest:
    """What the owner asked: a target, a deadline (run-clock seconds) and a method."""

    target_soc: float
    deadline: float
    method: ChargeMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargePlan:
    """The current to set now and what it should bring."""

    per_unit_a: float  # the value every unit's charge-current settings take
    grid_per_unit_a: float  # ... and the grid's share (the same, but for solar first)
    current_a: float  # the bank's charge current: the units' sum, or the BMSs' allowance
    needed_a: float  # the steady current that would just make it (before the steps)
    sun_a: float  # what the sun gives now (solar first; 0 for the grid method)
    soc: float  # the bank's SoC the plan starts from
    finish_at: float  # when the target should be reached
    capacity: BankCapacity  # the bank's capacity the plan counts with

    def values(self, steps: CurrentSteps) -> dict[SettingKey, float]:
        """The value of each of the family's charge-current settings, per unit."""
        return steps.settings(self.per_unit_a, self.grid_per_unit_a)


def bank_soc(state: SystemState, family: PackFamily = LIFEPOWER4) -> float | None:
    """The bank's SoC as the calibration's estimate takes it (the packs' median)."""
    return estimate(state, {}, RunConfig(), family=family).soc


def sun_current(state: SystemState) -> float:
    """The charge current the sun gives now: PV power beyond the load, over the bank voltage."""
    power = sum(
        (number(inv.metrics, "pv_power") or 0.0) - (number(inv.metrics, "output_power") or 0.0)
        for inv in state.inverters.values()
    )
    volts = [number(p.metrics, "voltage") for p in state.packs.values()]
    known = [v for v in volts if v is not None and v > 0]
    if power <= 0 or not known:
        return 0.0
    return power / (sum(known) / len(known))


def plan_charge(
    state: SystemState,
    request: ChargeRequest,
    steps: CurrentSteps,
    *,
    now: float,
    taper_current_a: float = RunConfig().taper_current_a,
    family: PackFamily = LIFEPOWER4,
) -> ChargePlan:
    """The lowest current (on the family's steps) that reaches the target by the deadline.

    Raises RefusedError naming what is missing: the SoC, time, or current (the units' highest
    setting, or the packs' allowance in the cold when warm packs would make it in time).
    """
    target = request.target_soc
    est = estimate(state, {}, RunConfig(), family=family)
    soc = est.soc
    if soc is None or not state.packs:
        raise RefusedError("charge_to_soc_unknown")
    if soc >= target:
        raise RefusedError("charge_to_already_reached", soc=_pct(soc), target=_pct(target))
    left = request.deadline - now
    if left <= 0:
        raise RefusedError("charge_to_deadline_passed", minutes=f"{-left / 60:.0f}")
    capacity = bank_capacity(state, family)
    per_pack = _per_pack(state, family)

    def time_at(current: float) -> float:
        return charge_time_s(state, target, current, taper_current_a, family)

    sun = sun_current(state) if request.method is ChargeMethod.SOLAR_FIRST else 0.0
    needed = _needed(time_at, left)
    bms = est.bms_current_a * per_pack.capacity_ah / family.capacity_ah  # a C rate per pack
    top = steps.highest
    split = steps.grid_key is not None and sun > 0
    for value in steps.values():
        # Solar first with a grid share of its own: the sun unthrottled, the grid's share
        # planned; otherwise one current for the bank, never below what the sun gives. The
        # units' highest charge current holds either back (the sun beyond it is not stored).
        per_unit, grid = (top, value) if split else (value, value)
        bank = min(top, grid + sun / steps.units if split else max(value, sun / steps.units))
        current = min(bank * steps.units, bms)
        if time_at(current) <= left:
            break
    else:
        # Blame the cold only when warm packs would make it at the units' highest setting.
        cold = bms < top * steps.units and time_at(top * steps.units) <= left
        available = bms if cold else top * steps.units
        figures = {
            "target": _pct(target),
            "soc": _pct(soc),
            "minutes": f"{left / 60:.0f}",
            "needed": f"{needed:.0f}",
            "available": f"{available:.0f}",
        }
        if cold:
            coldest = "?" if est.coldest_c is None else f"{est.coldest_c:g}"
            raise RefusedError("charge_to_too_cold", **figures, coldest=coldest)
        raise RefusedError("charge_to_too_little_time", **figures)
    if not split and sun > per_unit * steps.units:  # never hold the sun back
        per_unit = grid = steps.at_least(sun / steps.units)
    return ChargePlan(
        per_unit_a=per_unit,
        grid_per_unit_a=grid,
        current_a=current,
        needed_a=needed,
        sun_a=sun,
        soc=soc,
        finish_at=now + time_at(current),
        capacity=capacity,
    )


def _per_pack(state: SystemState, family: PackFamily) -> PackFamily:
    """The family with each pack's share of the bank's capacity (they add up to the bank)."""
    return replace(family, capacity_ah=bank_capacity(state, family).ah / max(1, len(state.packs)))


def charge_time_s(
    state: SystemState,
    target: float,
    current: float,
    taper_current_a: float,
    family: PackFamily = LIFEPOWER4,
) -> float:
    """Seconds from the bank's SoC to ``target`` at ``current`` (inf when it cannot be told)."""
    seconds = charge_between_s(
        bank_soc(state, family),
        target,
        current,
        len(state.packs),
        taper_current_a,
        _per_pack(state, family),
        efficiency=family.charge_efficiency,
    )
    return math.inf if seconds is None else seconds


def _needed(time_at: Callable[[float], float], left: float) -> float:
    """The steady current that takes exactly ``left`` seconds (bisection; time falls with it)."""
    low, high = 0.01, 10_000.0
    if time_at(high) > left:
        return high
    for _ in range(60):
        mid = (low + high) / 2
        if time_at(mid) > left:
            low = mid
        else:
            high = mid
    return high


def _pct(value: float) -> str:
    return f"{value:g}"
