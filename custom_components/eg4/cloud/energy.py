"""The portal's energy counters (``getInverterEnergyInfo``), parsed (no Home Assistant imports).

The portal counts in 0.1 kWh words: ``total<Kind>`` since the unit was commissioned and
``today<Kind>`` since its local midnight. Only the lifetime totals are used: they carry no
midnight of their own to miss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .parse import scaled

ENERGY_INFO = "/WManage/api/inverter/getInverterEnergyInfo"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyTotals:
    """Lifetime energies of one inverter, kWh (None when the portal left one out)."""

    pv: float | None = None  # totalYielding
    battery_charge: float | None = None  # totalCharging
    battery_discharge: float | None = None  # totalDischarging
    grid_import: float | None = None  # totalImport
    grid_export: float | None = None  # totalExport
    load: float | None = None  # totalUsage


def energy_totals(body: Mapping[str, Any]) -> EnergyTotals:
    """The lifetime counters of an energy-info answer, in kWh."""
    return EnergyTotals(
        pv=scaled(body.get("totalYielding"), 10),
        battery_charge=scaled(body.get("totalCharging"), 10),
        battery_discharge=scaled(body.get("totalDischarging"), 10),
        grid_import=scaled(body.get("totalImport"), 10),
        grid_export=scaled(body.get("totalExport"), 10),
        load=scaled(body.get("totalUsage"), 10),
    )
