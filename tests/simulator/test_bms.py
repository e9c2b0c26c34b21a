# mypy: disable-error-code="unreachable"
"""BMS counter, termination re-anchor and protection flags."""

from __future__ import annotations

import pytest

from simulator import Twin, TwinConfig, build_twin
from simulator.bms import Bms, BmsLimits, Protection

from .helpers import coarse, engage_grid_charge


def _bms(pct: float = 80.0) -> Bms:
    return Bms(capacity_ah=100.0, counter_ah=pct)


def test_counter_counts_with_gain_error() -> None:
    bms = Bms(capacity_ah=100.0, counter_ah=50.0, gain_error=0.10)
    bms.update(3600.0, 10.0, 3.33, 25.0, 25.0, 0.0)
    assert bms.counter_ah == pytest.approx(61.0)
    assert bms.soc_pct == 61


def test_anchor_needs_the_full_hold_time() -> None:
    bms = _bms()
    for k in range(8):  # 80 s of termination
        bms.update(10.0, 3.0, 3.50, 25.0, 25.0, 10.0 * k)
    assert bms.anchors == 0
    assert bms.soc_pct < 99
    bms.update(10.0, 3.0, 3.50, 25.0, 25.0, 90.0)  # 90 s held
    assert bms.anchors == 1
    assert bms.soc_pct == 100
    assert bms.last_anchor_s == 90.0


@pytest.mark.parametrize(
    ("current", "max_cell"),
    [(6.0, 3.50), (3.0, 3.44), (-1.0, 3.50)],
    ids=["taper-too-high", "cell-too-low", "discharging"],
)
def test_no_anchor_without_real_termination(current: float, max_cell: float) -> None:
    bms = _bms()
    for k in range(60):
        bms.update(10.0, current, max_cell, 25.0, 25.0, 10.0 * k)
    assert bms.anchors == 0


def test_a_break_restarts_the_hold() -> None:
    bms = _bms()
    for _ in range(6):
        bms.update(10.0, 3.0, 3.50, 25.0, 25.0, 0.0)
    bms.update(10.0, 8.0, 3.50, 25.0, 25.0, 0.0)  # current spikes: break
    for _ in range(6):
        bms.update(10.0, 3.0, 3.50, 25.0, 25.0, 0.0)
    assert bms.anchors == 0


def test_protection_thresholds() -> None:
    lim = BmsLimits()
    bms = _bms()
    bms.update(1.0, 0.0, 3.649, 25.0, 25.0, 0.0)
    assert bms.protection_list() == []
    bms.update(1.0, 0.0, lim.cell_ov_v, 25.0, 25.0, 0.0)
    assert bms.protection_list() == [Protection.CELL_OVER_VOLTAGE]
    assert not bms.charge_allowed
    assert bms.discharge_allowed
    bms.update(1.0, 0.0, 3.55, 25.0, 25.0, 0.0)  # hysteresis: still latched
    assert Protection.CELL_OVER_VOLTAGE in bms.protections
    bms.update(1.0, 0.0, 3.49, 25.0, 25.0, 0.0)
    assert bms.protection_list() == []

    bms.update(1.0, 0.0, 3.3, 25.0, 54.9, 0.0)
    assert bms.protection_list() == []
    bms.update(1.0, 0.0, 3.3, 25.0, 55.0, 0.0)
    assert bms.protection_list() == [Protection.OVER_TEMPERATURE]
    assert not bms.discharge_allowed
    bms.update(1.0, 0.0, 3.3, 25.0, 49.9, 0.0)
    assert bms.protection_list() == []

    bms.update(1.0, 0.0, 3.3, 0.0, 5.0, 0.0)
    assert bms.protection_list() == []
    bms.update(1.0, 0.0, 3.3, -0.1, 5.0, 0.0)
    assert bms.protection_list() == [Protection.UNDER_TEMPERATURE_CHARGE]
    bms.update(1.0, 0.0, 3.3, 2.0, 5.0, 0.0)
    assert bms.protection_list() == []


