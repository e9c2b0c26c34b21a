"""The supervised calibration charge through the cloud transport, against the digital twin.

Home Assistant -> the real portal client -> the simulator's portal on 127.0.0.1 -> the twin.
The cloud family's levers are the AC-charge stop SoC (``HOLD_AC_CHARGE_SOC_LIMIT``, to 100 %)
and AC charge (``FUNC_AC_CHARGE``, on); the simulated portal maps AC charge on to the twin's
grid charge (SUB + solar_and_utility) and off to SBU + solar_first, and keeps the stop SoC.

Time is frozen and moves only with the twin: ``CloudRig.advance`` steps the twin and Home
Assistant's clock together, runs the timers that fall due (the poll every 60 s, the
supervisor's 30-s tick) and waits until every request they caused has been answered. The
transport runs with its production read-back delays; the first read-back after each write
already shows the new value (the twin applies writes at once), so no write waits on a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Self

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import frame
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.eg4.const import (
    CONF_CONFIRM_TIMEOUT,
    CONF_SCAN_INTERVAL,
    CONF_SERVER,
    CONF_STALE_TIMEOUT,
    DOMAIN,
)
from custom_components.eg4.transport import cloud as cloud_transport
from simulator import ChargerPriority, OutputPriority, Setting, Twin, build_twin
from simulator.cloud_api import CloudApiServer
from simulator.settings import AC_CHARGE_TO_FULL
from simulator.twin import TwinConfig

from .calibration_view import (
    EVENT,
    SUCCESS_EVENTS,
    SUCCESS_PHASES,
    CalibrationView,
    assert_lever_changed_notified,
    panel,
    priorities,
)
from .system import cloud_entry

USERNAME = "owner@example.net"
PASSWORD = "calibrate-me"  # noqa: S105 - test credentials
SCAN_S = 60.0
FUNCTION = "/WManage/web/maintain/remoteSet/functionControl"
WRITE = "/WManage/web/maintain/remoteSet/write"
READ = "/WManage/web/maintain/remoteRead/read"
STOP_SOC = "HOLD_AC_CHARGE_SOC_LIMIT"
EVERYDAY_STOP_SOC = 90
EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
GRID_CHARGE = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2


def everyday_portal(twin: Twin) -> CloudApiServer:
    """The simulated portal over ``twin`` (not started), its units stopping AC charge at 90 %."""
    if all(inv.settings.ac_charge_soc_limit_pct == AC_CHARGE_TO_FULL for inv in twin.inverters):
        twin.force_settings(ac_charge_soc_limit=EVERYDAY_STOP_SOC)
    return CloudApiServer(twin, username=USERNAME, password=PASSWORD)


def owner_entry(portal: CloudApiServer) -> MockConfigEntry:
    """The owner's cloud entry for ``portal`` (polling every 60 s), not yet added."""
    return cloud_entry(portal, username=USERNAME, password=PASSWORD, scan_interval=int(SCAN_S))


@pytest.fixture
async def portal(
    socket_enabled: None,
    scenario: str,
    twin_options: dict[str, float],
    twin_config: TwinConfig | None,
) -> AsyncIterator[CloudApiServer]:
    """The simulated portal: two 18kPV in parallel over a six-pack bank.

    The units stop AC charging at 90 % every day (register 67), unless the scenario sets its
    own limits (``soc_capped``).
    """
    twin = build_twin(scenario, inverters=2, packs=6, seed=0, config=twin_config, **twin_options)
    server = everyday_portal(twin)
    await server.start()
    yield server
    await server.stop()


