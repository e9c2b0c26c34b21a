"""Binary sensors: pack protection, and settings that differ between parallel units."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import Eg4Entity
from .fanout import ListenKey
from .model import PackState, SettingKey, SourceId, SourceKind
from .platforms import SourceEntities, entry_platform
from .runtime import Eg4RuntimeData
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


def _per_source(data: Eg4RuntimeData) -> SourceEntities:
    """Each pack's protection (where reported); the group's mismatch, with its second unit."""
    coordinator = data.coordinator
    protection = "protection" in coordinator.capabilities.pack_metrics

    def build(source: SourceId) -> list[Eg4Entity]:
        if source.kind is SourceKind.PACK:
            return [PackProtectionSensor(coordinator, PROTECTION, source)] if protection else []
        if source.index == 2:  # at set-up or when it joins
            return [SettingsMismatchSensor(coordinator, SETTINGS_MISMATCH, None)]
        return []

    return build


def _group(data: Eg4RuntimeData) -> list[Eg4Entity]:
    """The drift flag, where there are packs to drift."""
    if not data.coordinator.data.packs:
        return []
    return [SocDriftBinarySensor(data.coordinator, SOC_DRIFT, data.supervisor)]


async_setup_entry = entry_platform(_group, per_source=_per_source)


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
