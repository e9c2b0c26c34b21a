"""Setting up and unloading entries: states, MQTT subscriptions, devices and entities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, MqttMockPahoClient

from custom_components.eg4.const import DOMAIN

from .conftest import POWERMON_DATA, entries_on, fire, load_messages

BATTERY_VOLTAGE = "sensor.eg4_lvx6048_inverter_1_battery_voltage"
# The integration calls it as an attribute of the mqtt package (``mqtt.async_wait_...``).
WAIT_FOR_MQTT = "homeassistant.components.mqtt.async_wait_for_mqtt_client"

# Per-source entity keys (the tail of each unique id) that the bridges can report.
# The Energy dashboard's sensors, per inverter and for the group: powermon's (PI18 measures no
# grid power) and Solar Assistant's.
POWERMON_ENERGY = {
    "pv_energy",
    "battery_charge_energy",
    "battery_discharge_energy",
    "load_energy",
    "battery_power",
}
SOLAR_ASSISTANT_ENERGY = POWERMON_ENERGY | {
    "grid_import_energy",
    "grid_export_energy",
    "grid_power",
}
POWERMON_INVERTER_KEYS = POWERMON_ENERGY | {
    "battery_voltage",
    "battery_charge_current",
    "battery_discharge_current",
    "battery_soc",
    "pv_power",
    "pv_voltage",
    "output_power",
    "output_load",
    "grid_voltage",
    "output_voltage",
    "device_mode",
    "line_direction",
    "battery_direction",
    "output_priority",
    "charger_priority",
    "max_charge_current",
    "max_utility_charge_current",
    "stop_charge_voltage",
    "recharge_voltage",
    "bulk_voltage",
    "float_voltage",
}
POWERMON_PACK_KEYS = {
    "soc",
    "voltage",
    "current",
    "cell_voltage_max",
    "cell_voltage_min",
    "cell_voltage_delta",
    "temperature_1",
    "temperature_2",
    "temperature_pcb",
    "temperature_max",
    "protection",
}
SOLAR_ASSISTANT_INVERTER_KEYS = SOLAR_ASSISTANT_ENERGY | {
    "battery_voltage",
    "battery_current",
    "pv_power",
    "pv_voltage",
    "output_power",
    "grid_voltage",
    "output_voltage",
    "temperature",
    "device_mode",
    "output_priority",
    "charger_priority",
    "max_charge_current",
    "max_utility_charge_current",
    "stop_charge_voltage",
    "recharge_voltage",
    "bulk_voltage",
    "float_voltage",
}
SOLAR_ASSISTANT_PACK_KEYS = {
    "soc",
    "voltage",
    "current",
    "power",
    "cell_voltage_max",
    "cell_voltage_min",
    "cell_voltage_delta",
    "temperature_1",
    "temperature_max",
    "cycles",
}
# Drift figures, the calibration's state, progress and record, its cancel button and the
# day's setting writes hang off the group device too.
DRIFT_AND_CALIBRATION = {
    "binary_sensor": {"soc_drift"},
    "button": {"cancel_calibration"},
    "sensor": {
        "soc_spread",
        "voltage_spread",
        "calibration_state",
        "calibration_phase_started",
        "calibration_elapsed",
        "calibration_expected_end",
        "calibration_taper_end",
        "calibration_verify_end",
        "batteries_reanchored",
        "highest_cell_voltage",
        "highest_battery_current",
        "last_calibration",
        "last_successful_calibration",
        "last_calibration_result",
        "writes_today",
    },
}
GROUP_ENTITIES = {
    "binary_sensor": {"settings_mismatch", *DRIFT_AND_CALIBRATION["binary_sensor"]},
    "number": {"max_charge_current", "max_utility_charge_current", "stop_charge_voltage"},
    "select": {"output_priority", "charger_priority"},
    "sensor": DRIFT_AND_CALIBRATION["sensor"],
    "button": DRIFT_AND_CALIBRATION["button"],
}


def _entities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[tuple[str, str], str]:
    """{(scope, key): platform} of the entry's registered entities.

    Unique ids are ``<entry_id>_<scope>_<key>`` with scope ``system``, ``inverter_N`` or
    ``pack_N``.
    """
    found: dict[tuple[str, str], str] = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        rest = entity.unique_id.removeprefix(f"{entry.entry_id}_")
        if rest.startswith("system_"):
            scope, key = "system", rest.removeprefix("system_")
        else:
            kind, index, key = rest.split("_", 2)
            scope = f"{kind}_{index}"
        found[scope, key] = entity.domain
    return found


def _keys(entities: dict[tuple[str, str], str], scope: str) -> set[str]:
    return {key for (s, key) in entities if s == scope}


# ---- setup and unload --------------------------------------------------------------------


async def test_setup_and_unload(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mqtt_client_mock: MqttMockPahoClient,
    powermon_loaded: MockConfigEntry,
) -> None:
    entry = powermon_loaded
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(BATTERY_VOLTAGE).state == "53.4"
    coordinator = entry.runtime_data.coordinator
    accepted = coordinator.accepted

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(BATTERY_VOLTAGE).state == STATE_UNAVAILABLE

    # Subscriptions are released: telemetry no longer reaches the integration.
    fire(hass, load_messages("powermon_lvx.json"))
    fire(hass, [("homeassistant/sensor/lvx6048_1_battery_voltage/state", "49.0")])
    await hass.async_block_till_done()
    assert coordinator.accepted == accepted
    assert hass.states.get(BATTERY_VOLTAGE).state == STATE_UNAVAILABLE
    # ... and the broker is told (the unsubscribe is debounced by the MQTT client).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=10))
    await hass.async_block_till_done()
    unsubscribed = {
        topic for call in mqtt_client_mock.unsubscribe.call_args_list for topic in call.args[0]
    }
    assert "homeassistant/sensor/+/state" in unsubscribed

    # The devices and entities stay registered for when the entry is loaded again.
    assert _entities(hass, entry)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    fire(hass, [("homeassistant/sensor/lvx6048_1_battery_voltage/state", "52.1")])
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY_VOLTAGE).state == "52.1"


async def test_solar_assistant_setup_and_unload(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    entry = solar_assistant_loaded
    voltage = "sensor.eg4_via_solar_assistant_solar_assistant_inverter_1_battery_voltage"
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(voltage).state == "53.2"
    coordinator = entry.runtime_data.coordinator
    accepted = coordinator.accepted

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    fire(hass, [("solar_assistant/inverter_1/battery_voltage/state", "50.0")])
    await hass.async_block_till_done()
    assert coordinator.accepted == accepted
    assert hass.states.get(voltage).state == STATE_UNAVAILABLE


async def test_setup_retries_without_mqtt(
    hass: HomeAssistant, powermon_entry: MockConfigEntry
) -> None:
    """No MQTT integration at all: the entry waits for it instead of failing for good."""
    powermon_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(powermon_entry.entry_id)
    await hass.async_block_till_done()
    assert powermon_entry.state is ConfigEntryState.SETUP_RETRY
    assert powermon_entry.error_reason_translation_key == "mqtt_unavailable"
    assert not er.async_entries_for_config_entry(er.async_get(hass), powermon_entry.entry_id)


async def test_setup_retries_until_mqtt_is_available(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    powermon_entry.add_to_hass(hass)
    with patch(WAIT_FOR_MQTT, AsyncMock(return_value=False)) as wait:
        await hass.config_entries.async_setup(powermon_entry.entry_id)
        await hass.async_block_till_done()
    wait.assert_awaited()
    assert powermon_entry.state is ConfigEntryState.SETUP_RETRY
    assert powermon_entry.error_reason_translation_key == "mqtt_unavailable"
    assert hass.states.get(BATTERY_VOLTAGE) is None

    # MQTT is up now: the scheduled retry (a background task) sets the entry up.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert powermon_entry.state is ConfigEntryState.LOADED
    fire(hass, load_messages("powermon_lvx.json"))
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY_VOLTAGE).state == "53.4"


async def test_unknown_transport_is_a_setup_error(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, "transport": "modbus_tcp"},
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "unknown_transport"
    assert not er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert not dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)


# ---- devices -----------------------------------------------------------------------------


async def test_powermon_devices(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    entry = powermon_loaded
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    by_id = {next(iter(d.identifiers)): d for d in devices}
    assert all(len(d.identifiers) == 1 for d in devices)

    group = by_id.pop((DOMAIN, f"{entry.entry_id}_system"))
    assert group.name == "EG4 lvx6048"
    assert group.model == "Parallel group"
    assert group.manufacturer == "EG4 Electronics"
    assert group.via_device_id is None

    expected = {
        **{
            (DOMAIN, f"{entry.entry_id}_inverter_{n}"): (f"EG4 lvx6048 Inverter {n}", "LVX6048")
            for n in (1, 2)
        },
        **{
            (DOMAIN, f"{entry.entry_id}_pack_{n}"): (f"EG4 lvx6048 Battery {n}", "LifePower4")
            for n in range(1, 7)
        },
    }
    assert {key: (d.name, d.model) for key, d in by_id.items()} == expected
    for device in by_id.values():
        assert device.manufacturer == "EG4 Electronics"
        assert device.via_device_id == group.id

    # Every entity belongs to one of these devices: group settings on the group device.
    device_of = {d.id: d for d in devices}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        device = device_of[entity.device_id]
        scope = entity.unique_id.removeprefix(f"{entry.entry_id}_")
        if scope.startswith("system_"):
            assert device is group
        else:
            kind, index, _ = scope.split("_", 2)
            assert device.identifiers == {(DOMAIN, f"{entry.entry_id}_{kind}_{index}")}


async def test_solar_assistant_devices(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    entry = solar_assistant_loaded
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    group = next(d for d in devices if d.model == "Parallel group")
    assert group.name == "EG4 via Solar Assistant (solar_assistant)"
    assert sorted(d.name for d in devices if d is not group) == sorted(
        [f"EG4 via Solar Assistant (solar_assistant) Inverter {n}" for n in (1, 2)]
        + [f"EG4 via Solar Assistant (solar_assistant) Battery {n}" for n in range(1, 7)]
    )
    assert all(d.via_device_id == group.id for d in devices if d is not group)


# ---- entities per profile ----------------------------------------------------------------


async def test_powermon_entities(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    entities = _entities(hass, powermon_loaded)
    scopes = {scope for scope, _ in entities}
    assert scopes == {"system", "inverter_1", "inverter_2", *(f"pack_{n}" for n in range(1, 7))}

    assert {key: entities["system", key] for key in _keys(entities, "system")} == {
        **{key: platform for platform, keys in GROUP_ENTITIES.items() for key in keys},
        **dict.fromkeys(POWERMON_ENERGY, "sensor"),
    }
    for n in (1, 2):
        assert _keys(entities, f"inverter_{n}") == POWERMON_INVERTER_KEYS
    for n in range(1, 7):
        assert _keys(entities, f"pack_{n}") == POWERMON_PACK_KEYS
        assert entities[f"pack_{n}", "protection"] == "binary_sensor"
        # powermon's LifePower4 topics carry neither pack power nor cycle count.
        assert not _keys(entities, f"pack_{n}") & {"power", "cycles"}
    # Inverter readings powermon does not publish.
    assert not _keys(entities, "inverter_1") & {"battery_current", "temperature"}
    # Everything has a value but the cancel button: it is there only while a run is.
    assert [
        e.entity_id
        for e in entries_on(hass, powermon_loaded.entry_id)
        if hass.states.get(e.entity_id).state == STATE_UNAVAILABLE
    ] == ["button.eg4_lvx6048_cancel_calibration"]


async def test_solar_assistant_entities(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    entities = _entities(hass, solar_assistant_loaded)
    scopes = {scope for scope, _ in entities}
    assert scopes == {"system", "inverter_1", "inverter_2", *(f"pack_{n}" for n in range(1, 7))}

    assert {key: entities["system", key] for key in _keys(entities, "system")} == {
        **{key: platform for platform, keys in GROUP_ENTITIES.items() for key in keys},
        **dict.fromkeys(SOLAR_ASSISTANT_ENERGY, "sensor"),
    }
    for n in (1, 2):
        inverter = _keys(entities, f"inverter_{n}")
        assert inverter == SOLAR_ASSISTANT_INVERTER_KEYS
        assert "line_direction" not in inverter
    for n in range(1, 7):
        pack = _keys(entities, f"pack_{n}")
        assert pack == SOLAR_ASSISTANT_PACK_KEYS
        # Solar Assistant reports no BMS protection flags.
        assert "protection" not in pack
    assert sorted(key for key, platform in entities.items() if platform == "binary_sensor") == [
        ("system", "settings_mismatch"),
        ("system", "soc_drift"),
    ]


async def test_single_inverter_has_no_settings_mismatch_sensor(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, "inverter_count": 1, "pack_count": 2},
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = _entities(hass, entry)
    assert {scope for scope, _ in entities} == {"system", "inverter_1", "pack_1", "pack_2"}
    assert "settings_mismatch" not in _keys(entities, "system")
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 4


async def test_without_packs_there_is_no_drift_and_no_bank_figure(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Drift, and the bank's figures a run is watched by, need packs; the run's own record
    and its cancel button do not."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, "pack_count": 0},
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = _entities(hass, entry)
    assert {scope for scope, _ in entities} == {"system", "inverter_1", "inverter_2"}
    system = _keys(entities, "system")
    assert not system & {
        "soc_spread",
        "voltage_spread",
        "soc_drift",
        "batteries_reanchored",
        "highest_cell_voltage",
        "highest_battery_current",
    }
    assert {"calibration_state", "last_successful_calibration", "cancel_calibration"} <= system


async def test_powermon_without_number_commands_has_no_numbers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={
            **POWERMON_DATA,
            "max_charge_current_command": "",
            "max_utility_charge_current_command": "",
            "stop_charge_voltage_command": "",
        },
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = _entities(hass, entry)
    assert not [key for key, platform in entities.items() if platform == "number"]
    assert {key for (scope, key), p in entities.items() if scope == "system"} == {
        "settings_mismatch",
        "output_priority",
        "charger_priority",
        *DRIFT_AND_CALIBRATION["binary_sensor"],
        *DRIFT_AND_CALIBRATION["sensor"],
        *DRIFT_AND_CALIBRATION["button"],
        *POWERMON_ENERGY,
    }
    # The read-backs of those settings are still shown per inverter.
    assert "max_charge_current" in _keys(entities, "inverter_1")


async def test_removing_an_entry_mid_calibration_says_what_to_restore(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Deleted while a run's settings were not confirmed restored: a notification lists them.

    The record and the entry's repair issues go with the entry.
    """
    response = await hass.services.async_call(
        DOMAIN,
        "run_calibration",
        {"config_entry_id": powermon_loaded.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    key = f"eg4.calibration.{powermon_loaded.entry_id}"
    await hass.async_block_till_done()
    assert hass_storage[key]["data"]["run"]["phase"] == "engaging"
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"drift_{powermon_loaded.entry_id}",
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="soc_drift",
        translation_placeholders={"spread": "26", "pack": "6"},
        data={"entry_id": powermon_loaded.entry_id},
    )

    assert await hass.config_entries.async_remove(powermon_loaded.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"drift_{powermon_loaded.entry_id}") is None
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    notification = notifications[f"{DOMAIN}_removed_{powermon_loaded.entry_id}"]
    assert notification["message"] == (
        "EG4 lvx6048 was removed while a calibration's everyday settings were not confirmed "
        "restored. Check the inverters and set them back: inverter 1: output_priority = sbu, "
        "charger_priority = solar_first; inverter 2: output_priority = sbu, "
        "charger_priority = solar_first."
    )


async def test_removing_an_idle_entry_leaves_no_record(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """No run: the record is dropped and nothing is announced."""
    key = f"eg4.calibration.{powermon_loaded.entry_id}"
    assert await hass.config_entries.async_remove(powermon_loaded.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    assert f"{DOMAIN}_removed_{powermon_loaded.entry_id}" not in notifications


async def test_unreadable_stored_run_raises_the_critical_repair(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    powermon_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A stored run that cannot be read might hold settings to restore: say so, loudly."""
    hass_storage[f"eg4.calibration.{powermon_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"eg4.calibration.{powermon_entry.entry_id}",
        "data": {"run": {"run_id": "abc", "phase": "bulk"}, "last": None},
    }
    powermon_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(powermon_entry.entry_id)
    await hass.async_block_till_done()
    assert powermon_entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"revert_failed_{powermon_entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert issue.translation_placeholders == {"detail": "stored run unreadable"}
    # Nothing will ever retry it: it must not outlive the next restart.
    assert issue.is_persistent is False
    assert powermon_entry.runtime_data.supervisor.run is None
    assert hass_storage[f"eg4.calibration.{powermon_entry.entry_id}"]["data"]["run"] is None
