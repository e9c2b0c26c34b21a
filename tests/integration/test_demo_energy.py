"""The demo's Energy dashboard set-up (scripts/lib/demo_energy.py) against the demo's entry.

scripts/demo finds eg4's system-wide sensors through Home Assistant's registries (translation
keys on the system's device, whatever the entity ids) and saves the Energy dashboard's
preferences with them. Here it reads the registries the way the demo does (the websocket
commands the frontend uses) from the entry the demo creates, and Home Assistant's own energy
schema must accept what it builds.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from homeassistant.components.energy.data import BATTERY_SOURCE_SCHEMA, ENERGY_SOURCE_SCHEMA
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.eg4.const import DOMAIN

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "lib"
# The demo runs Home Assistant 2026.2.3, whose Energy dashboard takes power sensors too; the
# 2025.4 floor's does not know them: there only the energies are held to HA's schema.
TAKES_POWER = any(str(key) == "stat_rate" for key in BATTERY_SOURCE_SCHEMA.schema)


def energies_only(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sources without their power sensors, where this Home Assistant does not take them."""
    if TAKES_POWER:
        return sources
    return [{k: v for k, v in s.items() if k not in ("stat_rate", "power")} for s in sources]


@pytest.fixture
def demo_energy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """scripts/lib/demo_energy.py, imported as scripts/demo runs it (its siblings on the path)."""
    monkeypatch.syspath_prepend(str(SCRIPTS))
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location("eg4_demo_energy", SCRIPTS / "demo_energy.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up there
    spec.loader.exec_module(module)
    yield module
    for name in {"demo_browser", "demo_check"} - before:
        sys.modules.pop(name, None)


async def registries(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entity and device registries as the demo reads them (the websocket lists)."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    lists = []
    for number, kind in enumerate(("entity", "device"), start=1):
        await client.send_json({"id": number, "type": f"config/{kind}_registry/list"})
        reply = await client.receive_json()
        assert reply["success"], reply
        lists.append(reply["result"])
    return lists[0], lists[1]


async def test_the_demo_configures_the_energy_dashboard_with_the_system_sensors(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    powermon_loaded: MockConfigEntry,
    demo_energy: ModuleType,
) -> None:
    entities, devices = await registries(hass, hass_ws_client)
    sensors: dict[str, str] = demo_energy.system_sensors(entities, devices)

    # powermon measures no grid power: solar and the battery, with the battery's power.
    assert set(sensors) == {"solar", "battery_in", "battery_out", "battery_power"}
    system = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, f"{powermon_loaded.entry_id}_system")}
    )
    assert system is not None
    registry = er.async_get(hass)
    for role, entity_id in sensors.items():
        entry = registry.async_get(entity_id)
        assert entry is not None
        assert entry.device_id == system.id, f"{role}: {entity_id} is not the system's"
        state = hass.states.get(entity_id)
        assert state is not None
        if role == "battery_power":
            assert state.attributes["device_class"] == SensorDeviceClass.POWER
            continue
        assert state.attributes["device_class"] == SensorDeviceClass.ENERGY
        assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
        assert state.attributes["unit_of_measurement"] == "kWh"

    prefs = demo_energy.energy_preferences(sensors)
    assert prefs["energy_sources"] == [
        {"type": "solar", "stat_energy_from": sensors["solar"]},
        {
            "type": "battery",
            "stat_energy_from": sensors["battery_out"],
            "stat_energy_to": sensors["battery_in"],
            "stat_rate": sensors["battery_power"],
        },
    ]
    sources = energies_only(prefs["energy_sources"])
    assert ENERGY_SOURCE_SCHEMA(sources) == sources
    # What the check reads back from the saved preferences: the same statistics.
    assert demo_energy.statistic_ids(prefs) == {
        role: entity_id for role, entity_id in sensors.items() if role != "battery_power"
    }


def test_a_bridge_that_measures_the_grid_gets_a_grid_source(demo_energy: ModuleType) -> None:
    sensors = {
        "grid_in": "sensor.a",
        "grid_out": "sensor.b",
        "grid_power": "sensor.c",
        "battery_in": "sensor.d",
        "battery_out": "sensor.e",
    }
    built = demo_energy.energy_preferences(sensors)["energy_sources"]
    sources = ENERGY_SOURCE_SCHEMA(energies_only(built))
    grid = next(source for source in built if source["type"] == "grid")
    assert [flow["stat_energy_from"] for flow in grid["flow_from"]] == ["sensor.a"]
    assert [flow["stat_energy_to"] for flow in grid["flow_to"]] == ["sensor.b"]
    assert grid["power"] == [{"stat_rate": "sensor.c"}]
    assert demo_energy.statistic_ids({"energy_sources": sources})["grid_out"] == "sensor.b"


@pytest.mark.parametrize(
    ("shown", "kwh"),
    [
        ("20.8 Wh", (0.0208, 0.00005)),
        ("↑0.02 kWh", (0.02, 0.005)),
        ("1,234 kWh", (1234.0, 0.5)),
        ("1.5 MWh", (1500.0, 50.0)),
        ("-0.3 kWh", (-0.3, 0.05)),
        ("no data", None),
        (None, None),
    ],
)
def test_shown_energies_are_read_with_their_precision(
    demo_energy: ModuleType, shown: str | None, kwh: tuple[float, float] | None
) -> None:
    parsed = demo_energy.kwh(shown)
    if kwh is None:
        assert parsed is None
    else:
        assert parsed == pytest.approx(kwh)
