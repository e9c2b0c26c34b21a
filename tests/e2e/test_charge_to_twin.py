"""``eg4.charge_to`` against the digital twin, for both MQTT bridges (PI family, 10 A steps).

In process and deterministic on Home Assistant's mocked MQTT client (``twin_rig.Rig``): the
twin's healthy bank (six 100 Ah packs at 60 %, two LVX6048 units, 21:00) is charged to a
target by a deadline; the same supervision as the calibration holds the settings and puts
them back, confirmed by read-back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from statistics import median

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from simulator import ChargerPriority, OutputPriority, Setting, build_twin
from simulator.faults import NakRule
from simulator.twin import TwinConfig

from .calibration_view import assert_lever_changed_notified, panel
from .system import PROFILES
from .twin_rig import STEP_S, Rig, StartRig, deadline_in

pytestmark = pytest.mark.wall_clock  # run again near midnight and DST changes (scripts/test)

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CHARGING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2


@pytest.fixture
async def rig(
    start_rig: StartRig,
    profile: str,
    scenario: str,
    twin_options: dict[str, float],
    start_hour: float,
) -> AsyncIterator[Rig]:
    """The eg4 entry on the mocked MQTT client, the twin's face answering its commands."""
    spec = PROFILES[profile]
    config = TwinConfig(start_hour=start_hour)
    twin = build_twin(scenario, inverters=2, packs=6, seed=0, config=config, **twin_options)
    async with start_rig(
        spec,
        twin,
        title=spec.title,
        unique_id=f"twin:{profile}",
        kind=Rig,
    ) as rig:
        yield rig


@pytest.fixture
def start_hour() -> float:
    """The twin's time of day at the start (21:00: no sun)."""
    return 21.0


@pytest.fixture
def scenario() -> str:
    """A healthy bank at 60 %, everyday settings, 21:00."""
    return "healthy"


def bank_soc(rig: Rig) -> float:
    """The packs' median reading, as the planner takes it."""
    return float(median(rig.twin.soc_readings()))


def currents(rig: Rig) -> list[tuple[float, float]]:
    """Each unit's (charge, utility charge) current setting in the twin."""
    return [
        (inv.settings.max_charge_current_a, inv.settings.max_utility_charge_current_a)
        for inv in rig.twin.inverters
    ]


@pytest.mark.parametrize(
    ("target", "hours", "per_unit"),
    [(80, 4.0, 20), (90, 4.0, 30), (75, 8.0, 10)],
)
async def test_reaches_the_target_by_the_deadline_at_the_planned_current(
    rig: Rig, target: int, hours: float, per_unit: float
) -> None:
    """The lowest step that gets there, held until the target, then everything put back."""
    before = currents(rig)
    response = await rig.call("charge_to", target_soc=target, deadline=deadline_in(hours))
    assert response is not None
    charge = response["charge"]
    assert charge["per_unit_current_a"] == per_unit
    assert charge["current_a"] == 2 * per_unit
    assert charge["duration_min"] <= hours * 60
    assert f"at {2 * per_unit:g} A ({per_unit:g} A on each of 2 inverters)" in charge["message"]
    run_id = response["run_id"]
    assert run_id
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "charge_to"  # on record before the first write

    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    assert rig.priorities() == CHARGING
    assert currents(rig) == [(per_unit, per_unit)] * 2
    took = await rig.drive(lambda: rig.phase == "reverting", limit_s=hours * 3600 + 600)
    assert took <= hours * 3600
    assert bank_soc(rig) >= target  # the twin's own counters, when the run stopped
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the revert")

    assert rig.priorities() == EVERYDAY
    assert currents(rig) == before  # put back, confirmed by read-back
    last = rig.supervisor.last_charge_to
    assert last["run_id"] == run_id
    assert last["outcome"] == "succeeded"
    assert last["reason"] == "completed"
    assert last["reached_at"] <= last["deadline"]
    assert rig.supervisor.last is None  # the calibration's own record is left alone
    assert rig.stored["run"] is None
    assert rig.stored["last_charge_to"]["outcome"] == "succeeded"
    # Told in the charge's own words, not as a calibration.
    told = rig.notifications[f"eg4_charge_to_{rig.entry.entry_id}"]
    assert told["title"] == f"{rig.spec.title}: charge to target ended"
    assert told["message"].startswith(f"The batteries reached {target} %")
    assert rig.ending_notification is None
    assert rig.endings == []  # no eg4_calibration_ended


