"""The EG4 integration: monitor and control EG4 inverters and battery packs."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components import mqtt
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.typing import ConfigType

from .budget_store import BudgetStore, async_remove_budget
from .cloud import Eg4CloudClient
from .const import (
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_PLANT_ID,
    CONF_SCAN_INTERVAL,
    CONF_SERVER,
    CONF_TRANSPORT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    TRANSPORT_CLOUD,
    TRANSPORT_MQTT,
)
from .coordinator import Eg4Coordinator, transport_errors
from .dynamic import RunningConfig
from .entity import device_identifier, device_info
from .profiles import build_profile
from .runtime import Eg4ConfigEntry, Eg4RuntimeData
from .services import async_setup_services
from .supervisor import CalibrationSupervisor, async_remove_record
from .supervisor.notify import raise_revert_issue
from .supervisor.store import async_load_unreverted
from .transport.base import Transport
from .transport.cloud import CloudStationMissingError, CloudTransport
from .transport.mqtt import MqttTransport

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.TIME,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (domain-wide actions are registered here)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: Eg4ConfigEntry) -> bool:
    """Set up one EG4 system from a config entry."""
    try:
        transport = await _async_build_transport(hass, entry)
        coordinator = Eg4Coordinator(hass, entry, transport)
        budget = BudgetStore(hass, entry.entry_id, coordinator.writer, coordinator.clock.now)
        await budget.async_load()
        await coordinator.async_config_entry_first_refresh()
        await coordinator.async_start()
    except Exception:
        await _async_flag_unsupervised_run(hass, entry)
        raise
    # Unload callbacks run last-added first: the counts are saved after the last write.
    entry.async_on_unload(budget.async_unload)
    entry.async_on_unload(coordinator.async_stop)
    supervisor = CalibrationSupervisor(hass, entry.entry_id, coordinator)
    await supervisor.async_setup()
    entry.async_on_unload(supervisor.async_unload)
    entry.runtime_data = Eg4RuntimeData(coordinator=coordinator, supervisor=supervisor)

    # The group device first: inverter and pack devices hang off it (via_device).
    registry = dr.async_get(hass)
    registry.async_get_or_create(config_entry_id=entry.entry_id, **device_info(coordinator, None))
    _remove_departed_devices(registry, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_if_changed))
    return True


async def _async_flag_unsupervised_run(hass: HomeAssistant, entry: Eg4ConfigEntry) -> None:
    """Setup failed while a calibration's settings are not confirmed back: say so now.

    Nothing can revert them until the entry sets up again (it retries by itself); the bank
    may be on grid charge meanwhile, so the critical repair issue stands from this moment.
    """
    run = await async_load_unreverted(hass, entry.entry_id)
    if run is not None:
        raise_revert_issue(
            hass,
            entry.entry_id,
            f"calibration {run.run_id} was left in {run.phase.value} and the inverters "
            "cannot be reached to put the settings back",
        )


async def _async_build_transport(hass: HomeAssistant, entry: Eg4ConfigEntry) -> Transport:
    """The transport the entry describes, connected and ready."""
    kind = entry.data.get(CONF_TRANSPORT, TRANSPORT_MQTT)
    if kind == TRANSPORT_MQTT:
        if not await mqtt.async_wait_for_mqtt_client(hass):
            raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_unavailable")
        return MqttTransport(
            hass,
            build_profile(entry.data),
            inverter_count=int(entry.data[CONF_INVERTER_COUNT]),
            pack_count=int(entry.data[CONF_PACK_COUNT]),
        )
    if kind == TRANSPORT_CLOUD:
        # A session of its own per entry: entries sharing a cookie jar log each other out.
        client = Eg4CloudClient(
            async_create_clientsession(hass),
            base_url=entry.data[CONF_SERVER],
            username=entry.data[CONF_USERNAME],
            password=entry.data[CONF_PASSWORD],
        )
        interval = timedelta(
            seconds=int(entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL))
        )
        station_issue = f"station_missing_{entry.entry_id}"
        try:
            with transport_errors(setup=True):
                transport = await CloudTransport.async_discover(
                    client, int(entry.data[CONF_PLANT_ID]), scan_interval=interval
                )
        except CloudStationMissingError as err:
            # Signing in again cannot bring the station back: no reauth, a repair instead.
            placeholders = {"name": entry.title}
            ir.async_create_issue(
                hass,
                DOMAIN,
                station_issue,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="station_missing",
                translation_placeholders=placeholders,
            )
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="station_missing",
                translation_placeholders=placeholders,
            ) from err
        ir.async_delete_issue(hass, DOMAIN, station_issue)
        return transport
    raise ConfigEntryError(translation_domain=DOMAIN, translation_key="unknown_transport")


def _remove_departed_devices(
    registry: dr.DeviceRegistry, entry: Eg4ConfigEntry, coordinator: Eg4Coordinator
) -> None:
    """Drop devices of inverters or packs this entry no longer has (after a reconfigure)."""
    state = coordinator.data
    sources = [None, *(d.source for d in (*state.inverters.values(), *state.packs.values()))]
    current = {device_identifier(entry.entry_id, source) for source in sources}
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ours = {ident for domain, ident in device.identifiers if domain == DOMAIN}
        if ours and not ours & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def _async_reload_if_changed(hass: HomeAssistant, entry: Eg4ConfigEntry) -> None:
    """Reload the entry when its data or options changed from what runs.

    Data (reconfigure) and options describe the transport and its timeouts; anything else —
    a new title, a preference — changes nothing that runs, and neither do the units and packs
    that joined (stored in the data the coordinator already runs: ``dynamic.py``). A reload
    ends a running calibration (its settings are put back first), so nothing else reloads it.
    """
    running: RunningConfig = entry.runtime_data.coordinator.running
    if (dict(entry.data), dict(entry.options)) != (dict(running.data), dict(running.options)):
        hass.config_entries.async_schedule_reload(entry.entry_id)
    else:
        _rename_devices(dr.async_get(hass), entry.runtime_data.coordinator)


def _rename_devices(registry: dr.DeviceRegistry, coordinator: Eg4Coordinator) -> None:
    """Device names carry the entry's title: follow a new one (a name given by hand stays)."""
    state = coordinator.data
    for source in [None, *(d.source for d in (*state.inverters.values(), *state.packs.values()))]:
        info = device_info(coordinator, source)
        device = registry.async_get_device(identifiers=info["identifiers"])
        if device is not None and device.name != info.get("name"):
            registry.async_update_device(device.id, name=info.get("name"))


async def async_unload_entry(hass: HomeAssistant, entry: Eg4ConfigEntry) -> bool:
    """Unload a config entry: a running calibration puts the settings back first."""
    await entry.runtime_data.supervisor.async_release()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: Eg4ConfigEntry) -> None:
    """Forget a deleted entry's calibration record (warning if unrestored) and write counts."""
    ir.async_delete_issue(hass, DOMAIN, f"station_missing_{entry.entry_id}")
    await async_remove_record(hass, entry.entry_id, entry.title)
    await async_remove_budget(hass, entry.entry_id)
