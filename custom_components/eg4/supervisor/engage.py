"""The engage: the levers written in order, each only while the run still wants it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..calibration import CalibrationRun, Phase, PlanItem
from ..writes import WritePreemptedError
from .host import RunHost
from .revert import setting_groups

_LOGGER = logging.getLogger(__name__)


async def async_engage(sup: RunHost, run: CalibrationRun, items: Sequence[PlanItem]) -> None:
    """Write the levers in plan order (the one that starts the charge last).

    The writer asks ``wanted`` right before every command, so a breach, a cancel or a stop
    that happens while a lever waits for its read-back sends no further lever; the task is
    also cancelled by whoever stops the run.
    """

    def wanted() -> bool:
        return not sup.released and sup.run is run and run.phase is Phase.ENGAGING

    for group in setting_groups(items):
        try:
            await sup.coordinator.async_write_setting(
                group.setting, group.value, owner=run.run_id, guard=wanted
            )
        except WritePreemptedError:
            return
        except Exception as err:  # noqa: BLE001 - refused, unconfirmed, or a transport error
            if wanted():
                _LOGGER.warning("Calibration %s did not engage: %s", run.run_id, err)
                sup.execute(run.engage_failed(sup.now(), f"{group.setting.value}: {err}"))
            return
        if not wanted():
            return  # stopped meanwhile (a breach or a cancel): the revert handles it
    sup.execute(run.engaged(sup.now()))
