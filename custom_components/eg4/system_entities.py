"""Group-level entities: drift figures, the calibration's progress, and how the last one ended.

Each entity is a description with a value function. Drift descriptions read the supervisor's
``DriftReport``; calibration descriptions read a ``Watch``: the run's progress (computed in
``calibration.progress``, pure; a charge to a target as itself: ``run_watch``), the bank's
figures and the stored results. Numbers and times are entities of their own with units and
device classes; attributes carry lists (pack numbers, held settings) and the result's figures,
each named with its unit (see ``RESULT``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfTime,
)
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .calibration import Phase
from .calibration.progress import RunProgress
from .calibration.summary import owner_figures
from .coordinator import Eg4Coordinator
from .drift import DriftReport, DriftVerdict
from .entity import Eg4CalibrationEntity, Eg4DriftEntity
from .numbers import is_number
from .run_watch import Watch, run_attributes, watch
from .significance import THRESHOLDS, step_for
from .supervisor import CalibrationSupervisor

IDLE = "idle"
CALIBRATION_STATES = [IDLE, *(phase.value for phase in Phase)]
RESULTS = ["succeeded", "aborted", "failed"]

type Value = StateType | datetime


# ---- drift ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Eg4DriftSensorEntityDescription(SensorEntityDescription):
    """A figure of the drift analysis."""

    value_fn: Callable[[DriftReport], float | None]
    decimals: int


def _rounded(value: float | None, decimals: int) -> float | None:
    return None if value is None else round(value, decimals)


DRIFT_SENSORS = (
    Eg4DriftSensorEntityDescription(
        key="soc_spread",
        translation_key="soc_spread",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda report: report.soc_spread,
        decimals=1,
    ),
    Eg4DriftSensorEntityDescription(
        key="voltage_spread",
        translation_key="voltage_spread",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda report: report.voltage_spread,
        decimals=3,
    ),
)
SOC_DRIFT = BinarySensorEntityDescription(
    key="soc_drift", translation_key="soc_drift", device_class=BinarySensorDeviceClass.PROBLEM
)


class DriftSensor(Eg4DriftEntity, SensorEntity):
    """A spread of the pack readings (highest minus lowest); noise below its display is no row."""

    entity_description: Eg4DriftSensorEntityDescription

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: Eg4DriftSensorEntityDescription,
        supervisor: CalibrationSupervisor,
    ) -> None:
        """Bind the description; the figure's step is its display precision."""
        super().__init__(coordinator, description, supervisor)
        self.coalesce_step = step_for(None, description.suggested_display_precision)

    def coalesce_value(self) -> object:
        """The figure shown."""
        return self.native_value

    @property
    def native_value(self) -> float | None:
        """The figure, or unknown before the first analysis."""
        report = self._supervisor.drift
        if report is None:
            return None
        description = self.entity_description
        return _rounded(description.value_fn(report), description.decimals)


