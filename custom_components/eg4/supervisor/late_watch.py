"""The late-lever watch at run time: a lever that lands after its run ended is put back.

A lever the inverters apply late (a command they took after its confirmation had timed out)
lands after the run put the everyday value back. For a while after each run its levers are
watched (``late_levers`` keeps which), and one that shows up is undone at once with the
revert's attempts. One the inverters refuse to take back is *stuck*: the critical issue
stands, the undo is tried again at the revert's rhythm (every ``REVERT_RETRY_S``), also after
the watch ran out and after a restart, and no new supervised run starts on top of it (it
would save the lever as the everyday setting).
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_call_later

from ..calibration import CalibrationRun, PlanItem
from ..model import SettingKey, SystemState
from .host import RunHost
from .late_levers import LateLevers
from .revert import REVERT_ATTEMPTS, REVERT_RETRY_S, Reverter

_LOGGER = logging.getLogger(__name__)

LATE_WATCH_S = 900.0  # after a run, how long a late-applied lever is watched for


class LateWatch:
    """One supervisor's late-lever watch: undoes what lands, keeps at what is stuck."""

    def __init__(self, supervisor: RunHost, reverter: Reverter) -> None:
        """Bind to the supervisor whose runs are watched, and the reverter that undoes."""
        self._sup = supervisor
        self._reverter = reverter
        self._levers = LateLevers()
        self._busy = False  # an undo is under way
        self._wait: CALLBACK_TYPE | None = None  # a refused undo's next round

    @property
    def undoing(self) -> bool:
        """An undo is under way, or a refused one waits for its next round."""
        return self._busy or self._wait is not None

    def stuck(self) -> list[str]:
        """The levers on the units that are not confirmed undone (a new run is refused)."""
        return self._levers.stuck_names()

    @callback
    def watch(self, run: CalibrationRun) -> None:
        """After ``run``: undo a lever that the inverters apply late, for a while.

        (A lever the owner changed meanwhile is theirs: it is not among ``run.restorable``.)
        """
        watch_s = max(LATE_WATCH_S, 5 * self._sup.coordinator.confirm_timeout)
        self._levers.add(run.restorable, self._sup.now(), watch_s)
        self._tell_writer()

    def export(self) -> dict[str, Any] | None:
        """The watch as stored data (a reload resumes it)."""
        return self._levers.export()

    def resume(self, raw: object) -> None:
        """Resume a stored watch: what has not run out, and what is stuck."""
        self._levers = LateLevers.resume(raw, self._sup.now())
        self._tell_writer()

    @callback
    def forget(self, key: SettingKey) -> None:
        """The owner set ``key`` through eg4: it is theirs now, not a late lever."""
        stuck = len(self._levers.stuck)
        self._levers.forget(key)
        self._tell_writer()
        if len(self._levers.stuck) < stuck:
            self._settled()

    @callback
    def cancel(self) -> None:
        """No more rounds (unload, stop): a stuck lever is stored, the next start resumes."""
        if self._wait is not None:
            self._wait()
            self._wait = None

    def _tell_writer(self) -> None:
        """Have the transport read the watched settings on every poll while the watch lasts.

        The cloud reads the other settings hourly: a late lever would land unseen.
        """
        self._sup.coordinator.writer.watch_late(self._levers.settings())

    @callback
    def on_state(self, state: SystemState) -> None:
        """Every update: a watched lever landed (undo it); a stuck one went (it is off)."""
        if not self._levers:
            return
        if self._levers.expire(self._sup.now()):
            self._tell_writer()
        run = self._sup.run  # a run under way holds its own levers: they are not late ones
        held = () if run is None else [item.setting for item in run.plan]
        if not self._busy and self._levers.unstick_gone(state, held):
            self._settled()
        late = self._levers.landed(state, held)
        if late and self._levers.stick(late):  # stored now: a restart still knows it
            self._sup.spawn(self._sup.async_save())
        if late and not self.undoing:
            self._busy = True
            self._sup.spawn(self._async_undo(late), eager=True, background=True)

    async def _async_undo(self, items: list[PlanItem]) -> None:
        sup = self._sup
        text = ", ".join(f"inverter {i.unit} {i.setting.value}" for i in items)
        _LOGGER.warning("A calibration lever was applied late (%s): putting it back", text)
        try:
            errors: list[str] = []
            for attempt in range(REVERT_ATTEMPTS):
                await self._reverter.async_before_attempt(attempt)
                errors = await self._reverter.async_restore(items, attempt)
                if not errors:
                    break
        finally:
            self._busy = False
        if errors:
            sup.notifier.settings_not_restored(f"late lever: {'; '.join(errors)}")
            if not sup.released:  # (unloading: the next start resumes the stored watch)
                self._wait = async_call_later(sup.hass, REVERT_RETRY_S, self._next_round)
        else:
            self._levers.unstick(items)
            self._settled()

    @callback
    def _next_round(self, _now: object) -> None:
        self._wait = None
        self.on_state(self._sup.coordinator.data)

    @callback
    def _settled(self) -> None:
        """A stuck lever is off: stored so. None left: the alarm may go (``settings_back``)."""
        if not self._levers.stuck:
            self.cancel()
            self._sup.settings_back()
        self._sup.spawn(self._sup.async_save())
