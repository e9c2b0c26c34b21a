"""Times: the start and end of each AC-charge window, for the group (verified writes).

The hybrid family (cloud, lxp-bridge) has three AC-charge windows; each boundary is one entity
and one setting, written to every unit and shown once every unit reads it back. An end before
the start is an overnight window (22:00 to 06:00 charges across midnight); equal times make the
window empty (00:00 to 00:00 is the inverter's "off"). The charge inside a window stops at the
AC charge stop SoC (the ``ac_charge_soc_limit`` number). The inverters keep whole minutes: a
time with seconds is refused with a translated error, nothing is sent. The PI family
(powermon, Solar Assistant) has no windows, so it gets no time entities.
"""

from __future__ import annotations

from datetime import time

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.const import EntityCategory

from .entity import Eg4GroupSettingEntity
from .platforms import setting_platform
from .settings import AC_CHARGE_WINDOWS, TimeSetting

PARALLEL_UPDATES = 1

DESCRIPTIONS: tuple[TimeEntityDescription, ...] = tuple(
    TimeEntityDescription(key=key, translation_key=key, entity_category=EntityCategory.CONFIG)
    for _, start, end in AC_CHARGE_WINDOWS
    for key in (start, end)
)


class Eg4WindowTime(Eg4GroupSettingEntity, TimeEntity):
    """One boundary of an AC-charge window; shows the time every unit confirms."""

    setting_type = TimeSetting
    _setting: TimeSetting

    @property
    def native_value(self) -> time | None:
        """The time all units report; None while unknown or while they disagree."""
        value = self.coordinator.data.group_setting(self._setting.key)
        return value if isinstance(value, time) else None

    async def async_set_value(self, value: time) -> None:
        """Write to every unit and return once read-back confirms it."""
        await self.coordinator.async_write_setting(self._setting.key, value)
        self.async_write_ha_state()


async_setup_entry = setting_platform(DESCRIPTIONS, Eg4WindowTime)
