"""The supervised calibration charge against the digital twin, for both MQTT bridges.

In process and deterministic, on Home Assistant's mocked MQTT client (``twin_rig.Rig``): time
moves only with the twin, and ``Rig.advance`` runs the timers that fall due (the supervisor's
30-s tick, the hold times, write confirmations, revert back-offs and retries).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from unittest.mock import Mock, patch

import pytest
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockPahoClient

from custom_components.eg4.const import DEFAULT_CONFIRM_TIMEOUT, DOMAIN
from simulator import ChargerPriority, Message, OutputPriority, Setting, build_twin
from simulator.faults import NakRule

from .calibration_view import SUCCESS_EVENTS, SUCCESS_PHASES, assert_lever_changed_notified, panel
from .system import PROFILES
from .twin_rig import BULK_STEP_S, STEP_S, Rig, StartRig, distinct, settle

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CALIBRATING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2
# The first command of every revert: output priority back to SBU (it ends the grid charge).
FIRST_REVERT = {
    "powermon_lvx": ("solar/control/lvx6048/output_priority", "solar_battery_utility"),
    "solar_assistant": (
        "solar_assistant/inverter_1/output_source_priority/set",
        "Solar/Battery/Utility",
    ),
}
# What a revert publishes at once: its first setting, to every unit (lvx-control: one command
# for both; Solar Assistant: one per unit, sent together).
REVERT_AT_ONCE = {
    "powermon_lvx": [FIRST_REVERT["powermon_lvx"]],
    "solar_assistant": [
        (f"solar_assistant/inverter_{n}/output_source_priority/set", "Solar/Battery/Utility")
        for n in (1, 2)
    ],
}
STARTS_THE_CHARGE = {
    "powermon_lvx": {("solar/control/lvx6048/output_priority", "solar_utility_battery")},
    "solar_assistant": {
        (f"solar_assistant/inverter_{n}/output_source_priority/set", "Solar/Utility/Battery")
        for n in (1, 2)
    },
}


@pytest.fixture(autouse=True)
async def close_mqtt_socket(mqtt_client_mock: MqttMockPahoClient) -> AsyncIterator[None]:
    """Close the mocked broker socket at teardown (Home Assistant 2025.4 needs it).

    Its MQTT client cancels its one-second housekeeping timer only when the socket closes,
    which the mocked client never does (see tests/integration/conftest.py).
    """
    yield
    on_socket_close = mqtt_client_mock.on_socket_close
    if not isinstance(on_socket_close, Mock):
        on_socket_close(mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1)))


@pytest.fixture
async def rig(
    start_rig: StartRig,
    profile: str,
    scenario: str,
    twin_options: dict[str, float],
) -> AsyncIterator[Rig]:
    """The eg4 entry on the mocked MQTT client, the twin's face answering its commands."""
    spec = PROFILES[profile]
    twin = build_twin(scenario, inverters=2, packs=6, seed=0, **twin_options)
    async with start_rig(
        spec,
        twin,
        title=spec.title,
        unique_id=f"twin:{profile}",
        kind=Rig,
    ) as rig:
        yield rig


async def start_and_engage(rig: Rig) -> str:
    """Start a grid calibration and drive it until the bank charges (bulk); the run id."""
    response = await rig.call("run_calibration")
    assert response is not None
    assert response["preflight"]["ok"] is True
    run_id = str(response["run_id"])
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    assert rig.priorities() == CALIBRATING
    assert rig.twin.grid_charge_a > 100  # 2 units x 60 A from the grid
    assert all(pack.current_a > 5 for pack in rig.twin.packs)
    return run_id


async def engage_then_fail_the_revert(rig: Rig) -> NakRule:
    """Engage, then cancel while the firmware refuses SBU for good: the run ends failed.

    Returns the refusal rule (remove it and the device takes the revert).
    """
    await start_and_engage(rig)
    rule = rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None)
    task = rig.start("cancel_calibration")
    await rig.drive(task.done, limit_s=6 * DEFAULT_CONFIRM_TIMEOUT + 300, what="the cancel")
    assert (await task)["outcome"] == "failed"
    return rule


