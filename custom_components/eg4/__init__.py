"""The EG4 integration: monitor and control EG4 inverters and battery packs."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_TRANSPORT, DOMAIN, MANUFACTURER, TRANSPORT_MQTT
from .coordinator import Eg4Coordinator
from .profiles import build_profile
from .transport.mqtt import MqttTransport

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(slots=True)
class Eg4RuntimeData:
    """What a loaded entry holds."""

    coordinator: Eg4Coordinator


type Eg4ConfigEntry = ConfigEntry[Eg4RuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (domain-wide actions are registered here)."""
    del hass, config
    return True


async def async_setup_entry(hass: HomeAssistant, entry: Eg4ConfigEntry) -> bool:
    """Set up one EG4 system from a config entry."""
    if entry.data.get(CONF_TRANSPORT, TRANSPORT_MQTT) != TRANSPORT_MQTT:
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="unknown_transport")
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_unavailable")
    transport = MqttTransport(hass, build_profile(entry.data))
    coordinator = Eg4Coordinator(hass, entry, transport)
    await coordinator.async_config_entry_first_refresh()
    await coordinator.async_start()
    entry.async_on_unload(coordinator.async_stop)
    entry.runtime_data = Eg4RuntimeData(coordinator=coordinator)

    # The group device first: inverter and pack devices hang off it (via_device).
    registry = dr.async_get(hass)
    registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, f"{entry.entry_id}_system")},
        manufacturer=MANUFACTURER,
        name=entry.title,
        model="Parallel group",
    )
    _remove_departed_devices(registry, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


def _remove_departed_devices(
    registry: dr.DeviceRegistry, entry: Eg4ConfigEntry, coordinator: Eg4Coordinator
) -> None:
    """Drop devices of inverters or packs this entry no longer has (after a reconfigure)."""
    state = coordinator.data
    current = {f"{entry.entry_id}_system"}
    current.update(f"{entry.entry_id}_{inv.source}" for inv in state.inverters.values())
    current.update(f"{entry.entry_id}_{pack.source}" for pack in state.packs.values())
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ours = {ident for domain, ident in device.identifiers if domain == DOMAIN}
        if ours and not ours & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def _async_reload_on_update(hass: HomeAssistant, entry: Eg4ConfigEntry) -> None:
    """Reload when options or (through reconfigure) data change."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: Eg4ConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
