"""Dynamic devices through a real mosquitto: a pack the entry was not set up for joins.

The twin has seven packs, the entry was set up for six. The broker also holds a retained
topic of an eighth pack that no longer exists: it reaches the integration flagged as retained
when it subscribes, and adds nothing. The face's live telemetry adds pack 7 without a reload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import CONF_PACK_COUNT, DOMAIN
from simulator import build_twin

from .system import PROFILES, System, bridged

GHOST = {
    "powermon_lvx": "homeassistant/sensor/lifepower4_8_soc/state",
    "solar_assistant": "solar_assistant/battery_8/state_of_charge/state",
}


@pytest.fixture
async def grown(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, profile: str
) -> AsyncIterator[System]:
    """A seven-pack twin bridged to an entry set up for six; a retained eighth pack's topic."""
    await mqtt.async_publish(hass, GHOST[profile], "40", qos=1, retain=True)
    spec = PROFILES[profile]
    twin = build_twin("drifted", inverters=2, packs=7, seed=0)
    data: dict[str, Any] = {**spec.data, CONF_PACK_COUNT: 6}
    entry = MockConfigEntry(domain=DOMAIN, title=spec.title, data=data, unique_id=f"e2e:{profile}")
    async with bridged(hass, spec, twin, spec.make_face(twin), entry) as system:
        yield system


async def test_a_pack_joins_through_the_broker_and_a_retained_ghost_does_not(
    hass: HomeAssistant, grown: System
) -> None:
    system = grown
    entry = system.entry
    coordinator = entry.runtime_data.coordinator
    await system.bridge.sync()  # the retained ghost has been delivered by now
    assert sorted(coordinator.data.packs) == [1, 2, 3, 4, 5, 6]

    assert await system.bridge.publish_telemetry() > 0
    await hass.async_block_till_done()

    system.assert_sensors_match_face()  # all seven packs, pack 7 included
    assert sorted(coordinator.data.packs) == [1, 2, 3, 4, 5, 6, 7]
    assert entry.runtime_data.coordinator is coordinator  # not reloaded
    assert entry.data[CONF_PACK_COUNT] == 7
    devices = dr.async_get(hass)
    assert devices.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_pack_7")})
    assert not devices.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_pack_8")})
