"""The config flow (menu, MQTT profile steps, reconfigure) and the options flow."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import DOMAIN

from .conftest import POWERMON_DATA, SOLAR_ASSISTANT_DATA, fire, setup_entry
from .test_translations import EN

POWERMON_INPUT: dict[str, Any] = {
    "state_topic_prefix": "homeassistant/sensor",
    "inverter_prefix": "lvx6048",
    "battery_prefix": "lifepower4",
    "command_topic_prefix": "solar/control/lvx6048",
    "inverter_count": 2,
    "pack_count": 6,
    "max_charge_current_command": "max_charge_current",
    "max_utility_charge_current_command": "max_utility_charge_current",
    "stop_charge_voltage_command": "stop_charge_voltage",
}
SOLAR_ASSISTANT_INPUT: dict[str, Any] = {
    "topic_prefix": "solar_assistant",
    "inverter_count": 2,
    "pack_count": 6,
}


async def _start(hass: HomeAssistant) -> FlowResult:
    """Open the flow and pick the local MQTT menu entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["local_mqtt", "cloud"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local_mqtt"}
    )


async def _profile_step(hass: HomeAssistant, profile: str) -> FlowResult:
    """Open the flow up to the topic form of ``profile``."""
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local_mqtt"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"profile": profile})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == profile
    assert not result["errors"]
    return result


