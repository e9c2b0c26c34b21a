"""Safety limits, the calibration pre-flight and the live breach monitor (pure, no HA imports).

``preflight`` lists every reason a calibration charge must not start; ``breaches`` is called on
every telemetry message during a run and must stay cheap. Both return stable ids plus string
placeholders, so the integration can raise translated errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from .drift import DEFAULT_VOLTAGE_TOLERANCE, EPSILON, number, spread
from .model import DeviceState, PackState, SettingKey, SystemState, setting_text

# Hard ceilings from the field: the BMS protects at ~3.65 V per cell; nothing above 50 °C.
CELL_VOLTAGE_CEILING = 3.65
CELL_VOLTAGE_FLOOR = 3.40  # below this a limit would abort before absorption could start
TEMPERATURE_CEILING = 50.0
TEMPERATURE_FLOOR = 0.0  # never charge LFP below 0 °C
CELL_DELTA_CEILING_MV = 50.0
VOLTAGE_SPREAD_CEILING = DEFAULT_VOLTAGE_TOLERANCE  # "pack voltages agree", as drift reads it
STALE_CEILING_S = 600.0
STALE_FLOOR_S = 5.0

TEMPERATURE_PREFIX = "temperature_"
REQUIRED_PACK_METRICS = (
    "soc",
    "voltage",
    "current",
    "cell_voltage_max",
    "cell_voltage_delta",
    "temperature_max",
)


class UnsafeLimitError(ValueError):
    """A requested limit is looser than the hard ceilings (or makes no sense)."""

    def __init__(self, reason: str, **placeholders: str) -> None:
        """Store a translation reason key and its placeholders."""
        super().__init__(reason)
        self.reason = reason
        self.placeholders = placeholders


def _fmt(value: float) -> str:
    return f"{value:g}"


def known_fields(cls: type, data: object) -> dict[str, Any]:
    """``data`` as keyword arguments of the dataclass ``cls``; anything else is refused."""
    if not isinstance(data, dict):
        raise UnsafeLimitError("not_a_mapping", value=type(data).__name__)
    unknown = sorted(set(data) - {item.name for item in fields(cls)})
    if unknown:
        raise UnsafeLimitError("unknown_field", field=", ".join(map(str, unknown)))
    return dict(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Safety limits of a calibration charge; construction refuses anything looser than safe.

    Every instance is validated: a user may make a limit stricter, never looser than 3.65 V per
    cell or 50 °C (``UnsafeLimitError`` with a reason key otherwise).
    """

    cell_voltage_max: float = 3.60  # abort above this (V per cell)
    temperature_max: float = 45.0  # abort above this (°C)
    temperature_min: float = 0.0  # abort below this while charging (°C)
    charge_temperature_min: float = 5.0  # pre-flight window (°C)
    charge_temperature_max: float = 45.0
    cell_delta_max_mv: float = 50.0  # pre-flight: cell max - min (mV)
    voltage_spread_max: float = (
        VOLTAGE_SPREAD_CEILING  # pre-flight: pack voltages must agree within this (V)
    )
    stale_after_s: float = 180.0  # telemetry older than this is stale

    def __post_init__(self) -> None:
        """Refuse non-numbers, limits looser than the ceilings, and empty windows."""
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UnsafeLimitError("not_a_number", field=item.name, value=str(value))
            if not math.isfinite(value):
                raise UnsafeLimitError("not_a_number", field=item.name, value=str(value))
        _ceiling("cell_voltage_max", self.cell_voltage_max, CELL_VOLTAGE_CEILING)
        _floor("cell_voltage_max", self.cell_voltage_max, CELL_VOLTAGE_FLOOR)
        for name in ("temperature_max", "charge_temperature_max"):
            _ceiling(name, getattr(self, name), TEMPERATURE_CEILING)
        for name in ("temperature_min", "charge_temperature_min"):
            _floor(name, getattr(self, name), TEMPERATURE_FLOOR)
        _window("temperature_min", self.temperature_min, self.temperature_max)
        _window("charge_temperature_min", self.charge_temperature_min, self.charge_temperature_max)
        _ceiling("cell_delta_max_mv", self.cell_delta_max_mv, CELL_DELTA_CEILING_MV)
        _positive("cell_delta_max_mv", self.cell_delta_max_mv)
        _ceiling("voltage_spread_max", self.voltage_spread_max, VOLTAGE_SPREAD_CEILING)
        _positive("voltage_spread_max", self.voltage_spread_max)
        _ceiling("stale_after_s", self.stale_after_s, STALE_CEILING_S)
        _floor("stale_after_s", self.stale_after_s, STALE_FLOOR_S)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {item.name: float(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> Limits:
        """Rebuild (and re-validate) limits; unknown keys are refused."""
        return cls(**known_fields(cls, data))

    def effective_stale_after(self, stale_after_s: float | None) -> float:
        """The stricter of the limits' stale bound and a caller's (e.g. the entry option)."""
        if stale_after_s is None or not math.isfinite(stale_after_s) or stale_after_s <= 0:
            return self.stale_after_s
        return min(self.stale_after_s, stale_after_s)


def _ceiling(name: str, value: float, ceiling: float) -> None:
    if value > ceiling + EPSILON:
        raise UnsafeLimitError("above_ceiling", field=name, value=_fmt(value), limit=_fmt(ceiling))


def _floor(name: str, value: float, floor: float) -> None:
    if value < floor - EPSILON:
        raise UnsafeLimitError("below_floor", field=name, value=_fmt(value), limit=_fmt(floor))


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise UnsafeLimitError("below_floor", field=name, value=_fmt(value), limit="0")


def _window(name: str, low: float, high: float) -> None:
    if low >= high:
        raise UnsafeLimitError("empty_window", field=name, value=_fmt(low), limit=_fmt(high))


DEFAULT_LIMITS = Limits()


# ---- pre-flight ------------------------------------------------------------------------------


class Check(StrEnum):
    """Pre-flight checks, in the order their failures are listed."""

    RUN_ACTIVE = "run_active"
    TELEMETRY_STALE = "telemetry_stale"
    TELEMETRY_MISSING = "telemetry_missing"
    TEMPERATURE_OUT_OF_RANGE = "temperature_out_of_range"
    PROTECTION_ACTIVE = "protection_active"
    CELL_VOLTAGE_HIGH = "cell_voltage_high"
    CELL_DELTA_HIGH = "cell_delta_high"
    PACK_VOLTAGE_IMBALANCE = "pack_voltage_imbalance"
    SETTINGS_OUT_OF_SYNC = "settings_out_of_sync"
    SETTING_UNKNOWN = "setting_unknown"


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """One failed pre-flight check: a stable id and string placeholders for its message."""

    check: Check
    placeholders: dict[str, str] = field(default_factory=dict)


def preflight(
    state: SystemState,
    *,
    now: float,
    limits: Limits = DEFAULT_LIMITS,
    stale_after_s: float | None = None,
    run_active: bool = False,
    required_settings: Iterable[SettingKey] = (),
) -> list[CheckFailure]:
    """Return every reason a calibration charge must not start (empty list = go).

    ``required_settings`` are the levers the plan will write: each unit must report them, or
    the run could not restore them afterwards.
    """
    bound = limits.effective_stale_after(stale_after_s)
    failures: list[CheckFailure] = []
    if run_active:
        failures.append(CheckFailure(Check.RUN_ACTIVE))

    stale = [_stale_label(state, device, now, bound) for device in _devices(state)]
    stale_labels = [label for label in stale if label is not None]
    if stale_labels:
        failures.append(_failure(Check.TELEMETRY_STALE, stale_labels, limit=_fmt(bound)))

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
        failures.append(_failure(Check.TELEMETRY_MISSING, missing))

    failures.extend(_pack_checks(seen, limits))
    failures.extend(_settings_checks(state, required_settings))
    return failures


def _devices(state: SystemState) -> list[DeviceState]:
    return [
        *(state.inverters[n] for n in sorted(state.inverters)),
        *(state.packs[n] for n in sorted(state.packs)),
    ]


def _stale_label(state: SystemState, device: DeviceState, now: float, bound: float) -> str | None:
    if device.last_seen is None:
        return f"{device.source}: never"
    age = now - device.last_seen
    if device.source in state.stale or age > bound:
        return f"{device.source}: {age:.0f} s"
    return None


def _failure(check: Check, values: list[str], **extra: str) -> CheckFailure:
    sources = ", ".join(v.split(":", 1)[0] for v in values)
    return CheckFailure(check, {"sources": sources, "values": "; ".join(values), **extra})


def temperatures(pack: PackState) -> list[float]:
    """Every temperature the pack reports (°C), including the derived maximum."""
    out: list[float] = []
    for key, value in pack.metrics.items():
        if (
            key.startswith(TEMPERATURE_PREFIX)
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ):
            out.append(float(value))
    return out


def protection_label(pack: PackState) -> str | None:
    """A description of the pack's active protection, or None when there is none."""
    if pack.protection_flags:
        return "+".join(pack.protection_flags)
    if pack.metrics.get("protection") is True:
        return "protection"
    return None


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
                f"{pack.source}: {_fmt(high if high > limits.charge_temperature_max else low)} °C"
            )
        label = protection_label(pack)
        if label is not None:
            protection.append(f"{pack.source}: {label}")
        cell = number(pack.metrics, "cell_voltage_max")
        if cell is not None and cell > limits.cell_voltage_max:
            high_cells.append(f"{pack.source}: {_fmt(cell)} V")
        delta = number(pack.metrics, "cell_voltage_delta")
        if delta is not None and delta > limits.cell_delta_max_mv:
            deltas.append(f"{pack.source}: {_fmt(delta)} mV")
    failures: list[CheckFailure] = []
    if temps:
        failures.append(
            _failure(
                Check.TEMPERATURE_OUT_OF_RANGE,
                temps,
                minimum=_fmt(limits.charge_temperature_min),
                maximum=_fmt(limits.charge_temperature_max),
            )
        )
    if protection:
        failures.append(_failure(Check.PROTECTION_ACTIVE, protection))
    if high_cells:
        failures.append(
            _failure(Check.CELL_VOLTAGE_HIGH, high_cells, limit=_fmt(limits.cell_voltage_max))
        )
    if deltas:
        failures.append(
            _failure(Check.CELL_DELTA_HIGH, deltas, limit=_fmt(limits.cell_delta_max_mv))
        )
    voltages = {p.source: number(p.metrics, "voltage") for p in packs}
    voltage_spread = spread(voltages.values())
    if voltage_spread is not None and voltage_spread > limits.voltage_spread_max + EPSILON:
        values = [f"{s}: {_fmt(v)} V" for s, v in voltages.items() if v is not None]
        failures.append(
            _failure(
                Check.PACK_VOLTAGE_IMBALANCE,
                values,
                spread=f"{voltage_spread:.2f}",
                limit=_fmt(limits.voltage_spread_max),
            )
        )
    return failures


def _settings_checks(state: SystemState, required: Iterable[SettingKey]) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    mismatched = state.mismatched_settings()
    if mismatched:
        values = [
            f"{key.value}: "
            + ", ".join(
                f"inverter_{n} {setting_text(v)}"
                for n, v in sorted(state.setting_values(key).items())
            )
            for key in mismatched
        ]
        failures.append(
            CheckFailure(
                Check.SETTINGS_OUT_OF_SYNC,
                {"settings": ", ".join(k.value for k in mismatched), "values": "; ".join(values)},
            )
        )
    unknown = [
        f"{key.value}: inverter_{n}"
        for key in dict.fromkeys(required)
        for n, value in sorted(state.setting_values(key).items())
        if value is None
    ]
    if not state.inverters and tuple(required):
        unknown = ["inverters: none"]
    if unknown:
        failures.append(
            CheckFailure(
                Check.SETTING_UNKNOWN,
                {
                    "settings": ", ".join(dict.fromkeys(u.split(":", 1)[0] for u in unknown)),
                    "values": "; ".join(unknown),
                },
            )
        )
    return failures


# ---- live monitor ----------------------------------------------------------------------------


class BreachReason(StrEnum):
    """Why a running calibration must stop at once, most urgent first."""

    CELL_OVER_VOLTAGE = "cell_over_voltage"
    OVER_TEMPERATURE = "over_temperature"
    UNDER_TEMPERATURE = "under_temperature"
    PROTECTION = "protection"
    TELEMETRY_STALE = "telemetry_stale"


@dataclass(frozen=True, slots=True)
class Breach:
    """One limit crossed by one source."""

    reason: BreachReason
    source: str  # e.g. ``pack_3`` or ``inverter_1``
    value: str  # e.g. ``3.62 V``
    limit: str

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholders for a translated message."""
        return {"source": self.source, "value": self.value, "limit": self.limit}


def breaches(
    state: SystemState,
    *,
    now: float,
    limits: Limits = DEFAULT_LIMITS,
    stale_after_s: float | None = None,
) -> list[Breach]:
    """Every limit crossed right now, most urgent reason first (cheap: one pass per source)."""
    bound = limits.effective_stale_after(stale_after_s)
    found: list[Breach] = []
    for index in sorted(state.packs):
        pack = state.packs[index]
        metrics = pack.metrics
        label = str(pack.source)
        cell = number(metrics, "cell_voltage_max")
        if cell is not None and cell > limits.cell_voltage_max:
            found.append(
                Breach(
                    BreachReason.CELL_OVER_VOLTAGE,
                    label,
                    f"{_fmt(cell)} V",
                    f"{_fmt(limits.cell_voltage_max)} V",
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
                        f"{_fmt(high)} °C",
                        f"{_fmt(limits.temperature_max)} °C",
                    )
                )
            if low < limits.temperature_min:
                found.append(
                    Breach(
                        BreachReason.UNDER_TEMPERATURE,
                        label,
                        f"{_fmt(low)} °C",
                        f"{_fmt(limits.temperature_min)} °C",
                    )
                )
        flags = protection_label(pack)
        if flags is not None:
            found.append(Breach(BreachReason.PROTECTION, label, flags, "none"))
    for device in _devices(state):
        stale = _stale_label(state, device, now, bound)
        if stale is not None:
            found.append(
                Breach(
                    BreachReason.TELEMETRY_STALE,
                    str(device.source),
                    stale.split(": ", 1)[1],
                    f"{_fmt(bound)} s",
                )
            )
    order = list(BreachReason)
    found.sort(key=lambda b: order.index(b.reason))  # stable: sources stay in order
    return found
