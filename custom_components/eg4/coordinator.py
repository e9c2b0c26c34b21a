"""The coordinator: one SystemState fed by a transport, and its listeners.

It holds the one mapping of transport errors to Home Assistant's exceptions (setup and refresh)
and forwards writes and replies to ``writes.Writer``. Sources that start reporting after set-up
join here (``dynamic.py`` describes the flow).

Entities learn of changes through its key listeners only (``fanout.py`` says how, and how
measurements are coalesced to one write per update interval); the safety monitor's state
listener sees every message that changes anything, before any entity.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .budget import DEFAULT_PER_HOUR, WriteBudget
from .clock import Clock
from .const import (
    CONF_ADD_NEW_SOURCES,
    CONF_CONFIRM_TIMEOUT,
    CONF_ENTITY_INTERVAL,
    CONF_STALE_TIMEOUT,
    CONF_WRITE_BUDGET,
    DEFAULT_CONFIRM_TIMEOUT,
    DEFAULT_ENTITY_INTERVAL,
    DEFAULT_STALE_TIMEOUT,
    DOMAIN,
    MAX_INVERTERS,
    MAX_PACKS,
)
from .dynamic import RunningConfig, async_record_sources, signal_source_joined
from .fanout import SOURCES, Fanout, KeyListener, ListenKey
from .ingest import UNCHANGED, Change, apply_readings, mark_stale
from .model import SettingKey, SourceId, SourceKind, SystemState
from .transport.base import (
    CommandResult,
    Decoded,
    Offline,
    Rejected,
    TransportAuthError,
    TransportRateLimitedError,
    TransportResult,
    TransportUnavailableError,
)
from .write_modes import Guard, WriteOutcome
from .writes import Writer

if TYPE_CHECKING:
    from .transport.base import Transport

_LOGGER = logging.getLogger(__name__)

type StateListener = Callable[[SystemState, Change], None]

# The highest number a source of each kind may have (what the config flow accepts).
SOURCE_LIMITS = {SourceKind.INVERTER: MAX_INVERTERS, SourceKind.PACK: MAX_PACKS}


@contextmanager
def transport_errors(*, setup: bool) -> Iterator[None]:
    """Raise a transport's error as the Home Assistant exception it means (setup and refresh).

    Refused credentials start a reauth; a wait the portal asked for or an outage is retried:
    by Home Assistant's setup retry while setting up, by the next refresh afterwards.
    """
    retry = ConfigEntryNotReady if setup else UpdateFailed
    try:
        yield
    except TransportAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except TransportRateLimitedError as err:
        raise retry(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"seconds": str(err.seconds)},
        ) from err
    except TransportUnavailableError as err:
        raise retry(
            translation_domain=DOMAIN,
            translation_key="service_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err


class Eg4Coordinator(DataUpdateCoordinator[SystemState]):
    """Holds the SystemState; notifies exactly the entities a message concerns."""

    # What it reads of its entry is title, data and options: the entry's runtime data
    # (``runtime.Eg4RuntimeData``) holds the coordinator, not the other way round.
    config_entry: ConfigEntry[Any]

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], transport: Transport) -> None:
        """Create the coordinator for one config entry."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=transport.poll_interval,
            always_update=True,
        )
        self.transport = transport
        self.capabilities = transport.capabilities
        self.data = SystemState.empty(transport.inverter_count, transport.pack_count)
        stale = float(entry.options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT))
        if transport.poll_interval is not None:  # a polled source is stale after 3 missed polls
            stale = max(stale, 3 * transport.poll_interval.total_seconds())
        self.stale_timeout = stale
        confirm_timeout = float(entry.options.get(CONF_CONFIRM_TIMEOUT, DEFAULT_CONFIRM_TIMEOUT))
        self.confirm_timeout = confirm_timeout
        # What the entry said when this set-up was built; follows the sources that join.
        self.running = RunningConfig.of(entry)
        self.add_new_sources = bool(entry.options.get(CONF_ADD_NEW_SOURCES, True))
        self.clock = Clock()
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        # A polled source is paced by its poll interval: its entities write on each poll.
        interval = float(entry.options.get(CONF_ENTITY_INTERVAL, DEFAULT_ENTITY_INTERVAL))
        self.fanout = Fanout(hass, interval if transport.poll_interval is None else 0.0)
        self._state_listeners: list[StateListener] = []
        self._unsub_watchdog: CALLBACK_TYPE | None = None
        self.writer = Writer(
            hass,
            transport,
            lambda: self.data,
            lambda: self.is_available(None),
            confirm_timeout,
            WriteBudget(int(entry.options.get(CONF_WRITE_BUDGET, DEFAULT_PER_HOUR))),
            self.clock.now,
        )

    async def _async_update_data(self) -> SystemState:
        """Poll a polling transport; for push transports return what has been delivered."""
        if self.transport.poll_interval is None:
            return self.data
        with transport_errors(setup=False):
            await self.transport.async_poll()
        return self.data

    async def async_start(self) -> None:
        """Start the transport and the staleness watchdog."""
        await self.transport.async_start(self._handle_message)
        interval = max(1.0, min(10.0, self.stale_timeout / 6))
        self._unsub_watchdog = async_track_time_interval(
            self.hass, self._check_staleness, timedelta(seconds=interval)
        )

    async def async_stop(self) -> None:
        """Stop the watchdog and the transport; fail pending writes."""
        if self._unsub_watchdog is not None:
            self._unsub_watchdog()
            self._unsub_watchdog = None
        await self.transport.async_stop()
        self.writer.cancel_waits()
        self.fanout.stop()

    @property
    def command_replies(self) -> list[CommandResult]:
        """The bridge's last replies to commands (diagnostics)."""
        return self.writer.replies

    # ---- listeners -----------------------------------------------------------------------

    @callback
    def async_add_key_listener(
        self, keys: list[ListenKey], cb: KeyListener, *, coalesce: bool = False
    ) -> CALLBACK_TYPE:
        """Call ``cb`` when one of ``keys`` changes; returns the remover.

        ``coalesce``: at most once per update interval (a measurement), or at once when one
        of the keys crosses a safety threshold.
        """
        return self.fanout.add(keys, cb, coalesce=coalesce)

    @callback
    def async_notify(self, *keys: ListenKey) -> None:
        """Tell the listeners of these keys (the group's topics: ``fanout.CALIBRATION``...)."""
        self.fanout.notify(keys)

    @callback
    def async_add_state_listener(self, cb: StateListener) -> CALLBACK_TYPE:
        """Call ``cb(state, change)`` synchronously on every message that changes anything.

        Used by the safety monitor: it sees a breach while the message that carries it
        is being handled.
        """
        self._state_listeners.append(cb)

        @callback
        def remove() -> None:
            if cb in self._state_listeners:
                self._state_listeners.remove(cb)

        return remove

    # ---- ingest --------------------------------------------------------------------------

    @callback
    def _handle_message(self, result: TransportResult) -> None:
        if not isinstance(result, Decoded):  # telemetry first: nearly every message is
            if isinstance(result, Rejected):
                self.rejected[result.reason] += 1
            elif isinstance(result, Offline):
                self._mark_offline(result.sources)
            elif isinstance(result, CommandResult):
                self.writer.on_reply(result)
            return
        joined = self._admit_sources(result) if self.add_new_sources and not result.retained else []
        change = apply_readings(self.data, result.readings, self.clock.now())
        if joined:  # announced with their first readings in place
            self._announce_joined(joined)
        self.accepted += 1
        if change is UNCHANGED:
            self.writer.on_readings(result.readings)  # an unchanged read-back confirms too
            return
        # The state listeners (the calibration's safety monitor) first: nothing an entity
        # does with this update can keep a breach from being handled on it.
        for state_listener in list(self._state_listeners):
            state_listener(self.data, change)
        if change.revived:
            for source in change.revived:
                _LOGGER.info("%s is reporting again", source)
            self.async_update_listeners()
        else:
            self.fanout.notify(change.keys, change.crossed)
        self.writer.on_readings(result.readings)

    @callback
    def _admit_sources(self, result: Decoded) -> list[SourceId]:
        """Let the units and packs this message names, that the system lacks, join it."""
        joined: list[SourceId] = []
        inverters, packs = self.data.inverters, self.data.packs
        for reading in result.readings:
            source = reading.source
            if source.index in (inverters if source.kind is SourceKind.INVERTER else packs):
                continue  # nearly always: a source the system has
            if source.index <= SOURCE_LIMITS[source.kind]:
                joined.extend(self.data.admit(source))
        return joined

    @callback
    def _announce_joined(self, joined: list[SourceId]) -> None:
        """Store what the system now has in the entry; tell the platforms (one signal each)."""
        for source in joined:
            _LOGGER.info("%s has started reporting: added", source)
        entry = self.config_entry
        updates = self.transport.config_for_sources(len(self.data.inverters), len(self.data.packs))
        # Known as running before it is stored: the update listener runs at once.
        self.running = RunningConfig.of(entry, updates)
        async_record_sources(self.hass, entry, updates)
        for source in joined:
            async_dispatcher_send(self.hass, signal_source_joined(entry.entry_id), source)
        self.async_notify(SOURCES)  # group entities listen to the new sources' keys too

    @callback
    def _mark_offline(self, sources: frozenset[SourceId]) -> None:
        newly = sources - self.data.stale
        if not newly:
            return
        self.data.stale.update(newly)
        for source in sorted(newly, key=str):
            _LOGGER.info("%s is reported offline: marked unavailable", source)
        self.async_update_listeners()
        for state_listener in list(self._state_listeners):
            state_listener(self.data, Change())

    @callback
    def _check_staleness(self, _now: object = None) -> None:
        newly = mark_stale(self.data, self.clock.now(), self.stale_timeout)
        if not newly:
            return
        for source in sorted(newly, key=str):
            _LOGGER.info(
                "%s has sent nothing for %.0f s: marked unavailable", source, self.stale_timeout
            )
        self.async_update_listeners()
        change = Change()
        for state_listener in list(self._state_listeners):
            state_listener(self.data, change)

    def is_available(self, source: SourceId | None) -> bool:
        """True when the source (or, for None, every inverter) reports fresh data."""
        if source is not None:
            return self.data.is_fresh(source)
        return all(
            self.data.is_fresh(SourceId(SourceKind.INVERTER, n)) for n in self.data.inverters
        )

    # ---- writes ------------------------------------------------------------------------

    async def async_write_setting(
        self,
        key: SettingKey,
        value: object,
        *,
        owner: str | None = None,
        guard: Guard | None = None,
    ) -> WriteOutcome:
        """Validate, send to every unit, confirm by read-back, roll back a partial write.

        The writer (``writes.Writer``) does it; entities and the calibration call this.
        """
        return await self.writer.async_write(key, value, owner=owner, guard=guard)
