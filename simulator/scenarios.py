"""Named scenarios: each one adjusts a freshly built twin.

Every scenario takes the twin and a mapping of numeric options (all optional). Pack numbers in
the descriptions are for the default six packs; with fewer packs the last pack stands in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from .cell import DAY_S
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


def _drift(twin: Twin, options: Options) -> None:
    """The drifted bank's charge and counters (no refresh)."""
    true_soc = float(options.get("true_soc", 0.55))
    for pack in twin.packs:
        pack.set_true_soc(true_soc)
    high = _pick(twin, 6)
    lows = [p for p in twin.packs if p.index != high]
    for pack, reading in zip(lows, DRIFTED_LOW_READINGS * 4, strict=False):
        pack.bms.set_soc_pct(reading)
    twin.pack(high).bms.set_soc_pct(float(options.get("high_reading", DRIFTED_HIGH_READING)))


def drifted(twin: Twin, options: Options) -> None:
    """Equal true charge (55 %), drifted counters: packs 1-5 read 51-55 %, pack 6 76 %.

    Options: ``true_soc`` (fraction, default 0.55), ``high_reading`` (default 76).
    """
    _drift(twin, options)
    twin.refresh(settle=True)


def weeks_at_cap(twin: Twin, options: Options) -> None:
    """The bank after ``days`` (21) of everyday cycles capped at 54.0 V, never charged full.

    What those weeks leave, from each cell's and counter's own drawn parameters: every cell
    has lost its own self-discharge, so the cells' gaps to full spread apart (the balancer only
    bleeds above 3.45 V, which a 54.0 V cap never reaches); every counter missed that
    self-discharge (it reads high) and counted a daily cycle of ``cycle_pct`` (40 %) with its
    own charge/discharge asymmetry. ``spread_per_day`` (0.0001) widens the cells' self-discharge
    spread. True charge at the start (21:00): ``true_soc`` (0.60).
    """
    days = float(options.get("days", 21.0))
    cycle = float(options.get("cycle_pct", 40.0))
    extra = float(options.get("spread_per_day", 0.0001))
    true_soc = float(options.get("true_soc", 0.60))
    rng = twin.rng
    for pack in twin.packs:
        pack.set_true_soc(true_soc)
        lost_pct = 0.0
        for cell in pack.cells:
            cell.self_discharge_per_day += rng.uniform(-1, 1) * extra
            cell.self_discharge_per_day = max(0.0, cell.self_discharge_per_day)
            lost = cell.self_discharge(days * DAY_S)
            lost_pct += lost / pack.capacity_ah * 100.0 / len(pack.cells)
        pack.set_true_soc(true_soc)  # keep the grown spread, centred on true_soc
        drift = lost_pct + 2.0 * pack.bms.asymmetry * cycle * days
        pack.bms.set_soc_pct(pack.mean_soc * 100.0 + drift)
        pack.refresh()
    twin.refresh(settle=True)


def lagging_pack(twin: Twin, options: Options) -> None:
    """Pack 5 is older: ``behind`` (0.30) less charge and a corroded ``link_ohm`` (0.4) link.

    Its counter is honest. Under a grid charge it takes only a few amps while the others fill:
    they re-anchor while pack 5 still draws more than the 5 A taper current and reads well
    below 99 %, and it does not terminate within 8 hours.
    """
    pack = twin.pack(_pick(twin, 5))
    base = twin.pack(1).mean_soc
    pack.set_true_soc(base - float(options.get("behind", 0.30)))
    pack.bms.set_soc_pct(pack.mean_soc * 100.0)
    pack.link_resistance_ohm = float(options.get("link_ohm", 0.4))
    twin.refresh(settle=True)


def cold_derate(twin: Twin, options: Options) -> None:
    """The drifted bank in a cold garage: ambient ``ambient_c`` (6.0) swinging ±1.5 degC a day.

    The packs sit at 6-7 degC: above the 5 degC pre-flight floor, but the BMS derates the charge
    current (~0.13 C: ~13 A per pack) and the cells' resistance is ~1.8x; the packs warm under
    the charge, so the limit rises as it goes.
    """
    _drift(twin, options)
    ambient = float(options.get("ambient_c", 6.0))
    for pack in twin.packs:
        pack.thermal.ambient_c = ambient
        pack.thermal.swing_c = float(options.get("swing_c", 1.5))
        pack.thermal.temperature_c = ambient + 0.2 + 0.1 * (pack.index % 7)
    twin.refresh(settle=True)
    for pack in twin.packs:  # the BMS has looked at the start temperatures
        t1, t2, _ = pack.temperatures
        pack.bms.charge_limit_a = pack.bms.derated_charge_limit(min(t1, t2))


