"""Sensors: inverter telemetry and setting read-backs, pack telemetry, the day's writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import Eg4Coordinator
from .energy_entities import async_setup_energy
from .entity import Eg4Entity, step_precision
from .firmware import async_add_firmware_sensors
from .model import (
    ChargerPriority,
    DeviceState,
    InverterState,
    OutputPriority,
    SettingKey,
    SourceId,
    SourceKind,
)
from .platforms import SourceEntities, entry_platform
from .profiles.base import DEVICE_MODE_OPTIONS
from .profiles.common import BATTERY_DIRECTION_OPTIONS, LINE_DIRECTION_OPTIONS
from .runtime import Eg4ConfigEntry, Eg4RuntimeData
from .settings import NumberSetting
from .significance import THRESHOLDS, step_for
from .system_entities import CALIBRATION_SENSORS, DRIFT_SENSORS, CalibrationSensor, DriftSensor
from .transport.base import Capabilities
from .writes_today import WRITES_TODAY, WritesTodaySensor

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class Eg4SensorEntityDescription(SensorEntityDescription):
    """A sensor reading one metric (or one reported setting) of one source."""

    value_fn: Callable[[DeviceState], StateType] | None = None


def _metric(device: DeviceState, key: str) -> StateType:
    value = device.metrics.get(key)
    return value if isinstance(value, float | str) and not isinstance(value, bool) else None


def _setting(key: SettingKey) -> Callable[[DeviceState], StateType]:
    def value(device: DeviceState) -> StateType:
        if not isinstance(device, InverterState):
            return None
        setting = device.settings.get(key)
        if isinstance(setting, OutputPriority | ChargerPriority):
            return setting.value
        return setting if isinstance(setting, float) else None

    return value


def _voltage(key: str, **overrides: object) -> Eg4SensorEntityDescription:
    fields: dict[str, object] = {
        "key": key,
        "translation_key": key,
        "device_class": SensorDeviceClass.VOLTAGE,
        "state_class": SensorStateClass.MEASUREMENT,
        "native_unit_of_measurement": UnitOfElectricPotential.VOLT,
        "suggested_display_precision": 1,
    }
    fields.update(overrides)
    return Eg4SensorEntityDescription(**fields)  # type: ignore[arg-type]


def _current(key: str, **overrides: object) -> Eg4SensorEntityDescription:
    fields: dict[str, object] = {
        "key": key,
        "translation_key": key,
        "device_class": SensorDeviceClass.CURRENT,
        "state_class": SensorStateClass.MEASUREMENT,
        "native_unit_of_measurement": UnitOfElectricCurrent.AMPERE,
        "suggested_display_precision": 1,  # a BMS reports tenths of an amp
    }
    fields.update(overrides)
    return Eg4SensorEntityDescription(**fields)  # type: ignore[arg-type]


def _power(key: str) -> Eg4SensorEntityDescription:
    return Eg4SensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    )


def _temperature(key: str, *, on: bool = True) -> Eg4SensorEntityDescription:
    return Eg4SensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,  # half degrees; HA 2025.4 has no default for the class
        entity_registry_enabled_default=on,
    )


def _enum(key: str, options: list[str]) -> Eg4SensorEntityDescription:
    return Eg4SensorEntityDescription(
        key=key, translation_key=key, device_class=SensorDeviceClass.ENUM, options=options
    )


INVERTER_SENSORS: tuple[Eg4SensorEntityDescription, ...] = (
    _voltage("battery_voltage"),
    _current("battery_current"),
    _current("battery_charge_current"),
    _current("battery_discharge_current"),
    Eg4SensorEntityDescription(
        key="battery_soc",
        translation_key="battery_soc",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
    ),
    _power("pv_power"),
    _voltage("pv_voltage"),
    _power("output_power"),
    Eg4SensorEntityDescription(
        key="output_load",
        translation_key="output_load",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
    ),
    _voltage("grid_voltage"),
    _voltage("output_voltage"),
    _temperature("temperature"),
    _enum("device_mode", DEVICE_MODE_OPTIONS),
    _enum("line_direction", LINE_DIRECTION_OPTIONS),
    _enum("battery_direction", BATTERY_DIRECTION_OPTIONS),
)

SETTING_SENSORS: tuple[Eg4SensorEntityDescription, ...] = (
    Eg4SensorEntityDescription(
        key=SettingKey.OUTPUT_PRIORITY,
        translation_key="output_priority_readback",
        device_class=SensorDeviceClass.ENUM,
        options=[option.value for option in OutputPriority],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_setting(SettingKey.OUTPUT_PRIORITY),
    ),
    Eg4SensorEntityDescription(
        key=SettingKey.CHARGER_PRIORITY,
        translation_key="charger_priority_readback",
        device_class=SensorDeviceClass.ENUM,
        options=[option.value for option in ChargerPriority],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_setting(SettingKey.CHARGER_PRIORITY),
    ),
    *(
        _current(
            key,
            translation_key=f"{key}_readback",
            entity_category=EntityCategory.DIAGNOSTIC,
            value_fn=_setting(key),
            state_class=None,
            suggested_display_precision=0,
        )
        for key in (
            SettingKey.MAX_CHARGE_CURRENT,
            SettingKey.MAX_UTILITY_CHARGE_CURRENT,
            SettingKey.DISCHARGE_CURRENT,
        )
    ),
    *(
        Eg4SensorEntityDescription(
            key=key,
            translation_key=f"{key}_readback",
            native_unit_of_measurement=PERCENTAGE,
            entity_category=EntityCategory.DIAGNOSTIC,
            value_fn=_setting(key),
            suggested_display_precision=0,
        )
        for key in (SettingKey.AC_CHARGE_SOC_LIMIT, SettingKey.CHARGE_SOC_LIMIT)
    ),
    *(
        _voltage(
            key,
            translation_key=f"{key}_readback",
            entity_category=EntityCategory.DIAGNOSTIC,
            value_fn=_setting(key),
            state_class=None,
        )
        for key in (
            SettingKey.STOP_CHARGE_VOLTAGE,
            SettingKey.RECHARGE_VOLTAGE,
            SettingKey.BULK_VOLTAGE,
            SettingKey.FLOAT_VOLTAGE,
        )
    ),
)

PACK_SENSORS: tuple[Eg4SensorEntityDescription, ...] = (
    Eg4SensorEntityDescription(
        key="soc",
        translation_key="pack_soc",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
    ),
    _voltage("voltage", translation_key="pack_voltage", suggested_display_precision=2),
    _current("current", translation_key="pack_current"),
    _power("power"),
    _voltage("cell_voltage_max", suggested_display_precision=3),
    _voltage("cell_voltage_min", suggested_display_precision=3),
    Eg4SensorEntityDescription(
        key="cell_voltage_delta",
        translation_key="cell_voltage_delta",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        suggested_display_precision=0,
    ),
    _temperature("temperature_1"),
    _temperature("temperature_2"),
    # Off until the owner turns them on (Home Assistant's "disabled by default"): the BMS
    # board's temperature (rarely looked at); the highest cell temperature is always the
    # pack's highest temperature, shown once as that.
    _temperature("temperature_pcb", on=False),
    _temperature("temperature_cell_max", on=False),
    _temperature("temperature_cell_min"),
    _temperature("temperature_max"),
    Eg4SensorEntityDescription(
        key="cycles",
        translation_key="cycles",
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,  # a count: "201", not "201.0"
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
)


def _readback(
    description: Eg4SensorEntityDescription, caps: Capabilities
) -> Eg4SensorEntityDescription:
    """A setting's read-back shows as many decimals as the setting's step has (80 A, 53 V)."""
    setting = caps.writable.get(SettingKey(description.key))
    if not isinstance(setting, NumberSetting):
        return description
    return replace(description, suggested_display_precision=step_precision(setting.step))


def _pack_descriptions(metrics: frozenset[str]) -> list[Eg4SensorEntityDescription]:
    """The pack sensors these metrics allow; a pack's only probe is off (it is the highest)."""
    probes = {m for m in metrics if m.startswith("temperature_")} - {"temperature_max"}
    return [
        replace(d, entity_registry_enabled_default=False) if {d.key} == probes else d
        for d in PACK_SENSORS
        if d.key in metrics
    ]