async def stop_handler_reverts(rig: Rig) -> None:
    """Run the supervisor's stop handler while the bridge reports; the settings are back.

    Called directly: firing the real stop event would also stop the test's MQTT client.
    """
    stop = rig.hass.async_create_task(rig.supervisor._on_stop(Event(EVENT_HOMEASSISTANT_STOP)))
    for _ in range(5):  # it has 25 s: the bridge reads back every 5 s
        if stop.done():
            break
        await rig.advance(5)
    await stop
    assert rig.priorities() == EVERYDAY


async def complete_revert(rig: Rig, *, limit_s: float = 600) -> None:
    """Answer the revert's writes with read-backs (time passing) until the run is over."""
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=limit_s, what="run over")


# ---- a drifted bank, re-anchored -----------------------------------------------------------


async def test_drifted_bank_is_re_anchored_and_everyday_settings_restored(rig: Rig) -> None:
    """Grid method: charge, absorb, taper, verify the re-anchor, revert, confirm."""
    await rig.advance(STEP_S)  # the drift figures follow the supervisor's tick
    assert rig.state("soc_spread").state == "25.0"
    assert rig.state("soc_drift", "binary_sensor").state == "on"
    run_id = await start_and_engage(rig)

    took = await rig.drive(lambda: rig.supervisor.run is None, what="the calibration to end")
    assert 2.5 * 3600 < took < 4 * 3600

    # Every pack re-anchored; the settings are back, confirmed by read-back.
    assert all(soc >= 99 for soc in rig.twin.soc_readings()), rig.twin.soc_readings()
    assert all(pack.bms.anchors >= 1 for pack in rig.twin.packs)
    assert rig.priorities() == EVERYDAY
    assert FIRST_REVERT[rig.spec.name] in rig.commands  # the revert went through the bridge

    # The record: succeeded, spread before ~25 points, after <= 1.
    last = rig.supervisor.last
    assert last["run_id"] == run_id
    assert last["outcome"] == "succeeded"
    assert last["reason"] == "completed"
    assert last["interrupted"] is False
    assert 20 <= last["soc_spread_before"] <= 26
    assert last["soc_spread_after"] <= 1
    assert last["max_cell_voltage"] < 3.6
    phases = {entry["phase"]: entry["at"] for entry in last["phases"]}
    assert list(phases) == SUCCESS_PHASES
    assert phases["verifying"] - phases["absorption"] >= 600  # the taper held 10 minutes
    assert phases["reverting"] - phases["verifying"] >= 300  # the re-anchor held 5 minutes

    result = rig.state("last_calibration_result")
    assert result.state == "succeeded"
    assert result.attributes["run_id"] == run_id
    assert 20 <= result.attributes["soc_spread_before_pct"] <= 26
    assert result.attributes["soc_spread_after_pct"] <= 1
    assert result.attributes["interrupted"] is False
    assert rig.state("last_calibration").state not in ("unknown", "unavailable")
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None
    assert stored["last"]["outcome"] == "succeeded"

    # One event per phase change; the state sensor followed them and is idle again.
    assert rig.phases_fired() == SUCCESS_EVENTS
    assert distinct(rig.phases) == [
        "engaging",
        "bulk",
        "absorption",
        "verifying",
        "reverting",
        "idle",
    ]
    assert float(rig.state("soc_spread").state) <= 1
    assert rig.state("soc_drift", "binary_sensor").state == "off"
    assert (
        ir.async_get(rig.hass).async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}")
        is None
    )
    ended = await rig.assert_ending_told(
        "succeeded",
        title="calibration succeeded",
        message=(
            r"Every battery re-anchored in [23] h \d\d min\. State-of-charge spread: "
            r"2[0-6](\.\d)? points before, [01](\.\d)? after; the highest cell reached "
            r"3\.[45]\d? V\. The everyday settings are back, confirmed by read-back\."
        ),
        logbook=(
            r"succeeded in [23] h \d\d min: state-of-charge spread 2[0-6](\.\d)? → "
            r"[01](\.\d)? points"
        ),
    )
    assert ended.data["duration_min"] == round(last["duration_s"] / 60, 1)
    assert ended.data["soc_spread_before_pct"] == round(last["soc_spread_before"], 1)
    assert ended.data["packs_reanchored"] == [1, 2, 3, 4, 5, 6]
    assert ended.data["settings_restored"] is True


