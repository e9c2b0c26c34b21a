"""The calibration's promise under faults: every lever it set reads back as it was, or loudly.

Each test reproduces one way the promise used to break (issue 11): a lever applied after its
confirmation timed out, an unload mid-run, an exception inside the revert, a breach while a
lever write waits for its read-back, and Home Assistant stopping during the engage.
In process, on the mocked MQTT client with the twin's face answering (``twin_rig.Rig``).
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from custom_components.eg4.const import DEFAULT_CONFIRM_TIMEOUT, DOMAIN
from custom_components.eg4.supervisor.revert import REVERT_RETRY_S
from simulator import ChargerPriority, OutputPriority, Setting

from .test_calibration_twin import (  # noqa: F401 - fixtures
    CALIBRATING,
    EVERYDAY,
    FIRST_REVERT,
    close_mqtt_socket,
    complete_revert,
    engage_then_fail_the_revert,
    rig,
    start_and_engage,
)
from .twin_rig import STEP_S, Rig

# What turns the grid charge on, per profile: the second lever (output priority SUB).
SUB_COMMANDS = {
    "powermon_lvx": {("solar/control/lvx6048/output_priority", "solar_utility_battery")},
    "solar_assistant": {
        (f"solar_assistant/inverter_{n}/output_source_priority/set", "Solar/Utility/Battery")
        for n in (1, 2)
    },
}
# A cell far above the 3.60 V abort limit, on pack 2, as each bridge publishes it.
CELL_BREACH = {
    "powermon_lvx": ("homeassistant/sensor/lifepower4_2_cell_voltage_max/state", "3.68"),
    "solar_assistant": ("solar_assistant/battery_2/cell_voltage_-_highest/state", "3.68"),
}


def revert_issue(rig: Rig) -> ir.IssueEntry | None:
    """The critical 'settings not restored' repair issue of the rig's entry."""
    return ir.async_get(rig.hass).async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}")


async def run_for(rig: Rig, seconds: float, step: float = STEP_S) -> None:
    """Let time pass with the bridge reporting."""
    elapsed = 0.0
    while elapsed < seconds:
        await rig.advance(step)
        elapsed += step


# ---- 1: a lever the inverters apply after its confirmation timed out -----------------------


async def engage_fails_on_a_late_charger_lever(rig: Rig) -> None:
    """Charger priority takes 90 s to apply (confirmation: 60 s): the engage fails at 60 s,
    and the lever is still on its way (it lands at 90 s)."""
    rig.twin.faults.delay(90, count=1, setting=Setting.CHARGER_PRIORITY)
    assert await rig.call("run_calibration") is not None
    await run_for(rig, 80, step=5)  # the bridge reports every 5 s
    assert rig.supervisor.run is None
    assert rig.supervisor.last["reason"] == "engage_failed"


async def test_a_lever_applied_late_is_undone(rig: Rig) -> None:
    """The engage fails on a late charger lever; when the lever shows up it is put back, not
    left on."""
    await engage_fails_on_a_late_charger_lever(rig)
    assert rig.priorities() == EVERYDAY  # so far
    await run_for(rig, 600, step=10)  # the late lever lands at 90 s; ten minutes later:
    assert rig.priorities() == EVERYDAY
    assert rig.twin.grid_charge_a == 0


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_watch_undoes_the_next_late_lever_too(rig: Rig) -> None:
    """One late lever was put back; a second run's lever lands late as well: it is put back
    too (the watch is not spent by the first)."""
    for _ in range(2):
        await engage_fails_on_a_late_charger_lever(rig)
        await run_for(rig, 120, step=5)  # the lever lands at 90 s
        assert rig.priorities() == EVERYDAY


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_lever_the_owner_sets_through_eg4_after_a_run_is_theirs(
    hass: HomeAssistant, rig: Rig
) -> None:
    """Inside the late-lever watch the owner sets charger priority to the run's lever value
    through eg4: it stays, rather than being put back as a late lever (the watch ends for
    it)."""
    await start_and_engage(rig)
    cancel = rig.start("cancel_calibration")
    await _drive_until(rig, cancel, limit_s=600)
    result = await cancel
    assert result is not None
    assert result["outcome"] == "aborted"
    assert rig.priorities() == EVERYDAY
    write = hass.async_create_task(
        rig.write_lever("select", "charger_priority", "solar_and_utility")
    )
    await _drive_until(rig, write)
    await write
    await run_for(rig, 300, step=5)
    assert [charger for _, charger in rig.priorities()] == [ChargerPriority.SOLAR_AND_UTILITY] * 2


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_late_lever_that_cannot_be_undone_says_so_and_is_retried(rig: Rig) -> None:
    """The late charger lever lands while the firmware refuses its everyday value: the owner
    is told loudly (the critical issue), and the undo is tried again until the firmware
    takes it; then the issue goes."""
    await engage_fails_on_a_late_charger_lever(rig)
    refuse = rig.twin.faults.nak_setting(Setting.CHARGER_PRIORITY, count=None)

    def sent() -> int:
        return sum("charger_priority" in topic for topic, _ in rig.published())

    before = sent()
    # It lands at 90 s: one undo, three attempts, each waiting for its read-back (the reports
    # meanwhile start no second undo), then the alarm.
    for _ in range(120):  # the bridge reports every 5 s
        await rig.advance(5)
        if revert_issue(rig) is not None:
            break
    assert revert_issue(rig) is not None
    assert sent() - before == 3
    assert rig.priorities()[0][1] is ChargerPriority.SOLAR_AND_UTILITY
    rig.twin.faults.nak_rules.remove(refuse)  # the firmware would take it now
    await run_for(rig, REVERT_RETRY_S + 60, step=5)  # the next round, five minutes on
    assert rig.priorities() == EVERYDAY
    assert revert_issue(rig) is None


