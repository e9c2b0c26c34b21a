"""Selects for the parallel group: output priority and charger priority (verified writes)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import Eg4Coordinator
from .entity import Eg4GroupSettingEntity
from .model import ChargerPriority, OutputPriority, SettingKey
from .runtime import Eg4ConfigEntry
from .settings import OptionSetting

PARALLEL_UPDATES = 1

DESCRIPTIONS: tuple[SelectEntityDescription, ...] = (
    SelectEntityDescription(
        key=SettingKey.OUTPUT_PRIORITY,
        translation_key="output_priority",
        entity_category=EntityCategory.CONFIG,
    ),
    SelectEntityDescription(
        key=SettingKey.CHARGER_PRIORITY,
        translation_key="charger_priority",
        entity_category=EntityCategory.CONFIG,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: Eg4ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the selects the transport can write."""
    coordinator = entry.runtime_data.coordinator
    writable = coordinator.capabilities.writable
    async_add_entities(
        Eg4SettingSelect(coordinator, description, setting)
        for description in DESCRIPTIONS
        if isinstance(setting := writable.get(SettingKey(description.key)), OptionSetting)
    )


class Eg4SettingSelect(Eg4GroupSettingEntity, SelectEntity):
    """A group-wide option setting; shows the value every unit confirms."""

    _setting: OptionSetting

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: SelectEntityDescription,
        setting: OptionSetting,
    ) -> None:
        """Bind to a writable setting."""
        super().__init__(coordinator, description, setting)
        self._attr_options = [option.value for option in setting.options]

    @property
    def current_option(self) -> str | None:
        """The option all units report; None while unknown or while they disagree."""
        value = self.coordinator.data.group_setting(self._setting.key)
        if isinstance(value, OutputPriority | ChargerPriority) and value.value in self.options:
            return value.value
        return None

    async def async_select_option(self, option: str) -> None:
        """Write to every unit and return once read-back confirms it."""
        await self.coordinator.async_write_setting(self._setting.key, option)
        self.async_write_ha_state()
