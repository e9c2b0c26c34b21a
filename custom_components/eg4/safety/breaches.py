"""The live monitor: every limit a running calibration crosses, judged on every update."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..drift import number
from ..model import SystemState
from .limits import DEFAULT_LIMITS, Limits, fmt
from .readings import protection_label, stale_telemetry, temperatures


class BreachReason(StrEnum):
    """Why a running calibration must stop at once, most urgent first."""

    CELL_OVER_VOLTAGE = "cell_over_voltage"
    OVER_TEMPERATURE = "over_temperature"
    UNDER_TEMPERATURE = "under_temperature"
    PROTECTION = "protection"
    TELEMETRY_STALE = "telemetry_stale"


@dataclass(frozen=True, slots=True)
class Breach:
    """One limit crossed by one source (or, for stale telemetry, one reading of a source)."""

    reason: BreachReason
    source: str  # e.g. ``pack_3``, ``inverter_1``, or ``pack_3 cell_voltage_max`` when stale
    value: str  # e.g. ``3.62 V``
    limit: str

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholders for a translated message."""
        return {"source": self.source, "value": self.value, "limit": self.limit}


_ORDER = {reason: rank for rank, reason in enumerate(BreachReason)}


def breaches(
    state: SystemState,
    *,
    now: float,
    limits: Limits = DEFAULT_LIMITS,
    stale_after_s: float | None = None,
) -> list[Breach]:
    """Every limit crossed right now, most urgent reason first (cheap: one pass per source).

    Stale telemetry is a device silent for longer than the bound, or a safety reading of a
    talking pack (cell voltages, temperatures, protection) not accepted within it: the pack
    would otherwise be judged on a frozen value. The bound is
    ``limits.effective_stale_after(stale_after_s)``.
    """
    bound = limits.effective_stale_after(stale_after_s)
    found: list[Breach] = []
    for index in sorted(state.packs):
        pack = state.packs[index]
        label = str(pack.source)
        cell = number(pack.metrics, "cell_voltage_max")
        if cell is not None and cell > limits.cell_voltage_max:
            found.append(
                Breach(
                    BreachReason.CELL_OVER_VOLTAGE,
                    label,
                    f"{fmt(cell)} V",
                    f"{fmt(limits.cell_voltage_max)} V",
                )
            )
        temps = temperatures(pack)
        if temps:
            high, low = max(temps), min(temps)
            if high > limits.temperature_max:
                found.append(
                    Breach(
                        BreachReason.OVER_TEMPERATURE,
                        label,
                        f"{fmt(high)} °C",
                        f"{fmt(limits.temperature_max)} °C",
                    )
                )
            if low < limits.temperature_min:
                found.append(
                    Breach(
                        BreachReason.UNDER_TEMPERATURE,
                        label,
                        f"{fmt(low)} °C",
                        f"{fmt(limits.temperature_min)} °C",
                    )
                )
        flags = protection_label(pack)
        if flags is not None:
            found.append(Breach(BreachReason.PROTECTION, label, flags, "none"))
    found.extend(
        Breach(BreachReason.TELEMETRY_STALE, stale.label, stale.age, f"{fmt(bound)} s")
        for stale in stale_telemetry(state, now, bound)
    )
    found.sort(key=lambda b: _ORDER[b.reason])  # stable: sources stay in order
    return found
