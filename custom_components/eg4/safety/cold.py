"""A cold bank: how much charge current an LFP BMS allows below 20 °C (issue 12).

LFP cells take less current in the cold (lithium plating), so BMSs derate the charge current
below about 20 °C and allow none below 0 °C. ``CHARGE_DERATING`` is the one curve the
integration assumes (the pre-flight's warning here and the run's estimate in
``calibration.estimate``): LifePower4-like packs, as the digital twin's BMS models them. It is
only reported, never used to allow a charge: the refusal below
``Limits.charge_temperature_min`` and the live monitor's abort below ``Limits.temperature_min``
stand whatever it says.
"""

from __future__ import annotations

from ..model import PackState
from .checks import Check, CheckFailure, CheckLevel, failure
from .limits import Limits, fmt
from .readings import temperatures

type DeratingCurve = tuple[tuple[float, float], ...]

# The BMS's charge-current limit (C rate) against the pack's coldest reading (°C), linear
# between the points, coldest first: nothing at or below 0 °C, full from 20 °C up.
CHARGE_DERATING: DeratingCurve = (
    (0.0, 0.0),
    (5.0, 0.1),
    (10.0, 0.2),
    (15.0, 0.4),
    (20.0, 1.0),
)
DERATING_BELOW_C = CHARGE_DERATING[-1][0]  # at and above this, no derating


def derating(temperature_c: float, curve: DeratingCurve = CHARGE_DERATING) -> float:
    """The C rate a BMS allows at ``temperature_c``: the curve, linear between its points."""
    low_t, low_c = curve[0]
    if temperature_c <= low_t:
        return 0.0 if temperature_c < low_t else low_c
    for high_t, high_c in curve[1:]:
        if temperature_c <= high_t:
            return low_c + (high_c - low_c) * (temperature_c - low_t) / (high_t - low_t)
        low_t, low_c = high_t, high_c
    return low_c


def derated_charge_rate(temperature: float) -> float | None:
    """The charge C-rate a BMS allows at ``temperature`` (°C); None when not derated."""
    if temperature >= DERATING_BELOW_C:
        return None
    return derating(temperature)


def cold_check(packs: list[PackState], limits: Limits) -> CheckFailure | None:
    """A warning naming each pack inside the charge window but cold enough to be derated.

    The coldest reading of each pack decides; the lowest rate of the bank is its ``rate``
    (also as amps per 100 Ah of capacity). Packs below the window are refused elsewhere.
    """
    values: list[str] = []
    rates: list[float] = []
    for pack in packs:
        readings = temperatures(pack)
        if not readings:
            continue
        coldest = min(readings)
        rate = derated_charge_rate(coldest)
        if rate is None or coldest < limits.charge_temperature_min:
            continue
        values.append(f"{pack.source}: {fmt(coldest)} °C, {fmt(round(rate, 2))} C")
        rates.append(rate)
    if not values:
        return None
    lowest = min(rates)
    return failure(
        Check.COLD_DERATED,
        values,
        level=CheckLevel.WARNING,
        rate=f"{fmt(round(lowest, 2))} C",
        per_100ah=f"{fmt(round(lowest * 100, 1))} A",
        below=fmt(DERATING_BELOW_C),
    )
