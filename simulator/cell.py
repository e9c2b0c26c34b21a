"""One LFP cell: true charge, capacity, resistance, an RC overpotential and self-discharge."""

from __future__ import annotations

from dataclasses import dataclass

from .ocv import charge_rc_factor, ocv

DAY_S = 86400.0


@dataclass
class Cell:
    """A single cell; all of a pack's cells carry the pack current (series string).

    Terminal voltage = OCV(SoC) + offset + I * R0 + V_rc (:meth:`simulator.pack.Pack.refresh`).
    ``V_rc`` is a first-order lag (time constant set by the pack) towards ``I * R_rc``, where
    ``R_rc`` is ``rc_ohm`` on discharge and rises steeply near full on charge
    (:func:`simulator.ocv.charge_rc_factor`). Above full only part of a charge is stored
    (:func:`simulator.ocv.charge_efficiency`).
    """

    capacity_ah: float
    charge_ah: float
    resistance_ohm: float = 0.0006
    ocv_offset_v: float = 0.0
    rc_ohm: float = 0.00125
    rc_v: float = 0.0
    self_discharge_per_day: float = 0.0005  # fraction of its capacity lost per day

    @property
    def soc(self) -> float:
        """True state of charge as a fraction of this cell's own capacity."""
        return self.charge_ah / self.capacity_ah

    def emf(self) -> float:
        """Open-circuit voltage (V) including this cell's fixed offset."""
        return ocv(self.soc) + self.ocv_offset_v

    def rc_resistance(self, charging: bool) -> float:
        """R of the RC element (ohm, at 25 degC) in the given direction."""
        return self.rc_ohm * charge_rc_factor(self.soc) if charging else self.rc_ohm

    def self_discharge(self, dt_s: float) -> float:
        """Lose this cell's self-discharge over dt_s; the Ah lost."""
        lost = min(self.charge_ah, self.capacity_ah * self.self_discharge_per_day * dt_s / DAY_S)
        self.charge_ah -= lost
        return lost
