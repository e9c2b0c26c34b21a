"""What the supervisor's rooms ask of the supervisor they work for.

``engage``, ``revert``, ``plan_check``, ``release`` and ``charge_to`` act for
``core.CalibrationSupervisor``, which imports them; they name this protocol rather than the
class, so no two rooms import each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import HomeAssistant

from ..calibration import Action, CalibrationRun

if TYPE_CHECKING:
    from ..coordinator import Eg4Coordinator
    from .notify import Notifier


class LateLeversOn(Protocol):
    """The late-lever watch (``late_watch.LateWatch``), as a new run's pre-flight asks it."""

    def stuck(self) -> list[str]:
        """Levers of an earlier run still on, not confirmed put back (``inverter 1 …``)."""


class RunHost(Protocol):
    """One entry's supervisor, as its rooms see it."""

    hass: HomeAssistant
    entry_id: str
    coordinator: Eg4Coordinator
    run: CalibrationRun | None  # the active run, if any
    notifier: Notifier
    revert_done: asyncio.Event  # set when a revert has ended, however it ended

    @property
    def late(self) -> LateLeversOn:
        """The late-lever watch: a lever of its still on refuses a new run."""

    @property
    def released(self) -> bool:
        """Stopping or unloading: no lever leaves any more."""

    def now(self) -> float:
        """The run clock."""

    def execute(self, actions: list[Action]) -> None:
        """Carry out what the run's machine decided."""

    def spawn(
        self, coro: Coroutine[Any, Any, None], *, eager: bool = False, background: bool = False
    ) -> None:
        """Run ``coro`` as a task of the supervisor's (cancelled when the entry unloads)."""

    def settings_back(self) -> None:
        """Something was put back: the critical issue goes if nothing is left to put back."""

    async def async_save(self) -> None:
        """Store the run and the results as they are now."""

    async def async_begin(self, run: CalibrationRun) -> None:
        """Start a planned run: stored (verified) before its first write, then its levers."""

    async def async_reverted(
        self, run: CalibrationRun, *, was_failed: bool, watch: bool = True
    ) -> None:
        """The revert was confirmed by read-back."""
