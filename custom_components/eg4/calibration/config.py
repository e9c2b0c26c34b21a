"""Thresholds and time bounds of a calibration run (validated on construction)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..drift import DEFAULT_VOLTAGE_TOLERANCE
from ..numbers import finite
from ..refusal import RefusedError
from ..safety import CELL_DELTA_CEILING_MV, Limits, known_fields
from .plan import Method

HOUR = 3600.0
# The shortest holds a caller may ask for (``eg4.run_calibration``): a taper held a minute
# still shows the current settled rather than dipping, and a re-anchor held a minute was not a
# reading passing through. The defaults (10 and 5 minutes) are what the field runs used.
MIN_TAPER_HOLD_S = 60.0
MIN_VERIFY_HOLD_S = 60.0
MIN_HOLDS = {"taper_hold_s": MIN_TAPER_HOLD_S, "verify_hold_s": MIN_VERIFY_HOLD_S}


def check_hold(name: str, seconds: float, *, field: str | None = None) -> float:
    """A hold length (``taper_hold_s`` or ``verify_hold_s``) a caller asked for.

    Refused below its minimum (``below_floor``, naming ``field``, by default ``name``); the
    run's maximum duration bounds it from above.
    """
    floor = MIN_HOLDS[name]
    if not math.isfinite(seconds) or seconds < floor:
        raise RefusedError(
            "limit_below_floor", field=field or name, value=f"{seconds:g} s", limit=f"{floor:g} s"
        )
    return seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """How a run decides when to move on, and when to give up.

    Times are in seconds, currents in amps (+ = charging), voltages in volts.
    """

    limits: Limits = field(default_factory=Limits)
    max_duration_s: float = 8 * HOUR  # from start() to the end of verification
    engage_write_timeout_s: float = 900.0  # start() until engaged() confirms the writes
    # After engaged(): the bank must be charging within this (None = only max_duration bounds
    # it, the default of the solar method: the sun comes when it comes).
    engage_timeout_s: float | None = 600.0
    engage_current_a: float = 5.0  # total pack current that proves the bank is charging
    absorption_cell_voltage: float = 3.45  # highest cell at which absorption begins
    bulk_voltage_margin_v: float = 0.2  # or: bank voltage within this of the bulk setting
    taper_current_a: float = 5.0  # per pack: ~0.05 C of a 100 Ah pack
    taper_discharge_a: float = 1.0  # a pack discharging more than this is not a taper
    taper_hold_s: float = 600.0  # the taper must hold this long (absorption finishes)
    reanchor_soc: float = 99.0  # every pack must read at least this
    reanchor_voltage_spread: float = (
        DEFAULT_VOLTAGE_TOLERANCE  # with pack voltages agreeing within this
    )
    # ... and every pack's cells within this of each other (highest minus lowest cell, mV)
    reanchor_cell_delta_mv: float = 20.0
    verify_hold_s: float = 300.0  # ... held this long
    # After the taper: no pack terminated by then is not_reanchored. While some have and others
    # lag, the hold goes on (max_duration bounds it); while the balancers bring the cells
    # together, the timeout starts again from their last progress.
    verify_timeout_s: float = 1800.0

    def __post_init__(self) -> None:
        """Refuse nonsense: non-numbers, non-positive bounds, unreachable thresholds."""
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "limits" or (item.name == "engage_timeout_s" and value is None):
                continue
            number = finite(value)
            if number is None or number < 0:
                raise RefusedError("limit_not_a_number", field=item.name, value=str(value))
        if not isinstance(self.limits, Limits):
            raise RefusedError("limit_not_a_mapping", field="limits", value=str(self.limits))
        for name in ("max_duration_s", "engage_current_a", "taper_current_a"):
            if getattr(self, name) <= 0:
                raise RefusedError("limit_below_floor", field=name, value="0", limit="0")
        if self.absorption_cell_voltage >= self.limits.cell_voltage_max:
            raise RefusedError(
                "limit_absorption_above_cell_limit",
                field="absorption_cell_voltage",
                value=f"{self.absorption_cell_voltage:g}",
                limit=f"{self.limits.cell_voltage_max:g}",
            )
        if not 90.0 <= self.reanchor_soc <= 100.0:
            raise RefusedError(
                "limit_out_of_range",
                field="reanchor_soc",
                value=f"{self.reanchor_soc:g}",
                limit="90-100",
            )
        if not 0 < self.reanchor_voltage_spread <= self.limits.voltage_spread_max:
            raise RefusedError(
                "limit_out_of_range",
                field="reanchor_voltage_spread",
                value=f"{self.reanchor_voltage_spread:g}",
                limit=f"{self.limits.voltage_spread_max:g}",
            )

        if not 0 < self.reanchor_cell_delta_mv <= CELL_DELTA_CEILING_MV:
            raise RefusedError(
                "limit_out_of_range",
                field="reanchor_cell_delta_mv",
                value=f"{self.reanchor_cell_delta_mv:g}",
                limit=f"0-{CELL_DELTA_CEILING_MV:g}",
            )

    @classmethod
    def for_method(cls, method: Method, **overrides: Any) -> RunConfig:
        """Defaults suited to a method (solar: no engage bound), then the caller's overrides."""
        base = cls() if method is Method.GRID else cls(engage_timeout_s=None)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = value.to_dict() if isinstance(value, Limits) else value
        return out

    @classmethod
    def from_dict(cls, data: object) -> RunConfig:
        """Rebuild (and re-validate) a config."""
        values = known_fields(cls, data)
        if "limits" in values:
            values["limits"] = Limits.from_dict(values["limits"])
        return cls(**values)
