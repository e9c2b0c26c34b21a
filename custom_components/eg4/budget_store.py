"""The write budget and the day's write counts, kept in Home Assistant's storage.

Loaded before the entry can write anything, saved a few seconds after each counted write
(Home Assistant writes a pending save when it stops) and at once when the entry unloads, so
a reload (an option changed) or a restart neither hands a flapping automation a fresh hour
nor zeroes the ``writes_today`` sensor. Deleted with the entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .writes import Writer

STORAGE_VERSION = 1
SAVE_DELAY_S = 10  # a burst of writes is one save; a power cut loses at most this


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.writes.{entry_id}")


class BudgetStore:
    """One entry's write budget on disk."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, writer: Writer, now: Callable[[], float]
    ) -> None:
        """Keep the budget of ``writer``, whose times are read from ``now``, for ``entry_id``."""
        self._store = _store(hass, entry_id)
        self._writer = writer
        self._now = now
        self._unsub: CALLBACK_TYPE | None = None

    def _data(self) -> dict[str, Any]:
        return self._writer.budget.to_dict(now=self._now(), wall=time.time())

    async def async_load(self) -> None:
        """Take over what the last set-up saved, then save after every counted write."""
        saved = await self._store.async_load()
        self._writer.budget.restore(saved, now=self._now(), wall=time.time())
        self._unsub = self._writer.add_count_listener(self._counted)

    @callback
    def _counted(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY_S)

    async def async_unload(self) -> None:
        """The entry unloads: save now (the next set-up loads it at once)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._store.async_save(self._data())


async def async_remove_budget(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is deleted: its counts go with it."""
    await _store(hass, entry_id).async_remove()
