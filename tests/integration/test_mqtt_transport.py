"""The MQTT transport: what reaches the entities, what a failed publish says, and the repair
issue a misconfigured bridge raises (and takes back)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.profiles.base import DEFAULT_MAX_PAYLOAD

from .conftest import fire

PM = "homeassistant/sensor/lvx6048_{n}_{key}/state"
VOLTAGE = "sensor.eg4_lvx6048_inverter_1_battery_voltage"
MAX_CHARGE = "number.eg4_lvx6048_max_charge_current"
# One poll of real powermon 1.0.18 (GS, then PIRI's ratings on the same topics), unit 1.
CAPTURE = json.loads(
    (Path(__file__).parents[1] / "unit" / "fixtures" / "powermon_1_0_18_pi18_poll.json").read_text()
)


async def test_an_oversized_payload_is_dropped_unread(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """A payload longer than any the bridge sends never reaches the profile: not even counted."""
    before = hass.states.get(VOLTAGE).state
    coordinator = powermon_loaded.runtime_data.coordinator
    accepted = coordinator.accepted
    payload = "51.7" + " " * DEFAULT_MAX_PAYLOAD
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), payload)
    await hass.async_block_till_done()
    assert hass.states.get(VOLTAGE).state == before
    assert coordinator.accepted == accepted
    assert sum(coordinator.rejected.values()) == 0


async def test_a_payload_that_is_not_text_is_ignored(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    before = hass.states.get(VOLTAGE).state
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), b"\xff\xfe5")
    await hass.async_block_till_done()
    assert hass.states.get(VOLTAGE).state == before


async def test_a_failed_publish_is_a_translated_error(
    hass: HomeAssistant, mqtt_mock: Any, powermon_loaded: MockConfigEntry
) -> None:
    """The broker refusing the command: the user is told it was not sent; nothing changes."""
    with (
        patch(
            "homeassistant.components.mqtt.async_publish",
            side_effect=HomeAssistantError("not connected"),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call(
            "number", "set_value", {"entity_id": MAX_CHARGE, "value": 60}, blocking=True
        )
    assert err.value.translation_key == "send_failed"
    assert err.value.translation_placeholders["setting"] == "max_charge_current"
    assert hass.states.get(MAX_CHARGE).state == "80"


async def test_a_misconfigured_bridge_raises_a_repair_that_unloading_takes_back(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """powermon publishing PIRI's ratings on GS's topics: a repair issue names the unit and the
    filter to add; it goes with the entry (a stopped transport advises nothing)."""
    issue_id = f"powermon_pi18_ratings_{powermon_loaded.entry_id}"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    fire(hass, [(topic, payload) for topic, payload in CAPTURE["plain"]])
    await hass.async_block_till_done()
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "powermon_pi18_ratings"
    assert issue.translation_placeholders["publishers"] == "lvx6048_1"
    assert await hass.config_entries.async_unload(powermon_loaded.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_after_unloading_nothing_is_listened_to(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    coordinator = powermon_loaded.runtime_data.coordinator
    assert await hass.config_entries.async_unload(powermon_loaded.entry_id)
    await hass.async_block_till_done()
    accepted = coordinator.accepted
    async_fire_mqtt_message(hass, PM.format(n=1, key="battery_voltage"), "50.1")
    await hass.async_block_till_done()
    assert coordinator.accepted == accepted
