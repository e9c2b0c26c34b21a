# mypy: disable-error-code="unreachable"
"""Each named scenario's defining behaviour, and determinism."""

from __future__ import annotations

import pytest

from simulator import (
    SCENARIOS,
    OutputPriority,
    PowermonLvxFace,
    SolarAssistantFace,
    Twin,
    build_twin,
)
from simulator.bms import Protection
from simulator.faces import Face

from .helpers import all_cells, coarse, engage_grid_charge


def test_all_named_scenarios_exist() -> None:
    assert set(SCENARIOS) >= {
        "default", "healthy", "drifted", "imbalanced", "hot", "cold", "cell_runaway",
        "revert_nak", "telemetry_dropout", "weeks_at_cap", "lagging_pack", "cold_derate",
        "soc_capped", "band_oscillation", "cloudy_week",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown scenario"):
        build_twin("nope")


@pytest.mark.parametrize("name", ["default", "healthy"])
def test_healthy_bank(name: str) -> None:
    twin = build_twin(name)
    volts = twin.pack_voltages()
    assert max(volts) - min(volts) < 0.05
    assert max(twin.soc_readings()) - min(twin.soc_readings()) <= 1
    assert all(p.bms.protection_list() == [] for p in twin.packs)
    s = twin.inverter(1).settings
    assert (s.output_priority, s.charger_priority.value) == (OutputPriority.SBU, "solar_first")
    assert (s.max_charge_current_a, s.max_utility_charge_current_a) == (80, 60)
    assert (s.bulk_v, s.float_v, s.redischarge_v, s.recharge_v) == (56.4, 54.0, 54.0, 48.0)


def test_drifted_signature() -> None:
    twin = build_twin("drifted")
    volts = twin.pack_voltages()
    socs = twin.soc_readings()
    assert max(volts) - min(volts) < 0.05
    assert 53.0 < sum(volts) / len(volts) < 53.4  # ~53.15 V under the evening load
    assert 20 <= max(socs) - min(socs) <= 26
    assert socs[5] == 76
    assert all(50 <= s <= 55 for s in socs[:5])
    true = [p.mean_soc for p in twin.packs]
    assert max(true) - min(true) < 0.005  # equal true charge
    twin.run(2 * 3600, dt_s=60)  # an evening on battery: the signature persists
    volts, socs = twin.pack_voltages(), twin.soc_readings()
    assert max(volts) - min(volts) < 0.05
    assert 20 <= max(socs) - min(socs) <= 26


def test_drifted_reanchors_under_grid_charge() -> None:
    twin = build_twin("drifted")
    engage_grid_charge(twin)
    while not all(p.bms.anchors for p in twin.packs) and twin.clock_s < 6 * 3600:
        twin.step(30.0)
    assert twin.soc_readings() == [100] * 6
    assert 2.0 * 3600 < twin.clock_s < 3.0 * 3600  # CC at 2 x 60 A from 55 %, then the taper


def test_imbalanced_voltages_truly_diverge() -> None:
    twin = build_twin("imbalanced")
    volts = twin.pack_voltages()
    assert max(volts) - min(volts) > 0.1
    assert volts.index(min(volts)) == 3  # pack 4
    assert twin.soc_readings()[3] < twin.soc_readings()[0] - 20  # honest counter
    twin.run(3 * 3600, dt_s=60)
    volts = twin.pack_voltages()
    assert max(volts) - min(volts) > 0.1
    engage_grid_charge(twin)
    twin.run(3600, dt_s=60)
    volts = twin.pack_voltages()
    assert max(volts) - min(volts) > 0.5


def test_hot_pack_passes_45c_under_charge() -> None:
    twin = build_twin("hot")
    hottest = max(max(p.temperatures) for p in twin.packs)  # incl. the PCB sensor
    assert 43.0 < hottest < 45.0
    assert hottest == max(twin.pack(3).temperatures)
    engage_grid_charge(twin)
    while max(twin.pack(3).temperatures[:2]) <= 45.0 and twin.clock_s < 3 * 3600:
        twin.step(60.0)
        assert twin.pack(3).current_a > 0.0
    assert max(twin.pack(3).temperatures[:2]) > 45.0
    assert twin.clock_s < 3600
    assert all(max(p.temperatures[:2]) < 35.0 for p in twin.packs if p.index != 3)


def test_hot_pack_stays_below_45c_without_charge() -> None:
    twin = build_twin("hot", config=coarse())
    for _ in range(8):  # a whole evening and night on battery
        twin.run(3600, dt_s=300)
        assert twin.bank_current_a < 0.0
        assert max(twin.pack(3).temperatures) < 45.0


def test_cold_packs_below_5c() -> None:
    twin = build_twin("cold")
    temps = [t for p in twin.packs for t in p.temperatures[:2]]
    assert all(0.0 < t < 5.0 for t in temps)
    assert all(p.bms.protection_list() == [] for p in twin.packs)


def test_cell_runaway_exceeds_360_while_others_are_low() -> None:
    twin = build_twin("cell_runaway")
    engage_grid_charge(twin)
    runaway = (2, 6)
    while twin.pack(2).cell_voltages[6] <= 3.60 and twin.clock_s < 6 * 3600:
        twin.step(30.0)
    assert twin.pack(2).cell_voltages[6] > 3.60
    others = [v for p, i, v in all_cells(twin) if (p, i) != runaway]
    assert max(others) < 3.45
    assert twin.charge_stage.value == "bulk"  # well before the bank reaches full
    while Protection.CELL_OVER_VOLTAGE not in twin.pack(2).bms.protections:
        twin.step(30.0)
        assert twin.clock_s < 8 * 3600
    assert twin.pack(2).cell_voltages[6] >= 3.60
    twin.step(60.0)
    assert twin.pack(2).current_a <= 0.0  # charge FET open
    assert twin.pack(1).current_a > 0.0


def test_revert_nak_rejects_first_sbu_restore_then_accepts_retry_powermon() -> None:
    twin = build_twin("revert_nak")
    face = PowermonLvxFace(twin)
    topic = "solar/control/lvx6048/output_priority"
    face.handle(topic, "solar_battery_utility")  # SBU -> SBU: not a revert, accepted
    assert twin.journal[-1].accepted
    face.handle(topic, "solar_utility_battery")
    assert all(inv.settings.output_priority is OutputPriority.SUB for inv in twin.inverters)
    face.handle(topic, "solar_battery_utility")  # the revert: NAK'd silently
    assert all(inv.settings.output_priority is OutputPriority.SUB for inv in twin.inverters)
    assert not twin.journal[-1].accepted
    face.handle(topic, "solar_battery_utility")  # retry
    assert all(inv.settings.output_priority is OutputPriority.SBU for inv in twin.inverters)


def test_revert_nak_solar_assistant() -> None:
    twin = build_twin("revert_nak")
    face = SolarAssistantFace(twin)
    for n in (1, 2):
        reply = face.handle(
            f"solar_assistant/inverter_{n}/output_source_priority/set", "Solar/Utility/Battery"
        )
        assert reply[0].payload == "Saved"
    t1 = "solar_assistant/inverter_1/output_source_priority/set"
    assert face.handle(t1, "Solar/Battery/Utility")[0].payload.startswith("Error: ")
    assert face.handle(t1, "Solar/Battery/Utility")[0].payload == "Saved"
    t2 = "solar_assistant/inverter_2/output_source_priority/set"
    assert face.handle(t2, "Solar/Battery/Utility")[0].payload == "Saved"
    assert all(inv.settings.output_priority is OutputPriority.SBU for inv in twin.inverters)


def test_telemetry_dropout_stops_then_resumes() -> None:
    twin = build_twin("telemetry_dropout", start_s=300.0, duration_s=600.0)
    faces: list[Face] = [PowermonLvxFace(twin), SolarAssistantFace(twin)]
    assert all(f.telemetry() for f in faces)
    twin.step(299.0)
    assert all(f.telemetry() for f in faces)
    twin.step(2.0)
    assert all(f.telemetry() == [] for f in faces)
    twin.step(500.0)
    assert all(f.telemetry() == [] for f in faces)
    twin.step(100.0)  # 901 s: back
    assert all(f.telemetry() for f in faces)
    # Commands still work during a dropout; only publishing stops.
    twin2 = build_twin("telemetry_dropout", start_s=0.0, duration_s=100.0)
    sa = SolarAssistantFace(twin2)
    assert sa.telemetry() == []
    assert sa.handle("solar_assistant/inverter_1/max_charge_current/set", "50")[0].payload == (
        "Saved"
    )


def _run(seed: int) -> list[tuple[str, str]]:
    twin = build_twin("drifted", seed=seed)
    face = PowermonLvxFace(twin)
    engage_grid_charge(twin)
    for _ in range(120):
        twin.step(37.0)
    return [(m.topic, m.payload) for m in face.telemetry()]


def test_same_seed_same_telemetry() -> None:
    assert _run(7) == _run(7)
    assert _run(7) != _run(8)


def test_load_noise_is_seeded() -> None:
    from simulator import TwinConfig

    def run(seed: int) -> float:
        twin = Twin(TwinConfig(seed=seed, load_noise_w=80.0))
        twin.run(1800, dt_s=30)
        return twin.bank_current_a

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_smaller_systems_build() -> None:
    for name in SCENARIOS:
        twin = build_twin(name, inverters=1, packs=3)
        twin.step(60.0)
        assert len(PowermonLvxFace(twin).command_subscriptions()) == 5


def test_sunny_day_in_sbu_reanchors_without_setting_changes() -> None:
    """The 'solar' calibration method: no writes, a full solar charge, verify."""
    twin = build_twin("drifted", config=coarse(start_hour=6.0))
    twin.run(9 * 3600, dt_s=120)  # 06:00 -> 15:00
    assert twin.grid_charge_a == 0.0
    assert all(p.bms.anchors >= 1 for p in twin.packs)
    assert all(s >= 99 for s in twin.soc_readings())