def _prefill(result: FlowResult) -> dict[str, Any]:
    """What the form shows before the user types: each field's suggested value or default."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        suggested = (key.description or {}).get("suggested_value")
        if suggested is not None:
            values[str(key)] = suggested
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


def _entry(hass: HomeAssistant, result: FlowResult) -> MockConfigEntry:
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    return entry


# ---- user flow: the menu and the MQTT precondition ------------------------------------------


async def test_local_mqtt_aborts_without_mqtt_integration(hass: HomeAssistant) -> None:
    result = await _start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_local_mqtt_aborts_when_mqtt_entry_is_disabled(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain="mqtt", data={"broker": "mock-broker"}, disabled_by=ConfigEntryDisabler.USER
    ).add_to_hass(hass)
    result = await _start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_local_mqtt_offers_both_profiles(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local_mqtt"
    schema = result["data_schema"]
    assert schema({}) == {"profile": "powermon_lvx"}
    assert schema({"profile": "solar_assistant"}) == {"profile": "solar_assistant"}
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(result["flow_id"], {"profile": "modbus"})


# ---- powermon + lvx-control ---------------------------------------------------------------


async def test_powermon_form_defaults(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    assert _prefill(result) == POWERMON_INPUT


async def test_powermon_creates_entry(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "state_topic_prefix": "  powermon/sensor ",
            "inverter_prefix": " lvx6048",
            "battery_prefix": "lifepower4 ",
            "command_topic_prefix": " solar/control/lvx6048 ",
            "inverter_count": 3,
            "pack_count": 8,
            "max_charge_current_command": " set_max_charge_current ",
            "max_utility_charge_current_command": "utility/max_current",
            "stop_charge_voltage_command": "",
        },
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert result["title"] == "EG4 lvx6048"
    assert entry.title == "EG4 lvx6048"
    assert entry.data == {
        "transport": "mqtt",
        "profile": "powermon_lvx",
        "state_topic_prefix": "powermon/sensor",
        "inverter_prefix": "lvx6048",
        "battery_prefix": "lifepower4",
        "command_topic_prefix": "solar/control/lvx6048",
        "inverter_count": 3,
        "pack_count": 8,
        "max_charge_current_command": "set_max_charge_current",
        "max_utility_charge_current_command": "utility/max_current",
        "stop_charge_voltage_command": "",
    }
    assert type(entry.data["inverter_count"]) is int
    assert type(entry.data["pack_count"]) is int
    assert entry.unique_id == "powermon_lvx:powermon/sensor:lvx6048:lifepower4"
    assert entry.options == {}
    assert entry.state is ConfigEntryState.LOADED


async def test_powermon_cleared_command_fields_are_stored_empty(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A cleared optional command field must mean "this bridge has no such command".

    The frontend's text selector turns a cleared optional field into "no value" and leaves
    the key out of the submitted data, so the step receives the form without the three
    command keys. The form promises "Leave empty if your bridge has none".
    """
    result = await _profile_step(hass, "powermon_lvx")
    user_input = {
        key: value for key, value in POWERMON_INPUT.items() if not key.endswith("_command")
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert entry.data["max_charge_current_command"] == ""
    assert entry.data["max_utility_charge_current_command"] == ""
    assert entry.data["stop_charge_voltage_command"] == ""
    # Without commands, there are no writable numbers for those settings.
    entity_ids = {
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert not {e for e in entity_ids if e.startswith("number.")}


@pytest.mark.parametrize(
    ("field", "bad", "error"),
    [
        ("state_topic_prefix", "homeassistant/sensor/", "invalid_topic"),
        ("state_topic_prefix", "/homeassistant/sensor", "invalid_topic"),
        ("state_topic_prefix", "homeassistant//sensor", "invalid_topic"),
        ("state_topic_prefix", "homeassistant/+", "invalid_topic"),
        ("state_topic_prefix", "homeassistant/#", "invalid_topic"),
        ("state_topic_prefix", "home assistant", "invalid_topic"),
        ("state_topic_prefix", "   ", "invalid_topic"),
        ("command_topic_prefix", "solar/control/", "invalid_topic"),
        ("command_topic_prefix", "solar/+/lvx6048", "invalid_topic"),
        ("inverter_prefix", "lvx/6048", "invalid_name"),
        ("inverter_prefix", "lvx 6048", "invalid_name"),
        ("inverter_prefix", "", "invalid_name"),
        ("battery_prefix", "life+power", "invalid_name"),
        ("battery_prefix", "x" * 65, "invalid_name"),
        ("max_charge_current_command", "max charge", "invalid_command_name"),
        ("max_utility_charge_current_command", "/max_utility", "invalid_command_name"),
        ("stop_charge_voltage_command", "stop_charge_voltage/", "invalid_command_name"),
        ("stop_charge_voltage_command", "stop/#", "invalid_command_name"),
        ("inverter_count", 2.5, "invalid_count"),
        ("pack_count", 5.5, "invalid_count"),
    ],
)
async def test_powermon_field_error_then_recovery(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, field: str, bad: Any, error: str
) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, field: bad}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "powermon_lvx"
    assert result["errors"] == {field: error}
    assert not hass.config_entries.async_entries(DOMAIN)
    # The form keeps what the user typed, so only the bad field needs fixing.
    assert _prefill(result)[field] == bad

    result = await hass.config_entries.flow.async_configure(result["flow_id"], POWERMON_INPUT)
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert entry.data == POWERMON_DATA
    assert entry.title == "EG4 lvx6048"


@pytest.mark.parametrize(
    ("inverter", "battery"),
    [("lvx6048", "lvx6048"), ("lvx", "lvx_battery"), ("pack_inverter", "pack")],
)
async def test_powermon_prefix_conflict_then_recovery(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, inverter: str, battery: str
) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**POWERMON_INPUT, "inverter_prefix": inverter, "battery_prefix": battery},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"battery_prefix": "prefix_conflict"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "inverter_prefix": inverter, "battery_prefix": "bank"}
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert entry.data["inverter_prefix"] == inverter
    assert entry.data["battery_prefix"] == "bank"
    assert entry.title == f"EG4 {inverter}"


async def test_powermon_similar_but_distinct_prefixes_are_accepted(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """lvx and lvx6048 share a start but not with "_" after it: topics cannot be confused."""
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "inverter_prefix": "lvx", "battery_prefix": "lvx6048"}
    )
    await hass.async_block_till_done()
    assert _entry(hass, result).data["battery_prefix"] == "lvx6048"


async def test_powermon_several_errors_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **POWERMON_INPUT,
            "state_topic_prefix": "a/#",
            "inverter_prefix": "bad name",
            "command_topic_prefix": "/x",
            "stop_charge_voltage_command": "a b",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        "state_topic_prefix": "invalid_topic",
        "inverter_prefix": "invalid_name",
        "command_topic_prefix": "invalid_topic",
        "stop_charge_voltage_command": "invalid_command_name",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("inverter_count", 0), ("inverter_count", 10), ("pack_count", 0), ("pack_count", 33)],
)
async def test_counts_outside_the_range_are_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, field: str, value: int
) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {**POWERMON_INPUT, field: value}
        )
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_counts_at_the_limits_are_accepted(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "inverter_count": 9, "pack_count": 32}
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert (entry.data["inverter_count"], entry.data["pack_count"]) == (9, 32)
    assert entry.state is ConfigEntryState.LOADED