# ---- breaches ------------------------------------------------------------------------------


# Where each profile publishes the reading that breaches (pack 3's temperatures, pack 2's
# highest cell).
BREACH_TOPICS = {
    ("hot", "powermon_lvx"): "homeassistant/sensor/lifepower4_3_temperature",
    ("hot", "solar_assistant"): "solar_assistant/battery_3/temperature/state",
    ("cell_runaway", "powermon_lvx"): "homeassistant/sensor/lifepower4_2_cell_voltage_max/",
    ("cell_runaway", "solar_assistant"): "solar_assistant/battery_2/cell_voltage_-_highest/",
}


DURATION = r"(\d h \d\d|\d+) min"  # how a notification words a run's length
# How each breach is worded (translations/en.json, stop_reason_<reason>).
BREACH_WORDS = {
    "over_temperature": "a battery got too warm",
    "cell_over_voltage": "a cell reached the voltage limit",
}


@pytest.mark.parametrize(
    ("scenario", "reason", "source"),
    [("hot", "over_temperature", "pack_3"), ("cell_runaway", "cell_over_voltage", "pack_2")],
)
async def test_breach_reverts_on_the_message_that_carries_it(
    rig: Rig, scenario: str, reason: str, source: str
) -> None:
    """The revert command leaves while the breaching message is handled; then confirmed."""
    run_id = await start_and_engage(rig)
    breaching: Message | None = None
    during: list[tuple[str, str]] = []  # published while that one message was handled
    before = 0
    elapsed = 0.0
    while breaching is None:
        assert elapsed < 5 * 3600, "no breach"
        step = BULK_STEP_S if rig.twin.pack(2).cell_max < 3.5 else STEP_S
        rig.tick(step)
        elapsed += step
        for message in rig.face.telemetry():  # one message at a time, as the broker does
            before = len(rig.published())
            async_fire_mqtt_message(rig.hass, message.topic, message.payload)
            if rig.phase == "reverting":
                breaching = message
                during = rig.published()[before:]
                break
        if breaching is None:
            async_fire_time_changed(rig.hass)
            await settle()

    assert breaching.topic.startswith(BREACH_TOPICS[scenario, rig.spec.name]), breaching
    # Handled on that message: the first revert commands left before the handler returned,
    # so they are out before the test's next await gives control back.
    assert during == REVERT_AT_ONCE[rig.spec.name]
    await asyncio.sleep(0)
    assert rig.published()[before:][: len(during)] == REVERT_AT_ONCE[rig.spec.name]
    run = rig.supervisor.run
    assert run.reason.value == reason
    assert source in run.detail

    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
    rig.assert_aborted(run_id, reason, source)
    assert rig.state("last_calibration_result").attributes["reason"] == reason
    words = BREACH_WORDS[reason]
    await rig.assert_ending_told(
        "aborted",
        title="calibration stopped",
        message=(
            rf"The calibration stopped during (Bulk charge|Absorption) after {DURATION}: "
            rf"{words} \({reason} {source}: [^)]+\)\. The everyday settings are back, confirmed by "
            r"read-back\. State-of-charge spread: \d+(\.\d)? points before, \d+(\.\d)? at "
            r"the end\."
        ),
        logbook=rf"stopped during (Bulk charge|Absorption) after {DURATION}: {words}",
    )
    # Stopped in time: no pack's BMS had to protect itself.
    assert all(not pack.bms.protection_list() for pack in rig.twin.packs)


async def test_a_second_run_soon_after_the_first_keeps_its_levers(rig: Rig) -> None:
    """A calibration started minutes after the last one was reverted is not undone.

    After a confirmed revert the supervisor watches for a lever the inverters apply late; the
    next run's own lever writes are not late levers of the last run.
    """
    await start_and_engage(rig)
    task = rig.start("cancel_calibration")
    await rig.drive(task.done, limit_s=6 * DEFAULT_CONFIRM_TIMEOUT + 300, what="the cancel")
    assert rig.priorities() == EVERYDAY
    await rig.advance(60)
    run_id = await start_and_engage(rig)
    for _ in range(10):  # ten minutes, inside the last run's watch for late levers
        await rig.advance(60)
    assert rig.supervisor.run is not None
    assert rig.supervisor.run.run_id == run_id
    assert rig.supervisor.run.reason is None, (rig.supervisor.run.reason, rig.supervisor.run.detail)
    assert rig.phase == "bulk"
    assert rig.priorities() == CALIBRATING


