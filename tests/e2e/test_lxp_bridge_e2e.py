"""lxp-bridge end to end: the twin's lxp face on a real mosquitto, the eg4 entry on top.

The profile is not in ``system.PROFILES`` (that would run every other end-to-end test on it
too); this module builds its own system with the same helpers. lxp-bridge's ``inputs/all`` is
one JSON object of about 1.7 KB (the face's, and the reference capture's), over the 1 KB the
one-value-per-topic bridges are held to: the payloads here are the real size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.components.select import SERVICE_SELECT_OPTION
from homeassistant.components.time import ATTR_TIME
from homeassistant.components.time import DOMAIN as TIME_DOMAIN
from homeassistant.components.time import SERVICE_SET_VALUE as SET_TIME
from homeassistant.const import ATTR_ENTITY_ID, ATTR_OPTION
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.eg4.const import (
    CONF_DATALOGS,
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_TOPIC_PREFIX,
    CONF_TRANSPORT,
    DOMAIN,
)
from simulator import ChargerPriority, LxpBridgeFace, OutputPriority, Twin, build_twin

from .bridge import wait_for
from .calibration_view import EVENT, CalibrationView, priorities
from .system import ProfileSpec, System, bridged
from .test_calibration_broker import BrokerRun

DATALOGS = ["BA12345678", "BA87654321"]
LXP_DATA: dict[str, Any] = {
    CONF_TRANSPORT: "mqtt",
    CONF_PROFILE: "lxp_bridge",
    CONF_TOPIC_PREFIX: "lxp",
    CONF_DATALOGS: DATALOGS,
    CONF_INVERTER_COUNT: 2,
    CONF_PACK_COUNT: 2,
}
LXP = ProfileSpec(
    name="lxp_bridge",
    title="EG4 via lxp-bridge (lxp)",
    data=LXP_DATA,
    make_face=LxpBridgeFace,
    pack_topics={},  # one JSON object per unit, checked field by field below
    inverter_topics={},
)
UNITS = (1, 2)
CHARGER = "_system_charger_priority"


@pytest.fixture
def unsigned_bms_fields() -> bool:
    """Publish the BMS current and temperatures unsigned, as the real bridges do."""
    return False


@pytest.fixture
async def lxp(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    unsigned_bms_fields: bool,
) -> AsyncIterator[System]:
    """The eg4 entry with the lxp_bridge profile, and the drifted twin's lxp face bridged."""
    twin = build_twin("drifted", inverters=2, packs=6, seed=0)
    face = LxpBridgeFace(twin, datalogs=DATALOGS, unsigned_bms_fields=unsigned_bms_fields)
    entry = MockConfigEntry(
        domain=DOMAIN, title=LXP.title, data=dict(LXP_DATA), unique_id="e2e:lxp_bridge"
    )
    async with bridged(hass, LXP, twin, face, entry) as system:
        yield system


def bank_soc(twin: Twin) -> int:
    return round(sum(p.bms.soc_exact_pct for p in twin.packs) / len(twin.packs))


def assert_entities_match_twin(system: System) -> None:
    """Every unit's sensors and its bank 'battery' show the twin's own values."""
    twin = system.twin
    packs = twin.packs
    cell_temps = [t for p in packs for t in p.temperatures[:2]]
    bank = {
        "soc": bank_soc(twin),
        "current": round(sum(p.current_a for p in packs), 2),
        "cell_voltage_max": round(max(p.cell_max for p in packs), 3),
        "cell_voltage_min": round(min(p.cell_min for p in packs), 3),
        "temperature_max": round(max(cell_temps), 1),  # the highest cell temperature
        "temperature_cell_min": round(min(cell_temps), 1),
    }
    mismatches = []
    for n in UNITS:
        fl = twin.inverter(n).flows
        unit = {
            "battery_voltage": round(fl.battery_v, 1),
            "battery_soc": bank_soc(twin),
            "pv_power": round(fl.pv_w),
            "output_power": round(fl.load_w),
            "grid_voltage": round(fl.grid_v, 1),
            "temperature": round(fl.temperature_c),
        }
        for key, want in unit.items():
            shown = system.value(f"_inverter_{n}_{key}")
            if shown != pytest.approx(want):
                mismatches.append(f"inverter {n} {key}: entity {shown}, twin {want}")
        for key, want in {**bank, "voltage": round(fl.battery_v, 1)}.items():
            shown = system.value(f"_pack_{n}_{key}")
            if shown != pytest.approx(want):
                mismatches.append(f"battery {n} {key}: entity {shown}, twin {want}")
    assert not mismatches, "\n".join(mismatches)


