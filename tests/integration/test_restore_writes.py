"""Restoring writes (the calibration's revert): every unit is tried, nothing is rolled back.

An ordinary write keeps the group in step (a unit that took a value another refused is put
back). A restore must not: the value restored ends a grid charge, and rolling a unit back
would start it again. A restore is sent to every unit whatever its cached read-back says, and
only a read-back received after the command confirms it. These tests drive the writer
directly, the way the calibration supervisor does, and look at what reaches the bridges.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.model import ChargerPriority, OutputPriority, SettingKey

from .writes_helpers import pass_time, published, settle

SA = "solar_assistant/inverter_{n}/{key}/state"
SA_SET = "solar_assistant/inverter_{n}/charger_source_priority/set"
SA_RESPONSE = "solar_assistant/set/response_message/state"
PM = "homeassistant/sensor/lvx6048_{n}_{key}/state"
PM_OUTPUT = "solar/control/lvx6048/output_priority"


def restore(hass: HomeAssistant, entry: MockConfigEntry, key: SettingKey, value: Any) -> Any:
    """The supervisor's restoring write, started in the background."""
    writer = entry.runtime_data.coordinator.writer
    return hass.async_create_task(writer.async_restore(key, value, (1, 2)))


def commands(mqtt_mock: Any) -> list[tuple[str, str]]:
    """(topic, payload) of every command published."""
    return [(topic, payload) for topic, payload, *_ in published(mqtt_mock)]