@dataclass(kw_only=True)
class CloudRig(CalibrationView):
    """The cloud entry, the portal and the twin behind it, on one frozen clock."""

    portal: CloudApiServer
    freezer: FrozenDateTimeFactory

    @classmethod
    def attach(
        cls,
        hass: HomeAssistant,
        portal: CloudApiServer,
        entry: MockConfigEntry,
        freezer: FrozenDateTimeFactory,
        storage: dict[str, Any],
    ) -> Self:
        """A rig on ``entry``, capturing the calibration's events from now on."""
        events = async_capture_events(hass, EVENT)
        return cls(
            hass=hass, portal=portal, entry=entry, freezer=freezer, storage=storage, events=events
        )

    @property
    def twin(self) -> Twin:
        """The twin behind the portal."""
        return self.portal.twin

    def priorities(self) -> list[tuple[OutputPriority, ChargerPriority]]:
        """Each unit's (output, charger) priority in the twin."""
        return priorities(self.twin)

    def stop_socs(self) -> list[int]:
        """The AC-charge stop SoC each unit holds in the portal."""
        return [
            int(self.portal.params.read(unit, 67, 1)[STOP_SOC])
            for unit in range(1, len(self.twin.inverters) + 1)
        ]

    def stored_run(self) -> dict[str, Any] | None:
        """The run the supervisor saved (None: no active run)."""
        stored = self.stored
        assert stored is not None
        run: dict[str, Any] | None = stored["run"]
        return run

    async def settle(self) -> None:
        """Every task, background ones included, and every request they made, done."""
        await self.hass.async_block_till_done(wait_background_tasks=True)
        assert self.portal.in_flight == 0

    async def quiet(self, idle_rounds: int = 200) -> None:
        """Run the loop until the portal has seen no request for ``idle_rounds`` iterations.

        For when a task waits on a timer (a revert's back-off): waiting for every task would
        wait for a clock that only the test moves. Over loopback a request reaches the portal
        within a few iterations of being sent.
        """
        seen = self.portal.total_requests
        idle = 0
        for _ in range(200_000):
            await asyncio.sleep(0)
            if self.portal.in_flight or self.portal.total_requests != seen:
                seen = self.portal.total_requests
                idle = 0
            else:
                idle += 1
                if idle >= idle_rounds:
                    return
        raise AssertionError("the portal never went quiet")

    async def advance(self, seconds: float, *, wait_for_tasks: bool = True) -> None:
        """Step the twin and the clock together; run the polls and ticks that fall due."""
        self.twin.step(seconds)
        self.freezer.tick(seconds)
        async_fire_time_changed(self.hass)
        if wait_for_tasks:
            await self.settle()
        else:
            await self.quiet()

    async def drive(
        self,
        until: Callable[[], bool],
        *,
        limit_s: float,
        what: str,
        step_s: float = SCAN_S,
        wait_for_tasks: bool = True,
    ) -> float:
        """Advance a step at a time until ``until()``; the time it took."""
        elapsed = 0.0
        while not until():
            assert elapsed < limit_s, f"not reached after {elapsed:.0f} s: {what}"
            await self.advance(step_s, wait_for_tasks=wait_for_tasks)
            elapsed += step_s
        return elapsed


@pytest.fixture
async def rig(
    hass: HomeAssistant,
    portal: CloudApiServer,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> AsyncIterator[CloudRig]:
    """The cloud entry set up against the portal (polling every 60 s)."""
    assert cloud_transport.READBACK_DELAYS == (0.0, 3.0, 10.0)  # production delays
    entry = owner_entry(portal)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    rig = CloudRig.attach(hass, portal, entry, freezer, hass_storage)
    rig.watch_notifications()
    await rig.settle()
    yield rig
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def assert_succeeded(rig: CloudRig, run_id: str) -> None:
    """The record, the events and the entities of a run that succeeded."""
    last = rig.supervisor.last
    assert last["run_id"] == run_id
    assert last["outcome"] == "succeeded"
    assert last["reason"] == "completed"
    assert 20 <= last["soc_spread_before"] <= 26
    assert last["soc_spread_after"] <= 1
    assert [entry["phase"] for entry in last["phases"]] == SUCCESS_PHASES
    assert rig.phases_fired() == SUCCESS_EVENTS
    result = rig.state("last_calibration_result")
    assert result.state == "succeeded"
    assert 20 <= result.attributes["soc_spread_before_pct"] <= 26
    assert result.attributes["soc_spread_after_pct"] <= 1
    assert rig.state("calibration_state").state == "idle"
    assert float(rig.state("soc_spread").state) <= 1
    assert rig.state("soc_drift", "binary_sensor").state == "off"
    assert rig.stored_run() is None
    issues = ir.async_get(rig.hass)
    assert issues.async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}") is None


