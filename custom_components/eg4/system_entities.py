"""Group-level entities: drift figures and the calibration's state and record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfElectricPotential
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .calibration import Phase
from .coordinator import Eg4Coordinator
from .drift import DriftReport, DriftVerdict
from .entity import Eg4Entity
from .supervisor import CalibrationSupervisor, signal_drift, signal_update

IDLE = "idle"
CALIBRATION_STATES = [IDLE, *(phase.value for phase in Phase)]
RESULTS = ["succeeded", "aborted", "failed"]


class _DriftEntity(Eg4Entity):
    """Shows the supervisor's drift analysis, refreshed on its 30-second tick.

    Drift moves over hours; recomputing it on every pack message would cost more than the
    message itself.
    """

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: EntityDescription,
        supervisor: CalibrationSupervisor,
    ) -> None:
        super().__init__(coordinator, description, None)
        self._supervisor = supervisor

    def _report(self) -> DriftReport | None:
        return self._supervisor.drift

    @property
    def available(self) -> bool:
        """Available while a report exists and at least one pack reports."""
        return (
            self.coordinator.last_update_success
            and self._supervisor.drift is not None
            and any(
                self.coordinator.data.is_fresh(pack.source)
                for pack in self.coordinator.data.packs.values()
            )
        )

    async def async_added_to_hass(self) -> None:
        """Update when the supervisor publishes a new analysis."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_drift(self._supervisor.entry_id), self.async_write_ha_state
            )
        )


SOC_SPREAD = SensorEntityDescription(
    key="soc_spread",
    translation_key="soc_spread",
    native_unit_of_measurement=PERCENTAGE,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
VOLTAGE_SPREAD = SensorEntityDescription(
    key="voltage_spread",
    translation_key="voltage_spread",
    device_class=SensorDeviceClass.VOLTAGE,
    native_unit_of_measurement=UnitOfElectricPotential.VOLT,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=2,
)
SOC_DRIFT = BinarySensorEntityDescription(
    key="soc_drift", translation_key="soc_drift", device_class=BinarySensorDeviceClass.PROBLEM
)


class SocSpreadSensor(_DriftEntity, SensorEntity):
    """Highest minus lowest pack SoC."""

    @property
    def native_value(self) -> StateType:
        """The spread in percentage points."""
        report = self._report()
        spread = None if report is None else report.soc_spread
        return None if spread is None else round(spread, 1)


class VoltageSpreadSensor(_DriftEntity, SensorEntity):
    """Highest minus lowest pack voltage."""

    @property
    def native_value(self) -> StateType:
        """The spread in volts."""
        report = self._report()
        spread = None if report is None else report.voltage_spread
        return None if spread is None else round(spread, 3)


class SocDriftBinarySensor(_DriftEntity, BinarySensorEntity):
    """On when pack voltages agree but SoC readings do not: the counters drifted."""

    @property
    def is_on(self) -> bool | None:
        """Drift, no drift, or unknown (missing data or a real imbalance is not drift)."""
        report = self._report()
        if report is None or report.verdict is DriftVerdict.UNKNOWN:
            return None
        return report.verdict is DriftVerdict.DRIFT

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The verdict and the pack furthest from the others."""
        report = self._report()
        if report is None:
            return {}
        return {"verdict": report.verdict.value, "outlier_pack": report.outlier}


CALIBRATION_STATE = SensorEntityDescription(
    key="calibration_state",
    translation_key="calibration_state",
    device_class=SensorDeviceClass.ENUM,
    options=CALIBRATION_STATES,
)
LAST_CALIBRATION = SensorEntityDescription(
    key="last_calibration",
    translation_key="last_calibration",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)
LAST_RESULT = SensorEntityDescription(
    key="last_calibration_result",
    translation_key="last_calibration_result",
    device_class=SensorDeviceClass.ENUM,
    options=RESULTS,
)


class _CalibrationEntity(Eg4Entity):
    """Follows the calibration supervisor (dispatcher signal) rather than telemetry."""

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: SensorEntityDescription,
        supervisor: CalibrationSupervisor,
    ) -> None:
        super().__init__(coordinator, description, None)
        self._supervisor = supervisor

    @property
    def available(self) -> bool:
        """The record is known whatever the telemetry does."""
        return True

    async def async_added_to_hass(self) -> None:
        """Update on every phase change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_update(self._supervisor.entry_id), self._refresh
            )
        )

    @callback
    def _refresh(self) -> None:
        self.async_write_ha_state()


class CalibrationStateSensor(_CalibrationEntity, SensorEntity):
    """The phase of the running calibration, or idle."""

    @property
    def native_value(self) -> StateType:
        """Current phase."""
        run = self._supervisor.run
        return IDLE if run is None else run.phase.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Run id, method and why it stopped, while a run exists."""
        run = self._supervisor.run
        if run is None:
            return {}
        return {
            "run_id": run.run_id,
            "method": run.method.value,
            "reason": None if run.reason is None else run.reason.value,
            "detail": run.detail,
        }


class LastCalibrationSensor(_CalibrationEntity, SensorEntity):
    """When the last calibration ended."""

    @property
    def native_value(self) -> datetime | None:
        """End time of the last finished run."""
        last = self._supervisor.last or {}
        finished = last.get("finished_at")
        return dt_util.utc_from_timestamp(finished) if isinstance(finished, float) else None


class LastResultSensor(_CalibrationEntity, SensorEntity):
    """Outcome of the last calibration, with before/after SoC spread."""

    @property
    def native_value(self) -> StateType:
        """succeeded, aborted or failed."""
        last = self._supervisor.last or {}
        outcome = last.get("outcome")
        return outcome if outcome in RESULTS else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The record of the last run."""
        last = self._supervisor.last or {}
        keys = (
            "run_id",
            "method",
            "reason",
            "detail",
            "interrupted",
            "duration_s",
            "soc_spread_before",
            "soc_spread_after",
            "max_cell_voltage",
            "max_temperature",
        )
        return {key: last.get(key) for key in keys}
