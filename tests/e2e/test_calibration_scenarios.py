"""The calibration against the twin's top-of-charge scenarios (simulator/README.md, Scenarios).

Each test holds the run to the outcome the scenario's README row states, on the field's own
installation (two LVX6048 over powermon + lvx-control, six packs, 2 x 60 A grid charge), in
process on Home Assistant's mocked MQTT client (``twin_rig.Rig``): time moves only with the twin.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.eg4.calibration import PI_FAMILY_LEVERS, RunConfig, estimate

from .calibration_view import SUCCESS_PHASES
from .test_calibration_twin import (  # noqa: F401 - fixtures
    EVERYDAY,
    close_mqtt_socket,
    complete_revert,
    rig,
)
from .twin_rig import Rig

EIGHT_HOURS = 8 * 3600.0


# The field's installation: powermon + lvx-control (the twin tests' rig, for that profile).
pytestmark = pytest.mark.parametrize("profile", ["powermon_lvx"])


async def engage(rig: Rig) -> None:
    """Start a grid calibration (the pre-flight passes) and drive it until the bank charges."""
    response = await rig.call("run_calibration")
    assert response is not None
    assert response["preflight"]["ok"] is True
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")


async def run_to_the_end(rig: Rig, *, limit_s: float = 9 * 3600) -> tuple[dict[str, Any], float]:
    """Start a grid calibration, drive it until it is over; its record and how long it took."""
    await engage(rig)
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=limit_s, what="the end")
    last: dict[str, Any] = rig.supervisor.last
    return last, took


def phase_times(last: dict[str, Any]) -> dict[str, float]:
    return {entry["phase"]: entry["at"] for entry in last["phases"]}


# ---- aborts: reverted, the tripped pack never counted ----------------------------------------


@pytest.mark.parametrize("scenario", ["band_oscillation"])
async def test_band_oscillation_aborts_on_the_protection_flag_and_reverts(rig: Rig) -> None:
    """Pack 3's BMS trips at 3.58 V: the flag stops the run before any cell reaches 3.60 V."""
    last, _ = await run_to_the_end(rig)
    assert last["outcome"] == "aborted"
    assert last["reason"] == "protection"
    assert "pack_3" in last["detail"]
    assert last["max_cell_voltage"] < 3.60
    assert rig.priorities() == EVERYDAY
    assert last["packs_cut_off"] == [3]
    assert 3 not in last["packs_reanchored"]
    # Drifted-high pack 6 reads 100 % without its BMS ever seeing full: at its ceiling.
    assert rig.twin.pack(6).bms.anchors == 0
    assert last["packs_at_ceiling"] == [6]
    assert rig.state("last_calibration_result").state == "aborted"


@pytest.mark.parametrize("scenario", ["cell_runaway"])
async def test_cell_runaway_aborts_at_the_cell_limit_and_pack_2_is_never_reanchored(
    rig: Rig,
) -> None:
    last, _ = await run_to_the_end(rig)
    assert last["outcome"] == "aborted"
    assert last["reason"] == "cell_over_voltage"
    assert "pack_2" in last["detail"]
    assert rig.priorities() == EVERYDAY
    assert 2 not in last["packs_reanchored"]
    assert last["packs_reanchored"] == []  # nothing had finished: the run stopped mid-absorption


# ---- holds that run long ---------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["weeks_at_cap"])
async def test_weeks_at_cap_holds_until_the_cells_are_together(rig: Rig) -> None:
    """Every pack re-anchors, but cells stay > 20 mV apart for longer than the verify timeout:
    the balancers' progress holds the run until the spread is under the limit, then it succeeds.
    """
    last, took = await run_to_the_end(rig)
    assert last["outcome"] == "succeeded"
    assert last["packs_reanchored"] == [1, 2, 3, 4, 5, 6]
    assert last["cell_delta_after_mv"] < 20
    times = phase_times(last)
    assert list(times) == SUCCESS_PHASES
    assert times["reverting"] - times["verifying"] > RunConfig().verify_timeout_s
    assert took < EIGHT_HOURS
    assert all(pack.bms.anchors >= 1 for pack in rig.twin.packs)
    assert rig.priorities() == EVERYDAY


# The default pack 5 (30 points behind) sits 0.7 V below the others at rest: the pre-flight
# refuses it as a real imbalance, rightly. Ten points behind, its voltage agrees (< 0.1 V).
@pytest.mark.parametrize(("scenario", "twin_options"), [("lagging_pack", {"behind": 0.1})])
async def test_a_lagging_pack_holds_the_run_and_is_named_when_it_never_terminates(
    rig: Rig,
) -> None:
    last, _ = await run_to_the_end(rig)
    assert last["outcome"] == "aborted"
    assert last["reason"] == "max_duration"
    times = phase_times(last)
    assert times["reverting"] - times["engaging"] >= EIGHT_HOURS
    assert "verifying" in times  # the others terminated: the taper was over
    assert "pack_5" in last["detail"]
    assert all(f"pack_{n}:" not in last["detail"] for n in (1, 2, 3, 4, 6))
    assert last["packs_reanchored"] == [1, 2, 3, 4, 6]
    assert last["packs_behind"] == [5]
    assert rig.twin.pack(5).bms.anchors == 0
    assert rig.priorities() == EVERYDAY
    assert rig.state("last_calibration_result").state == "aborted"


