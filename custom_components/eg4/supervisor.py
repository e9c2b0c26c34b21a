"""The calibration charge inside Home Assistant: storage, writes, events, repairs.

The decisions live in ``calibration`` (pure); this module carries them out: it persists the
run before the first write, applies and reverts settings through the coordinator's verified
write path, watches every coordinator update (a breach is handled on the message that carries
it), retries an unconfirmed revert while Home Assistant runs, and reverts a run that was active
when Home Assistant stopped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .calibration import (
    CLOUD_FAMILY_LEVERS,
    PI_FAMILY_LEVERS,
    Action,
    ApplyPlan,
    CalibrationRun,
    EnterPhase,
    Finish,
    Method,
    Outcome,
    Phase,
    PlanError,
    PlanItem,
    RunConfig,
    RunDataError,
    StartRevert,
    build_plan,
    encode_item,
    encode_value,
    restore_mismatches,
)
from .const import DOMAIN
from .drift import DriftReport, DriftVerdict, analyze
from .ingest import Change
from .model import SettingKey, SettingValue, SystemState, setting_text
from .safety import Limits, preflight

if TYPE_CHECKING:
    from .coordinator import Eg4Coordinator

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
EVENT_CALIBRATION = "eg4_calibration"
TICK = timedelta(seconds=30)
REVERT_ATTEMPTS = 3
REVERT_BACKOFF_S = (5.0, 15.0)
REVERT_RETRY_S = 300.0  # while a revert stays unconfirmed, try again this often
SHUTDOWN_REVERT_S = 25.0
DRIFT_REPAIR_AFTER_S = 24 * 3600.0
DRIFT_SOON_S = 2.0  # after a source (re)appears, analyse drift this soon instead of on the tick


def _record_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry's calibration record (active run, last result, drift start) is kept."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.calibration.{entry_id}")


def signal_drift(entry_id: str) -> str:
    """Dispatcher signal for the drift entities of one entry."""
    return f"{DOMAIN}_drift_{entry_id}"


def signal_update(entry_id: str) -> str:
    """Dispatcher signal for the calibration entities of one entry."""
    return f"{DOMAIN}_calibration_{entry_id}"


def plan_response(plan: Sequence[PlanItem]) -> list[dict[str, Any]]:
    """The plan as response data: setting, unit, from -> to (as stored), and whether it changes."""
    return [{**encode_item(item), "changes": item.changes} for item in plan]


def _settings_in_order(items: Sequence[PlanItem]) -> list[tuple[SettingKey, SettingValue]]:
    """One group write per setting, in plan order (every unit carries the same value)."""
    seen: dict[SettingKey, SettingValue] = {}
    for item in items:
        seen.setdefault(item.setting, item.to_value)
    return list(seen.items())


class CalibrationSupervisor:
    """Runs at most one calibration of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str, coordinator: Eg4Coordinator) -> None:
        """Bind to an entry and its coordinator."""
        self.hass = hass
        self.entry_id = entry_id
        self.coordinator = coordinator
        self.run: CalibrationRun | None = None
        self.last: dict[str, Any] | None = None
        self._store = _record_store(hass, entry_id)
        self._unsubs: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._revert_lock = asyncio.Lock()
        self._revert_done: asyncio.Event = asyncio.Event()
        # Set while a revert waits for the inverters to report (only then is each update
        # checked for it).
        self._reporting: asyncio.Event | None = None
        self._retry_unsub: CALLBACK_TYPE | None = None
        self._stop_unsub: CALLBACK_TYPE | None = None
        self.drift: DriftReport | None = None
        self._drift_unsub: CALLBACK_TYPE | None = None
        self.drift_since: float | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Load the stored record; revert a run that was active when Home Assistant stopped."""
        stored = await self._store.async_load() or {}
        self.last = stored.get("last") if isinstance(stored.get("last"), dict) else None
        since = stored.get("drift_since")
        # Kept across restarts: a Home Assistant that restarts daily still sees a day of drift.
        if isinstance(since, int | float) and not isinstance(since, bool):
            self.drift_since = float(since)
        self._unsubs.append(self.coordinator.async_add_state_listener(self._on_state))
        self._unsubs.append(async_track_time_interval(self.hass, self._on_tick, TICK))
        self._stop_unsub = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._on_stop)
        self._watch_drift()
        raw = stored.get("run")
        if raw is None:
            return
        try:
            run = CalibrationRun.from_dict(raw)
        except RunDataError as err:
            _LOGGER.error(  # noqa: TRY400 - the reason is enough, no traceback
                "The stored calibration run could not be read (%s); check the settings", err
            )
            # Nothing can retry it (what to restore is unknown): the issue lasts until the
            # next restart, and the unreadable record is replaced now.
            self._raise_revert_issue("stored run unreadable", persistent=False)
            await self._async_save()
            return
        if run.awaits_revert:
            self.run = run
            _LOGGER.warning("Calibration %s was interrupted: restoring the settings", run.run_id)
            self._execute(run.recover(self._now()))
            if run.outcome is Outcome.FAILED:
                self._start_revert(run.revert_items)

    async def async_unload(self) -> None:
        """Stop listening; keep the stored run (a restart recovers it)."""
        if self._stop_unsub is not None:
            self._stop_unsub()
            self._stop_unsub = None
        self._detach()
        for task in list(self._tasks):
            task.cancel()
        self._revert_done.set()  # a cancel action waiting for the revert answers now

    def _detach(self) -> None:
        """No more updates, ticks, drift checks or retry timers for this supervisor."""
        while self._unsubs:
            self._unsubs.pop()()
        if self._retry_unsub is not None:
            self._retry_unsub()
            self._retry_unsub = None
        if self._drift_unsub is not None:
            self._drift_unsub()
            self._drift_unsub = None

    # ---- actions (called by services) ------------------------------------------------------

    def levers(self) -> dict[SettingKey, SettingValue]:
        """The settings that force a grid charge on this transport's family."""
        writable = self.coordinator.capabilities.writable
        family = PI_FAMILY_LEVERS if SettingKey.OUTPUT_PRIORITY in writable else CLOUD_FAMILY_LEVERS
        return {key: value for key, value in family.items() if key in writable}

    async def async_run(
        self, method: Method, *, dry_run: bool, config: RunConfig
    ) -> dict[str, Any]:
        """Pre-flight, plan, and (unless a dry run) start the calibration."""
        state = self.coordinator.data
        now = self._now()
        levers = self.levers() if method is Method.GRID else {}
        failures = preflight(
            state,
            now=now,
            limits=config.limits,
            stale_after_s=self.coordinator.stale_timeout,
            # A failed run stays until its revert is confirmed: the inverters may still hold
            # the calibration settings, which a new plan would save as the ones to restore.
            run_active=self.run is not None,
            required_settings=levers,
        )
        checks = [{"check": f.check.value, **f.placeholders} for f in failures]
        if method is Method.GRID and not levers:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="calibration_unsupported"
            )
        try:
            plan = build_plan(method, state, levers)
        except PlanError as err:
            if not failures:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key=f"plan_{err.reason}",
                    translation_placeholders=err.placeholders,
                ) from err
            plan = []
        response: dict[str, Any] = {
            "run_id": None,
            "dry_run": dry_run,
            "method": method.value,
            "preflight": {"ok": not failures, "failed_checks": checks},
            "plan": plan_response(plan),
        }
        if dry_run:
            return response
        if failures:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="preflight_failed",
                translation_placeholders={
                    "checks": "; ".join(_describe(check) for check in checks)
                },
            )
        run = CalibrationRun.create(
            run_id=uuid.uuid4().hex[:12],
            method=method,
            plan=plan,
            state=state,
            now=now,
            config=config,
        )
        self.run = run
        await self._async_save()  # before the first write: a restart can always revert
        _LOGGER.info("Calibration %s started (%s method)", run.run_id, method.value)
        self._execute(run.start(now))
        response["run_id"] = run.run_id
        return response

    async def async_cancel(self) -> dict[str, Any]:
        """Stop the active run, revert, and report what was restored and confirmed."""
        run = self.run
        if run is None or not run.is_active:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_active_calibration"
            )
        self._revert_done.clear()
        self._execute(run.cancel(self._now()))
        if run.plan:
            await self._revert_done.wait()
        restored = [
            {"setting": item.setting.value, "unit": item.unit, "value": encode_value(item.to_value)}
            for item in run.revert_items
        ]
        return {
            "run_id": run.run_id,
            "outcome": None if run.outcome is None else run.outcome.value,
            "restored": restored,
            "confirmed": run.restored_at is not None or not run.plan,
        }

    # ---- driving the machine ---------------------------------------------------------------

    def _now(self) -> float:
        return dt_util.utcnow().timestamp()

    @callback
    def _on_state(self, state: SystemState, change: Change) -> None:
        """Every coordinator update: judge it at once (breaches abort on this message)."""
        if change.revived and self._drift_unsub is None:
            # New sources: refresh the drift figures soon (otherwise they follow the tick).
            self._drift_unsub = async_call_later(self.hass, DRIFT_SOON_S, self._drift_soon)
        if self._reporting is not None and self.coordinator.is_available(None):
            self._reporting.set()
        run = self.run
        if run is not None and run.is_active:
            self._execute(run.on_update(state, self._now()))

    @callback
    def _on_tick(self, _now: object) -> None:
        """Time limits and silence are noticed even when no message arrives."""
        self._on_state(self.coordinator.data, Change())
        self._watch_drift()

    @callback
    def _drift_soon(self, _now: object) -> None:
        self._drift_unsub = None
        self._watch_drift()

    @callback
    def _watch_drift(self) -> None:
        """Suggest a calibration (repair issue) when counters stay drifted for a day."""
        now = self._now()
        report = analyze(
            self.coordinator.data, now=now, stale_after_s=self.coordinator.stale_timeout
        )
        if report != self.drift:
            self.drift = report
            async_dispatcher_send(self.hass, signal_drift(self.entry_id))
        issue_id = f"drift_{self.entry_id}"
        if report.verdict is DriftVerdict.DRIFT:
            if self.drift_since is None:
                self.drift_since = now
                self._schedule_save()
            if now - self.drift_since >= DRIFT_REPAIR_AFTER_S:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="soc_drift",
                    translation_placeholders={
                        "spread": f"{report.soc_spread:g}" if report.soc_spread else "?",
                        "pack": str(report.outlier) if report.outlier else "?",
                    },
                )
        elif report.verdict is not DriftVerdict.UNKNOWN:
            # Unknown (a pack silent or incomplete) neither starts nor ends the day of drift.
            if self.drift_since is not None:
                self.drift_since = None
                self._schedule_save()
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def _execute(self, actions: list[Action]) -> None:
        run = self.run
        if run is None:
            return
        for action in actions:
            if isinstance(action, EnterPhase):
                _LOGGER.info("Calibration %s: %s", run.run_id, action.phase.value)
                self._fire(run, action.phase.value)
                self._schedule_save()
            elif isinstance(action, ApplyPlan):
                self._spawn(self._async_apply(run, action.items), background=True)
            elif isinstance(action, StartRevert):
                self._start_revert(action.items)
            elif isinstance(action, Finish):
                self._finish(run, action)
        if actions:  # most updates change nothing the calibration entities show
            async_dispatcher_send(self.hass, signal_update(self.entry_id))

    def _spawn(self, coro: Any, *, eager: bool = False, background: bool = False) -> None:
        # Writes wait for read-backs (a revert at startup waits for the first telemetry):
        # as background tasks they never hold up Home Assistant's start-up.
        if background:
            task = self.hass.async_create_background_task(
                coro, f"{DOMAIN} calibration {self.entry_id}", eager_start=eager
            )
        else:
            task = self.hass.async_create_task(coro, eager_start=eager)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_revert(self, items: Sequence[PlanItem]) -> None:
        # Eager: the first revert command is published while the breach is being handled.
        self._spawn(self._async_revert(items), eager=True, background=True)

    async def _async_apply(self, run: CalibrationRun, items: Sequence[PlanItem]) -> None:
        for key, value in _settings_in_order(items):
            try:
                await self.coordinator.async_write_setting(key, value)
            except HomeAssistantError as err:
                _LOGGER.warning("Calibration %s did not engage: %s", run.run_id, err)
                self._execute(run.engage_failed(self._now(), f"{key.value}: {err}"))
                return
            if self.run is not run or run.phase is not Phase.ENGAGING:
                return  # stopped meanwhile (a breach or a cancel): the revert handles it
        self._execute(run.engaged(self._now()))

    async def _async_revert(self, items: Sequence[PlanItem]) -> None:
        run = self.run
        if run is None:
            return
        async with self._revert_lock:
            detail = ""
            for attempt in range(REVERT_ATTEMPTS):
                await self._async_before_attempt(items, attempt)
                errors = await self._async_restore(items, attempt)
                if errors:
                    detail = "; ".join(errors)
                    _LOGGER.warning(
                        "Calibration %s: revert attempt %d not confirmed: %s",
                        run.run_id,
                        attempt + 1,
                        detail,
                    )
                    continue
                restored = {
                    unit: {item.setting: inv.settings.get(item.setting) for item in items}
                    for unit, inv in self.coordinator.data.inverters.items()
                }
                mismatches = restore_mismatches(run.plan, restored)
                if mismatches and attempt < REVERT_ATTEMPTS - 1:
                    # Each write was confirmed, yet a setting reads otherwise now (a read the
                    # bridge answered late, or a change made elsewhere): another attempt
                    # sends what is still needed; only the last attempt's read-back decides.
                    detail = "; ".join(mismatches)
                    _LOGGER.warning(
                        "Calibration %s: after revert attempt %d the read-back differs: %s",
                        run.run_id,
                        attempt + 1,
                        detail,
                    )
                    continue
                was_failed = run.outcome is Outcome.FAILED
                self._execute(run.revert_confirmed(self._now(), restored))
                if run.outcome is Outcome.FAILED and run.restored_at is None:
                    detail = run.revert_detail or "read-back differs"
                    break
                if was_failed:
                    self._clear_revert_issue(run)
                    await self._async_close(run)
                self._revert_done.set()
                return
            self._execute(run.revert_failed(self._now(), detail))
            self._revert_done.set()
            self._schedule_retry(items)

    async def _async_restore(self, items: Sequence[PlanItem], attempt: int) -> list[str]:
        """Write every saved setting back (one revert attempt); what was not confirmed.

        Every setting, even after one failed: each of them ends the grid charge.
        """
        errors: list[str] = []
        for key, value in _settings_in_order(items):
            try:
                await self.coordinator.async_write_setting(
                    key, value, attempt=self._encoding(key, value, attempt), restore=True
                )
            except HomeAssistantError as err:
                errors.append(f"{key.value}: {err}")
        return errors

    def _encoding(self, key: SettingKey, value: SettingValue, attempt: int) -> int:
        """Which encoding a revert attempt sends: each in turn, the primary one included.

        A transport's alternatives are tried after the primary encoding, never instead of it
        on every later attempt (a device that NAKed a command once may take it the next time).
        """
        transport = self.coordinator.transport
        units: list[int | None] = [None, *sorted(self.coordinator.data.inverters)]
        count = max(transport.encodings(key, value, unit) for unit in units)
        return attempt % max(1, count)

    async def _async_before_attempt(self, items: Sequence[PlanItem], attempt: int) -> None:
        """Wait before a revert attempt where needed; as a rule, not at all.

        A breach's revert is published while the breaching message is handled, and a silent
        bridge does not hold a revert back. It waits (bounded) for the inverters to report
        when what they hold is not known yet (at startup nothing has arrived: the revert then
        sends only what is needed), and before a retry while they are silent (only a
        read-back can confirm it); otherwise a retry waits for its back-off.
        """
        state = self.coordinator.data
        known = all(
            state.inverters[item.unit].settings.get(item.setting) is not None
            for item in items
            if item.unit in state.inverters
        )
        if not known or (attempt > 0 and not self.coordinator.is_available(None)):
            await self._async_wait_for_inverters()
        elif attempt > 0:
            await asyncio.sleep(REVERT_BACKOFF_S[min(attempt, len(REVERT_BACKOFF_S)) - 1])

    async def _async_wait_for_inverters(self) -> None:
        """Wait (bounded) until every inverter reports: at startup nothing has arrived yet.

        Returns at once, without yielding, when they already report (a breach's revert is
        published while the breaching message is handled).
        """
        if self.coordinator.is_available(None):
            return
        self._reporting = reporting = asyncio.Event()
        try:
            async with asyncio.timeout(self.coordinator.stale_timeout):
                await reporting.wait()
        except TimeoutError:
            _LOGGER.warning(
                "The inverters sent nothing for %.0f s: trying the revert anyway",
                self.coordinator.stale_timeout,
            )
        finally:
            self._reporting = None

    def _schedule_retry(self, items: Sequence[PlanItem]) -> None:
        if self._retry_unsub is not None:
            self._retry_unsub()

        @callback
        def _retry(_now: object) -> None:
            self._retry_unsub = None
            if self.run is not None and self.run.restored_at is None:
                self._start_revert(items)

        self._retry_unsub = async_call_later(self.hass, REVERT_RETRY_S, _retry)

    def _finish(self, run: CalibrationRun, action: Finish) -> None:
        summary = run.summary()
        _LOGGER.info(
            "Calibration %s ended: %s (%s)",
            run.run_id,
            action.outcome.value,
            None if action.reason is None else action.reason.value,
        )
        if action.outcome is Outcome.FAILED:
            self._fire(run, "revert_failed")
            self._raise_revert_issue(run.revert_detail or run.detail)
            persistent_notification.async_create(
                self.hass,
                (
                    "The EG4 calibration could not confirm that the everyday settings were "
                    f"restored ({run.revert_detail or 'no read-back'}). Check the inverters' "
                    "output and charger priority now. Home Assistant keeps retrying."
                ),
                title="EG4 calibration: settings not restored",
                notification_id=f"{DOMAIN}_revert_{self.entry_id}",
            )
            self.last = summary
            self._schedule_save()
            return
        self.last = summary
        self.run = None
        self._schedule_save()

    async def _async_close(self, run: CalibrationRun) -> None:
        """A failed run whose revert finally went through: record it and forget it."""
        self.last = run.summary()
        if self.run is run:
            self.run = None
        async_dispatcher_send(self.hass, signal_update(self.entry_id))
        await self._async_save()

    def _raise_revert_issue(self, detail: str, *, persistent: bool = True) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"revert_failed_{self.entry_id}",
            is_fixable=False,
            is_persistent=persistent,
            severity=ir.IssueSeverity.CRITICAL,
            translation_key="revert_failed",
            translation_placeholders={"detail": detail or "no read-back"},
        )

    def _clear_revert_issue(self, run: CalibrationRun) -> None:
        ir.async_delete_issue(self.hass, DOMAIN, f"revert_failed_{self.entry_id}")
        persistent_notification.async_dismiss(self.hass, f"{DOMAIN}_revert_{self.entry_id}")
        self._fire(run, "revert_confirmed")

    def _fire(self, run: CalibrationRun, phase: str) -> None:
        self.hass.bus.async_fire(
            EVENT_CALIBRATION,
            {
                "config_entry_id": self.entry_id,
                "run_id": run.run_id,
                "phase": phase,
                "method": run.method.value,
                "reason": None if run.reason is None else run.reason.value,
                "detail": run.detail,
            },
        )

    # ---- storage and shutdown --------------------------------------------------------------

    def _data(self) -> dict[str, Any]:
        return {
            "run": None if self.run is None else self.run.to_dict(),
            "last": self.last,
            "drift_since": self.drift_since,
        }

    async def _async_save(self) -> None:
        await self._store.async_save(self._data())

    def _schedule_save(self) -> None:
        self._spawn(self._async_save())

    async def _on_stop(self, _event: Event) -> None:
        """Home Assistant is stopping: try to restore the settings before it goes.

        The run stays stored as it is, so the next start reverts again (idempotent) and
        records the run as interrupted. From here on the supervisor watches nothing: a tick
        or an update in the last seconds of the process (telemetry already going stale, the
        web session closing) must not rewrite that record as a breach.
        """
        self._stop_unsub = None  # fired: a once-listener removes itself
        self._detach()
        run = self.run
        if run is None or not run.awaits_revert or not run.plan:
            return
        _LOGGER.warning("Home Assistant is stopping during calibration %s: reverting", run.run_id)
        try:
            async with asyncio.timeout(SHUTDOWN_REVERT_S):
                errors = await self._async_restore(run.revert_items, 0)
        except TimeoutError:
            errors = [f"no read-back within {SHUTDOWN_REVERT_S:.0f} s"]
        if errors:
            _LOGGER.error(
                "Revert at shutdown not confirmed (%s): it runs again at startup",
                "; ".join(errors),
            )
        await self._async_save()


