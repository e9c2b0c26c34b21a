"""The cloud's typed answers as readings: which field feeds which metric, and the gate (pure).

Every value passes the same plausibility bounds as the MQTT profiles. A value that is present
but implausible is not delivered; its ``kind:key`` is returned so the coordinator counts it
with the other rejected payloads (diagnostics show the counters).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cloud import BatteryInfo, EnergyTotals, Runtime
from ..energy import BATTERY_FLOW, GRID_POWER, EnergyKind
from ..model import PACK_CAPACITY, SourceId, SourceKind
from ..profiles.base import (
    CAPACITY,
    COUNT,
    CURRENT,
    ENERGY,
    PERCENT,
    POWER,
    TEMPERATURE,
    VOLTAGE_AC,
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    Bounds,
    parse_version,
    plausible,
)
from ..transport.base import Reading

INVERTER_METRICS = frozenset(
    {
        "battery_voltage",
        "battery_current",
        "battery_soc",
        "pv_power",
        "output_power",
        "grid_voltage",
        "temperature",
        BATTERY_FLOW,
        GRID_POWER,
        *EnergyKind,
        "firmware",
    }
)
PACK_METRICS = frozenset(
    {
        "soc",
        "voltage",
        "current",
        "cell_voltage_max",
        "cell_voltage_min",
        "cell_voltage_delta",
        "temperature_cell_max",
        "temperature_cell_min",
        "temperature_max",
        "cycles",
        "firmware",
    }
)

# The plausible range of each reading: the same bounds the MQTT profiles apply.
_BOUNDS: dict[str, Bounds] = {
    "soc": PERCENT,
    "battery_soc": PERCENT,
    "voltage": VOLTAGE_BANK,
    "battery_voltage": VOLTAGE_BANK,
    "current": CURRENT,
    "battery_current": CURRENT,
    "cell_voltage_max": VOLTAGE_CELL,
    "cell_voltage_min": VOLTAGE_CELL,
    "temperature_cell_max": TEMPERATURE,
    "temperature_cell_min": TEMPERATURE,
    "temperature": TEMPERATURE,
    "grid_voltage": VOLTAGE_AC,
    "pv_power": POWER,
    "output_power": POWER,
    "cycles": COUNT,
    PACK_CAPACITY: CAPACITY,
    BATTERY_FLOW: POWER,
    GRID_POWER: POWER,
    **dict.fromkeys(EnergyKind, ENERGY),
}

type Gated = tuple[list[Reading], list[str]]  # readings delivered, "kind:key" rejected


def _gate(source: SourceId, fields: Mapping[str, float | None]) -> Gated:
    readings: list[Reading] = []
    rejected: list[str] = []
    for key, value in fields.items():
        if value is None:
            continue
        if plausible(float(value), _BOUNDS[key]):
            readings.append(Reading(source, key, float(value)))
        else:
            rejected.append(f"{source.kind}:{key}")
    return readings, rejected


def _firmware(source: SourceId, version: str | None, gated: Gated) -> Gated:
    """``gated`` with the firmware version the portal reports (fwCode, fwVersionText)."""
    if version is None:
        return gated
    try:
        gated[0].append(Reading(source, "firmware", parse_version(version)))
    except ValueError:
        gated[1].append(f"{source.kind}:firmware")
    return gated


def runtime_readings(unit: int, runtime: Runtime, bms_current: float | None = None) -> Gated:
    """An inverter's readings.

    ``output_power`` is the load the inverter serves (the field its model fills, as the MQTT
    bridges report it), not the portal's ``pinv``. ``bms_current``, when given, is the BMS's
    own current of a bank this inverter alone charges; else the battery current is the
    inverter's batPower / vBat.
    """
    source = SourceId(SourceKind.INVERTER, unit)
    fields = _gate(
        source,
        {
            "battery_voltage": runtime.battery_voltage,
            "battery_current": bms_current if bms_current is not None else runtime.battery_current,
            "battery_soc": runtime.soc,
            "pv_power": runtime.pv_power,
            "output_power": runtime.load_power,
            "grid_voltage": runtime.grid_voltage,
            "temperature": runtime.inverter_temperature,
            BATTERY_FLOW: runtime.battery_power,
            GRID_POWER: runtime.grid_power,
        },
    )
    return _firmware(source, runtime.firmware, fields)


def energy_readings(unit: int, totals: EnergyTotals) -> Gated:
    """An inverter's lifetime energy counters (kWh)."""
    return _gate(
        SourceId(SourceKind.INVERTER, unit),
        {
            EnergyKind.PV: totals.pv,
            EnergyKind.BATTERY_CHARGE: totals.battery_charge,
            EnergyKind.BATTERY_DISCHARGE: totals.battery_discharge,
            EnergyKind.GRID_IMPORT: totals.grid_import,
            EnergyKind.GRID_EXPORT: totals.grid_export,
            EnergyKind.LOAD: totals.load,
        },
    )


def pack_readings(pack_numbers: Mapping[int, int], battery: BatteryInfo) -> Gated:
    """Readings of each online pack of ``battery``.

    ``pack_numbers`` maps the inverter's local pack number (1-based) to the system's.
    """
    readings: list[Reading] = []
    rejected: list[str] = []
    for pack in battery.packs:
        number = pack_numbers.get(pack.number)
        if number is None or not pack.online:
            continue
        source = SourceId(SourceKind.PACK, number)
        got, refused = _gate(
            source,
            {
                "soc": pack.soc,
                "voltage": pack.voltage,
                "current": pack.current,
                "cell_voltage_max": pack.cell_voltage_max,
                "cell_voltage_min": pack.cell_voltage_min,
                "temperature_cell_max": pack.temperature_max,
                "temperature_cell_min": pack.temperature_min,
                "cycles": None if pack.cycle_count is None else float(pack.cycle_count),
                PACK_CAPACITY: pack.full_capacity_ah,
            },
        )
        got, refused = _firmware(source, pack.firmware, (got, refused))
        readings.extend(got)
        rejected.extend(refused)
    return readings, rejected
