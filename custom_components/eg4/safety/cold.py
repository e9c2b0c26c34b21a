"""A cold bank: how much charge current an LFP BMS allows below 20 °C (issue 12).

LFP cells take less current in the cold (lithium plating), so BMSs derate the charge current
below about 20 °C and allow none below 0 °C. ``CHARGE_DERATING`` is a conservative generic
table, not one manufacturer's curve; it is only reported (a warning of the pre-flight), never
used to allow a charge: the refusal below ``Limits.charge_temperature_min`` and the live
monitor's abort below ``Limits.temperature_min`` stand whatever it says.
"""

from __future__ import annotations

from ..model import PackState
from .checks import Check, CheckFailure, CheckLevel, failure
from .limits import Limits, fmt
from .readings import temperatures

DERATING_BELOW_C = 20.0  # at and above this, no derating
# (lowest cell temperature °C, charge current allowed from there up, in C), warmest first.
CHARGE_DERATING: tuple[tuple[float, float], ...] = (
    (15.0, 0.5),
    (10.0, 0.3),
    (5.0, 0.2),
    (0.0, 0.1),
)
NO_CHARGE = 0.0  # below the table's lowest row (0 °C)


def derated_charge_rate(temperature: float) -> float | None:
    """The charge C-rate a BMS allows at ``temperature`` (°C); None when not derated."""
    if temperature >= DERATING_BELOW_C:
        return None
    for low, rate in CHARGE_DERATING:
        if temperature >= low:
            return rate
    return NO_CHARGE


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
        values.append(f"{pack.source}: {fmt(coldest)} °C, {fmt(rate)} C")
        rates.append(rate)
    if not values:
        return None
    lowest = min(rates)
    return failure(
        Check.COLD_DERATED,
        values,
        level=CheckLevel.WARNING,
        rate=f"{fmt(lowest)} C",
        per_100ah=f"{fmt(round(lowest * 100, 1))} A",
        below=fmt(DERATING_BELOW_C),
    )