# ---- reverts the device refuses ------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["revert_nak"])
async def test_refused_revert_is_retried_until_restored(rig: Rig) -> None:
    """The firmware NAKs the first SUB -> SBU; the retry restores the everyday settings."""
    run_id = await start_and_engage(rig)
    sent = len(rig.commands)
    task = rig.start("cancel_calibration")
    await settle()
    assert rig.commands[sent] == FIRST_REVERT[rig.spec.name]
    assert [entry.accepted for entry in rig.twin.journal if "SBU" in entry.request][:1] == [False]
    # lvx-control has no ack topic: the NAK shows as a missing read-back.
    await rig.drive(task.done, limit_s=6 * DEFAULT_CONFIRM_TIMEOUT + 300, what="the cancel")
    result = await task
    assert result is not None
    assert result["run_id"] == run_id
    assert result["confirmed"] is True
    assert result["outcome"] == "aborted"
    assert rig.priorities() == EVERYDAY
    assert rig.commands.count(FIRST_REVERT[rig.spec.name]) >= 2  # sent again
    assert rig.supervisor.last["outcome"] == "aborted"
    assert rig.supervisor.last["reason"] == "cancelled"
    assert "revert_failed" not in rig.phases_fired()
    assert (
        ir.async_get(rig.hass).async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}")
        is None
    )


def assert_failed_and_repair_raised(rig: Rig) -> None:
    """Failed, not succeeded: event, state, record, critical repair issue and notification."""
    assert rig.phases_fired()[-3:] == ["reverting", "failed", "revert_failed"]
    assert "succeeded" not in rig.phases_fired()
    assert "aborted" not in rig.phases_fired()
    assert rig.phase == "failed"
    assert rig.state("calibration_state").state == "failed"
    assert rig.supervisor.last["outcome"] == "failed"
    assert "output_priority" in rig.supervisor.last["revert_detail"]
    assert rig.state("last_calibration_result").state == "failed"
    issue_id = f"revert_failed_{rig.entry.entry_id}"
    issue = ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert issue.translation_key == "revert_failed"
    assert issue.is_persistent
    assert "output_priority" in issue.translation_placeholders["detail"]
    notification = rig.notifications.get(f"{DOMAIN}_revert_{rig.entry.entry_id}")
    assert notification is not None
    assert notification["title"] == "EG4 calibration: settings not restored"
    assert notification["message"] == (
        f"{rig.entry.title}: the calibration could not confirm that the everyday settings were "
        f"restored ({issue.translation_placeholders['detail']}). Check the output and charger "
        "priority on the inverters now. Home Assistant keeps retrying while the integration is "
        "loaded, and removes this notification once read-back confirms the settings."
    )
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "failed"  # kept: a restart retries the revert
    assert stored["last"]["outcome"] == "failed"