@pytest.mark.parametrize(
    ("target", "minutes", "reason"),
    [(100, 30, "charge_to_too_little_time"), (55, 60, "charge_to_already_reached")],
)
async def test_an_impossible_target_is_refused_with_its_reason(
    rig: Rig, target: int, minutes: int, reason: str
) -> None:
    """Nothing is written; the error says what is missing."""
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("charge_to", target_soc=target, deadline=deadline_in(minutes / 60))
    assert err.value.translation_key == reason
    assert rig.published()[sent:] == []
    assert rig.supervisor.run is None
    if reason == "charge_to_too_little_time":
        assert "the inverters' highest charge current gives the bank 160 A" in str(err.value)


async def test_dry_run_plans_and_writes_nothing(rig: Rig) -> None:
    """The plan comes back; no command, no stored run."""
    sent = len(rig.published())
    response = await rig.call("charge_to", target_soc=80, deadline=deadline_in(4), dry_run=True)
    assert response is not None
    assert response["dry_run"] is True
    assert response["run_id"] is None
    assert response["charge"]["per_unit_current_a"] == 20
    assert {item["setting"] for item in response["plan"]} >= {
        "max_charge_current",
        "output_priority",
    }
    await rig.advance(STEP_S)
    assert rig.published()[sent:] == []
    assert rig.supervisor.run is None
    assert rig.stored is None or rig.stored.get("run") is None


async def test_restart_mid_run_reverts_at_startup(hass: HomeAssistant, rig: Rig) -> None:
    """Stored as active: the next start puts every setting back and records the interruption."""
    before = currents(rig)
    response = await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    for _ in range(15):  # half an hour of charging
        await rig.advance(120)
    assert rig.phase == "bulk"

    # Home Assistant goes away while the bridge refuses every command: still on record.
    refuse = NakRule(remaining=None)
    rig.twin.faults.nak_rules.append(refuse)
    await rig.unload()
    await rig.advance(STEP_S, publish=False)
    assert rig.priorities() == CHARGING
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "charge_to"
    assert rig.stored["run"]["phase"] == "bulk"
    rig.twin.faults.nak_rules.remove(refuse)

    # ... and comes back on the same storage: the stored charge is reverted.
    await rig.set_up_again()
    assert rig.phase == "reverting"
    await rig.until_no_run()
    assert rig.supervisor.run is None
    assert rig.priorities() == EVERYDAY
    assert currents(rig) == before
    last = rig.supervisor.last_charge_to
    assert last["run_id"] == response["run_id"]
    assert last["interrupted"] is True
    assert last["outcome"] == "aborted"
    assert rig.stored["run"] is None


async def test_a_hand_change_of_a_held_lever_stops_the_charge(rig: Rig) -> None:
    """The panel moves output priority back: the run stops and puts the rest back."""
    before = currents(rig)
    await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    await rig.advance(STEP_S)
    panel(rig.twin, Setting.OUTPUT_PRIORITY, OutputPriority.SBU)
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=900, what="the stop")
    last = rig.supervisor.last_charge_to
    assert last["reason"] == "lever_changed"
    assert "output_priority" in last["detail"]
    assert currents(rig) == before  # the other settings went back
    assert_lever_changed_notified(rig, "Output priority")  # one notification, the charge's
    told = rig.notifications[f"eg4_charge_to_{rig.entry.entry_id}"]["message"]
    assert told.startswith("The charge to 90 % stopped at 6")
    assert "a setting it was holding was changed outside EG4" in told
    assert "confirmed by read-back: Charger priority, Max charge current" in told