async def async_remove_record(hass: HomeAssistant, entry_id: str, title: str) -> None:
    """The entry is being deleted: drop its stored record and its repair issues.

    A run whose settings were never confirmed restored cannot be reverted any more (the entry
    and its transport are gone): a persistent notification lists what to put back by hand.
    """
    store = _record_store(hass, entry_id)
    stored = await store.async_load() or {}
    raw = stored.get("run")
    if raw is not None:
        try:
            run: CalibrationRun | None = CalibrationRun.from_dict(raw)
        except RunDataError:
            run = None
        # (a stored run is one not yet closed; the solar method changed nothing)
        if run is None or run.plan:
            settings = "the output and charger priority you use every day"
            if run is not None:
                per_unit: dict[int, list[str]] = {}
                for item in run.revert_items:
                    per_unit.setdefault(item.unit, []).append(
                        f"{item.setting.value} = {setting_text(item.to_value)}"
                    )
                settings = "; ".join(
                    f"inverter {unit}: {', '.join(values)}"
                    for unit, values in sorted(per_unit.items())
                )
            persistent_notification.async_create(
                hass,
                (
                    f"{title} was removed while a calibration's everyday settings were not "
                    f"confirmed restored. Check the inverters and set them back: {settings}."
                ),
                title="EG4 calibration: check the inverter settings",
                notification_id=f"{DOMAIN}_removed_{entry_id}",
            )
    await store.async_remove()
    for issue_id in (f"revert_failed_{entry_id}", f"drift_{entry_id}"):
        ir.async_delete_issue(hass, DOMAIN, issue_id)


def _describe(check: dict[str, str]) -> str:
    details = ", ".join(f"{k}: {v}" for k, v in check.items() if k != "check")
    return f"{check['check']} ({details})" if details else check["check"]


def limits_from(cell_voltage_limit: float | None, temperature_limit: float | None) -> Limits:
    """Default limits, made stricter where the caller asks (never looser)."""
    kwargs: dict[str, float] = {}
    if cell_voltage_limit is not None:
        kwargs["cell_voltage_max"] = float(cell_voltage_limit)
    if temperature_limit is not None:
        kwargs["temperature_max"] = float(temperature_limit)
        # A stricter abort limit also narrows the pre-flight window: never start a charge that
        # the monitor would abort on its first update.
        kwargs["charge_temperature_max"] = min(
            Limits().charge_temperature_max, float(temperature_limit)
        )
    return Limits(**kwargs)


type SupervisorGetter = Callable[[str], CalibrationSupervisor]
