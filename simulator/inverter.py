"""One inverter unit (EG4 LVX6048-like, 48 V): settings, latches and last-step readbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from .settings import InverterSettings

GRID_VOLTAGE_V = 120.0
AC_OUTPUT_VOLTAGE_V = 120.0

# Bank voltage -> state of charge as the inverter itself estimates it (no BMS link).
_VOLTAGE_SOC: tuple[tuple[float, float], ...] = (
    (44.0, 0.0),
    (48.0, 10.0),
    (51.2, 20.0),
    (52.8, 40.0),
    (53.2, 60.0),
    (53.6, 80.0),
    (54.4, 95.0),
    (56.0, 100.0),
)


def voltage_soc_pct(volts: float) -> int:
    """The inverter's voltage-based battery capacity estimate, integer percent."""
    if volts <= _VOLTAGE_SOC[0][0]:
        return 0
    for (v0, s0), (v1, s1) in pairwise(_VOLTAGE_SOC):
        if volts <= v1:
            return round(s0 + (s1 - s0) * (volts - v0) / (v1 - v0))
    return 100


class QuickTask(StrEnum):
    """A quick task the portal runs on a unit."""

    CHARGE = "charge"
    DISCHARGE = "discharge"


class UnitMode(StrEnum):
    """Operating mode of a unit."""

    LINE = "line"
    BATTERY = "battery"
    STANDBY = "standby"
    FAULT = "fault"


@dataclass
class UnitFlows:
    """What a unit measured during the last step (all powers in W, currents in A)."""

    mode: UnitMode = UnitMode.LINE
    pv_available_w: float = 0.0
    pv_w: float = 0.0
    pv_v: float = 0.0
    load_w: float = 0.0
    load_demand_w: float = 0.0
    grid_in_w: float = 0.0
    grid_v: float = GRID_VOLTAGE_V
    ac_out_v: float = AC_OUTPUT_VOLTAGE_V
    solar_charge_a: float = 0.0
    grid_charge_a: float = 0.0
    discharge_a: float = 0.0
    battery_v: float = 0.0
    temperature_c: float = 30.0

    @property
    def charge_a(self) -> float:
        """Charge current this unit pushes into the bank."""
        return self.solar_charge_a + self.grid_charge_a

    @property
    def battery_current_a(self) -> float:
        """Net battery current of this unit (positive = charging)."""
        return self.charge_a - self.discharge_a


@dataclass
class Inverter:
    """One parallel unit. ``index`` is 1-based."""

    index: int
    settings: InverterSettings
    rated_w: float = 6000.0
    grid_fallback: bool = False
    shutdown: bool = False
    flows: UnitFlows = field(default_factory=UnitFlows)
    # A quick task under way on this unit ("charge": from the grid whatever the priorities;
    # "discharge": the bank carries the loads and exports), until ``quick_until_s`` (twin clock;
    # None: until stopped). The portal starts and stops them (``simulator.portal_quick``).
    quick: QuickTask | None = None
    quick_until_s: float | None = None

    def expire_quick(self, clock_s: float) -> None:
        """End a quick task whose time is up (the portal closes it by itself)."""
        if self.quick_until_s is not None and clock_s >= self.quick_until_s - 1e-9:
            self.quick = None
            self.quick_until_s = None

    @property
    def load_pct(self) -> int:
        """AC output load as a percentage of the rating."""
        return round(self.flows.load_w / self.rated_w * 100.0)

    def update_latches(self, bus_v: float, grid_available: bool) -> None:
        """SBU back-to-grid / back-to-battery hysteresis and low-battery shutdown."""
        s = self.settings
        if not grid_available:
            self.grid_fallback = False
            if bus_v < s.under_voltage_v:
                self.shutdown = True
            elif bus_v >= s.recharge_v:
                self.shutdown = False
            return
        self.shutdown = False
        if not self.grid_fallback and bus_v < s.recharge_v:
            self.grid_fallback = True
        elif self.grid_fallback and bus_v >= s.redischarge_v:
            self.grid_fallback = False
