"""Binary sensors: pack protection and settings mismatch between parallel units."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from .conftest import fire, projection

TOPIC = "homeassistant/sensor"
PROTECTION_3 = "binary_sensor.eg4_lvx6048_battery_3_protection"
MISMATCH = "binary_sensor.eg4_lvx6048_settings_mismatch"


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


async def _send(hass: HomeAssistant, topic_level: str, payload: str) -> None:
    fire(hass, [(f"{TOPIC}/{topic_level}/state", payload)])
    await hass.async_block_till_done()


async def test_protection_entities(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    """One protection sensor per pack, a problem sensor, off with the realistic set."""
    for pack in range(1, 7):
        state = _state(hass, f"binary_sensor.eg4_lvx6048_battery_{pack}_protection")
        assert state.state == STATE_OFF
        assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.PROBLEM
        assert state.attributes["flags"] == []


async def test_pack_protection_flags(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    """Protection turns on with the BMS's flags and off again when it clears."""
    await _send(hass, "lifepower4_3_protection", "none")
    assert _state(hass, PROTECTION_3).state == STATE_OFF

    await _send(hass, "lifepower4_3_protection", "cell_over_voltage,over_temperature")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_ON
    assert state.attributes["flags"] == ["cell_over_voltage", "over_temperature"]
    # Only pack 3 is affected.
    assert _state(hass, "binary_sensor.eg4_lvx6048_battery_2_protection").state == STATE_OFF

    # A different set of flags while still on updates the attribute.
    await _send(hass, "lifepower4_3_protection", "over_temperature")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_ON
    assert state.attributes["flags"] == ["over_temperature"]

    await _send(hass, "lifepower4_3_protection", "none")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_OFF
    assert state.attributes["flags"] == []


async def test_pack_protection_bitmask(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A numeric, non-zero protection code is on, with the code as a flag; 0 is off."""
    await _send(hass, "lifepower4_3_protection", "5")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_ON
    assert state.attributes["flags"] == ["code_5"]

    await _send(hass, "lifepower4_3_protection", "0")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_OFF
    assert state.attributes["flags"] == []


async def test_pack_protection_ignores_garbage(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """An unparseable protection payload neither raises nor clears an active protection."""
    await _send(hass, "lifepower4_3_protection", "over_current")
    await _send(hass, "lifepower4_3_protection", "!!! <b>bad</b>")
    state = _state(hass, PROTECTION_3)
    assert state.state == STATE_ON
    assert state.attributes["flags"] == ["over_current"]


async def test_settings_mismatch(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    """On while the units report different settings, naming the settings that differ."""
    state = _state(hass, MISMATCH)
    assert state.state == STATE_OFF
    assert state.attributes["settings"] == []
    assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.PROBLEM
    entry = er.async_get(hass).async_get(MISMATCH)
    assert entry is not None
    assert entry.entity_category is EntityCategory.DIAGNOSTIC

    await _send(hass, "lvx6048_2_output_source_priority", "Solar - Utility - Battery")
    state = _state(hass, MISMATCH)
    assert state.state == STATE_ON
    assert state.attributes["settings"] == ["output_priority"]
    # The group select cannot show one value while the units disagree.
    assert _state(hass, "select.eg4_lvx6048_output_priority").state == "unknown"

    await _send(hass, "lvx6048_2_battery_re-discharge_voltage", "52.0")
    state = _state(hass, MISMATCH)
    assert state.state == STATE_ON
    assert state.attributes["settings"] == ["output_priority", "stop_charge_voltage"]

    await _send(hass, "lvx6048_2_output_source_priority", "Solar - Battery - Utility")
    await _send(hass, "lvx6048_2_battery_re-discharge_voltage", "53.0")
    state = _state(hass, MISMATCH)
    assert state.state == STATE_OFF
    assert state.attributes["settings"] == []
    assert _state(hass, "select.eg4_lvx6048_output_priority").state == "sbu"


async def test_settings_mismatch_both_units_change(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Unit 1 changing first shows a mismatch; unit 2 following clears it."""
    await _send(hass, "lvx6048_1_charger_source_priority", "Solar Only")
    assert _state(hass, MISMATCH).attributes["settings"] == ["charger_priority"]
    await _send(hass, "lvx6048_2_charger_source_priority", "Only Solar")
    assert _state(hass, MISMATCH).state == STATE_OFF
    assert _state(hass, "select.eg4_lvx6048_charger_priority").state == "solar_only"


async def test_solar_assistant_settings_mismatch(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """The same for Solar Assistant; it has no pack protection sensor."""
    mismatch = "binary_sensor.eg4_via_solar_assistant_solar_assistant_settings_mismatch"
    assert _state(hass, mismatch).state == STATE_OFF
    fire(hass, [("solar_assistant/inverter_2/max_charge_current/state", "60")])
    await hass.async_block_till_done()
    state = _state(hass, mismatch)
    assert state.state == STATE_ON
    assert state.attributes["settings"] == ["max_charge_current"]
    fire(hass, [("solar_assistant/inverter_2/max_charge_current/state", "80")])
    await hass.async_block_till_done()
    assert _state(hass, mismatch).state == STATE_OFF
    assert not [
        e for e in hass.states.async_entity_ids("binary_sensor") if e.endswith("_protection")
    ]


async def test_binary_sensors_snapshot(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every binary sensor of a powermon + lvx-control system, with the flags it lists."""
    sensors = projection(hass, powermon_loaded, "binary_sensor", ("flags", "settings"))
    assert sensors == snapshot