def _per_source(data: Eg4RuntimeData) -> SourceEntities:
    """Each inverter's and pack's sensors: what this transport's capabilities allow."""
    coordinator = data.coordinator
    caps = coordinator.capabilities
    inverter = [d for d in INVERTER_SENSORS if d.key in caps.inverter_metrics]
    inverter += [_readback(d, caps) for d in SETTING_SENSORS if d.key in caps.readable_settings]
    pack = _pack_descriptions(caps.pack_metrics)

    def build(source: SourceId) -> list[Eg4Sensor]:
        descriptions = inverter if source.kind is SourceKind.INVERTER else pack
        return [Eg4Sensor(coordinator, d, source) for d in descriptions]

    return build


def _group(data: Eg4RuntimeData) -> list[SensorEntity]:
    """The group's sensors: drift and the calibration (the bank's figures need packs), writes."""
    coordinator, supervisor = data.coordinator, data.supervisor
    has_packs = bool(coordinator.data.packs)
    group: list[SensorEntity] = [
        DriftSensor(coordinator, d, supervisor) for d in DRIFT_SENSORS if has_packs
    ]
    group.extend(
        CalibrationSensor(coordinator, d, supervisor)
        for d in CALIBRATION_SENSORS
        if has_packs or not d.needs_packs
    )
    group.append(WritesTodaySensor(coordinator, WRITES_TODAY, None))
    return group


_async_setup_measurements = entry_platform(_group, per_source=_per_source)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: Eg4ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The measurements and the bank's figures, firmware versions, the Energy dashboard's."""
    await _async_setup_measurements(hass, entry, async_add_entities)
    async_add_firmware_sensors(hass, entry, async_add_entities)
    async_setup_energy(hass, entry, async_add_entities)


class Eg4Sensor(Eg4Entity, SensorEntity):
    """A sensor showing one value of one inverter or pack.

    A measurement (a state class, no setting behind it, not an enum) is coalesced: written at
    most once per update interval, when it moved by its kind's step (``significance``); a pack
    reading with safety thresholds is written at once when it crosses one.
    """

    entity_description: Eg4SensorEntityDescription
    _source: SourceId

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: Eg4SensorEntityDescription,
        source: SourceId,
    ) -> None:
        """Bind to the description; measurements are coalesced."""
        super().__init__(coordinator, description, source)
        if (
            description.value_fn is None
            and description.state_class is not None
            and description.device_class is not SensorDeviceClass.ENUM
        ):
            self.coalesce_step = step_for(
                description.device_class, description.suggested_display_precision
            )
            if source.kind is SourceKind.PACK:
                self.thresholds = THRESHOLDS.get(description.key, ())

    def coalesce_value(self) -> object:
        """The value shown."""
        return self.native_value

    @property
    def native_value(self) -> StateType:
        """The value last reported (never a value that failed validation)."""
        device = self.coordinator.data.device(self._source)
        if device is None:
            return None
        if self.entity_description.value_fn is not None:
            return self.entity_description.value_fn(device)
        return _metric(device, self.entity_description.key)
