"""Base entities: device info, availability per source, and how each learns of changes.

One mechanism tells entities of changes: the coordinator's key listeners (``fanout.py``).
Each entity names its keys (``listen_keys``: readings; ``topic_keys``: the group's topics).
Settings, flags and the calibration's figures write at once; a measurement entity (one with a
``coalesce_step``) is called at most once per update interval and writes only when its value
moved by its step since what it last wrote, or crossed one of its safety ``thresholds``.
"""

from __future__ import annotations

from decimal import Decimal

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_PROFILE, DOMAIN, MANUFACTURER, PROFILE_POWERMON_LVX
from .coordinator import Eg4Coordinator
from .fanout import CALIBRATION, DRIFT, SOURCES, ListenKey
from .model import SourceId, SourceKind
from .settings import SettingDef
from .significance import crossed, significant
from .supervisor import CalibrationSupervisor

# The pack readings a calibration's progress moves with (SoC, current, highest cell).
PROGRESS_KEYS = ("soc", "current", "cell_voltage_max")

# What a person calls each device: the role (and number) after the entry's title, which the
# user can change (devices follow it at once: the entry's update listener renames them).
ROLES = {SourceKind.INVERTER: "Inverter", SourceKind.PACK: "Battery"}
GROUP_MODEL = "Parallel group"
# The device model where the bridge implies it; otherwise the kind of device.
GENERIC_MODELS = {SourceKind.INVERTER: "Inverter", SourceKind.PACK: "Battery pack"}
PROFILE_MODELS = {
    PROFILE_POWERMON_LVX: {SourceKind.INVERTER: "LVX6048", SourceKind.PACK: "LifePower4"},
}


def device_identifier(entry_id: str, source: SourceId | None) -> str:
    """Our identifier of the group's device (None), an inverter's or a pack's."""
    return f"{entry_id}_{'system' if source is None else source}"


def device_name(title: str, source: SourceId | None) -> str:
    """The group is named by the entry's title; each unit by the title, its role and number."""
    return title if source is None else f"{title} {ROLES[source.kind]} {source.index}"


def device_info(coordinator: Eg4Coordinator, source: SourceId | None) -> DeviceInfo:
    """Device info for the group (None), an inverter, or a pack."""
    entry = coordinator.config_entry
    system = (DOMAIN, device_identifier(entry.entry_id, None))
    if source is None:
        return DeviceInfo(
            identifiers={system},
            manufacturer=MANUFACTURER,
            model=GROUP_MODEL,
            name=device_name(entry.title, None),
        )
    models = PROFILE_MODELS.get(entry.data.get(CONF_PROFILE, ""), GENERIC_MODELS)
    return DeviceInfo(
        identifiers={(DOMAIN, device_identifier(entry.entry_id, source))},
        manufacturer=MANUFACTURER,
        model=models[source.kind],
        name=device_name(entry.title, source),
        via_device=system,
    )


def step_precision(step: float) -> int:
    """Decimals a value on this step needs: 0 for steps of 1 or 10, 1 for 0.5, 2 for 0.25."""
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class Eg4Entity(CoordinatorEntity[Eg4Coordinator]):
    """An entity of one source (inverter or pack) or of the whole group (source None).

    ``coalesce_step`` None: every change of its keys is written at once. A number: the entity
    is a measurement, written at most once per update interval and only when its value moved
    by at least this much, or crossed one of ``thresholds``, since it was last written.
    """

    _attr_has_entity_name = True
    coalesce_step: float | None = None
    thresholds: tuple[float, ...] = ()

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: EntityDescription,
        source: SourceId | None,
    ) -> None:
        """Bind the entity to its description and source."""
        super().__init__(coordinator)
        self.entity_description = description
        self._source = source
        scope = "system" if source is None else str(source)
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{scope}_{description.key}"
        self._attr_device_info = device_info(coordinator, source)
        self._unlisten_keys: CALLBACK_TYPE | None = None
        self._written: object = None  # the value last written (coalesced entities)

    @property
    def available(self) -> bool:
        """Unavailable while the source (or, for group entities, any inverter) is stale."""
        return super().available and self.coordinator.is_available(self._source)

    def listen_keys(self) -> list[ListenKey]:
        """The readings (source, key) whose change must refresh this entity."""
        if self._source is None:
            return []
        return [(self._source, self.entity_description.key)]

    def topic_keys(self) -> list[ListenKey]:
        """The group's topics this entity follows (always at once)."""
        return []

    def coalesce_value(self) -> object:
        """The value a coalesced entity's significance is judged on (its state)."""
        return None

    async def async_added_to_hass(self) -> None:
        """Listen for the keys this entity shows, besides availability changes.

        A group entity (source None) listens to the keys of the sources that join, too.
        """
        await super().async_added_to_hass()
        self._listen_keys()
        self.async_on_remove(self._stop_listening_keys)
        coordinator = self.coordinator
        if topics := self.topic_keys():
            self.async_on_remove(
                coordinator.async_add_key_listener(topics, self._handle_topic_update)
            )
        if self._source is None:
            self.async_on_remove(
                coordinator.async_add_key_listener([SOURCES], self._handle_sources_joined)
            )

    @callback
    def _listen_keys(self) -> None:
        self._stop_listening_keys()
        # Interval 0: every change is written, noise included.
        coalesce = self.coalesce_step is not None and self.coordinator.fanout.interval > 0
        self._unlisten_keys = self.coordinator.async_add_key_listener(
            self.listen_keys(),
            self._handle_coalesced_update if coalesce else self._handle_key_update,
            coalesce=coalesce,
        )

    @callback
    def _stop_listening_keys(self) -> None:
        if self._unlisten_keys is not None:
            self._unlisten_keys()
            self._unlisten_keys = None

    @callback
    def _handle_sources_joined(self) -> None:
        self._listen_keys()  # listen_keys() names every source the system has now
        self._write()

    @callback
    def _handle_key_update(self) -> None:
        self._write()

    @callback
    def _handle_topic_update(self) -> None:
        self._write()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._write()

    @callback
    def _handle_coalesced_update(self) -> None:
        """Write the latest value if it moved by the step or crossed a threshold."""
        value = self.coalesce_value()
        step = self.coalesce_step or 0.0
        if significant(self._written, value, step) or crossed(
            self.thresholds, self._written, value
        ):
            self._written = value
            self.async_write_ha_state()

    @callback
    def _write(self) -> None:
        if self.coalesce_step is not None:
            self._written = self.coalesce_value()
        self.async_write_ha_state()