@pytest.mark.timeout(300)
async def test_drifted_bank_is_re_anchored_through_the_cloud(rig: CloudRig) -> None:
    """Grid method over the portal: AC charge to 100 %, verify the re-anchor, revert, confirm."""
    await rig.advance(SCAN_S)  # one poll and one tick: the drift figures are current
    assert rig.state("soc_spread").state == "25.0"
    assert rig.state("soc_drift", "binary_sensor").state == "on"
    assert rig.priorities() == EVERYDAY
    assert rig.stop_socs() == [90, 90]

    # The plan: the cloud family's levers on both units, each from its read-back value.
    dry = await rig.call("run_calibration", dry_run=True)
    assert dry is not None
    assert dry["preflight"] == {"ok": True, "failed_checks": [], "warnings": []}
    assert dry["estimate"]["duration_s"] > 0
    # Codes for automations, and the names and labels the number and select entities show.
    soc_limit = {"name": "AC charge stop SoC", "from_label": "90 %", "to_label": "100 %"}
    charger = {
        "name": "Charger priority",
        "from_label": "Solar first",
        "to_label": "Solar and utility",
    }
    plan = [
        {
            "setting": "ac_charge_soc_limit",
            "unit": unit,
            "from": 90.0,
            "to": 100.0,
            "changes": True,
            **soc_limit,
        }
        for unit in (1, 2)
    ] + [
        {
            "setting": "charger_priority",
            "unit": unit,
            "from": "solar_first",
            "to": "solar_and_utility",
            "changes": True,
            **charger,
        }
        for unit in (1, 2)
    ]
    assert dry["plan"] == plan
    assert rig.portal.requests[WRITE] == rig.portal.requests[FUNCTION] == 0  # nothing written

    response = await rig.call("run_calibration")
    assert response is not None
    assert response["plan"] == plan  # the plan the dry run showed is the one applied
    run_id = response["run_id"]
    await rig.settle()
    # Both levers went through the portal and read back on both units.
    assert rig.portal.requests[WRITE] == 2
    assert rig.portal.requests[FUNCTION] == 2
    assert rig.stop_socs() == [100, 100]
    assert rig.priorities() == GRID_CHARGE
    stored = rig.stored_run()
    assert stored is not None
    assert stored["phase"] == "engaging"

    # The bank charges from the grid.
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="bulk")
    assert rig.twin.grid_charge_a > 50
    assert all(pack.current_a > 5 for pack in rig.twin.packs)

    took = await rig.drive(
        lambda: rig.supervisor.run is None, limit_s=6 * 3600, what="the calibration to end"
    )
    assert 2.5 * 3600 < took < 4 * 3600

    # Every pack re-anchored; the everyday settings are back, confirmed by read-back.
    assert all(soc >= 99 for soc in rig.twin.soc_readings()), rig.twin.soc_readings()
    assert all(pack.bms.anchors >= 1 for pack in rig.twin.packs)
    assert rig.priorities() == EVERYDAY
    assert rig.stop_socs() == [90, 90]
    assert rig.portal.requests[WRITE] == 4
    assert rig.portal.requests[FUNCTION] == 4

    assert_succeeded(rig, run_id)


