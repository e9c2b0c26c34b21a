"""Fixtures for tests that run Home Assistant."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest
from homeassistant.components.sensor import ATTR_OPTIONS, ATTR_STATE_CLASS
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, MqttMockPahoClient
from syrupy.assertion import SnapshotAssertion

from custom_components.eg4.const import (
    CONF_BATTERY_PREFIX,
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
    CONF_COMMAND_TOPIC_PREFIX,
    CONF_INVERTER_COUNT,
    CONF_INVERTER_PREFIX,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_STATE_TOPIC_PREFIX,
    CONF_TOPIC_PREFIX,
    CONF_TRANSPORT,
    DOMAIN,
)

FIXTURES = Path(__file__).parent / "fixtures"

POWERMON_DATA: dict[str, Any] = {
    CONF_TRANSPORT: "mqtt",
    CONF_PROFILE: "powermon_lvx",
    CONF_STATE_TOPIC_PREFIX: "homeassistant/sensor",
    CONF_INVERTER_PREFIX: "lvx6048",
    CONF_BATTERY_PREFIX: "lifepower4",
    CONF_COMMAND_TOPIC_PREFIX: "solar/control/lvx6048",
    CONF_INVERTER_COUNT: 2,
    CONF_PACK_COUNT: 6,
    CONF_CMD_MAX_CHARGE_CURRENT: "max_charge_current",
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT: "max_utility_charge_current",
    CONF_CMD_STOP_CHARGE_VOLTAGE: "stop_charge_voltage",
}
SOLAR_ASSISTANT_DATA: dict[str, Any] = {
    CONF_TRANSPORT: "mqtt",
    CONF_PROFILE: "solar_assistant",
    CONF_TOPIC_PREFIX: "solar_assistant",
    CONF_INVERTER_COUNT: 2,
    CONF_PACK_COUNT: 6,
}

LXP_DATALOGS = ["BA12345678", "BA87654321"]
LXP_INPUTS = {
    "v_bat": 53.1,
    "soc": 87,
    "p_pv": 4120,
    "bat_current": 34.4,
    "max_cell_voltage": 3.342,
    "min_cell_voltage": 3.331,
    "max_cell_temp": 26.0,
    "min_cell_temp": 23.0,
}
LXP_DATA = {
    "transport": "mqtt",
    "profile": "lxp_bridge",
    "topic_prefix": "lxp",
    "datalogs": LXP_DATALOGS,
    "inverter_count": 2,
    "pack_count": 2,
}


@pytest.fixture(autouse=True)
async def close_mqtt_socket(
    hass: HomeAssistant, mqtt_client_mock: MqttMockPahoClient
) -> AsyncIterator[None]:
    """Close the mocked broker socket at teardown.

    Home Assistant 2025.4's MQTT client only cancels its one-second misc-loop timer when the
    socket closes, which the mocked client never does; the timer would fail the test as a
    lingering timer. (2026.x does not need this; closing the socket there is harmless.)
    """
    yield
    close_mocked_socket(mqtt_client_mock)


def close_mocked_socket(mqtt_client_mock: MqttMockPahoClient) -> None:
    """What ``close_mqtt_socket`` does at teardown (for modules that override it)."""
    on_socket_close = mqtt_client_mock.on_socket_close
    if not isinstance(on_socket_close, Mock):  # only once MQTT set itself up
        on_socket_close(mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1)))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the eg4 custom integration."""
    return


def load_messages(name: str) -> list[tuple[str, str]]:
    """(topic, payload) pairs from a fixture file written for these tests."""
    data = json.loads((FIXTURES / name).read_text())
    return [(m["topic"], m["payload"]) for m in data["messages"]]


def fire(hass: HomeAssistant, messages: list[tuple[str, str]]) -> None:
    """Deliver messages as the broker would."""
    for topic, payload in messages:
        async_fire_mqtt_message(hass, topic, payload)


@pytest.fixture
def powermon_entry() -> MockConfigEntry:
    """A powermon + lvx-control entry for the two-inverter, six-pack installation."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data=dict(POWERMON_DATA),
        unique_id="powermon_lvx:homeassistant/sensor:lvx6048:lifepower4",
    )


@pytest.fixture
def solar_assistant_entry() -> MockConfigEntry:
    """A Solar Assistant entry for the same installation."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EG4 via Solar Assistant (solar_assistant)",
        data=dict(SOLAR_ASSISTANT_DATA),
        unique_id="solar_assistant:solar_assistant",
    )


