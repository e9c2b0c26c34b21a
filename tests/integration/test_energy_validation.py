"""Home Assistant's own Energy dashboard validation accepts eg4's sensors as they are.

The group's sensors of an lxp-bridge entry (grid import/export, solar, battery in/out, and the
signed battery and grid powers where this Home Assistant takes powers) pass the preferences'
schema and are saved in the energy manager, the recorder compiles their statistics, and the
energy integration's own validation (what ``energy/validate`` answers) reports no issue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockPahoClient,
)

from custom_components.eg4.const import DOMAIN
from simulator import build_twin
from simulator.twin import TwinConfig
from tests.e2e.test_lxp_bridge_e2e import LXP
from tests.e2e.twin_rig import Rig, StartRig

from .conftest import close_mocked_socket

# Does this Home Assistant take power sensors in the energy preferences (2025.12 and later)?
TAKES_POWER = hasattr(energy_data, "PowerConfig")
NO_PRICE = {"entity_energy_price": None, "number_energy_price": None}


# The recorder must start before Home Assistant does: the conftest's autouse fixtures that ask
# for ``hass`` are overridden here to ask for the recorder first.
@pytest.fixture(autouse=True)
async def close_mqtt_socket(
    recorder_mock: Any, hass: HomeAssistant, mqtt_client_mock: MqttMockPahoClient
) -> AsyncIterator[None]:
    """As the conftest's, with the recorder running."""
    yield
    close_mocked_socket(mqtt_client_mock)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """As the conftest's, with the recorder running."""


@pytest.fixture
async def rig(
    start_rig: StartRig,
) -> AsyncIterator[Rig]:
    """An lxp-bridge entry fed by a sunny twin (the recorder runs: see above)."""
    twin = build_twin("healthy", inverters=2, packs=2, seed=0, config=TwinConfig(start_hour=9.0))
    async with start_rig(
        LXP,
        twin,
        title="EG4 lxp",
        unique_id="energy:validation",
        kind=Rig,
    ) as rig:
        yield rig


def group_sensor(rig: Rig, key: str) -> str:
    unique_id = f"{rig.entry.entry_id}_system_{key}"
    entity_id = er.async_get(rig.hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, key
    return entity_id


async def test_energy_validation_reports_no_issue_for_eg4s_sensors(
    hass: HomeAssistant, rig: Rig
) -> None:
    assert await async_setup_component(hass, "energy", {})
    now = dt_util.utcnow()
    start = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    start += timedelta(minutes=5)  # the first whole statistics period with states
    for _ in range(12):  # an hour of telemetry, so the sensors have states to compile
        await rig.advance(300)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=start)
    do_adhoc_statistics(hass, start=start + timedelta(minutes=5))
    await async_wait_recording_done(hass)

    grid: dict[str, Any] = {
        "type": "grid",
        "flow_from": [{"stat_energy_from": group_sensor(rig, "grid_import_energy"), **NO_PRICE}],
        "flow_to": [{"stat_energy_to": group_sensor(rig, "grid_export_energy"), **NO_PRICE}],
        "cost_adjustment_day": 0,
    }
    battery: dict[str, Any] = {
        "type": "battery",
        "stat_energy_from": group_sensor(rig, "battery_discharge_energy"),
        "stat_energy_to": group_sensor(rig, "battery_charge_energy"),
    }
    if TAKES_POWER:  # the signed powers, as the dashboard takes them
        grid["power"] = [{"stat_rate": group_sensor(rig, "grid_power")}]
        battery["stat_rate"] = group_sensor(rig, "battery_power")
    prefs = {
        "energy_sources": [
            grid,
            {"type": "solar", "stat_energy_from": group_sensor(rig, "pv_energy")},
            battery,
        ],
        "device_consumption": [{"stat_consumption": group_sensor(rig, "load_energy")}],
    }
    # What the dashboard's save does: the preferences pass the schema, then the manager.
    prefs["energy_sources"] = energy_data.ENERGY_SOURCE_SCHEMA(prefs["energy_sources"])
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(prefs)  # type: ignore[arg-type]
    result = (await async_validate(hass)).as_dict()
    assert result["energy_sources"] == [[], [], []]
    assert result["device_consumption"] == [[]]
    assert float(hass.states.get(group_sensor(rig, "pv_energy")).state) > 0  # type: ignore[union-attr]
