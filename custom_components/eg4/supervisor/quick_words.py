"""How a quick charge or a forced discharge ended, told in its own words.

A quick run whose settings were confirmed back leaves its own notification and fires
``eg4_quick_ended``; one whose settings could not be confirmed back goes the calibration's
way (the critical repair issue and its notification), which is about the settings, whatever
run changed them.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback

from ..calibration import CalibrationRun
from ..calibration.ending import format_duration
from ..const import DOMAIN
from .endings import (
    ending_notification_id,
    entry_title,
    soc_after,
    stop_placeholders,
    tell_ending,
)
from .words import Words

EVENT_QUICK_ENDED = "eg4_quick_ended"


@callback
def quick_ended(
    hass: HomeAssistant, words: Words, entry_id: str, run: CalibrationRun, data: dict[str, Any]
) -> None:
    """The owner is told how the quick run ended; ``eg4_quick_ended`` fires."""
    record = run.summary()
    action = str(record.get("action") or "quick_charge")
    soc = soc_after(run)
    minutes = record.get("duration_min")
    heading = words.titled(f"{action}_ended_title", entry_title(hass, entry_id))
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"quick_ended_{data['ending']}",
        translation_placeholders={
            "action": words.message(translation_domain=DOMAIN, translation_key=f"{action}_name"),
            "duration": format_duration(
                float(minutes) * 60 if isinstance(minutes, int | float) else None
            ),
            **stop_placeholders(words, soc, data),
        },
    )
    tell_ending(
        hass,
        event=EVENT_QUICK_ENDED,
        notification_id=ending_notification_id(entry_id, run.kind),
        heading=heading,
        message=message,
        data={**data, "action": action, "duration_min": minutes, "soc_pct": soc},
    )