async def settle_drift(hass: HomeAssistant) -> None:
    """Let the drift analysis that follows the first data run (it is debounced by 2 s)."""
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    await hass.async_block_till_done()


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up a config entry."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def powermon_loaded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, powermon_entry: MockConfigEntry
) -> Iterator[MockConfigEntry]:
    """The powermon entry, set up and fed the full realistic message set."""
    await setup_entry(hass, powermon_entry)
    fire(hass, load_messages("powermon_lvx.json"))
    await settle_drift(hass)
    return powermon_entry


@pytest.fixture
async def solar_assistant_loaded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, solar_assistant_entry: MockConfigEntry
) -> MockConfigEntry:
    """The Solar Assistant entry, set up and fed the full realistic message set."""
    await setup_entry(hass, solar_assistant_entry)
    fire(hass, load_messages("solar_assistant.json"))
    await settle_drift(hass)
    return solar_assistant_entry


@pytest.fixture
async def lxp_bridge_loaded(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> MockConfigEntry:
    """An lxp-bridge entry for two hybrid inverters, with telemetry and read-backs."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 via lxp-bridge (lxp)",
        data=dict(LXP_DATA),
        unique_id="lxp_bridge:lxp:BA12345678,BA87654321",
    )
    await setup_entry(hass, entry)
    for datalog in LXP_DATALOGS:
        async_fire_mqtt_message(hass, f"lxp/{datalog}/inputs/all", json.dumps(LXP_INPUTS))
        for register, value in ((101, "100"), (102, "150"), (67, "90"), (21, "29521")):
            async_fire_mqtt_message(hass, f"lxp/{datalog}/hold/{register}", value, retain=True)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot extension (tests/integration/snapshots) on every HA version.

    Some pytest-homeassistant-custom-component versions let syrupy's own fixture win,
    which would read and write ``__snapshots__`` instead.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


def entries_on(hass: HomeAssistant, entry_id: str) -> list[er.RegistryEntry]:
    """The entry's registered entities that are on (one off by default has no state)."""
    return [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if e.disabled_by is None
    ]


def projection(
    hass: HomeAssistant, entry: MockConfigEntry, domain: str, attributes: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What a user sees of each entity of the entry, independent of the HA version.

    The unique id (with the entry's id as ``<entry>``) is here too: it keys the user's history
    and settings, so no change of names may change it. ``attributes``: the platform's own state
    attributes to show as well (a number's range, a binary sensor's flags). An entity that is
    off by default shows only how it is registered.
    """
    registry = er.async_get(hass)
    out: dict[str, Any] = {}
    for reg in sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.entity_id
    ):
        if reg.domain != domain:
            continue
        if reg.disabled_by is not None:  # off until the owner turns it on: no state to show
            out[reg.entity_id] = {
                "disabled_by": _plain(reg.disabled_by),
                "entity_category": _plain(reg.entity_category),
                "translation_key": reg.translation_key,
                "unique_id": reg.unique_id.replace(entry.entry_id, "<entry>"),
            }
            continue
        state = hass.states.get(reg.entity_id)
        assert state is not None, reg.entity_id
        out[reg.entity_id] = {
            "name": state.attributes.get("friendly_name"),
            "state": state.state,
            "unit_of_measurement": _plain(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)),
            "device_class": _plain(state.attributes.get(ATTR_DEVICE_CLASS)),
            "state_class": _plain(state.attributes.get(ATTR_STATE_CLASS)),
            "entity_category": _plain(reg.entity_category),
            "translation_key": reg.translation_key,
            "options": state.attributes.get(ATTR_OPTIONS),
            "unique_id": reg.unique_id.replace(entry.entry_id, "<entry>"),
            **{name: _plain(state.attributes.get(name)) for name in attributes},
        }
    return out


def _plain(value: Any) -> Any:
    """Enum members as their plain values, so the snapshot does not depend on reprs."""
    return value.value if isinstance(value, Enum) else value


def float_tails(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The entry's measurements that show a fraction without a display precision."""
    registry = er.async_get(hass)
    tails = []
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        state = hass.states.get(entity.entity_id)
        if entity.domain != "sensor" or state is None or "." not in state.state:
            continue
        if ATTR_STATE_CLASS not in state.attributes:  # a text such as a firmware version
            continue
        try:
            float(state.state)
        except ValueError:
            continue
        if "suggested_display_precision" not in entity.options.get("sensor", {}):
            tails.append(f"{entity.entity_id} = {state.state}")
    return tails
