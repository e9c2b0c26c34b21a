"""An entry is deleted: its record goes, and what was never restored is written down."""

from __future__ import annotations

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..calibration import CalibrationRun, RunDataError
from ..const import DOMAIN
from ..model import setting_text
from .store import RecordStore


async def async_remove_record(hass: HomeAssistant, entry_id: str, title: str) -> None:
    """The entry is being deleted: drop its stored record and its repair issues.

    A run whose settings were never confirmed restored cannot be reverted any more (the entry
    and its transport are gone): a persistent notification lists what to put back by hand.
    """
    store = RecordStore(hass, entry_id)
    stored = await store.async_load() or {}
    raw = stored.get("run")
    if raw is not None:
        try:
            run: CalibrationRun | None = CalibrationRun.from_dict(raw)
        except RunDataError:
            run = None
        # (a stored run is one not yet closed; the solar method changed nothing)
        if run is None or run.plan:
            settings = "the output and charger priority you use every day"
            if run is not None:
                per_unit: dict[int, list[str]] = {}
                for item in run.revert_items:
                    per_unit.setdefault(item.unit, []).append(
                        f"{item.setting.value} = {setting_text(item.to_value)}"
                    )
                settings = "; ".join(
                    f"inverter {unit}: {', '.join(values)}"
                    for unit, values in sorted(per_unit.items())
                )
            persistent_notification.async_create(
                hass,
                (
                    f"{title} was removed while a calibration's everyday settings were not "
                    f"confirmed restored. Check the inverters and set them back: {settings}."
                ),
                title="EG4 calibration: check the inverter settings",
                notification_id=f"{DOMAIN}_removed_{entry_id}",
            )
    await store.async_remove()
    for issue_id in (f"revert_failed_{entry_id}", f"drift_{entry_id}"):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
