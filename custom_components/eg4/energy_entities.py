"""Energy dashboard sensors: kWh per inverter and for the group, and the signed powers.

Each inverter's energy of a kind comes from the source's own counter where the transport
reports one (``caps.inverter_metrics`` holds the kind's key: the cloud, lxp-bridge), shown
through a :class:`~.energy.CounterGuard`; otherwise it is integrated here from the measured
power (:class:`~.energy.PowerIntegrator`: powermon, Solar Assistant's units), sampled on every
change of its inputs and on a timer while they are fresh (a power message moves the integral,
not the state). An integral is shown like any measurement: on the update interval, and only
when the tenth of a kWh a dashboard shows moved (with the interval at 0, every
``SAMPLE_INTERVAL``, whatever moved). The group's energy is the source's own system counter
where it has one (Solar Assistant's ``total``), else what its units counted
(:class:`~.energy.GroupLedger`), shown by the same rule. Everything a restart must not lose
(the value shown, the energy of earlier cycles, the group's offsets) is stored with the state
(a ``RestoreEntity``'s extra data); an integration restarts with no previous sample, so the
downtime is neither integrated nor counted twice.

The signed powers beside them live in :mod:`.energy_power`.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.restore_state import ExtraStoredData, RestoredExtraData, RestoreEntity

from .coordinator import Eg4Coordinator
from .energy import (
    GRID_POWER,
    MAX_GAP_S,
    POWER_INPUTS,
    SYSTEM_PREFIX,
    CounterGuard,
    EnergyKind,
    GroupLedger,
    PowerIntegrator,
    Verdict,
    can_integrate,
    directional_power,
)
from .energy_power import BATTERY_POWER, POWER_SENSORS, FlowPowerSensor
from .entity import Eg4Entity
from .fanout import ListenKey
from .model import MetricValue, SourceId, SourceKind
from .numbers import is_number
from .platforms import async_add_source_entities
from .runtime import Eg4ConfigEntry

_LOGGER = logging.getLogger(__name__)

SAMPLE_INTERVAL = timedelta(seconds=60)  # an integral's timer when writes are not coalesced
DISPLAY_PRECISION = 1  # the sources count tenths of a kWh

ENERGY_SENSORS = {
    kind: SensorEntityDescription(
        key=kind.value,
        translation_key=kind.value,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=DISPLAY_PRECISION,
    )
    for kind in EnergyKind
}


class EnergyBook:
    """Each unit's energy total per kind, as the group's sensors need them (per entry)."""

    def __init__(self) -> None:
        """Nothing counted yet."""
        self.totals: dict[EnergyKind, dict[int, float]] = {kind: {} for kind in EnergyKind}
        self._listeners: dict[EnergyKind, list[Callable[[], None]]] = {k: [] for k in EnergyKind}

    def report(self, kind: EnergyKind, unit: int, total: float) -> None:
        """A unit's total of one kind changed."""
        if self.totals[kind].get(unit) == total:
            return
        self.totals[kind][unit] = total
        for listener in list(self._listeners[kind]):
            listener()

    def listen(self, kind: EnergyKind, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when a unit's total of ``kind`` changes."""
        self._listeners[kind].append(listener)
        return lambda: self._listeners[kind].remove(listener)


def _floats(data: dict[str, Any], *keys: str) -> list[float] | None:
    values = [data.get(key) for key in keys]
    if all(is_number(v) for v in values):
        return [float(v) for v in values]  # type: ignore[arg-type]
    return None


@dataclass(slots=True)
class _Counter:
    """Follows one counter metric through a guard; logs its first glitch or reset."""

    name: str
    guard: CounterGuard
    logged: bool = False

    def take(self, reading: MetricValue | None) -> None:
        if not isinstance(reading, float):
            return
        shown = self.guard.value
        verdict = self.guard.update(reading)
        if verdict is Verdict.ACCEPTED:
            return
        level = logging.DEBUG if self.logged else logging.WARNING
        self.logged = True
        if verdict is Verdict.RESET:
            _LOGGER.log(level, "%s: the counter restarted at %s kWh", self.name, reading)
        else:
            _LOGGER.log(level, "%s: %s kWh after %s kWh: held back", self.name, reading, shown)

    def restore(self, data: dict[str, Any]) -> None:
        if (values := _floats(data, "value", "carried")) is not None:
            self.guard.value, self.guard.carried = values

    def stored(self) -> dict[str, Any]:
        return {"value": self.guard.value, "carried": self.guard.carried}


class _RestoringEnergy(Eg4Entity, SensorEntity, RestoreEntity):
    """An energy sensor that keeps what a restart must not lose in its stored state."""

    entity_description: SensorEntityDescription
    _kind: EnergyKind
    _shown: float | None = None  # the value last shown, at display precision (``_show``)

    @abstractmethod
    def _stored(self) -> dict[str, Any]:
        """What a restart must keep."""

    @abstractmethod
    def _restore(self, data: dict[str, Any]) -> None:
        """Take back what ``_stored`` kept."""

    @abstractmethod
    def _take(self) -> None:
        """Count the reading the coordinator holds now."""

    @property
    def extra_restore_state_data(self) -> ExtraStoredData:
        """What this sensor counted (restored at start-up)."""
        return RestoredExtraData(self._stored())

    async def async_added_to_hass(self) -> None:
        """Restore what was counted, then take the reading already there."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_extra_data()) is not None:
            self._restore(last.as_dict())
        self._take()

    @callback
    def _handle_key_update(self) -> None:
        self._take()
        self.async_write_ha_state()

    @callback
    def _show(self) -> None:
        """Write when the value a dashboard shows moved (every call at interval 0)."""
        if self.coordinator.fanout.interval > 0:
            value = self.native_value
            shown = round(value, DISPLAY_PRECISION) if isinstance(value, float) else None
            if shown == self._shown:
                return
            self._shown = shown
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._take()
        super()._handle_coordinator_update()


class UnitEnergySensor(_RestoringEnergy):
    """One inverter's energy of one kind: its counter, or integrated from its power."""

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        source: SourceId,
        kind: EnergyKind,
        book: EnergyBook,
        *,
        counted: bool,
    ) -> None:
        """``counted``: the source reports this energy; else it is integrated here."""
        super().__init__(coordinator, ENERGY_SENSORS[kind], source)
        self._kind, self._book = kind, book
        self._counter = _Counter(f"{source} {kind}", CounterGuard()) if counted else None
        self._integrator = None if counted else PowerIntegrator()

    def listen_keys(self) -> list[ListenKey]:
        """The counter, or the powers integrated."""
        keys = (self._kind.value,) if self._counter is not None else POWER_INPUTS[self._kind]
        return [(self._source, key) for key in keys]

    @property
    def native_value(self) -> float | None:
        """kWh: the counter as shown, or the energy integrated."""
        if self._counter is not None:
            return self._counter.guard.value
        assert self._integrator is not None  # noqa: S101 - one of the two is set
        return round(self._integrator.value, 4)

    @property
    def available(self) -> bool:
        """Unavailable while the inverter is stale or its counter was never read."""
        return super().available and self.native_value is not None

    async def async_added_to_hass(self) -> None:
        """Sample an integral on the update interval too: a steady power sends no change."""
        await super().async_added_to_hass()
        if self._integrator is not None:
            interval = self.coordinator.fanout.interval
            period = timedelta(seconds=interval) if interval > 0 else SAMPLE_INTERVAL
            self.async_on_remove(async_track_time_interval(self.hass, self._tick, period))

    @callback
    def _handle_key_update(self) -> None:
        """A counter shows each change; an integral takes the sample and shows on the tick."""
        if self._integrator is None:
            super()._handle_key_update()
        else:
            self._take(report=False)

    @callback
    def _tick(self, _now: datetime) -> None:
        self._take()
        self._show()

    def _take(self, *, report: bool = True) -> None:
        device = self.coordinator.data.device(self._source)  # type: ignore[arg-type]
        if device is None:
            return
        if self._counter is not None:
            self._counter.take(device.metrics.get(self._kind.value))
            if self._counter.guard.value is None:
                return
            total = self._counter.guard.total
        else:
            assert self._integrator is not None  # noqa: S101 - one of the two is set
            now = self.coordinator.clock.now()
            ages = [
                device.reading_age(key, now)
                for key in POWER_INPUTS[self._kind]
                if key in device.metrics
            ]
            fresh = self.coordinator.is_available(self._source) and all(
                age is not None and age <= MAX_GAP_S for age in ages
            )
            power = directional_power(self._kind, device.metrics) if fresh else None
            self._integrator.sample(now, power)
            total = self._integrator.value
        assert self._source is not None  # noqa: S101 - a unit's sensor
        if report:
            self._book.report(self._kind, self._source.index, total)

    def _stored(self) -> dict[str, Any]:
        if self._counter is not None:
            return self._counter.stored()
        assert self._integrator is not None  # noqa: S101 - one of the two is set
        return {"value": self._integrator.value}

    def _restore(self, data: dict[str, Any]) -> None:
        if self._counter is not None:
            self._counter.restore(data)
        elif self._integrator is not None and (values := _floats(data, "value")):
            self._integrator.value = max(0.0, values[0])


