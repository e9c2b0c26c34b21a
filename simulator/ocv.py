"""LiFePO4 open-circuit-voltage curve for one cell.

The curve is a monotonic piecewise-linear table: steep below ~10 %, flat between ~3.30 V and
~3.35 V across the middle, and steep again above ~97 % (3.45 V at 99 %, 3.55 V at 100 %,
3.65 V at 100.5 % of true capacity, i.e. overcharge). Outside the table the end segments are
extrapolated.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Final

_SOC: Final[tuple[float, ...]] = (
    0.00, 0.01, 0.03, 0.06, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90,
    0.95, 0.97, 0.98, 0.99, 0.995, 1.000, 1.005, 1.010, 1.020,
)  # fmt: skip
_VOLTS: Final[tuple[float, ...]] = (
    2.500, 2.800, 3.000, 3.100, 3.180, 3.220, 3.250, 3.280, 3.300, 3.322, 3.336, 3.342, 3.347,
    3.354, 3.362, 3.375, 3.395, 3.450, 3.500, 3.550, 3.650, 3.800, 4.200,
)  # fmt: skip


def _segment(soc: float) -> int:
    """Index i of the table segment [i, i + 1] that holds (or extrapolates) soc."""
    i = bisect_right(_SOC, soc) - 1
    return min(max(i, 0), len(_SOC) - 2)


def ocv(soc: float) -> float:
    """Open-circuit voltage (V) of a cell at state of charge soc (fraction, 1.0 = full)."""
    i = _segment(soc)
    x0, x1 = _SOC[i], _SOC[i + 1]
    y0, y1 = _VOLTS[i], _VOLTS[i + 1]
    return y0 + (y1 - y0) * (soc - x0) / (x1 - x0)


def slope(soc: float) -> float:
    """dV/dSoC of the curve at soc, in volts per unit of state of charge."""
    i = _segment(soc)
    return (_VOLTS[i + 1] - _VOLTS[i]) / (_SOC[i + 1] - _SOC[i])


def ocv_and_slope(soc: float) -> tuple[float, float]:
    """(:func:`ocv`, :func:`slope`) in one table look-up."""
    i = _segment(soc)
    x0, x1 = _SOC[i], _SOC[i + 1]
    y0, y1 = _VOLTS[i], _VOLTS[i + 1]
    k = (y1 - y0) / (x1 - x0)
    return y0 + k * (soc - x0), k


def soc_for_ocv(volts: float) -> float:
    """Inverse of :func:`ocv`: the state of charge whose open-circuit voltage is volts."""
    i = bisect_right(_VOLTS, volts) - 1
    i = min(max(i, 0), len(_VOLTS) - 2)
    x0, x1 = _VOLTS[i], _VOLTS[i + 1]
    y0, y1 = _SOC[i], _SOC[i + 1]
    return y0 + (y1 - y0) * (volts - x0) / (x1 - x0)
