"""LiFePO4 cell curves: open-circuit voltage and the charge overpotential near full.

The OCV curve is a monotonic piecewise-linear table: steep below ~10 %, flat between ~3.30 V and
~3.35 V across the middle, and rising to a **rest voltage of 3.40 V at 100 %** (a full pack
relaxes to ~54.4 V). Above 100 % of true capacity (overcharge) it keeps rising slowly; the high
cell voltages of a top-of-charge are not open-circuit voltage but overpotential (see
:func:`charge_rc_factor`), which relaxes away once the current stops. Outside the table the end
segments are extrapolated.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Final

_SOC: Final[tuple[float, ...]] = (
    0.00, 0.01, 0.03, 0.06, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90,
    0.95, 0.97, 0.99, 1.000, 1.010, 1.020, 1.040, 1.080,
)  # fmt: skip
_VOLTS: Final[tuple[float, ...]] = (
    2.500, 2.800, 3.000, 3.100, 3.180, 3.220, 3.250, 3.280, 3.300, 3.322, 3.336, 3.342, 3.347,
    3.354, 3.362, 3.370, 3.385, 3.400, 3.405, 3.440, 3.550, 4.200,
)  # fmt: skip

# Charge overpotential: the RC element's resistance while charging, as a multiple of its base,
# against true SoC. Charge acceptance collapses near full, so at a constant charge voltage the
# current tapers over tens of minutes, and a cell pushed past full spikes.
_RC_SOC: Final[tuple[float, ...]] = (0.0, 0.90, 0.95, 0.97, 0.99, 1.000, 1.010, 1.020)
_RC_FACTOR: Final[tuple[float, ...]] = (1.0, 1.0, 6.0, 12.0, 26.0, 50.0, 90.0, 180.0)
# Charge that still becomes stored charge (coulombic efficiency) falls to 0 just above full: a
# full cell held at a high voltage passes a small current that stores nothing.
FULL_STOP_SOC: Final = 1.01


def charge_efficiency(soc: float) -> float:
    """Fraction of a charge current that a cell at soc stores (1 below full, 0 at 101 %)."""
    if soc <= 1.0:
        return 1.0
    return max(0.0, (FULL_STOP_SOC - soc) / (FULL_STOP_SOC - 1.0))


def _segment(xs: tuple[float, ...], x: float) -> int:
    """Index i of the table segment [i, i + 1] that holds (or extrapolates) x."""
    i = bisect_right(xs, x) - 1
    if i < 0:
        return 0
    last = len(xs) - 2
    return last if i > last else i


def ocv(soc: float) -> float:
    """Open-circuit voltage (V) of a cell at state of charge soc (fraction, 1.0 = full)."""
    return ocv_and_slope(soc)[0]


def slope(soc: float) -> float:
    """dV/dSoC of the curve at soc, in volts per unit of state of charge."""
    return ocv_and_slope(soc)[1]


def ocv_and_slope(soc: float) -> tuple[float, float]:
    """(:func:`ocv`, :func:`slope`) in one table look-up."""
    i = _segment(_SOC, soc)
    x0, x1 = _SOC[i], _SOC[i + 1]
    y0, y1 = _VOLTS[i], _VOLTS[i + 1]
    k = (y1 - y0) / (x1 - x0)
    return y0 + k * (soc - x0), k


def soc_for_ocv(volts: float) -> float:
    """Inverse of :func:`ocv`: the state of charge whose open-circuit voltage is volts."""
    i = _segment(_VOLTS, volts)
    x0, x1 = _VOLTS[i], _VOLTS[i + 1]
    y0, y1 = _SOC[i], _SOC[i + 1]
    return y0 + (y1 - y0) * (volts - x0) / (x1 - x0)


def charge_rc_factor(soc: float) -> float:
    """Multiplier of a cell's RC resistance while it charges at state of charge soc."""
    if soc <= _RC_SOC[1]:
        return 1.0
    i = _segment(_RC_SOC, soc)
    x0, x1 = _RC_SOC[i], _RC_SOC[i + 1]
    y0, y1 = _RC_FACTOR[i], _RC_FACTOR[i + 1]
    return min(_RC_FACTOR[-1], y0 + (y1 - y0) * (soc - x0) / (x1 - x0))
