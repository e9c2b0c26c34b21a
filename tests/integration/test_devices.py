"""Devices: named as a person would (the entry's title, the role and number), with the model.

The powermon devices themselves are checked in test_init.py.
"""

from __future__ import annotations

from homeassistant.const import ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN


def devices(
    hass: HomeAssistant, entry: MockConfigEntry
) -> dict[str, tuple[str | None, str | None]]:
    """Our device identifier (entry id masked) -> (name shown, model)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        (identifier,) = (ident for domain, ident in device.identifiers if domain == DOMAIN)
        key = identifier.removeprefix(f"{entry.entry_id}_")
        out[key] = (device.name_by_user or device.name, device.model)
    return out


async def test_solar_assistant_devices_carry_the_kind_of_device(
    hass: HomeAssistant, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Solar Assistant does not say which model it reads: the model is the kind of device."""
    found = devices(hass, solar_assistant_loaded)
    assert found["inverter_2"] == (f"{solar_assistant_loaded.title} Inverter 2", "Inverter")
    assert found["pack_6"] == (f"{solar_assistant_loaded.title} Battery 6", "Battery pack")


async def test_devices_follow_a_renamed_entry(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """Renaming the entry renames its devices; entity ids, unique ids and own names stay."""
    entities = er.async_get(hass)
    before = {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(entities, powermon_loaded.entry_id)
    }
    registry = dr.async_get(hass)
    pack_2 = registry.async_get_device({(DOMAIN, f"{powermon_loaded.entry_id}_pack_2")})
    assert pack_2 is not None
    registry.async_update_device(pack_2.id, name_by_user="Rack top")

    hass.config_entries.async_update_entry(powermon_loaded, title="Garage")
    await hass.async_block_till_done()

    found = devices(hass, powermon_loaded)
    assert found["system"] == ("Garage", "Parallel group")
    assert found["inverter_1"] == ("Garage Inverter 1", "LVX6048")
    assert found["pack_1"] == ("Garage Battery 1", "LifePower4")
    assert found["pack_2"] == ("Rack top", "LifePower4")
    after = {
        e.entity_id: e.unique_id
        for e in er.async_entries_for_config_entry(entities, powermon_loaded.entry_id)
    }
    assert after == before
    soc = hass.states.get("sensor.eg4_lvx6048_battery_1_state_of_charge")
    assert soc is not None
    assert soc.attributes[ATTR_FRIENDLY_NAME] == "Garage Battery 1 State of charge"
