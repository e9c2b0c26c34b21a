"""Numbers for the parallel group: charge currents and stop-charge voltage (verified writes)."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
)

from .entity import Eg4GroupSettingEntity, step_precision
from .model import SettingKey
from .platforms import setting_platform
from .settings import NumberSetting

PARALLEL_UPDATES = 1

DESCRIPTIONS: tuple[NumberEntityDescription, ...] = (
    NumberEntityDescription(
        key=SettingKey.MAX_CHARGE_CURRENT,
        translation_key="max_charge_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
    NumberEntityDescription(
        key=SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        translation_key="max_utility_charge_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
    NumberEntityDescription(
        key=SettingKey.STOP_CHARGE_VOLTAGE,
        translation_key="stop_charge_voltage",
        device_class=NumberDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
    NumberEntityDescription(
        key=SettingKey.DISCHARGE_CURRENT,
        translation_key="discharge_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
    NumberEntityDescription(
        key=SettingKey.AC_CHARGE_SOC_LIMIT,
        translation_key="ac_charge_soc_limit",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
    NumberEntityDescription(
        key=SettingKey.CHARGE_SOC_LIMIT,
        translation_key="charge_soc_limit",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    ),
)


class Eg4SettingNumber(Eg4GroupSettingEntity, NumberEntity):
    """A group-wide numeric setting; shows the value every unit confirms."""

    setting_type = NumberSetting
    _setting: NumberSetting

    def _configure(self) -> None:
        """The setting's range and step."""
        self._attr_native_min_value = self._setting.minimum
        self._attr_native_max_value = self._setting.maximum
        self._attr_native_step = self._setting.step

    @property
    def native_value(self) -> float | None:
        """The value all units report; None while unknown or while they disagree.

        On a whole-number step a whole value is an int, so the state reads "80", not "80.0"
        (the number box shows the state as it is).
        """
        value = self.coordinator.data.group_setting(self._setting.key)
        if not isinstance(value, float):
            return None
        if step_precision(self._setting.step) == 0 and value.is_integer():
            return int(value)
        return value

    async def async_set_native_value(self, value: float) -> None:
        """Write to every unit and return once read-back confirms it."""
        await self.coordinator.async_write_setting(self._setting.key, value)
        self.async_write_ha_state()


async_setup_entry = setting_platform(DESCRIPTIONS, Eg4SettingNumber)
