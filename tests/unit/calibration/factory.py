"""Builders of realistic bank states for the calibration, safety and drift tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from custom_components.eg4.ingest import apply_readings
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    PackState,
    SettingKey,
    SettingValue,
    SourceId,
    SystemState,
)

from ..helpers import inv, pack, reading

T0 = 1_700_000_000.0

# The everyday profile of the field installation: SBU + solar_first.
EVERYDAY_PI: dict[SettingKey, SettingValue] = {
    SettingKey.OUTPUT_PRIORITY: OutputPriority.SBU,
    SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST,
    SettingKey.BULK_VOLTAGE: 56.4,
    SettingKey.FLOAT_VOLTAGE: 54.0,
}

# A healthy bank at rest: voltages agree, cells tight, 25 °C, no protection.
HEALTHY: dict[str, Any] = {
    "soc": 60.0,
    "voltage": 53.4,
    "current": 0.0,
    "cell_voltage_max": 3.340,
    "cell_voltage_min": 3.335,
    "temperature_1": 25.0,
    "temperature_2": 24.0,
    "protection": "",
}


def per_pack(value: Any, index: int) -> Any:
    """A scalar applies to every pack; a list gives pack 1, 2, ...; a dict names packs."""
    if isinstance(value, Mapping):
        return value.get(index)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return value[index - 1]
    return value


def update(state: SystemState, now: float, **metrics: Any) -> SystemState:
    """Feed pack readings through the real ingest path, and a heartbeat from every inverter.

    A value of None for a pack leaves that metric alone for that pack. Like a bridge that
    publishes every topic on each cycle, a pack sent anything re-sends every reading it
    reported before (unchanged), so its readings do not age; ``feed`` sends only the named
    readings of one source, and lets the others age.
    """
    readings = []
    for index in sorted(state.packs):
        named: dict[str, Any] = {}
        for key, value in metrics.items():
            v = per_pack(value, index)
            if v is not None:
                named[key] = v if isinstance(v, str) else float(v)
        if metrics and not named:
            continue
        frame = {**_frame(state.packs[index]), **named} if named else _frame(state.packs[index])
        readings.extend(reading(pack(index), key, value) for key, value in frame.items())
        if not metrics:
            readings.append(reading(pack(index), "heartbeat", 1.0))
    readings.extend(reading(inv(n), "heartbeat", 1.0) for n in sorted(state.inverters))
    apply_readings(state, readings, now)
    return state


def _frame(device: PackState) -> dict[str, Any]:
    """What the pack's bridge reported before, as it would send it again."""
    frame: dict[str, Any] = {}
    for key in device.seen_at:
        if key == "protection":
            if device.protection_flags or device.metrics.get(key) is not True:  # not injected
                frame[key] = ",".join(device.protection_flags)
        elif key in device.metrics:
            frame[key] = device.metrics[key]
    return frame


def feed(state: SystemState, now: float, source: SourceId, **metrics: Any) -> SystemState:
    """Readings of one source only, through the real ingest path (its other keys age)."""
    apply_readings(
        state,
        [
            reading(source, key, value if isinstance(value, str) else float(value))
            for key, value in metrics.items()
        ],
        now,
    )
    return state


def bank(
    packs: int = 6,
    inverters: int = 2,
    *,
    now: float = T0,
    settings: Mapping[SettingKey, SettingValue] | None = None,
    **metrics: Any,
) -> SystemState:
    """A state whose every source reported at ``now``: HEALTHY overridden by ``metrics``."""
    state = SystemState.empty(inverters, packs)
    for inverter in state.inverters.values():
        inverter.settings.update(EVERYDAY_PI if settings is None else settings)
    update(state, now, **{**HEALTHY, **metrics})
    return state


def field_drift_bank(now: float = T0) -> SystemState:
    """The field's signature of drift: 76 % on one pack vs 50-55 % on the others at 53.4 V."""
    return bank(
        6,
        now=now,
        soc=[76.0, 50.0, 52.0, 55.0, 53.0, 51.0],
        voltage=53.4,
        cell_voltage_max=3.339,
        cell_voltage_min=3.335,
    )
