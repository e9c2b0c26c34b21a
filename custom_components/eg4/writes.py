"""The one write path: validate, send to every unit, confirm by read-back, roll back on failure.

The coordinator owns a ``Writer`` and forwards to it what arrives from the bridge: the
settings read back (``on_readings``) and the bridge's replies (``on_reply``). Everything
else about writes lives here and in ``write_modes``: the waiters, the lock, send-and-confirm,
the write modes, and the settings a running calibration holds.

- **Normal writes** (entities, the calibration's levers) take the lock, one at a time, and a
  guard (``still_wanted``) is asked before every command is sent: a lever never leaves after
  the run that wanted it stopped.
- **Restores** (the calibration's revert) never wait for the lock: a breach, a cancel or a
  stop pre-empts whatever write is in flight, and the first restore command leaves while the
  message that carried the breach is being handled. Only a read-back received *after* the
  restore command confirms it (an acknowledgement is not an application, and a cached value
  says nothing about a command the inverter may still apply late).
- **Held settings**: while a calibration runs, a normal write to one of its levers is refused
  with an error that names the run and says how to cancel it.
- **The write budget** (``budget.WriteBudget``): an owner's write (no ``owner``) that would
  send something is refused before anything is sent once the hour's budget is used up; the
  calibration's writes and restores are never refused, and every write that sends is counted
  for the diagnostic sensor (``add_count_listener``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .budget import WriteBudget
from .const import DOMAIN
from .model import SettingKey, SettingValue, SourceKind, SystemState, values_match
from .transport.base import Capabilities, CommandResult, Reading, Transport, TransportError
from .write_modes import (
    Guard,
    WriteOutcome,
    WritePlan,
    off_target,
    run_restore,
    run_write,
    validated,
)

_LOGGER = logging.getLogger(__name__)

REPLIES_KEPT = 10


class WritePreemptedError(HomeAssistantError):
    """A guarded write was no longer wanted when its command was due (a run stopped)."""


@dataclass(slots=True)
class _Waiter:
    """A write waiting for its read-back (or for the bridge's refusal)."""

    key: SettingKey
    target: SettingValue
    units: frozenset[int]
    tolerance: float
    future: asyncio.Future[bool]
    # For a restore: each unit's read-back count at the send; only later ones confirm.
    fresh_after: dict[int, int] | None = None
    replies: list[CommandResult] = field(default_factory=list)


class Writer:
    """Sends settings and confirms them by read-back; the only way anything is written."""

    def __init__(
        self,
        hass: HomeAssistant,
        transport: Transport,
        state: Callable[[], SystemState],
        telemetry_fresh: Callable[[], bool],
        confirm_timeout: float,
        budget: WriteBudget,
        now: Callable[[], float],
    ) -> None:
        """Bind to a transport, the coordinator's state, the write budget and its clock."""
        self._hass = hass
        self.transport = transport
        self.capabilities: Capabilities = transport.capabilities
        self._state = state
        self._telemetry_fresh = telemetry_fresh
        self.confirm_timeout = confirm_timeout
        self.replies: list[CommandResult] = []
        self._held: dict[SettingKey, str] = {}  # setting -> the run that holds it
        self._watched_late: frozenset[SettingKey] = frozenset()
        # Told when the owner (not a run) writes a setting: a late-lever watch lets go of it.
        self.user_wrote: Callable[[SettingKey], None] | None = None
        self._waiters: list[_Waiter] = []
        self._lock = asyncio.Lock()
        self._readbacks: dict[tuple[int, SettingKey], int] = {}
        self.budget = budget
        self._now = now
        self._count_listeners: list[Callable[[], None]] = []

    @property
    def held(self) -> dict[SettingKey, str]:
        """The settings a running calibration holds, each with the run's id."""
        return self._held

    @held.setter
    def held(self, held: dict[SettingKey, str]) -> None:
        """Hold these (refused to everyone else); the transport reads them back on every poll."""
        self._held = dict(held)
        self._watch()

    def watch_late(self, keys: frozenset[SettingKey]) -> None:
        """The settings a late-lever watch waits on after a run: read back on every poll."""
        if keys != self._watched_late:
            self._watched_late = keys
            self._watch()

    def _watch(self) -> None:
        self.transport.watch_settings(frozenset(self._held) | self._watched_late)

    @property
    def state(self) -> SystemState:
        """The coordinator's current state."""
        return self._state()

    # ---- the write budget ----------------------------------------------------------------

    @callback
    def add_count_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every write counted; returns the function that stops it."""
        self._count_listeners.append(listener)
        return lambda: self._count_listeners.remove(listener)

    def _check_budget(self, key: SettingKey) -> None:
        """Refuse an owner's write while the hour's budget is used up (nothing is sent)."""
        allowed_at = self.budget.next_allowed(self._now())
        if allowed_at is None:
            return
        wait = max(0.0, allowed_at - self._now())
        # the moment on the local clock (a local time plus a timedelta moves the wall clock,
        # an hour off across a daylight-saving change)
        at = dt_util.as_local(dt_util.utcnow() + timedelta(seconds=wait))
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="write_budget_exceeded",
            translation_placeholders={
                "setting": key.value,
                "budget": str(self.budget.per_hour),
                "next": at.strftime("%H:%M:%S"),
            },
        )

    @callback
    def _count(self, key: SettingKey, *, budgeted: bool) -> None:
        self.budget.record(key.value, self._now(), dt_util.now().date(), budgeted=budgeted)
        for listener in list(self._count_listeners):
            listener()

    # ---- what arrives --------------------------------------------------------------------

    @callback
    def on_readings(self, readings: Iterable[Reading]) -> None:
        """Settings read back by a message (changed or not): they may confirm a write."""
        if not self._waiters:
            return
        seen = False
        for reading in readings:
            if reading.setting is not None and reading.source.kind is SourceKind.INVERTER:
                key = (reading.source.index, reading.setting)
                self._readbacks[key] = self._readbacks.get(key, 0) + 1
                seen = True
        if seen:
            self._check_waiters()

    @callback
    def on_reply(self, reply: CommandResult) -> None:
        """A bridge's answer: a refusal ends the wait of the write it is about.

        A reply that names no unit is about the write in progress when there is one; while
        several units' writes are waiting (a restore) it cannot be told which, so it ends
        none of them (each still ends on its read-back or its timeout).
        """
        self.replies = [*self.replies[-(REPLIES_KEPT - 1) :], reply]
        attributable = reply.unit is not None or len(self._waiters) == 1
        for waiter in self._waiters:
            if reply.unit is not None and reply.unit not in waiter.units:
                continue
            waiter.replies.append(reply)
            if not reply.ok and attributable and not waiter.future.done():
                waiter.future.set_result(False)

    @callback
    def cancel_waits(self) -> None:
        """The transport stops: every pending write ends unconfirmed."""
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_result(False)
        self._waiters.clear()

    @callback
    def _check_waiters(self) -> None:
        inverters = self.state.inverters
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            fresh = waiter.fresh_after
            if all(
                values_match(
                    inverters[unit].settings.get(waiter.key), waiter.target, waiter.tolerance
                )
                and (fresh is None or self._readbacks.get((unit, waiter.key), 0) > fresh[unit])
                for unit in waiter.units
            ):
                waiter.future.set_result(True)

    # ---- sending -------------------------------------------------------------------------

    async def async_send_and_confirm(
        self,
        key: SettingKey,
        value: SettingValue,
        unit: int | None,
        units: frozenset[int],
        tolerance: float,
        *,
        attempt: int = 0,
        fresh: bool = False,
        guard: Guard | None = None,
    ) -> tuple[bool, list[CommandResult]]:
        """Send a command, then wait until every unit in ``units`` reads back ``value``.

        The wait is registered before the command is sent, so a read-back or a refusal that
        arrives while the transport is still sending is not missed. ``fresh``: only read-backs
        received after the send count. ``guard`` is asked right before the send; when it says
        no, nothing is sent (WritePreemptedError). Returns (confirmed, the bridge's replies);
        False on a refusal or when the confirmation timeout passes.
        """
        if guard is not None and not guard():
            raise WritePreemptedError(
                translation_domain=DOMAIN,
                translation_key="write_preempted",
                translation_placeholders={"setting": key.value},
            )
        future: asyncio.Future[bool] = self._hass.loop.create_future()
        after = {u: self._readbacks.get((u, key), 0) for u in units} if fresh else None
        waiter = _Waiter(key, value, units, tolerance, future, after)
        self._waiters.append(waiter)
        cancel_timer: CALLBACK_TYPE | None = None

        @callback
        def _timeout(_now: object) -> None:
            if not future.done():
                future.set_result(False)

        try:
            try:
                await self.transport.async_send(key, value, unit, attempt)
            except TransportError as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="send_failed",
                    translation_placeholders={"setting": key.value, "error": str(err)},
                ) from err
            cancel_timer = async_call_later(self._hass, self.confirm_timeout, _timeout)
            self._check_waiters()
            return await future, waiter.replies
        finally:
            if cancel_timer is not None:
                cancel_timer()
            if waiter in self._waiters:  # cancel_waits may already have cleared them
                self._waiters.remove(waiter)
            if not self._waiters:
                self._readbacks.clear()

    async def async_write(
        self,
        key: SettingKey,
        value: object,
        *,
        attempt: int = 0,
        owner: str | None = None,
        guard: Guard | None = None,
    ) -> WriteOutcome:
        """Validate, send to every unit, confirm by read-back, roll back a partial write.

        ``owner``: the calibration run writing its own lever (a held setting is refused to
        everyone else). ``attempt`` > 0 selects the transport's alternative encodings.
        """
        holder = self.held.get(key)
        if holder is not None and holder != owner:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="setting_held",
                translation_placeholders={"setting": key.value, "run_id": holder},
            )
        async with self._lock:
            setting, value_ok = validated(self, key, value)
            if not self._telemetry_fresh():
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="telemetry_stale",
                    translation_placeholders={"setting": key.value},
                )
            plan = WritePlan(
                setting, value_ok, self.state.setting_values(key), attempt=attempt, guard=guard
            )
            if off_target(self.state, key, value_ok, setting.tolerance, sorted(plan.previous)):
                # It will send: an owner's write must fit the budget (a calibration's always does).
                if owner is None:
                    self._check_budget(key)
                self._count(key, budgeted=owner is None)
            if owner is None and self.user_wrote is not None:
                self.user_wrote(key)  # only a write that is not refused lets a late lever go
            return await run_write(self, plan)

    async def async_restore(
        self, key: SettingKey, value: SettingValue, units: Iterable[int], *, attempt: int = 0
    ) -> None:
        """Send a saved value back to ``units`` and confirm it by fresh read-backs.

        Never waits for the lock (it pre-empts the write in flight) and is sent even while
        the telemetry is silent: the command path may well work, and ending a grid charge
        must not wait for it (only its read-back confirms it).
        """
        setting, value_ok = validated(self, key, value)
        wanted = sorted(set(units) & set(self.state.inverters))
        self._count(key, budgeted=False)  # counted for the sensor; never refused
        await run_restore(self, setting, value_ok, wanted, attempt)

    def encodings(self, key: SettingKey, value: SettingValue) -> int:
        """How many encodings the transport has for this command on any unit."""
        units: list[int | None] = [None, *sorted(self.state.inverters)]
        return max(self.transport.encodings(key, value, unit) for unit in units)
