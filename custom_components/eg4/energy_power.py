"""Signed power sensors for the Energy dashboard: each inverter's and the group's.

Home Assistant's ``energy`` integration reads a single power sensor (``stat_rate``) with the
battery + while discharging and - while charging, the grid + while importing and - while
exporting (``homeassistant/components/energy/data.py``, ``PowerConfig``): these sensors show
exactly that, so they can be picked as they are.
"""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfPower

from .energy import GRID_POWER, POWER_INPUTS, EnergyKind, battery_flow
from .entity import Eg4Entity
from .fanout import ListenKey
from .model import MetricValue, SourceId, SourceKind

BATTERY_POWER = "battery_power"

POWER_SENSORS = {
    key: SensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    )
    for key in (BATTERY_POWER, GRID_POWER)
}


def _signed_power(key: str, metrics: dict[str, MetricValue]) -> float | None:
    """The battery + discharging, the grid + importing (Home Assistant's convention)."""
    if key == BATTERY_POWER:
        flow = battery_flow(metrics)
        return None if flow is None else -flow
    value = metrics.get(GRID_POWER)
    return value if isinstance(value, float) else None


class FlowPowerSensor(Eg4Entity, SensorEntity):
    """A signed power for the Energy dashboard: one inverter's, or the group's sum.

    A measurement like the others: written at most once per update interval, per whole watt.
    """

    coalesce_step = 1.0

    def coalesce_value(self) -> object:
        """The power shown."""
        return self.native_value

    def listen_keys(self) -> list[ListenKey]:
        """The powers it is computed from, of its inverter or of every inverter."""
        inputs = POWER_INPUTS[
            EnergyKind.BATTERY_CHARGE
            if self.entity_description.key == BATTERY_POWER
            else EnergyKind.GRID_IMPORT
        ]
        units = (
            [self._source]
            if self._source is not None
            else [SourceId(SourceKind.INVERTER, n) for n in self.coordinator.data.inverters]
        )
        return [(unit, key) for unit in units for key in inputs]

    @property
    def native_value(self) -> float | None:
        """W: the battery + discharging, the grid + importing."""
        key = self.entity_description.key
        if self._source is not None:
            device = self.coordinator.data.device(self._source)
            return None if device is None else _signed_power(key, device.metrics)
        values = [_signed_power(key, d.metrics) for d in self.coordinator.data.inverters.values()]
        if not values or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None)
