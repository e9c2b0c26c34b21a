"""MQTT discovery: the bridges' own topics make Home Assistant offer EG4, pre-filled.

The messages go through Home Assistant's MQTT integration (mocked broker): its discovery
subscribes to the manifest's ``mqtt`` topics and starts an ``mqtt`` flow per message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_MQTT, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.profiles.powermon_lvx import INVERTER_KEYS

from .conftest import POWERMON_DATA, SOLAR_ASSISTANT_DATA, fire, load_messages, setup_entry

DATALOGS = ("BA87654321", "BA12345678")
LXP_INPUTS = {"v_bat": 53.1, "soc": 87, "p_pv": 4120, "bat_current": 34.4}


def powermon_config(object_id: str, prefix: str = "homeassistant/sensor") -> tuple[str, str]:
    """A discovery config as powermon's hass output publishes it before each state."""
    unit_prefix, _, key = object_id.partition("_")
    payload = {
        "name": f"{unit_prefix} {key}",
        "state_topic": f"{prefix}/{object_id}/state",
        "unique_id": f"{object_id}_96342305103167",
        "force_update": "true",
        "last_reset": "2026-12-06 10:00:00.000001",
        "device": {"name": unit_prefix, "identifiers": ["96342305103167"], "model": "PI18"},
    }
    return f"{prefix}/{object_id}/config", json.dumps(payload)


def lxp_messages() -> list[tuple[str, str]]:
    """Two datalogs' inputs and retained holding registers."""
    messages = []
    for datalog in DATALOGS:
        messages.append((f"lxp/{datalog}/inputs/all", json.dumps(LXP_INPUTS)))
        messages.append((f"lxp/{datalog}/hold/101", "100"))
    return messages


