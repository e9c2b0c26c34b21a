"""Putting the everyday settings back: attempts and retries.

A revert sends every saved value to every unit the run touched, whatever the cached
read-back says, and only a read-back received after its command confirms it. Every setting
is tried even after another failed (each of them ends the grid charge), and nothing that
goes wrong — a refusal, a silent bridge, an exception in a transport — ends a revert
silently: it is confirmed, or the run is recorded failed, the owner is told loudly, and Home
Assistant tries again every few minutes. (A lever the inverters apply after its run ended is
``late_watch``'s: it undoes it with these attempts.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later

from ..calibration import CalibrationRun, Outcome, PlanItem, restore_mismatches
from ..model import SettingKey, SettingValue, SystemState, setting_text
from .host import RunHost

_LOGGER = logging.getLogger(__name__)

REVERT_ATTEMPTS = 3
REVERT_BACKOFF_S = (5.0, 15.0)
SHUTDOWN_REVERT_S = 25.0  # an unload's or a stop's revert waits this long for read-backs
REVERT_RETRY_S = 300.0  # while a revert stays unconfirmed, try again this often


@dataclass(frozen=True, slots=True)
class SettingGroup:
    """One command: a setting, the value to send, and the units it is for."""

    setting: SettingKey
    value: SettingValue
    units: tuple[int, ...]


def setting_groups(items: Sequence[PlanItem]) -> list[SettingGroup]:
    """Plan or revert items as commands, in their order, one per setting and value."""
    groups: dict[tuple[SettingKey, str], tuple[SettingKey, SettingValue, list[int]]] = {}
    for item in items:
        key = (item.setting, setting_text(item.to_value))
        groups.setdefault(key, (item.setting, item.to_value, []))[2].append(item.unit)
    return [SettingGroup(s, v, tuple(sorted(u))) for s, v, u in groups.values()]


def read_back(
    state: SystemState, items: Sequence[PlanItem]
) -> dict[int, dict[SettingKey, SettingValue | None]]:
    """What each unit reads back now for the settings of ``items``."""
    return {
        unit: {item.setting: inv.settings.get(item.setting) for item in items}
        for unit, inv in state.inverters.items()
    }


class Reverter:
    """Runs the reverts of one supervisor (at most one at a time)."""

    def __init__(self, supervisor: RunHost) -> None:
        """Bind to the supervisor whose run is reverted."""
        self._sup = supervisor
        self._lock = asyncio.Lock()
        self._retry: CALLBACK_TYPE | None = None
        self._reporting: asyncio.Event | None = None

    # ---- one attempt ---------------------------------------------------------------------

    async def async_restore(self, items: Sequence[PlanItem], attempt: int) -> list[str]:
        """Send every saved setting back (one attempt); what was not confirmed, per setting."""
        writer = self._sup.coordinator.writer
        errors: list[str] = []
        for group in setting_groups(items):
            encoding = attempt % max(1, writer.encodings(group.setting, group.value))
            try:
                await writer.async_restore(
                    group.setting, group.value, group.units, attempt=encoding
                )
            except HomeAssistantError as err:
                errors.append(f"{group.setting.value}: {err}")
            except Exception as err:  # a revert must survive whatever a transport raises
                _LOGGER.exception("Restoring %s failed unexpectedly", group.setting.value)
                errors.append(f"{group.setting.value}: {type(err).__name__}: {err}")
        return errors

    async def async_bounded_restore(self, run: CalibrationRun) -> list[str]:
        """One attempt within ``SHUTDOWN_REVERT_S`` (unload, stop); what was not confirmed."""
        try:
            async with asyncio.timeout(SHUTDOWN_REVERT_S):
                return await self.async_restore(run.revert_items, 0)
        except TimeoutError:
            return [f"no read-back within {SHUTDOWN_REVERT_S:.0f} s"]

    # ---- a whole revert ------------------------------------------------------------------

    def start(self, items: Sequence[PlanItem]) -> None:
        """Revert now; eager, so the first command leaves while the caller still runs."""
        self._sup.spawn(self._async_revert(items), eager=True, background=True)

    async def _async_revert(self, items: Sequence[PlanItem]) -> None:
        sup = self._sup
        run = sup.run
        if run is None:
            return
        try:
            async with self._lock:
                await self._async_attempts(run, items)
        except Exception as err:  # nothing may end a revert silently
            _LOGGER.exception("Calibration %s: the revert failed unexpectedly", run.run_id)
            sup.execute(run.revert_failed(sup.now(), f"{type(err).__name__}: {err}"))
            self.schedule_retry(items)
        finally:
            sup.revert_done.set()

    async def _async_attempts(self, run: CalibrationRun, items: Sequence[PlanItem]) -> None:
        sup = self._sup
        detail = ""
        for attempt in range(REVERT_ATTEMPTS):
            await self.async_before_attempt(attempt)
            errors = await self.async_restore(items, attempt)
            if errors:
                detail = "; ".join(errors)
                _LOGGER.warning(
                    "Calibration %s: revert attempt %d not confirmed: %s",
                    run.run_id,
                    attempt + 1,
                    detail,
                )
                continue
            restored = read_back(sup.coordinator.data, items)
            mismatches = restore_mismatches(run.restorable, restored)
            if mismatches and attempt < REVERT_ATTEMPTS - 1:
                detail = "; ".join(mismatches)  # a later message showed another value
                continue
            was_failed = run.outcome is Outcome.FAILED
            sup.execute(run.revert_confirmed(sup.now(), restored))
            if run.outcome is Outcome.FAILED and run.restored_at is None:
                break  # the read-back differs: the run failed, and says why (revert_detail)
            await sup.async_reverted(run, was_failed=was_failed)
            return
        sup.execute(run.revert_failed(sup.now(), detail))
        self.schedule_retry(items)

    async def async_before_attempt(self, attempt: int) -> None:
        """A retry waits for its back-off, or (bounded) for a silent bridge to report."""
        if attempt == 0:
            return  # never hold the first command back: it ends the grid charge
        if not self._sup.coordinator.is_available(None):
            await self.async_wait_for_inverters()
        else:
            await asyncio.sleep(REVERT_BACKOFF_S[min(attempt, len(REVERT_BACKOFF_S)) - 1])

    async def async_wait_for_inverters(self) -> None:
        """Wait (bounded by the stale timeout) until every inverter reports."""
        coordinator = self._sup.coordinator
        if coordinator.is_available(None):
            return
        self._reporting = reporting = asyncio.Event()
        try:
            async with asyncio.timeout(coordinator.stale_timeout):
                await reporting.wait()
        except TimeoutError:
            _LOGGER.warning(
                "The inverters sent nothing for %.0f s: trying the revert anyway",
                coordinator.stale_timeout,
            )
        finally:
            self._reporting = None

    @callback
    def on_state(self) -> None:
        """Every update: a silent bridge may be back."""
        if self._reporting is not None and self._sup.coordinator.is_available(None):
            self._reporting.set()

    # ---- retries -------------------------------------------------------------------------

    def schedule_retry(self, items: Sequence[PlanItem]) -> None:
        """Try again in a few minutes while the run's settings are not confirmed back."""
        self.cancel_retry()

        @callback
        def _retry(_now: object) -> None:
            self._retry = None
            run = self._sup.run
            if run is not None and run.restored_at is None:
                self.start(items)

        self._retry = async_call_later(self._sup.hass, REVERT_RETRY_S, _retry)

    @callback
    def cancel_retry(self) -> None:
        """No more retries (unload, stop)."""
        if self._retry is not None:
            self._retry()
            self._retry = None
