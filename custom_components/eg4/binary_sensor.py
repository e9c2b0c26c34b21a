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

from .entity import Eg4Entity
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
    """Create the binary sensors the capabilities allow."""
    coordinator = entry.runtime_data.coordinator
    entities: list[Eg4Entity] = []
    if "protection" in coordinator.capabilities.pack_metrics:
        entities.extend(
            PackProtectionSensor(coordinator, PROTECTION, SourceId(SourceKind.PACK, index))
            for index in coordinator.data.packs
        )
    if coordinator.data.packs:
        entities.append(SocDriftBinarySensor(coordinator, SOC_DRIFT, entry.runtime_data.supervisor))
    if len(coordinator.data.inverters) > 1:
        entities.append(SettingsMismatchSensor(coordinator, SETTINGS_MISMATCH, None))
    async_add_entities(entities)


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

    def listen_keys(self) -> list[tuple[SourceId, str]]:
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
