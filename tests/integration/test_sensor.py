"""Sensors: what a user sees for every reading of both bridges."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_OPTIONS, ATTR_STATE_CLASS, SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    PERCENTAGE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from custom_components.eg4.const import DOMAIN

from .conftest import fire, float_tails, projection, setup_entry

PM = "sensor.eg4_lvx6048"
PM_TOPIC = "homeassistant/sensor"
SA = "sensor.eg4_via_solar_assistant_solar_assistant"


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


def never_calibrated(prefix: str) -> set[str]:
    """The sensors that stay unknown while no calibration runs and none has finished."""
    return {
        f"{prefix}_last_calibration",
        f"{prefix}_last_successful_calibration",
        f"{prefix}_last_calibration_result",
        f"{prefix}_calibration_phase_started",
        f"{prefix}_calibration_elapsed",
        f"{prefix}_calibration_expected_end",
        f"{prefix}_taper_hold_ends",
        f"{prefix}_verification_hold_ends",
        f"{prefix}_batteries_re_anchored",
    }


def assert_group_sensors(sensors: dict[str, Any], prefix: str) -> None:
    """The drift and calibration sensors of the group: the calibration is idle, none has run.

    The fixture packs report 50-76 % SoC (a drift of 26 points) at one and the same voltage.
    """
    assert sensors[f"{prefix}_calibration"]["state"] == "idle"
    for entity_id in never_calibrated(prefix):
        assert sensors[entity_id]["state"] == STATE_UNKNOWN
    assert float(sensors[f"{prefix}_state_of_charge_spread"]["state"]) == 26.0
    assert float(sensors[f"{prefix}_battery_voltage_spread"]["state"]) == 0.0
    assert sensors[f"{prefix}_highest_cell_voltage"]["unit_of_measurement"] == "V"
    assert sensors[f"{prefix}_highest_battery_current"]["unit_of_measurement"] == "A"
    writes = sensors[f"{prefix}_setting_writes_today"]
    assert (writes["state"], writes["entity_category"]) == ("0", "diagnostic")


def assert_sensor(
    hass: HomeAssistant,
    entity_id: str,
    value: float | str,
    unit: str | None = None,
    device_class: str | None = None,
) -> State:
    """Assert a sensor's state (numerically when a number), unit and device class."""
    state = _state(hass, entity_id)
    if isinstance(value, str):
        assert state.state == value, entity_id
    else:
        assert float(state.state) == pytest.approx(value), entity_id
    assert state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) == unit, entity_id
    assert state.attributes.get(ATTR_DEVICE_CLASS) == device_class, entity_id
    return state


# ---- powermon + lvx-control ------------------------------------------------------------


