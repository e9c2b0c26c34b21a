"""Firmware versions per inverter and pack, per source, through Home Assistant.

The cloud reports both (``fwCode`` per inverter, ``fwVersionText`` per pack); powermon reports
the inverter's main CPU version when it polls PI18 ``VFW``, and its sensor appears with the
first report; lxp-bridge and Solar Assistant report none, so they get no firmware sensor.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from simulator import cloud_payloads as bodies
from simulator.cloud_api import CloudApiServer

from .test_cloud_transport import (  # noqa: F401 - the cloud fixtures, shared
    entry_options,
    loaded,
    model,
    no_waits,
    portal,
)


def firmware(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, tuple[str, str, str]]:
    """Scope -> (state, entity category, name) of each firmware sensor of the entry."""
    out: dict[str, tuple[str, str, str]] = {}
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if item.domain == "sensor" and item.unique_id.endswith("_firmware"):
            current = hass.states.get(item.entity_id)
            assert current is not None
            scope = item.unique_id.removeprefix(f"{entry.entry_id}_").removesuffix("_firmware")
            out[scope] = (current.state, str(item.entity_category), str(current.name))
    return out


async def test_the_cloud_reports_each_inverters_and_packs_firmware(
    hass: HomeAssistant, portal: CloudApiServer, loaded: MockConfigEntry
) -> None:
    shown = firmware(hass, loaded)
    code = bodies.runtime(portal.twin, 1, portal.serials[0])["fwCode"]
    assert code == portal.portal_model.fw_code  # "FAAB-..." as the portal words it
    battery = bodies.battery(portal.twin, portal.serials[0], with_packs=True)
    packs = {row["batIndex"] + 1: row["fwVersionText"] for row in battery["batteryArray"]}
    assert shown == {
        "inverter_1": (code, "diagnostic", "EG4 Simulated Station Inverter 1 Firmware version"),
        "inverter_2": (code, "diagnostic", "EG4 Simulated Station Inverter 2 Firmware version"),
        **{
            f"pack_{n}": (v, "diagnostic", f"EG4 Simulated Station Battery {n} Firmware version")
            for n, v in packs.items()
        },
    }


async def test_powermon_shows_a_units_version_once_it_reports_vfw(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    assert firmware(hass, powermon_loaded) == {}  # the installation's powermon skips VFW
    async_fire_mqtt_message(hass, "homeassistant/sensor/lvx6048_2_main_cpu_version/state", "05220")
    await hass.async_block_till_done()
    assert firmware(hass, powermon_loaded) == {
        "inverter_2": ("05220", "diagnostic", "EG4 lvx6048 Inverter 2 Firmware version")
    }
    # A new version replaces the old one; an empty one is refused and the last one stays.
    async_fire_mqtt_message(hass, "homeassistant/sensor/lvx6048_2_main_cpu_version/state", "05230")
    async_fire_mqtt_message(hass, "homeassistant/sensor/lvx6048_2_main_cpu_version/state", " ")
    await hass.async_block_till_done()
    assert firmware(hass, powermon_loaded)["inverter_2"][0] == "05230"


async def test_lxp_bridge_and_solar_assistant_report_no_firmware(
    hass: HomeAssistant,
    lxp_bridge_loaded: MockConfigEntry,
    solar_assistant_loaded: MockConfigEntry,
) -> None:
    assert firmware(hass, lxp_bridge_loaded) == {}
    assert firmware(hass, solar_assistant_loaded) == {}
