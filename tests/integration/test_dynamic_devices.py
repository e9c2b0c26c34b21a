"""Dynamic devices: packs and units that start publishing after set-up join without a reload.

The entry grows by itself (its stored counts or datalogs follow), so a restart creates the new
devices at once; the running entry is not reloaded (a reload would end a running calibration).
A retained message alone adds nothing: what the broker kept of a removed pack is no pack.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.const import (
    CONF_DATALOGS,
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    DOMAIN,
)

from .conftest import (
    LXP_DATALOGS,
    LXP_INPUTS,
    POWERMON_DATA,
    fire,
    load_messages,
    setup_entry,
)
from .writes_helpers import published, settle, start_call

PM = "homeassistant/sensor"
SA = "solar_assistant"
NEW_DATALOG = "BA55555555"


def _device(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> dr.DeviceEntry | None:
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return next((d for d in devices if d.name == name), None)


def _entity_ids(hass: HomeAssistant, device: dr.DeviceEntry) -> set[str]:
    return {e.entity_id for e in er.async_entries_for_device(er.async_get(hass), device.id)}


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


# ---- powermon -------------------------------------------------------------------------------


async def test_powermon_pack_published_later_joins_without_reload(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Pack 7's BMS topics appear: its device and entities are created, the entry keeps running."""
    entry = powermon_loaded
    running = entry.runtime_data.coordinator
    assert _device(hass, entry, "EG4 lvx6048 Battery 7") is None

    fire(
        hass,
        [
            (f"{PM}/lifepower4_7_soc/state", "64"),
            (f"{PM}/lifepower4_7_pack_voltage/state", "53.2"),
            (f"{PM}/lifepower4_7_protection/state", "charge_overcurrent"),
        ],
    )
    await hass.async_block_till_done()

    device = _device(hass, entry, "EG4 lvx6048 Battery 7")
    assert device is not None
    ids = _entity_ids(hass, device)
    assert "sensor.eg4_lvx6048_battery_7_state_of_charge" in ids
    assert "binary_sensor.eg4_lvx6048_battery_7_protection" in ids
    assert _state(hass, "sensor.eg4_lvx6048_battery_7_state_of_charge") == "64.0"
    assert _state(hass, "sensor.eg4_lvx6048_battery_7_voltage") == "53.2"
    assert _state(hass, "binary_sensor.eg4_lvx6048_battery_7_protection") == "on"
    # Not reloaded: the same coordinator, loaded; the entry remembers the seventh pack.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is running
    assert entry.data[CONF_PACK_COUNT] == 7
    assert entry.data[CONF_INVERTER_COUNT] == 2

    # Later values update the new entities like any other.
    fire(hass, [(f"{PM}/lifepower4_7_soc/state", "65")])
    await hass.async_block_till_done()
    assert _state(hass, "sensor.eg4_lvx6048_battery_7_state_of_charge") == "65.0"

    await _restart(hass, entry)
    assert entry.runtime_data.coordinator is not running
    assert hass.states.get("sensor.eg4_lvx6048_battery_7_state_of_charge") is not None
    assert _device(hass, entry, "EG4 lvx6048 Battery 7") is not None