def settled_energies(sensors: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The sensors, energies integrated since set-up shown as ``≈0``.

    They integrate the seconds the set-up took (a few Wh at most), which no snapshot can pin.
    """
    for sensor in sensors.values():
        if sensor.get("device_class") == "energy" and 0.0 <= float(sensor["state"]) < 0.01:
            sensor["state"] = "≈0"
    return sensors


async def test_powermon_all_sensors(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every sensor of the realistic message set shows its value, unit and class."""
    sensors = projection(hass, powermon_loaded, "sensor")
    # 2 inverters x (13 telemetry + 8 read-backs) + 6 packs x 10 readings + 15 group sensors
    # (2 drift spreads, calibration state, 5 progress times, re-anchored batteries, highest
    # cell voltage and battery current, 3 result sensors, setting writes today); the Energy
    # dashboard's 4 energies and battery power, per inverter and for the group (PI18 measures
    # no grid power).
    assert len(sensors) == 2 * 21 + 6 * 10 + 15 + 3 * 5
    assert_group_sensors(sensors, PM)
    assert all(
        s["state"] not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
        for entity_id, s in sensors.items()
        if entity_id not in never_calibrated(PM) and "disabled_by" not in s
    )
    assert settled_energies(sensors) == snapshot


async def test_the_watch_values_without_a_run(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Highest cell and battery current show at all times, against the default limits."""
    cell = _state(hass, f"{PM}_highest_cell_voltage")
    assert cell.attributes["limit_v"] == 3.6
    assert 3.0 < float(cell.state) < 3.6
    current = _state(hass, f"{PM}_highest_battery_current")
    assert current.attributes["taper_target_a"] == 5.0
    currents = current.attributes["battery_currents_a"]
    assert len(currents) == 6
    assert float(current.state) == max(currents)
    assert _state(hass, f"{PM}_calibration").attributes.get("held_settings") is None


async def test_unique_ids_of_every_platform(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """The unique ids of every entity and device stay as they were: they key users' history."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), powermon_loaded.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), powermon_loaded.entry_id)
    entry_id = powermon_loaded.entry_id
    assert {
        "entities": sorted(
            f"{e.domain} {e.unique_id.replace(entry_id, '<entry>')}" for e in entities
        ),
        "devices": sorted(
            f"{domain} {identifier.replace(entry_id, '<entry>')}"
            for device in devices
            for domain, identifier in device.identifiers
        ),
    } == snapshot


async def test_powermon_key_sensors(
    hass: HomeAssistant, entity_registry_enabled_by_default: None, powermon_loaded: MockConfigEntry
) -> None:
    """The readings a user checks first are decoded right (those off by default turned on)."""
    volt, amp, pct = UnitOfElectricPotential.VOLT, UnitOfElectricCurrent.AMPERE, PERCENTAGE
    for unit in (1, 2):
        inv = f"{PM}_inverter_{unit}"
        bv = assert_sensor(hass, f"{inv}_battery_voltage", 53.4, volt, SensorDeviceClass.VOLTAGE)
        assert bv.attributes[ATTR_STATE_CLASS] == "measurement"
        assert_sensor(hass, f"{inv}_battery_charge_current", 12, amp, SensorDeviceClass.CURRENT)
        assert_sensor(hass, f"{inv}_battery_discharge_current", 0, amp, SensorDeviceClass.CURRENT)
        assert_sensor(hass, f"{inv}_battery_state_of_charge", 57, pct, SensorDeviceClass.BATTERY)
        assert_sensor(hass, f"{inv}_pv_power", 1604, "W", SensorDeviceClass.POWER)
        assert_sensor(hass, f"{inv}_pv_voltage", 160.4, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_output_load", 28, pct)
        assert_sensor(hass, f"{inv}_grid_voltage", 121.4, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_output_voltage", 120.1, volt, SensorDeviceClass.VOLTAGE)
        mode = assert_sensor(hass, f"{inv}_device_mode", "hybrid", None, SensorDeviceClass.ENUM)
        assert "hybrid" in mode.attributes[ATTR_OPTIONS]
        assert_sensor(hass, f"{inv}_line_power_direction", "input", None, SensorDeviceClass.ENUM)
        assert_sensor(
            hass, f"{inv}_battery_power_direction", "charge", None, SensorDeviceClass.ENUM
        )
        # Read-backs of the settings, as diagnostic sensors.
        out = assert_sensor(hass, f"{inv}_output_priority", "sbu", None, SensorDeviceClass.ENUM)
        assert out.attributes[ATTR_OPTIONS] == ["sub", "sbu", "usb"]
        assert_sensor(hass, f"{inv}_charger_priority", "solar_first", None, SensorDeviceClass.ENUM)
        assert_sensor(hass, f"{inv}_stop_charge_voltage", 53.0, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_re_charge_voltage", 48.0, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_bulk_charge_voltage", 56.4, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_float_charge_voltage", 54.0, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_max_charge_current", 80, amp, SensorDeviceClass.CURRENT)
        assert_sensor(hass, f"{inv}_max_utility_charge_current", 30, amp, SensorDeviceClass.CURRENT)
    assert_sensor(hass, f"{PM}_inverter_1_output_power", 1376, "W", SensorDeviceClass.POWER)
    assert_sensor(hass, f"{PM}_inverter_2_output_power", 1290, "W", SensorDeviceClass.POWER)

    registry = er.async_get(hass)
    readback = registry.async_get(f"{PM}_inverter_1_stop_charge_voltage")
    assert readback is not None
    assert readback.entity_category is EntityCategory.DIAGNOSTIC
    telemetry = registry.async_get(f"{PM}_inverter_1_battery_voltage")
    assert telemetry is not None
    assert telemetry.entity_category is None

    # Packs: SoC per pack (pack 6 has drifted), cell delta as the BMS reports it.
    for pack, soc in {1: 52, 2: 55, 3: 50, 4: 53, 5: 54, 6: 76}.items():
        assert_sensor(
            hass, f"{PM}_battery_{pack}_state_of_charge", soc, pct, SensorDeviceClass.BATTERY
        )
    bat = f"{PM}_battery_6"
    assert_sensor(hass, f"{bat}_voltage", 53.4, volt, SensorDeviceClass.VOLTAGE)
    assert_sensor(hass, f"{bat}_current", 2.1, amp, SensorDeviceClass.CURRENT)
    assert_sensor(hass, f"{bat}_highest_cell_voltage", 3.342, volt, SensorDeviceClass.VOLTAGE)
    assert_sensor(hass, f"{bat}_lowest_cell_voltage", 3.331, volt, SensorDeviceClass.VOLTAGE)
    assert_sensor(
        hass,
        f"{bat}_cell_voltage_difference",
        11,
        UnitOfElectricPotential.MILLIVOLT,
        SensorDeviceClass.VOLTAGE,
    )
    celsius = UnitOfTemperature.CELSIUS
    assert_sensor(hass, f"{bat}_temperature_1", 24.5, celsius, SensorDeviceClass.TEMPERATURE)
    assert_sensor(hass, f"{bat}_temperature_2", 25.1, celsius, SensorDeviceClass.TEMPERATURE)
    assert_sensor(hass, f"{bat}_board_temperature", 28.2, celsius, SensorDeviceClass.TEMPERATURE)


async def test_powermon_highest_temperature_is_max_of_pack_temperatures(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Highest temperature follows the hottest of temperature 1, 2 and the board."""
    pcb = {1: 27.2, 2: 27.4, 3: 27.6, 4: 27.8, 5: 28.0, 6: 28.2}
    for pack, board in pcb.items():
        highest = float(_state(hass, f"{PM}_battery_{pack}_highest_temperature").state)
        assert highest == max(24.5, 25.1, board)
    unit = _state(hass, f"{PM}_battery_1_highest_temperature").attributes
    assert unit[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert unit[ATTR_DEVICE_CLASS] == SensorDeviceClass.TEMPERATURE

    highest = f"{PM}_battery_1_highest_temperature"
    # A sensor other than the board gets hotter: it becomes the maximum.
    fire(hass, [(f"{PM_TOPIC}/lifepower4_1_temperature_2/state", "31.5")])
    await hass.async_block_till_done()
    assert float(_state(hass, highest).state) == 31.5
    # It cools below the board temperature again: the board is the maximum again.
    fire(hass, [(f"{PM_TOPIC}/lifepower4_1_temperature_2/state", "23.0")])
    await hass.async_block_till_done()
    assert float(_state(hass, highest).state) == 27.2
    # An extra temperature probe without its own sensor still counts towards the maximum.
    fire(hass, [(f"{PM_TOPIC}/lifepower4_1_temperature_3/state", "35.0")])
    await hass.async_block_till_done()
    assert float(_state(hass, highest).state) == 35.0


async def test_powermon_reported_cell_delta_wins_over_derived(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Once the BMS reports the cell delta, a new max/min does not override it.

    The realistic set carries a BMS delta (11 mV) equal to max - min; a new highest
    cell voltage alone must not replace the BMS's own value with a derived one.
    """
    delta = f"{PM}_battery_1_cell_voltage_difference"
    fire(hass, [(f"{PM_TOPIC}/lifepower4_1_cell_voltage_max/state", "3.350")])
    await hass.async_block_till_done()
    assert float(_state(hass, f"{PM}_battery_1_highest_cell_voltage").state) == 3.35
    assert float(_state(hass, delta).state) == 11
    fire(hass, [(f"{PM_TOPIC}/lifepower4_1_cell_voltage_delta_mv/state", "18")])
    await hass.async_block_till_done()
    assert float(_state(hass, delta).state) == 18


async def test_powermon_derived_cell_delta_without_bms_delta(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    """Without a BMS delta, the difference is highest - lowest in mV and follows them."""
    await setup_entry(hass, powermon_entry)
    fire(
        hass,
        [
            (f"{PM_TOPIC}/lifepower4_2_cell_voltage_max/state", "3.345"),
            (f"{PM_TOPIC}/lifepower4_2_cell_voltage_min/state", "3.330"),
        ],
    )
    await hass.async_block_till_done()
    delta = f"{PM}_battery_2_cell_voltage_difference"
    assert float(_state(hass, delta).state) == 15
    fire(hass, [(f"{PM_TOPIC}/lifepower4_2_cell_voltage_min/state", "3.300")])
    await hass.async_block_till_done()
    assert float(_state(hass, delta).state) == 45


async def test_powermon_invalid_payload_keeps_last_value(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A payload that fails validation never reaches the sensor."""
    entity = f"{PM}_battery_3_voltage"
    for payload in ("nan", "garbage", "-5", "500", "", "inf"):
        fire(hass, [(f"{PM_TOPIC}/lifepower4_3_pack_voltage/state", payload)])
        await hass.async_block_till_done()
        assert float(_state(hass, entity).state) == 53.4, payload
    fire(hass, [(f"{PM_TOPIC}/lvx6048_1_output_source_priority/state", "Battery only")])
    await hass.async_block_till_done()
    assert _state(hass, f"{PM}_inverter_1_output_priority").state == "sbu"


def by_messages(hass: HomeAssistant) -> dict[str, State]:
    """Every state but the energies integrated here: those move on their minute's clock."""
    return {s.entity_id: s for s in hass.states.async_all() if not s.entity_id.endswith("_energy")}


async def test_foreign_topics_change_nothing(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Other devices under the same prefix, and units beyond the limits, are ignored.

    (Units and packs beyond the configured counts join: tests/integration/test_dynamic_devices.)
    """
    registry = er.async_get(hass)
    entities_before = {e.entity_id for e in registry.entities.values()}
    states_before = by_messages(hass)
    freezer.tick(5)
    fire(
        hass,
        [
            (f"{PM_TOPIC}/kitchen_temperature/state", "21.5"),
            (f"{PM_TOPIC}/kitchen_temperature/state", "30"),
            (f"{PM_TOPIC}/lvx6048_10_battery_voltage/state", "48.1"),
            (f"{PM_TOPIC}/lvx6048_10_output_source_priority/state", "Solar - Utility - Battery"),
            (f"{PM_TOPIC}/lifepower4_33_soc/state", "12"),
            (f"{PM_TOPIC}/lvx6048_0_battery_voltage/state", "48.1"),
            (f"{PM_TOPIC}/lvx6048_battery_voltage/state", "48.1"),
            (f"{PM_TOPIC}/lvx6048_1_battery_type/state", "User"),
            (f"{PM_TOPIC}/lifepower4_1_unknown_key/state", "1"),
        ],
    )
    await hass.async_block_till_done()
    assert {e.entity_id for e in registry.entities.values()} == entities_before
    states_after = by_messages(hass)
    assert states_after.keys() == states_before.keys()
    for entity_id, before in states_before.items():
        after = states_after[entity_id]
        assert after.state == before.state, entity_id
        assert after.attributes == before.attributes, entity_id
        assert after.last_updated == before.last_updated, entity_id
    # "Unit 10" disagreeing on output priority does not count as a mismatch: it is not ours.
    assert _state(hass, "binary_sensor.eg4_lvx6048_settings_mismatch").state == "off"


async def test_update_changes_exactly_one_entity(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A new value on one topic updates that entity and leaves every other untouched."""
    before = by_messages(hass)
    freezer.tick(5)
    fire(hass, [(f"{PM_TOPIC}/lvx6048_2_battery_voltage/state", "52.9")])
    await hass.async_block_till_done()
    after = by_messages(hass)
    changed = {
        entity_id
        for entity_id, state in after.items()
        if state.state != before[entity_id].state
        or state.last_updated != before[entity_id].last_updated
    }
    # ... and the battery power it is a factor of (the unit's and the group's).
    assert changed == {
        f"{PM}_inverter_2_battery_voltage",
        f"{PM}_inverter_2_battery_power",
        f"{PM}_battery_power",
    }
    assert after[f"{PM}_inverter_2_battery_voltage"].state == "52.9"
    assert after[f"{PM}_inverter_1_battery_voltage"].state == "53.4"

    # The same value again changes nothing at all.
    freezer.tick(5)
    fire(hass, [(f"{PM_TOPIC}/lvx6048_2_battery_voltage/state", "52.9")])
    await hass.async_block_till_done()
    again = by_messages(hass)
    assert all(again[e].last_updated == after[e].last_updated for e in again)


async def test_pack_temperature_update_moves_derived_maximum_only(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    powermon_loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A pack temperature that raises the maximum updates both, and nothing else (the
    board's sensor turned on)."""
    before = by_messages(hass)
    freezer.tick(5)
    fire(hass, [(f"{PM_TOPIC}/lifepower4_4_temperature_pcb/state", "33.3")])
    await hass.async_block_till_done()
    after = by_messages(hass)
    changed = {e for e, s in after.items() if s.last_updated != before[e].last_updated}
    assert changed == {
        f"{PM}_battery_4_board_temperature",
        f"{PM}_battery_4_highest_temperature",
    }
    assert float(after[f"{PM}_battery_4_highest_temperature"].state) == 33.3


async def test_setting_readback_update(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A changed setting shows up on that unit's read-back sensor."""
    fire(
        hass,
        [
            (f"{PM_TOPIC}/lvx6048_1_charger_source_priority/state", "Solar and Utility"),
            (f"{PM_TOPIC}/lvx6048_1_battery_re-discharge_voltage/state", "54.0"),
            (f"{PM_TOPIC}/lvx6048_1_output_source_priority/state", "Solar - Utility - Battery"),
        ],
    )
    await hass.async_block_till_done()
    assert _state(hass, f"{PM}_inverter_1_charger_priority").state == "solar_and_utility"
    assert _state(hass, f"{PM}_inverter_2_charger_priority").state == "solar_first"
    assert float(_state(hass, f"{PM}_inverter_1_stop_charge_voltage").state) == 54.0
    assert _state(hass, f"{PM}_inverter_1_output_priority").state == "sub"


async def test_setting_readbacks_show_the_setting_steps(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Read-backs of whole-step settings show no decimals ("80 A", not "80.00 A").

    The frontend formats a sensor with the display precision in its registry options; the
    precision follows the setting's step (10 A, 1 V), and stays at 0.1 V for voltages the
    integration cannot set (bulk and float can be 56.4 V).
    """
    registry = er.async_get(hass)
    precision = {}
    for key in (
        "max_charge_current",
        "max_utility_charge_current",
        "stop_charge_voltage",
        "bulk_charge_voltage",
        "float_charge_voltage",
        "re_charge_voltage",
    ):
        entry = registry.async_get(f"{PM}_inverter_1_{key}")
        assert entry is not None, key
        precision[key] = entry.options["sensor"].get("suggested_display_precision")
    assert precision == {
        "max_charge_current": 0,
        "max_utility_charge_current": 0,
        "stop_charge_voltage": 0,
        "bulk_charge_voltage": 1,
        "float_charge_voltage": 1,
        "re_charge_voltage": 1,
    }


async def test_measured_currents_show_tenths(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A battery's current reads "20.4 A", not "20.40 A": a BMS reports tenths of an amp."""
    registry = er.async_get(hass)
    for entity_id in (f"{PM}_battery_1_current", f"{PM}_inverter_1_battery_charge_current"):
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.options["sensor"]["suggested_display_precision"] == 1, entity_id


async def test_powermon_numbers_have_a_display_precision(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """No dashboard shows a float's tail ("201.0 cycles", "27.200000001 °C")."""
    assert float_tails(hass, powermon_loaded) == []


async def test_solar_assistant_numbers_have_a_display_precision(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """No dashboard shows a float's tail: a pack's cycle count reads "201", not "201.0"."""
    assert float_tails(hass, solar_assistant_loaded) == []


async def test_lxp_bridge_numbers_have_a_display_precision(
    hass: HomeAssistant, lxp_bridge_loaded: MockConfigEntry
) -> None:
    """No dashboard shows a float's tail."""
    assert float_tails(hass, lxp_bridge_loaded) == []


# ---- Solar Assistant -------------------------------------------------------------------


async def test_solar_assistant_all_sensors(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every Solar Assistant sensor shows its value, unit and class."""
    sensors = projection(hass, solar_assistant_loaded, "sensor")
    # 2 inverters x (9 telemetry + 8 read-backs) + 6 packs x 10 readings + 15 group sensors;
    # the Energy dashboard's 6 energies, battery and grid power, per inverter and for the group.
    assert len(sensors) == 2 * 17 + 6 * 10 + 15 + 3 * 8
    assert_group_sensors(sensors, SA)
    assert all(
        s["state"] not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
        for entity_id, s in sensors.items()
        if entity_id not in never_calibrated(SA) and "disabled_by" not in s
    )
    assert settled_energies(sensors) == snapshot


async def test_solar_assistant_key_sensors(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    solar_assistant_loaded: MockConfigEntry,
) -> None:
    """Solar Assistant's names map to the same sensors as powermon's (all turned on)."""
    volt, amp, pct = UnitOfElectricPotential.VOLT, UnitOfElectricCurrent.AMPERE, PERCENTAGE
    celsius = UnitOfTemperature.CELSIUS
    for unit in (1, 2):
        inv = f"{SA}_inverter_{unit}"
        assert_sensor(hass, f"{inv}_battery_voltage", 53.2, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_battery_current", 18.0, amp, SensorDeviceClass.CURRENT)
        assert_sensor(hass, f"{inv}_pv_power", 2310, "W", SensorDeviceClass.POWER)
        assert_sensor(hass, f"{inv}_output_power", 1420, "W", SensorDeviceClass.POWER)
        assert_sensor(hass, f"{inv}_temperature", 41.0, celsius, SensorDeviceClass.TEMPERATURE)
        assert_sensor(hass, f"{inv}_device_mode", "line", None, SensorDeviceClass.ENUM)
        assert_sensor(hass, f"{inv}_output_priority", "sbu", None, SensorDeviceClass.ENUM)
        assert_sensor(hass, f"{inv}_charger_priority", "solar_first", None, SensorDeviceClass.ENUM)
        assert_sensor(hass, f"{inv}_stop_charge_voltage", 53.0, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_re_charge_voltage", 48.0, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_bulk_charge_voltage", 56.4, volt, SensorDeviceClass.VOLTAGE)
        assert_sensor(hass, f"{inv}_float_charge_voltage", 54.0, volt, SensorDeviceClass.VOLTAGE)
    for pack in range(1, 7):
        bat = f"{SA}_battery_{pack}"
        # Solar Assistant sends no delta: it is highest - lowest, in mV.
        assert_sensor(
            hass,
            f"{bat}_cell_voltage_difference",
            12,
            UnitOfElectricPotential.MILLIVOLT,
            SensorDeviceClass.VOLTAGE,
        )
        # The pack's single temperature is temperature 1 (and so the highest).
        assert_sensor(hass, f"{bat}_temperature_1", 24.0, celsius, SensorDeviceClass.TEMPERATURE)
        assert_sensor(
            hass, f"{bat}_highest_temperature", 24.0, celsius, SensorDeviceClass.TEMPERATURE
        )
        assert_sensor(hass, f"{bat}_power", 165, "W", SensorDeviceClass.POWER)
        assert float(_state(hass, f"{bat}_cycle_count").state) == 200 + pack
    assert_sensor(hass, f"{SA}_battery_6_state_of_charge", 76, pct, SensorDeviceClass.BATTERY)
    assert_sensor(hass, f"{SA}_battery_6_voltage", 53.1, volt, SensorDeviceClass.VOLTAGE)
    # Nothing for metrics this integration does not map (grid frequency, totals, averages).
    assert not [s for s in hass.states.async_entity_ids() if "frequency" in s or "total" in s]
    assert hass.states.get(f"{SA}_battery_1_temperature_2") is None
    assert hass.states.get(f"{SA}_battery_1_protection") is None


async def test_solar_assistant_signed_battery_current(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Discharge shows as a negative current, on the inverter and on the pack."""
    fire(
        hass,
        [
            ("solar_assistant/inverter_1/battery_current/state", "-42.5"),
            ("solar_assistant/battery_2/current/state", "-7.3"),
            ("solar_assistant/battery_2/power/state", "-388"),
        ],
    )
    await hass.async_block_till_done()
    assert float(_state(hass, f"{SA}_inverter_1_battery_current").state) == -42.5
    assert float(_state(hass, f"{SA}_inverter_2_battery_current").state) == 18.0
    assert float(_state(hass, f"{SA}_battery_2_current").state) == -7.3
    assert float(_state(hass, f"{SA}_battery_2_power").state) == -388


async def test_solar_assistant_derived_delta_follows_cells(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """The derived delta follows a new lowest cell voltage."""
    fire(hass, [("solar_assistant/battery_4/cell_voltage_-_lowest/state", "3.300")])
    await hass.async_block_till_done()
    assert float(_state(hass, f"{SA}_battery_4_cell_voltage_difference").state) == 34
    assert float(_state(hass, f"{SA}_battery_3_cell_voltage_difference").state) == 12


async def test_solar_assistant_foreign_topics_change_nothing(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Units beyond the limits and unknown metrics under the prefix are ignored."""
    registry = er.async_get(hass)
    entities_before = {e.entity_id for e in registry.entities.values()}
    before = by_messages(hass)
    freezer.tick(5)
    fire(
        hass,
        [
            ("solar_assistant/inverter_10/battery_voltage/state", "40"),
            ("solar_assistant/battery_33/state_of_charge/state", "3"),
            ("solar_assistant/total/battery_state_of_charge/state", "20"),
            ("solar_assistant/inverter_1/grid_frequency/state", "60.01"),
            ("solar_assistant/kitchen/temperature/state", "21"),
        ],
    )
    await hass.async_block_till_done()
    assert {e.entity_id for e in registry.entities.values()} == entities_before
    after = by_messages(hass)
    assert after.keys() == before.keys()
    assert all(after[e].last_updated == before[e].last_updated for e in after)


async def test_entities_belong_to_devices(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Inverter and pack sensors sit on their own devices, under the group device."""
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    group = devices.async_get_device(identifiers={(DOMAIN, f"{powermon_loaded.entry_id}_system")})
    assert group is not None
    entry = registry.async_get(f"{PM}_battery_6_state_of_charge")
    assert entry is not None
    device = devices.async_get(entry.device_id)
    assert device is not None
    assert device.name == "EG4 lvx6048 Battery 6"
    assert device.via_device_id == group.id
    inverter = registry.async_get(f"{PM}_inverter_2_device_mode")
    assert inverter is not None
    assert devices.async_get(inverter.device_id).name == "EG4 lvx6048 Inverter 2"


def assert_disabled_by_default(hass: HomeAssistant, disabled: set[str], enabled: set[str]) -> None:
    """``disabled`` are registered but off (no state) until the owner turns them on;
    ``enabled`` show a state."""
    registry = er.async_get(hass)
    for entity_id in disabled:
        entry = registry.async_get(entity_id)
        assert entry is not None, f"{entity_id} is not registered"
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, entity_id
        assert hass.states.get(entity_id) is None, entity_id
    for entity_id in enabled:
        assert _state(hass, entity_id).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE), entity_id


async def test_powermon_board_temperature_is_off_by_default(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """The BMS board's temperature is rarely looked at: off until turned on. The probes and
    the pack's highest temperature (which the board's still counts towards) stay on."""
    assert_disabled_by_default(
        hass,
        {f"{PM}_battery_{n}_board_temperature" for n in range(1, 7)},
        {
            f"{PM}_battery_{n}_{key}"
            for n in range(1, 7)
            for key in ("temperature_1", "temperature_2", "highest_temperature")
        },
    )
    assert float(_state(hass, f"{PM}_battery_6_highest_temperature").state) == 28.2  # the board


async def test_solar_assistant_pack_temperature_is_not_shown_twice(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Solar Assistant reports one temperature per pack: the highest temperature is that
    value, so its second sensor is off until turned on."""
    registry = er.async_get(hass)
    sensors = {
        e.entity_id: e.translation_key
        for e in er.async_entries_for_config_entry(registry, solar_assistant_loaded.entry_id)
        if e.translation_key in ("temperature_1", "temperature_max")
    }
    disabled = {e for e, key in sensors.items() if key == "temperature_1"}
    enabled = {e for e, key in sensors.items() if key == "temperature_max"}
    assert len(disabled) == len(enabled) > 0
    assert_disabled_by_default(hass, disabled, enabled)
