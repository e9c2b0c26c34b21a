"""One LFP cell: true charge, capacity, resistance and a fixed OCV offset."""

from __future__ import annotations

from dataclasses import dataclass

from .ocv import ocv, slope


@dataclass
class Cell:
    """A single cell; all packs' cells carry the pack current (series string)."""

    capacity_ah: float
    charge_ah: float
    resistance_ohm: float = 0.0006
    ocv_offset_v: float = 0.0

    @property
    def soc(self) -> float:
        """True state of charge as a fraction of this cell's own capacity."""
        return self.charge_ah / self.capacity_ah

    def emf(self) -> float:
        """Open-circuit voltage (V) including this cell's fixed offset."""
        return ocv(self.soc) + self.ocv_offset_v

    def slope_v_per_ah(self) -> float:
        """dV/dQ of this cell (V per Ah) at its present charge."""
        return slope(self.soc) / self.capacity_ah

    def voltage(self, current_a: float) -> float:
        """Terminal voltage at current_a (positive = charging)."""
        return self.emf() + current_a * self.resistance_ohm

    def add_charge(self, amp_hours: float) -> None:
        """Move charge in (positive) or out (negative); never below empty."""
        self.charge_ah = max(0.0, self.charge_ah + amp_hours)