def soc_capped(twin: Twin, options: Options) -> None:
    """The drifted bank on units whose charge SoC limits end the charge early.

    Every unit: system charge SoC limit (register 227) ``system_limit`` (95) and AC-charge SoC
    limit (register 67) ``ac_limit`` (90). The units stop charging once the bank's reported SoC
    (the mean counter, which drifted-high pack 6 pulls up) reads the limit: before any pack is
    full. The limits are hybrid-family registers: the lxp-bridge face reports and writes them.
    """
    _drift(twin, options)
    twin.force_settings(
        system_charge_soc_limit=int(options.get("system_limit", 95)),
        ac_charge_soc_limit=int(options.get("ac_limit", 90)),
    )
    twin.refresh(settle=True)


def band_oscillation(twin: Twin, options: Options) -> None:
    """The drifted bank; pack 3's BMS has a lower over-voltage band and a leading cell.

    Pack 3 trips cell over-voltage at ``ov_v`` (3.58 V) and releases at ``release_v`` (3.45 V);
    its cell 11 leads the others by ``lead`` (1.5 %). Near the top that cell trips the pack
    below the integration's 3.60 V limit: the charge FET opens, the cell relaxes, the BMS
    releases, the charge resumes and it trips again.
    """
    _drift(twin, options)
    pack = twin.pack(_pick(twin, 3))
    pack.bms.limits = replace(
        pack.bms.limits,
        cell_ov_v=float(options.get("ov_v", 3.58)),
        cell_ov_release_v=float(options.get("release_v", 3.45)),
    )
    cell = pack.cells[min(10, len(pack.cells) - 1)]
    cell.charge_ah += float(options.get("lead", 0.015)) * cell.capacity_ah
    twin.refresh(settle=True)


CLOUDY_WEEK: tuple[float, ...] = (0.3, 0.25, 0.35, 0.15, 0.3, 0.25, 0.35)


def cloudy_week(twin: Twin, options: Options) -> None:
    """The drifted bank and a week of cloud: each day's PV is 15-35 % of a clear day's.

    No day's sun fills the bank, so a solar calibration never reaches absorption. The ambient
    swings ±``swing_c`` (4.0) degC a day. Option ``scale`` multiplies every day's PV.
    """
    _drift(twin, options)
    scale = float(options.get("scale", 1.0))
    twin.weather = tuple(day * scale for day in CLOUDY_WEEK)
    for pack in twin.packs:
        pack.thermal.swing_c = float(options.get("swing_c", 4.0))
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
    """Pack 3 sits in a hot, badly ventilated spot: ambient 39 degC, 10 K/W, 8000 J/K.

    It starts at 43.5 degC; at rest or under the evening load every sensor stays below 45 degC
    (steady ~44); a grid charge (~14 W of ohmic and overpotential heat at 20 A) pushes it past
    45 degC in about 15 simulated minutes. Options: ``ambient_c`` (39), ``start_c`` (43.5),
    ``thermal_resistance`` (10 K/W), ``heat_capacity`` (8000 J/K).
    """
    pack = twin.pack(_pick(twin, 3))
    pack.thermal.ambient_c = float(options.get("ambient_c", 39.0))
    pack.thermal.temperature_c = float(options.get("start_c", 43.5))
    pack.thermal.thermal_resistance_k_per_w = float(options.get("thermal_resistance", 10.0))
    pack.thermal.heat_capacity_j_per_k = float(options.get("heat_capacity", 8000.0))
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
    "weeks_at_cap": weeks_at_cap,
    "lagging_pack": lagging_pack,
    "cold_derate": cold_derate,
    "soc_capped": soc_capped,
    "band_oscillation": band_oscillation,
    "cloudy_week": cloudy_week,
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