async def start_and_engage(rig: CloudRig) -> str:
    """Start a grid calibration and drive it until the bank charges; the run id."""
    response = await rig.call("run_calibration")
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="bulk")
    assert rig.priorities() == GRID_CHARGE
    return str(response["run_id"])


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("scenario", "reason", "source"),
    [("hot", "over_temperature", "pack_3"), ("cell_runaway", "cell_over_voltage", "pack_2")],
)
async def test_breach_seen_in_a_poll_reverts_in_that_poll(
    rig: CloudRig, reason: str, source: str
) -> None:
    """The poll that carries the breach also carries the revert: AC charge off, stop SoC back."""
    run_id = await start_and_engage(rig)
    writes = rig.portal.requests[FUNCTION]
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=5 * 3600, what="the breach")
    # The poll step that ended the run carried the abort, the revert writes and their
    # read-backs: the revert did not wait for another poll.
    assert rig.portal.requests[FUNCTION] == writes + 2
    assert rig.priorities() == EVERYDAY
    assert rig.stop_socs() == [90, 90]
    rig.assert_aborted(run_id, reason, source)
    # Stopped in time: no pack's BMS had to protect itself.
    assert all(not pack.bms.protection_list() for pack in rig.twin.packs)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("platform", "key", "value"),
    [("select", "charger_priority", "solar_first"), ("number", "ac_charge_soc_limit", 90)],
)
async def test_a_held_lever_is_refused_while_the_run_holds_it(
    rig: CloudRig, platform: str, key: str, value: str | float
) -> None:
    """The cloud's levers from the dashboard mid-run: refused, naming the run; nothing sent."""
    run_id = await start_and_engage(rig)
    writes = rig.portal.requests[FUNCTION], rig.portal.requests[WRITE]
    await rig.assert_held(run_id, platform, key, value)
    assert (rig.portal.requests[FUNCTION], rig.portal.requests[WRITE]) == writes
    assert rig.priorities() == GRID_CHARGE
    task = rig.start("cancel_calibration")
    await rig.drive(task.done, limit_s=600, what="the cancel", step_s=5, wait_for_tasks=False)
    await task
    # The owner's again: the write waits for its read-back (the next poll, or its delays).
    write = rig.hass.async_create_task(rig.write_lever(platform, key, value))
    await rig.drive(write.done, limit_s=300, what="the write", step_s=5, wait_for_tasks=False)
    await write


@pytest.mark.timeout(300)
async def test_entry_changes_are_refused_while_the_run_charges(rig: CloudRig) -> None:
    """The options and reconfigure forms were opened before the run; submitted during it
    (a new poll interval, which would reload the entry and end the run; the account as
    stored, which logs in again), each is refused and changes nothing; opened during it, each
    refuses at once."""
    flows = rig.hass.config_entries
    options_form = await flows.options.async_init(rig.entry.entry_id)
    reconfigure_form = await rig.entry.start_reconfigure_flow(rig.hass)
    assert options_form["type"] is FlowResultType.FORM
    assert reconfigure_form["type"] is FlowResultType.FORM
    await start_and_engage(rig)
    runtime = rig.entry.runtime_data
    data, options = dict(rig.entry.data), dict(rig.entry.options)

    results = [
        await flows.options.async_configure(
            options_form["flow_id"],
            {CONF_SCAN_INTERVAL: 2 * SCAN_S, CONF_STALE_TIMEOUT: 600, CONF_CONFIRM_TIMEOUT: 60},
        ),
        await flows.flow.async_configure(
            reconfigure_form["flow_id"],
            {
                "server": "custom",
                "custom_url": rig.entry.data[CONF_SERVER],
                "username": USERNAME,
            },
        ),
        await flows.options.async_init(rig.entry.entry_id),
        await rig.entry.start_reconfigure_flow(rig.hass),
    ]
    for result in results:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "calibration_running"
    await rig.advance(SCAN_S)

    assert (dict(rig.entry.data), dict(rig.entry.options)) == (data, options)
    assert rig.entry.runtime_data is runtime, "the entry was reloaded"
    assert rig.phase == "bulk"
    assert rig.priorities() == GRID_CHARGE


