"""``eg4.charge_to`` through the cloud transport (the hybrid family: 1 A steps to 250 A).

Home Assistant -> the real portal client -> the simulator's portal on 127.0.0.1 -> the twin,
on one frozen clock (``CloudRig`` from the calibration's cloud tests).
"""

from __future__ import annotations

from statistics import median
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from simulator.twin import TwinConfig

from .test_calibration_cloud import (  # noqa: F401 - the fixtures
    EVERYDAY,
    GRID_CHARGE,
    SCAN_S,
    CloudRig,
    portal,
    rig,
    started_again,
)
from .twin_rig import deadline_in

pytestmark = pytest.mark.wall_clock  # run again near midnight and DST changes (scripts/test)


@pytest.fixture
def scenario() -> str:
    """A healthy bank at 60 %, everyday settings, 21:00."""
    return "healthy"


def charge_currents(rig: CloudRig) -> list[float]:
    """Each unit's charge current setting in the twin."""
    return [inv.settings.max_charge_current_a for inv in rig.twin.inverters]


@pytest.mark.timeout(300)
async def test_charges_to_the_target_through_the_portal_and_puts_everything_back(
    rig: CloudRig,
) -> None:
    """The lowest whole amp that gets there, held to the target, then restored and confirmed."""
    await rig.advance(SCAN_S)
    before = charge_currents(rig)
    stop_socs = rig.stop_socs()
    response = await rig.call("charge_to", target_soc=80, deadline=deadline_in(4))
    assert response is not None
    charge = response["charge"]
    assert charge["per_unit_current_a"] == 16  # 2 x 16 A: 60 -> 80 % of 600 Ah in < 4 h
    assert charge["current_a"] == 32
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    assert rig.priorities() == GRID_CHARGE
    assert charge_currents(rig) == [16, 16]

    # Over the portal the revert is confirmed within the poll that sees the target.
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=4 * 3600, what="80 %")
    assert took <= 4 * 3600
    assert median(rig.twin.soc_readings()) >= 80
    assert rig.priorities() == EVERYDAY
    assert charge_currents(rig) == before
    assert rig.stop_socs() == stop_socs
    last = rig.supervisor.last_charge_to
    assert last["outcome"] == "succeeded"
    assert last["run_id"] == response["run_id"]
    assert last["reached_at"] <= last["deadline"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("twin_config", [TwinConfig(pack_capacity_ah=200.0)])
async def test_the_first_plan_counts_the_packs_capacity_the_portal_reports(
    rig: CloudRig,
) -> None:
    """Six 200 Ah packs: the first plan is for 1200 Ah (2 x 31 A), not 6 x 100 Ah (2 x 16 A)."""
    await rig.advance(SCAN_S)
    response = await rig.call("charge_to", target_soc=80, deadline=deadline_in(4))
    assert response is not None
    charge = response["charge"]
    assert (charge["capacity_ah"], charge["capacity_source"]) == (1200, "packs")
    assert charge["message"].startswith("Charging the 1200 Ah bank (as its batteries report it)")
    # 20 % of 1200 Ah / 0.97 in 4 h is 61.9 A: 2 x 31 A.
    assert (charge["per_unit_current_a"], charge["current_a"]) == (31, 62)
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    assert charge_currents(rig) == [31, 31]
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=4 * 3600, what="80 %")
    assert took <= 4 * 3600
    last = rig.supervisor.last_charge_to
    assert last["outcome"] == "succeeded"
    # The re-plans only fine-tuned it (an assumed 600 Ah would have had them double it).
    assert max(entry["per_unit_current_a"] for entry in last["schedule"]) <= 32


async def test_a_target_out_of_reach_is_refused_through_the_portal(rig: CloudRig) -> None:
    """Nothing is written; the reason names the current missing."""
    await rig.advance(SCAN_S)
    writes = rig.portal.total_requests
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("charge_to", target_soc=100, deadline=deadline_in(0.25))
    assert err.value.translation_key == "charge_to_too_little_time"
    assert "gives the bank 500 A" in str(err.value)  # 2 units x 250 A
    assert rig.portal.total_requests == writes


@pytest.mark.timeout(300)
async def test_restart_mid_charge_reverts_through_the_portal(
    hass: HomeAssistant,
    rig: CloudRig,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A real restart while the portal refuses the stop's revert: the next start reverts."""
    await rig.advance(SCAN_S)
    before = charge_currents(rig)
    response = await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    rig.portal.inject_error("REMOTE_SET_ERROR", count=1000, path="remoteSet/write")
    rig.portal.inject_error("REMOTE_SET_ERROR", count=1000, path="remoteSet/functionControl")

    await hass.async_stop()
    stored = rig.stored_run()
    assert stored is not None
    assert (stored["kind"], stored["phase"]) == ("charge_to", "bulk")
    assert rig.priorities() == GRID_CHARGE
    assert charge_currents(rig) != before
    rig.portal.clear_errors()
    await rig.entry.runtime_data.coordinator.async_shutdown()
    rig.twin.step(600)
    freezer.tick(600)

    async with started_again(rig, freezer, hass_storage) as again:
        await again.drive(lambda: again.supervisor.run is None, limit_s=600, what="the revert")
        assert again.priorities() == EVERYDAY
        assert charge_currents(again) == before
        last = again.supervisor.last_charge_to
        assert (last["run_id"], last["outcome"], last["reason"]) == (
            response["run_id"],
            "aborted",
            "interrupted",
        )
        assert again.supervisor.last is None  # the calibration's record is untouched
        assert again.stored_run() is None
