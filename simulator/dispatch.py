"""Power dispatch of the parallel group for one step.

Each unit plans from its own settings (output priority decides who carries the load, charger
priority decides whether the grid may charge); the group then limits the total charge so the
bus does not exceed the charge-stage target voltage (constant current, then constant voltage
with a tapering current), solar first, and splits the bank current across the packs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .bank import Branch, BusSolution, current_at, solve
from .inverter import (
    AC_OUTPUT_VOLTAGE_V,
    GRID_VOLTAGE_V,
    Inverter,
    QuickTask,
    UnitFlows,
    UnitMode,
)
from .settings import ChargerPriority, OutputPriority

CHARGE_EFFICIENCY = 0.95
# A forced (quick) discharge draws this much per unit from the bank: the loads, the rest
# exported (the twin does not model the export beyond the battery side).
FORCED_DISCHARGE_W = 3000.0
DISCHARGE_EFFICIENCY = 0.93


@dataclass(frozen=True)
class UnitPlan:
    """What one unit would like to do this step."""

    mode: UnitMode
    load_demand_w: float
    pv_available_w: float
    pv_to_load_w: float
    grid_to_load_w: float
    battery_load_w: float
    solar_charge_max_a: float
    grid_charge_max_a: float
    target_v: float


def plan_unit(
    inv: Inverter,
    *,
    load_w: float,
    pv_w: float,
    grid_available: bool,
    bus_v: float,
    floating: bool,
    faulted: bool,
    bank_can_discharge: bool,
    bank_soc_pct: int = 0,
) -> UnitPlan:
    """Plan one unit from its settings and the environment.

    A charge SoC limit (:meth:`InverterSettings.charge_soc_limit`) ends the charge once the
    bank's reported SoC (``bank_soc_pct``) reaches it: the system limit any charge, the AC
    limit the grid charge.
    """
    s = inv.settings
    target = s.float_v if floating else s.bulk_v
    if faulted or (inv.shutdown and not grid_available):
        mode = UnitMode.FAULT if faulted else UnitMode.STANDBY
        return UnitPlan(mode, load_w, pv_w, 0.0, 0.0, 0.0, 0.0, 0.0, target)
    sbu = s.output_priority is OutputPriority.SBU
    uses_line = grid_available and (not sbu or inv.grid_fallback)
    if not uses_line and not bank_can_discharge and grid_available:
        uses_line = True
    pv_to_load = (
        0.0 if (s.output_priority is OutputPriority.USB and uses_line) else min(pv_w, load_w)
    )
    deficit = load_w - pv_to_load
    grid_to_load = deficit if uses_line else 0.0
    battery_load = 0.0 if uses_line else (deficit if bank_can_discharge else 0.0)
    surplus = pv_w - pv_to_load
    v = max(bus_v, 1.0)
    solar_a = min(surplus * CHARGE_EFFICIENCY / v, float(s.max_charge_current_a))
    solar_cap = s.charge_soc_limit(grid=False)
    if solar_cap is not None and bank_soc_pct >= solar_cap:
        solar_a = 0.0
    grid_cap = s.charge_soc_limit(grid=True)
    grid_charge = (
        (grid_cap is None or bank_soc_pct < grid_cap)
        and grid_available
        and s.charger_priority is not ChargerPriority.SOLAR_ONLY
        and (
            (not sbu and s.charger_priority is ChargerPriority.SOLAR_AND_UTILITY)
            or (sbu and inv.grid_fallback)
        )
    )
    if inv.quick is QuickTask.CHARGE and grid_available:
        uses_line, grid_charge = True, solar_cap is None or bank_soc_pct < solar_cap
        grid_to_load, battery_load = deficit, 0.0
    elif inv.quick is QuickTask.DISCHARGE and bank_can_discharge:
        uses_line, grid_charge, solar_a = False, False, 0.0
        grid_to_load, battery_load = 0.0, max(deficit, FORCED_DISCHARGE_W)
    grid_a = 0.0
    if grid_charge:
        grid_a = min(
            float(s.max_utility_charge_current_a), max(0.0, s.max_charge_current_a - solar_a)
        )
    mode = UnitMode.LINE if uses_line else UnitMode.BATTERY
    return UnitPlan(
        mode, load_w, pv_w, pv_to_load, grid_to_load, battery_load, solar_a, grid_a, target
    )


@dataclass(frozen=True)
class GroupResult:
    """Outcome of one step for the whole group."""

    bus: BusSolution
    flows: tuple[UnitFlows, ...]
    requested_charge_a: float
    charge_a: float
    cv_limited: bool


def run_group(
    plans: Sequence[UnitPlan],
    branches: Sequence[Branch],
    *,
    bus_v: float,
    grid_available: bool,
) -> GroupResult:
    """Combine the unit plans into one bank current and per-unit flows."""
    v = max(bus_v, 1.0)
    dis = [p.battery_load_w / DISCHARGE_EFFICIENCY / v for p in plans]
    dis_total = sum(dis)
    req_solar = sum(p.solar_charge_max_a for p in plans)
    req_grid = sum(p.grid_charge_max_a for p in plans)
    requested = req_solar + req_grid
    absorbable = 0.0
    if requested > 0.0:
        target = min(p.target_v for p in plans if p.solar_charge_max_a + p.grid_charge_max_a > 0)
        absorbable = max(0.0, current_at(branches, target) + dis_total)
    charge = min(requested, absorbable)
    bms_limit = sum(b.charge_limit_a for b in branches if b.charge_allowed)
    cv_limited = requested > 0.0 and absorbable < min(requested, bms_limit + dis_total) - 0.5
    solar_used = min(req_solar, charge)
    grid_used = charge - solar_used
    net = charge - dis_total
    floor = current_at(branches, 0.0)
    dis_scale = 1.0
    if net < floor and dis_total > 0.0:
        dis_scale = max(0.0, (charge - floor) / dis_total)
        net = charge - dis_total * dis_scale
    bus = solve(branches, net)
    fs = solar_used / req_solar if req_solar > 0 else 0.0
    fg = grid_used / req_grid if req_grid > 0 else 0.0
    flows = tuple(
        _flows(
            p,
            d * dis_scale,
            p.solar_charge_max_a * fs,
            p.grid_charge_max_a * fg,
            bus.voltage,
            grid_available,
        )
        for p, d in zip(plans, dis, strict=True)
    )
    return GroupResult(bus, flows, requested, charge, cv_limited)


def _flows(
    p: UnitPlan,
    discharge_a: float,
    solar_a: float,
    grid_a: float,
    bus_v: float,
    grid_available: bool,
) -> UnitFlows:
    served_from_battery = discharge_a * DISCHARGE_EFFICIENCY * bus_v
    load = p.pv_to_load_w + p.grid_to_load_w + served_from_battery
    off = p.mode in (UnitMode.FAULT, UnitMode.STANDBY)
    return UnitFlows(
        mode=p.mode,
        pv_available_w=p.pv_available_w,
        pv_w=p.pv_to_load_w + solar_a * bus_v / CHARGE_EFFICIENCY,
        load_w=0.0 if off else load,
        load_demand_w=p.load_demand_w,
        grid_in_w=p.grid_to_load_w + grid_a * bus_v / CHARGE_EFFICIENCY,
        grid_v=GRID_VOLTAGE_V if grid_available else 0.0,
        ac_out_v=0.0 if off else AC_OUTPUT_VOLTAGE_V,
        solar_charge_a=solar_a,
        grid_charge_a=grid_a,
        discharge_a=discharge_a,
        battery_v=bus_v,
    )