@pytest.mark.timeout(300)
async def test_a_lever_changed_at_the_panel_aborts_and_reverts_the_rest(rig: CloudRig) -> None:
    """In absorption the owner switches output priority SUB -> SBU at the inverters' panel.

    The portal then reads AC charge off: the run aborts (``lever_changed``, charger priority
    on each unit), puts the AC-charge stop SoC back to 90 %, and never writes AC charge again
    (the owner's SBU stays, with the charger priority the panel left).
    """
    run_id = await start_and_engage(rig)
    await rig.drive(lambda: rig.phase == "absorption", limit_s=5 * 3600, what="absorption")
    # While the run holds them, each unit's two levers are read on every poll (not hourly).
    reads = rig.portal.requests[READ]
    await rig.advance(SCAN_S)
    assert rig.portal.requests[READ] == reads + 4
    functions = rig.portal.requests[FUNCTION]
    panel(rig.twin, Setting.OUTPUT_PRIORITY, OutputPriority.SBU)
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the abort")

    rig.assert_aborted(
        run_id, "lever_changed", "charger_priority: solar_and_utility -> solar_first"
    )
    assert rig.stop_socs() == [90, 90]
    assert rig.portal.requests[FUNCTION] == functions  # AC charge: the owner's
    assert rig.priorities() == [(OutputPriority.SBU, ChargerPriority.SOLAR_AND_UTILITY)] * 2
    assert rig.twin.grid_charge_a == 0
    assert_lever_changed_notified(rig, "Charger priority")
    # Held no more; the stop SoC it put back is read on every poll while the late-lever watch
    # lasts (15 minutes: a late 100 % would be seen and undone), then hourly.
    reads = rig.portal.requests[READ]
    await rig.advance(SCAN_S)
    assert rig.portal.requests[READ] == reads + 2
    for _ in range(15):
        await rig.advance(SCAN_S)
    reads = rig.portal.requests[READ]
    await rig.advance(SCAN_S)
    assert rig.portal.requests[READ] == reads


@pytest.mark.timeout(300)
async def test_refused_revert_is_retried_through_the_portal(rig: CloudRig) -> None:
    """The portal refuses AC charge off twice (REMOTE_SET_ERROR): the retries restore it."""
    run_id = await start_and_engage(rig)
    rig.portal.inject_error("REMOTE_SET_ERROR", count=2, path="remoteSet/functionControl")
    functions = rig.portal.requests[FUNCTION]
    cancel = rig.start("cancel_calibration")
    await rig.quiet()
    # AC charge off refused by both units, the stop SoC went back, and the next attempt
    # waits for its back-off: the cancel is still waiting.
    assert rig.portal.requests[FUNCTION] == functions + 2
    assert rig.priorities() == GRID_CHARGE
    assert rig.stop_socs() == [90, 90]
    assert not cancel.done()
    await rig.drive(cancel.done, limit_s=120, what="the cancel", step_s=5, wait_for_tasks=False)
    result = await cancel
    assert result is not None
    assert result["run_id"] == run_id
    assert result["confirmed"] is True
    assert result["outcome"] == "aborted"
    assert {(r["setting"], r["unit"], r["value"]) for r in result["restored"]} == {
        ("charger_priority", 1, "solar_first"),
        ("charger_priority", 2, "solar_first"),
        ("ac_charge_soc_limit", 1, 90.0),
        ("ac_charge_soc_limit", 2, 90.0),
    }
    assert rig.priorities() == EVERYDAY
    assert rig.supervisor.last["reason"] == "cancelled"
    assert "revert_failed" not in rig.phases_fired()


