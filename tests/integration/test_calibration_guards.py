"""What keeps a calibration's promise around its edges: held levers, a record that must be
saved before the first write, one run per system, a defect while judging an update, and the
run clock."""

from __future__ import annotations

import time
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.file import WriteError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.clock import Clock
from custom_components.eg4.const import DOMAIN
from tests.e2e.twin_rig import settle

from .conftest import POWERMON_DATA
from .test_calibration_actions import (  # noqa: F401 - fixtures
    CANCEL,
    EVERYDAY,
    RUN,
    Bench,
    bench,
    profile,
    scenario,
)


@pytest.mark.parametrize(
    ("key", "value"), [("output_priority", "sbu"), ("charger_priority", "solar_first")]
)
async def test_a_held_lever_is_refused_while_the_run_holds_it(
    bench: Bench, key: str, value: str
) -> None:
    """Changing a lever from the dashboard mid-run is refused, naming the run; nothing is sent.

    Both MQTT profiles (the ``profile`` fixture); the cloud's levers are refused the same way
    (tests/e2e/test_calibration_cloud.py).
    """
    response = await bench.call(RUN)
    assert response is not None
    await bench.engage()
    sent = len(bench.published())
    await bench.assert_held(response["run_id"], "select", key, value)
    assert bench.published()[sent:] == []
    assert bench.supervisor.run.phase.value == "bulk"
    # Once the run is over the owner may set it again.
    task = bench.start(CANCEL)
    await bench.drive(task.done, limit_s=600, what="the cancel")
    await bench.write_lever("select", key, value)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_run_whose_record_cannot_be_saved_is_refused(bench: Bench) -> None:
    """Home Assistant's store swallows write errors: the run checks, and writes nothing."""
    with (
        patch(
            "homeassistant.helpers.storage.Store._async_write_data",
            side_effect=WriteError("disk full"),
        ),
        pytest.raises(Exception) as caught,  # noqa: PT011 - the translated error below
    ):
        await bench.call(RUN)
    assert getattr(caught.value, "translation_key", None) == "record_not_saved"
    assert "disk full" in str(caught.value)
    assert bench.supervisor.run is None
    assert bench.published() == []
    await settle()
    assert bench.priorities() == EVERYDAY


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_one_run_per_system_across_entries(hass: HomeAssistant, bench: Bench) -> None:
    """A second entry (it may reach the same inverters) cannot start while the first runs."""
    await bench.call(RUN)
    other = MockConfigEntry(
        domain=DOMAIN, title="EG4 again", data=dict(POWERMON_DATA), unique_id="second"
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    await bench.readback()  # the second entry hears the same bridge
    with pytest.raises(ServiceValidationError) as caught:
        await bench.call(RUN, config_entry_id=other.entry_id)
    assert caught.value.translation_key == "calibration_running_elsewhere"
    assert bench.entry.title in str(caught.value)
    task = bench.start(CANCEL)
    await bench.drive(task.done, limit_s=600, what="the cancel")
    assert await hass.config_entries.async_unload(other.entry_id)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_an_entry_that_is_not_loaded_does_not_stop_a_run(
    hass: HomeAssistant, bench: Bench
) -> None:
    """Another EG4 entry that was never set up (disabled, or its setup failed) has no run to
    wait for: the calibration starts."""
    other = MockConfigEntry(
        domain=DOMAIN, title="EG4 disabled", data=dict(POWERMON_DATA), unique_id="second"
    )
    other.add_to_hass(hass)
    response = await bench.call(RUN)
    assert response is not None
    assert response["run_id"] is not None
    task = bench.start(CANCEL)
    await bench.drive(task.done, limit_s=600, what="the cancel")


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_defect_while_judging_an_update_stops_and_reverts(bench: Bench) -> None:
    """An exception inside the pure monitor does not leave the bank unsupervised."""
    await bench.call(RUN)
    await bench.engage()
    with patch(
        "custom_components.eg4.calibration.machine.breaches",
        side_effect=ZeroDivisionError("division by zero"),
    ):
        await bench.advance(60)
    run = bench.supervisor.run
    assert run is not None
    assert run.reason.value == "error"
    assert "ZeroDivisionError" in run.detail
    await bench.drive(lambda: bench.supervisor.run is None, limit_s=600, what="the revert")
    assert bench.priorities() == EVERYDAY
    assert bench.supervisor.last["reason"] == "error"
    issue_id = f"revert_failed_{bench.entry.entry_id}"
    assert ir.async_get(bench.hass).async_get_issue(DOMAIN, issue_id) is None


def test_the_run_clock_does_not_jump_with_the_wall_clock() -> None:
    """Durations come from the monotonic clock: setting the wall clock back changes nothing."""
    wall = [1_000_000.0]
    mono = [50.0]
    with (
        patch("custom_components.eg4.clock.time.time", side_effect=lambda: wall[0]),
        patch("custom_components.eg4.clock.time.monotonic", side_effect=lambda: mono[0]),
    ):
        clock = Clock()
        start = clock.now()
        wall[0] -= 3600  # NTP sets the clock back an hour ...
        mono[0] += 90  # ... while 90 s pass
        assert clock.now() - start == pytest.approx(90)
        assert start == pytest.approx(1_000_000.0)


def test_the_run_clock_reads_wall_time() -> None:
    """Timestamps are wall-clock seconds (what the record shows)."""
    assert abs(Clock().now() - time.time()) < 5


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_the_only_system_is_chosen_when_none_is_named(
    hass: HomeAssistant, bench: Bench
) -> None:
    """The action form may leave the system unset when there is one; with two it must ask."""
    response = await hass.services.async_call(
        DOMAIN, RUN, {"dry_run": True}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["dry_run"] is True
    assert response["plan"]
    other = MockConfigEntry(
        domain=DOMAIN, title="EG4 again", data=dict(POWERMON_DATA), unique_id="second"
    )
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, RUN, {"dry_run": True}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == "config_entry_required"
    assert "2 EG4 systems" in str(caught.value)


def test_the_run_clock_takes_the_wall_clock_again_after_a_long_gap() -> None:
    """Set by hand by a day, or resumed after a suspend: the clock follows the wall clock."""
    wall = [1_000_000.0]
    mono = [50.0]
    with (
        patch("custom_components.eg4.clock.time.time", side_effect=lambda: wall[0]),
        patch("custom_components.eg4.clock.time.monotonic", side_effect=lambda: mono[0]),
    ):
        clock = Clock()
        wall[0] += 86_400
        mono[0] += 10
        assert clock.now() == pytest.approx(1_086_400.0)
        mono[0] += 30
        wall[0] += 30
        assert clock.now() == pytest.approx(1_086_430.0)
