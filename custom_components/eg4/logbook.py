"""The logbook's line for each calibration ending (``eg4_calibration_ended``).

The line is worded when the logbook is read, from the event's codes and figures, in Home
Assistant's language; it is tied to the entry's Calibration sensor, so the device page's
logbook shows it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .supervisor.endings import EVENT_CALIBRATION_ENDED, entry_title, logbook_texts
from .supervisor.words import Words

type DescribeEvent = Callable[[str, str, Callable[[Event[Any]], dict[str, str]]], None]


@callback
def async_describe_events(hass: HomeAssistant, async_describe_event: DescribeEvent) -> None:
    """Describe the calibration endings in the logbook."""
    words = Words(hass)

    @callback
    def async_describe_ending(event: Event[Any]) -> dict[str, str]:
        data = event.data
        entry_id = str(data.get("config_entry_id", ""))
        name, message = logbook_texts(words, entry_title(hass, entry_id), data)
        described = {LOGBOOK_ENTRY_NAME: name, LOGBOOK_ENTRY_MESSAGE: message}
        entity_id = er.async_get(hass).async_get_entity_id(
            SENSOR_DOMAIN, DOMAIN, f"{entry_id}_system_calibration_state"
        )
        if entity_id is not None:
            described[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return described

    async_describe_event(DOMAIN, EVENT_CALIBRATION_ENDED, async_describe_ending)