# ---- Solar Assistant ----------------------------------------------------------------------


async def test_solar_assistant_form_defaults(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _profile_step(hass, "solar_assistant")
    assert _prefill(result) == SOLAR_ASSISTANT_INPUT


async def test_solar_assistant_creates_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _profile_step(hass, "solar_assistant")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"topic_prefix": " sa/garage ", "inverter_count": 1, "pack_count": 4}
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert result["title"] == "EG4 via Solar Assistant (sa/garage)"
    assert entry.title == "EG4 via Solar Assistant (sa/garage)"
    assert entry.data == {
        "transport": "mqtt",
        "profile": "solar_assistant",
        "topic_prefix": "sa/garage",
        "inverter_count": 1,
        "pack_count": 4,
    }
    assert type(entry.data["inverter_count"]) is int
    assert type(entry.data["pack_count"]) is int
    assert entry.unique_id == "solar_assistant:sa/garage"
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("field", "bad", "error"),
    [
        ("topic_prefix", "solar_assistant/#", "invalid_topic"),
        ("topic_prefix", "solar_assistant/+", "invalid_topic"),
        ("topic_prefix", "solar_assistant/", "invalid_topic"),
        ("topic_prefix", "", "invalid_topic"),
        ("inverter_count", 1.5, "invalid_count"),
        ("pack_count", 2.25, "invalid_count"),
    ],
)
async def test_solar_assistant_field_error_then_recovery(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, field: str, bad: Any, error: str
) -> None:
    result = await _profile_step(hass, "solar_assistant")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SOLAR_ASSISTANT_INPUT, field: bad}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "solar_assistant"
    assert result["errors"] == {field: error}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SOLAR_ASSISTANT_INPUT
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert entry.data == SOLAR_ASSISTANT_DATA
    assert entry.title == "EG4 via Solar Assistant (solar_assistant)"


# ---- one entry per profile and topic set ---------------------------------------------------


async def test_same_powermon_topics_abort_already_configured(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, powermon_entry)
    result = await _profile_step(hass, "powermon_lvx")
    # Command topics and sizes do not make a different system: the telemetry is the same.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **POWERMON_INPUT,
            "state_topic_prefix": " homeassistant/sensor ",
            "command_topic_prefix": "other/control",
            "pack_count": 4,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [powermon_entry]
    assert powermon_entry.data == POWERMON_DATA


async def test_same_solar_assistant_prefix_aborts_already_configured(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, solar_assistant_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, solar_assistant_entry)
    result = await _profile_step(hass, "solar_assistant")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SOLAR_ASSISTANT_INPUT, "inverter_count": 1}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [solar_assistant_entry]


@pytest.mark.parametrize(
    "change",
    [
        {"state_topic_prefix": "garage/sensor"},
        {"inverter_prefix": "lvx6048b"},
        {"battery_prefix": "lifepower4b"},
    ],
)
async def test_other_powermon_topic_set_is_a_second_system(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    powermon_entry: MockConfigEntry,
    change: dict[str, str],
) -> None:
    await setup_entry(hass, powermon_entry)
    result = await _profile_step(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, **change}
    )
    await hass.async_block_till_done()
    entry = _entry(hass, result)
    assert entry.data == {**POWERMON_DATA, **change}
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2
    assert entry.state is ConfigEntryState.LOADED
    assert powermon_entry.state is ConfigEntryState.LOADED


async def test_both_profiles_may_share_a_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, powermon_entry)
    result = await _profile_step(hass, "solar_assistant")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SOLAR_ASSISTANT_INPUT, "topic_prefix": "homeassistant/sensor"}
    )
    await hass.async_block_till_done()
    assert _entry(hass, result).unique_id == "solar_assistant:homeassistant/sensor"


# ---- reconfigure -------------------------------------------------------------------------


