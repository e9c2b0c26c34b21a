"""The portal's energy counters, integrated from the twin's powers.

The twin keeps no energy counters, so the portal integrates each unit's powers over the twin's
clock whenever it is asked anything (:meth:`EnergyMeter.observe`): the power the twin shows now
holds since the previous observation. Lifetime totals only grow; the day's counters restart at
the device's local midnight. Values are in the portal's units (0.1 kWh words) with the text
siblings the portal prints beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .twin import Twin

# Energy kinds, in the portal's names.
KINDS = ("Yielding", "Charging", "Discharging", "Import", "Export", "Usage")
_DAY_S = 86400.0
_WH_PER_WORD = 100.0  # one 0.1 kWh word


@dataclass
class _Counters:
    """Watt-hours of one unit: today's and the lifetime's, per kind."""

    today: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    total: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))

    def add(self, kind: str, wh: float, *, today_wh: float) -> None:
        self.total[kind] += wh
        self.today[kind] += today_wh


def unit_powers(twin: Twin, unit: int) -> dict[str, float]:
    """What each counter of one unit integrates, in W (never negative)."""
    fl = twin.inverter(unit).flows
    volts = fl.battery_v or twin.bus_voltage
    battery_w = fl.battery_current_a * volts
    return {
        "Yielding": max(0.0, fl.pv_w),
        "Charging": max(0.0, battery_w),
        "Discharging": max(0.0, -battery_w),
        "Import": max(0.0, fl.grid_in_w),
        "Export": 0.0,  # the twin never exports
        "Usage": max(0.0, fl.load_w),
    }


class EnergyMeter:
    """Energy counters of every unit of a twin."""

    def __init__(self, twin: Twin) -> None:
        """Start every counter at zero at the twin's present clock."""
        self.twin = twin
        self._last_s = twin.clock_s
        self._units = {u: _Counters() for u in range(1, len(twin.inverters) + 1)}

    def _local_s(self, clock_s: float) -> float:
        return self.twin.config.start_hour * 3600.0 + clock_s

    def observe(self) -> None:
        """Integrate every unit's present powers since the previous observation."""
        now = self.twin.clock_s
        elapsed = now - self._last_s
        if elapsed <= 0.0:
            return
        since_midnight = self._local_s(now) % _DAY_S
        new_day = self._local_s(now) // _DAY_S != self._local_s(self._last_s) // _DAY_S
        self._last_s = now
        for unit, counters in self._units.items():
            if new_day:
                counters.today = dict.fromkeys(KINDS, 0.0)
            today_s = min(elapsed, since_midnight) if new_day else elapsed
            for kind, watts in unit_powers(self.twin, unit).items():
                counters.add(kind, watts * elapsed / 3600.0, today_wh=watts * today_s / 3600.0)

    def words(self, units: list[int]) -> dict[str, int]:
        """``today<Kind>`` and ``total<Kind>`` of ``units`` in 0.1 kWh words.

        Each unit counts whole words; a group's counter is the sum of its units' counters.
        """
        out: dict[str, int] = {}
        for kind in KINDS:
            for span in ("today", "total"):
                out[f"{span}{kind}"] = sum(
                    int(getattr(self._units[u], span)[kind] // _WH_PER_WORD) for u in units
                )
        return out

    def kwh(self, units: list[int], span: str = "total") -> dict[str, float]:
        """Each kind's counter of ``units`` in kWh, as the portal words show it (0.1 kWh steps).

        What the local bridges publish too (lxp-bridge's ``e_*_all``, Solar Assistant's
        totals): one meter per face, so every face's counters follow the same twin.
        """
        words = self.words(units)
        return {kind: words[f"{span}{kind}"] / 10 for kind in KINDS}


def _text(word: int) -> str:
    return f"{word / 10:g}"


def _scaled(word: int) -> tuple[str, str]:
    """A lifetime total as the portal's ``*Data`` and ``*Unit`` pair."""
    kwh = word / 10
    return (f"{kwh / 1000:.2f}", "MWh") if kwh >= 1000 else (f"{kwh:g}", "kWh")


def energy_body(words: dict[str, int]) -> dict[str, Any]:
    """The counters part of ``getInverterEnergyInfo[Parallel]`` with its text siblings."""
    body: dict[str, Any] = {"success": True, "hasRuntimeData": True}
    for kind in KINDS:
        for span in ("today", "total"):
            word = words[f"{span}{kind}"]
            body[f"{span}{kind}"] = word
            body[f"{span}{kind}Text"] = _text(word)
        body[f"total{kind}Data"], body[f"total{kind}Unit"] = _scaled(words[f"total{kind}"])
    body.update(
        {
            "todayIncomeText": "--",
            "todaySavingText": "0.00",
            "totalIncomeText": "--",
            "totalSavingText": "0.00",
            "totalCo2ReductionText": f"{words['totalYielding'] * 0.0997:.2f} kG",
            "totalCoalReductionText": f"{words['totalYielding'] * 0.04:.2f} kG",
            "totalTreeEquivalentText": f"{words['totalYielding'] * 0.0055:.2f}",
        }
    )
    body.update(_pie_rates(words))
    return body


def _pie_rates(words: dict[str, int]) -> dict[str, int]:
    """Where the PV energy went, in basis points (0 when there was none)."""
    out: dict[str, int] = {}
    for span, suffix in (("today", "TodayRate"), ("total", "TotalRate")):
        pv = words[f"{span}Yielding"]
        for kind, name in (("Charging", "Charge"), ("Export", "Export"), ("Usage", "Usage")):
            share = min(words[f"{span}{kind}"], pv)
            out[f"pvPie{name}{suffix}"] = round(share * 10000 / pv) if pv else 0
    return out