# bridge -> (announcement, what the bridge publishes next, the form as then pre-filled,
#            an entity the confirmed entry shows and its state)
BRIDGES: dict[str, tuple[tuple[str, str], list[tuple[str, str]], dict[str, Any], str, str]] = {
    "powermon_lvx": (
        powermon_config("lvx6048_1_battery_voltage"),
        load_messages("powermon_lvx.json"),
        {k: v for k, v in POWERMON_DATA.items() if k not in ("transport", "profile")},
        "sensor.eg4_lvx6048_inverter_2_battery_voltage",
        "53.4",
    ),
    "solar_assistant": (
        ("solar_assistant/inverter_1/device_mode/state", "Grid"),
        load_messages("solar_assistant.json"),
        {"topic_prefix": "solar_assistant", "inverter_count": 2, "pack_count": 6},
        "sensor.eg4_via_solar_assistant_solar_assistant_battery_6_state_of_charge",
        "76.0",
    ),
    "lxp_bridge": (
        ("lxp/LWT", "online"),
        lxp_messages(),
        {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"},
        "sensor.eg4_via_lxp_bridge_lxp_inverter_2_battery_voltage",
        "53.1",
    ),
}


def _flows(hass: HomeAssistant) -> list[Any]:
    return hass.config_entries.flow.async_progress_by_handler(DOMAIN)


def _prefill(result: FlowResult) -> dict[str, Any]:
    """What the form shows before the user types: suggested values and defaults."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        suggested = (key.description or {}).get("suggested_value")
        values[str(key)] = suggested if suggested is not None else key.default()
    return values


async def _announce(hass: HomeAssistant, message: tuple[str, str]) -> None:
    async_fire_mqtt_message(hass, *message, retain=True)
    # Home Assistant starts discovery flows as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def _offer(hass: HomeAssistant, bridge: str) -> FlowResult:
    """The bridge announces itself, then publishes; the user opens the offer."""
    announcement, messages, *_ = BRIDGES[bridge]
    await _announce(hass, announcement)
    flows = _flows(hass)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_MQTT
    assert flows[0]["step_id"] == "discovery_confirm"
    fire(hass, messages)
    await hass.async_block_till_done()
    # Opening the offer shows the step again, as the frontend does.
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    return result


@pytest.mark.parametrize("bridge", list(BRIDGES))
async def test_bridge_topics_offer_eg4_prefilled_and_confirming_sets_it_up(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, bridge: str
) -> None:
    _, messages, expected, entity_id, state = BRIDGES[bridge]
    result = await _offer(hass, bridge)
    assert _prefill(result) == expected

    result = await hass.config_entries.flow.async_configure(result["flow_id"], _prefill(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["profile"] == bridge
    assert not _flows(hass)

    fire(hass, messages)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == state
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert len(entities) > 10


def _only(messages: list[tuple[str, str]], *levels: str) -> list[tuple[str, str]]:
    """The messages of the named units and packs only (a smaller installation)."""
    return [m for m in messages if any(level in m[0] for level in levels)]


# A smaller installation than the form's defaults (2 units, 6 packs): the counts the offer
# shows are what the bridge published, not the defaults.
SMALL: dict[str, tuple[list[tuple[str, str]], dict[str, Any], str]] = {
    "powermon_lvx": (
        _only(
            load_messages("powermon_lvx.json"),
            "lvx6048_1_",
            *(f"lifepower4_{n}_" for n in (1, 2, 3)),
        ),
        {"inverter_count": 1, "pack_count": 3},
        "sensor.eg4_lvx6048_battery_3_state_of_charge",
    ),
    "solar_assistant": (
        _only(load_messages("solar_assistant.json"), "inverter_1/", "battery_1/", "battery_2/"),
        {"inverter_count": 1, "pack_count": 2},
        "sensor.eg4_via_solar_assistant_solar_assistant_battery_2_state_of_charge",
    ),
    "lxp_bridge": (
        lxp_messages()[2:],  # the second datalog only
        {"datalogs": DATALOGS[1]},
        "sensor.eg4_via_lxp_bridge_lxp_battery_1_state_of_charge",
    ),
}


@pytest.mark.parametrize("bridge", list(SMALL))
async def test_the_offer_counts_what_the_bridge_publishes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, bridge: str
) -> None:
    """One unit and two or three packs seen: the form says so, and the entry has just those."""
    announcement = BRIDGES[bridge][0]
    messages, counts, entity_id = SMALL[bridge]
    await _announce(hass, announcement)
    (flow,) = _flows(hass)
    fire(hass, messages)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    prefilled = _prefill(result)
    assert {key: prefilled[key] for key in counts} == counts

    result = await hass.config_entries.flow.async_configure(result["flow_id"], prefilled)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    fire(hass, messages)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    units = 1
    packs = counts.get("pack_count", 1)
    assert (len(coordinator.data.inverters), len(coordinator.data.packs)) == (units, packs)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state not in ("unknown", "unavailable")


async def test_powermon_offer_has_the_same_data_as_a_typed_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    result = await _offer(hass, "powermon_lvx")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _prefill(result))
    assert result["data"] == POWERMON_DATA
    assert result["title"] == "EG4 lvx6048"
    assert result["result"].unique_id == "powermon_lvx:homeassistant/sensor:lvx6048:lifepower4"


async def test_the_offer_is_named_after_the_bridge(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await _announce(hass, BRIDGES["solar_assistant"][0])
    (flow,) = _flows(hass)
    assert flow["context"]["title_placeholders"] == {
        "name": "EG4 via Solar Assistant (solar_assistant)"
    }


async def test_each_installation_is_offered_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Every unit's and every reading's announcement names the same installation."""
    for object_id in ("lvx6048_1_battery_voltage", "lvx6048_2_battery_voltage"):
        await _announce(hass, powermon_config(object_id))
        await _announce(hass, powermon_config(object_id.replace("battery", "ac_output")))
    await _announce(hass, ("solar_assistant/inverter_1/device_mode/state", "Grid"))
    await _announce(hass, ("solar_assistant/inverter_2/device_mode/state", "Grid"))
    flows = _flows(hass)
    assert sorted(flow["context"]["unique_id"] for flow in flows) == [
        "powermon_lvx:homeassistant/sensor:lvx6048",
        "solar_assistant:solar_assistant",
    ]


async def test_a_second_powermon_group_is_a_second_offer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await _announce(hass, powermon_config("lvx6048_1_battery_voltage"))
    await _announce(hass, powermon_config("garage_1_battery_voltage"))
    assert len(_flows(hass)) == 2


@pytest.mark.parametrize(
    "message",
    [
        powermon_config("lifepower4_1_soc"),  # a pack reader alone is no system
        powermon_config("kitchen_temperature"),
        ("homeassistant/sensor/lvx6048_1_battery_voltage/config", "not json"),
        ("homeassistant/sensor/lvx6048_1_battery_voltage/config", json.dumps({"name": "x"})),
        ("homeassistant/sensor/lvx6048_1_battery_voltage/config", "[]"),
        ("solar_assistant/battery_1/device_mode/state", "Grid"),
        ("solar_assistant/total/device_mode/state", "Grid"),
        ("lxp/LWT", "hello"),
    ],
)
async def test_other_messages_on_the_topics_offer_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, message: tuple[str, str]
) -> None:
    await _announce(hass, message)
    assert not _flows(hass)


