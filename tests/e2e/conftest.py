"""End-to-end fixtures: a real mosquitto, Home Assistant's real MQTT client, the twin.

Every message travels through the broker: the integration subscribes and publishes through
Home Assistant's MQTT client, and so does the bridge that connects the simulator's face.
Sockets: the Home Assistant test plugin blocks every socket and only allows connecting to
127.0.0.1 once sockets are enabled, so the broker fixture asks for ``socket_enabled``.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import freezegun.api
import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from simulator import build_twin
from simulator.twin import TwinConfig

from .broker import mosquitto
from .system import PROFILES, System, bridged


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the eg4 custom integration."""
    return


@pytest.fixture(autouse=True)
def mashumaro_sees_frozen_datetime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backport of a pytest-homeassistant-custom-component fix for tests that freeze time.

    A module first imported while time is frozen (MQTT's config flow, imported when its entry
    is set up) has its mashumaro classes compiled against the frozen ``datetime`` class, and
    mashumaro looks that class up by name in the ``datetime`` module. The plugin for Home
    Assistant 2026.x registers the name; the one for 2025.4 does not.
    """
    if not hasattr(datetime, "HAFakeDatetime"):
        monkeypatch.setattr(datetime, "HAFakeDatetime", freezegun.api.FakeDatetime, raising=False)


@pytest.fixture
def broker(socket_enabled: None, tmp_path: Path) -> Iterator[int]:
    """A mosquitto of this test's own on a free loopback port; stopped afterwards."""
    with mosquitto(tmp_path) as port:
        yield port


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant, mock_hass_config: None, broker: int
) -> AsyncIterator[MockConfigEntry]:
    """Home Assistant's MQTT integration, set up normally against the real broker.

    ``mock_hass_config`` stands in for configuration.yaml (MQTT reads its YAML on set-up).

    No birth message: with one, Home Assistant holds a background task for the 5 s discovery
    cool-down before announcing itself, which these tests do not need. Teardown unloads the
    entry while the broker still runs, so the client disconnects cleanly and its socket
    closes (Home Assistant cancels its one-second MQTT housekeeping timer only then) before
    Home Assistant stops and the broker goes away.
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        title="MQTT",
        data={mqtt.CONF_BROKER: "127.0.0.1", "port": broker},
        options={mqtt.CONF_BIRTH_MESSAGE: {}},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    """Each bridge profile in turn."""
    return str(request.param)


@pytest.fixture
def scenario() -> str:
    """The twin's scenario (override with parametrize)."""
    return "drifted"


@pytest.fixture
def twin_options() -> dict[str, float]:
    """Options of the scenario (override with parametrize)."""
    return {}


@pytest.fixture
def twin_config() -> TwinConfig | None:
    """The twin's configuration where a test needs its own (pack capacity...): parametrize."""
    return None


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the eg4 entry (override with parametrize)."""
    return {}


@pytest.fixture
async def system(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    profile: str,
    scenario: str,
    twin_options: dict[str, float],
    entry_options: dict[str, Any],
) -> AsyncIterator[System]:
    """The eg4 entry set up on the real broker, with the twin's face bridged to it.

    Nothing has been published yet: tests call ``system.bridge.publish_telemetry()``.
    """
    spec = PROFILES[profile]
    twin = build_twin(scenario, inverters=2, packs=6, seed=0, **twin_options)
    face = spec.make_face(twin)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=spec.title,
        data=dict(spec.data),
        options=dict(entry_options),
        unique_id=f"e2e:{profile}",
    )
    async with bridged(hass, spec, twin, face, entry) as system:
        yield system
