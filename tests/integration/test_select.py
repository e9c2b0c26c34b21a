"""Output and charger priority selects: verified writes through both bridge profiles."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from syrupy.assertion import SnapshotAssertion

from .conftest import projection, setup_entry
from .writes_helpers import pass_time, published, settle, start_call

OUTPUT = "select.eg4_lvx6048_output_priority"
CHARGER = "select.eg4_lvx6048_charger_priority"
SA_OUTPUT = "select.eg4_via_solar_assistant_solar_assistant_output_priority"
SA_CHARGER = "select.eg4_via_solar_assistant_solar_assistant_charger_priority"
PM = "homeassistant/sensor/lvx6048_{n}_{key}/state"
SA = "solar_assistant/inverter_{n}/{key}/state"
SA_RESPONSE = "solar_assistant/set/response_message/state"


def readback(hass: HomeAssistant, n: int, key: str, value: str, template: str = PM) -> None:
    async_fire_mqtt_message(hass, template.format(n=n, key=key), value)


async def write_error(call: Any, key: str) -> HomeAssistantError:
    """The write ``call`` fails with the translated error ``key``; the error."""
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == key
    return err.value


async def test_initial_state_and_options(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Both units report SBU + solar first: the group selects show it."""
    state = hass.states.get(OUTPUT)
    assert state.state == "sbu"
    assert state.attributes["options"] == ["sub", "sbu"]
    charger = hass.states.get(CHARGER)
    assert charger.state == "solar_first"
    assert charger.attributes["options"] == ["solar_first", "solar_and_utility", "solar_only"]


