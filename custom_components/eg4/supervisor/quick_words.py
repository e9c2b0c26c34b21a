"""How a quick charge or a forced discharge ended, told in its own words.

A quick run whose settings were confirmed back leaves its own notification and fires
``eg4_quick_ended``; one whose settings could not be confirmed back goes the calibration's
way (the critical repair issue and its notification), which is about the settings, whatever
run changed them.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback

from ..calibration import CalibrationRun
from ..calibration.ending import format_duration, format_figure
from ..const import DOMAIN
from .endings import entry_title
from .words import Words

EVENT_QUICK_ENDED = "eg4_quick_ended"


def quick_notification_id(entry_id: str) -> str:
    """The notification that tells how the last quick run ended."""
    return f"{DOMAIN}_quick_{entry_id}"


@callback
def quick_ended(
    hass: HomeAssistant, words: Words, entry_id: str, run: CalibrationRun, data: dict[str, Any]
) -> None:
    """The owner is told how the quick run ended; ``eg4_quick_ended`` fires."""
    record = run.summary()
    action = str(record.get("action") or "quick_charge")
    socs = [v for v in run.soc_after.values() if v is not None]
    soc = float(median(socs)) if socs else None
    detail = str(data.get("detail") or "")
    minutes = record.get("duration_min")
    heading = words.message(
        translation_domain=DOMAIN,
        translation_key=f"{action}_ended_title",
        translation_placeholders={"title": entry_title(hass, entry_id)},
    )
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"quick_ended_{data['ending']}",
        translation_placeholders={
            "action": words.message(translation_domain=DOMAIN, translation_key=f"{action}_name"),
            "duration": format_duration(
                float(minutes) * 60 if isinstance(minutes, int | float) else None
            ),
            "soc": "?" if soc is None else format_figure(soc, 0),
            "reason": words.reason(data.get("reason")),
            "detail": f" ({detail})" if detail else "",
        },
    )
    persistent_notification.async_create(
        hass, message, title=heading, notification_id=quick_notification_id(entry_id)
    )
    hass.bus.async_fire(
        EVENT_QUICK_ENDED,
        {
            **data,
            "action": action,
            "duration_min": minutes,
            "soc_pct": soc,
            "title": heading,
            "message": message,
        },
    )
