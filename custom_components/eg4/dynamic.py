"""Dynamic devices: units and packs that start reporting after set-up join the running entry.

The flow of a join: the coordinator sees a reading of a source the system does not have (a
pack or unit above the configured count, a datalog the entry does not list; never from a
retained message alone) -> ``SystemState.admit`` adds it (and any lower number missing) ->
:func:`async_record_sources` stores what the entry now has (counts, datalogs), so a restart
creates it at once -> the entry's update listener sees an entry that describes exactly what is
running (:func:`runs_as_stored`) and does not reload it (a reload would end a running
calibration) -> :func:`signal_source_joined` is sent once per new source, and each platform
adds that source's entities (``platforms.async_add_source_entities``); group entities listen
to the new source's keys too (``Eg4Entity``). The option ``add_new_sources`` (MQTT entries, on
by default) turns joining off; a profile that may share its bridge with other entries
(``SharingProfile``: lxp-bridge) never takes a unit another entry lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import CONF_TRANSPORT, DOMAIN, TRANSPORT_MQTT
from .profiles.registry import bridge_of


def signal_source_joined(entry_id: str) -> str:
    """The dispatcher signal sent with each ``SourceId`` that joins this entry's system."""
    return f"{DOMAIN}_{entry_id}_source_joined"


@dataclass(frozen=True, slots=True)
class RunningConfig:
    """The part of an entry a running set-up was built from."""

    title: str
    data: Mapping[str, Any]
    options: Mapping[str, Any]

    @classmethod
    def of(cls, entry: ConfigEntry[Any], updates: Mapping[str, Any] | None = None) -> RunningConfig:
        """What ``entry`` says now, or once ``updates`` are stored in its data."""
        data = {**entry.data, **(updates or {})}
        return cls(entry.title, MappingProxyType(data), MappingProxyType(dict(entry.options)))


def runs_as_stored(running: RunningConfig, entry: ConfigEntry[Any]) -> bool:
    """True when the entry describes exactly what is running: nothing to reload for."""
    return running == RunningConfig.of(entry)


@callback
def async_record_sources(
    hass: HomeAssistant, entry: ConfigEntry[Any], updates: Mapping[str, Any]
) -> bool:
    """Store the sources the system now has in the entry; True if the entry changed.

    A bridge whose unique id names its units (lxp-bridge's datalogs) gets the new one, unless
    another entry has it.
    """
    data = {**entry.data, **updates}
    if data == dict(entry.data):
        return False
    unique_id = entry.unique_id
    if data.get(CONF_TRANSPORT, TRANSPORT_MQTT) == TRANSPORT_MQTT:
        candidate = bridge_of(data).unique_id(data)
        taken = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, candidate)
        if taken is None or taken.entry_id == entry.entry_id:
            unique_id = candidate
    return hass.config_entries.async_update_entry(entry, data=data, unique_id=unique_id)
