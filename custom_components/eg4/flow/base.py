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
    def _async_apply(self, entry: Eg4ConfigEntry, **changes: Any) -> None:
        """Store new entry data and make sure the entry is set up again with it.

        A loaded entry's update listener reloads it on any change; an entry that failed to
        set up (no listener yet) or an unchanged entry is reloaded here.
        """
        changed = self.hass.config_entries.async_update_entry(entry, **changes)
        if not changed or entry.state is not ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
