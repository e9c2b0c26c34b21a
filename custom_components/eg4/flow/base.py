"""What the config flow's steps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlow
from homeassistant.core import callback

if TYPE_CHECKING:
    from ..runtime import Eg4ConfigEntry


class FlowBase(ConfigFlow):
    """Changes to existing entries (reconfigure, reauth)."""

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
