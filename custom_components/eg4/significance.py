"""Which changes of a reading deserve a state row at once, later, or not at all (pure).

Measurements are coalesced (``fanout.Fanout``): an entity writes at most once per update
interval, and then only when its value moved by at least its **step** since the value it last
wrote (:func:`significant`), so noise below what a dashboard shows costs no row. The steps per
kind of value (:func:`step_for`): a whole percent of state of charge, half a degree, and
otherwise one unit of the display precision (0.1 V on a bank voltage, 1 mV on a cell, 1 W).

A reading that crosses a **safety threshold** is written at once whatever the interval
(:func:`crossed`): the thresholds are the calibration's default limits (``safety.Limits``), so
a dashboard shows a cell above 3.60 V or a pack at 45 °C on the message that carries it.
The safety monitor itself never waits on any of this: it sees every message.
"""

from __future__ import annotations

import math
from bisect import bisect_left

from .safety.limits import DEFAULT_LIMITS as _LIMITS

_TEMPERATURES = (
    _LIMITS.temperature_min,
    _LIMITS.charge_temperature_min,
    _LIMITS.temperature_max,
)
# The pack readings whose thresholds the safety logic judges (``safety.readings``), sorted.
THRESHOLDS: dict[str, tuple[float, ...]] = {
    "cell_voltage_max": (_LIMITS.cell_voltage_max,),
    "cell_voltage_delta": (_LIMITS.cell_delta_max_mv,),
    **{
        key: tuple(sorted(set(_TEMPERATURES)))
        for key in (
            "temperature_1",
            "temperature_2",
            "temperature_pcb",
            "temperature_cell_max",
            "temperature_cell_min",
            "temperature_max",
        )
    },
}

SOC_STEP = 1.0  # a whole percent: the counters move in whole percents, dashboards show them
TEMPERATURE_STEP = 0.5  # BMSs report whole or half degrees; below that is sensor noise
# Float noise: 53.4 - 53.3 is 0.0999…; a step is met within this much.
_EPSILON = 1e-9
_NUMBERS = (int, float)  # a tuple: ``int | float`` would build a union on every call


def step_for(device_class: str | None, display_precision: int | None) -> float:
    """The smallest change of a measurement worth a state row (0: every change)."""
    if device_class == "battery":
        return SOC_STEP
    if device_class == "temperature":
        return TEMPERATURE_STEP
    if display_precision is None:
        return 0.0
    return float(10.0 ** (-display_precision))


def _number(value: object) -> float | None:
    if type(value) is float:  # nearly every reading: the checks below, at a fraction of the cost
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        return None
    return float(value) if math.isfinite(value) else None


def significant(written: object, value: object, step: float) -> bool:
    """True when ``value`` differs from the ``written`` one by at least ``step``.

    Anything that is not a finite number on both sides (unknown, a text, a time) is
    significant whenever it differs.
    """
    old, new = _number(written), _number(value)
    if old is None or new is None:
        return bool(written != value)
    return abs(new - old) >= step - _EPSILON and new != old


def crossed(thresholds: tuple[float, ...], old: object, new: object) -> bool:
    """True when ``old`` and ``new`` lie on different sides of one of ``thresholds``.

    A value equal to a threshold counts as below it (the limits trip above their figure); a
    first value (``old`` unknown) crosses nothing: it is written at once anyway.
    """
    before, after = _number(old), _number(new)
    if before is None or after is None:
        return False
    return bisect_left(thresholds, before) != bisect_left(thresholds, after)
