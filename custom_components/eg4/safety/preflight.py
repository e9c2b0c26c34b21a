"""The calibration pre-flight: every reason a charge must not start, and what to know first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..drift import exceeds, number, spread
from ..model import PackState, SettingKey, SystemState
from ..settings import SettingDef
from .checks import Check, CheckFailure, failure, joined
from .cold import cold_check
from .limits import DEFAULT_LIMITS, Limits, fmt
from .readings import protection_label, stale_telemetry, temperatures
from .settings_checks import settings_checks

REQUIRED_PACK_METRICS = (
    "soc",
    "voltage",
    "current",
    "cell_voltage_max",
    "cell_voltage_delta",
    "temperature_max",
)


def preflight(
    state: SystemState,
    *,
    now: float,
    limits: Limits = DEFAULT_LIMITS,
    stale_after_s: float | None = None,
    run_active: bool = False,
    late_levers: Iterable[str] = (),
    required_settings: Iterable[SettingKey] = (),
    writable: Mapping[SettingKey, SettingDef] | None = None,
    warnings: bool = False,
) -> list[CheckFailure]:
    """Return every reason a calibration charge must not start (no blocking failure = go).

    ``required_settings`` are the levers the plan will write: each unit must report them, or
    the run could not restore them afterwards; given ``writable`` (the transport's setting
    definitions, ``capabilities.writable``), each unit's current value of each lever must
    also pass the validation the revert's write will run. Telemetry is stale past
    ``limits.effective_stale_after(stale_after_s)``, per device and per safety reading.
    With ``warnings``, warning-level checks (``CheckFailure.blocks`` False: a cold bank's
    derated charge current) follow the refusals; without, the list holds refusals only.
    ``late_levers`` names the levers of an earlier run that landed late and are not yet
    confirmed put back (``inverter 1 charger_priority``).
    """
    required = tuple(dict.fromkeys(required_settings))
    bound = limits.effective_stale_after(stale_after_s)
    failures: list[CheckFailure] = []
    if run_active:
        failures.append(CheckFailure(Check.RUN_ACTIVE))
    late = list(late_levers)
    if late:
        failures.append(CheckFailure(Check.LATE_LEVER_ON, {"settings": ", ".join(late)}))

    stale = list(stale_telemetry(state, now, bound))
    if stale:
        failures.append(
            CheckFailure(
                Check.TELEMETRY_STALE,
                {
                    "sources": joined(s.source for s in stale),
                    "values": "; ".join(f"{s.label}: {s.age}" for s in stale),
                    "limit": fmt(bound),
                },
            )
        )

    seen = [p for _, p in sorted(state.packs.items()) if p.last_seen is not None]
    missing = [
        f"{p.source}: {', '.join(k for k in REQUIRED_PACK_METRICS if number(p.metrics, k) is None)}"
        for p in seen
        if any(number(p.metrics, k) is None for k in REQUIRED_PACK_METRICS)
    ]
    if not state.packs:
        failures.append(
            CheckFailure(Check.TELEMETRY_MISSING, {"sources": "packs", "values": "none"})
        )
    elif missing:
        failures.append(failure(Check.TELEMETRY_MISSING, missing))

    failures.extend(_pack_checks(seen, limits))
    failures.extend(settings_checks(state, required, writable))
    if warnings:
        cold = cold_check(seen, limits)
        if cold is not None:
            failures.append(cold)
    return failures


def _pack_checks(packs: list[PackState], limits: Limits) -> list[CheckFailure]:
    temps: list[str] = []
    protection: list[str] = []
    high_cells: list[str] = []
    deltas: list[str] = []
    for pack in packs:
        readings = temperatures(pack)
        if readings and (
            max(readings) > limits.charge_temperature_max
            or min(readings) < limits.charge_temperature_min
        ):
            low, high = min(readings), max(readings)
            temps.append(
                f"{pack.source}: {fmt(high if high > limits.charge_temperature_max else low)} °C"
            )
        label = protection_label(pack)
        if label is not None:
            protection.append(f"{pack.source}: {label}")
        cell = number(pack.metrics, "cell_voltage_max")
        if cell is not None and cell > limits.cell_voltage_max:
            high_cells.append(f"{pack.source}: {fmt(cell)} V")
        delta = number(pack.metrics, "cell_voltage_delta")
        if delta is not None and delta > limits.cell_delta_max_mv:
            deltas.append(f"{pack.source}: {fmt(delta)} mV")
    failures: list[CheckFailure] = []
    if temps:
        failures.append(
            failure(
                Check.TEMPERATURE_OUT_OF_RANGE,
                temps,
                minimum=fmt(limits.charge_temperature_min),
                maximum=fmt(limits.charge_temperature_max),
            )
        )
    if protection:
        failures.append(failure(Check.PROTECTION_ACTIVE, protection))
    if high_cells:
        failures.append(
            failure(Check.CELL_VOLTAGE_HIGH, high_cells, limit=fmt(limits.cell_voltage_max))
        )
    if deltas:
        failures.append(failure(Check.CELL_DELTA_HIGH, deltas, limit=fmt(limits.cell_delta_max_mv)))
    voltages = {p.source: number(p.metrics, "voltage") for p in packs}
    voltage_spread = spread(voltages.values())
    if voltage_spread is not None and exceeds(voltage_spread, limits.voltage_spread_max):
        values = [f"{s}: {fmt(v)} V" for s, v in voltages.items() if v is not None]
        failures.append(
            failure(
                Check.PACK_VOLTAGE_IMBALANCE,
                values,
                spread=f"{voltage_spread:.2f}",
                limit=fmt(limits.voltage_spread_max),
            )
        )
    return failures