async def test_revert_never_accepted_is_a_critical_repair(rig: Rig) -> None:
    """A device that refuses output priority for good: failed, repair, notification, retries.

    Charger priority is restored all the same (it ends the grid charge on its own), and a new
    calibration is refused until the revert is confirmed. When the device finally accepts,
    the retry restores the settings and clears the repair; the run stays recorded as failed.
    """
    run_id = await start_and_engage(rig)
    await rig.advance(BULK_STEP_S)
    rule = rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None)
    task = rig.start("cancel_calibration")
    await rig.drive(task.done, limit_s=6 * DEFAULT_CONFIRM_TIMEOUT + 300, what="the cancel")
    result = await task
    assert result is not None
    assert result["run_id"] == run_id
    assert result["confirmed"] is False
    assert result["outcome"] == "failed"

    assert_failed_and_repair_raised(rig)
    ended = await rig.assert_ending_told(
        "revert_failed",
        title="calibration settings not restored",
        message=(
            r"The calibration ended during Bulk charge, but the everyday settings could not be "
            r"confirmed back \(output_priority: .+\)\. Check the output and charger priority "
            r"on the inverters now; Home Assistant keeps retrying\."
        ),
        logbook=(
            r"ended without its settings confirmed back \(output_priority: .+\): "
            r"check the inverters"
        ),
    )
    assert ended.data["settings_restored"] is False
    assert ended.data["reason"] == "cancelled"

    # The bank is on SUB still, but charger priority went back: the grid charge is over.
    assert rig.priorities() == [(OutputPriority.SUB, ChargerPriority.SOLAR_FIRST)] * 2
    await rig.advance(STEP_S)
    assert rig.twin.grid_charge_a == 0

    # No new run while the old one's settings are not confirmed restored.
    with pytest.raises(ServiceValidationError) as caught:
        await rig.call("run_calibration")
    assert caught.value.translation_key == "preflight_failed"
    assert "run_active" in str(caught.value)

    # Home Assistant keeps retrying (every 5 minutes); the device gives in.
    rig.twin.faults.nak_rules.remove(rule)
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the retry")
    assert rig.priorities() == EVERYDAY
    issue_id = f"revert_failed_{rig.entry.entry_id}"
    assert ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id) is None
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    assert rig.ending_notification == {
        "notification_id": f"{DOMAIN}_calibration_{rig.entry.entry_id}",
        "title": f"{rig.entry.title}: calibration settings restored",
        "message": (
            "A retry has put the everyday settings back after the calibration, confirmed by "
            "read-back. The inverters no longer need checking."
        ),
        "created_at": rig.ending_notification["created_at"],
    }
    assert rig.phases_fired()[-1] == "revert_confirmed"
    assert rig.state("calibration_state").state == "idle"
    assert rig.supervisor.last["outcome"] == "failed"  # what happened stays on record
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None


# ---- Home Assistant restarts mid-run -------------------------------------------------------


@pytest.mark.parametrize("twin_options", [{"true_soc": 0.95}])  # absorption within minutes
async def test_restart_during_absorption_reverts_at_startup(hass: HomeAssistant, rig: Rig) -> None:
    """The run was stored as active: the next start reverts and records the interruption."""
    run_id = await start_and_engage(rig)
    await rig.drive(lambda: rig.phase == "absorption", limit_s=3600, what="absorption")
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "absorption"

    # Home Assistant goes away while the bridge refuses every command: the unload's revert is
    # not confirmed, the run stays on record and the critical repair says so.
    refuse = NakRule(remaining=None)
    rig.twin.faults.nak_rules.append(refuse)
    await rig.unload()
    await rig.advance(STEP_S, publish=False)
    assert rig.priorities() == CALIBRATING
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "absorption"
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}")
    rig.twin.faults.nak_rules.remove(refuse)

    # ... and comes back on the same storage. The bridge publishes again half a minute later:
    # the revert waits for it (rather than failing for want of a read-back).
    await rig.set_up_again()
    assert rig.phase == "reverting"
    for _ in range(6):
        await rig.advance(5, publish=False)
    assert rig.phase == "reverting"
    await complete_revert(rig)

    assert rig.priorities() == EVERYDAY
    last = rig.supervisor.last
    assert last["run_id"] == run_id
    assert last["interrupted"] is True
    assert last["outcome"] == "aborted"
    assert last["reason"] == "interrupted"
    assert "absorption" in last["detail"]
    assert rig.phases_fired()[-2:] == ["reverting", "aborted"]
    result = rig.state("last_calibration_result")
    assert result.state == "aborted"
    assert result.attributes["interrupted"] is True
    assert rig.state("calibration_state").state == "idle"
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None
    assert stored["last"]["interrupted"] is True
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"revert_failed_{rig.entry.entry_id}") is None
    # The critical notification of the unconfirmed unload went with the confirmed revert.
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    ended = await rig.assert_ending_told(
        "interrupted",
        title="calibration interrupted",
        message=(
            r"Home Assistant restarted or the integration was reloaded during Absorption, "
            r"\d+ min into the calibration\. The run is over: the everyday settings are back, "
            r"confirmed by read-back\. Start a new calibration whenever you want one\."
        ),
        logbook=(
            r"was interrupted during Absorption by a restart or reload; the settings are back"
        ),
    )
    assert ended.data["reason"] == "interrupted"
    assert ended.data["stopped_in"] == "absorption"


