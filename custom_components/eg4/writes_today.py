"""The write budget's sensor: setting writes sent today, per setting and in total.

Counted by the writer (``budget.WriteBudget``), so it is known whatever the telemetry does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .entity import Eg4Entity

# Writes sent today (the calibration's included); the count starts again at local midnight,
# which is what HA's total_increasing means ("a daily amount ... restarts counting from 0").
WRITES_TODAY = SensorEntityDescription(
    key="writes_today",
    translation_key="writes_today",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
)


class WritesTodaySensor(Eg4Entity, SensorEntity):
    """The setting writes sent today in total; per setting and the hour's budget as attributes.

    Counted by the writer (``budget.WriteBudget``), so it is known whatever the telemetry does.
    """

    @property
    def available(self) -> bool:
        """The count is the integration's own: always known."""
        return True

    @property
    def native_value(self) -> int:
        """Writes sent since local midnight."""
        return sum(self.coordinator.writer.budget.today(dt_util.now().date()).values())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Today's writes per setting, and the owner's writes allowed per hour (0: no limit)."""
        budget = self.coordinator.writer.budget
        return {**budget.today(dt_util.now().date()), "budget_per_hour": budget.per_hour}

    async def async_added_to_hass(self) -> None:
        """Update after every write, and at midnight when the day's count starts again."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.writer.add_count_listener(self._handle_key_update))
        self.async_on_remove(
            async_track_time_change(self.hass, self._midnight, hour=0, minute=0, second=0)
        )

    @callback
    def _midnight(self, _now: datetime) -> None:
        self.async_write_ha_state()
