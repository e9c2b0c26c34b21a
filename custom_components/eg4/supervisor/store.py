"""Where an entry's calibration record is kept, and saves that say when they failed.

Home Assistant's ``Store.async_save`` logs a write error and returns: a run must never start
on such a save (a restart could not revert it), so the record store remembers the error of
its last write and ``async_save_verified`` raises it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..calibration import CalibrationRun, RunDataError
from ..const import DOMAIN

STORAGE_VERSION = 1


class RecordNotSavedError(HomeAssistantError):
    """The calibration record could not be written."""


class RecordStore(Store[dict[str, Any]]):
    """One entry's calibration record: active run, last results, drift start."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The record of ``entry_id``."""
        super().__init__(hass, STORAGE_VERSION, f"{DOMAIN}.calibration.{entry_id}")
        self._write_error: Exception | None = None

    async def _async_write_data(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super()._async_write_data(*args, **kwargs)
        except Exception as err:
            self._write_error = err
            raise
        self._write_error = None

    async def async_save_verified(self, data: dict[str, Any]) -> None:
        """Save and raise RecordNotSavedError when the write did not reach the disk."""
        self._write_error = None
        await self.async_save(data)
        if self._write_error is not None:
            raise RecordNotSavedError(
                translation_domain=DOMAIN,
                translation_key="record_not_saved",
                translation_placeholders={"error": str(self._write_error)},
            ) from self._write_error


def stored_results(stored: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The stored records of the last run that ended and of the last that succeeded.

    A record stored before the last success was kept apart has only the last run: when that
    one succeeded it is also the last success.
    """
    last = stored.get("last") if isinstance(stored.get("last"), dict) else None
    success = stored.get("last_success")
    if isinstance(success, dict):
        return last, success
    return last, last if last is not None and last.get("outcome") == "succeeded" else None


async def async_load_unreverted(hass: HomeAssistant, entry_id: str) -> CalibrationRun | None:
    """The stored run of ``entry_id`` whose settings are not confirmed back, if any."""
    stored = await RecordStore(hass, entry_id).async_load() or {}
    raw = stored.get("run")
    if raw is None:
        return None
    try:
        run = CalibrationRun.from_dict(raw)
    except RunDataError:
        return None
    return run if run.awaits_revert and run.plan else None