async def test_stop_reverts_and_the_next_start_records_the_interruption(
    hass: HomeAssistant, rig: Rig
) -> None:
    """Home Assistant stopping mid-run restores the settings; the next start closes the run.

    (A real stop, on a real broker: ``test_calibration_broker.py``.)
    """
    run_id = await start_and_engage(rig)
    await stop_handler_reverts(rig)
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "bulk"  # still active on record: the next start decides

    await rig.unload()  # after the stop handler the supervisor does nothing more
    sent = len(rig.published())
    await rig.set_up_again()
    await complete_revert(rig)
    # The next start sends every saved value again, whatever the cached read-back says, and
    # only a read-back received after those commands closes the run: no lever among them.
    again = rig.published()[sent:]
    assert FIRST_REVERT[rig.spec.name] in again
    assert not set(again) & STARTS_THE_CHARGE[rig.spec.name]
    last = rig.supervisor.last
    assert last["run_id"] == run_id
    assert last["interrupted"] is True
    assert last["outcome"] == "aborted"
    assert rig.priorities() == EVERYDAY


async def test_stop_tries_a_failed_revert_once_more_and_then_watches_nothing(
    hass: HomeAssistant, rig: Rig
) -> None:
    """A run whose revert failed is tried again as Home Assistant stops.

    After the stop handler the supervisor neither ticks nor retries: the record it leaves is
    the one the next start reads.
    """
    rule = await engage_then_fail_the_revert(rig)
    rig.twin.faults.nak_rules.remove(rule)  # the firmware would take it now
    assert rig.priorities()[0][0] is OutputPriority.SUB

    await stop_handler_reverts(rig)
    stored = rig.stored
    assert stored is not None
    assert stored["run"]["phase"] == "failed"  # the next start confirms and closes it
    sent = len(rig.published())
    for _ in range(12):  # ten minutes: past the 5-minute retry and many ticks
        await rig.advance(STEP_S)
    assert rig.published()[sent:] == []
    assert rig.stored == stored


# ---- stops that are not breaches -----------------------------------------------------------


async def test_a_lever_changed_at_the_panel_aborts_and_reverts_the_rest(rig: Rig) -> None:
    """In absorption the owner switches output priority SUB -> SBU at the inverters' panel.

    The run aborts on the read-back that shows it (``lever_changed``, naming the setting and
    the unit), puts charger priority back, and leaves output priority as the owner set it:
    eg4 sends no output-priority command after the change.
    """
    run_id = await start_and_engage(rig)
    await rig.drive(lambda: rig.phase == "absorption", limit_s=5 * 3600, what="absorption")
    sent = len(rig.published())
    panel(rig.twin, Setting.OUTPUT_PRIORITY, OutputPriority.SBU)
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the abort")

    rig.assert_aborted(run_id, "lever_changed", "output_priority: sub -> sbu")
    assert rig.priorities() == EVERYDAY
    after = rig.published()[sent:]
    assert after, "the other lever was not put back"
    assert all("charger" in topic for topic, _ in after), after
    assert rig.state("last_calibration_result").attributes["reason"] == "lever_changed"
    assert_lever_changed_notified(rig, "Output priority")
    # The watch for late levers leaves the owner's setting alone too.
    await rig.advance(STEP_S)
    panel(rig.twin, Setting.OUTPUT_PRIORITY, OutputPriority.SUB)
    await rig.advance(STEP_S)
    await rig.advance(STEP_S)
    assert rig.priorities() == [(OutputPriority.SUB, ChargerPriority.SOLAR_FIRST)] * 2


