"""Safety limits, the calibration pre-flight and the live breach monitor (pure, no HA imports).

``preflight`` lists every reason a calibration charge must not start; ``breaches`` is called on
every telemetry message during a run and must stay cheap. Both return stable ids plus string
placeholders, so the integration can raise translated errors. Rooms:

- ``limits``: the hard ceilings and the validated ``Limits`` (with the stale bound's rule);
- ``readings``: what a pack is judged on, and how old each of those readings is;
- ``checks``: the pre-flight's check ids, levels and failures;
- ``preflight``: the pre-flight itself, with ``settings_checks`` (in sync, known, restorable)
  and ``cold`` (the BMS's derated charge current of a cold bank);
- ``breaches``: the live monitor.
"""

from __future__ import annotations

from .breaches import Breach, BreachReason, breaches
from .checks import Check, CheckFailure, CheckLevel
from .cold import CHARGE_DERATING, DERATING_BELOW_C, DeratingCurve, derated_charge_rate, derating
from .limits import (
    CELL_DELTA_CEILING_MV,
    CELL_VOLTAGE_CEILING,
    CELL_VOLTAGE_FLOOR,
    DEFAULT_LIMITS,
    POLL_INTERVAL_CEILING_S,
    POLLED_STALE_CEILING_S,
    POLLS_BEFORE_STALE,
    STALE_CEILING_S,
    STALE_FLOOR_S,
    TEMPERATURE_CEILING,
    TEMPERATURE_FLOOR,
    VOLTAGE_SPREAD_CEILING,
    Limits,
    known_fields,
)
from .preflight import REQUIRED_PACK_METRICS, preflight
from .readings import (
    SAFETY_READINGS,
    TEMPERATURE_PREFIX,
    is_safety_reading,
    protection_label,
    stale_readings,
    temperatures,
)

__all__ = [
    "CELL_DELTA_CEILING_MV",
    "CELL_VOLTAGE_CEILING",
    "CELL_VOLTAGE_FLOOR",
    "CHARGE_DERATING",
    "DEFAULT_LIMITS",
    "DERATING_BELOW_C",
    "POLLED_STALE_CEILING_S",
    "POLLS_BEFORE_STALE",
    "POLL_INTERVAL_CEILING_S",
    "REQUIRED_PACK_METRICS",
    "SAFETY_READINGS",
    "STALE_CEILING_S",
    "STALE_FLOOR_S",
    "TEMPERATURE_CEILING",
    "TEMPERATURE_FLOOR",
    "TEMPERATURE_PREFIX",
    "VOLTAGE_SPREAD_CEILING",
    "Breach",
    "BreachReason",
    "Check",
    "CheckFailure",
    "CheckLevel",
    "DeratingCurve",
    "Limits",
    "breaches",
    "derated_charge_rate",
    "derating",
    "is_safety_reading",
    "known_fields",
    "preflight",
    "protection_label",
    "stale_readings",
    "temperatures",
]
