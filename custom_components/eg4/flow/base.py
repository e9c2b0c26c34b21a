"""What the config flow's steps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback

if TYPE_CHECKING:
    from ..runtime import Eg4ConfigEntry


# Why a flow that would reload the entry refuses while a calibration runs.
ABORT_CALIBRATION_RUNNING = "calibration_running"


def calibration_running(entry: Eg4ConfigEntry) -> bool:
    """Whether a calibration is active on the entry, so a reload would end it.

    A reload (what a change of the entry's data or options brings) reverts a running
    calibration's settings: the owner did not ask for that, so the options and reconfigure
    flows refuse until the run ends or is cancelled. An entry that is not loaded runs nothing.
    """
    if entry.state is not ConfigEntryState.LOADED:
        return False
    run = entry.runtime_data.supervisor.run
    return run is not None and run.is_active


def calibration_running_placeholders(entry: Eg4ConfigEntry) -> dict[str, str]:
    """What the ``calibration_running`` refusal names."""
    return {"name": entry.title}


class FlowBase(ConfigFlow):
    """Changes to existing entries (reconfigure, reauth)."""

    def _refuse_during_calibration(self, entry: Eg4ConfigEntry) -> ConfigFlowResult | None:
        """The refusal to change an entry while a calibration runs on it; None when none runs.

        Asked when a reconfigure opens (no form filled for nothing) and again before it
        applies (a run may have started while the form was open).
        """
        if not calibration_running(entry):
            return None
        return self.async_abort(
            reason=ABORT_CALIBRATION_RUNNING,
            description_placeholders=calibration_running_placeholders(entry),
        )

    def _unique_id_taken(self, entry: Eg4ConfigEntry, unique_id: str) -> bool:
        """Whether another entry already has this unique id."""
        return any(
            other.entry_id != entry.entry_id and other.unique_id == unique_id
            for other in self._async_current_entries(include_ignore=False)
        )

    @callback
    def _async_apply(
        self, entry: Eg4ConfigEntry, *, reload_unchanged: bool = False, **changes: Any
    ) -> None:
        """Store new entry data and make sure the entry runs with it.

        A loaded entry's update listener reloads it when its data or options changed (and
        only then: a reload ends a running calibration); an entry that is not loaded (set-up
        failed or waiting to retry, so no listener yet) is set up again here. With
        ``reload_unchanged`` (reauth: the entry stopped on the refused login) a loaded entry
        whose data did not change is reloaded here too.
        """
        changed = self.hass.config_entries.async_update_entry(entry, **changes)
        if entry.state is not ConfigEntryState.LOADED or (reload_unchanged and not changed):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
