"""Charge-current and stop-charge numbers: validation before sending, verified writes."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from syrupy.assertion import SnapshotAssertion

from custom_components.eg4.entity import step_precision

from .conftest import POWERMON_DATA, projection, setup_entry
from .writes_helpers import published, settle, start_call

MAX_CHARGE = "number.eg4_lvx6048_max_charge_current"
MAX_UTILITY = "number.eg4_lvx6048_max_utility_charge_current"
STOP_CHARGE = "number.eg4_lvx6048_stop_charge_voltage"
PM = "homeassistant/sensor/lvx6048_{n}_{key}/state"


def readback(hass: HomeAssistant, key: str, value: str, units: tuple[int, ...] = (1, 2)) -> None:
    for n in units:
        async_fire_mqtt_message(hass, PM.format(n=n, key=key), value)


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity_id, "value": value}, blocking=True
    )


async def test_numbers_show_group_values_and_limits(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Numbers carry the LVX6048 limits and the value both units report.

    Whole-step settings show whole numbers: the number box shows the state as it is, so a
    state of "80.0" read "80.0 A" on the dashboard.
    """
    charge = hass.states.get(MAX_CHARGE)
    assert charge.state == "80"
    assert charge.attributes["min"] == 10
    assert charge.attributes["max"] == 80
    assert charge.attributes["step"] == 10
    assert charge.attributes["unit_of_measurement"] == "A"
    assert hass.states.get(MAX_UTILITY).state == "30"
    stop = hass.states.get(STOP_CHARGE)
    assert stop.state == "53"
    assert stop.attributes["unit_of_measurement"] == "V"


async def test_set_charge_current_confirmed_by_readback(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """60 A goes to the configured command topic and shows once both units read it back."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(hass, "number", "set_value", {"entity_id": MAX_CHARGE, "value": 60})
    await settle()
    assert published(mqtt_mock) == [("solar/control/lvx6048/max_charge_current", "60", 1, False)]
    assert hass.states.get(MAX_CHARGE).state == "80"
    readback(hass, "max_charging_current", "60")
    await call
    assert hass.states.get(MAX_CHARGE).state == "60"


async def test_stop_charge_above_float_refused_before_sending(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Float is 54.0 V: 55 V is refused with the limit named, and nothing is published."""
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(ServiceValidationError) as err:
        await set_value(hass, STOP_CHARGE, 55)
    assert err.value.translation_key == "rejected_above_float_voltage"
    assert err.value.translation_placeholders["limit"] == "54"
    assert "above the float voltage (54 V)" in str(err.value)
    assert published(mqtt_mock) == []


async def test_stop_charge_must_stay_above_recharge(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Re-charge is 48.0 V: a stop-charge of 48 V would make the inverter oscillate."""
    with pytest.raises(ServiceValidationError) as err:
        await set_value(hass, STOP_CHARGE, 48)
    assert err.value.translation_key == "rejected_below_recharge_voltage"
    assert published(mqtt_mock) == []


async def test_stop_charge_within_limits_is_sent_with_one_decimal(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """54 V equals float, which the firmware accepts."""
    mqtt_mock.async_publish.reset_mock()
    call = start_call(hass, "number", "set_value", {"entity_id": STOP_CHARGE, "value": 54})
    await settle()
    assert published(mqtt_mock) == [("solar/control/lvx6048/stop_charge_voltage", "54.0", 1, False)]
    readback(hass, "battery_re-discharge_voltage", "54.0")
    await call
    assert hass.states.get(STOP_CHARGE).state == "54"


async def test_value_off_the_inverter_steps_refused(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """The LVX6048 takes charge currents in 10 A steps: 65 A is refused by name."""
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(ServiceValidationError) as err:
        await set_value(hass, MAX_CHARGE, 65)
    assert err.value.translation_key == "rejected_not_on_step"
    assert "steps of 10 A" in str(err.value)
    assert published(mqtt_mock) == []


async def test_out_of_range_refused(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Home Assistant's own range check stops 90 A; nothing reaches the bridge."""
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(ServiceValidationError):
        await set_value(hass, MAX_CHARGE, 90)
    assert published(mqtt_mock) == []


async def test_float_unknown_refuses_stop_charge(
    hass: HomeAssistant, mqtt_mock: Any, powermon_entry: MockConfigEntry
) -> None:
    """Without a float read-back from every unit the firmware rule cannot be checked."""
    await setup_entry(hass, powermon_entry)
    for n in (1, 2):
        async_fire_mqtt_message(hass, PM.format(n=n, key="battery_re-discharge_voltage"), "53.0")
    await hass.async_block_till_done()
    coordinator = powermon_entry.runtime_data.coordinator
    from custom_components.eg4.model import SettingKey

    with pytest.raises(ServiceValidationError) as err:
        await coordinator.async_write_setting(SettingKey.STOP_CHARGE_VOLTAGE, 52)
    assert err.value.translation_key == "rejected_float_voltage_unknown"


async def test_number_without_command_name_is_not_created(
    hass: HomeAssistant, mqtt_mock: Any
) -> None:
    """A bridge without a stop-charge command gets no stop-charge number."""
    data = {**POWERMON_DATA, "stop_charge_voltage_command": ""}
    entry = MockConfigEntry(domain="eg4", title="EG4 lvx6048", data=data, unique_id="x")
    await setup_entry(hass, entry)
    assert hass.states.get(STOP_CHARGE) is None
    assert hass.states.get(MAX_CHARGE) is not None


async def test_unconfirmed_number_write_raises_and_shows_device_value(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """Unit 2 keeps 30 A, unit 1 took 40 A: rolled back to 30 A, error raised."""
    from .writes_helpers import pass_time

    call = start_call(hass, "number", "set_value", {"entity_id": MAX_UTILITY, "value": 40})
    await settle()
    readback(hass, "max_ac_charging_current", "40", units=(1,))
    await pass_time(hass, 61)
    assert published(mqtt_mock)[-1] == (
        "solar/control/lvx6048/max_utility_charge_current",
        "30",
        1,
        False,
    )
    readback(hass, "max_ac_charging_current", "30", units=(1,))
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_rolled_back"
    assert hass.states.get(MAX_UTILITY).state == "30"


async def test_a_value_off_the_whole_steps_is_shown_as_reported(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A stop-charge voltage set elsewhere to 53.5 V is not rounded to a whole volt."""
    readback(hass, "battery_re-discharge_voltage", "53.5")
    await hass.async_block_till_done()
    assert hass.states.get(STOP_CHARGE).state == "53.5"


@pytest.mark.parametrize(("step", "decimals"), [(10, 0), (1, 0), (0.5, 1), (0.1, 1), (0.25, 2)])
def test_display_precision_follows_the_step(step: float, decimals: int) -> None:
    assert step_precision(step) == decimals


async def test_numbers_snapshot(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every number of a powermon + lvx-control system: value, unit, range, step, box."""
    numbers = projection(hass, powermon_loaded, "number", ("min", "max", "step", "mode"))
    assert numbers == snapshot
