"""Energy counters that never go backwards (pure, no Home Assistant imports).

Three pieces, each exhaustively tested on its own:

- :class:`CounterGuard` follows a source's own counter (the cloud's lifetime totals, lxp-bridge's
  ``e_*_all``, Solar Assistant's daily totals) and shows what HA's ``total_increasing`` expects:
  the counter as the source reports it, except that a reading lower than the one shown is held
  back. A drop is a **reset** (a new meter cycle, shown as is) only when it falls below
  ``RESET_FRACTION`` of the value shown *and the next reading confirms it* (still below the
  value shown, and not below the first); any other drop is a glitch and ignored. A reset to near zero that the
  next reading confirms is a daily counter's midnight or a replaced inverter; a lone zero (a
  bridge that read nothing) is not.
- :class:`PowerIntegrator` integrates a measured power where the source has no counter
  (powermon's PI18). Left Riemann sum: the power a reading reports holds until the next
  reading (how a bridge reports, and exact for the step-wise power it publishes). Samples more
  than ``max_gap_s`` apart, or separated by a sample without a reading, are not integrated
  across: a dropout never invents energy.
- :func:`directional_powers`: the non-negative power each energy kind integrates, from an
  inverter's metrics.

Energies are in kWh; powers in W; times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .model import MetricValue

RESET_FRACTION = 0.1  # a confirmed drop below 10 % of the value shown is a new meter cycle
MAX_GAP_S = 300.0  # samples further apart than this are not integrated across
_WS_PER_KWH = 3_600_000.0


class EnergyKind(StrEnum):
    """The six energies of the Energy dashboard; the value is the entity key."""

    PV = "pv_energy"
    BATTERY_CHARGE = "battery_charge_energy"
    BATTERY_DISCHARGE = "battery_discharge_energy"
    GRID_IMPORT = "grid_import_energy"
    GRID_EXPORT = "grid_export_energy"
    LOAD = "load_energy"


# The metric a source carries its group-wide counter under (Solar Assistant's ``total``).
SYSTEM_PREFIX = "system_"
# Signed powers as the model keeps them: the battery + while charging, the grid + importing.
BATTERY_FLOW = "battery_flow"
GRID_POWER = "grid_power"


class Verdict(StrEnum):
    """What one counter reading did."""

    ACCEPTED = "accepted"  # shown (an increase or the same value)
    RESET = "reset"  # a confirmed new meter cycle: shown, lower than before
    HELD = "held"  # lower than shown: held back until the next reading says what it was


@dataclass(slots=True)
class CounterGuard:
    """A source counter as HA's ``total_increasing`` expects it (see the module docstring).

    ``value`` is what the sensor shows; ``carried`` is the energy of the cycles before the last
    reset, so ``total`` never decreases (the group's sums use it).
    """

    value: float | None = None
    carried: float = 0.0
    _pending: float | None = None

    @property
    def total(self) -> float:
        """Energy counted since this guard began, across resets."""
        return self.carried + (self.value or 0.0)

    def update(self, reading: float) -> Verdict:
        """Take one reading of the counter; say what became of it."""
        shown = self.value
        if shown is None or reading >= shown:
            self.value, self._pending = reading, None
            return Verdict.ACCEPTED
        pending, self._pending = self._pending, None
        if pending is not None and reading >= pending:  # still below the value shown
            self.carried += shown
            self.value = reading
            return Verdict.RESET
        if reading < RESET_FRACTION * shown:
            self._pending = reading  # the next reading tells a reset from a glitch
        return Verdict.HELD


@dataclass(slots=True)
class PowerIntegrator:
    """Energy from a measured power, left Riemann, never across a gap (module docstring)."""

    value: float = 0.0
    max_gap_s: float = MAX_GAP_S
    _last: tuple[float, float] | None = None

    def sample(self, when: float, watts: float | None) -> float:
        """Add the energy since the previous sample; ``watts`` None: no reading now.

        Returns the energy added (kWh). A negative power counts as zero.
        """
        last = self._last
        added = 0.0
        if last is not None and 0.0 < when - last[0] <= self.max_gap_s:
            added = max(0.0, last[1]) * (when - last[0]) / _WS_PER_KWH
            self.value += added
        if watts is None:
            self._last = None
        elif last is None or when >= last[0]:
            self._last = (when, watts)
        return added


def _number(metrics: Mapping[str, MetricValue], key: str) -> float | None:
    value = metrics.get(key)
    return value if isinstance(value, float) else None


def battery_flow(metrics: Mapping[str, MetricValue]) -> float | None:
    """The battery's power, W, + while charging: as reported, else voltage x current."""
    flow = _number(metrics, BATTERY_FLOW)
    if flow is not None:
        return flow
    volts = _number(metrics, "battery_voltage")
    if volts is None:
        return None
    current = _number(metrics, "battery_current")
    if current is None:
        charge = _number(metrics, "battery_charge_current")
        discharge = _number(metrics, "battery_discharge_current")
        if charge is None or discharge is None:
            return None
        current = charge - discharge
    return volts * current


# The metrics each kind's power is computed from (a reading of any of them updates it).
POWER_INPUTS: dict[EnergyKind, tuple[str, ...]] = {
    EnergyKind.PV: ("pv_power",),
    EnergyKind.BATTERY_CHARGE: (
        BATTERY_FLOW,
        "battery_voltage",
        "battery_current",
        "battery_charge_current",
        "battery_discharge_current",
    ),
    EnergyKind.GRID_IMPORT: (GRID_POWER,),
    EnergyKind.LOAD: ("output_power",),
}
POWER_INPUTS[EnergyKind.BATTERY_DISCHARGE] = POWER_INPUTS[EnergyKind.BATTERY_CHARGE]
POWER_INPUTS[EnergyKind.GRID_EXPORT] = POWER_INPUTS[EnergyKind.GRID_IMPORT]


def can_integrate(kind: EnergyKind, metrics: frozenset[str]) -> bool:
    """True when a source reporting ``metrics`` gives this kind's power."""
    if kind in (EnergyKind.BATTERY_CHARGE, EnergyKind.BATTERY_DISCHARGE):
        return BATTERY_FLOW in metrics or (
            "battery_voltage" in metrics
            and (
                "battery_current" in metrics
                or {"battery_charge_current", "battery_discharge_current"} <= metrics
            )
        )
    return POWER_INPUTS[kind][0] in metrics


def directional_power(kind: EnergyKind, metrics: Mapping[str, MetricValue]) -> float | None:
    """The power (W, never negative) this kind integrates now; None when unknown."""
    if kind in (EnergyKind.BATTERY_CHARGE, EnergyKind.BATTERY_DISCHARGE):
        flow = battery_flow(metrics)
        if flow is None:
            return None
        return max(0.0, flow if kind is EnergyKind.BATTERY_CHARGE else -flow)
    if kind in (EnergyKind.GRID_IMPORT, EnergyKind.GRID_EXPORT):
        grid = _number(metrics, GRID_POWER)
        if grid is None:
            return None
        return max(0.0, grid if kind is EnergyKind.GRID_IMPORT else -grid)
    power = _number(metrics, POWER_INPUTS[kind][0])
    return None if power is None else max(0.0, power)


@dataclass(slots=True)
class GroupLedger:
    """The group's energy of one kind: what its units counted since each joined the group.

    ``offsets`` holds each unit's total when it joined an already counting group (units there
    from the start count from zero), so a unit joining with a lifetime counter of thousands of
    kWh adds nothing at once. Persisted with the group's sensor.
    """

    offsets: dict[int, float]
    started: bool = False

    def value(self, totals: Mapping[int, float], expected: int) -> float | None:
        """The group's energy; None until every expected unit has a total."""
        if len(totals) < expected:
            return None
        if not self.started:
            self.started = True
            for unit in totals:
                self.offsets.setdefault(unit, 0.0)
        for unit, total in totals.items():
            self.offsets.setdefault(unit, total)  # a unit that joined since
        return sum(total - self.offsets[unit] for unit, total in totals.items())