class GroupEnergySensor(_RestoringEnergy):
    """The group's energy of one kind: the source's system counter, or its units' sum."""

    def __init__(
        self, coordinator: Eg4Coordinator, kind: EnergyKind, book: EnergyBook, *, counted: bool
    ) -> None:
        """``counted``: the source reports the system's counter (on unit 1)."""
        super().__init__(coordinator, ENERGY_SENSORS[kind], None)
        self._kind, self._book = kind, book
        self._counter = _Counter(f"system {kind}", CounterGuard()) if counted else None
        self._ledger = GroupLedger(offsets={})
        self._sum: float | None = None

    def listen_keys(self) -> list[ListenKey]:
        """The system counter, which unit 1 carries."""
        if self._counter is None:
            return []
        return [(SourceId(SourceKind.INVERTER, 1), SYSTEM_PREFIX + self._kind)]

    @property
    def native_value(self) -> float | None:
        """KWh."""
        if self._counter is not None:
            return self._counter.guard.value
        return None if self._sum is None else round(self._sum, 4)

    @property
    def available(self) -> bool:
        """The system counter while unit 1 reports; a sum while every unit does."""
        if self._counter is not None:
            unit = SourceId(SourceKind.INVERTER, 1)
            return self.coordinator.is_available(unit) and self.native_value is not None
        return super().available and self.native_value is not None

    async def async_added_to_hass(self) -> None:
        """Follow the units' totals."""
        if self._counter is None:
            self.async_on_remove(self._book.listen(self._kind, self._handle_book_update))
        await super().async_added_to_hass()

    @callback
    def _handle_book_update(self) -> None:
        """A unit's total moved: the sum is shown by the rule of its units' integrals."""
        self._take()
        self._show()

    def _take(self) -> None:
        if self._counter is not None:
            device = self.coordinator.data.inverters.get(1)
            if device is not None:
                self._counter.take(device.metrics.get(SYSTEM_PREFIX + self._kind))
            return
        totals = self._book.totals[self._kind]
        self._sum = self._ledger.value(totals, len(self.coordinator.data.inverters))

    def _stored(self) -> dict[str, Any]:
        if self._counter is not None:
            return self._counter.stored()
        offsets = {str(unit): offset for unit, offset in self._ledger.offsets.items()}
        return {"offsets": offsets, "started": self._ledger.started}

    def _restore(self, data: dict[str, Any]) -> None:
        if self._counter is not None:
            self._counter.restore(data)
            return
        offsets = data.get("offsets")
        if isinstance(offsets, dict) and data.get("started") is True:
            restored = {int(u): float(v) for u, v in offsets.items() if u.isdigit()}
            self._ledger = GroupLedger(offsets=restored, started=True)


