"""A telemetry dropout end to end: entities go unavailable, and come back with fresh values."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.eg4.const import CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT

from .bridge import wait_for
from .system import System

DROPOUT_S = 600.0


def watched(system: System) -> list[str]:
    """Pack and inverter sensors, and the group selects (they need every inverter)."""
    return [
        *system.pack_ids("soc"),
        *system.pack_ids("voltage"),
        *system.inverter_ids("battery_voltage"),
        system.entity_id("_system_output_priority"),
        system.entity_id("_system_charger_priority"),
    ]


# Time runs (tick=True) so the broker round trips work; freezer.tick jumps it forward.
@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize(
    ("entry_options", "silence_s"),
    [({}, DEFAULT_STALE_TIMEOUT + 20), ({CONF_STALE_TIMEOUT: 30}, 45)],
    ids=["default_timeout", "stale_timeout_30s"],
)
async def test_dropout_makes_entities_unavailable_until_telemetry_returns(
    system: System,
    freezer: FrozenDateTimeFactory,
    entry_options: dict[str, Any],
    silence_s: float,
) -> None:
    """The twin's dropout silences the face; past the staleness timeout all goes unavailable."""
    twin = system.twin
    await system.bridge.publish_telemetry()
    ids = watched(system)
    assert system.unavailable(ids) == []

    twin.add_dropout(twin.clock_s, DROPOUT_S)
    twin.step(60)
    assert await system.bridge.publish_telemetry() == 0  # the face is silent

    # Not yet: a silence shorter than the timeout changes nothing.
    freezer.tick(silence_s / 2)
    async_fire_time_changed(system.hass)
    await system.bridge.sync()
    assert system.unavailable(ids) == []

    freezer.tick(silence_s / 2)
    async_fire_time_changed(system.hass)
    await wait_for(lambda: system.unavailable(ids) == ids, what="every entity unavailable")

    twin.step(DROPOUT_S)  # the dropout is over, and the bank moved on meanwhile
    assert not twin.telemetry_suppressed()
    assert await system.bridge.publish_telemetry() > 0
    assert system.unavailable(ids) == []
    system.assert_sensors_match_face()
