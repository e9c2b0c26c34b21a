"""Named scenarios: each one adjusts a freshly built twin.

Every scenario takes the twin and a mapping of numeric options (all optional). Pack numbers in
the descriptions are for the default six packs; with fewer packs the last pack stands in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from .faults import NakRule
from .settings import OutputPriority, Setting
from .twin import Twin, TwinConfig

Options = Mapping[str, float]
Scenario = Callable[[Twin, Options], None]

DRIFTED_LOW_READINGS: tuple[float, ...] = (53.0, 51.0, 54.0, 52.0, 55.0)
DRIFTED_HIGH_READING = 76.0


def _pick(twin: Twin, number: int) -> int:
    """A pack number that exists: number, or the last pack."""
    return min(number, len(twin.packs))


def healthy(twin: Twin, options: Options) -> None:
    """Everyday settings, counters that match the true charge (60 %), 25 degC."""


def drifted(twin: Twin, options: Options) -> None:
    """Equal true charge on every pack, drifted counters: packs 1-5 read 51-55 %, pack 6 76 %.

    Options: ``true_soc`` (fraction, default 0.70), ``high_reading`` (default 76).
    """
    true_soc = float(options.get("true_soc", 0.70))
    for pack in twin.packs:
        pack.set_true_soc(true_soc)
    high = _pick(twin, 6)
    lows = [p for p in twin.packs if p.index != high]
    for pack, reading in zip(lows, DRIFTED_LOW_READINGS * 4, strict=False):
        pack.bms.set_soc_pct(reading)
    twin.pack(high).bms.set_soc_pct(float(options.get("high_reading", DRIFTED_HIGH_READING)))
    twin.refresh(settle=True)


def imbalanced(twin: Twin, options: Options) -> None:
    """Pack 4 truly holds less charge (15 % vs 60 %) behind a failing link (20 ohm).

    The link passes only milliamps, so pack 4 keeps its own voltage (~51.6 V vs ~53.2 V) while
    the others charge or discharge; its counter is honest, so SoC and voltage disagree together
    (real imbalance, not drift). Options: ``soc`` (fraction, 0.15), ``link_ohm`` (20.0).
    """
    pack = twin.pack(_pick(twin, 4))
    pack.set_true_soc(float(options.get("soc", 0.15)))
    pack.bms.set_soc_pct(pack.mean_soc * 100.0)
    pack.link_resistance_ohm = float(options.get("link_ohm", 20.0))
    twin.refresh(settle=True)


def hot(twin: Twin, options: Options) -> None:
    """Pack 3 sits in a hot, badly ventilated spot: ambient 42 degC, 10 K/W, 1000 J/K.

    It starts at 43.5 degC; at rest or under the evening load every sensor stays below 45 degC
    (steady ~44.5); any sustained charge (I^2 R, ~1.6 W at 10 A) pushes it past 45 degC in
    about 20 simulated minutes. Options: ``ambient_c`` (42), ``start_c`` (43.5),
    ``thermal_resistance`` (10 K/W), ``heat_capacity`` (1000 J/K).
    """
    pack = twin.pack(_pick(twin, 3))
    pack.thermal.ambient_c = float(options.get("ambient_c", 42.0))
    pack.thermal.temperature_c = float(options.get("start_c", 43.5))
    pack.thermal.thermal_resistance_k_per_w = float(options.get("thermal_resistance", 10.0))
    pack.thermal.heat_capacity_j_per_k = float(options.get("heat_capacity", 1000.0))
    twin.refresh(settle=True)


def cold(twin: Twin, options: Options) -> None:
    """Every pack at 2.5-4 degC in a 3 degC garage (above 0, so the BMS still allows charge).

    Options: ``ambient_c`` (default 3.0).
    """
    ambient = float(options.get("ambient_c", 3.0))
    for pack in twin.packs:
        pack.thermal.ambient_c = ambient
        pack.thermal.temperature_c = ambient - 0.5 + 0.25 * (pack.index % 7)
    twin.refresh(settle=True)


def cell_runaway(twin: Twin, options: Options) -> None:
    """Cell 7 of pack 2 is 4.5 % ahead of its neighbours and 3 % smaller.

    Under charge it reaches the steep top of the curve while the other cells sit near 95 %: it
    passes 3.60 V while every other cell is below 3.45 V, then trips the 3.65 V BMS limit.
    Options: ``lead`` (fraction, 0.045), ``capacity_factor`` (0.97).
    """
    pack = twin.pack(_pick(twin, 2))
    cell = pack.cells[min(6, len(pack.cells) - 1)]
    cell.capacity_ah *= float(options.get("capacity_factor", 0.97))
    base = sum(c.soc for c in pack.cells) / len(pack.cells)
    cell.charge_ah = (base + float(options.get("lead", 0.045))) * cell.capacity_ah
    pack.refresh()
    twin.refresh(settle=True)


def revert_nak(twin: Twin, options: Options) -> None:
    """The firmware NAKs the first command that moves output priority from SUB back to SBU."""
    twin.faults.nak_rules.append(
        NakRule(
            remaining=1,
            setting=Setting.OUTPUT_PRIORITY,
            value=OutputPriority.SBU,
            when_current=OutputPriority.SUB,
            reason="NAK (revert_nak scenario)",
        )
    )


def telemetry_dropout(twin: Twin, options: Options) -> None:
    """Faces publish nothing between ``start_s`` (300) and ``start_s + duration_s`` (600)."""
    twin.add_dropout(float(options.get("start_s", 300.0)), float(options.get("duration_s", 600.0)))


SCENARIOS: dict[str, Scenario] = {
    "default": healthy,
    "healthy": healthy,
    "drifted": drifted,
    "imbalanced": imbalanced,
    "hot": hot,
    "cold": cold,
    "cell_runaway": cell_runaway,
    "revert_nak": revert_nak,
    "telemetry_dropout": telemetry_dropout,
}


def build_twin(
    scenario: str = "default",
    inverters: int = 2,
    packs: int = 6,
    seed: int = 0,
    *,
    config: TwinConfig | None = None,
    **options: float,
) -> Twin:
    """A fresh twin with the named scenario applied.

    ``config`` overrides the defaults (its inverters/packs/seed are replaced by the arguments).
    """
    try:
        apply = SCENARIOS[scenario]
    except KeyError:
        raise ValueError(f"unknown scenario {scenario!r}; known: {sorted(SCENARIOS)}") from None
    base = config if config is not None else TwinConfig()
    twin = Twin(replace(base, inverters=inverters, packs=packs, seed=seed))
    apply(twin, options)
    return twin
