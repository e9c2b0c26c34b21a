"""Putting the settings back when the entry unloads or Home Assistant stops (bounded).

The supervisor stops watching first (``CalibrationSupervisor.async_release`` and its stop
handler); these then give the revert ``SHUTDOWN_REVERT_S`` for its read-backs, for a run of
either kind (a calibration, a charge to a target).
"""

from __future__ import annotations

import logging

from ..calibration import Outcome, StartRevert
from .host import RunHost
from .revert import Reverter, read_back

_LOGGER = logging.getLogger(__name__)


async def async_put_back(sup: RunHost, reverter: Reverter, reason: str) -> None:
    """The entry unloads: revert within the bound, and close the run if confirmed.

    Confirmed, the run is closed as interrupted; not confirmed, it stays on record for the
    next start, and the critical repair issue and a notification say so now.
    """
    run = sup.run
    if run is None or not run.awaits_revert:
        return
    if not run.plan:  # the solar method changed nothing: only the record is closed
        sup.execute(run.recover(sup.now()))
        await sup.async_save()
        return
    phase = run.phase.value
    errors = await reverter.async_bounded_restore(run)
    if errors and run.restored_at is None:  # (a revert in flight may have confirmed it)
        detail = f"{reason} during {phase}: {'; '.join(errors)}"
        _LOGGER.error("Run %s: settings not confirmed restored (%s)", run.run_id, detail)
        sup.notifier.settings_not_restored(detail)
        await sup.async_save()
        return
    restored = read_back(sup.coordinator.data, run.revert_items)
    actions = run.recover(sup.now(), detail=f"{reason} during {phase}")
    sup.execute([a for a in actions if not isinstance(a, StartRevert)])
    was_failed = run.outcome is Outcome.FAILED
    sup.execute(run.revert_confirmed(sup.now(), restored))
    await sup.async_reverted(run, was_failed=was_failed)


async def async_put_back_at_stop(sup: RunHost, reverter: Reverter) -> None:
    """Home Assistant stops: revert within the bound; the run stays stored as it is.

    The next start reverts again and records it interrupted. Nothing is watched any more,
    so nothing rewrites that record.
    """
    run = sup.run
    if run is None or not run.awaits_revert or not run.plan:
        return
    _LOGGER.warning("Home Assistant is stopping during run %s: reverting", run.run_id)
    errors = await reverter.async_bounded_restore(run)
    if errors:
        _LOGGER.error(
            "Revert at shutdown not confirmed (%s): it runs again at startup", "; ".join(errors)
        )
    await sup.async_save()
