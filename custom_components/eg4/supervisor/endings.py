"""Every ending of a calibration, told: the ``eg4_calibration_ended`` event, its texts.

One event per run, when it ends (``calibration.ending``): its data are codes and figures
for automations, plus the owner's ``title`` and ``message`` in Home Assistant's language.
The persistent notification and the logbook line are rendered from the same data, so
what a notification says, the logbook and a blueprint say too. A reason is worded by its
``stop_reason_<code>`` text: a new reason needs only its line in ``en.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import median
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback

from ..calibration import CalibrationRun, StopReason
from ..calibration.ending import Ending, format_duration, format_figure
from ..const import DOMAIN
from ..numbers import is_number
from .words import Words

EVENT_CALIBRATION_ENDED = "eg4_calibration_ended"


def ending_notification_id(entry_id: str, kind: str = "calibration") -> str:
    """The notification of an entry's latest ending of one kind of run (the next replaces it)."""
    return f"{DOMAIN}_{kind}_{entry_id}"


@callback
def entry_title(hass: HomeAssistant, entry_id: str) -> str:
    """The title the owner gave the entry (its id when the entry is gone)."""
    entry = hass.config_entries.async_get_entry(entry_id)
    return entry_id if entry is None else entry.title


def _seconds(minutes: object) -> float | None:
    if is_number(minutes):
        return float(minutes) * 60
    return None


def _figure(value: object, digits: int = 1) -> str:
    if is_number(value):
        return format_figure(float(value), digits)
    return "?"


@callback
def placeholders(words: Words, title: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The texts' placeholders from an ending's event data."""
    detail = str(data.get("detail") or "")
    return {
        "title": title,
        "duration": format_duration(_seconds(data.get("duration_min"))),
        "spread_before": _figure(data.get("soc_spread_before_pct")),
        "spread_after": _figure(data.get("soc_spread_after_pct")),
        "max_cell": _figure(data.get("max_cell_voltage_v"), 2),
        "phase": words.phase(data.get("stopped_in")),
        "reason": words.reason(data.get("reason")),
        "detail": f" ({detail})" if detail else "",  # what triggered it, when something did
    }


@callback
def notification_texts(words: Words, title: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """The (title, message) that tells the owner how a run ended."""
    ending = Ending(data["ending"])
    given = placeholders(words, title, data)
    heading = words.titled(f"ended_{ending.value}_title", given["title"])
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"ended_{ending.value}",
        translation_placeholders={
            "title": given["title"],
            "duration": given["duration"],
            "spread_before": given["spread_before"],
            "spread_after": given["spread_after"],
            "max_cell": given["max_cell"],
            "phase": given["phase"],
            "reason": given["reason"],
            "detail": given["detail"],
        },
    )
    return heading, message


@callback
def logbook_texts(words: Words, title: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """The (name, message) of an ending's logbook line."""
    ending = Ending(data["ending"])
    given = placeholders(words, title, data)
    name = words.titled("calibration_logbook_name", given["title"])
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"logbook_{ending.value}",
        translation_placeholders={
            "duration": given["duration"],
            "spread_before": given["spread_before"],
            "spread_after": given["spread_after"],
            "phase": given["phase"],
            "reason": given["reason"],
            "detail": given["detail"],
        },
    )
    return name, message


@callback
def lever_placeholders(words: Words, run: CalibrationRun) -> dict[str, str] | None:
    """A run a hand change stopped: the settings left as set there and those put back.

    None for any other ending (its texts need no such list).
    """
    if run.reason is not StopReason.LEVER_CHANGED:
        return None
    left = ", ".join(sorted(words.setting_name(key) for key in run.owner_settings))
    back = sorted({item.setting for item in run.restorable}, key=lambda key: key.value)
    return {
        "detail": run.detail,
        "left": left or "-",
        "back": ", ".join(words.setting_name(key) for key in back) or "-",
    }


def soc_after(run: CalibrationRun) -> float | None:
    """The bank's state of charge when the run ended: the median of the packs' readings."""
    socs = [v for v in run.soc_after.values() if v is not None]
    return float(median(socs)) if socs else None


@callback
def stop_placeholders(words: Words, soc: float | None, data: Mapping[str, Any]) -> dict[str, str]:
    """What every kind of run's ending text names: the bank's SoC, the reason and its detail."""
    detail = str(data.get("detail") or "")
    return {
        "soc": "?" if soc is None else format_figure(soc, 0),
        "reason": words.reason(data.get("reason")),
        "detail": f" ({detail})" if detail else "",
    }


@callback
def tell_ending(
    hass: HomeAssistant,
    *,
    event: str,
    notification_id: str,
    heading: str,
    message: str,
    data: Mapping[str, Any],
) -> None:
    """Leave the ending's notification and fire its event, the texts in the event's data."""
    persistent_notification.async_create(
        hass, message, title=heading, notification_id=notification_id
    )
    hass.bus.async_fire(event, {**data, "title": heading, "message": message})