async def confirmed(call: asyncio.Task[Any]) -> Any:
    """Wait for a write the face's own replies confirm (echo, then OK) and return its result.

    No telemetry is published meanwhile: the bridge answers every command with the register's
    echo, and that alone must confirm it (a telemetry snapshot taken before the next unit's
    write could also arrive after that unit's echo and overwrite it).
    """
    await wait_for(call.done, what="the write to be confirmed by the echo")
    return await call


def select_charger(system: System, option: str) -> asyncio.Task[Any]:
    return system.start_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: system.entity_id(CHARGER), ATTR_OPTION: option},
    )


async def test_entities_show_the_twins_units_and_bank(lxp: System) -> None:
    """Drifted bank: each unit's battery is the whole bank (mean SoC 57 %, summed current)."""
    twin = lxp.twin
    assert await lxp.bridge.publish_telemetry() > 0
    assert_entities_match_twin(lxp)
    assert lxp.value("_pack_1_soc") == lxp.value("_pack_2_soc") == 57
    assert lxp.value("_pack_1_current") < 0  # the evening load
    assert lxp.state(CHARGER).state == "solar_first"
    assert lxp.value("_system_max_charge_current") == 80
    assert lxp.value("_system_discharge_current") == 200
    assert lxp.value("_system_ac_charge_soc_limit") == 100  # the twin's: AC charge to full

    twin.house_load_w = 3000.0
    twin.step(30 * 60)
    await lxp.bridge.publish_telemetry()
    assert_entities_match_twin(lxp)
    assert lxp.value("_pack_1_soc") == bank_soc(twin) < 57


async def test_charger_priority_grid_charges_the_twin_and_back(lxp: System) -> None:
    """solar_and_utility -> ac_charge on each datalog -> SUB + grid charge; then back."""
    twin = lxp.twin
    await lxp.bridge.publish_telemetry()
    twin.step(10 * 60)
    await lxp.bridge.publish_telemetry()
    assert twin.grid_charge_a == 0

    await confirmed(select_charger(lxp, "solar_and_utility"))
    assert lxp.state(CHARGER).state == "solar_and_utility"
    assert [(c.topic, c.payload, c.replies[-1].payload) for c in lxp.bridge.commands] == [
        (f"lxp/cmd/{dl}/set/ac_charge", "true", "OK") for dl in DATALOGS
    ]
    assert all(entry.accepted for entry in twin.journal), twin.journal
    for inverter in twin.inverters:
        assert inverter.settings.output_priority is OutputPriority.SUB
        assert inverter.settings.charger_priority is ChargerPriority.SOLAR_AND_UTILITY

    twin.step(10 * 60)
    await lxp.bridge.publish_telemetry()
    assert twin.grid_charge_a == pytest.approx(120, abs=1)  # 2 units x 60 A utility current
    assert all(lxp.value(f"_pack_{n}_current") > 0 for n in UNITS)
    assert_entities_match_twin(lxp)

    await confirmed(select_charger(lxp, "solar_first"))
    assert lxp.state(CHARGER).state == "solar_first"
    assert [(c.topic, c.payload) for c in lxp.bridge.commands[2:]] == [
        (f"lxp/cmd/{dl}/set/ac_charge", "false") for dl in DATALOGS
    ]
    for inverter in twin.inverters:
        assert inverter.settings.output_priority is OutputPriority.SBU
        assert inverter.settings.charger_priority is ChargerPriority.SOLAR_FIRST
    twin.step(10 * 60)
    await lxp.bridge.publish_telemetry()
    assert twin.grid_charge_a == 0
    assert all(lxp.value(f"_pack_{n}_current") < 0 for n in UNITS)