async def test_reconfigure_form_shows_current_values(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    result = await powermon_loaded.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_powermon_lvx"
    assert _prefill(result) == POWERMON_INPUT


@pytest.fixture(params=["powermon_loaded", "solar_assistant_loaded", "lxp_bridge_loaded"])
def bridge_loaded(request: pytest.FixtureRequest) -> MockConfigEntry:
    """Each bridge's loaded entry in turn (a sync fixture, so it can pick an async one)."""
    entry: MockConfigEntry = request.getfixturevalue(request.param)
    return entry


async def test_reconfigure_form_is_the_bridges_own(
    hass: HomeAssistant, bridge_loaded: MockConfigEntry
) -> None:
    """Each bridge's reconfigure form is its own step, with its own title and help texts."""
    entry = bridge_loaded
    profile = entry.data["profile"]
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"reconfigure_{profile}"
    texts = EN["config"]["step"][result["step_id"]]
    assert set(texts["data_description"]) == {str(key) for key in result["data_schema"].schema}
    # The form is submitted to the bridge's own step, and the change applied.
    key = "topic_prefix" if "topic_prefix" in texts["data"] else "command_topic_prefix"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_prefill(result), key: "garage/changed"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[key] == "garage/changed"
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_keeps_the_title_the_user_gave(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A title the owner chose survives a reconfigure; a generated one follows the topics."""
    entry = powermon_loaded
    hass.config_entries.async_update_entry(entry, title="Garage bank")
    await hass.async_block_till_done()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "inverter_prefix": "lvx", "pack_count": 5}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["inverter_prefix"] == "lvx"
    assert entry.title == "Garage bank"
    assert entry.state is ConfigEntryState.LOADED
    group = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_system")})
    assert group is not None
    assert group.name == "Garage bank"


async def test_reconfigure_powermon_updates_and_reloads(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    entry = powermon_loaded
    old_coordinator = entry.runtime_data.coordinator
    battery_voltage = "sensor.eg4_lvx6048_inverter_1_battery_voltage"
    assert hass.states.get(battery_voltage).state == "53.4"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **POWERMON_INPUT,
            "state_topic_prefix": " garage/sensor ",
            "inverter_prefix": "lvx",
            "command_topic_prefix": "garage/control",
            "inverter_count": 1,
            "pack_count": 4,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    assert entry.data == {
        **POWERMON_DATA,
        "state_topic_prefix": "garage/sensor",
        "inverter_prefix": "lvx",
        "command_topic_prefix": "garage/control",
        "inverter_count": 1,
        "pack_count": 4,
    }
    assert type(entry.data["pack_count"]) is int
    assert entry.unique_id == "powermon_lvx:garage/sensor:lvx:lifepower4"
    assert entry.title == "EG4 lvx"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1

    # Reloaded: a new coordinator built from the new data, listening on the new topics.
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator is not old_coordinator
    assert sorted(coordinator.data.inverters) == [1]
    assert sorted(coordinator.data.packs) == [1, 2, 3, 4]
    fire(hass, [("garage/sensor/lvx_1_battery_voltage/state", "51.2")])
    await hass.async_block_till_done()
    assert hass.states.get(battery_voltage).state == "51.2"
    fire(hass, [("homeassistant/sensor/lvx6048_1_battery_voltage/state", "49.9")])
    await hass.async_block_till_done()
    assert hass.states.get(battery_voltage).state == "51.2"

    # The group device carries the new title.
    group = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_system")})
    assert group is not None
    assert group.name == "EG4 lvx"


async def test_reconfigure_to_fewer_packs_removes_their_devices(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Packs (and inverters) that are no longer configured must not linger as devices."""
    entry = powermon_loaded
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "inverter_count": 1, "pack_count": 4}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    identifiers = {i for d in devices for (_, i) in d.identifiers}
    assert identifiers == {
        f"{entry.entry_id}_{suffix}"
        for suffix in ("system", "inverter_1", "pack_1", "pack_2", "pack_3", "pack_4")
    }
    unique_ids = {
        e.unique_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert not {u for u in unique_ids if "_pack_5_" in u or "_pack_6_" in u}
    assert not {u for u in unique_ids if "_inverter_2_" in u}


async def test_reconfigure_solar_assistant(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    entry = solar_assistant_loaded
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_solar_assistant"
    assert _prefill(result) == SOLAR_ASSISTANT_INPUT

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"topic_prefix": "sa2 ", "inverter_count": 2, "pack_count": 8}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {**SOLAR_ASSISTANT_DATA, "topic_prefix": "sa2", "pack_count": 8}
    assert entry.unique_id == "solar_assistant:sa2"
    assert entry.title == "EG4 via Solar Assistant (sa2)"
    assert entry.state is ConfigEntryState.LOADED
    assert sorted(entry.runtime_data.coordinator.data.packs) == list(range(1, 9))


async def test_reconfigure_onto_another_entrys_topics_aborts(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    other = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 garage",
        data={**POWERMON_DATA, "inverter_prefix": "garage"},
        unique_id="powermon_lvx:homeassistant/sensor:garage:lifepower4",
    )
    await setup_entry(hass, other)

    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "command_topic_prefix": "garage/control"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert other.data == {**POWERMON_DATA, "inverter_prefix": "garage"}
    assert other.unique_id == "powermon_lvx:homeassistant/sensor:garage:lifepower4"
    assert other.title == "EG4 garage"
    assert powermon_loaded.data == POWERMON_DATA
    assert other.state is ConfigEntryState.LOADED


async def test_reconfigure_keeping_own_topics_is_allowed(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    result = await powermon_loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "pack_count": 5}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert powermon_loaded.data == {**POWERMON_DATA, "pack_count": 5}
    assert powermon_loaded.unique_id == "powermon_lvx:homeassistant/sensor:lvx6048:lifepower4"
    assert sorted(powermon_loaded.runtime_data.coordinator.data.packs) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("field", "bad", "error"),
    [
        ("state_topic_prefix", "homeassistant/#", "invalid_topic"),
        ("inverter_prefix", "lvx 6048", "invalid_name"),
        ("battery_prefix", "lvx6048", "prefix_conflict"),
        ("max_charge_current_command", "max+charge", "invalid_command_name"),
        ("pack_count", 4.5, "invalid_count"),
    ],
)
async def test_reconfigure_error_then_recovery(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, field: str, bad: Any, error: str
) -> None:
    entry = powermon_loaded
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, field: bad}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_powermon_lvx"
    assert result["errors"] == {field: error}
    assert entry.data == POWERMON_DATA

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "command_topic_prefix": "lvx/control"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {**POWERMON_DATA, "command_topic_prefix": "lvx/control"}
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_sets_up_an_entry_that_had_not_started(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    """An entry still waiting to retry its set-up is set up again at once with the new data.

    It has no update listener yet (that is added by a set-up that succeeds), so the
    reconfigure itself reloads it rather than leaving it to the next retry.
    """
    with patch(
        "custom_components.eg4.mqtt.async_wait_for_mqtt_client", AsyncMock(return_value=False)
    ):
        powermon_entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(powermon_entry.entry_id)
        await hass.async_block_till_done()
    assert powermon_entry.state is ConfigEntryState.SETUP_RETRY

    result = await powermon_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**POWERMON_INPUT, "command_topic_prefix": "lvx/control"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert powermon_entry.state is ConfigEntryState.LOADED
    assert powermon_entry.runtime_data.coordinator is not None
    assert powermon_entry.data == {**POWERMON_DATA, "command_topic_prefix": "lvx/control"}


async def test_reconfigure_solar_assistant_error_then_recovery(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    entry = solar_assistant_loaded
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SOLAR_ASSISTANT_INPUT, "topic_prefix": "sa/+"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"topic_prefix": "invalid_topic"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SOLAR_ASSISTANT_INPUT, "topic_prefix": "sa"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {**SOLAR_ASSISTANT_DATA, "topic_prefix": "sa"}


# ---- options -----------------------------------------------------------------------------


async def test_options_defaults(hass: HomeAssistant, powermon_loaded: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(powermon_loaded.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _prefill(result) == {
        "stale_timeout": 180,
        "confirm_timeout": 60,
        "add_new_sources": True,
        "write_budget_per_hour": 60,
        "entity_interval": 10,
    }
    coordinator = powermon_loaded.runtime_data.coordinator
    assert (coordinator.stale_timeout, coordinator.confirm_timeout) == (180, 60)
    assert coordinator.add_new_sources
    assert coordinator.writer.budget.per_hour == 60


async def test_options_stored_as_ints_and_entry_reloads(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    entry = powermon_loaded
    old_coordinator = entry.runtime_data.coordinator
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "stale_timeout": 300.0,
            "confirm_timeout": 90.0,
            "add_new_sources": False,
            "write_budget_per_hour": 0.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert entry.options == {
        "stale_timeout": 300,
        "confirm_timeout": 90,
        "add_new_sources": False,
        "write_budget_per_hour": 0,
        "entity_interval": 10,  # the default, as the form offered it
    }
    assert type(entry.options["stale_timeout"]) is int
    assert type(entry.options["write_budget_per_hour"]) is int
    assert type(entry.options["confirm_timeout"]) is int
    assert entry.data == POWERMON_DATA
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator is not old_coordinator
    assert coordinator.stale_timeout == 300
    assert coordinator.confirm_timeout == 90
    assert not coordinator.add_new_sources
    assert coordinator.writer.budget.per_hour == 0  # no limit

    # Opening the options again shows the stored values.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert _prefill(result) == {
        "stale_timeout": 300,
        "confirm_timeout": 90,
        "add_new_sources": False,
        "write_budget_per_hour": 0,
        "entity_interval": 10,  # the default, as the form offered it
    }


@pytest.mark.parametrize(
    "options",
    [
        {"stale_timeout": 29, "confirm_timeout": 60},
        {"stale_timeout": 3601, "confirm_timeout": 60},
        {"stale_timeout": 180, "confirm_timeout": 4},
        {"stale_timeout": 180, "confirm_timeout": 601},
        {"stale_timeout": 180, "confirm_timeout": 60, "write_budget_per_hour": -1},
        {"stale_timeout": 180, "confirm_timeout": 60, "write_budget_per_hour": 3601},
    ],
)
async def test_options_outside_the_range_are_refused(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, options: dict[str, int]
) -> None:
    result = await hass.config_entries.options.async_init(powermon_loaded.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert powermon_loaded.options == {}


async def test_lxp_bridge_creates_entry(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Datalogs are split in unit order; counts follow them."""
    result = await _profile_step(hass, "lxp_bridge")
    assert _prefill(result) == {"topic_prefix": "lxp", "datalogs": ""}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"topic_prefix": "lxp", "datalogs": " BA12345678 , BA87654321 "}
    )
    entry = _entry(hass, result)
    assert entry.title == "EG4 via lxp-bridge (lxp)"
    assert entry.unique_id == "lxp_bridge:lxp:BA12345678,BA87654321"
    assert dict(entry.data) == {
        "transport": "mqtt",
        "profile": "lxp_bridge",
        "topic_prefix": "lxp",
        "datalogs": ["BA12345678", "BA87654321"],
        "inverter_count": 2,
        "pack_count": 2,
    }
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_lxp_bridge_shows_and_keeps_the_datalogs(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The stored datalog list is shown as typed; a third datalog adds a unit and a bank."""
    result = await _profile_step(hass, "lxp_bridge")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"}
    )
    entry = _entry(hass, result)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_lxp_bridge"
    assert _prefill(result) == {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321, BA00000003"},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["datalogs"] == ["BA12345678", "BA87654321", "BA00000003"]
    assert entry.data["inverter_count"] == entry.data["pack_count"] == 3
    assert entry.unique_id == "lxp_bridge:lxp:BA12345678,BA87654321,BA00000003"
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("datalogs", "", "invalid_datalogs"),
        ("datalogs", "BA1, BA1", "invalid_datalogs"),
        ("datalogs", "BA 1", "invalid_datalogs"),
        ("datalogs", ",".join(f"D{n}" for n in range(10)), "invalid_datalogs"),
        ("topic_prefix", "lxp/#", "invalid_topic"),
    ],
)
async def test_lxp_bridge_error_then_recovery(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, field: str, value: str, error: str
) -> None:
    result = await _profile_step(hass, "lxp_bridge")
    good = {"topic_prefix": "lxp", "datalogs": "BA12345678"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**good, field: value}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    assert _entry(hass, result).data["datalogs"] == ["BA12345678"]
