"""The charge-to run: engage, charge, plan again, stop at the target, and its record (pure)."""

from __future__ import annotations

import pytest

from custom_components.eg4.calibration import (
    ApplyPlan,
    CalibrationRun,
    Method,
    Phase,
    RunConfig,
    StartRevert,
    build_plan,
)
from custom_components.eg4.chargeto import (
    ChargeMethod,
    ChargeRequest,
    ChargeToRun,
    CurrentSteps,
    load_run,
    plan_charge,
)
from custom_components.eg4.model import ChargerPriority, OutputPriority, SettingKey, SystemState
from custom_components.eg4.settings import HYBRID_CHARGE_CURRENT, MAX_CHARGE_CURRENT

from ..calibration.factory import EVERYDAY_PI, T0, bank

HOUR = 3600.0
KEYS = (SettingKey.MAX_CHARGE_CURRENT, SettingKey.MAX_UTILITY_CHARGE_CURRENT)
STEPS = CurrentSteps.of(MAX_CHARGE_CURRENT, KEYS, 2, grid_key=KEYS[1])
HYBRID = CurrentSteps.of(HYBRID_CHARGE_CURRENT, (SettingKey.MAX_CHARGE_CURRENT,), 2)
SETTINGS = {**EVERYDAY_PI, KEYS[0]: 60.0, KEYS[1]: 60.0}
LEVERS = {
    SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_AND_UTILITY,
    SettingKey.OUTPUT_PRIORITY: OutputPriority.SUB,
}


def charging(soc: float, now: float, current: float = 40.0) -> SystemState:
    """The bank at ``soc``, charging, every unit on the run's levers."""
    state = bank(now=now, soc=soc, current=current / 6, settings=SETTINGS)
    for inverter in state.inverters.values():
        inverter.settings.update(LEVERS)
    return state


def new_run(
    target: float = 80,
    hours: float = 4,
    *,
    steps: CurrentSteps = STEPS,
    method: ChargeMethod = ChargeMethod.GRID,
    state: SystemState | None = None,
) -> ChargeToRun:
    """A charge to ``target`` by ``hours`` from ``state`` (the bank at 60 %), not yet started."""
    state = bank(settings=SETTINGS) if state is None else state
    request = ChargeRequest(target_soc=target, deadline=T0 + hours * HOUR, method=method)
    charge = plan_charge(state, request, steps, now=T0)
    plan = build_plan(Method.GRID, state, {**charge.values(steps), **LEVERS})
    return ChargeToRun.create_charge(
        run_id="abc",
        request=request,
        steps=steps,
        charge_plan=charge,
        plan=plan,
        state=state,
        now=T0,
        config=RunConfig(),
    )


def engage(run: ChargeToRun, now: float) -> None:
    run.engaged(now)
    run.on_update(charging(60, now), now)
    assert run.phase is Phase.BULK


def test_start_writes_the_current_before_the_levers_that_start_the_charge() -> None:
    run = new_run()
    actions = run.start(T0)
    (apply,) = [a for a in actions if isinstance(a, ApplyPlan)]
    assert [i.setting for i in apply.items][:4] == [KEYS[0], KEYS[0], KEYS[1], KEYS[1]]
    assert [i.to_value for i in apply.items][:4] == [20.0] * 4
    assert apply.items[-1].setting is SettingKey.OUTPUT_PRIORITY  # the charge starts last
    assert run.config.max_duration_s == 4 * HOUR  # the deadline bounds the run


def test_stops_at_the_target_and_reverts_everything() -> None:
    run = new_run()
    run.start(T0)
    engage(run, T0 + 60)
    assert run.on_update(charging(79, T0 + 600), T0 + 600) == []
    actions = run.on_update(charging(80, T0 + 700), T0 + 700)
    (revert,) = [a for a in actions if isinstance(a, StartRevert)]
    assert {(i.setting, i.to_value) for i in revert.items} >= {
        (KEYS[0], 60.0),
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.SBU),
    }
    assert revert.items[0].setting is SettingKey.OUTPUT_PRIORITY  # the charge ends first
    assert run.verified
    assert run.reached_at == T0 + 700


def test_behind_plan_the_next_plan_raises_the_current() -> None:
    """Ninety minutes in, still at 60 %: 20 A per unit no longer makes it; 30 A is written."""
    run = new_run()
    run.start(T0)
    engage(run, T0 + 60)
    assert run.on_update(charging(60, T0 + 1800), T0 + 1800) == []  # 2 x 20 A still does
    now = T0 + 5400
    actions = run.on_update(charging(60, now), now)
    (apply,) = [a for a in actions if isinstance(a, ApplyPlan)]
    assert {i.setting for i in apply.items} == set(KEYS)
    assert {i.to_value for i in apply.items} == {30.0}
    assert run.phase is Phase.ENGAGING
    assert [entry[2:] for entry in run.schedule] == [(20.0, 20.0), (30.0, 30.0)]
    # What is restored is still the everyday value, not the first plan's.
    assert {i.from_value for i in run.plan if i.setting in KEYS} == {60.0}
    # The old current's read-back is not a hand change while the new one is written.
    assert run.on_update(charging(60, now + 30), now + 30) == []


