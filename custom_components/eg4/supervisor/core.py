"""The calibration charge inside Home Assistant: one entry's run, from start to its ending.

The decisions live in ``calibration`` (pure); this room carries them out. It persists the run
(verified) before the first write, applies the levers through the coordinator's writer with a
guard that stops them the moment the run stops, judges every coordinator update (a breach is
handled on the message that carries it, and its revert pre-empts any write in flight), and
puts the settings back when Home Assistant stops or the entry unloads. Elsewhere: the revert
(``revert.Reverter``), storage (``store``), messages (``notify``), drift (``drift_watch``).

The promise: when a run ends, every setting it changed, on every unit it touched, reads back
as it was in a read-back received after the revert command — or a critical repair issue and
a notification stand and Home Assistant keeps retrying.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_track_time_interval

from ..calibration import (
    Action,
    ApplyPlan,
    CalibrationRun,
    EnterPhase,
    Finish,
    Method,
    Outcome,
    Phase,
    RunConfig,
    RunDataError,
    StartRevert,
    StopReason,
)
from ..const import DOMAIN
from ..drift import DriftReport
from ..fanout import CALIBRATION
from ..ingest import Change
from ..model import SystemState
from ..numbers import is_number
from ..quick import KIND as QUICK
from ..quick import load_run
from .answers import cancel_response
from .drift_watch import DriftWatch
from .engage import async_engage
from .late_watch import LateWatch
from .notify import Notifier
from .plan_check import plan_run, refuse_if_running_elsewhere, run_config_for
from .release import async_put_back, async_put_back_at_stop
from .revert import Reverter
from .store import RecordStore, stored_results

if TYPE_CHECKING:
    from ..coordinator import Eg4Coordinator

_LOGGER = logging.getLogger(__name__)

TICK = timedelta(seconds=30)


class CalibrationSupervisor:
    """Runs at most one calibration of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str, coordinator: Eg4Coordinator) -> None:
        """Bind to an entry and its coordinator."""
        self.hass = hass
        self.entry_id = entry_id
        self.coordinator = coordinator
        self.run: CalibrationRun | None = None
        self.last: dict[str, Any] | None = None  # the record of the last run that ended
        self.last_success: dict[str, Any] | None = None  # ... and of the last that succeeded
        self.last_charge_to: dict[str, Any] | None = None  # the last charge to a target
        self.store = RecordStore(hass, entry_id)
        self.notifier = Notifier(hass, entry_id)
        self.reverter = Reverter(self)
        self.late = LateWatch(self, self.reverter)
        self.drift_watch = DriftWatch(
            entry_id,
            coordinator,
            coordinator.stale_timeout,
            self.now,
            self._schedule_save,
            lambda: self.run is not None,
        )
        self.revert_done = asyncio.Event()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._engage: asyncio.Task[None] | None = None
        self._stop_unsub: CALLBACK_TYPE | None = None
        self._released = False  # stopping or unloading: no lever leaves any more
        coordinator.writer.user_wrote = self.late.forget

    # ---- what the entities read ----------------------------------------------------------

    @property
    def drift(self) -> DriftReport | None:
        """The latest drift analysis."""
        return self.drift_watch.report

    @property
    def drift_since(self) -> float | None:
        """Since when the counters have been drifted (None when they are not)."""
        return self.drift_watch.since

    @property
    def released(self) -> bool:
        """Stopping or unloading: no lever leaves any more."""
        return self._released

    def now(self) -> float:
        """The run clock: wall-clock seconds that never jump (``clock.Clock``)."""
        return self.coordinator.clock.now()

    # ---- lifecycle -------------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Load the stored record; revert a run that was active when Home Assistant stopped."""
        stored = await self.store.async_load() or {}
        self.last, self.last_success = stored_results(stored)
        last_charge = stored.get("last_charge_to")
        self.last_charge_to = last_charge if isinstance(last_charge, dict) else None
        since = stored.get("drift_since")
        if is_number(since):
            self.drift_watch.since = float(since)
        self._unsubs.append(self.coordinator.async_add_state_listener(self._on_state))
        self._unsubs.append(async_track_time_interval(self.hass, self._on_tick, TICK))
        self._stop_unsub = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._on_stop)
        self.drift_watch.refresh()
        self.late.resume(stored.get("late_watch"))
        raw = stored.get("run")
        if raw is None:
            return
        try:
            run = load_run(raw)
        except RunDataError as err:
            _LOGGER.error(  # noqa: TRY400 - the reason is enough, no traceback
                "The stored calibration run could not be read (%s); check the settings", err
            )
            # Nothing can retry it (what to restore is unknown): the issue lasts until the
            # next restart, and the unreadable record is replaced now.
            self.notifier.settings_not_restored("stored run unreadable", persistent=False)
            await self.async_save()
            return
        if run.awaits_revert:
            self.run = run
            self._hold(run)
            _LOGGER.warning("Calibration %s was interrupted: restoring the settings", run.run_id)
            self.execute(run.recover(self.now()))
            if run.outcome is Outcome.FAILED:
                self.reverter.start(run.revert_items)

    async def async_release(self, *, reason: str = "unloaded") -> None:
        """The entry unloads (disable, reload, removal): put the settings back first.

        Bounded: the revert gets ``SHUTDOWN_REVERT_S`` for its read-backs (``release``).
        """
        if self._released:
            return
        self._release()
        await async_put_back(self, self.reverter, reason)

    async def async_unload(self) -> None:
        """Last step of an unload: nothing of this supervisor runs any more."""
        self._release()
        for task in list(self._tasks):
            task.cancel()
        self.revert_done.set()  # a cancel action waiting for the revert answers now

    def _release(self) -> None:
        """From here on no lever is sent and nothing is watched."""
        self._released = True
        if self._stop_unsub is not None:
            self._stop_unsub()
            self._stop_unsub = None
        self._cancel_engage()
        while self._unsubs:
            self._unsubs.pop()()
        self.reverter.cancel_retry()
        self.late.cancel()
        self.drift_watch.stop()

    # ---- actions (called by services) ------------------------------------------------------

    async def async_run(
        self, method: Method, *, dry_run: bool, config: RunConfig
    ) -> dict[str, Any]:
        """Pre-flight, plan, and (unless a dry run) start the calibration."""
        now = self.now()
        config = run_config_for(self, config)
        plan, response = plan_run(self, method, config, now=now, dry_run=dry_run)
        if dry_run:
            return response
        refuse_if_running_elsewhere(self)
        run = CalibrationRun.create(
            run_id=uuid.uuid4().hex[:12],
            method=method,
            plan=plan,
            state=self.coordinator.data,
            now=now,
            config=config,
        )
        await self.async_begin(run)
        _LOGGER.info("Calibration %s started (%s method)", run.run_id, method.value)
        response["run_id"] = run.run_id
        return response

    async def async_begin(self, run: CalibrationRun) -> None:
        """Start ``run`` (of either kind): stored before its first write, levers held.

        Stored as started (engaging), verified: a run recorded as not yet started would be
        forgotten with its levers if its next save failed.
        """
        self.run = run
        actions = run.start(self.now())
        try:
            await self.store.async_save_verified(self._data())
        except Exception:
            self.run = None
            raise
        self._hold(run)
        self.execute(actions)

    async def async_cancel(self) -> dict[str, Any]:
        """Stop the active run, revert, and report what was restored and confirmed."""
        run = self.run
        if run is None or not run.is_active:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_active_calibration"
            )
        self.revert_done.clear()
        self.execute(run.cancel(self.now()))
        if run.plan and run.phase is not Phase.ABORTED:
            await self.revert_done.wait()
        return cancel_response(run, self.notifier.words, self.coordinator.capabilities.writable)

    # ---- driving the machine ---------------------------------------------------------------

    @callback
    def _on_state(self, state: SystemState, change: Change) -> None:
        """Every coordinator update: judge it at once (breaches abort on this message)."""
        if change.revived:
            self.drift_watch.soon()
        self.reverter.on_state()
        self.late.on_state(state)
        run = self.run
        if run is None or not run.is_active:
            return
        try:
            actions = run.on_update(state, self.now())
        except Exception as err:  # a defect must not leave the bank unsupervised
            _LOGGER.exception("Calibration %s: judging an update failed", run.run_id)
            actions = run.fault(self.now(), f"{type(err).__name__}: {err}")
        self.execute(actions)

    @callback
    def _on_tick(self, _now: object) -> None:
        """Time limits and silence are noticed even when no message arrives."""
        self._on_state(self.coordinator.data, Change())
        self.drift_watch.refresh()

    @callback
    def execute(self, actions: list[Action]) -> None:
        """Carry out what the machine decided."""
        run = self.run
        if run is None:
            return
        for action in actions:
            if isinstance(action, EnterPhase):
                _LOGGER.info("Calibration %s: %s", run.run_id, action.phase.value)
                self.notifier.fire(run, action.phase.value)
                if action.phase is Phase.REVERTING and run.reason is StopReason.LEVER_CHANGED:
                    self.notifier.lever_changed(run)
                self._schedule_save()
            elif isinstance(action, ApplyPlan):
                self._engage = self.hass.async_create_background_task(
                    async_engage(self, run, action.items),
                    f"{DOMAIN} engage {self.entry_id}",
                    eager_start=False,
                )
            elif isinstance(action, StartRevert):
                self._cancel_engage()  # no lever leaves after this
                self.reverter.start(action.items)
            elif isinstance(action, Finish):
                self._finish(run, action)
        if actions:  # most updates change nothing the calibration entities show
            self.coordinator.async_notify(CALIBRATION)

    def spawn(self, coro: Any, *, eager: bool = False, background: bool = False) -> None:
        """A task of this supervisor's (cancelled when the entry unloads)."""
        # Writes wait for read-backs: as background tasks they never hold up start-up.
        if background:
            task = self.hass.async_create_background_task(
                coro, f"{DOMAIN} calibration {self.entry_id}", eager_start=eager
            )
        else:
            task = self.hass.async_create_task(coro, eager_start=eager)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_engage(self) -> None:
        if self._engage is not None and not self._engage.done():
            self._engage.cancel()
        self._engage = None

    async def async_reverted(
        self, run: CalibrationRun, *, was_failed: bool, watch: bool = True
    ) -> None:
        """The revert was confirmed: clear the alarm, close a failed run, watch for late levers.

        (A stuck late lever of an earlier run keeps the alarm: ``settings_back``.)
        """
        self.settings_back()
        if was_failed:
            self.notifier.restored_after_failure(run)
            self._keep(run, succeeded=False)
            if self.run is run:
                self.run = None
            self._unhold()
            self.coordinator.async_notify(CALIBRATION)
        if watch:
            self.late.watch(run)
        await self.async_save()

    @callback
    def settings_back(self) -> None:
        """Something was put back: the critical issue goes if nothing is left to put back.

        Left: a late lever still stuck, or a failed run whose revert is not yet confirmed.
        """
        run = self.run
        if self.late.stuck() or (run is not None and run.awaits_revert and not run.is_active):
            return
        self.notifier.settings_restored()

    def _finish(self, run: CalibrationRun, action: Finish) -> None:
        _LOGGER.info(
            "Calibration %s ended: %s (%s)",
            run.run_id,
            action.outcome.value,
            None if action.reason is None else action.reason.value,
        )
        self._keep(run, succeeded=action.outcome is Outcome.SUCCEEDED)
        self._unhold()  # the owner may set the levers by hand now, even after a failure
        self.notifier.ended(run)  # the event, and a notification (failed: the critical one)
        if action.outcome is not Outcome.FAILED:
            self.run = None
        self._schedule_save()

    def _keep(self, run: CalibrationRun, *, succeeded: bool) -> None:
        """The record of a run that ended (a cancel or an abort keeps the last success)."""
        if run.kind != "calibration":
            if run.kind != QUICK:  # (a quick run is told by its event and notification)
                self.last_charge_to = run.summary()
            return
        self.last = run.summary()
        if succeeded:
            self.last_success = self.last

    def _hold(self, run: CalibrationRun) -> None:
        self.coordinator.writer.held = {item.setting: run.run_id for item in run.plan}

    def _unhold(self) -> None:
        self.coordinator.writer.held = {}

    # ---- storage and shutdown --------------------------------------------------------------

    def _data(self) -> dict[str, Any]:
        return {
            "run": None if self.run is None else self.run.to_dict(),
            "last": self.last,
            "last_success": self.last_success,
            "last_charge_to": self.last_charge_to,
            "drift_since": self.drift_watch.since,
            "late_watch": self.late.export(),
        }

    async def async_save(self) -> None:
        """Save the record (runs, results, drift start, late-lever watch)."""
        await self.store.async_save(self._data())

    def _schedule_save(self) -> None:
        self.spawn(self.async_save())

    async def _on_stop(self, _event: Event) -> None:
        """Home Assistant is stopping: cancel the engage, restore the settings before it goes.

        The run stays stored as it is: the next start reverts again (``release``).
        """
        if self._released:
            return  # already unloaded, or this handler already ran
        self._stop_unsub = None  # fired: a once-listener removes itself
        self._release()
        await async_put_back_at_stop(self, self.reverter)