async def test_settings_taken_but_no_grid_is_did_not_engage(rig: Rig) -> None:
    """A grid outage: the inverters take SUB + solar_and_utility, the bank never charges.

    Ten minutes after the writes were confirmed the run gives up ("did not engage") and puts
    the everyday settings back.
    """
    rig.twin.grid_available = False
    response = await rig.call("run_calibration")
    assert response is not None
    run_id = response["run_id"]
    await rig.drive(lambda: rig.priorities() == CALIBRATING, limit_s=300, what="the writes")
    took = await rig.drive(
        lambda: rig.phase in ("reverting", "idle"), limit_s=1800, what="the give-up"
    )
    assert 600 <= took <= 900
    assert rig.twin.grid_charge_a == 0
    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
    last = rig.supervisor.last
    assert last["run_id"] == run_id
    assert last["outcome"] == "aborted"
    assert last["reason"] == "did_not_engage"
    assert "bulk" not in [entry["phase"] for entry in last["phases"]]
    assert rig.state("last_calibration_result").attributes["reason"] == "did_not_engage"


async def test_max_duration_stops_a_charge_that_takes_too_long(rig: Rig) -> None:
    """A one-hour limit on a bank that needs three: stopped at the hour, and reverted."""
    response = await rig.call("run_calibration", max_duration={"hours": 1})
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    took = await rig.drive(lambda: rig.phase != "bulk", limit_s=2 * 3600, what="the limit")
    assert took < 3600
    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
    last = rig.supervisor.last
    assert last["outcome"] == "aborted"
    assert last["reason"] == "max_duration"
    phases = {entry["phase"]: entry["at"] for entry in last["phases"]}
    assert 3600 <= phases["reverting"] - phases["engaging"] <= 3600 + 2 * BULK_STEP_S
    assert all(soc < 99 for soc in rig.twin.soc_readings())  # it really was cut short


async def test_silence_mid_charge_stops_and_reverts_when_the_bridge_returns(rig: Rig) -> None:
    """The bridge goes quiet during bulk (its commands still work): the run stops, not blind.

    The revert is sent at once, silence or not, and confirmed by the first read-back after
    the silence (the run's record is not "failed": it was confirmed within its attempts).
    """
    await start_and_engage(rig)
    rig.twin.add_dropout(rig.twin.clock_s, 8 * 60)
    sent = len(rig.commands)
    took = await rig.drive(lambda: rig.phase != "bulk", limit_s=900, what="the stop")
    assert took <= 180 + 60  # the stale timeout (180 s) and one tick
    assert rig.supervisor.run.reason.value == "telemetry_stale"
    # Still silent, and the first revert command is already on the inverters: back to SBU,
    # which ends the grid charge. (Charger priority follows once that command's read-back is
    # given up on: each setting waits for its confirmation before the next is sent.)
    assert rig.twin.telemetry_suppressed()
    assert rig.commands[sent] == FIRST_REVERT[rig.spec.name]
    assert all(output is OutputPriority.SBU for output, _ in rig.priorities())
    await rig.advance(STEP_S)
    assert rig.twin.grid_charge_a == 0
    await complete_revert(rig, limit_s=1800)
    assert rig.priorities() == EVERYDAY
    last = rig.supervisor.last
    assert last["outcome"] == "aborted"
    assert last["reason"] == "telemetry_stale"
    issue_id = f"revert_failed_{rig.entry.entry_id}"
    assert ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id) is None


async def test_lever_refused_is_engage_failed_and_the_first_lever_undone(rig: Rig) -> None:
    """The firmware refuses SUB: the run stops before any grid charge and puts back charger
    priority, which it had already changed."""
    rig.twin.faults.nak_setting(Setting.OUTPUT_PRIORITY, count=None)
    response = await rig.call("run_calibration")
    assert response is not None
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the stop")
    assert rig.priorities() == EVERYDAY
    assert rig.twin.grid_charge_a == 0
    last = rig.supervisor.last
    assert last["outcome"] == "aborted"
    assert last["reason"] == "engage_failed"
    assert "output_priority" in last["detail"]
    assert [entry["phase"] for entry in last["phases"]] == [
        "preflight",
        "engaging",
        "reverting",
        "aborted",
    ]


