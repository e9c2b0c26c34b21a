"""Selects for the parallel group: output priority and charger priority (verified writes)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory

from .entity import Eg4GroupSettingEntity
from .model import ChargerPriority, OutputPriority, SettingKey
from .platforms import setting_platform
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


class Eg4SettingSelect(Eg4GroupSettingEntity, SelectEntity):
    """A group-wide option setting; shows the value every unit confirms."""

    setting_type = OptionSetting
    _setting: OptionSetting

    def _configure(self) -> None:
        """The setting's options."""
        self._attr_options = [option.value for option in self._setting.options]

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


async_setup_entry = setting_platform(DESCRIPTIONS, Eg4SettingSelect)
