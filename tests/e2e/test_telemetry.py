"""Telemetry end to end: the twin's face publishes through mosquitto, entities follow it."""

from __future__ import annotations

import pytest

from .system import System

LOAD_W = 3000.0


async def test_entities_show_what_the_face_publishes(system: System) -> None:
    """The drifted bank as the user sees it: pack 6 reads 76 %, packs 1-5 read 51-55 %."""
    assert await system.bridge.publish_telemetry() > 0
    system.assert_sensors_match_face()

    socs = [system.value(f"_pack_{m}_soc") for m in system.pack_numbers]
    assert socs[5] == 76
    assert all(50 <= soc <= 55 for soc in socs[:5]), socs
    voltages = [system.value(f"_pack_{m}_voltage") for m in system.pack_numbers]
    assert max(voltages) - min(voltages) < 0.05, voltages  # equal true charge, ~53.15 V
    assert all(v == pytest.approx(53.15, abs=0.15) for v in voltages), voltages
    for n in system.inverter_numbers:
        assert system.value(f"_inverter_{n}_battery_voltage") == pytest.approx(53.15, abs=0.15)


async def test_entities_follow_the_twin_over_time(system: System) -> None:
    """30 simulated minutes under a 3 kW load: SoC and voltage fall, the entities follow."""
    await system.bridge.publish_telemetry()
    socs = [system.value(f"_pack_{m}_soc") for m in system.pack_numbers]
    voltages = [system.value(f"_pack_{m}_voltage") for m in system.pack_numbers]
    bus = [system.value(f"_inverter_{n}_battery_voltage") for n in system.inverter_numbers]

    system.twin.house_load_w = LOAD_W
    system.twin.step(30 * 60)
    await system.bridge.publish_telemetry()

    system.assert_sensors_match_face()
    new_socs = [system.value(f"_pack_{m}_soc") for m in system.pack_numbers]
    new_voltages = [system.value(f"_pack_{m}_voltage") for m in system.pack_numbers]
    new_bus = [system.value(f"_inverter_{n}_battery_voltage") for n in system.inverter_numbers]
    assert all(new < old for new, old in zip(new_socs, socs, strict=True)), (socs, new_socs)
    assert all(new < old for new, old in zip(new_voltages, voltages, strict=True))
    assert all(new < old for new, old in zip(new_bus, bus, strict=True)), (bus, new_bus)
    # every pack carries part of the load
    assert all(system.value(f"_pack_{m}_current") < 0 for m in system.pack_numbers)
    assert new_socs == [system.twin.pack(m).bms.soc_pct for m in system.pack_numbers]
