"""The top of charge: CV taper, relaxation, over-voltage band, balancing, re-anchoring."""

from __future__ import annotations

from simulator import ChargerPriority, OutputPriority, Twin, TwinConfig, build_twin
from simulator.bms import Protection

from .helpers import engage_grid_charge


def test_a_pack_cut_off_by_over_voltage_is_never_reanchored() -> None:
    """cell_runaway: pack 2 trips cell OV well short of full; its counter must not jump to 100."""
    twin = build_twin("cell_runaway")
    engage_grid_charge(twin)
    pack = twin.pack(2)
    tripped_at = None
    while twin.clock_s < 8 * 3600:
        twin.step(30.0)
        if tripped_at is None and Protection.CELL_OVER_VOLTAGE in pack.bms.protections:
            tripped_at = twin.clock_s
        if tripped_at is not None and twin.clock_s > tripped_at + 1800:
            break
    assert tripped_at is not None
    assert pack.mean_soc < 0.99  # truly short of full
    assert pack.bms.anchors == 0
    assert pack.bms.soc_pct < 99


def _charge_to_taper(twin: Twin) -> tuple[float, float, float]:
    """Grid-charge; (CV start, every pack < 5 A, every pack < 2 A) in simulated seconds."""
    engage_grid_charge(twin)
    cv = below_5 = below_2 = None
    while below_2 is None and twin.clock_s < 6 * 3600:
        twin.step(30.0)
        top = max(p.current_a for p in twin.packs)
        if cv is None and twin.cv_limited:
            cv = twin.clock_s
        if cv is not None and below_5 is None and top < 5.0:
            below_5 = twin.clock_s
        if below_5 is not None and top < 2.0:
            below_2 = twin.clock_s
    assert cv is not None
    assert below_5 is not None
    assert below_2 is not None
    return cv, below_5, below_2


def test_cv_taper_takes_tens_of_minutes() -> None:
    twin = build_twin("drifted")
    cv, below_5, below_2 = _charge_to_taper(twin)
    assert 2 * 3600 < cv < 2.5 * 3600  # CC at 120 A from 55 % (600 Ah)
    assert below_5 - cv >= 5 * 60  # 20 A per pack down to 5 A: not a one-minute collapse
    assert 20 * 60 <= below_2 - cv <= 90 * 60  # the tail of the taper: tens of minutes
    assert max(p.cell_max for p in twin.packs) < 3.56  # a healthy bank stays well under 3.60


def test_a_full_pack_relaxes_to_its_rest_voltage_within_the_hour() -> None:
    twin = build_twin("drifted", config=TwinConfig(absorb_exit_s=10 * 3600))
    _charge_to_taper(twin)
    assert all(p.bms.anchors == 1 for p in twin.packs)
    twin.force_settings(
        output_priority=OutputPriority.SBU, charger_priority=ChargerPriority.SOLAR_FIRST
    )
    twin.house_load_w = 0.0
    twin.step(60.0)
    assert min(twin.pack_voltages()) > 55.5  # just off absorption (56.4 V)
    twin.run(3600, dt_s=60)
    after_hour = twin.pack_voltages()
    assert all(54.0 <= v <= 54.6 for v in after_hour), after_hour  # ~3.40 V per cell
    twin.run(3600, dt_s=60)
    assert all(abs(a - b) < 0.05 for a, b in zip(after_hour, twin.pack_voltages(), strict=True))
    assert max(p.cell_max for p in twin.packs) < 3.42


def test_over_voltage_band_oscillation() -> None:
    """band_oscillation: trip, charge FET open, relax, release, charge again, trip again."""
    twin = build_twin("band_oscillation")
    engage_grid_charge(twin)
    pack = twin.pack(3)
    trips = releases = 0
    tripped = False
    while twin.clock_s < 5 * 3600:
        twin.step(10.0)  # one sub-step: the BMS looked at exactly these voltages
        assert pack.cell_max < 3.60  # the band sits below the integration's own limit
        now = Protection.CELL_OVER_VOLTAGE in pack.bms.protections
        if now and not tripped:
            trips += 1
            assert pack.cell_max >= 3.58
        if tripped and not now:
            releases += 1
            assert pack.cell_max < 3.45
        if tripped:  # the FET was open through this step
            assert pack.current_a <= 0.0
        if now:
            assert not pack.charge_allowed
            assert pack.charge_limit_a == 0.0
        tripped = now
    assert trips >= 2
    assert releases >= 1
    assert all(p.bms.protections == set() for p in twin.packs if p.index != 3)


def test_balancing_shrinks_imbalance_during_a_held_absorption() -> None:
    twin = build_twin("weeks_at_cap", config=TwinConfig(absorb_exit_s=24 * 3600))
    engage_grid_charge(twin)
    twin.run(3 * 3600, dt_s=60)  # to the top of charge
    before = [p.imbalance_ah for p in twin.packs]
    bled = [p.balanced_ah for p in twin.packs]
    twin.run(8 * 3600, dt_s=60)  # absorption held at 56.4 V
    after = [p.imbalance_ah for p in twin.packs]
    assert twin.charge_stage.value == "absorb"
    assert all(p.balanced_ah > b for p, b in zip(twin.packs, bled, strict=True))
    assert all(a < 0.5 * b for a, b in zip(after, before, strict=True)), (before, after)
    assert max(p.cell_delta_mv for p in twin.packs) < 20


def test_weeks_capped_at_54v_grow_imbalance_and_drift() -> None:
    """No full charge for three weeks: the cells spread apart and the counters drift."""
    twin = Twin(TwinConfig(max_substep_s=900.0, start_hour=6.0, house_load_w=1500.0))
    twin.force_settings(bulk_voltage=54.0)
    before = [p.imbalance_ah for p in twin.packs]
    errors = [abs(p.bms.soc_exact_pct - p.mean_soc * 100.0) for p in twin.packs]
    for _ in range(21):
        twin.run(24 * 3600, dt_s=3600)
    after = [p.imbalance_ah for p in twin.packs]
    drift = [abs(p.bms.soc_exact_pct - p.mean_soc * 100.0) for p in twin.packs]
    assert all(p.bms.anchors == 0 for p in twin.packs)
    assert all(p.balanced_ah == 0.0 for p in twin.packs)  # 54.0 V never reaches 3.45 V
    assert all(a > b + 0.1 for a, b in zip(after, before, strict=True)), (before, after)
    assert max(drift) > max(errors) + 2.0, drift  # points of drift accumulated
