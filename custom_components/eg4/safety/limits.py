"""Safety limits of a calibration charge: the hard ceilings and the validated ``Limits``."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from ..drift import DEFAULT_VOLTAGE_TOLERANCE, EPSILON, exceeds
from ..numbers import finite
from ..refusal import RefusedError

# Hard ceilings from the field: the BMS protects at ~3.65 V per cell; nothing above 50 °C.
CELL_VOLTAGE_CEILING = 3.65
CELL_VOLTAGE_FLOOR = 3.40  # below this a limit would abort before absorption could start
TEMPERATURE_CEILING = 50.0
TEMPERATURE_FLOOR = 0.0  # never charge LFP below 0 °C
CELL_DELTA_CEILING_MV = 50.0
VOLTAGE_SPREAD_CEILING = DEFAULT_VOLTAGE_TOLERANCE  # "pack voltages agree", as drift reads it
STALE_CEILING_S = 600.0
STALE_FLOOR_S = 5.0

# A polled source (the cloud) cannot be fresher than its poll interval. Its readings are stale
# after POLLS_BEFORE_STALE missed polls (the coordinator's own rule), but never later than
# POLLED_STALE_CEILING_S: a charge must not run unseen for longer than 15 minutes (at the
# field's ~120 A into ~600 Ah that is ~5 % of charge, while absorption lasts tens of minutes),
# whatever the poll interval. The longest poll interval a run accepts is the longest scan
# interval the options offer (600 s), so one missed poll never goes unnoticed past the ceiling.
POLLS_BEFORE_STALE = 3
POLLED_STALE_CEILING_S = 900.0
POLL_INTERVAL_CEILING_S = 600.0


def fmt(value: float) -> str:
    """A number as a message shows it: ``3.6``, ``180``, ``-0.5``."""
    return f"{value:g}"


def known_fields(cls: type, data: object) -> dict[str, Any]:
    """``data`` as keyword arguments of the dataclass ``cls``; anything else is refused."""
    if not isinstance(data, dict):
        raise RefusedError("limit_not_a_mapping", value=type(data).__name__)
    unknown = sorted(set(data) - {item.name for item in fields(cls)})
    if unknown:
        raise RefusedError("limit_unknown_field", field=", ".join(map(str, unknown)))
    return dict(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Safety limits of a calibration charge; construction refuses anything looser than safe.

    Every instance is validated: a user may make a limit stricter, never looser than 3.65 V per
    cell or 50 °C (``RefusedError`` with a ``limit_…`` key otherwise).
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
    # The transport's poll interval (s); 0 for a push source. Not a user limit: the supervisor
    # sets it from the transport, so the run's stale bound follows what the source can deliver.
    poll_interval_s: float = 0.0

    def __post_init__(self) -> None:
        """Refuse non-numbers, limits looser than the ceilings, and empty windows."""
        for item in fields(self):
            value = getattr(self, item.name)
            if finite(value) is None:
                raise RefusedError("limit_not_a_number", field=item.name, value=str(value))
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
        _ceiling("poll_interval_s", self.poll_interval_s, POLL_INTERVAL_CEILING_S)
        _floor("poll_interval_s", self.poll_interval_s, 0.0)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {item.name: float(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> Limits:
        """Rebuild (and re-validate) limits; unknown keys are refused, missing ones default."""
        return cls(**known_fields(cls, data))

    def with_poll_interval(self, seconds: float | None) -> Limits:
        """These limits for a source polled every ``seconds`` (None or 0: a push source).

        Raises ``RefusedError`` (``limit_above_ceiling``) past ``POLL_INTERVAL_CEILING_S``.
        """
        return replace(self, poll_interval_s=float(seconds or 0.0))

    def effective_stale_after(self, stale_after_s: float | None) -> float:
        """The stale bound of a reading: the run's own, made stricter by a caller's.

        The run's own bound (``stale_after_s=None``, what the live monitor uses) is
        ``self.stale_after_s`` for a push source; for a polled source it is at least
        ``POLLS_BEFORE_STALE`` poll intervals, at most ``POLLED_STALE_CEILING_S``. A caller's
        bound (the entry's stale timeout, which the pre-flight passes) only ever tightens it,
        so a pre-flight that passes is never stale on the run's first update.
        """
        bound = self.stale_after_s
        if self.poll_interval_s > 0:
            polled = POLLS_BEFORE_STALE * self.poll_interval_s
            bound = min(max(bound, polled), POLLED_STALE_CEILING_S)
        if stale_after_s is None or not math.isfinite(stale_after_s) or stale_after_s <= 0:
            return bound
        return min(bound, stale_after_s)


def _ceiling(name: str, value: float, ceiling: float) -> None:
    if exceeds(value, ceiling):
        raise RefusedError("limit_above_ceiling", field=name, value=fmt(value), limit=fmt(ceiling))


def _floor(name: str, value: float, floor: float) -> None:
    if value < floor - EPSILON:
        raise RefusedError("limit_below_floor", field=name, value=fmt(value), limit=fmt(floor))


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise RefusedError("limit_below_floor", field=name, value=fmt(value), limit="0")


def _window(name: str, low: float, high: float) -> None:
    if low >= high:
        raise RefusedError("limit_empty_window", field=name, value=fmt(low), limit=fmt(high))


DEFAULT_LIMITS = Limits()
