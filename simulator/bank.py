"""Packs in parallel on one DC bus: split a bank current so the bus voltage is common.

Each pack is a branch ``V_bus = E + I * R_eff`` (:meth:`simulator.pack.Pack.linearise`) where
``R_eff`` adds the implicit (backward-Euler) terms of the OCV slope and of the cells' RC lag to
the pack's internal plus link resistance, so the split stays stable at the steep top of the LFP
curve even with coarse steps. A branch whose BMS blocks charge (or discharge) is clamped to zero
current in that direction, and its charge current to the BMS's (temperature-derated) limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .pack import Pack


@dataclass(frozen=True)
class Branch:
    """Linearised view of one pack for the current step."""

    emf: float
    r_eff: float
    charge_allowed: bool
    discharge_allowed: bool
    charge_limit_a: float = math.inf

    def current(self, bus_v: float) -> float:
        """Branch current at bus voltage bus_v, honouring the BMS blocks and limit."""
        i = (bus_v - self.emf) / self.r_eff
        if i > 0.0:
            return min(i, self.charge_limit_a) if self.charge_allowed else 0.0
        if i < 0.0 and not self.discharge_allowed:
            return 0.0
        return i


def branches(packs: Sequence[Pack], dt_s: float) -> list[Branch]:
    """Linearise every pack for a step of dt_s seconds."""
    out: list[Branch] = []
    for p in packs:
        emf, r = p.linearise(dt_s)
        out.append(
            Branch(emf, r, p.charge_allowed, p.discharge_allowed, max(0.0, p.bms.charge_limit_a))
        )
    return out


def current_at(bs: Sequence[Branch], bus_v: float) -> float:
    """Total bank current (positive = charging) if the bus sat at bus_v."""
    return sum(b.current(bus_v) for b in bs)


@dataclass(frozen=True)
class BusSolution:
    """Bus voltage and per-pack currents for one step."""

    voltage: float
    currents: tuple[float, ...]


def solve(bs: Sequence[Branch], bank_current_a: float) -> BusSolution:
    """Find the bus voltage at which the branch currents add up to bank_current_a.

    The caller keeps the request feasible; if it is not, the nearest feasible split is used.
    """
    conductance = sum(1.0 / b.r_eff for b in bs)
    v_linear = (bank_current_a + sum(b.emf / b.r_eff for b in bs)) / conductance
    linear = tuple((v_linear - b.emf) / b.r_eff for b in bs)
    if all(c == b.current(v_linear) for c, b in zip(linear, bs, strict=True)):
        return BusSolution(v_linear, linear)
    lo = min(b.emf for b in bs) - 60.0
    hi = max(b.emf for b in bs) + 60.0
    if not any(b.charge_allowed or b.discharge_allowed for b in bs):
        return BusSolution(sum(b.emf for b in bs) / len(bs), tuple(0.0 for _ in bs))
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if current_at(bs, mid) < bank_current_a:
            lo = mid
        else:
            hi = mid
    v = 0.5 * (lo + hi)
    currents = tuple(b.current(v) for b in bs)
    if all(c == 0.0 for c in currents):
        # Nothing conducts: the bus floats at the mean open-circuit voltage.
        v = sum(b.emf for b in bs) / len(bs)
    return BusSolution(v, currents)
