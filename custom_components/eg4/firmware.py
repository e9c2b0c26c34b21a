"""Firmware versions: a diagnostic sensor per inverter and per pack, once its source reports one.

Sources: the cloud (each inverter's ``fwCode``, e.g. ``FAAB-2122``, and each pack's
``fwVersionText``, e.g. ``2.17``) and powermon (PI18 ``VFW``'s main CPU version, ``05220``,
when its configuration polls ``VFW``). lxp-bridge's inputs carry no version (the inverter's
firmware code sits in holding registers whose packing its topics do not document) and Solar
Assistant publishes none: their entries get no firmware sensor.

A sensor is added when its source first reports a version (at set-up for the cloud, whose first
poll comes before the platforms; on the first ``VFW`` message for powermon), so an installation
that never reports one has no sensor stuck at "unknown".
"""

from __future__ import annotations

from functools import partial

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .dynamic import signal_source_joined
from .entity import Eg4Entity
from .model import SourceId, SourceKind
from .runtime import Eg4ConfigEntry

FIRMWARE = "firmware"
FIRMWARE_SENSOR = SensorEntityDescription(
    key=FIRMWARE,
    translation_key=FIRMWARE,
    entity_category=EntityCategory.DIAGNOSTIC,
)


@callback
def async_add_firmware_sensors(
    hass: HomeAssistant,
    entry: Eg4ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each source's firmware sensor once it reports a version, now or later."""
    coordinator = entry.runtime_data.coordinator
    caps = coordinator.capabilities
    added: set[SourceId] = set()
    waiting: list[CALLBACK_TYPE] = []

    def reports(source: SourceId) -> bool:
        kind = caps.inverter_metrics if source.kind is SourceKind.INVERTER else caps.pack_metrics
        return FIRMWARE in kind

    @callback
    def add_when_reported(source: SourceId) -> None:
        if source in added:
            return
        device = coordinator.data.device(source)
        if device is None or not isinstance(device.metrics.get(FIRMWARE), str):
            return
        added.add(source)
        async_add_entities([FirmwareSensor(coordinator, FIRMWARE_SENSOR, source)])

    @callback
    def watch(source: SourceId) -> None:
        if not reports(source):
            return
        add_when_reported(source)
        if source not in added:
            listener = partial(add_when_reported, source)
            waiting.append(coordinator.async_add_key_listener([(source, FIRMWARE)], listener))

    @callback
    def stop_waiting() -> None:
        for stop in waiting:
            stop()

    for source in coordinator.data.sources():
        watch(source)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_source_joined(entry.entry_id), watch)
    )
    entry.async_on_unload(stop_waiting)


class FirmwareSensor(Eg4Entity, SensorEntity):
    """The firmware version one inverter or pack last reported."""

    _source: SourceId

    @property
    def native_value(self) -> str | None:
        """The version text; None while the source does not report."""
        device = self.coordinator.data.device(self._source)
        value = None if device is None else device.metrics.get(FIRMWARE)
        return value if isinstance(value, str) else None
