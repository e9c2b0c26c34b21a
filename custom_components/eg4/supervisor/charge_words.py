"""How a charge to a target ended, told in its own words (not the calibration's).

A charge that ended with its settings confirmed back leaves its own notification and fires
``eg4_charge_to_ended``; one whose settings could not be confirmed back goes the
calibration's way (the critical repair issue and its notification), which is about the
settings, whatever run changed them.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback

from ..calibration import CalibrationRun
from ..calibration.ending import format_figure
from ..const import DOMAIN
from .endings import (
    ending_notification_id,
    entry_title,
    lever_placeholders,
    soc_after,
    stop_placeholders,
    tell_ending,
)
from .words import Words

EVENT_CHARGE_TO_ENDED = "eg4_charge_to_ended"


@callback
def charge_ended(
    hass: HomeAssistant, words: Words, entry_id: str, run: CalibrationRun, data: dict[str, Any]
) -> None:
    """The owner is told how the charge ended; ``eg4_charge_to_ended`` fires."""
    record = run.summary()
    soc = soc_after(run)
    ending = str(data["ending"])
    heading = words.titled("charge_to_ended_title", entry_title(hass, entry_id))
    lever = lever_placeholders(words, run) if ending == "aborted" else None
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"charge_to_ended_{ending}" if lever is None else "charge_to_lever_changed",
        translation_placeholders={
            "target": format_figure(float(record.get("target_soc_pct") or 0), 0),
            **stop_placeholders(words, soc, data),
            **({} if lever is None else {"left": lever["left"], "back": lever["back"]}),
        },
    )
    tell_ending(
        hass,
        event=EVENT_CHARGE_TO_ENDED,
        notification_id=ending_notification_id(entry_id, run.kind),
        heading=heading,
        message=message,
        data={
            **data,
            "target_soc_pct": record.get("target_soc_pct"),
            "soc_pct": soc,
            "reached_at": record.get("reached_at"),
        },
    )
