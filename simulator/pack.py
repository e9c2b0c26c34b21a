"""One battery pack: 16 series cells, a BMS, a lumped thermal mass and its link to the bus."""

from __future__ import annotations

from dataclasses import dataclass, field

from .bms import Bms
from .cell import Cell
from .ocv import ocv_and_slope


@dataclass
class Thermal:
    """Lumped thermal model: C dT/dt = I^2 R - (T - T_ambient) / R_th."""

    temperature_c: float
    ambient_c: float
    heat_capacity_j_per_k: float = 4000.0
    thermal_resistance_k_per_w: float = 1.5

    def step(self, dt_s: float, heat_w: float) -> None:
        """Advance by dt_s with heat_w of internal dissipation."""
        loss_w = (self.temperature_c - self.ambient_c) / self.thermal_resistance_k_per_w
        self.temperature_c += (heat_w - loss_w) * dt_s / self.heat_capacity_j_per_k


@dataclass
class Pack:
    """A paralleled pack; ``current_a`` is positive when charging.

    Terminal voltage = sum of cell (OCV + I * R_cell) + polarization, where the polarization is
    a first-order lag towards ``I * R_p`` (``R_p`` = ``polarization_ohm``, higher near full)
    with time constant ``polarization_tau_s``: voltage sags under load, relaxes afterwards,
    and the CV taper lasts minutes instead of seconds.
    """

    index: int
    cells: list[Cell]
    bms: Bms
    thermal: Thermal
    extra_resistance_ohm: float = 0.006
    link_resistance_ohm: float = 0.002
    polarization_ohm: float = 0.02
    polarization_top_factor: float = 3.0
    polarization_tau_s: float = 600.0
    polarization_v: float = 0.0
    sensor_offsets_c: tuple[float, float] = (0.0, 0.0)
    cycles_base: int = 0
    current_a: float = 0.0
    discharged_ah: float = 0.0
    _cell_volts: list[float] = field(default_factory=list)

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
    def charge_allowed(self) -> bool:
        """Whether the BMS lets charge in (and the link is closed)."""
        return self.bms.charge_allowed

    @property
    def discharge_allowed(self) -> bool:
        """Whether the BMS lets charge out."""
        return self.bms.discharge_allowed

    def internal_resistance(self) -> float:
        """Cells plus FET/busbar resistance (ohm), i.e. measured at the pack terminals."""
        return sum(c.resistance_ohm for c in self.cells) + self.extra_resistance_ohm

    def emf(self) -> float:
        """Sum of the cells' open-circuit voltages (V)."""
        return sum(c.emf() for c in self.cells)

    def slope_v_per_ah(self) -> float:
        """dEMF/dQ of the pack (V per Ah)."""
        return sum(c.slope_v_per_ah() for c in self.cells)

    def linearise(self) -> tuple[float, float]:
        """(emf, slope_v_per_ah) in one pass over the cells."""
        emf = 0.0
        slope_sum = 0.0
        for c in self.cells:
            v, k = ocv_and_slope(c.charge_ah / c.capacity_ah)
            emf += v + c.ocv_offset_v
            slope_sum += k / c.capacity_ah
        return emf, slope_sum

    def polarization_resistance(self) -> float:
        """R_p (ohm): ``polarization_ohm`` x (1 + ``polarization_top_factor`` over 97..100 %)."""
        top = min(1.0, max(0.0, (self.mean_soc - 0.97) / 0.03))
        return self.polarization_ohm * (1.0 + self.polarization_top_factor * top)

    def polarization_coefficients(self, dt_s: float) -> tuple[float, float]:
        """(a, b) of the implicit update ``V_p(new) = a * V_p + b * I`` over dt_s.

        The higher resistance near full (charge acceptance falls) stretches the CV taper.
        """
        k = dt_s / self.polarization_tau_s
        return 1.0 / (1.0 + k), self.polarization_resistance() * k / (1.0 + k)

    def refresh(self) -> None:
        """Recompute cached cell voltages from the present charge, current and polarization."""
        share = self.polarization_v / len(self.cells)
        self._cell_volts = [c.voltage(self.current_a) + share for c in self.cells]

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

    def apply_current(self, current_a: float, dt_s: float, clock_s: float) -> None:
        """Pass current_a for dt_s: move charge, heat up, then let the BMS look."""
        self.current_a = current_a
        a, b = self.polarization_coefficients(dt_s)
        self.polarization_v = a * self.polarization_v + b * current_a
        amp_hours = current_a * dt_s / 3600.0
        for cell in self.cells:
            cell.add_charge(amp_hours)
        if current_a < 0.0:
            self.discharged_ah -= amp_hours
        heat_w = current_a * current_a * self.internal_resistance()
        self.thermal.step(dt_s, heat_w)
        self.refresh()
        t1, t2, _ = self.temperatures
        self.bms.update(dt_s, current_a, self.cell_max, min(t1, t2), max(t1, t2), clock_s)

    def set_true_soc(self, soc: float) -> None:
        """Set every cell to soc of its own capacity (scenario set-up)."""
        for cell in self.cells:
            cell.charge_ah = soc * cell.capacity_ah
        self.refresh()
