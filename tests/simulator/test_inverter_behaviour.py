# mypy: disable-error-code="unreachable"
"""Output/charger priority behaviour of the parallel group."""

from __future__ import annotations

import pytest

from simulator import ChargerPriority, ChargeStage, OutputPriority, Twin, TwinConfig, build_twin
from simulator.inverter import UnitMode

from .helpers import coarse, engage_grid_charge


def test_sbu_solar_first_never_grid_charges_a_healthy_bank_at_night() -> None:
    twin = build_twin("healthy", config=coarse())  # 21:00, SBU + solar_first
    for _ in range(8 * 60):  # 21:00 -> 05:00
        twin.step(60.0)
        assert twin.grid_charge_a == 0.0
        assert twin.bank_current_a < 0.0  # the bank carries the house
        assert all(inv.flows.mode is UnitMode.BATTERY for inv in twin.inverters)
        assert all(inv.flows.grid_in_w == 0.0 for inv in twin.inverters)
    assert twin.bus_voltage > 50.0


@pytest.mark.parametrize("charger", list(ChargerPriority))
def test_changing_charger_priority_alone_does_nothing_in_sbu(charger: ChargerPriority) -> None:
    twin = build_twin("healthy")
    twin.force_settings(charger_priority=charger)
    twin.run(2 * 3600, dt_s=60)
    assert twin.grid_charge_a == 0.0
    assert twin.bank_current_a < 0.0


def test_sub_solar_and_utility_grid_charges_to_absorption_and_tapers() -> None:
    twin = build_twin("healthy")
    engage_grid_charge(twin)
    twin.step(60.0)
    assert twin.grid_charge_a == pytest.approx(120.0)  # 2 units x 60 A max utility
    assert all(inv.flows.grid_charge_a == pytest.approx(60.0) for inv in twin.inverters)
    assert all(inv.flows.mode is UnitMode.LINE for inv in twin.inverters)
    while twin.charge_stage is ChargeStage.BULK and twin.clock_s < 6 * 3600:
        twin.step(30.0)
    assert twin.charge_stage is ChargeStage.ABSORB
    assert twin.bus_voltage == pytest.approx(56.4, abs=0.02)
    samples = []
    for _ in range(20):
        twin.step(60.0)
        samples.append(twin.bank_current_a)
        assert twin.bus_voltage == pytest.approx(56.4, abs=0.02)  # CV holds
    assert samples[-1] < samples[0] < 60.0  # tapering
    assert samples[-1] < 0.05 * 100 * 6  # below 0.05 C bank-wide
    assert max(p.cell_max for p in twin.packs) >= 3.45  # cells in the CV region
    assert max(p.cell_max for p in twin.packs) < 3.60  # a healthy bank stays safe


def test_max_utility_current_limits_grid_charge() -> None:
    twin = build_twin("healthy")
    engage_grid_charge(twin)
    twin.force_settings(max_utility_charge_current=10)
    twin.step(60.0)
    assert twin.grid_charge_a == pytest.approx(20.0)


def test_sub_solar_first_grid_carries_load_and_only_solar_charges() -> None:
    twin = build_twin("healthy", config=coarse(start_hour=22.0))
    twin.force_settings(output_priority=OutputPriority.SUB)
    twin.run(3 * 3600, dt_s=120)  # night: loads on the grid, battery idle
    assert twin.grid_charge_a == 0.0
    assert abs(twin.bank_current_a) < 0.5
    assert sum(inv.flows.grid_in_w for inv in twin.inverters) == pytest.approx(1200, rel=0.01)
    twin.run(8 * 3600, dt_s=120)  # 09:00: sun up, bank not yet full
    assert twin.grid_charge_a == 0.0
    assert twin.solar_charge_a > 10.0


def test_sbu_charges_from_solar_when_pv_exceeds_load() -> None:
    twin = build_twin("healthy", config=TwinConfig(start_hour=11.0))
    twin.step(60.0)
    assert twin.grid_charge_a == 0.0
    assert twin.solar_charge_a > 10.0
    assert twin.bank_current_a > 10.0
    assert all(inv.flows.mode is UnitMode.BATTERY for inv in twin.inverters)


def test_sbu_grid_charges_only_when_critically_low() -> None:
    twin = Twin(TwinConfig(initial_soc=0.02))  # ~47 V: below re-charge (48.0)
    twin.step(60.0)
    assert twin.bus_voltage < 53.0
    assert all(inv.grid_fallback for inv in twin.inverters)
    assert twin.grid_charge_a > 0.0
    last_charging_v = 0.0
    while twin.grid_charge_a > 0.0 and twin.clock_s < 12 * 3600:
        last_charging_v = twin.bus_voltage
        twin.step(60.0)
    # Stopped at the re-discharge (back-to-battery) voltage and went back to battery.
    assert last_charging_v > 52.8  # (the release happened inside the last 60 s step)
    assert twin.grid_charge_a == 0.0
    assert all(inv.flows.mode is UnitMode.BATTERY for inv in twin.inverters)


def test_sbu_solar_only_never_grid_charges_even_when_low() -> None:
    twin = Twin(TwinConfig(initial_soc=0.02))
    twin.force_settings(charger_priority=ChargerPriority.SOLAR_ONLY)
    twin.run(600, dt_s=60)
    assert twin.grid_charge_a == 0.0


def test_grid_down_puts_units_on_battery() -> None:
    twin = build_twin("healthy")
    engage_grid_charge(twin)
    twin.grid_available = False
    twin.step(60.0)
    assert twin.grid_charge_a == 0.0
    assert all(inv.flows.mode is UnitMode.BATTERY for inv in twin.inverters)
    assert all(inv.flows.grid_v == 0.0 for inv in twin.inverters)
    assert twin.bank_current_a < 0.0


def test_parallel_units_report_the_same_bank() -> None:
    twin = build_twin("healthy")
    a, b = (inv.flows for inv in twin.inverters)
    assert a.battery_v == b.battery_v
    assert a.battery_current_a == pytest.approx(b.battery_current_a)


def test_settings_mismatch_faults_the_cluster_when_enabled() -> None:
    twin = Twin(TwinConfig(mismatch_fault_after_s=60.0))
    twin.force_settings([1], output_priority=OutputPriority.SUB)
    twin.step(30.0)
    assert not twin.faulted
    twin.step(40.0)
    assert twin.faulted
    assert all(inv.flows.mode is UnitMode.FAULT for inv in twin.inverters)
    twin.force_settings([2], output_priority=OutputPriority.SUB)
    twin.step(10.0)
    assert not twin.faulted
