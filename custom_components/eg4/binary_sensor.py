"""Binary sensors: pack protection, and settings that differ between parallel units."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .dynamic import async_add_source_entities
from .entity import Eg4Entity
from .fanout import ListenKey
from .model import PackState, SettingKey, SourceId, SourceKind
from .runtime import Eg4ConfigEntry
from .system_entities import SOC_DRIFT, SocDriftBinarySensor

PARALLEL_UPDATES = 0

PROTECTION = BinarySensorEntityDescription(
    key="protection",
    translation_key="protection",
    device_class=BinarySensorDeviceClass.PROBLEM,
)
SETTINGS_MISMATCH = BinarySensorEntityDescription(
    key="settings_mismatch",
    translation_key="settings_mismatch",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: Eg4ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the binary sensors the capabilities allow (and those of joining sources)."""
    coordinator = entry.runtime_data.coordinator
    protection = "protection" in coordinator.capabilities.pack_metrics

    def build(source: SourceId) -> list[Eg4Entity]:
        if source.kind is SourceKind.PACK:
            return [PackProtectionSensor(coordinator, PROTECTION, source)] if protection else []
        # The group's mismatch sensor comes with its second unit (at set-up or joining).
        if source.index == 2:
            return [SettingsMismatchSensor(coordinator, SETTINGS_MISMATCH, None)]
        return []

    async_add_source_entities(hass, entry, async_add_entities, build)
    if coordinator.data.packs:
        async_add_entities(
            [SocDriftBinarySensor(coordinator, SOC_DRIFT, entry.runtime_data.supervisor)]
        )


class PackProtectionSensor(Eg4Entity, BinarySensorEntity):
    """On while the pack's BMS reports any protection flag."""

    _source: SourceId

    @property
    def is_on(self) -> bool | None:
        """Protection active, or None before the first report."""
        value = self.coordinator.data.packs[self._source.index].metrics.get("protection")
        return value if isinstance(value, bool) else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The active protection flags."""
        pack: PackState = self.coordinator.data.packs[self._source.index]
        return {"flags": list(pack.protection_flags)}


class SettingsMismatchSensor(Eg4Entity, BinarySensorEntity):
    """On when two parallel units report different values for a setting."""

    def listen_keys(self) -> list[ListenKey]:
        """Every setting of every unit."""
        return [
            (SourceId(SourceKind.INVERTER, index), key)
            for index in self.coordinator.data.inverters
            for key in SettingKey
        ]

    @property
    def is_on(self) -> bool:
        """True while any setting differs between units."""
        return bool(self.coordinator.data.mismatched_settings())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which settings differ."""
        return {"settings": [key.value for key in self.coordinator.data.mismatched_settings()]}