@pytest.mark.timeout(300)
async def test_one_unit_refusing_the_revert_does_not_undo_the_other(rig: CloudRig) -> None:
    """Unit 2 refuses AC charge off for good: unit 1 stays restored, the run fails loudly.

    Nothing is rolled back: unit 1, which took the revert, is never put back on the grid
    charge. When unit 2 gives in, the retry restores it and clears the repair issue.
    """
    run_id = await start_and_engage(rig)
    rule = rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None, unit=2)
    cancel = rig.start("cancel_calibration")
    await rig.quiet()
    assert rig.priorities() == [EVERYDAY[0], GRID_CHARGE[1]]
    assert rig.stop_socs() == [90, 90]
    await rig.drive(cancel.done, limit_s=120, what="the cancel", step_s=5, wait_for_tasks=False)
    result = await cancel
    assert result is not None
    assert result["run_id"] == run_id
    assert result["confirmed"] is False
    assert result["outcome"] == "failed"
    # Unit 1 kept its everyday settings through all three attempts (each sends every saved
    # value to every unit the run touched, whatever its read-back said); unit 2 refused each.
    assert rig.priorities() == [EVERYDAY[0], GRID_CHARGE[1]]
    reverts = [e for e in rig.twin.journal if e.source == "cloud" and "SBU" in e.request]
    assert [(e.units, e.accepted) for e in reverts] == [((1,), True), ((2,), False)] * 3
    enables = [e for e in rig.twin.journal if e.source == "cloud" and "SUB" in e.request]
    assert len(enables) == 2  # the two engage writes; no rollback re-engaged unit 1

    phases = rig.phases_fired()
    assert phases[-3:] == ["reverting", "failed", "revert_failed"]
    assert rig.state("calibration_state").state == "failed"
    assert rig.supervisor.last["revert_detail"] == (
        "charger_priority: The inverter or its bridge refused charger_priority = solar_first"
        " for unit(s) 2: REMOTE_SET_ERROR"
    )
    issue_id = f"revert_failed_{rig.entry.entry_id}"
    issue = ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" in rig.notifications

    # Home Assistant keeps retrying every 5 minutes; unit 2 finally accepts.
    rig.twin.faults.nak_rules.remove(rule)
    await rig.drive(
        lambda: rig.supervisor.run is None, limit_s=900, what="the retry", wait_for_tasks=False
    )
    assert rig.priorities() == EVERYDAY
    assert ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id) is None
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    assert rig.phases_fired()[-1] == "revert_confirmed"
    assert rig.supervisor.last["outcome"] == "failed"  # what happened stays on record


@pytest.mark.timeout(300)
async def test_first_lever_refused_by_one_unit_is_engage_failed(rig: CloudRig) -> None:
    """Unit 2 refuses the AC-charge stop SoC: unit 1's is put back, AC charge never turns on."""
    await rig.advance(SCAN_S)
    rig.twin.faults.nak_next(1, unit=2)
    response = await rig.call("run_calibration")
    assert response is not None
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the stop")
    assert rig.stop_socs() == [90, 90]
    assert rig.priorities() == EVERYDAY
    journal = [e for e in rig.twin.journal if e.source == "cloud"]
    assert not [e for e in journal if "SUB" in e.request]  # AC charge was never switched on
    # The failed write rolls unit 1 back; then the revert sends every saved value to both
    # units, whatever their read-back said.
    # The stop SoC is the twin's AC-charge SoC limit: its firmware journals the writes.
    limit = "ac_charge_soc_limit"
    assert [(e.units, e.request, e.accepted) for e in journal if limit in e.request] == [
        ((1,), f"{limit}=100", True),
        ((2,), f"{limit}=100", False),
        ((1,), f"{limit}=90", True),
        ((1,), f"{limit}=90", True),
        ((2,), f"{limit}=90", True),
    ]
    last = rig.supervisor.last
    assert (last["outcome"], last["reason"]) == ("aborted", "engage_failed")
    assert "ac_charge_soc_limit" in last["detail"]
    assert rig.stored_run() is None
    issues = ir.async_get(rig.hass)
    assert issues.async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}") is None


# ---- Home Assistant stops mid-run and starts again on the same storage ---------------------


