"""Drift analysis over a SystemState (pure, no Home Assistant imports).

Paralleled packs hold the same charge, so their voltages agree. When the voltages agree but the
state-of-charge readings do not, the BMS coulomb counters have drifted (a calibration charge
re-anchors them). When the voltages themselves disagree, the packs are really imbalanced and a
calibration charge is not the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .model import MetricValue, PackState, SystemState
from .numbers import finite

DEFAULT_SOC_THRESHOLD = 5.0  # percentage points of SoC spread that count as drift
DEFAULT_VOLTAGE_TOLERANCE = 0.1  # volts of pack-voltage spread that still count as "agree"
EPSILON = 1e-9  # float noise allowed on the comparisons above


class DriftVerdict(StrEnum):
    """What the pack readings say about the bank."""

    OK = "ok"  # voltages agree and so do the SoC readings
    DRIFT = "drift"  # voltages agree, SoC readings differ: counters drifted
    IMBALANCE = "imbalance"  # pack voltages disagree: a real imbalance
    UNKNOWN = "unknown"  # a pack is missing, stale, or lacks SoC or voltage


@dataclass(frozen=True, slots=True, kw_only=True)
class PackReading:
    """The figures of one pack that the analysis used."""

    index: int
    soc: float | None
    voltage: float | None
    cell_delta_mv: float | None
    fresh: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftReport:
    """The verdict and the numbers behind it."""

    verdict: DriftVerdict
    soc_spread: float | None
    voltage_spread: float | None
    max_cell_delta_mv: float | None
    packs: tuple[PackReading, ...]
    outlier: int | None  # pack index furthest from the others (SoC for drift, V for imbalance)
    missing: tuple[int, ...]  # packs whose data is stale or incomplete

    @property
    def soc(self) -> dict[int, float | None]:
        """SoC of each pack, by pack index."""
        return {p.index: p.soc for p in self.packs}

    @property
    def voltage(self) -> dict[int, float | None]:
        """Voltage of each pack, by pack index."""
        return {p.index: p.voltage for p in self.packs}


def number(metrics: Mapping[str, MetricValue], key: str) -> float | None:
    """Return a finite numeric metric, or None when absent or not a number."""
    return finite(metrics.get(key))


def exceeds(value: float, limit: float) -> bool:
    """True when ``value`` is above ``limit`` by more than float noise (``EPSILON``).

    One reading of every tolerance: a spread of exactly the tolerance (55.6 - 55.5 is
    0.10000000000000142 V) is within it.
    """
    return value > limit + EPSILON


def spread(values: Iterable[float | None]) -> float | None:
    """Return max - min of the known values, or None when none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return max(known) - min(known)


def pack_is_fresh(
    state: SystemState, pack: PackState, now: float | None, stale_after_s: float | None
) -> bool:
    """True when the pack has reported, is not marked stale, and (if given) is recent enough."""
    if not state.is_fresh(pack.source) or pack.last_seen is None:
        return False
    if now is None or stale_after_s is None:
        return True
    return now - pack.last_seen <= stale_after_s


def read_pack(
    state: SystemState,
    pack: PackState,
    now: float | None = None,
    stale_after_s: float | None = None,
) -> PackReading:
    """Collect the figures the drift analysis needs from one pack."""
    return PackReading(
        index=pack.source.index,
        soc=number(pack.metrics, "soc"),
        voltage=number(pack.metrics, "voltage"),
        cell_delta_mv=number(pack.metrics, "cell_voltage_delta"),
        fresh=pack_is_fresh(state, pack, now, stale_after_s),
    )


def analyze(
    state: SystemState,
    *,
    soc_threshold: float = DEFAULT_SOC_THRESHOLD,
    voltage_tolerance: float = DEFAULT_VOLTAGE_TOLERANCE,
    now: float | None = None,
    stale_after_s: float | None = None,
) -> DriftReport:
    """Judge whether the packs' SoC counters have drifted, or the bank is really imbalanced.

    ``now`` and ``stale_after_s`` (optional) also treat packs older than the bound as stale.
    Spreads are computed over whatever is known even when the verdict is ``unknown``.
    """
    packs = tuple(read_pack(state, state.packs[n], now, stale_after_s) for n in sorted(state.packs))
    missing = tuple(p.index for p in packs if not p.fresh or p.soc is None or p.voltage is None)
    soc_spread = spread(p.soc for p in packs)
    voltage_spread = spread(p.voltage for p in packs)
    deltas = [p.cell_delta_mv for p in packs if p.cell_delta_mv is not None]
    max_delta = max(deltas) if deltas else None

    outlier: int | None = None
    if not packs or missing:
        verdict = DriftVerdict.UNKNOWN
    elif voltage_spread is not None and exceeds(voltage_spread, voltage_tolerance):
        verdict = DriftVerdict.IMBALANCE
        outlier = _outlier({p.index: p.voltage for p in packs})
    elif soc_spread is not None and exceeds(soc_spread, soc_threshold):
        verdict = DriftVerdict.DRIFT
        outlier = _outlier({p.index: p.soc for p in packs})
    else:
        verdict = DriftVerdict.OK
    return DriftReport(
        verdict=verdict,
        soc_spread=soc_spread,
        voltage_spread=voltage_spread,
        max_cell_delta_mv=max_delta,
        packs=packs,
        outlier=outlier,
        missing=missing,
    )


def _outlier(values: Mapping[int, float | None]) -> int | None:
    """The pack furthest from the median; None when two packs tie for furthest."""
    known = {n: v for n, v in values.items() if v is not None}
    if len(known) < 2:
        return None
    ordered = sorted(known.values())
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    distances = sorted(((abs(v - median), n) for n, v in known.items()), reverse=True)
    if len(distances) > 1 and distances[0][0] - distances[1][0] <= EPSILON:
        return None
    return distances[0][1]