async def test_powermon_unit_published_later_joins_the_group(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A third unit's powermon: its device and sensors appear, group settings include it."""
    entry = powermon_loaded
    running = entry.runtime_data.coordinator
    mismatch = "binary_sensor.eg4_lvx6048_settings_mismatch"
    assert _state(hass, mismatch) == "off"

    fire(
        hass,
        [
            (f"{PM}/lvx6048_3_battery_voltage/state", "53.4"),
            (f"{PM}/lvx6048_3_output_source_priority/state", "Solar - Utility - Battery"),
        ],
    )
    await hass.async_block_till_done()

    device = _device(hass, entry, "EG4 lvx6048 Inverter 3")
    assert device is not None
    assert "sensor.eg4_lvx6048_inverter_3_battery_voltage" in _entity_ids(hass, device)
    assert _state(hass, "sensor.eg4_lvx6048_inverter_3_battery_voltage") == "53.4"
    # The new unit disagrees with the other two on output priority: the group says so.
    assert _state(hass, mismatch) == "on"
    assert _state(hass, "select.eg4_lvx6048_output_priority") == "unknown"
    assert entry.runtime_data.coordinator is running
    assert entry.data[CONF_INVERTER_COUNT] == 3

    # The group setting follows the new unit's later reports (it listens to it now).
    fire(hass, [(f"{PM}/lvx6048_3_output_source_priority/state", "Solar - Battery - Utility")])
    await hass.async_block_till_done()
    assert _state(hass, mismatch) == "off"
    assert _state(hass, "select.eg4_lvx6048_output_priority") == "sbu"


async def test_a_gap_is_filled_like_a_configured_count(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Pack 9 before pack 8: the stored count is 9, and pack 8 exists, waiting for data."""
    entry = powermon_loaded
    fire(hass, [(f"{PM}/lifepower4_9_soc/state", "70")])
    await hass.async_block_till_done()
    assert entry.data[CONF_PACK_COUNT] == 9
    assert _state(hass, "sensor.eg4_lvx6048_battery_9_state_of_charge") == "70.0"
    assert _state(hass, "sensor.eg4_lvx6048_battery_8_state_of_charge") == "unavailable"


async def test_retained_messages_alone_add_nothing(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """What the broker kept of a pack that is gone is not a pack; beyond the limits neither."""
    entry = powermon_loaded
    entities = set(er.async_get(hass).entities)
    async_fire_mqtt_message(hass, f"{PM}/lifepower4_7_soc/state", "64", retain=True)
    fire(
        hass,
        [
            (f"{PM}/lifepower4_33_soc/state", "64"),  # 32 packs at most
            (f"{PM}/lvx6048_10_battery_voltage/state", "53.4"),  # 9 units at most
        ],
    )
    await hass.async_block_till_done()
    assert set(er.async_get(hass).entities) == entities
    assert entry.data[CONF_PACK_COUNT] == 6
    assert entry.data[CONF_INVERTER_COUNT] == 2


async def test_a_user_change_still_reloads(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Only the entry's own growth is taken without a reload; a changed count is applied."""
    entry = powermon_loaded
    running = entry.runtime_data.coordinator
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_PACK_COUNT: 5})
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator is not running
    assert hass.states.get("sensor.eg4_lvx6048_battery_6_state_of_charge") is None