class SocDriftBinarySensor(Eg4DriftEntity, BinarySensorEntity):
    """On when pack voltages agree but SoC readings do not: the counters drifted."""

    @property
    def is_on(self) -> bool | None:
        """Drift, no drift, or unknown (missing data or a real imbalance is not drift)."""
        report = self._supervisor.drift
        if report is None or report.verdict is DriftVerdict.UNKNOWN:
            return None
        return report.verdict is DriftVerdict.DRIFT

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The verdict and the pack furthest from the others."""
        report = self._supervisor.drift
        if report is None:
            return {}
        return {"verdict": report.verdict.value, "outlier_pack": report.outlier}


# ---- calibration ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Eg4CalibrationSensorEntityDescription(SensorEntityDescription):
    """A figure of the calibration; ``follows_packs`` refreshes it on pack readings too."""

    value_fn: Callable[[Watch], Value]
    attributes_fn: Callable[[Watch], dict[str, Any]] | None = None
    follows_packs: bool = False
    needs_packs: bool = False  # shows the packs' figures: only for entries that have packs
    thresholds: tuple[float, ...] = ()  # safety thresholds whose crossing writes at once


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else dt_util.utc_from_timestamp(seconds)


def _of_run(read: Callable[[RunProgress], float | None]) -> Callable[[Watch], datetime | None]:
    """A run time as a timestamp; unknown while no run exists."""
    return lambda w: None if w.progress is None else _time(read(w.progress))


def _elapsed_min(w: Watch) -> float | None:
    elapsed = None if w.progress is None else w.progress.elapsed_s
    return None if elapsed is None else round(elapsed / 60, 1)


def _packs_attributes(w: Watch) -> dict[str, Any]:
    if w.progress is None:
        return {}
    return {
        key.removeprefix("packs_"): numbers for key, numbers in w.progress.packs.to_dict().items()
    }


def _pack_currents(w: Watch) -> dict[str, Any]:
    return {
        "taper_target_a": w.config.taper_current_a,
        "battery_currents_a": [
            None if pack.current is None else round(pack.current, 1)
            for _, pack in sorted(w.bank.packs.items())
        ],
    }


def _record_time(record: Mapping[str, Any]) -> datetime | None:
    finished = record.get("finished_at")
    if is_number(finished):
        return _time(float(finished))
    return None


def _result_attributes(w: Watch) -> dict[str, Any]:
    last = w.last
    if not last:
        return {}
    return {
        "run_id": last.get("run_id"),
        "method": last.get("method"),
        "reason": last.get("reason"),
        "detail": last.get("detail"),
        "interrupted": last.get("interrupted"),
        **owner_figures(last),
    }


CALIBRATION_STATE = Eg4CalibrationSensorEntityDescription(
    key="calibration_state",
    translation_key="calibration_state",
    device_class=SensorDeviceClass.ENUM,
    options=CALIBRATION_STATES,
    value_fn=lambda w: IDLE if w.progress is None else w.progress.phase.value,
    attributes_fn=run_attributes,
)
PROGRESS_SENSORS = (
    Eg4CalibrationSensorEntityDescription(
        key="calibration_phase_started",
        translation_key="calibration_phase_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_of_run(lambda p: p.phase_since),
    ),
    Eg4CalibrationSensorEntityDescription(
        key="calibration_elapsed",
        translation_key="calibration_elapsed",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_elapsed_min,
        follows_packs=True,
    ),
    Eg4CalibrationSensorEntityDescription(
        key="calibration_expected_end",
        translation_key="calibration_expected_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_of_run(lambda p: p.expected_end),
        follows_packs=True,
    ),
    Eg4CalibrationSensorEntityDescription(
        key="calibration_taper_end",
        translation_key="calibration_taper_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_of_run(lambda p: p.taper_ends_at),
        follows_packs=True,
    ),
    Eg4CalibrationSensorEntityDescription(
        key="calibration_verify_end",
        translation_key="calibration_verify_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_of_run(lambda p: p.verify_ends_at),
        follows_packs=True,
    ),
    Eg4CalibrationSensorEntityDescription(
        key="batteries_reanchored",
        translation_key="batteries_reanchored",
        value_fn=lambda w: None if w.progress is None else len(w.progress.packs.reanchored),
        attributes_fn=_packs_attributes,
        follows_packs=True,
        needs_packs=True,
    ),
    Eg4CalibrationSensorEntityDescription(
        key="highest_cell_voltage",
        translation_key="highest_cell_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=3,
        value_fn=lambda w: w.bank.max_cell_voltage,
        attributes_fn=lambda w: {"limit_v": w.config.limits.cell_voltage_max},
        follows_packs=True,
        needs_packs=True,
        thresholds=THRESHOLDS["cell_voltage_max"],
    ),
    Eg4CalibrationSensorEntityDescription(
        key="highest_battery_current",
        translation_key="highest_battery_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda w: w.bank.max_pack_current,
        attributes_fn=_pack_currents,
        follows_packs=True,
        needs_packs=True,
    ),
)
RESULT_SENSORS = (
    Eg4CalibrationSensorEntityDescription(
        key="last_calibration",
        translation_key="last_calibration",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda w: _record_time(w.last),
    ),
    Eg4CalibrationSensorEntityDescription(
        key="last_successful_calibration",
        translation_key="last_successful_calibration",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda w: _record_time(w.last_success),
    ),
    Eg4CalibrationSensorEntityDescription(
        key="last_calibration_result",
        translation_key="last_calibration_result",
        device_class=SensorDeviceClass.ENUM,
        options=RESULTS,
        value_fn=lambda w: w.last.get("outcome") if w.last.get("outcome") in RESULTS else None,
        attributes_fn=_result_attributes,
    ),
)
CALIBRATION_SENSORS = (CALIBRATION_STATE, *PROGRESS_SENSORS, *RESULT_SENSORS)


class CalibrationSensor(Eg4CalibrationEntity, SensorEntity):
    """A figure of the calibration, its progress or its record."""

    entity_description: Eg4CalibrationSensorEntityDescription

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: Eg4CalibrationSensorEntityDescription,
        supervisor: CalibrationSupervisor,
    ) -> None:
        """Bind the description: whether pack readings refresh it, whether it shows them.

        Pack readings are coalesced like the packs' own sensors (the phase changes are not).
        """
        super().__init__(coordinator, description, supervisor)
        self.follows_packs = description.follows_packs
        self.shows_bank = description.needs_packs
        if description.follows_packs:
            self.coalesce_step = step_for(
                description.device_class, description.suggested_display_precision
            )
            self.thresholds = description.thresholds

    def coalesce_value(self) -> object:
        """The value shown."""
        return self.native_value

    @property
    def native_value(self) -> Value:
        """The description's value of the watch now."""
        return self.entity_description.value_fn(watch(self._supervisor))

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Lists and the result's figures (names carry the units), where there are any."""
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(watch(self._supervisor))
