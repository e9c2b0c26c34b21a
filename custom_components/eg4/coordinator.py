"""The push coordinator: one SystemState fed by a transport, and the one write path."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_CONFIRM_TIMEOUT,
    CONF_STALE_TIMEOUT,
    DEFAULT_CONFIRM_TIMEOUT,
    DEFAULT_STALE_TIMEOUT,
    DOMAIN,
)
from .ingest import Change, apply_readings, mark_stale
from .model import SettingKey, SettingValue, SourceId, SourceKind, SystemState, values_match
from .profiles.base import CommandResult, Rejected
from .transport.base import (
    Offline,
    TransportAuthError,
    TransportResult,
    TransportUnavailableError,
)
from .writes import WriteOutcome, WritePlan, run_write

if TYPE_CHECKING:
    from . import Eg4ConfigEntry
    from .transport.base import Transport

_LOGGER = logging.getLogger(__name__)

type KeyListener = Callable[[], None]
type StateListener = Callable[[SystemState, Change], None]


@dataclass(slots=True)
class _Waiter:
    """A write waiting for its read-back (or for the bridge's refusal)."""

    key: SettingKey
    target: SettingValue
    units: frozenset[int]
    tolerance: float
    future: asyncio.Future[bool]
    replies: list[CommandResult] = field(default_factory=list)


class Eg4Coordinator(DataUpdateCoordinator[SystemState]):
    """Holds the SystemState; notifies exactly the entities a message concerns."""

    config_entry: Eg4ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: Eg4ConfigEntry, transport: Transport) -> None:
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
        self.confirm_timeout = float(
            entry.options.get(CONF_CONFIRM_TIMEOUT, DEFAULT_CONFIRM_TIMEOUT)
        )
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.command_replies: list[CommandResult] = []
        self._key_listeners: dict[tuple[SourceId, str], list[KeyListener]] = {}
        self._state_listeners: list[StateListener] = []
        self._waiters: list[_Waiter] = []
        self._write_lock = asyncio.Lock()
        self._unsub_watchdog: CALLBACK_TYPE | None = None

    async def _async_update_data(self) -> SystemState:
        """Poll a polling transport; for push transports return what has been delivered."""
        if self.transport.poll_interval is None:
            return self.data
        try:
            await self.transport.async_poll()
        except TransportAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except TransportUnavailableError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={"error": str(err)},
            ) from err
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
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_result(False)
        self._waiters.clear()

    # ---- listeners -----------------------------------------------------------------------

    @callback
    def async_add_key_listener(
        self, keys: list[tuple[SourceId, str]], cb: KeyListener
    ) -> CALLBACK_TYPE:
        """Call ``cb`` when one of ``keys`` changes; returns the remover."""
        for key in keys:
            self._key_listeners.setdefault(key, []).append(cb)

        @callback
        def remove() -> None:
            for key in keys:
                listeners = self._key_listeners.get(key)
                if listeners and cb in listeners:
                    listeners.remove(cb)
                    if not listeners:
                        del self._key_listeners[key]

        return remove

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
        if isinstance(result, Rejected):
            self.rejected[result.reason] += 1
            return
        if isinstance(result, Offline):
            self._mark_offline(result.sources)
            return
        if isinstance(result, CommandResult):
            self._handle_reply(result)
            return
        change = apply_readings(self.data, result.readings, time.time())
        self.accepted += 1
        if not change:
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
            notified: set[int] = set()
            for key in change.keys:
                for listener in self._key_listeners.get(key, ()):
                    if id(listener) not in notified:
                        notified.add(id(listener))
                        listener()
        if self._waiters:
            self._check_waiters()

    @callback
    def _handle_reply(self, reply: CommandResult) -> None:
        """A bridge's answer: a refusal ends the wait of the write it is about.

        A reply that names no unit is about the write in progress when there is one; while
        several units' writes are waiting (a restore) it cannot be told which, so it ends
        none of them (each still ends on its read-back or its timeout).
        """
        self.command_replies = [*self.command_replies[-9:], reply]
        attributable = reply.unit is not None or len(self._waiters) == 1
        for waiter in self._waiters:
            if reply.unit is not None and reply.unit not in waiter.units:
                continue
            waiter.replies.append(reply)
            if not reply.ok and attributable and not waiter.future.done():
                waiter.future.set_result(False)

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
        newly = mark_stale(self.data, time.time(), self.stale_timeout)
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

    # ---- writes --------------------------------------------------------------------------

    @callback
    def _check_waiters(self) -> None:
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            if all(
                values_match(
                    self.data.inverters[unit].settings.get(waiter.key),
                    waiter.target,
                    waiter.tolerance,
                )
                for unit in waiter.units
            ):
                waiter.future.set_result(True)

    async def async_send_and_confirm(
        self,
        key: SettingKey,
        value: SettingValue,
        unit: int | None,
        units: frozenset[int],
        tolerance: float,
        within: float,
        attempt: int = 0,
    ) -> tuple[bool, list[CommandResult]]:
        """Send a command, then wait until every unit in ``units`` reads back ``value``.

        The wait is registered before the command is sent, so a read-back or a refusal that
        arrives while the transport is still sending is not missed. Returns (confirmed,
        the bridge's replies); False on a refusal or when ``within`` seconds pass.
        """
        future: asyncio.Future[bool] = self.hass.loop.create_future()
        waiter = _Waiter(key, value, units, tolerance, future)
        self._waiters.append(waiter)
        cancel_timer: CALLBACK_TYPE | None = None

        @callback
        def _timeout(_now: object) -> None:
            if not future.done():
                future.set_result(False)

        try:
            await self.transport.async_send(key, value, unit, attempt)
            cancel_timer = async_call_later(self.hass, within, _timeout)
            self._check_waiters()
            return await future, waiter.replies
        finally:
            if cancel_timer is not None:
                cancel_timer()
            if waiter in self._waiters:  # async_stop may already have cleared them
                self._waiters.remove(waiter)

    async def async_write_setting(
        self, key: SettingKey, value: object, *, attempt: int = 0, restore: bool = False
    ) -> WriteOutcome:
        """Validate, send to every unit, confirm by read-back, roll back a partial write.

        ``attempt`` > 0 selects the transport's alternative encodings (used by retries).
        ``restore`` (the calibration's revert) sends to every unit not yet at the value,
        whatever another unit answered, and rolls nothing back.
        """
        async with self._write_lock:
            plan = WritePlan.build(self, key, value, attempt=attempt, restore=restore)
            return await run_write(self, plan)
