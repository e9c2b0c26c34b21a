"""Changes to an entry while a calibration runs: none of them may end the run.

A reload ends a running calibration (the settings are put back first). Renaming the entry
changes nothing that runs, so it leaves the run going; the options and the reconfigure flows
would reload the entry, so while a run is active they refuse (when opened, and again when
submitted: a run may have started meanwhile) and change nothing. The twin rig as in
``test_calibration_actions.py``; the run is engaged and charging (bulk).
"""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import device_registry as dr

from custom_components.eg4.const import (
    CONF_PACK_COUNT,
    CONF_STALE_TIMEOUT,
    DEFAULT_STALE_TIMEOUT,
    DOMAIN,
)
from tests.e2e.twin_rig import settle

from .test_calibration_actions import (  # noqa: F401 - fixtures
    CALIBRATING,
    CANCEL,
    EVERYDAY,
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


async def cancelled(bench: Bench) -> None:
    """Cancel the run and answer its revert with read-backs until the cancel is answered."""
    assert (await bench.cancel())["confirmed"] is True
    assert bench.supervisor.run is None
    assert bench.priorities() == EVERYDAY


def assert_refused(result: FlowResult, bench: Bench) -> None:
    """The flow ended on the running-calibration refusal, naming the entry."""
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "calibration_running"
    assert result["description_placeholders"] == {"name": bench.entry.title}


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_options_are_refused_during_a_run(bench: Bench) -> None:
    """Opened during a run, the options flow refuses at once: no form filled for nothing."""
    runtime = await engaged(bench)
    sent = len(bench.published())
    options = dict(bench.entry.options)

    result = await bench.hass.config_entries.options.async_init(bench.entry.entry_id)
    assert_refused(result, bench)
    await settle()

    assert dict(bench.entry.options) == options
    await assert_still_running(bench, runtime, sent)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_options_submitted_after_a_run_started_are_refused(bench: Bench) -> None:
    """The form was opened before the run: submitted during it, nothing is stored."""
    result = await bench.hass.config_entries.options.async_init(bench.entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    runtime = await engaged(bench)
    sent = len(bench.published())
    options = dict(bench.entry.options)

    result = await bench.hass.config_entries.options.async_configure(
        result["flow_id"], {**_prefill(result), CONF_STALE_TIMEOUT: DEFAULT_STALE_TIMEOUT + 60}
    )
    assert_refused(result, bench)
    await settle()

    assert dict(bench.entry.options) == options
    await assert_still_running(bench, runtime, sent)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_options_apply_once_the_run_has_ended(bench: Bench) -> None:
    runtime = await engaged(bench)
    await cancelled(bench)

    result = await bench.hass.config_entries.options.async_init(bench.entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await bench.hass.config_entries.options.async_configure(
        result["flow_id"], {**_prefill(result), CONF_STALE_TIMEOUT: DEFAULT_STALE_TIMEOUT + 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await bench.hass.async_block_till_done()

    assert bench.entry.options[CONF_STALE_TIMEOUT] == DEFAULT_STALE_TIMEOUT + 60
    assert bench.entry.state is ConfigEntryState.LOADED
    assert bench.entry.runtime_data is not runtime, "the new options did not reach the entry"


async def test_a_reconfigure_is_refused_during_a_run(bench: Bench) -> None:
    """Opened during a run, the reconfigure flow refuses at once."""
    runtime = await engaged(bench)
    sent = len(bench.published())
    data = dict(bench.entry.data)

    result = await bench.entry.start_reconfigure_flow(bench.hass)
    assert_refused(result, bench)
    await settle()

    assert dict(bench.entry.data) == data
    await assert_still_running(bench, runtime, sent)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_reconfigure_submitted_after_a_run_started_is_refused(bench: Bench) -> None:
    """The form was opened before the run: submitted during it (a new system size, which
    would reload the entry), nothing is stored."""
    result = await bench.entry.start_reconfigure_flow(bench.hass)
    assert result["type"] is FlowResultType.FORM
    runtime = await engaged(bench)
    sent = len(bench.published())
    data = dict(bench.entry.data)

    result = await bench.hass.config_entries.flow.async_configure(
        result["flow_id"], {**_prefill(result), CONF_PACK_COUNT: 5}
    )
    assert_refused(result, bench)
    await settle()

    assert dict(bench.entry.data) == data
    await assert_still_running(bench, runtime, sent)


@pytest.mark.parametrize("profile", ["powermon_lvx"])
async def test_a_reconfigure_applies_once_the_run_has_ended(bench: Bench) -> None:
    runtime = await engaged(bench)
    await cancelled(bench)

    result = await bench.entry.start_reconfigure_flow(bench.hass)
    assert result["type"] is FlowResultType.FORM
    result = await bench.hass.config_entries.flow.async_configure(
        result["flow_id"], {**_prefill(result), CONF_PACK_COUNT: 5}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await bench.hass.async_block_till_done()

    assert bench.entry.data[CONF_PACK_COUNT] == 5
    assert bench.entry.state is ConfigEntryState.LOADED
    assert bench.entry.runtime_data is not runtime, "the new system size did not reach the entry"
