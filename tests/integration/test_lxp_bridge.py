"""lxp-bridge end to end through Home Assistant: readings, per-datalog verified writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from .conftest import setup_entry
from .writes_helpers import published, settle, start_call

DATALOGS = ["BA12345678", "BA87654321"]
# Register 21 in normal operation, AC charge off: EPS, anti-islanding, soft start, seamless
# switch, bit 9 (1 = powered on, not standby), ISO / GFCI / DCI checks. (The reference
# capture's 30033 has bit 9 clear and bit 10 set: standby with forced discharge.)
REGISTER_21 = 0b0111_0011_0101_0001
PREFIX = "number.eg4_via_lxp_bridge_lxp"
INPUTS = {
    "v_bat": 53.1,
    "soc": 87,
    "p_pv": 4120,
    "bat_current": 34.4,
    "max_cell_voltage": 3.342,
    "min_cell_voltage": 3.331,
    "max_cell_temp": 26.0,
    "min_cell_temp": 23.0,
}


@pytest.fixture
async def lxp_loaded(hass: HomeAssistant, mqtt_mock: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain="eg4",
        title="EG4 via lxp-bridge (lxp)",
        data={
            "transport": "mqtt",
            "profile": "lxp_bridge",
            "topic_prefix": "lxp",
            "datalogs": DATALOGS,
            "inverter_count": 2,
            "pack_count": 2,
        },
        unique_id="lxp_bridge:lxp:BA12345678,BA87654321",
    )
    await setup_entry(hass, entry)
    for datalog in DATALOGS:
        async_fire_mqtt_message(hass, f"lxp/{datalog}/inputs/all", json.dumps(INPUTS))
        for register, value in ((101, "100"), (102, "150"), (67, "90"), (21, str(REGISTER_21))):
            async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/{register}", value, retain=True)
    await hass.async_block_till_done()
    return entry


# A broker flags only the stored message sent at subscribe time as retained; live updates to
# existing subscribers arrive with retain=False (and Home Assistant delivers a retained topic
# only once per subscription), so read-backs below are fired without the flag.


async def test_entities(hass: HomeAssistant, lxp_loaded: MockConfigEntry) -> None:
    assert hass.states.get(f"{PREFIX}_max_charge_current").state == "100"
    assert hass.states.get(f"{PREFIX}_max_discharge_current").state == "150"
    assert hass.states.get(f"{PREFIX}_ac_charge_stop_soc").state == "90"
    assert hass.states.get("select.eg4_via_lxp_bridge_lxp_charger_priority").state == "solar_first"
    assert (
        hass.states.get("sensor.eg4_via_lxp_bridge_lxp_battery_2_state_of_charge").state == "87.0"
    )
    # The highest cell temperature is the pack's highest temperature: shown once (the other
    # is off until turned on); the lowest cell temperature stays (the cold side).
    pack = "sensor.eg4_via_lxp_bridge_lxp_battery_1"
    assert hass.states.get(f"{pack}_highest_temperature").state == "26.0"
    assert hass.states.get(f"{pack}_lowest_cell_temperature").state == "23.0"
    assert hass.states.get(f"{pack}_highest_cell_temperature") is None
    registered = er.async_get(hass).async_get(f"{pack}_highest_cell_temperature")
    assert registered is not None
    assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_charge_current_80_written_to_each_inverter_and_confirmed(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry
) -> None:
    """80 A goes to register 101 of each datalog in turn; shown only after both echo it."""
    mqtt_mock.async_publish.reset_mock()
    entity = f"{PREFIX}_max_charge_current"
    call = start_call(hass, "number", "set_value", {"entity_id": entity, "value": 80})
    await settle()
    assert published(mqtt_mock) == [("lxp/cmd/BA12345678/set/hold/101", "80", 1, False)]
    async_fire_mqtt_message(hass, "lxp/BA12345678/hold/101", "80")
    async_fire_mqtt_message(hass, "lxp/result/BA12345678/set/hold/101", "OK")
    await settle()
    assert published(mqtt_mock)[-1] == ("lxp/cmd/BA87654321/set/hold/101", "80", 1, False)
    assert hass.states.get(entity).state == "unknown"  # the units disagree until unit 2 echoes
    async_fire_mqtt_message(hass, "lxp/BA87654321/hold/101", "80")
    await call
    assert hass.states.get(entity).state == "80"


@pytest.mark.parametrize("value", [250.5, 251])
async def test_charge_current_out_of_range_refused_before_any_command(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry, value: float
) -> None:
    mqtt_mock.async_publish.reset_mock()
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": f"{PREFIX}_max_charge_current", "value": value},
            blocking=True,
        )
    assert published(mqtt_mock) == []


async def test_fail_reply_rolls_back_the_first_unit(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry
) -> None:
    """Unit 2 answers FAIL: unit 1 is put back to 150 A so the group matches."""
    entity = f"{PREFIX}_max_discharge_current"
    call = start_call(hass, "number", "set_value", {"entity_id": entity, "value": 120})
    await settle()
    async_fire_mqtt_message(hass, "lxp/BA12345678/hold/102", "120")
    await settle()
    async_fire_mqtt_message(hass, "lxp/result/BA87654321/set/hold/102", "FAIL")
    await settle()
    assert published(mqtt_mock)[-1] == ("lxp/cmd/BA12345678/set/hold/102", "150", 1, False)
    async_fire_mqtt_message(hass, "lxp/BA12345678/hold/102", "150")
    with pytest.raises(HomeAssistantError) as err:
        await call
    assert err.value.translation_key == "write_refused"
    assert hass.states.get(entity).state == "150"


async def test_ac_charge_on_through_the_charger_priority_select(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry
) -> None:
    mqtt_mock.async_publish.reset_mock()
    entity = "select.eg4_via_lxp_bridge_lxp_charger_priority"
    call = start_call(
        hass, "select", "select_option", {"entity_id": entity, "option": "solar_and_utility"}
    )
    await settle()
    assert published(mqtt_mock) == [("lxp/cmd/BA12345678/set/ac_charge", "true", 1, False)]
    async_fire_mqtt_message(hass, "lxp/BA12345678/hold/21", str(REGISTER_21 | 0x80))
    await settle()
    async_fire_mqtt_message(hass, "lxp/BA87654321/hold/21", str(REGISTER_21 | 0x80))
    await call
    assert hass.states.get(entity).state == "solar_and_utility"


SOC = "sensor.eg4_via_lxp_bridge_lxp_battery_1_state_of_charge"


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not utf-8",  # undecodable bytes
        json.dumps({**INPUTS, "soc": 40, "padding": "x" * 9000}),  # over the 8 KB limit
    ],
)
async def test_unreadable_or_oversized_messages_are_dropped(
    hass: HomeAssistant, lxp_loaded: MockConfigEntry, payload: str | bytes
) -> None:
    """Neither changes a state, and neither breaks the next good message."""
    assert hass.states.get(SOC).state == "87.0"
    async_fire_mqtt_message(hass, f"lxp/{DATALOGS[0]}/inputs/all", payload)
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == "87.0"
    async_fire_mqtt_message(
        hass, f"lxp/{DATALOGS[0]}/inputs/all", json.dumps({**INPUTS, "soc": 41})
    )
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == "41.0"


async def test_messages_after_unload_are_ignored(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry
) -> None:
    """Unloaded: no subscription is left, and a late message changes nothing."""
    assert await hass.config_entries.async_unload(lxp_loaded.entry_id)
    await hass.async_block_till_done()
    async_fire_mqtt_message(hass, f"lxp/{DATALOGS[0]}/inputs/all", json.dumps(INPUTS))
    await hass.async_block_till_done()
    assert hass.states.get(SOC).state == "unavailable"


async def test_publish_failure_is_a_translated_error(
    hass: HomeAssistant, mqtt_mock: Any, lxp_loaded: MockConfigEntry
) -> None:
    """The broker connection fails mid-write: a clear error, nothing half-applied."""
    mqtt_mock.async_publish.side_effect = HomeAssistantError("not connected")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": f"{PREFIX}_max_charge_current", "value": 80},
            blocking=True,
        )
    assert err.value.translation_key == "send_failed"
    assert err.value.translation_placeholders == {
        "setting": "max_charge_current",
        "error": "not connected",
    }
    assert hass.states.get(f"{PREFIX}_max_charge_current").state == "100"


async def test_debug_log_of_a_command_carries_no_datalog_serial(
    hass: HomeAssistant,
    mqtt_mock: Any,
    lxp_loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The command topics hold the datalog serials; this integration's log does not."""
    caplog.set_level("DEBUG", logger="custom_components.eg4")
    call = start_call(
        hass, "number", "set_value", {"entity_id": f"{PREFIX}_max_discharge_current", "value": 120}
    )
    await settle()
    for datalog in DATALOGS:
        async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/102", "120")
        await settle()
    await call
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.eg4")
    )
    assert "Publishing discharge_current = 120 for unit 1" in ours
    assert "Publishing discharge_current = 120 for unit 2" in ours
    assert [serial for serial in DATALOGS if serial in ours] == []
