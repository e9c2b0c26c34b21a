"""How a platform module adds its entities: ``async_setup_entry = entry_platform(...)``.

A platform says what it makes of an entry's runtime data, and this module adds it:

- ``group``: the entities of the whole parallel group, made once at set-up;
- ``per_source``: the entities of one inverter or pack, made for each source the system has
  now and for each that joins later (``dynamic.py`` describes the join).

A platform of group settings (number, select, ...) is one line,
``async_setup_entry = setting_platform(DESCRIPTIONS, Eg4SettingX)``: an entity for each
description whose setting the transport can write, of the entity's ``setting_type``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .dynamic import signal_source_joined
from .entity import Eg4GroupSettingEntity
from .model import SettingKey, SourceId
from .runtime import Eg4ConfigEntry, Eg4RuntimeData

type PlatformSetup = Callable[
    [HomeAssistant, Eg4ConfigEntry, AddConfigEntryEntitiesCallback], Coroutine[Any, Any, None]
]
type GroupEntities = Callable[[Eg4RuntimeData], Iterable[Entity]]
type SourceEntities = Callable[[SourceId], Iterable[Entity]]


def entry_platform(
    group: GroupEntities | None = None,
    *,
    per_source: Callable[[Eg4RuntimeData], SourceEntities] | None = None,
) -> PlatformSetup:
    """A platform's ``async_setup_entry``: the sources' entities first, then the group's."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: Eg4ConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add this platform's entities of the entry (and of each source that joins it)."""
        data = entry.runtime_data
        if per_source is not None:
            async_add_source_entities(hass, entry, async_add_entities, per_source(data))
        if group is not None:
            async_add_entities(list(group(data)))

    return async_setup_entry


def setting_platform(
    descriptions: Sequence[EntityDescription], entity: type[Eg4GroupSettingEntity]
) -> PlatformSetup:
    """A platform of group settings: one ``entity`` for each setting the transport can write."""

    def group(data: Eg4RuntimeData) -> list[Entity]:
        writable = data.coordinator.capabilities.writable
        found = [(d, writable.get(SettingKey(d.key))) for d in descriptions]
        return [
            entity(data.coordinator, description, setting)
            for description, setting in found
            if setting is not None and isinstance(setting, entity.setting_type)
        ]

    return entry_platform(group)


@callback
def async_add_source_entities(
    hass: HomeAssistant,
    entry: Eg4ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: SourceEntities,
) -> None:
    """Add the entities ``build`` makes for each source now, and for each that joins later."""
    state = entry.runtime_data.coordinator.data
    async_add_entities([entity for source in state.sources() for entity in build(source)])

    @callback
    def joined(source: SourceId) -> None:
        async_add_entities(list(build(source)))

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_source_joined(entry.entry_id), joined)
    )