@pytest.mark.parametrize("scenario", ["lagging_pack"])
async def test_lagging_pack_as_built_is_refused_at_preflight(rig: Rig) -> None:
    await rig.advance(60)
    response = await rig.call("run_calibration", dry_run=True)
    assert response is not None
    checks = response["preflight"]["failed_checks"]
    assert [check["check"] for check in checks] == ["pack_voltage_imbalance"]
    assert "pack_5: 52.5" in checks[0]["values"]


# ---- cold ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["cold_derate"])
async def test_cold_derate_runs_at_the_derated_current_and_succeeds(rig: Rig) -> None:
    """The action's pre-flight warns of the BMSs' derated current and gives the run's duration
    (dry run and real start alike); the run charges at that current and takes about that long.
    """
    await rig.advance(60)
    allowed = sum(pack.charge_limit_a for pack in rig.twin.packs)  # what the BMSs let in now
    assert 70 < allowed < 90  # ~13 A a pack at 6-7 °C, against the chargers' 120 A
    dry = await rig.call("run_calibration", dry_run=True)
    assert dry is not None
    preflight = dry["preflight"]
    assert (preflight["ok"], preflight["failed_checks"]) == (True, [])
    (cold,) = preflight["warnings"]
    assert cold["check"] == "cold_derated"
    assert cold["sources"] == ", ".join(f"pack_{n}" for n in range(1, 7))
    # The lowest pack's allowance, as the BMS has it (from sensors rounded to 0.1 °C).
    lowest = min(pack.charge_limit_a for pack in rig.twin.packs)
    assert float(cold["per_100ah"].removesuffix(" A")) == pytest.approx(lowest, abs=0.2)
    assert float(cold["rate"].removesuffix(" C")) == pytest.approx(lowest / 100, abs=0.005)
    expected = dry["estimate"]
    assert expected["charger_current_a"] == 120.0
    assert expected["current_a"] == pytest.approx(allowed, rel=0.02)
    assert expected["derated_by"] > 0.2
    from_state = estimate(rig.entry.runtime_data.coordinator.data, PI_FAMILY_LEVERS, RunConfig())
    assert from_state.duration_s == pytest.approx(expected["duration_s"], abs=1)  # rounded to 1 s
    assert rig.commands == []  # a dry run writes nothing

    response = await rig.call("run_calibration")
    assert response is not None
    assert response["run_id"] is not None
    assert response["preflight"] == preflight  # the real start answers with the same warning
    assert response["estimate"] == expected
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    await rig.advance(120)
    charging = sum(pack.current_a for pack in rig.twin.packs)
    assert charging == pytest.approx(expected["current_a"], rel=0.15)
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=EIGHT_HOURS, what="end")
    last = rig.supervisor.last
    assert last["outcome"] == "succeeded"
    assert last["packs_reanchored"] == [1, 2, 3, 4, 5, 6]
    assert took == pytest.approx(expected["duration_s"], rel=0.3)
    assert rig.priorities() == EVERYDAY


# ---- weather ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["cloudy_week"])
async def test_cloudy_week_solar_never_reaches_absorption_and_touches_nothing(rig: Rig) -> None:
    await rig.drive(lambda: rig.twin.clock_s >= 10 * 3600, limit_s=11 * 3600, what="07:00")
    response = await rig.call("run_calibration", method="solar", max_duration={"hours": 12})
    assert response is not None
    assert response["plan"] == []
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=13 * 3600, what="the end")
    last = rig.supervisor.last
    assert last["outcome"] == "aborted"
    assert last["reason"] == "max_duration"
    assert "absorption" not in [entry["phase"] for entry in last["phases"]]
    assert rig.commands == []  # the solar method writes nothing
    assert rig.priorities() == EVERYDAY
    assert all(pack.bms.anchors == 0 for pack in rig.twin.packs)


@pytest.mark.parametrize("scenario", ["cloudy_week"])
async def test_cloudy_week_grid_succeeds(rig: Rig) -> None:
    last, _ = await run_to_the_end(rig)
    assert last["outcome"] == "succeeded"
    assert last["packs_reanchored"] == [1, 2, 3, 4, 5, 6]
    await complete_revert(rig)
    assert rig.priorities() == EVERYDAY