async def test_stored_register_write_is_confirmed_on_each_unit(lxp: System) -> None:
    """Discharge current (register 102) is written per datalog and read back from the echo."""
    await lxp.bridge.publish_telemetry()
    number_id = lxp.entity_id("_system_discharge_current")
    call = lxp.start_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: number_id, ATTR_VALUE: 150}
    )
    await confirmed(call)
    assert lxp.value("_system_discharge_current") == 150
    assert [(c.topic, c.payload) for c in lxp.bridge.commands] == [
        (f"lxp/cmd/{dl}/set/hold/102", "150") for dl in DATALOGS
    ]
    await lxp.bridge.publish_telemetry()
    assert lxp.value("_system_discharge_current") == 150


async def test_nak_is_refused_at_once_with_fail(lxp: System) -> None:
    """The first unit NAKs ac_charge: the bridge's FAIL ends the write, nothing changes."""
    twin = lxp.twin
    await lxp.bridge.publish_telemetry()
    twin.faults.nak_next(1)
    call = select_charger(lxp, "solar_and_utility")
    with pytest.raises(HomeAssistantError) as err:
        await confirmed(call)
    assert err.value.translation_key == "write_refused"
    assert err.value.translation_placeholders["message"] == "FAIL"
    assert err.value.translation_placeholders["units"] == "1"
    assert [(c.topic, c.replies[-1].payload) for c in lxp.bridge.commands] == [
        (f"lxp/cmd/{DATALOGS[0]}/set/ac_charge", "FAIL")
    ]
    assert all(i.settings.charger_priority is ChargerPriority.SOLAR_FIRST for i in twin.inverters)
    await lxp.bridge.publish_telemetry()
    assert lxp.state(CHARGER).state == "solar_first"