async def test_select_sub_confirms_only_after_both_units(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """SUB is published once to lvx-control and confirmed by both units' read-back."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(hass, "select", "select_option", {"entity_id": OUTPUT, "option": "sub"})
    await settle()
    assert published(mqtt_mock) == [
        ("solar/control/lvx6048/output_priority", "solar_utility_battery", 1, False)
    ]
    assert not call.done()

    readback(hass, 1, "output_source_priority", "Solar - Utility - Battery")
    await settle()
    assert not call.done(), "one unit is not enough"
    assert hass.states.get(OUTPUT).state == "unknown"  # the units disagree meanwhile

    readback(hass, 2, "output_source_priority", "Solar - Utility - Battery")
    await call
    assert hass.states.get(OUTPUT).state == "sub"
    assert len(published(mqtt_mock)) == 1


async def test_a_write_waiting_when_the_entry_unloads_is_not_confirmed(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """The entry unloads while a write waits for its read-back: it fails, not succeeds."""
    call = start_call(
        hass, "select", "select_option", {"entity_id": CHARGER, "option": "solar_and_utility"}
    )
    await settle()
    assert not call.done()
    assert await hass.config_entries.async_unload(powermon_loaded.entry_id)
    await write_error(call, "write_not_confirmed")


async def test_never_confirmed_raises_translated_error(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """No read-back within the confirm timeout: translated error, device value shown."""
    call = start_call(
        hass, "select", "select_option", {"entity_id": CHARGER, "option": "solar_and_utility"}
    )
    await settle()
    await pass_time(hass, 61)
    err = await write_error(call, "write_not_confirmed")
    assert err.translation_placeholders["units"] == "1, 2"
    assert "did not read it back" in str(err)
    assert hass.states.get(CHARGER).state == "solar_first"


async def test_partial_write_is_rolled_back(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Unit 1 takes SUB, unit 2 never does: SBU is sent back and confirmed on both."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(hass, "select", "select_option", {"entity_id": OUTPUT, "option": "sub"})
    await settle()
    readback(hass, 1, "output_source_priority", "Solar - Utility - Battery")
    await pass_time(hass, 61)
    assert published(mqtt_mock)[-1] == (
        "solar/control/lvx6048/output_priority",
        "solar_battery_utility",
        1,
        False,
    )
    readback(hass, 1, "output_source_priority", "Solar - Battery - Utility")
    err = await write_error(call, "write_rolled_back")
    assert err.translation_placeholders["changed"] == "1"
    assert hass.states.get(OUTPUT).state == "sbu"


async def test_failed_rollback_is_reported(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """If the rollback is not confirmed either, the error says the units now differ."""
    call = start_call(hass, "select", "select_option", {"entity_id": OUTPUT, "option": "sub"})
    await settle()
    readback(hass, 1, "output_source_priority", "Solar - Utility - Battery")
    await pass_time(hass, 61)
    await pass_time(hass, 61)
    await write_error(call, "write_rollback_failed")
    assert hass.states.get("binary_sensor.eg4_lvx6048_settings_mismatch").state == "on"


async def test_units_that_disagreed_before_are_not_rolled_back_to_a_guess(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """The units differed before (solar first / solar and utility); unit 1 takes solar only
    and unit 2 never does: there is no one value to put back, so nothing more is sent and the
    error says the units now differ."""
    readback(hass, 2, "charger_source_priority", "Solar and Utility")
    await settle()
    mqtt_mock.async_publish.reset_mock()
    call = start_call(
        hass, "select", "select_option", {"entity_id": CHARGER, "option": "solar_only"}
    )
    await settle()
    readback(hass, 1, "charger_source_priority", "Solar Only")
    await pass_time(hass, 61)
    err = await write_error(call, "write_rollback_failed")
    assert err.translation_placeholders["changed"] == "1"
    assert published(mqtt_mock) == [
        ("solar/control/lvx6048/charger_priority", "solar_only", 1, False)
    ]


async def test_already_set_publishes_nothing(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Selecting the value every unit already reports sends no command."""
    mqtt_mock.async_publish.reset_mock()
    await hass.services.async_call(
        "select", "select_option", {"entity_id": OUTPUT, "option": "sbu"}, blocking=True
    )
    assert published(mqtt_mock) == []


async def test_write_refused_while_an_inverter_is_silent(
    hass: HomeAssistant, mqtt_mock: Any, powermon_entry: MockConfigEntry
) -> None:
    """With no telemetry the select is unavailable and nothing can be sent."""
    await setup_entry(hass, powermon_entry)
    assert hass.states.get(OUTPUT).state == "unavailable"
    mqtt_mock.async_publish.reset_mock()
    await hass.services.async_call(
        "select", "select_option", {"entity_id": OUTPUT, "option": "sub"}, blocking=True
    )
    assert published(mqtt_mock) == []


async def test_write_refused_when_one_inverter_went_silent(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """A write through the coordinator while a unit is stale is refused, not sent."""
    from custom_components.eg4.model import SettingKey, SourceId, SourceKind

    coordinator = powermon_loaded.runtime_data.coordinator
    coordinator.data.stale.add(SourceId(SourceKind.INVERTER, 2))
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(HomeAssistantError) as err:
        await coordinator.async_write_setting(SettingKey.OUTPUT_PRIORITY, "sub")
    assert err.value.translation_key == "telemetry_stale"
    assert published(mqtt_mock) == []


async def test_solar_assistant_one_command_per_unit(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Solar Assistant gets one command per unit, the next only after the previous confirms."""
    assert hass.states.get(SA_OUTPUT).attributes["options"] == ["sbu", "sub", "usb"]
    mqtt_mock.async_publish.reset_mock()
    call = start_call(hass, "select", "select_option", {"entity_id": SA_OUTPUT, "option": "sub"})
    await settle()
    assert published(mqtt_mock) == [
        ("solar_assistant/inverter_1/output_source_priority/set", "Solar/Utility/Battery", 1, False)
    ]
    async_fire_mqtt_message(hass, SA_RESPONSE, "Saved")
    readback(hass, 1, "output_source_priority", "Solar/Utility/Battery", SA)
    await settle()
    assert published(mqtt_mock)[-1][0] == "solar_assistant/inverter_2/output_source_priority/set"
    readback(hass, 2, "output_source_priority", "Solar/Utility/Battery", SA)
    await call
    assert hass.states.get(SA_OUTPUT).state == "sub"


async def test_solar_assistant_refusal_surfaces_message(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """A refusal from Solar Assistant ends the write at once with its message."""
    call = start_call(
        hass, "select", "select_option", {"entity_id": SA_CHARGER, "option": "solar_only"}
    )
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Error: Invalid value")
    err = await write_error(call, "write_refused")
    assert err.translation_placeholders["message"] == "Error: Invalid value"
    assert hass.states.get(SA_CHARGER).state == "solar_first"


async def test_solar_assistant_second_unit_refused_rolls_back_first(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 2 refuses after unit 1 changed: unit 1 is put back so the group matches."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(
        hass, "select", "select_option", {"entity_id": SA_CHARGER, "option": "solar_only"}
    )
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Saved")
    readback(hass, 1, "charger_source_priority", "Solar only", SA)
    await settle()
    async_fire_mqtt_message(hass, SA_RESPONSE, "Error: not allowed")
    await settle()
    assert published(mqtt_mock)[-1] == (
        "solar_assistant/inverter_1/charger_source_priority/set",
        "Solar first",
        1,
        False,
    )
    readback(hass, 1, "charger_source_priority", "Solar first", SA)
    await write_error(call, "write_refused")
    assert hass.states.get(SA_CHARGER).state == "solar_first"


async def _solar_assistant_unit_2_silent(hass: HomeAssistant, mqtt_mock: Any) -> Any:
    """Unit 1 takes solar only, unit 2 never reads it back: unit 1 is sent solar first back."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(
        hass, "select", "select_option", {"entity_id": SA_CHARGER, "option": "solar_only"}
    )
    await settle()
    readback(hass, 1, "charger_source_priority", "Solar only", SA)
    await settle()
    await pass_time(hass, 61)
    assert published(mqtt_mock)[-1] == (
        "solar_assistant/inverter_1/charger_source_priority/set",
        "Solar first",
        1,
        False,
    )
    return call


async def test_solar_assistant_silent_second_unit_rolls_back_the_first(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 1's roll-back is read back: the error says it was rolled back."""
    call = await _solar_assistant_unit_2_silent(hass, mqtt_mock)
    readback(hass, 1, "charger_source_priority", "Solar first", SA)
    err = await write_error(call, "write_rolled_back")
    assert err.translation_placeholders["changed"] == "1"
    assert hass.states.get(SA_CHARGER).state == "solar_first"


async def test_solar_assistant_roll_back_not_read_back_is_reported(
    hass: HomeAssistant, mqtt_mock: Any, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Unit 1 never reads its roll-back back either: the error says the units now differ."""
    call = await _solar_assistant_unit_2_silent(hass, mqtt_mock)
    await pass_time(hass, 61)
    err = await write_error(call, "write_rollback_failed")
    assert err.translation_placeholders["changed"] == "1"


async def test_invalid_option_rejected_by_home_assistant(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """USB is not offered by lvx-control: refused before anything is sent."""
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "select", "select_option", {"entity_id": OUTPUT, "option": "usb"}, blocking=True
        )
    assert published(mqtt_mock) == []


async def test_selects_snapshot(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every select of a powermon + lvx-control system: the option shown and the options."""
    assert projection(hass, powermon_loaded, "select") == snapshot
