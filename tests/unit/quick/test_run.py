"""The quick run: engage, hold for its duration, stop on a breach, revert, its record (pure)."""

from __future__ import annotations

from datetime import time

import pytest

from custom_components.eg4.calibration import (
    ApplyPlan,
    CalibrationRun,
    Finish,
    Outcome,
    Phase,
    PlanItem,
    RunConfig,
    StartRevert,
    StopReason,
)
from custom_components.eg4.model import SettingKey, SystemState
from custom_components.eg4.quick import QuickAction, QuickRun, load_run

from ..calibration.factory import EVERYDAY_PI, T0, bank

KEY = SettingKey.QUICK_CHARGE
MINUTE = 60.0


def idle(now: float = T0, quick: float = 0.0, **metrics: object) -> SystemState:
    """Two units reporting the quick task (``quick``: 1 under way, 0 none)."""
    return bank(now=now, settings={**EVERYDAY_PI, KEY: quick}, **metrics)


def new_run(minutes: float = 30, action: QuickAction = QuickAction.CHARGE) -> QuickRun:
    state = idle()
    plan = [PlanItem(setting=KEY, unit=unit, from_value=0.0, to_value=1.0) for unit in (1, 2)]
    return QuickRun.create_quick(
        run_id="q1",
        action=action,
        duration_s=minutes * MINUTE,
        plan=plan,
        state=state,
        now=T0,
        config=RunConfig(),
    )


def engaged(run: QuickRun, at: float = T0 + 5) -> None:
    run.start(T0)
    run.engaged(at)
    run.on_update(idle(at, quick=1.0), at)
    assert run.phase is Phase.BULK


def test_start_writes_the_lever_on_every_unit() -> None:
    run = new_run()
    (apply,) = [a for a in run.start(T0) if isinstance(a, ApplyPlan)]
    assert [(i.unit, i.setting, i.to_value) for i in apply.items] == [
        (1, KEY, 1.0),
        (2, KEY, 1.0),
    ]
    assert run.phase is Phase.ENGAGING
    assert run.ends_at is None  # the time counts from the confirmed writes


def test_holds_for_its_duration_then_reverts_and_succeeds() -> None:
    run = new_run(minutes=30)
    engaged(run)
    assert run.ends_at == T0 + 5 + 30 * MINUTE
    assert run.on_update(idle(T0 + 29 * MINUTE, quick=1.0), T0 + 29 * MINUTE) == []
    end = run.ends_at
    actions = run.on_update(idle(end, quick=1.0), end)  # the update at its end stops it
    (revert,) = [a for a in actions if isinstance(a, StartRevert)]
    assert revert.reason is StopReason.COMPLETED
    assert [(i.unit, i.to_value) for i in revert.items] == [(2, 0.0), (1, 0.0)]
    done = run.revert_confirmed(T0 + 32 * MINUTE, {1: {KEY: 0.0}, 2: {KEY: 0.0}})
    assert Finish(Outcome.SUCCEEDED, StopReason.COMPLETED) in done
    assert run.outcome is Outcome.SUCCEEDED


def test_a_revert_read_back_still_on_fails_the_run() -> None:
    run = new_run()
    engaged(run)
    run.cancel(T0 + 60)
    run.revert_confirmed(T0 + 70, {1: {KEY: 0.0}, 2: {KEY: 1.0}})
    assert run.outcome is Outcome.FAILED
    assert run.awaits_revert  # the host keeps trying


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ({"cell_voltage_max": 3.62}, StopReason.CELL_OVER_VOLTAGE),
        ({"temperature_max": 47.0}, StopReason.OVER_TEMPERATURE),
    ],
)
def test_a_breach_stops_it_at_once(metrics: dict[str, float], reason: StopReason) -> None:
    run = new_run()
    engaged(run)
    actions = run.on_update(idle(T0 + 60, quick=1.0, **metrics), T0 + 60)
    assert any(isinstance(a, StartRevert) and a.reason is reason for a in actions)
    assert run.phase is Phase.REVERTING


