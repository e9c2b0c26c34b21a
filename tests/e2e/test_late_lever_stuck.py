"""A late lever the inverters refuse to take back: it stays the bank's problem until it is gone.

The late-lever watch (``test_calibration_faults``) puts back a lever that lands after its run
ended. When the inverters refuse the undo, the lever is *stuck*: the critical issue stands and
eg4 keeps trying. These tests hold what must stay true meanwhile: no new supervised run saves
the stuck lever as the everyday setting (and, confirming its own revert, clears the alarm); the
undo is retried at the revert's rhythm, not on every report; and a restart after the watch ran
out still knows the lever and puts it back.
In process, on the mocked MQTT client with the twin's face answering (``twin_rig.Rig``).
"""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.diagnostics import async_get_config_entry_diagnostics
from custom_components.eg4.supervisor.revert import REVERT_RETRY_S
from simulator import ChargerPriority, Setting

from .calibration_view import panel
from .test_calibration_faults import engage_fails_on_a_late_charger_lever, revert_issue, run_for
from .test_calibration_twin import EVERYDAY, rig  # noqa: F401 - fixture
from .twin_rig import Rig, deadline_in

pytestmark = pytest.mark.parametrize("profile", ["powermon_lvx"])


def stored_stuck(rig: Rig) -> int:
    """How many levers the stored record (what a restart resumes) has as stuck."""
    stored = rig.stored
    assert stored is not None
    watch = stored["late_watch"]
    return 0 if watch is None else len(watch["stuck"])


def charger_commands(rig: Rig) -> int:
    """Commands sent to charger priority so far."""
    return sum("charger_priority" in topic for topic, _ in rig.published())


async def a_stuck_late_lever(rig: Rig) -> object:
    """The late charger lever lands at 90 s and the firmware refuses to take it back: the
    undo's three attempts fail and the critical issue stands. The refusal rule is returned."""
    await engage_fails_on_a_late_charger_lever(rig)
    refuse = rig.twin.faults.nak_setting(Setting.CHARGER_PRIORITY, count=None)
    for _ in range(120):  # the bridge reports every 5 s
        await rig.advance(5)
        if revert_issue(rig) is not None:
            break
    assert revert_issue(rig) is not None
    assert rig.priorities()[0][1] is ChargerPriority.SOLAR_AND_UTILITY  # the lever is on
    assert stored_stuck(rig) == 2  # both units: stored at once
    return refuse


@pytest.mark.parametrize(
    ("action", "data", "refusal"),
    [
        ("run_calibration", {}, "preflight_failed"),
        ("charge_to", {"target_soc": 90}, "run_preflight_failed"),
    ],
)
async def test_no_run_starts_on_top_of_a_stuck_late_lever(
    rig: Rig, action: str, data: dict[str, object], refusal: str
) -> None:
    """A new run would save the stuck lever as the everyday setting, put that back at its end,
    and clear the alarm: the grid charge would stay on for good. It is refused instead, in
    words that name the lever, and nothing is sent."""
    await a_stuck_late_lever(rig)
    if action == "charge_to":
        data = {**data, "deadline": deadline_in(6)}
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as caught:
        await rig.call(action, **data)
    assert caught.value.translation_key == refusal
    settings = "inverter 1 charger_priority, inverter 2 charger_priority"
    assert f"late_lever_on (settings: {settings})" in str(caught.value)
    assert rig.supervisor.run is None
    assert rig.published()[sent:] == []
    assert revert_issue(rig) is not None