class Eg4GroupSettingEntity(Eg4Entity):
    """A writable setting of the whole parallel group: it follows the setting on every unit."""

    def __init__(
        self, coordinator: Eg4Coordinator, description: EntityDescription, setting: SettingDef
    ) -> None:
        """Bind to a writable setting."""
        super().__init__(coordinator, description, None)
        self._setting = setting

    def listen_keys(self) -> list[ListenKey]:
        """This setting on every unit."""
        return [
            (SourceId(SourceKind.INVERTER, index), self._setting.key)
            for index in self.coordinator.data.inverters
        ]


class Eg4SupervisorEntity(Eg4Entity):
    """An entity of the whole group that shows what the calibration supervisor knows."""

    def __init__(
        self,
        coordinator: Eg4Coordinator,
        description: EntityDescription,
        supervisor: CalibrationSupervisor,
    ) -> None:
        """Bind to the group's device and the entry's supervisor."""
        super().__init__(coordinator, description, None)
        self._supervisor = supervisor

    def _packs_report(self) -> bool:
        """True while the telemetry is up and at least one pack reports."""
        return self.coordinator.last_update_success and any(
            self.coordinator.data.is_fresh(pack.source)
            for pack in self.coordinator.data.packs.values()
        )


class Eg4DriftEntity(Eg4SupervisorEntity):
    """Shows the supervisor's drift analysis, refreshed on its 30-second tick.

    Drift moves over hours; recomputing it on every pack message would cost more than the
    message itself.
    """

    @property
    def available(self) -> bool:
        """Available while a report exists and at least one pack reports."""
        return self._supervisor.drift is not None and self._packs_report()

    def topic_keys(self) -> list[ListenKey]:
        """Each new analysis the supervisor publishes."""
        return [DRIFT]

    @callback
    def _handle_topic_update(self) -> None:
        """A figure (``coalesce_step``) is written when it moved by its step; a verdict always."""
        if self.coalesce_step is not None and self.coordinator.fanout.interval > 0:
            self._handle_coalesced_update()
        else:
            self._write()


class Eg4CalibrationEntity(Eg4SupervisorEntity):
    """Follows the calibration: every phase change, and the pack readings if it shows them.

    ``follows_packs`` makes it refresh on each pack's SoC, current and highest cell too: the
    countdowns, the expected end and the packs' status move with them between phase changes
    (the record entities only change when a phase does). ``shows_bank``: it shows the packs'
    figures, so it is available only while packs report; the run's times and the record come
    from Home Assistant's own storage and are available whatever the telemetry does.
    """

    follows_packs = False
    shows_bank = False

    @property
    def available(self) -> bool:
        """The record is known whatever the telemetry does; the bank's figures are not."""
        return self._packs_report() if self.shows_bank else True

    def listen_keys(self) -> list[ListenKey]:
        """Each pack's progress readings, when this entity shows them."""
        if not self.follows_packs:
            return []
        return [
            (SourceId(SourceKind.PACK, index), key)
            for index in self.coordinator.data.packs
            for key in PROGRESS_KEYS
        ]

    def topic_keys(self) -> list[ListenKey]:
        """Every phase change and every change of the record."""
        return [CALIBRATION]