async def test_with_the_option_off_a_pack_that_still_publishes_stays_out(
    hass: HomeAssistant, mqtt_mock: Any
) -> None:
    """Lowering the count keeps pack 6 out only if it is not added back: the option says."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, CONF_PACK_COUNT: 5},
        options={"add_new_sources": False},
    )
    await setup_entry(hass, entry)
    entities = set(er.async_get(hass).entities)
    fire(hass, load_messages("powermon_lvx.json"))  # pack 6 publishes as before
    await hass.async_block_till_done()
    assert set(er.async_get(hass).entities) == entities
    assert entry.data[CONF_PACK_COUNT] == 5
    assert _state(hass, "sensor.eg4_lvx6048_battery_5_state_of_charge") != "unavailable"


# ---- Solar Assistant ------------------------------------------------------------------------


async def test_solar_assistant_battery_and_inverter_published_later_join(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """battery_7 and inverter_3 topics appear: devices, entities, stored counts, no reload."""
    entry = solar_assistant_loaded
    running = entry.runtime_data.coordinator
    name = "EG4 via Solar Assistant (solar_assistant)"
    entity = "sensor.eg4_via_solar_assistant_solar_assistant"
    fire(
        hass,
        [
            (f"{SA}/battery_7/state_of_charge/state", "58"),
            (f"{SA}/battery_7/voltage/state", "52.9"),
            (f"{SA}/inverter_3/pv_power/state", "1200"),
        ],
    )
    await hass.async_block_till_done()

    pack = _device(hass, entry, f"{name} Battery 7")
    unit = _device(hass, entry, f"{name} Inverter 3")
    assert pack is not None
    assert unit is not None
    assert f"{entity}_battery_7_state_of_charge" in _entity_ids(hass, pack)
    assert f"{entity}_inverter_3_pv_power" in _entity_ids(hass, unit)
    assert _state(hass, f"{entity}_battery_7_state_of_charge") == "58.0"
    assert _state(hass, f"{entity}_inverter_3_pv_power") == "1200.0"
    assert entry.runtime_data.coordinator is running
    assert (entry.data[CONF_INVERTER_COUNT], entry.data[CONF_PACK_COUNT]) == (3, 7)

    await _restart(hass, entry)
    assert hass.states.get(f"{entity}_battery_7_state_of_charge") is not None
    assert hass.states.get(f"{entity}_inverter_3_pv_power") is not None


# ---- lxp-bridge -----------------------------------------------------------------------------


async def test_lxp_bridge_datalog_published_later_joins(
    hass: HomeAssistant, mqtt_mock: Any, lxp_bridge_loaded: MockConfigEntry
) -> None:
    """A third datalog's inputs: its inverter and battery join, writes reach it, it is stored.

    Its retained holding registers, delivered before its first inputs, are not lost: they
    are its read-backs once it joins.
    """
    entry = lxp_bridge_loaded
    running = entry.runtime_data.coordinator
    prefix = "sensor.eg4_via_lxp_bridge_lxp"
    for register, value in ((101, "100"), (102, "150"), (67, "90"), (21, "29521")):
        async_fire_mqtt_message(hass, f"lxp/{NEW_DATALOG}/hold/{register}", value, retain=True)
    await hass.async_block_till_done()
    assert hass.states.get(f"{prefix}_battery_3_state_of_charge") is None

    async_fire_mqtt_message(
        hass, f"lxp/{NEW_DATALOG}/inputs/all", json.dumps({**LXP_INPUTS, "soc": 61})
    )
    await hass.async_block_till_done()

    name = "EG4 via lxp-bridge (lxp)"
    assert _device(hass, entry, f"{name} Inverter 3") is not None
    assert _device(hass, entry, f"{name} Battery 3") is not None
    assert _state(hass, f"{prefix}_battery_3_state_of_charge") == "61.0"
    assert float(_state(hass, f"{prefix}_inverter_3_max_charge_current")) == 100
    assert entry.runtime_data.coordinator is running
    assert entry.data[CONF_DATALOGS] == [*LXP_DATALOGS, NEW_DATALOG]
    assert (entry.data[CONF_INVERTER_COUNT], entry.data[CONF_PACK_COUNT]) == (3, 3)
    assert entry.unique_id == f"lxp_bridge:lxp:{','.join([*LXP_DATALOGS, NEW_DATALOG])}"
    # The group's charge current is the same on all three: shown, and written to each.
    number = "number.eg4_via_lxp_bridge_lxp_max_charge_current"
    assert _state(hass, number) == "100"
    mqtt_mock.async_publish.reset_mock()
    task = start_call(hass, "number", "set_value", {"entity_id": number, "value": 80})
    await settle()
    for datalog in [*LXP_DATALOGS, NEW_DATALOG]:
        assert published(mqtt_mock)[-1] == (f"lxp/cmd/{datalog}/set/hold/101", "80", 1, False)
        async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/101", "80")
        await settle()
    await task
    assert _state(hass, number) == "80"

    await _restart(hass, entry)
    assert hass.states.get(f"{prefix}_battery_3_state_of_charge") is not None


async def test_lxp_bridge_retained_registers_of_an_unknown_datalog_add_nothing(
    hass: HomeAssistant, lxp_bridge_loaded: MockConfigEntry
) -> None:
    """Holding registers are retained: a datalog that only has them on the broker is gone."""
    entry = lxp_bridge_loaded
    entities = set(er.async_get(hass).entities)
    async_fire_mqtt_message(hass, f"lxp/{NEW_DATALOG}/hold/101", "100", retain=True)
    async_fire_mqtt_message(hass, f"lxp/{NEW_DATALOG}/hold/101", "90")
    async_fire_mqtt_message(hass, "lxp/result/BA99999999/hold/101", "OK")
    await hass.async_block_till_done()
    assert set(er.async_get(hass).entities) == entities
    assert entry.data[CONF_DATALOGS] == LXP_DATALOGS


async def test_lxp_bridge_datalog_of_another_entry_does_not_join(
    hass: HomeAssistant, lxp_bridge_loaded: MockConfigEntry
) -> None:
    """One bridge, two systems: the barn entry's datalog stays the barn's."""
    house = lxp_bridge_loaded
    barn = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 barn",
        data={**house.data, CONF_DATALOGS: [NEW_DATALOG], "inverter_count": 1, "pack_count": 1},
        unique_id=f"lxp_bridge:lxp:{NEW_DATALOG}",
    )
    await setup_entry(hass, barn)
    async_fire_mqtt_message(
        hass, f"lxp/{NEW_DATALOG}/inputs/all", json.dumps({**LXP_INPUTS, "soc": 61})
    )
    await hass.async_block_till_done()
    assert house.data[CONF_DATALOGS] == LXP_DATALOGS
    assert sorted(house.runtime_data.coordinator.data.inverters) == [1, 2]
    assert _state(hass, "sensor.eg4_barn_battery_1_state_of_charge") == "61.0"
