"""The calibration charge through a real mosquitto, for both MQTT bridges.

Everything travels through the broker: the integration's lever and revert commands reach the
twin's face through mosquitto (``Bridge``), and every read-back comes back as the face's
telemetry. Time runs (``freeze_time(tick=True)``: the broker round trips need it) and
``freezer.tick`` jumps it forward together with the twin, a simulated minute or two at a time:
the bridge publishes, then the timers that fell due run (the supervisor's tick, the holds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.eg4.const import DOMAIN
from simulator import ChargerPriority, OutputPriority

from .calibration_view import EVENT, SUCCESS_EVENTS, CalibrationView, priorities
from .system import System

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CALIBRATING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2
BULK_STEP_S = 120.0
STEP_S = 60.0
# While settings are being written: short steps. A command the integration published before a
# step's sync marker has reached the face when the marker is back (one client, one order), so
# the next step's telemetry carries its read-back: at most 10 simulated seconds later, well
# within the 60-s confirmation, however long the broker round trips take in real time.
WRITE_STEP_S = 5.0
SA_SET = "solar_assistant/inverter_{n}/{key}/set"
# What reached the face through the broker: the levers (charger priority first, then output
# priority, which starts the charge) and the revert in the reverse order.
COMMANDS = {
    "powermon_lvx": [
        ("solar/control/lvx6048/charger_priority", "solar_and_utility"),
        ("solar/control/lvx6048/output_priority", "solar_utility_battery"),
        ("solar/control/lvx6048/output_priority", "solar_battery_utility"),
        ("solar/control/lvx6048/charger_priority", "solar_first"),
    ],
    "solar_assistant": [
        (SA_SET.format(n=n, key=key), payload)
        for key, payload in (
            ("charger_source_priority", "Solar and utility simultaneously"),
            ("output_source_priority", "Solar/Utility/Battery"),
            ("output_source_priority", "Solar/Battery/Utility"),
            ("charger_source_priority", "Solar first"),
        )
        for n in (1, 2)
    ],
}


class BrokerRun:
    """The system on the broker, driven a step at a time."""

    def __init__(self, system: System, freezer: FrozenDateTimeFactory, view: CalibrationView):
        self.system = system
        self.freezer = freezer
        self.view = view

    async def advance(self, seconds: float) -> None:
        """Twin and clock forward; the bridge publishes; the timers that fell due run."""
        self.system.twin.step(seconds)
        self.freezer.tick(seconds)
        await self.system.bridge.publish_telemetry()
        async_fire_time_changed(self.system.hass)
        await self.system.bridge.sync()

    async def drive(self, until: Callable[[], bool], *, limit_s: float, what: str) -> float:
        elapsed = 0.0
        while not until():
            assert elapsed < limit_s, f"not reached after {elapsed:.0f} s: {what}"
            phase = self.view.phase
            step = (
                BULK_STEP_S
                if phase == "bulk"
                else WRITE_STEP_S
                if phase in ("engaging", "reverting")
                else STEP_S
            )
            await self.advance(step)
            elapsed += step
        return elapsed


async def reporting(
    hass: HomeAssistant,
    system: System,
    freezer: FrozenDateTimeFactory,
    storage: dict[str, Any],
) -> BrokerRun:
    """The calibration's view of the entry, the bridge reporting for a minute already."""
    view = CalibrationView(
        hass=hass, entry=system.entry, storage=storage, events=async_capture_events(hass, EVENT)
    )
    run = BrokerRun(system, freezer, view)
    await system.bridge.publish_telemetry()
    await run.advance(STEP_S)
    return run


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(300)
async def test_drifted_bank_re_anchored_through_the_broker(
    hass: HomeAssistant,
    system: System,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Grid method: levers and reverts through mosquitto, read-backs from the face."""
    run = await reporting(hass, system, freezer, hass_storage)
    view = run.view
    twin = system.twin
    assert view.state("soc_spread").state == "25.0"

    response = await view.call("run_calibration")
    assert response is not None
    assert response["preflight"]["ok"] is True
    await run.drive(lambda: view.phase == "bulk", limit_s=900, what="bulk")
    assert priorities(twin) == CALIBRATING
    assert twin.grid_charge_a > 50
    took = await run.drive(lambda: view.supervisor.run is None, limit_s=6 * 3600, what="the end")
    assert 2.5 * 3600 < took < 4 * 3600

    # The levers and the revert reached the face through the broker, in lever order.
    received = [(command.topic, command.payload) for command in system.bridge.commands]
    assert received == COMMANDS[system.profile.name]
    assert priorities(twin) == EVERYDAY
    assert all(soc >= 99 for soc in twin.soc_readings()), twin.soc_readings()
    last = view.supervisor.last
    assert last["outcome"] == "succeeded"
    assert 20 <= last["soc_spread_before"] <= 26
    assert last["soc_spread_after"] <= 1
    assert view.phases_fired() == SUCCESS_EVENTS
    assert view.state("last_calibration_result").state == "succeeded"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"revert_failed_{system.entry.entry_id}") is None
    )


@pytest.mark.freeze_time(tick=True)
@pytest.mark.timeout(300)
async def test_stopping_home_assistant_mid_charge_reverts_through_the_broker(
    hass: HomeAssistant,
    system: System,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A real stop (``hass.async_stop``) during the charge, the MQTT client still up.

    Home Assistant's MQTT client does not disconnect at stop, so the revert reaches the face
    through mosquitto and the face's telemetry confirms it before Home Assistant is gone.
    The run stays on record as active: the next start closes it as interrupted.
    """
    run = await reporting(hass, system, freezer, hass_storage)
    view = run.view
    assert (await view.call("run_calibration")) is not None
    await run.drive(lambda: view.phase == "bulk", limit_s=900, what="bulk")
    assert priorities(system.twin) == CALIBRATING
    engaged = len(system.bridge.commands)

    stopping = asyncio.create_task(hass.async_stop())
    while not stopping.done():  # the bridge keeps reporting, as it would
        system.twin.step(WRITE_STEP_S)
        freezer.tick(WRITE_STEP_S)
        await system.bridge.publish_telemetry()
    await stopping

    assert priorities(system.twin) == EVERYDAY
    # What reached the face after the levers: the revert, output priority first.
    expected = COMMANDS[system.profile.name]
    received = [(c.topic, c.payload) for c in system.bridge.commands]
    assert received[:engaged] == expected[: len(expected) // 2]
    assert received[engaged:] == expected[len(expected) // 2 :]
    stored = view.stored
    assert stored is not None
    assert stored["run"]["phase"] == "bulk"