async def test_no_other_entry_starts_a_run_on_top_of_it(hass: HomeAssistant, rig: Rig) -> None:
    """A second entry may reach the same inverters: it is refused too, naming the entry that
    has the stuck lever."""
    await a_stuck_late_lever(rig)
    other = MockConfigEntry(
        domain=DOMAIN, title="EG4 again", data=dict(rig.entry.data), unique_id="second"
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await run_for(rig, 30, step=5)  # the second entry hears the same bridge
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as caught:
        await rig.call("run_calibration", config_entry_id=other.entry_id)
    assert caught.value.translation_key == "late_lever_elsewhere"
    assert rig.entry.title in str(caught.value)
    assert "inverter 1 charger_priority" in str(caught.value)
    assert rig.published()[sent:] == []
    assert await hass.config_entries.async_unload(other.entry_id)


async def test_diagnostics_list_the_stuck_lever(hass: HomeAssistant, rig: Rig) -> None:
    """What support reads: the stuck levers, then none once the firmware took them back."""
    refuse = await a_stuck_late_lever(rig)
    found = await async_get_config_entry_diagnostics(hass, rig.entry)
    assert found["calibration"]["late_levers_stuck"] == [
        "inverter 1 charger_priority",
        "inverter 2 charger_priority",
    ]
    rig.twin.faults.nak_rules.remove(refuse)
    await run_for(rig, REVERT_RETRY_S + 60, step=5)
    found = await async_get_config_entry_diagnostics(hass, rig.entry)
    assert found["calibration"]["late_levers_stuck"] == []


async def test_a_dry_run_names_the_stuck_late_lever(rig: Rig) -> None:
    """A dry run answers (nothing refused) and lists the stuck lever among its failed checks."""
    await a_stuck_late_lever(rig)
    response = await rig.call("run_calibration", dry_run=True)
    assert response is not None
    assert response["preflight"]["ok"] is False
    [check] = [c for c in response["preflight"]["failed_checks"] if c["check"] == "late_lever_on"]
    assert check["settings"] == "inverter 1 charger_priority, inverter 2 charger_priority"


async def test_a_refused_undo_is_tried_again_at_the_reverts_rhythm(rig: Rig) -> None:
    """After three refused attempts the undo waits the revert's retry interval (5 minutes)
    before its next round, as the run's own revert does: the reports in between start none
    (and do not raise the alarm again each time)."""
    await a_stuck_late_lever(rig)
    before = charger_commands(rig)
    await run_for(rig, REVERT_RETRY_S - 20, step=5)
    assert charger_commands(rig) == before
    await run_for(rig, 40, step=5)
    assert charger_commands(rig) > before


async def test_a_restart_after_the_watch_still_puts_a_stuck_lever_back(rig: Rig) -> None:
    """The watch (15 minutes) runs out while the lever is stuck, and Home Assistant restarts:
    the lever is still known, still refuses new runs, and is put back once the firmware takes
    it; then the critical issue goes."""
    refuse = await a_stuck_late_lever(rig)
    await run_for(rig, 20 * 60, step=10)
    assert rig.priorities()[0][1] is ChargerPriority.SOLAR_AND_UTILITY
    await rig.unload()
    await rig.set_up_again()
    await run_for(rig, 30, step=5)  # fresh telemetry after the restart
    with pytest.raises(ServiceValidationError) as caught:
        await rig.call("run_calibration")
    assert "late_lever_on" in str(caught.value)
    rig.twin.faults.nak_rules.remove(refuse)  # the firmware would take it now
    await run_for(rig, REVERT_RETRY_S + 300, step=5)
    assert rig.priorities() == EVERYDAY
    assert revert_issue(rig) is None


async def test_a_stuck_lever_set_back_at_the_panel_is_off(rig: Rig) -> None:
    """The owner puts charger priority back at the inverter's panel: at the next report the
    lever is off, so the critical issue goes, a new run may start, and nothing more is sent
    for it."""
    refuse = await a_stuck_late_lever(rig)
    before = charger_commands(rig)
    rig.twin.faults.nak_rules.remove(refuse)  # (the panel goes through the firmware too)
    panel(rig.twin, Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST)
    await run_for(rig, 10, step=5)
    assert revert_issue(rig) is None
    assert stored_stuck(rig) == 0  # a restart now would not refuse runs until a report
    response = await rig.call("run_calibration", dry_run=True)
    assert response is not None
    assert [c["check"] for c in response["preflight"]["failed_checks"]] == []
    await run_for(rig, REVERT_RETRY_S + 60, step=5)
    assert charger_commands(rig) == before
    assert rig.priorities() == EVERYDAY