def test_the_task_ended_outside_eg4_is_the_owners() -> None:
    """The app stopped the quick charge: the run stops, and has nothing left to put back."""
    run = new_run()
    engaged(run)
    actions = run.on_update(idle(T0 + 60, quick=0.0), T0 + 60)
    assert run.reason is StopReason.LEVER_CHANGED
    assert not any(isinstance(a, StartRevert) for a in actions)
    assert run.outcome is Outcome.ABORTED


def test_writes_not_confirmed_in_time_stop_and_revert() -> None:
    run = new_run()
    run.start(T0)
    limit = T0 + run.config.engage_write_timeout_s
    assert run.on_update(idle(limit), limit) == []  # the whole 15 minutes are waited
    assert run.phase is Phase.ENGAGING
    late = limit + 1
    actions = run.on_update(idle(late), late)
    assert any(isinstance(a, StartRevert) for a in actions)
    assert run.reason is StopReason.ENGAGE_FAILED


def test_a_restart_mid_run_reverts() -> None:
    run = new_run(minutes=90, action=QuickAction.DISCHARGE)
    engaged(run)
    again = load_run(run.to_dict())
    assert isinstance(again, QuickRun)
    assert (again.action, again.duration_s, again.ends_at) == (
        QuickAction.DISCHARGE,
        90 * MINUTE,
        run.ends_at,
    )
    actions = again.recover(T0 + 600)
    assert any(isinstance(a, StartRevert) for a in actions)
    assert again.reason is StopReason.INTERRUPTED


def test_the_record_says_what_and_for_how_long() -> None:
    run = new_run(minutes=45, action=QuickAction.DISCHARGE)
    engaged(run)
    summary = run.summary()
    assert (summary["kind"], summary["action"], summary["duration_min"]) == (
        "quick",
        "forced_discharge",
        45,
    )
    assert summary["ends_at"] == T0 + 5 + 45 * MINUTE


def test_load_run_still_reads_a_calibration() -> None:
    """A record of another kind is not taken for a quick run (its own loader reads it)."""
    record = {**new_run().to_dict(), "kind": "calibration"}
    record.pop("quick")
    loaded = load_run(record)
    assert type(loaded) is CalibrationRun
    assert loaded.kind == "calibration"


def test_a_run_without_its_lever_is_refused() -> None:
    with pytest.raises(ValueError, match="lever"):
        QuickRun.create_quick(
            run_id="x",
            action=QuickAction.CHARGE,
            duration_s=60,
            plan=[],
            state=idle(),
            now=T0,
            config=RunConfig(),
        )


def test_a_forced_discharge_window_is_stored_and_read_back_as_times() -> None:
    """lxp-bridge's plan holds window 1 too: a restart must read those times back."""
    state = bank(
        now=T0,
        settings={
            **EVERYDAY_PI,
            SettingKey.QUICK_DISCHARGE: 0.0,
            SettingKey.FORCED_DISCHARGE_START_1: time(0, 0),
            SettingKey.FORCED_DISCHARGE_END_1: time(6, 30),
        },
    )
    plan = [
        PlanItem(
            setting=SettingKey.FORCED_DISCHARGE_START_1,
            unit=1,
            from_value=time(0, 0),
            to_value=time(0, 0),
        ),
        PlanItem(
            setting=SettingKey.FORCED_DISCHARGE_END_1,
            unit=1,
            from_value=time(6, 30),
            to_value=time(23, 59),
        ),
        PlanItem(setting=SettingKey.QUICK_DISCHARGE, unit=1, from_value=0.0, to_value=1.0),
    ]
    run = QuickRun.create_quick(
        run_id="w",
        action=QuickAction.DISCHARGE,
        duration_s=600,
        plan=plan,
        state=state,
        now=T0,
        config=RunConfig(),
    )
    run.start(T0)
    again = load_run(run.to_dict())
    assert again.plan == run.plan
    assert [i.to_value for i in again.revert_items] == [0.0, time(6, 30), time(0, 0)]
