"""The cancel button: on the system's device, usable only while a run can be cancelled."""

from __future__ import annotations

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from .conftest import projection

CANCEL = "button.eg4_lvx6048_cancel_calibration"


async def test_buttons_snapshot(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """The one button of a powermon + lvx-control system; unavailable while nothing runs."""
    buttons = projection(hass, powermon_loaded, "button")
    assert buttons == snapshot
    assert buttons[CANCEL]["state"] == STATE_UNAVAILABLE