@pytest.mark.parametrize("unsigned_bms_fields", [False, True])
async def test_real_size_inputs_reach_the_entities(lxp: System) -> None:
    """The ~1.7 KB inputs/all of each unit is decoded; a wrapped discharge reads negative."""
    sizes = [len(m.payload) for m in lxp.face.telemetry() if m.topic.endswith("/inputs/all")]
    assert min(sizes) > 1024
    await lxp.bridge.publish_telemetry()
    socs = [lxp.entity_id(f"_pack_{n}_soc") for n in UNITS]
    assert lxp.unavailable(socs) == []
    assert lxp.value("_pack_1_soc") == bank_soc(lxp.twin)
    discharge = round(sum(p.current_a for p in lxp.twin.packs), 2)
    assert discharge < 0  # the evening load
    assert lxp.value("_pack_1_current") == pytest.approx(discharge)


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(300)
async def test_grid_calibration_through_lxp_bridge(
    hass: HomeAssistant, lxp: System, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """The hybrid family's levers over local MQTT: AC-charge stop SoC 100 %, AC charge on.

    lxp-bridge shows the bank per inverter, not per pack, so the drift itself is not visible
    here (spread 0 before); the run still charges, re-anchors every pack of the twin, and
    puts both settings back, confirmed by the bridge's echo.
    """
    lxp.twin.force_settings(ac_charge_soc_limit=90)  # AC charge stops at 90 % every day
    view = CalibrationView(
        hass=hass, entry=lxp.entry, storage=hass_storage, events=async_capture_events(hass, EVENT)
    )
    run = BrokerRun(lxp, freezer, view)
    await lxp.bridge.publish_telemetry()
    await run.advance(60)
    response = await view.call("run_calibration")
    assert response is not None
    assert [(item["setting"], item["unit"], item["to"]) for item in response["plan"]] == [
        ("ac_charge_soc_limit", 1, 100.0),
        ("ac_charge_soc_limit", 2, 100.0),
        ("charger_priority", 1, "solar_and_utility"),
        ("charger_priority", 2, "solar_and_utility"),
    ]
    await run.drive(lambda: view.phase == "bulk", limit_s=900, what="bulk")
    await run.advance(60)
    assert lxp.twin.grid_charge_a > 50  # both units charge from the grid
    await run.drive(lambda: view.supervisor.run is None, limit_s=6 * 3600, what="the end")

    assert all(soc >= 99 for soc in lxp.twin.soc_readings()), lxp.twin.soc_readings()
    assert priorities(lxp.twin) == [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
    assert [lxp.face.register_value(unit, 67) for unit in UNITS] == [90, 90]
    last = view.supervisor.last
    assert last["outcome"] == "succeeded"
    assert last["soc_spread_before"] == 0  # bank-level: both units report the same bank
    received = [(c.topic, c.payload) for c in lxp.bridge.commands]
    assert received == [
        *[(f"lxp/cmd/{dl}/set/hold/67", "100") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/ac_charge", "true") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/ac_charge", "false") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/67", "90") for dl in DATALOGS],
    ]


# ---- AC-charge windows: time entity -> set/hold/<register> -> the face's echo -> entity -----


async def test_a_charge_window_is_written_per_datalog_and_confirmed_by_the_echo(
    lxp: System,
) -> None:
    """23:15 to 05:30 overnight on window 2: registers 70 / 71 of each datalog, packed."""
    await lxp.bridge.publish_telemetry()
    assert lxp.state("_system_ac_charge_start_2").state == "00:00:00"  # the twin's: off
    for key, value in (
        ("_system_ac_charge_start_2", "23:15"),
        ("_system_ac_charge_end_2", "05:30"),
    ):
        call = lxp.start_call(
            TIME_DOMAIN, SET_TIME, {ATTR_ENTITY_ID: lxp.entity_id(key), ATTR_TIME: value}
        )
        await confirmed(call)
    assert lxp.state("_system_ac_charge_start_2").state == "23:15:00"
    assert lxp.state("_system_ac_charge_end_2").state == "05:30:00"
    assert [(c.topic, c.payload, c.replies[-1].payload) for c in lxp.bridge.commands] == [
        *((f"lxp/cmd/{dl}/set/hold/70", str(23 | 15 << 8), "OK") for dl in DATALOGS),
        *((f"lxp/cmd/{dl}/set/hold/71", str(5 | 30 << 8), "OK") for dl in DATALOGS),
    ]
    for unit in UNITS:
        assert lxp.face.params.windows.window(unit, 2) == {"start": "23:15", "end": "05:30"}
    await lxp.bridge.publish_telemetry()  # the registers as the bridge republishes them
    assert lxp.state("_system_ac_charge_start_2").state == "23:15:00"


async def test_a_window_the_face_refuses_fails_at_once_and_changes_nothing(lxp: System) -> None:
    await lxp.bridge.publish_telemetry()
    lxp.twin.faults.nak_next(1)
    call = lxp.start_call(
        TIME_DOMAIN,
        SET_TIME,
        {ATTR_ENTITY_ID: lxp.entity_id("_system_ac_charge_start_1"), ATTR_TIME: "02:00"},
    )
    with pytest.raises(HomeAssistantError) as err:
        await confirmed(call)
    assert err.value.translation_key == "write_refused"
    assert [(c.topic, c.replies[-1].payload) for c in lxp.bridge.commands] == [
        (f"lxp/cmd/{DATALOGS[0]}/set/hold/68", "FAIL")
    ]
    assert all(lxp.face.params.windows.window(u, 1)["start"] == "00:00" for u in UNITS)
    assert lxp.state("_system_ac_charge_start_1").state == "00:00:00"