# ---- 2: unloading or disabling the entry mid-run ------------------------------------------


async def _drive_until(rig: Rig, task: Any, limit_s: float = 120) -> None:
    elapsed = 0.0
    while not task.done():
        assert elapsed < limit_s, "still waiting"
        await rig.advance(5)
        elapsed += 5


async def test_unloading_mid_run_reverts_the_levers(hass: HomeAssistant, rig: Rig) -> None:
    """An unload in bulk puts the everyday settings back before the entry goes."""
    await start_and_engage(rig)
    task = hass.async_create_task(hass.config_entries.async_unload(rig.entry.entry_id))
    await _drive_until(rig, task)
    assert await task
    assert rig.priorities() == EVERYDAY
    assert rig.twin.grid_charge_a == 0
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None  # confirmed: closed, nothing left for the next start
    assert stored["last"]["reason"] == "interrupted"
    assert "unloaded" in stored["last"]["detail"]
    assert revert_issue(rig) is None
    # The owner is told it was interrupted (not that a retry put things back after a failure),
    # and automations see the run revert, then end.
    assert rig.phases_fired()[-2:] == ["reverting", "aborted"]
    assert rig.endings[-1].data["ending"] == "interrupted"
    notification = rig.ending_notification
    assert notification is not None
    assert notification["title"] == f"{rig.entry.title}: calibration interrupted"


async def test_disabling_mid_run_reverts_the_levers(hass: HomeAssistant, rig: Rig) -> None:
    """Disabling the entry is an unload: the levers go back first."""
    await start_and_engage(rig)
    task = hass.async_create_task(
        hass.config_entries.async_set_disabled_by(rig.entry.entry_id, ConfigEntryDisabler.USER)
    )
    await _drive_until(rig, task)
    await task
    assert rig.entry.state is ConfigEntryState.NOT_LOADED
    assert rig.priorities() == EVERYDAY


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_an_unload_that_confirms_a_failed_revert_closes_the_run(rig: Rig) -> None:
    """The revert failed (the firmware refused SBU) and takes it now; the entry unloads.

    The unload's revert is confirmed, so the run is closed as failed, the critical issue
    goes, and the owner is told the settings are back: nothing is left for the next start.
    """
    rule = await engage_then_fail_the_revert(rig)
    assert revert_issue(rig) is not None
    rig.twin.faults.nak_rules.remove(rule)  # the firmware would take it now
    await rig.unload()
    assert rig.priorities() == EVERYDAY
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None
    assert stored["last"]["outcome"] == "failed"
    assert revert_issue(rig) is None
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    notification = rig.ending_notification
    assert notification is not None
    assert notification["title"] == f"{rig.entry.title}: calibration settings restored"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_unload_that_cannot_confirm_keeps_the_run_and_says_so(
    hass: HomeAssistant, rig: Rig
) -> None:
    """The inverters refuse SBU while the entry unloads: the run stays stored, and a critical
    repair issue and a notification say the bank may still be on grid charge."""
    await start_and_engage(rig)
    rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None)
    task = hass.async_create_task(hass.config_entries.async_unload(rig.entry.entry_id))
    await _drive_until(rig, task)
    assert await task
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is not None  # the next start reverts again
    issue = revert_issue(rig)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" in rig.notifications


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_stored_run_raises_its_issue_when_setup_fails(
    hass: HomeAssistant, rig: Rig
) -> None:
    """A run left on record, and the next setup cannot reach the bridge: the user is told."""
    await start_and_engage(rig)
    rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None)
    task = hass.async_create_task(hass.config_entries.async_unload(rig.entry.entry_id))
    await _drive_until(rig, task)
    await task
    ir.async_delete_issue(hass, DOMAIN, f"revert_failed_{rig.entry.entry_id}")
    with patch("homeassistant.components.mqtt.async_wait_for_mqtt_client", return_value=False):
        assert not await hass.config_entries.async_setup(rig.entry.entry_id)
    assert rig.entry.state is ConfigEntryState.SETUP_RETRY
    issue = revert_issue(rig)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL


