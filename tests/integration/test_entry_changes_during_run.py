"""Changes to an entry while a calibration runs: only a change of transport reloads it.

A reload ends a running calibration (the settings are put back first), so renaming the entry,
or submitting its reconfigure form unchanged, must leave the run going. The twin rig as in
``test_calibration_actions.py``; the run is engaged and charging (bulk).
"""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr

from custom_components.eg4.const import DOMAIN
from tests.e2e.twin_rig import settle

from .test_calibration_actions import (  # noqa: F401 - fixtures
    CALIBRATING,
    RUN,
    Bench,
    bench,
    profile,
    scenario,
)
from .test_config_flow import _prefill


async def engaged(bench: Bench) -> object:
    """Start a grid calibration and let it engage; what runs the entry (to see a reload)."""
    assert await bench.call(RUN) is not None
    await bench.engage()
    return bench.entry.runtime_data


async def assert_still_running(bench: Bench, runtime: object, sent: int) -> None:
    """Same entry set-up, the run charging on, nothing put back."""
    await bench.advance(60)
    assert bench.entry.state is ConfigEntryState.LOADED
    assert bench.entry.runtime_data is runtime, "the entry was reloaded"
    assert bench.supervisor.run is not None
    assert bench.supervisor.run.phase.value == "bulk"
    assert bench.priorities() == CALIBRATING
    assert len(bench.published()) == sent, bench.published()[sent:]
    assert bench.phases_fired() == ["engaging", "bulk"]


async def test_renaming_the_entry_leaves_the_run_going(bench: Bench) -> None:
    runtime = await engaged(bench)
    sent = len(bench.published())

    bench.hass.config_entries.async_update_entry(bench.entry, title="Garage bank")
    await settle()  # (a reload would wait for the revert's read-backs: time has to pass)

    assert bench.entry.title == "Garage bank"
    await assert_still_running(bench, runtime, sent)
    # The devices follow the new title without a reload.
    group = dr.async_get(bench.hass).async_get_device(
        identifiers={(DOMAIN, f"{bench.entry.entry_id}_system")}
    )
    assert group is not None
    assert group.name == "Garage bank"


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_an_unchanged_reconfigure_leaves_the_run_going(bench: Bench) -> None:
    runtime = await engaged(bench)
    sent = len(bench.published())

    result = await bench.entry.start_reconfigure_flow(bench.hass)
    result = await bench.hass.config_entries.flow.async_configure(
        result["flow_id"],
        _prefill(result),  # submitted as shown
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await settle()

    await assert_still_running(bench, runtime, sent)
