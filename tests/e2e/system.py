"""The system under test: twin + face + bridge + the eg4 entry, and what tests ask of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from simulator import PowermonLvxFace, SolarAssistantFace, Twin
from simulator.cloud_api import CloudApiServer
from simulator.faces import Face
from tests.integration.conftest import POWERMON_DATA, SOLAR_ASSISTANT_DATA

from .bridge import Bridge, wait_for


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """One bridge profile: its entry data, its face and where the face publishes what."""

    name: str
    title: str
    data: dict[str, Any]
    make_face: Callable[[Twin], Face]
    # canonical pack metric (soc / voltage / current) -> the face's topic for pack m
    pack_topics: dict[str, str]
    # canonical inverter metric -> the face's topic for unit n
    inverter_topics: dict[str, str]


PROFILES: dict[str, ProfileSpec] = {
    "powermon_lvx": ProfileSpec(
        name="powermon_lvx",
        title="EG4 lvx6048",
        data=POWERMON_DATA,
        make_face=PowermonLvxFace,
        pack_topics={
            "soc": "homeassistant/sensor/lifepower4_{n}_soc/state",
            "voltage": "homeassistant/sensor/lifepower4_{n}_pack_voltage/state",
            "current": "homeassistant/sensor/lifepower4_{n}_pack_current/state",
        },
        inverter_topics={
            "battery_voltage": "homeassistant/sensor/lvx6048_{n}_battery_voltage/state",
            "battery_direction": "homeassistant/sensor/lvx6048_{n}_battery_power_direction/state",
        },
    ),
    "solar_assistant": ProfileSpec(
        name="solar_assistant",
        title="EG4 via Solar Assistant (solar_assistant)",
        data=SOLAR_ASSISTANT_DATA,
        make_face=SolarAssistantFace,
        pack_topics={
            "soc": "solar_assistant/battery_{n}/state_of_charge/state",
            "voltage": "solar_assistant/battery_{n}/voltage/state",
            "current": "solar_assistant/battery_{n}/current/state",
        },
        inverter_topics={
            "battery_voltage": "solar_assistant/inverter_{n}/battery_voltage/state",
            "battery_current": "solar_assistant/inverter_{n}/battery_current/state",
        },
    ),
}


@dataclass
class System:
    """A running end-to-end system; the test steps the twin and publishes telemetry."""

    hass: HomeAssistant
    profile: ProfileSpec
    twin: Twin
    face: Face
    bridge: Bridge
    entry: MockConfigEntry

    # ---- entities --------------------------------------------------------------------

    def entity_id(self, suffix: str) -> str:
        """The entity whose unique id is ``<entry_id><suffix>`` (e.g. ``_pack_6_soc``)."""
        unique_id = f"{self.entry.entry_id}{suffix}"
        registry = er.async_get(self.hass)
        matches = [
            reg.entity_id
            for reg in er.async_entries_for_config_entry(registry, self.entry.entry_id)
            if reg.unique_id == unique_id
        ]
        assert len(matches) == 1, f"no single entity with unique id {unique_id}: {matches}"
        return matches[0]

    def state(self, suffix: str) -> State:
        """The current state object of an entity, by unique id suffix."""
        entity_id = self.entity_id(suffix)
        state = self.hass.states.get(entity_id)
        assert state is not None, f"{entity_id} has no state"
        return state

    def value(self, suffix: str) -> float:
        """The numeric state of a sensor."""
        return float(self.state(suffix).state)

    def pack_ids(self, key: str) -> list[str]:
        """Entity ids of one metric for every pack."""
        return [self.entity_id(f"_pack_{m}_{key}") for m in self.pack_numbers]

    def inverter_ids(self, key: str) -> list[str]:
        """Entity ids of one metric for every inverter."""
        return [self.entity_id(f"_inverter_{n}_{key}") for n in self.inverter_numbers]

    def unavailable(self, entity_ids: list[str]) -> list[str]:
        """The entities among ``entity_ids`` that are unavailable."""
        out = []
        for entity_id in entity_ids:
            state = self.hass.states.get(entity_id)
            if state is None or state.state == STATE_UNAVAILABLE:
                out.append(entity_id)
        return out

    # ---- the face's side ---------------------------------------------------------------

    @property
    def pack_numbers(self) -> range:
        """1..number of packs."""
        return range(1, len(self.twin.packs) + 1)

    @property
    def inverter_numbers(self) -> range:
        """1..number of inverters."""
        return range(1, len(self.twin.inverters) + 1)

    def published(self) -> dict[str, str]:
        """What the face publishes right now, topic -> payload (empty during a dropout)."""
        return {m.topic: m.payload for m in self.face.telemetry()}

    def pack_payload(self, number: int, key: str) -> str:
        """The payload the face publishes for one pack metric."""
        return self.published()[self.profile.pack_topics[key].format(n=number)]

    def inverter_payload(self, number: int, key: str) -> str:
        """The payload the face publishes for one inverter metric."""
        return self.published()[self.profile.inverter_topics[key].format(n=number)]

    def assert_sensors_match_face(self) -> None:
        """Pack SoC / voltage / current and inverter battery voltage equal the face's values."""
        mismatches = []
        for m in self.pack_numbers:
            for key in ("soc", "voltage", "current"):
                shown, sent = self.value(f"_pack_{m}_{key}"), float(self.pack_payload(m, key))
                if shown != sent:
                    mismatches.append(f"pack {m} {key}: entity {shown}, face {sent}")
        for n in self.inverter_numbers:
            shown = self.value(f"_inverter_{n}_battery_voltage")
            sent = float(self.inverter_payload(n, "battery_voltage"))
            if shown != sent:
                mismatches.append(f"inverter {n} battery_voltage: entity {shown}, face {sent}")
        assert not mismatches, "\n".join(mismatches)

    # ---- service calls -----------------------------------------------------------------

    def start_call(self, domain: str, service: str, data: dict[str, Any]) -> asyncio.Task[Any]:
        """Start a blocking service call in the background."""
        return self.hass.async_create_task(
            self.hass.services.async_call(domain, service, data, blocking=True)
        )

    async def complete_with_readbacks(
        self,
        call: asyncio.Task[Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - a real-time budget, as in wait_for
    ) -> Any:
        """Answer each command that reaches the face with a telemetry read-back until done.

        This is what the real bridge does on its next publish; Solar Assistant writes unit by
        unit, so it may take a read-back per unit.
        """
        answered = len(self.bridge.commands)
        while not call.done():
            await wait_for(
                lambda seen=answered: call.done() or len(self.bridge.commands) > seen,
                timeout,
                "the next command at the face (or the end of the call)",
            )
            if call.done():
                break
            answered = len(self.bridge.commands)
            await self.bridge.publish_telemetry()
        return await call


@asynccontextmanager
async def bridged(
    hass: HomeAssistant, spec: ProfileSpec, twin: Twin, face: Face, entry: MockConfigEntry
) -> AsyncIterator[System]:
    """Set ``entry`` up on the real broker and bridge ``face`` to it; undo both afterwards.

    Nothing has been published yet: tests call ``system.bridge.publish_telemetry()``.
    """
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    bridge = Bridge(hass, face)
    await bridge.start()
    yield System(hass=hass, profile=spec, twin=twin, face=face, bridge=bridge, entry=entry)
    await bridge.stop()
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def cloud_entry(
    portal: CloudApiServer, *, username: str, password: str, scan_interval: int
) -> MockConfigEntry:
    """A cloud entry for the simulated portal's station, polling every ``scan_interval`` s."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EG4 Simulated Station",
        data={
            "transport": "cloud",
            "server": portal.base_url,
            "username": username,
            "password": password,
            "plant_id": portal.plant_id,
        },
        options={"scan_interval": scan_interval},
        unique_id=f"cloud:{portal.base_url}:{portal.plant_id}",
    )
