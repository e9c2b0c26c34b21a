"""Energy sensors of a cloud entry: the portal's own lifetime counters, per unit and summed.

Home Assistant -> the real client -> the simulated portal on 127.0.0.1 -> the twin on a sunny
morning. The portal counts in 0.1 kWh words (``getInverterEnergyInfo``); the unit sensors show
them in kWh, the group's sensors their sum, the signed powers follow the runtime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.energy import EnergyKind
from custom_components.eg4.transport import cloud as cloud_transport
from simulator import build_twin
from simulator.cloud_api import CloudApiServer
from simulator.twin import TwinConfig

from .system import cloud_entry

USERNAME = "owner@example.net"
PASSWORD = "Tr0ub4dor&3-secret"  # noqa: S105 - test credentials
SCAN_S = 60
KINDS = {
    EnergyKind.PV: "totalYielding",
    EnergyKind.BATTERY_CHARGE: "totalCharging",
    EnergyKind.BATTERY_DISCHARGE: "totalDischarging",
    EnergyKind.GRID_IMPORT: "totalImport",
    EnergyKind.GRID_EXPORT: "totalExport",
    EnergyKind.LOAD: "totalUsage",
}


@pytest.fixture
async def portal(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CloudApiServer]:
    """Two 18kPV in parallel at 09:00; energy read on every poll (else every 5 minutes)."""
    monkeypatch.setattr(cloud_transport, "ENERGY_REFRESH_S", 0.0)
    twin = build_twin("healthy", inverters=2, packs=2, seed=0, config=TwinConfig(start_hour=9.0))
    server = CloudApiServer(twin, username=USERNAME, password=PASSWORD)
    await server.start()
    yield server
    await server.stop()


def state(hass: HomeAssistant, entry_id: str, scope: str, key: str) -> tuple[float, dict]:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry_id}_{scope}_{key}"
    )
    assert entity_id is not None, f"no {key} on {scope}"
    current = hass.states.get(entity_id)
    assert current is not None
    return float(current.state), dict(current.attributes)


async def test_cloud_energy_sensors_show_the_portals_counters(
    hass: HomeAssistant, portal: CloudApiServer
) -> None:
    entry = cloud_entry(portal, username=USERNAME, password=PASSWORD, scan_interval=SCAN_S)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    seen: dict[tuple[str, str], list[float]] = {}
    for _ in range(24):  # two hours of the twin, a poll every five minutes
        portal.twin.step(300)
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SCAN_S + 1))
        await hass.async_block_till_done(wait_background_tasks=True)
        for scope in ("inverter_1", "inverter_2", "system"):
            for kind in EnergyKind:
                value, _ = state(hass, entry.entry_id, scope, kind)
                seen.setdefault((scope, kind), []).append(value)
    for key, values in seen.items():
        assert values == sorted(values), f"{key} went backwards"
    words = {unit: portal.energy.words([unit]) for unit in (1, 2)}
    for kind, field in KINDS.items():
        units = [state(hass, entry.entry_id, f"inverter_{u}", kind)[0] for u in (1, 2)]
        assert units == [words[u][field] / 10 for u in (1, 2)], kind
        group, attributes = state(hass, entry.entry_id, "system", kind)
        assert group == pytest.approx(sum(units)), kind
        assert attributes["device_class"] == "energy"
        assert attributes["state_class"] == "total_increasing"
        assert attributes["unit_of_measurement"] == "kWh"
    assert state(hass, entry.entry_id, "system", EnergyKind.PV)[0] > 5.0  # a sunny morning
    # The signed powers: the battery - while charging, the grid + while importing.
    flows = portal.twin.inverter(1).flows
    battery, attributes = state(hass, entry.entry_id, "inverter_1", "battery_power")
    assert attributes["device_class"] == "power"
    assert battery == pytest.approx(-flows.battery_current_a * flows.battery_v, rel=0.05, abs=20)
    grid, _ = state(hass, entry.entry_id, "inverter_1", "grid_power")
    assert grid == pytest.approx(flows.grid_in_w, abs=1)
    assert await hass.config_entries.async_unload(entry.entry_id)
