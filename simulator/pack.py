"""One battery pack: 16 series cells, a BMS, a lumped thermal mass and its link to the bus."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .bms import Bms
from .cell import DAY_S, Cell
from .ocv import charge_efficiency, charge_rc_factor, ocv_and_slope


@dataclass
class Thermal:
    """Lumped thermal model: C dT/dt = heat - (T - T_ambient) / R_th.

    The ambient moves through the day: ``ambient_c + swing_c * cos(2 pi (hour - 15) / 24)``
    (warmest at 15:00) when ``swing_c`` is set.
    """

    temperature_c: float
    ambient_c: float
    heat_capacity_j_per_k: float = 30000.0
    thermal_resistance_k_per_w: float = 0.6
    swing_c: float = 0.0

    def ambient_at(self, hour: float) -> float:
        """Ambient temperature (degC) at local hour."""
        if self.swing_c == 0.0:
            return self.ambient_c
        return self.ambient_c + self.swing_c * math.cos(2.0 * math.pi * (hour - 15.0) / 24.0)

    def step(self, dt_s: float, heat_w: float, hour: float = 15.0) -> None:
        """Advance by dt_s with heat_w of internal dissipation."""
        loss_w = (self.temperature_c - self.ambient_at(hour)) / self.thermal_resistance_k_per_w
        self.temperature_c += (heat_w - loss_w) * dt_s / self.heat_capacity_j_per_k


def resistance_factor(temperature_c: float) -> float:
    """Cell resistance relative to 25 degC: +4 %/K colder (x2 at 0 degC), 0.8 at the least."""
    return max(0.8, 1.0 + 0.04 * (25.0 - temperature_c))


@dataclass
class Pack:
    """A paralleled pack; ``current_a`` is positive when charging.

    Terminal voltage is the sum of the cells: each cell's OCV plus ``I * R0`` plus its RC
    overpotential (time constant ``rc_tau_s``), with every resistance scaled by
    :func:`resistance_factor` of the pack temperature. Near full the RC resistance on charge
    rises steeply, so the CV taper lasts tens of minutes and a full pack relaxes to its rest
    voltage over the following hour. FET and busbars add ``extra_resistance_ohm``; the link to
    the bus ``link_resistance_ohm``. The BMS bleeds the cells it balances, and every cell loses
    its own self-discharge (which the counter does not see).
    """

    index: int
    cells: list[Cell]
    bms: Bms
    thermal: Thermal
    extra_resistance_ohm: float = 0.006
    link_resistance_ohm: float = 0.002
    rc_tau_s: float = 900.0
    sensor_offsets_c: tuple[float, float] = (0.0, 0.0)
    cycles_base: int = 0
    current_a: float = 0.0
    discharged_ah: float = 0.0
    balanced_ah: float = 0.0
    _cell_volts: list[float] = field(default_factory=list)
    _rc_b: list[float] = field(default_factory=list)
    _balancing: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.refresh()

    @property
    def capacity_ah(self) -> float:
        """Nominal capacity (the BMS's idea of 100 %)."""
        return self.bms.capacity_ah

    @property
    def true_soc(self) -> float:
        """True state of charge (fraction), limited by the emptiest cell relative to its size."""
        return min(c.soc for c in self.cells)

    @property
    def mean_soc(self) -> float:
        """Average true state of charge of the cells (fraction)."""
        return sum(c.soc for c in self.cells) / len(self.cells)

    @property
    def imbalance_ah(self) -> float:
        """Spread of the cells' charge missing to full (Ah): what top balancing removes."""
        gaps = [c.capacity_ah - c.charge_ah for c in self.cells]
        return max(gaps) - min(gaps)

    @property
    def charge_allowed(self) -> bool:
        """Whether the BMS lets charge in (the charge FET is closed)."""
        return self.bms.charge_allowed

    @property
    def discharge_allowed(self) -> bool:
        """Whether the BMS lets charge out."""
        return self.bms.discharge_allowed

    @property
    def charge_limit_a(self) -> float:
        """Charge current the BMS allows now (A): 0 with the charge FET open."""
        return self.bms.charge_limit_a if self.charge_allowed else 0.0

    @property
    def protections(self) -> list[str]:
        """Active protection flags (report order); empty when none."""
        return [p.value for p in self.bms.protection_list()]

    @property
    def balancing_cells(self) -> list[int]:
        """0-based indices of the cells the BMS is bleeding."""
        return [i for i, on in enumerate(self._balancing) if on]

    @property
    def resistance_factor(self) -> float:
        """Resistance multiplier at the pack's present temperature."""
        return resistance_factor(self.thermal.temperature_c)

    def internal_resistance(self) -> float:
        """Cells' ohmic plus FET/busbar resistance (ohm), i.e. measured at the pack terminals."""
        f = self.resistance_factor
        return sum(c.resistance_ohm for c in self.cells) * f + self.extra_resistance_ohm

    def emf(self) -> float:
        """Sum of the cells' open-circuit voltages (V)."""
        return sum(c.emf() for c in self.cells)

    def linearise(self, dt_s: float) -> tuple[float, float]:
        """(emf, r_eff) of the branch ``V = emf + I * r_eff`` for a step of dt_s.

        ``emf`` holds the OCVs and the decayed RC voltages; ``r_eff`` the ohmic resistance,
        the implicit RC terms and the OCV slope (backward Euler). Also caches each cell's RC
        coefficient for :meth:`apply_current`.
        """
        f = self.resistance_factor
        k = dt_s / self.rc_tau_s
        a = 1.0 / (1.0 + k)
        charging = self.current_a >= 0.0
        emf = 0.0
        r = self.extra_resistance_ohm + self.link_resistance_ohm
        rc_b: list[float] = []
        for c in self.cells:
            soc = c.charge_ah / c.capacity_ah
            v, slope = ocv_and_slope(soc)
            r_rc = c.rc_ohm * f * (charge_rc_factor(soc) if charging else 1.0)
            b = r_rc * k * a
            rc_b.append(b)
            emf += v + c.ocv_offset_v + a * c.rc_v
            r += c.resistance_ohm * f + b + slope / c.capacity_ah * dt_s / 3600.0
        self._rc_b = rc_b
        return emf, r

    def refresh(self) -> None:
        """Recompute cached cell voltages from the present charge, current and RC voltages."""
        i_r = self.current_a * self.resistance_factor
        self._cell_volts = [
            ocv_and_slope(c.charge_ah / c.capacity_ah)[0]
            + c.ocv_offset_v
            + i_r * c.resistance_ohm
            + c.rc_v
            for c in self.cells
        ]

    def settle_rc(self) -> None:
        """RC voltages at their steady state for the present current (scenario set-up)."""
        f = self.resistance_factor
        charging = self.current_a >= 0.0
        for c in self.cells:
            c.rc_v = self.current_a * c.rc_resistance(charging) * f
        self.refresh()

    @property
    def cell_voltages(self) -> list[float]:
        """Cell terminal voltages (V) at the last step's current."""
        return list(self._cell_volts)

    @property
    def voltage(self) -> float:
        """Pack voltage as the BMS reports it: the sum of the cells."""
        return sum(self._cell_volts)

    @property
    def cell_max(self) -> float:
        """Highest cell voltage (V)."""
        return max(self._cell_volts)

    @property
    def cell_min(self) -> float:
        """Lowest cell voltage (V)."""
        return min(self._cell_volts)

    @property
    def cell_delta_mv(self) -> int:
        """Spread between the highest and lowest cell, integer millivolts."""
        return round((self.cell_max - self.cell_min) * 1000.0)

    @property
    def temperatures(self) -> tuple[float, float, float]:
        """(temperature_1, temperature_2, temperature_pcb) in degrees C."""
        t = self.thermal.temperature_c
        pcb = t + 0.3 + 0.02 * abs(self.current_a)
        return (t + self.sensor_offsets_c[0], t + self.sensor_offsets_c[1], pcb)

    @property
    def cycles(self) -> int:
        """Equivalent full cycles: a base count plus discharged throughput."""
        return self.cycles_base + int(self.discharged_ah / self.capacity_ah)

    def apply_current(
        self, current_a: float, dt_s: float, clock_s: float, hour: float = 15.0
    ) -> None:
        """Pass current_a for dt_s: move charge, bleed, heat up, then let the BMS look.

        Uses the RC coefficients of the last :meth:`linearise` for the same dt_s.
        """
        self.current_a = current_a
        a = 1.0 / (1.0 + dt_s / self.rc_tau_s)
        amp_hours = current_a * dt_s / 3600.0
        bleed_ah = self.bms.limits.balance_current_a * dt_s / 3600.0
        rc_b = self._rc_b if len(self._rc_b) == len(self.cells) else [0.0] * len(self.cells)
        balancing = self._balancing if self._balancing else [False] * len(self.cells)
        days = dt_s / DAY_S
        rc_sum = 0.0
        for cell, b, bleed in zip(self.cells, rc_b, balancing, strict=True):
            cell.rc_v = a * cell.rc_v + b * current_a
            rc_sum += cell.rc_v
            charge = cell.charge_ah
            stored = amp_hours
            if amp_hours > 0.0 and charge > cell.capacity_ah:
                stored *= charge_efficiency(charge / cell.capacity_ah)
            charge += stored - cell.capacity_ah * cell.self_discharge_per_day * days
            if bleed:
                charge -= bleed_ah
                self.balanced_ah += bleed_ah
            cell.charge_ah = charge if charge > 0.0 else 0.0
        if current_a < 0.0:
            self.discharged_ah -= amp_hours
        heat_w = current_a * current_a * self.internal_resistance() + abs(rc_sum * current_a)
        self.thermal.step(dt_s, heat_w, hour)
        self.refresh()
        self._balancing = self.bms.balancing(self._cell_volts)
        t1, t2, _ = self.temperatures
        self.bms.update(dt_s, current_a, self.cell_max, min(t1, t2), max(t1, t2), clock_s)

    def set_true_soc(self, soc: float) -> None:
        """Set every cell to soc of full, keeping each cell's charge gap to the others.

        The pack's cells are top-balanced: each is ``soc`` of the nominal capacity short of its
        own full charge, plus its individual imbalance.
        """
        mean_gap = sum(c.capacity_ah - c.charge_ah for c in self.cells) / len(self.cells)
        target_gap = (1.0 - soc) * self.capacity_ah
        for cell in self.cells:
            gap = cell.capacity_ah - cell.charge_ah - mean_gap + target_gap
            cell.charge_ah = max(0.0, cell.capacity_ah - gap)
        self.refresh()