@callback
def async_setup_energy(
    hass: HomeAssistant, entry: Eg4ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the energy and signed power sensors the transport's readings allow."""
    coordinator = entry.runtime_data.coordinator
    metrics = coordinator.capabilities.inverter_metrics
    book = EnergyBook()
    kinds = {
        k: k.value in metrics for k in EnergyKind if k.value in metrics or can_integrate(k, metrics)
    }
    powers = [
        key
        for key in (BATTERY_POWER, GRID_POWER)
        if can_integrate(
            EnergyKind.BATTERY_CHARGE if key == BATTERY_POWER else EnergyKind.GRID_IMPORT, metrics
        )
    ]

    def build(source: SourceId) -> list[SensorEntity]:
        if source.kind is not SourceKind.INVERTER:
            return []
        unit: list[SensorEntity] = [
            UnitEnergySensor(coordinator, source, kind, book, counted=counted)
            for kind, counted in kinds.items()
        ]
        unit.extend(FlowPowerSensor(coordinator, POWER_SENSORS[key], source) for key in powers)
        return unit

    async_add_source_entities(hass, entry, async_add_entities, build)
    group: list[SensorEntity] = [
        GroupEnergySensor(coordinator, kind, book, counted=SYSTEM_PREFIX + kind in metrics)
        for kind in EnergyKind
        if kind in kinds or SYSTEM_PREFIX + kind in metrics
    ]
    group.extend(FlowPowerSensor(coordinator, POWER_SENSORS[key], None) for key in powers)
    async_add_entities(group)