@asynccontextmanager
async def started_again(
    rig: CloudRig, freezer: FrozenDateTimeFactory, storage: dict[str, Any]
) -> AsyncIterator[CloudRig]:
    """A second Home Assistant on the first one's storage, with the same eg4 entry set up.

    The run record and the registries come from the storage the first instance wrote at its
    stop; the entry is the same (same id, data and options), as Home Assistant would load it.
    The events are captured from the start, so the start-up revert's are seen too.
    """
    async with async_test_home_assistant(config_dir=rig.hass.config.config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # custom integrations enabled
        frame.async_setup(hass)
        entry = MockConfigEntry(
            domain=DOMAIN,
            entry_id=rig.entry.entry_id,
            title=rig.entry.title,
            data=dict(rig.entry.data),
            options=dict(rig.entry.options),
            unique_id=rig.entry.unique_id,
        )
        entry.add_to_hass(hass)
        events = async_capture_events(hass, EVENT)
        assert await hass.config_entries.async_setup(entry.entry_id)
        again = CloudRig(
            hass=hass,
            portal=rig.portal,
            entry=entry,
            freezer=freezer,
            storage=storage,
            events=events,
        )
        await again.settle()
        try:
            yield again
        finally:
            # As the test fixture does with its own instance: unloading shows it can, and
            # leaves no timer behind (Home Assistant 2025.4 checks for lingering ones).
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop()
            frame.async_setup(rig.hass)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("twin_options", [{"true_soc": 0.95}])  # absorption within minutes
@pytest.mark.parametrize("portal_answers_at_stop", [False, True], ids=["refused", "accepted"])
async def test_restart_during_absorption_is_recorded_interrupted_and_reverted(
    hass: HomeAssistant,
    rig: CloudRig,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    portal_answers_at_stop: bool,
) -> None:
    """A real restart: this Home Assistant stops, a new one starts on the same storage.

    Stopping tries the revert first. When the portal refuses it then (``refused``), the bank
    stays on grid charge while Home Assistant is down, and the next start puts the settings
    back, confirmed by read-back. When it was accepted (``accepted``), the next start sends
    the saved values again all the same (a cached read-back proves nothing about what the
    inverters do now) and closes the run on the read-back that follows. Either way the run
    is recorded as interrupted.
    """
    run_id = await start_and_engage(rig)
    await rig.drive(lambda: rig.phase == "absorption", limit_s=3600, what="absorption")
    writes = rig.portal.requests[WRITE] + rig.portal.requests[FUNCTION]
    functions, params = rig.portal.requests[FUNCTION], rig.portal.requests[WRITE]
    if not portal_answers_at_stop:
        rig.portal.inject_error("REMOTE_SET_ERROR", count=1000, path="remoteSet/write")
        rig.portal.inject_error("REMOTE_SET_ERROR", count=1000, path="remoteSet/functionControl")

    await hass.async_stop()
    assert rig.portal.requests[WRITE] + rig.portal.requests[FUNCTION] > writes  # it tried
    # Every setting, even when the first is refused: AC charge off and the stop SoC.
    assert rig.portal.requests[FUNCTION] > functions
    assert rig.portal.requests[WRITE] > params
    stored = rig.stored_run()
    assert stored is not None
    assert stored["phase"] == "absorption"  # still open on record: the next start decides
    if portal_answers_at_stop:
        assert rig.priorities() == EVERYDAY
        assert rig.stop_socs() == [90, 90]
    else:
        assert rig.priorities() == GRID_CHARGE
        rig.portal.clear_errors()  # the portal answers again by the time Home Assistant is back
    # The old process would end here; in the test its poll timer would still run on the loop
    # both instances share (the eg4 supervisor itself stopped watching when the stop began).
    await rig.entry.runtime_data.coordinator.async_shutdown()

    # Down for ten minutes: the bank keeps doing what the inverters were last told.
    rig.twin.step(600)
    freezer.tick(600)
    before = rig.portal.requests[WRITE] + rig.portal.requests[FUNCTION]

    async with started_again(rig, freezer, hass_storage) as again:
        await again.drive(lambda: again.supervisor.run is None, limit_s=600, what="the revert")
        assert again.priorities() == EVERYDAY
        assert again.stop_socs() == [90, 90]
        written = rig.portal.requests[WRITE] + rig.portal.requests[FUNCTION] - before
        assert written == 4  # every saved value, to both units, whatever the cache said
        last = again.supervisor.last
        assert (last["run_id"], last["outcome"], last["reason"]) == (
            run_id,
            "aborted",
            "interrupted",
        )
        assert last["interrupted"] is True
        assert "absorption" in last["detail"]
        assert again.phases_fired()[-2:] == ["reverting", "aborted"]
        result = again.state("last_calibration_result")
        assert result.state == "aborted"
        assert result.attributes["interrupted"] is True
        assert again.state("calibration_state").state == "idle"
        assert again.stored_run() is None
        issue_id = f"revert_failed_{again.entry.entry_id}"
        assert ir.async_get(again.hass).async_get_issue(DOMAIN, issue_id) is None


# ---- charge SoC limits that would end the charge early (soc_capped) -------------------------


def soc_limits(rig: CloudRig) -> dict[str, list[int]]:
    """Each unit's AC-charge (67) and system (227) charge SoC limits, as the portal reads them."""
    units = range(1, len(rig.twin.inverters) + 1)
    return {
        name: [int(rig.portal.params.read(unit, register, 1)[name]) for unit in units]
        for name, register in ((STOP_SOC, 67), ("HOLD_SYSTEM_CHARGE_SOC_LIMIT", 227))
    }


CAPPED = {STOP_SOC: [90, 90], "HOLD_SYSTEM_CHARGE_SOC_LIMIT": [95, 95]}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("scenario", ["soc_capped"])
async def test_soc_capped_limits_are_raised_through_the_portal_and_restored(
    rig: CloudRig,
) -> None:
    """The system limit (95 %) raised to 101 and the AC one (90 %) to 100 for the run: the
    charge goes on to full, every pack re-anchors, and both read back as before."""
    await rig.advance(SCAN_S)
    assert soc_limits(rig) == CAPPED
    dry = await rig.call("run_calibration", dry_run=True)
    assert dry is not None
    assert dry["preflight"]["ok"] is True
    assert [(i["setting"], i["unit"], i["from"], i["to"]) for i in dry["plan"][:4]] == [
        ("charge_soc_limit", 1, 95.0, 101.0),
        ("charge_soc_limit", 2, 95.0, 101.0),
        ("ac_charge_soc_limit", 1, 90.0, 100.0),
        ("ac_charge_soc_limit", 2, 90.0, 100.0),
    ]
    response = await rig.call("run_calibration")
    assert response is not None
    assert response["plan"] == dry["plan"]
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="bulk")
    assert soc_limits(rig) == {STOP_SOC: [100, 100], "HOLD_SYSTEM_CHARGE_SOC_LIMIT": [101, 101]}
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=6 * 3600, what="the end")

    assert_succeeded(rig, str(response["run_id"]))
    assert all(pack.bms.anchors >= 1 for pack in rig.twin.packs)
    assert all(soc >= 99 for soc in rig.twin.soc_readings()), rig.twin.soc_readings()
    assert took < 4 * 3600
    assert soc_limits(rig) == CAPPED
    assert rig.priorities() == EVERYDAY


@pytest.mark.parametrize("scenario", ["soc_capped"])
async def test_soc_capped_solar_method_is_refused_through_the_portal(rig: CloudRig) -> None:
    """The solar method writes nothing, and the system limit would stop the charge at 95 %."""
    await rig.advance(SCAN_S)
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("run_calibration", method="solar")
    assert err.value.translation_key == "plan_charge_limited"
    assert err.value.translation_placeholders["setting"] == "charge_soc_limit"
    assert rig.portal.requests[WRITE] == rig.portal.requests[FUNCTION] == 0
    assert soc_limits(rig) == CAPPED