async def test_one_supervised_run_per_bank(rig: Rig) -> None:
    """A charge while a calibration runs, and a calibration while a charge runs: refused."""
    await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("charge_to", target_soc=95, deadline=deadline_in(7))
    assert err.value.translation_key == "supervised_run_active"
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("run_calibration")
    assert err.value.translation_key == "preflight_failed"
    assert "run_active" in str(err.value)
    task = rig.start("cancel_calibration")  # the one cancel stops whichever run supervises
    await rig.drive(task.done, limit_s=900, what="the cancel")
    answer = await task
    assert (answer["kind"], answer["outcome"]) == ("charge_to", "aborted")
    assert answer["message"].startswith("Charge to target cancelled. Put back and confirmed")
    assert rig.priorities() == EVERYDAY
    assert rig.supervisor.last_charge_to["reason"] == "cancelled"


@pytest.mark.parametrize("start_hour", [7.0])
async def test_solar_first_plans_again_as_the_sun_helps(rig: Rig) -> None:
    """Morning: the grid makes up what the sun does not; as the sun rises the grid backs off."""
    response = await rig.call(
        "charge_to", target_soc=90, deadline=deadline_in(8), method="solar_first"
    )
    assert response is not None
    first = response["charge"]
    grid_seen: list[tuple[float, float]] = []

    def done() -> bool:
        grid_seen.append((rig.twin.grid_charge_a, rig.twin.solar_charge_a))
        return rig.phase == "reverting"

    took = await rig.drive(done, limit_s=8 * 3600 + 600, what="the target")
    assert took <= 8 * 3600
    assert bank_soc(rig) >= 90
    schedule = rig.supervisor.run.summary()["schedule"]
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=600, what="the revert")

    # 07:00: no sun beyond the house's load yet, so the grid carries the plan (2 x 20 A).
    assert first["sun_a"] == 0
    assert first["grid_per_unit_current_a"] == 20
    # The sun rose: the next plan left the charge current at its highest for the sun and
    # asked the grid for its least (10 A per unit), which it held to the target.
    assert len(schedule) == 2
    assert schedule[1]["per_unit_current_a"] == 80
    assert schedule[1]["grid_per_unit_current_a"] == 10
    early, late = grid_seen[10], grid_seen[-1]
    assert early[0] > 30  # grid A, at 40 A planned
    assert late[0] <= 20.5  # the grid's least
    assert late[1] > 60  # the sun charging past what the grid did
    assert rig.priorities() == EVERYDAY
    assert rig.supervisor.last_charge_to["outcome"] == "succeeded"


def minute(timestamp: float) -> str:
    """A run-clock time as a timestamp sensor's state (to the minute)."""
    return dt_util.utc_from_timestamp(round(timestamp / 60) * 60).isoformat()


async def test_the_calibration_entities_show_the_charge_as_what_it_is(rig: Rig) -> None:
    """Its kind, target and deadline on the state sensor; its own plan's finish as the end."""
    response = await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    run = rig.supervisor.run
    state = rig.state("calibration_state")
    assert state.state == "bulk"
    assert state.attributes["kind"] == "charge_to"
    assert state.attributes["target_soc_pct"] == 90
    assert state.attributes["deadline"] == minute(run.request.deadline)
    assert state.attributes["current_a"] == response["charge"]["current_a"]
    assert state.attributes["run_id"] == response["run_id"]
    # The expected end is the charge's own plan, not a calibration's full charge and holds.
    assert rig.state("calibration_expected_end").state == minute(run.finish_at)
    for name in ("calibration_taper_end", "calibration_verify_end"):
        assert rig.state(name).state == "unknown"
    for _ in range(10):  # past a re-plan: the end follows the latest plan
        await rig.advance(120)
    assert run.replanned_at is not None
    assert run.replanned_at > run.started_at
    assert rig.state("calibration_expected_end").state == minute(run.finish_at)
    task = rig.start("cancel_calibration")
    await rig.drive(task.done, limit_s=900, what="the cancel")
    assert rig.state("calibration_state").state == "idle"
    assert rig.state("calibration_expected_end").state == "unknown"
