"""Battery-management system of one pack: counter, re-anchor, protection, limits, balancing.

The counter is what the pack *reports* as SoC. It integrates the pack current with a gain error
(``counted = current * (1 + gain_error ± asymmetry)``, + while charging, - while discharging),
ignores currents inside a dead-band, never sees the cells' self-discharge, starts from the true
charge plus a configurable offset, and clamps to 0..100 %. It re-anchors to 100 % only on a
real termination: max cell voltage >= ``full_cell_v`` with a pack current between -0.2 A
(rest) and ``taper_c`` x C **and the charge path closed** (no protection), held without a break
for ``termination_hold_s`` simulated seconds. A pack whose charge FET is open is never
re-anchored, however high its cells read.

The BMS also limits the charge current by temperature (a derating curve: full below
``derate_full_c``, zero below 0 degC) and bleeds ``balance_current_a`` from every cell above
``balance_cell_v`` that is more than ``balance_delta_v`` above the lowest cell.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum

# Charge-current limit (C rate) against the lower cell temperature (degC): LFP cells must not
# be charged below 0 degC and are derated in the cold.
DERATE_TEMPS_C: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0)
DERATE_C: tuple[float, ...] = (0.0, 0.1, 0.2, 0.4, 1.0)


class Protection(StrEnum):
    """Protection flags, in the order they are reported."""

    CELL_OVER_VOLTAGE = "cell_over_voltage"
    OVER_TEMPERATURE = "over_temperature"
    UNDER_TEMPERATURE_CHARGE = "under_temperature_charge"


@dataclass(frozen=True, kw_only=True)
class BmsLimits:
    """Thresholds of the BMS (LifePower4-like; see README for the reasoning)."""

    full_cell_v: float = 3.45
    taper_c: float = 0.05
    termination_hold_s: float = 90.0
    cell_ov_v: float = 3.65
    cell_ov_release_v: float = 3.50
    over_temp_c: float = 55.0
    over_temp_release_c: float = 50.0
    charge_min_temp_c: float = 0.0
    charge_temp_release_c: float = 2.0
    max_charge_c: float = 1.0  # the charge-current limit at or above 20 degC (C rate)
    deadband_a: float = 0.1  # the counter ignores smaller currents
    balance_cell_v: float = 3.45
    balance_delta_v: float = 0.010
    balance_current_a: float = 0.05


@dataclass
class Bms:
    """Coulomb counter plus protection state of one pack."""

    capacity_ah: float
    counter_ah: float
    gain_error: float = 0.0
    asymmetry: float = 0.0
    limits: BmsLimits = field(default_factory=BmsLimits)
    termination_timer_s: float = 0.0
    anchors: int = 0
    last_anchor_s: float | None = None
    protections: set[Protection] = field(default_factory=set)
    charge_limit_a: float = 100.0
    _latched: bool = False

    @property
    def soc_pct(self) -> int:
        """Reported state of charge, integer percent."""
        return min(100, max(0, int(self.counter_ah / self.capacity_ah * 100.0 + 0.5)))

    @property
    def soc_exact_pct(self) -> float:
        """Counter as an unrounded percentage."""
        return self.counter_ah / self.capacity_ah * 100.0

    def set_soc_pct(self, pct: float) -> None:
        """Force the counter (scenario set-up)."""
        self.counter_ah = min(self.capacity_ah, max(0.0, pct / 100.0 * self.capacity_ah))

    @property
    def charge_allowed(self) -> bool:
        """Charge FET state."""
        return not self.protections

    @property
    def discharge_allowed(self) -> bool:
        """Discharge FET state (only over-temperature blocks discharge)."""
        return Protection.OVER_TEMPERATURE not in self.protections

    def derated_charge_limit(self, cell_temp_c: float) -> float:
        """Charge-current limit (A) the BMS allows at cell temperature cell_temp_c."""
        lim = self.limits
        if cell_temp_c < DERATE_TEMPS_C[0]:
            return 0.0
        if cell_temp_c >= DERATE_TEMPS_C[-1]:
            return lim.max_charge_c * self.capacity_ah
        i = bisect_right(DERATE_TEMPS_C, cell_temp_c) - 1
        t0, t1 = DERATE_TEMPS_C[i], DERATE_TEMPS_C[i + 1]
        c0, c1 = DERATE_C[i], DERATE_C[i + 1]
        rate = c0 + (c1 - c0) * (cell_temp_c - t0) / (t1 - t0)
        return min(rate, lim.max_charge_c) * self.capacity_ah

    def balancing(self, cell_volts: list[float]) -> list[bool]:
        """Which cells the balancer bleeds at these cell voltages."""
        lim = self.limits
        floor = min(cell_volts) + lim.balance_delta_v
        return [v >= lim.balance_cell_v and v > floor for v in cell_volts]

    def protection_list(self) -> list[Protection]:
        """Active protections in report order."""
        return [p for p in Protection if p in self.protections]

    def update(
        self,
        dt_s: float,
        current_a: float,
        max_cell_v: float,
        min_temp_c: float,
        max_temp_c: float,
        clock_s: float,
    ) -> None:
        """Count charge, detect termination and update protection after a step."""
        if abs(current_a) >= self.limits.deadband_a:
            bias = self.asymmetry if current_a > 0.0 else -self.asymmetry
            counted = current_a * dt_s / 3600.0 * (1.0 + self.gain_error + bias)
            self.counter_ah = min(self.capacity_ah, max(0.0, self.counter_ah + counted))
        self._update_termination(dt_s, current_a, max_cell_v, clock_s)
        self._update_protection(max_cell_v, min_temp_c, max_temp_c)
        self.charge_limit_a = self.derated_charge_limit(min_temp_c)

    def _update_termination(
        self, dt_s: float, current_a: float, max_cell_v: float, clock_s: float
    ) -> None:
        lim = self.limits
        taper_a = lim.taper_c * self.capacity_ah
        closed = self.charge_allowed
        if closed and max_cell_v >= lim.full_cell_v and -0.2 <= current_a < taper_a:
            self.termination_timer_s += dt_s
        else:
            self.termination_timer_s = 0.0
            self._latched = False
            return
        if self.termination_timer_s >= lim.termination_hold_s - 1e-9:
            self.counter_ah = self.capacity_ah
            if not self._latched:
                self._latched = True
                self.anchors += 1
                self.last_anchor_s = clock_s

    def _update_protection(self, max_cell_v: float, min_temp_c: float, max_temp_c: float) -> None:
        lim = self.limits
        self._hysteresis(
            Protection.CELL_OVER_VOLTAGE,
            max_cell_v >= lim.cell_ov_v,
            max_cell_v < lim.cell_ov_release_v,
        )
        self._hysteresis(
            Protection.OVER_TEMPERATURE,
            max_temp_c >= lim.over_temp_c,
            max_temp_c < lim.over_temp_release_c,
        )
        self._hysteresis(
            Protection.UNDER_TEMPERATURE_CHARGE,
            min_temp_c < lim.charge_min_temp_c,
            min_temp_c >= lim.charge_temp_release_c,
        )

    def _hysteresis(self, flag: Protection, trip: bool, release: bool) -> None:
        if trip:
            self.protections.add(flag)
        elif release:
            self.protections.discard(flag)