def test_drifted_bank_reanchors_only_after_held_termination() -> None:
    twin = build_twin("drifted", true_soc=0.70)  # packs 1-5 read 15-19 points low
    engage_grid_charge(twin)
    seen_hold = {p.index: False for p in twin.packs}
    while twin.clock_s < 6 * 3600 and not all(p.bms.anchors for p in twin.packs):
        twin.step(10.0)
        for p in twin.packs:
            timer = p.bms.termination_timer_s
            if 0.0 < timer < p.bms.limits.termination_hold_s - 1e-6:
                seen_hold[p.index] = True
                assert p.bms.anchors == 0, "anchored before the hold time"
                if p.index != 6:  # pack 6 (drifted high) already clamps at 100
                    assert p.bms.soc_pct < 99
            if p.bms.anchors:
                assert timer >= p.bms.limits.termination_hold_s - 1e-6 or p.bms.soc_pct == 100
    assert all(seen_hold.values())
    assert all(p.bms.anchors == 1 for p in twin.packs)
    assert twin.soc_readings() == [100] * 6
    # It happened at the top, in the CV region, with a tapered current.
    assert max(p.cell_max for p in twin.packs) >= 3.45
    assert all(0 <= p.current_a < 5.0 for p in twin.packs)


def test_pack6_reads_100_before_termination_but_is_not_anchored() -> None:
    twin = build_twin("drifted")
    engage_grid_charge(twin)
    while twin.pack(6).bms.soc_pct < 100:
        twin.step(60.0)
    assert twin.pack(6).bms.anchors == 0
    assert max(p.cell_max for p in twin.packs) < 3.45


def test_charge_capped_at_54v_leaves_the_drift() -> None:
    twin = build_twin("drifted", config=coarse(), true_soc=0.70)
    engage_grid_charge(twin)
    twin.force_settings(bulk_voltage=54.0)
    twin.run(8 * 3600, dt_s=60)
    assert twin.bus_voltage <= 54.05
    assert all(p.bms.anchors == 0 for p in twin.packs)
    assert max(p.cell_max for p in twin.packs) < 3.45
    readings = twin.soc_readings()
    true_pct = [p.mean_soc * 100 for p in twin.packs]
    assert max(true_pct) - min(true_pct) < 1.0  # equal true charge (~97 %)
    assert all(r < t - 5 for r, t in zip(readings[:5], true_pct, strict=False))  # still low
    assert max(readings) - min(readings) >= 10  # drift signature survives


def test_under_temperature_blocks_charge() -> None:
    twin = Twin(TwinConfig(ambient_c=-3.0))
    engage_grid_charge(twin)
    twin.pack(2).thermal.ambient_c = 20.0
    twin.pack(2).thermal.temperature_c = 20.0
    twin.run(600, dt_s=10)
    assert twin.pack(1).bms.protection_list() == [Protection.UNDER_TEMPERATURE_CHARGE]
    assert twin.pack(1).current_a <= 0.0
    assert twin.pack(2).bms.protection_list() == []
    assert twin.pack(2).current_a > 10.0  # the warm pack takes the charge


def test_over_temperature_blocks_both_directions() -> None:
    twin = build_twin("healthy")
    pack = twin.pack(5)
    pack.thermal.ambient_c = 60.0
    pack.thermal.temperature_c = 56.0
    twin.step(10.0)  # the BMS sees it at the end of this step ...
    assert pack.bms.protection_list() == [Protection.OVER_TEMPERATURE]
    twin.step(10.0)  # ... and opens both FETs from the next one
    assert pack.current_a == 0.0
    assert twin.pack(1).current_a < 0.0  # the others carry the load


def test_configured_offset_and_gain_drift() -> None:
    twin = Twin(
        TwinConfig(
            counter_offsets_pct=(0.0, 12.0),
            counter_gain_errors=(0.0, 0.0, -0.2),
            counter_asymmetry_spread=0.0,
        )
    )
    assert twin.soc_readings()[:3] == [60, 72, 60]
    engage_grid_charge(twin)
    twin.run(1800, dt_s=60)  # +10 % true charge at 2 x 60 A
    readings = twin.soc_readings()
    assert readings[0] == pytest.approx(70, abs=1)
    assert readings[1] == pytest.approx(82, abs=1)
    assert readings[2] == pytest.approx(68, abs=1)  # counts 20 % short