async def test_a_configured_installation_is_not_offered_and_not_disturbed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Also when the entry's battery prefix is not the default: the inverters decide."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, "battery_prefix": "bank"},
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:bank",
    )
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    # More topics than Home Assistant remembers per entry, each a new discovery.
    for key in INVERTER_KEYS:
        for unit in (1, 2):
            await _announce(hass, powermon_config(f"lvx6048_{unit}_{key}"))
    assert not _flows(hass)
    # The entry was not reloaded by the discoveries.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is coordinator


async def test_a_configured_solar_assistant_is_not_offered(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, solar_assistant_entry: MockConfigEntry
) -> None:
    """Its unique id is its identity: the offer must not take it, or the entry reloads."""
    await setup_entry(hass, solar_assistant_entry)
    coordinator = solar_assistant_entry.runtime_data.coordinator
    await _announce(hass, BRIDGES["solar_assistant"][0])
    await _announce(hass, ("solar_assistant/inverter_2/device_mode/state", "Grid"))
    assert not _flows(hass)
    assert solar_assistant_entry.data == SOLAR_ASSISTANT_DATA
    assert solar_assistant_entry.runtime_data.coordinator is coordinator


async def test_an_ignored_offer_stays_ignored(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await _announce(hass, ("lxp/LWT", "online"))
    (flow,) = _flows(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": flow["context"]["unique_id"], "title": "lxp-bridge"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert not _flows(hass)

    await _announce(hass, ("lxp/LWT", "offline"))
    await _announce(hass, ("lxp/LWT", "online"))
    assert not _flows(hass)


async def test_confirming_checks_the_form_like_the_user_flow(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """lxp-bridge announced, no datalog seen yet: the user must type them."""
    await _announce(hass, ("lxp/LWT", "online"))
    (flow,) = _flows(hass)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert _prefill(result) == {"topic_prefix": "lxp", "datalogs": ""}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"topic_prefix": "lxp", "datalogs": ""}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"datalogs": "invalid_datalogs"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"topic_prefix": "lxp", "datalogs": "BA12345678"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["datalogs"] == ["BA12345678"]
    assert result["result"].unique_id == "lxp_bridge:lxp:BA12345678"


async def test_an_entry_added_meanwhile_ends_the_offer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> None:
    """The user typed the same system in by hand while the offer waited."""
    await _announce(hass, powermon_config("lvx6048_1_battery_voltage"))
    (flow,) = _flows(hass)
    await setup_entry(hass, powermon_entry)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {
            **{k: v for k, v in POWERMON_DATA.items() if k not in ("transport", "profile")},
            "battery_prefix": "other",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