async def test_unit_refusing_does_not_stop_the_next_unit(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 1 refuses: unit 2 is still sent the value and takes it; the error names unit 1.

    Both commands leave at once. Solar Assistant's one response topic does not say which
    unit refused, so the refusal ends neither wait: unit 2 is confirmed by its read-back,
    unit 1 by none (its wait runs out).
    """
    mqtt_mock.async_publish.reset_mock()
    call = restore(hass, solar_assistant_loaded, SettingKey.CHARGER_PRIORITY, "solar_only")
    await settle()
    assert commands(mqtt_mock) == [
        (SA_SET.format(n=1), "Solar only"),
        (SA_SET.format(n=2), "Solar only"),
    ]
    async_fire_mqtt_message(hass, SA_RESPONSE, "Error: not allowed")
    async_fire_mqtt_message(hass, SA_RESPONSE, "Saved")
    async_fire_mqtt_message(hass, SA.format(n=2, key="charger_source_priority"), "Solar only")
    await settle()
    assert not call.done()
    await pass_time(hass, 61)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_refused"
    assert err.value.translation_placeholders["units"] == "1"
    assert err.value.translation_placeholders["message"] == "Error: not allowed"
    assert commands(mqtt_mock) == [
        (SA_SET.format(n=1), "Solar only"),
        (SA_SET.format(n=2), "Solar only"),
    ]
    state = solar_assistant_loaded.runtime_data.coordinator.data
    assert (
        state.inverters[2].settings.get(SettingKey.CHARGER_PRIORITY) is ChargerPriority.SOLAR_ONLY
    )


async def test_unit_that_took_the_value_is_not_rolled_back(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 1 takes the value, unit 2 never reads it back: unit 1 keeps it (no rollback)."""
    mqtt_mock.async_publish.reset_mock()
    call = restore(hass, solar_assistant_loaded, SettingKey.CHARGER_PRIORITY, "solar_only")
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Saved")
    async_fire_mqtt_message(hass, SA.format(n=1, key="charger_source_priority"), "Solar only")
    await settle()
    await pass_time(hass, 61)  # unit 2's read-back never comes
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_not_confirmed"
    assert err.value.translation_placeholders["units"] == "2"
    assert commands(mqtt_mock) == [
        (SA_SET.format(n=1), "Solar only"),
        (SA_SET.format(n=2), "Solar only"),
    ]  # nothing sent back to unit 1
    state = solar_assistant_loaded.runtime_data.coordinator.data
    assert (
        state.inverters[1].settings.get(SettingKey.CHARGER_PRIORITY) is ChargerPriority.SOLAR_ONLY
    )


async def test_every_unit_is_sent_the_value_whatever_its_read_back_says(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 1 already reads the value: it is sent all the same (it may still apply an earlier
    command late), and only read-backs that arrive after the commands confirm the restore."""
    async_fire_mqtt_message(hass, SA.format(n=1, key="charger_source_priority"), "Solar only")
    await settle()
    mqtt_mock.async_publish.reset_mock()
    call = restore(hass, solar_assistant_loaded, SettingKey.CHARGER_PRIORITY, "solar_only")
    await settle()
    assert commands(mqtt_mock) == [
        (SA_SET.format(n=1), "Solar only"),
        (SA_SET.format(n=2), "Solar only"),
    ]
    async_fire_mqtt_message(hass, SA.format(n=2, key="charger_source_priority"), "Solar only")
    await settle()
    assert not call.done()  # unit 1's cached "Solar only" is no confirmation
    async_fire_mqtt_message(hass, SA.format(n=1, key="charger_source_priority"), "Solar only")
    await settle()
    assert call.done()
    await call


async def test_broadcast_restore_is_not_rolled_back(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """lvx-control: one command for both units; unit 2 never takes it; no rollback is sent."""
    async_fire_mqtt_message(
        hass, PM.format(n=1, key="output_source_priority"), "Solar - Utility - Battery"
    )
    async_fire_mqtt_message(
        hass, PM.format(n=2, key="output_source_priority"), "Solar - Utility - Battery"
    )
    await settle()
    mqtt_mock.async_publish.reset_mock()
    call = restore(hass, powermon_loaded, SettingKey.OUTPUT_PRIORITY, OutputPriority.SBU)
    await settle()
    async_fire_mqtt_message(
        hass, PM.format(n=1, key="output_source_priority"), "Solar - Battery - Utility"
    )
    await pass_time(hass, 61)
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_not_confirmed"
    assert err.value.translation_placeholders["units"] == "2"
    assert commands(mqtt_mock) == [(PM_OUTPUT, "solar_battery_utility")]
    state = powermon_loaded.runtime_data.coordinator.data
    assert state.inverters[1].settings.get(SettingKey.OUTPUT_PRIORITY) is OutputPriority.SBU
    assert state.inverters[2].settings.get(SettingKey.OUTPUT_PRIORITY) is OutputPriority.SUB


async def test_ordinary_write_still_rolls_back(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Without ``restore`` the group is kept in step: the contrast to the tests above."""
    mqtt_mock.async_publish.reset_mock()
    coordinator = solar_assistant_loaded.runtime_data.coordinator
    call = asyncio.ensure_future(
        coordinator.async_write_setting(SettingKey.CHARGER_PRIORITY, "solar_only")
    )
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Saved")
    async_fire_mqtt_message(hass, SA.format(n=1, key="charger_source_priority"), "Solar only")
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Error: not allowed")
    await settle()
    async_fire_mqtt_message(hass, SA.format(n=1, key="charger_source_priority"), "Solar first")
    with pytest.raises(HomeAssistantError):
        await call
    assert commands(mqtt_mock)[-1] == (SA_SET.format(n=1), "Solar first")


async def test_restore_that_cannot_be_sent_raises_the_send_error(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """The broker is gone: every unit's send fails, and the error says why."""
    mqtt_mock.async_publish.side_effect = HomeAssistantError("not connected")
    call = restore(hass, solar_assistant_loaded, SettingKey.CHARGER_PRIORITY, "solar_only")
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "send_failed"
    assert err.value.translation_placeholders == {
        "setting": "charger_priority",
        "error": "not connected",
    }
    assert mqtt_mock.async_publish.call_count == 2  # both units were tried


async def test_a_setting_the_bridge_cannot_write_is_refused(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """lvx-control has no AC-charge stop SoC: refused before anything is published."""
    mqtt_mock.async_publish.reset_mock()
    coordinator = powermon_loaded.runtime_data.coordinator
    with pytest.raises(ServiceValidationError) as err:
        await coordinator.writer.async_restore(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, (1, 2))
    assert err.value.translation_key == "setting_not_supported"
    assert err.value.translation_placeholders == {"setting": "ac_charge_soc_limit"}
    assert commands(mqtt_mock) == []