async def test_failed_revert_is_retried_after_a_restart(hass: HomeAssistant, rig: Rig) -> None:
    """A run that ended failed (revert never confirmed) is retried when Home Assistant starts.

    Once the device takes it, the critical repair issue and the notification go away; the
    run stays on record as failed.
    """
    rule = await engage_then_fail_the_revert(rig)
    assert_failed_and_repair_raised(rig)

    await rig.unload()  # the unload tries once more, still refused: the run stays failed
    rig.twin.faults.nak_rules.remove(rule)  # the firmware would take it now; still on SUB
    assert rig.priorities()[0][0] is OutputPriority.SUB
    await rig.set_up_again()
    assert rig.phase == "failed"  # still waiting for a confirmed revert
    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
    issue_id = f"revert_failed_{rig.entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    assert rig.ending_notification == {
        "notification_id": f"{DOMAIN}_calibration_{rig.entry.entry_id}",
        "title": f"{rig.entry.title}: calibration settings restored",
        "message": (
            "A retry has put the everyday settings back after the calibration, confirmed by "
            "read-back. The inverters no longer need checking."
        ),
        "created_at": rig.ending_notification["created_at"],
    }
    assert rig.phases_fired()[-1] == "revert_confirmed"
    assert rig.supervisor.last["outcome"] == "failed"
    stored = rig.stored
    assert stored is not None
    assert stored["run"] is None


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_stale_read_back_after_the_revert_is_checked_again_not_failed(
    rig: Rig,
) -> None:
    """A late answer shows unit 2 back on SUB just as the revert is confirmed.

    Every write was confirmed, so the run does not fail on it: another attempt sends every
    saved value again and the next read-back (SBU) confirms it, so the cancel ends as aborted
    (not failed, no repair issue).
    """
    run_id = await start_and_engage(rig)
    stale = (
        "homeassistant/sensor/lvx6048_2_output_source_priority/state",
        "Solar - Utility - Battery",
    )
    task = rig.start("cancel_calibration")
    await settle()
    assert rig.commands[-1] == FIRST_REVERT["powermon_lvx"]
    await rig.readback()  # output priority confirmed; charger priority sent
    assert rig.commands[-1] == ("solar/control/lvx6048/charger_priority", "solar_first")
    rig.publish()  # charger priority confirmed ...
    async_fire_mqtt_message(rig.hass, *stale)  # ... and a late answer arrives before it is judged
    await settle()
    sent = rig.commands.count(FIRST_REVERT["powermon_lvx"])
    await rig.drive(task.done, limit_s=300, what="the cancel")
    result = await task
    assert result is not None
    assert result["run_id"] == run_id
    assert result["confirmed"] is True
    assert result["outcome"] == "aborted"
    assert rig.commands.count(FIRST_REVERT["powermon_lvx"]) == sent + 1  # sent again
    assert rig.priorities() == EVERYDAY
    assert "revert_failed" not in rig.phases_fired()
    assert rig.supervisor.last["outcome"] == "aborted"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_read_back_that_keeps_differing_fails_the_revert_loudly(rig: Rig) -> None:
    """After every confirmed attempt a late answer shows unit 2 on SUB again, three times.

    The run fails and the critical issue stands (the owner must look at the inverters), and
    Home Assistant keeps trying: once the answers agree, a retry confirms the revert, the
    issue goes and the owner is told the settings are back.
    """
    await start_and_engage(rig)
    stale = (
        "homeassistant/sensor/lvx6048_2_output_source_priority/state",
        "Solar - Utility - Battery",
    )
    disagree = [True]
    publish = rig.publish

    def publish_then_disagree() -> None:
        publish()
        if disagree[0]:
            async_fire_mqtt_message(rig.hass, *stale)

    with patch.object(rig, "publish", publish_then_disagree):
        task = rig.start("cancel_calibration")
        await rig.drive(task.done, limit_s=600, what="the cancel")
        result = await task
        assert result is not None
        assert result["outcome"] == "failed"
        assert result["confirmed"] is False
        issue_id = f"revert_failed_{rig.entry.entry_id}"
        assert ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id) is not None
        assert f"{DOMAIN}_revert_{rig.entry.entry_id}" in rig.notifications
        assert rig.supervisor.last["outcome"] == "failed"

        disagree[0] = False
        await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the retry")
    assert ir.async_get(rig.hass).async_get_issue(DOMAIN, issue_id) is None
    assert f"{DOMAIN}_revert_{rig.entry.entry_id}" not in rig.notifications
    notification = rig.ending_notification
    assert notification is not None
    assert notification["title"] == f"{rig.entry.title}: calibration settings restored"
    assert rig.priorities() == EVERYDAY