def test_the_deadline_stops_a_charge_that_is_late() -> None:
    run = new_run(hours=1)  # 60 -> 80 % in an hour: 2 x 70 A
    run.start(T0)
    engage(run, T0 + 60)
    actions = run.on_update(charging(70, T0 + HOUR), T0 + HOUR)
    assert any(isinstance(a, StartRevert) for a in actions)
    assert run.reason is not None
    assert run.reason.value == "max_duration"
    assert not run.verified


def test_the_record_round_trips_and_loads_by_kind() -> None:
    run = new_run()
    run.start(T0)
    engage(run, T0 + 60)
    run.on_update(charging(60, T0 + 5400), T0 + 5400)
    again = load_run(run.to_dict())
    assert isinstance(again, ChargeToRun)
    assert again.to_dict() == run.to_dict()
    assert again.request == run.request
    assert again.steps == run.steps
    assert again.summary()["schedule"] == run.summary()["schedule"]
    plain = new_run().to_dict()
    del plain["kind"]
    assert type(load_run(plain)) is CalibrationRun  # a record without a kind: a calibration's


def test_a_restart_mid_charge_reverts_to_the_everyday_values() -> None:
    run = new_run()
    run.start(T0)
    engage(run, T0 + 60)
    again = load_run(run.to_dict())
    assert again.awaits_revert
    (revert,) = [a for a in again.recover(T0 + 600) if isinstance(a, StartRevert)]
    assert {(i.setting, i.to_value) for i in revert.items if i.setting in KEYS} == {
        (KEYS[0], 60.0),
        (KEYS[1], 60.0),
    }


def hybrid_run() -> ChargeToRun:
    """60 -> 80 % in 4 h on the hybrid family's whole amps: 2 x 16 A."""
    run = new_run(steps=HYBRID)
    run.start(T0)
    engage(run, T0 + 60)
    return run


def test_a_little_ahead_the_current_is_held_not_written_a_step_lower() -> None:
    """An hour in at 66 % (a point ahead): 15 A would do, 16 A stays and ends a little early."""
    run = hybrid_run()
    assert run.held_values == (16.0, 16.0)
    now = T0 + HOUR
    assert run.on_update(charging(66, now, 32), now) == []
    assert run.held_values == (16.0, 16.0)
    assert len(run.schedule) == 1
    assert run.finish_at is not None
    # ... and the expected finish is the held current's: 14 points of 600 Ah / 0.97 at 32 A.
    assert run.finish_at - now == pytest.approx(600 * 0.14 / 0.97 / 32 * HOUR)


def test_well_ahead_a_lower_current_is_written() -> None:
    """Two hours in at 75 %: 2 x 6 A would do, far below 16 A: the lower current is sent."""
    run = hybrid_run()
    now = T0 + 2 * HOUR
    actions = run.on_update(charging(75, now, 32), now)
    (apply,) = [a for a in actions if isinstance(a, ApplyPlan)]
    assert {i.to_value for i in apply.items} == {run.held_values[0]}
    assert run.held_values[0] <= 0.8 * 16


# ---- solar first on the LVX6048 family: the charge current for the sun, the grid's share planned


def sunny(soc: float, now: float, pv_w: float) -> SystemState:
    """``charging`` with ``pv_w`` of PV on each unit and no load."""
    state = charging(soc, now)
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": pv_w, "output_power": 0.0})
    return state


def solar_first_run(hours: float, pv_w: float) -> ChargeToRun:
    """60 -> 80 % by ``hours`` with the sun's help, started and engaged."""
    run = new_run(80, hours, method=ChargeMethod.SOLAR_FIRST, state=sunny(60, T0, pv_w))
    run.start(T0)
    engage(run, T0 + 60)
    return run


def test_solar_first_holds_a_grid_share_a_little_lower() -> None:
    """2 x 60 A from the grid; 15 min later more sun would do with 2 x 50 A (17 % lower): held."""
    run = solar_first_run(1.0, 250.0)
    assert run.held_values == (80.0, 60.0)
    assert run.on_update(sunny(65, T0 + 900, 750.0), T0 + 900) == []
    assert run.held_values == (80.0, 60.0)
    assert len(run.schedule) == 1


@pytest.mark.parametrize(
    ("hours", "first", "soc", "pv_w", "then"),
    [(1.0, 60.0, 66, 1000.0, 40.0), (1.2, 50.0, 65, 500.0, 40.0)],
    ids=["a third lower", "exactly 20 % lower"],
)
def test_solar_first_writes_a_grid_share_at_least_20_percent_lower_and_keeps_the_sun_free(
    hours: float, first: float, soc: float, pv_w: float, then: float
) -> None:
    run = solar_first_run(hours, 250.0)
    assert run.held_values == (80.0, first)
    actions = run.on_update(sunny(soc, T0 + 900, pv_w), T0 + 900)
    (apply,) = [a for a in actions if isinstance(a, ApplyPlan)]
    assert {(i.setting, i.to_value) for i in apply.items} == {(KEYS[0], 80.0), (KEYS[1], then)}
    assert run.held_values == (80.0, then)
    # A restart keeps the two apart: the charge current for the sun, the grid's share planned.
    again = load_run(run.to_dict())
    assert isinstance(again, ChargeToRun)
    assert again.held_values == (80.0, then)
    assert again.summary()["schedule"][-1] == {
        "from": T0 + 900,
        "current_a": run.schedule[-1][1],
        "per_unit_current_a": 80.0,
        "grid_per_unit_current_a": then,
    }