# ---- 3: an unexpected exception inside the revert -----------------------------------------


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_an_exception_in_the_transport_does_not_kill_the_revert(rig: Rig) -> None:
    """OverflowError from the transport during a cancel: the cancel returns, the run is
    failed with a critical issue, and the retry restores once the transport works again."""
    await start_and_engage(rig)
    transport = rig.supervisor.coordinator.transport
    real_send = transport.async_send
    broken = True

    async def send(*args: Any, **kwargs: Any) -> None:
        if broken:
            raise OverflowError("int too large to convert to float")
        await real_send(*args, **kwargs)

    with patch.object(transport, "async_send", side_effect=send):
        task = rig.start("cancel_calibration")
        await rig.drive(task.done, limit_s=6 * DEFAULT_CONFIRM_TIMEOUT + 300, what="cancel")
        result = await task
        assert result is not None
        assert result["confirmed"] is False
        assert result["outcome"] == "failed"
        assert revert_issue(rig) is not None
        assert rig.priorities() == CALIBRATING
        broken = False
        await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the retry")
    assert rig.priorities() == EVERYDAY
    assert revert_issue(rig) is None


# ---- 4: a breach while a lever write waits for its read-back ------------------------------


async def test_a_breach_during_the_engage_pre_empts_the_lever_write(rig: Rig) -> None:
    """Charger priority is sent and waits for its read-back (the bridge is slow); a cell
    breach arrives: the first revert command leaves on that message, and SUB never leaves."""
    rig.twin.faults.delay(600, count=None, setting=Setting.CHARGER_PRIORITY)
    response = await rig.call("run_calibration")
    assert response is not None
    await rig.advance(5)
    assert rig.phase == "engaging"
    before = len(rig.published())
    async_fire_mqtt_message(rig.hass, *CELL_BREACH[rig.spec.name])
    assert rig.phase == "reverting"
    during = rig.published()[before:]
    assert during, "no revert command left on the breaching message"
    assert during[0] == FIRST_REVERT[rig.spec.name]
    await run_for(rig, 900)
    assert not set(rig.published()) & SUB_COMMANDS[rig.spec.name]
    assert rig.supervisor.last["reason"] == "cell_over_voltage"
    await run_for(rig, 600)
    assert rig.priorities() == EVERYDAY


# ---- 5: Home Assistant stopping during the engage -----------------------------------------


async def test_stopping_during_the_engage_sends_no_further_lever(
    hass: HomeAssistant, rig: Rig
) -> None:
    """The stop handler runs while charger priority waits for its read-back: output priority
    SUB is never sent. The charger lever, applied late while Home Assistant is down, is put
    back by the next start (the run stays on record as active until then)."""
    rig.twin.faults.delay(30, count=1, setting=Setting.CHARGER_PRIORITY)
    response = await rig.call("run_calibration")
    assert response is not None
    await rig.advance(5)
    assert rig.phase == "engaging"
    before = len(rig.published())
    stop = hass.async_create_task(rig.supervisor._on_stop(Event(EVENT_HOMEASSISTANT_STOP)))
    await _drive_until(rig, stop)
    await stop
    await run_for(rig, 120)
    assert not set(rig.published()[before:]) & SUB_COMMANDS[rig.spec.name]
    assert all(out is OutputPriority.SBU for out, _ in rig.priorities())
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "engaging"

    await rig.unload()
    await rig.set_up_again()
    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
    assert all(charger is ChargerPriority.SOLAR_FIRST for _, charger in rig.priorities())
    assert rig.supervisor.last["reason"] == "interrupted"


# ---- 6: a defect while judging an update --------------------------------------------------


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_defect_while_judging_stops_the_run_and_reverts(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Judging an update raises (a defect in the decisions, here the bulk phase's absorption
    test): the run does not go on blind. It stops with reason ``error`` on that update, the
    levers are put back and confirmed, and the log says why."""
    await start_and_engage(rig)
    with patch(
        "custom_components.eg4.calibration.machine.absorbing",
        side_effect=ZeroDivisionError("float division by zero"),
    ):
        await rig.advance(STEP_S)
        assert rig.phase == "reverting"
        await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the revert")
    assert rig.supervisor.last["reason"] == "error"
    assert rig.supervisor.last["outcome"] == "aborted"
    assert "ZeroDivisionError: float division by zero" in rig.supervisor.last["detail"]
    assert rig.priorities() == EVERYDAY
    assert rig.twin.grid_charge_a == 0
    assert revert_issue(rig) is None
    assert "judging an update failed" in caplog.text
    notes = [n["message"] for key, n in rig.notifications.items() if key.startswith(DOMAIN)]
    assert notes, rig.notifications
