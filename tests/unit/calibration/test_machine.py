"""The calibration state machine (calibration/machine.py): every transition and abort."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from custom_components.eg4.calibration import (
    ACTIVE_PHASES,
    PI_FAMILY_LEVERS,
    TERMINAL_PHASES,
    ApplyPlan,
    CalibrationRun,
    EnterPhase,
    Finish,
    Method,
    Outcome,
    Phase,
    PhaseEntry,
    RunConfig,
    StartRevert,
    StopReason,
    build_plan,
)
from custom_components.eg4.calibration.result import SUPERVISED_PHASES
from custom_components.eg4.model import SettingKey, SystemState
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.safety import BreachReason, Limits

from .factory import T0, bank, update
from .rig import ABSORB, ANCHORED, BULK, TAPER, Rig

REVERT = Phase.REVERTING


def reverting(rig: Rig, reason: StopReason) -> list[object]:
    """The actions that start a revert of a grid run."""
    return [EnterPhase(REVERT), StartRevert(reason, rig.run.revert_items)]


# ---- names and defaults ----------------------------------------------------------------------


def test_ids_are_stable() -> None:
    assert [p.value for p in Phase] == [
        "preflight",
        "engaging",
        "bulk",
        "absorption",
        "verifying",
        "reverting",
        "succeeded",
        "aborted",
        "failed",
    ]
    assert {r.value for r in StopReason} == {
        "completed",
        "cell_over_voltage",
        "over_temperature",
        "under_temperature",
        "protection",
        "telemetry_stale",
        "max_duration",
        "cancelled",
        "engage_failed",
        "did_not_engage",
        "charge_stopped",
        "not_reanchored",
        "lever_changed",
        "interrupted",
        "error",
    }
    assert [o.phase for o in Outcome] == [Phase.SUCCEEDED, Phase.ABORTED, Phase.FAILED]
    for reason in BreachReason:
        assert StopReason.from_breach(reason).value == reason.value


def test_default_config() -> None:
    cfg = RunConfig()
    assert cfg.max_duration_s == 8 * 3600
    assert cfg.engage_timeout_s == 600
    assert cfg.engage_current_a == 5.0
    assert cfg.absorption_cell_voltage == 3.45
    assert cfg.taper_current_a == 5.0
    assert cfg.reanchor_soc == 99.0
    assert cfg.reanchor_voltage_spread == 0.1
    assert cfg.limits == Limits()
    assert RunConfig.for_method(Method.SOLAR).engage_timeout_s is None
    assert RunConfig.for_method(Method.GRID).engage_timeout_s == 600
    assert RunConfig.for_method(Method.SOLAR, engage_timeout_s=3600).engage_timeout_s == 3600


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"absorption_cell_voltage": 3.60}, "absorption_above_cell_limit"),
        (
            {"limits": Limits(cell_voltage_max=3.45), "absorption_cell_voltage": 3.45},
            "absorption_above_cell_limit",
        ),
        ({"reanchor_soc": 80.0}, "out_of_range"),
        ({"reanchor_soc": 101.0}, "out_of_range"),
        ({"reanchor_voltage_spread": 0.3}, "out_of_range"),
        ({"reanchor_cell_delta_mv": 0}, "out_of_range"),
        ({"reanchor_cell_delta_mv": 51}, "out_of_range"),
        ({"max_duration_s": 0}, "below_floor"),
        ({"taper_current_a": 0}, "below_floor"),
        ({"taper_hold_s": -1}, "not_a_number"),
        ({"verify_timeout_s": float("nan")}, "not_a_number"),
        ({"engage_current_a": "5"}, "not_a_number"),
        ({"limits": {"cell_voltage_max": 3.6}}, "not_a_mapping"),
    ],
)
def test_config_validation(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(RefusedError) as info:
        RunConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.translation_key == f"limit_{reason}"


def test_config_round_trip() -> None:
    cfg = RunConfig(
        limits=Limits(cell_voltage_max=3.55), taper_current_a=2.5, engage_timeout_s=None
    )
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(RefusedError):
        RunConfig.from_dict({"bogus": 1})
    with pytest.raises(RefusedError):
        RunConfig.from_dict(None)


def test_method_and_plan_must_agree() -> None:
    rig = Rig()
    with pytest.raises(ValueError, match="solar"):
        CalibrationRun(run_id="x", method=Method.SOLAR, plan=rig.plan, created_at=T0)
    with pytest.raises(ValueError, match="grid"):
        CalibrationRun(run_id="x", method=Method.GRID, plan=[], created_at=T0)


# ---- creation and start ----------------------------------------------------------------------


def test_create_records_the_bank_before() -> None:
    rig = Rig()
    run = rig.run
    assert run.phase is Phase.PREFLIGHT
    assert run.history == [PhaseEntry(Phase.PREFLIGHT, T0)]
    assert run.soc_before == {1: 76.0, 2: 52.0, 3: 55.0, 4: 50.0}
    assert run.soc_spread_before == 26.0
    assert run.max_cell_voltage == 3.34
    assert run.max_temperature == 25.0
    assert run.outcome is None
    assert not run.is_active
    assert not run.awaits_revert
    assert run.duration is None


def test_updates_before_start_are_ignored() -> None:
    rig = Rig()
    assert rig.tick(cell_voltage_max=3.7) == []
    assert rig.run.phase is Phase.PREFLIGHT


def test_grid_start_writes_the_plan() -> None:
    rig = Rig()
    actions = rig.run.start(T0 + 1)
    assert actions == [EnterPhase(Phase.ENGAGING), ApplyPlan(tuple(rig.plan))]
    assert rig.run.started_at == T0 + 1
    assert rig.run.engaged_at is None
    assert rig.run.is_active
    assert rig.run.start(T0 + 2) == []  # only once


def test_solar_start_writes_nothing() -> None:
    rig = Rig(Method.SOLAR)
    assert rig.plan == []
    assert rig.run.start(T0 + 1) == [EnterPhase(Phase.ENGAGING)]
    assert rig.run.engaged_at == T0 + 1
    assert rig.run.engaged(T0 + 2) == []
    assert rig.run.engaged_at == T0 + 1


# ---- engaging --------------------------------------------------------------------------------


def test_engaged_then_charging_enters_bulk() -> None:
    rig = Rig().engaging()
    assert rig.tick(current=1.0) == []  # 4 A in total: not yet proof
    assert rig.run.phase is Phase.ENGAGING
    assert rig.tick(current=[2.0, 1.0, 1.0, 1.0]) == [EnterPhase(Phase.BULK)]  # 5 A total


def test_charging_before_the_writes_are_confirmed_is_not_bulk() -> None:
    rig = Rig().engaging(confirmed=False)
    assert rig.tick(**BULK) == []
    assert rig.run.phase is Phase.ENGAGING
    rig.run.engaged(rig.now)
    assert rig.tick(**BULK) == [EnterPhase(Phase.BULK)]


def test_did_not_engage() -> None:
    rig = Rig().engaging()
    assert rig.hold(600, current=0.5) == []
    actions = rig.tick(1, current=0.5)
    assert actions == reverting(rig, StopReason.DID_NOT_ENGAGE)
    assert rig.run.detail == "total current 2 A"


def test_discharging_bank_did_not_engage() -> None:
    rig = Rig().engaging()
    assert rig.hold(660, current=-10.0)[-1] == StartRevert(
        StopReason.DID_NOT_ENGAGE, rig.run.revert_items
    )


def test_writes_never_confirmed() -> None:
    rig = Rig().engaging(confirmed=False)
    assert rig.hold(900, step=100) == []
    assert rig.tick(1) == reverting(rig, StopReason.ENGAGE_FAILED)
    assert rig.run.detail == "writes not confirmed"


def test_engage_failed_reverts() -> None:
    rig = Rig().engaging(confirmed=False)
    actions = rig.run.engage_failed(rig.now, "inverter_2 output_priority not confirmed")
    assert actions == reverting(rig, StopReason.ENGAGE_FAILED)
    assert rig.run.detail == "inverter_2 output_priority not confirmed"
    assert rig.run.engage_failed(rig.now, "again") == []


def test_solar_waits_for_the_sun_until_max_duration() -> None:
    rig = Rig(Method.SOLAR).engaging()
    assert rig.hold(4 * 3600, step=120, current=0.0) == []
    assert rig.run.phase is Phase.ENGAGING
    actions = rig.hold(4 * 3600, step=120, current=0.0)
    assert actions == [
        EnterPhase(REVERT),
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.MAX_DURATION),
    ]


def test_one_update_can_cross_several_phases() -> None:
    """A bank already in the absorption region goes engaging -> bulk -> absorption at once."""
    rig = Rig().engaging()
    assert rig.tick(**ABSORB) == [EnterPhase(Phase.BULK), EnterPhase(Phase.ABSORPTION)]


# ---- bulk ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "absorbing"), [(3.44, False), (3.45, True), (3.52, True)])
def test_bulk_to_absorption_on_the_highest_cell(cell: float, absorbing: bool) -> None:
    rig = Rig().bulk()
    actions = rig.tick(**{**BULK, "cell_voltage_max": {3: cell}})
    assert actions == ([EnterPhase(Phase.ABSORPTION)] if absorbing else [])


@pytest.mark.parametrize(("voltage", "absorbing"), [(56.1, False), (56.2, True), (56.4, True)])
def test_bulk_to_absorption_on_the_bulk_voltage(voltage: float, absorbing: bool) -> None:
    rig = Rig().bulk()
    actions = rig.tick(**{**BULK, "voltage": voltage})  # bulk setting 56.4 V, margin 0.2 V
    assert actions == ([EnterPhase(Phase.ABSORPTION)] if absorbing else [])


def test_no_bulk_voltage_route_without_a_common_setting() -> None:
    rig = Rig().bulk()
    rig.state.inverters[2].settings[SettingKey.BULK_VOLTAGE] = 56.0
    assert rig.tick(**{**BULK, "voltage": 56.3}) == []


def test_no_early_success_during_bulk() -> None:
    """A counter that says 100 % during bulk proves nothing: never succeed before the taper."""
    rig = Rig().bulk()
    actions = rig.hold(3 * 3600, step=120, **{**BULK, "soc": 100.0})
    assert actions == []
    assert rig.run.phase is Phase.BULK
    assert not rig.run.verified


def test_no_early_success_while_absorbing_with_high_current() -> None:
    rig = Rig().absorption()
    assert rig.hold(3 * 3600, step=120, **{**ABSORB, "soc": 100.0}) == []
    assert rig.run.phase is Phase.ABSORPTION


# ---- absorption ------------------------------------------------------------------------------


def test_taper_must_hold() -> None:
    rig = Rig().absorption()
    assert rig.hold(540, **TAPER) == []
    assert rig.run.taper_since is not None
    assert rig.tick(60, **ABSORB) == []  # current back up: the hold starts over
    assert rig.run.taper_since is None
    assert rig.hold(540, **TAPER) == []
    actions = rig.hold(120, **TAPER)
    assert actions == [EnterPhase(Phase.VERIFYING)]
    assert rig.run.verify_started_at == rig.now
    assert rig.run.taper_since == rig.now - 600


@pytest.mark.parametrize(
    ("currents", "tapered"),
    [
        ([3.0, 3.0, 3.0, 3.0], True),
        ([4.9, 0.0, 0.0, 0.0], True),
        ([5.0, 1.0, 1.0, 1.0], False),  # one pack still at 0.05 C: not yet
        ([2.0, 2.0, 2.0, -0.5], True),
        ([2.0, 2.0, 2.0, -3.0], False),  # a discharging pack is not a taper
        ([-8.0, -8.0, -8.0, -8.0], False),
    ],
)
def test_taper_condition(currents: list[float | None], tapered: bool) -> None:
    rig = Rig().absorption()
    actions = rig.hold(660, **{**TAPER, "current": currents})
    assert actions == ([EnterPhase(Phase.VERIFYING)] if tapered else [])


def test_unknown_current_is_no_taper() -> None:
    rig = Rig().absorption()
    for p in rig.state.packs.values():
        del p.metrics["current"]
    assert rig.hold(900, **{k: v for k, v in TAPER.items() if k != "current"}) == []


def test_configurable_taper_current() -> None:
    """0.05 C of a 50 Ah pack is 2.5 A."""
    rig = Rig(config=RunConfig(taper_current_a=2.5)).absorption()
    assert rig.hold(900, **TAPER) == []
    assert rig.hold(660, **{**TAPER, "current": 2.0}) == [EnterPhase(Phase.VERIFYING)]


# ---- verifying -------------------------------------------------------------------------------


def test_success_needs_reanchor_held() -> None:
    rig = Rig().verifying()
    assert rig.hold(240, **ANCHORED) == []
    assert rig.run.reanchor_since is not None
    actions = rig.hold(120, **ANCHORED)
    assert actions == reverting(rig, StopReason.COMPLETED)
    assert rig.run.verified
    assert rig.run.detail == ""


def test_full_success() -> None:
    rig = Rig()
    actions = rig.verified()
    assert actions == reverting(rig, StopReason.COMPLETED)
    finish = rig.run.revert_confirmed(rig.now + 30, rig.restored())
    assert finish == [EnterPhase(Phase.SUCCEEDED), Finish(Outcome.SUCCEEDED, StopReason.COMPLETED)]
    run = rig.run
    assert run.outcome is Outcome.SUCCEEDED
    assert run.restored_at == rig.now + 30
    assert [e.phase for e in run.history] == [
        Phase.PREFLIGHT,
        Phase.ENGAGING,
        Phase.BULK,
        Phase.ABSORPTION,
        Phase.VERIFYING,
        REVERT,
        Phase.SUCCEEDED,
    ]
    times = [e.at for e in run.history]
    assert times == sorted(times)
    assert run.duration == run.finished_at - run.started_at  # type: ignore[operator]
    assert run.soc_spread_before == 26.0
    assert run.soc_spread_after == 0.0
    assert run.soc_after == dict.fromkeys(range(1, 5), 100.0)
    assert run.max_cell_voltage == 3.50
    assert run.max_temperature == 25.0
    summary = run.summary()
    assert summary["outcome"] == "succeeded"
    assert summary["reason"] == "completed"
    assert summary["soc_spread_before"] == 26.0
    assert len(summary["phases"]) == 7


@pytest.mark.parametrize(
    "spoil",
    [
        {"soc": [100.0, 100.0, 100.0, 98.9]},  # one pack not re-anchored
        {"voltage": [55.6, 55.6, 55.6, 55.72]},  # spread 0.12 V: more than 0.1 V apart
        {"soc": [100.0, 100.0, 100.0, None]},  # unknown SoC counts as not re-anchored
    ],
)
def test_no_success_unless_every_pack_reanchors(spoil: dict[str, object]) -> None:
    rig = Rig().verifying()
    if None in spoil.get("soc", []):  # type: ignore[operator]
        del rig.state.packs[4].metrics["soc"]
    assert rig.hold(1200, **{**ANCHORED, **spoil}) == []
    assert not rig.run.verified


def test_reanchor_hold_restarts_when_lost() -> None:
    rig = Rig().verifying()
    assert rig.hold(240, **ANCHORED) == []
    assert rig.tick(60, **{**ANCHORED, "soc": [100.0, 100.0, 97.0, 100.0]}) == []
    assert rig.run.reanchor_since is None
    assert rig.hold(240, **ANCHORED) == []
    assert rig.hold(120, **ANCHORED)[-1] == StartRevert(StopReason.COMPLETED, rig.run.revert_items)


def test_not_reanchored_after_the_verify_timeout() -> None:
    rig = Rig().verifying()
    stuck = {**TAPER, "soc": [100.0, 93.0, 100.0, 91.0]}
    assert rig.hold(1740 - 60, **stuck) == []
    actions = rig.hold(120, **stuck)
    assert actions == reverting(rig, StopReason.NOT_REANCHORED)
    # No pack terminated (packs 1 and 3 read 100 % but their cells are 30 mV apart).
    assert rig.run.detail == (
        "pack_1: unbalanced (100 %, 3 A, 30 mV); pack_2: behind (93 %, 3 A, 30 mV); "
        "pack_3: unbalanced (100 %, 3 A, 30 mV); pack_4: behind (91 %, 3 A, 30 mV)"
    )
    assert rig.run.revert_confirmed(rig.now, rig.restored()) == [
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.NOT_REANCHORED),
    ]


def test_reanchor_in_progress_at_the_timeout_may_finish() -> None:
    rig = Rig().verifying()
    stuck = {**TAPER, "soc": 95.0}
    rig.hold(1500, **stuck)
    assert rig.hold(600, **ANCHORED)[-1] == StartRevert(StopReason.COMPLETED, rig.run.revert_items)


# ---- breaches: on the very update that carries them ------------------------------------------


def _cell(rig: Rig) -> list[object]:
    return rig.tick(cell_voltage_max={2: 3.61})  # type: ignore[return-value]


def _hot(rig: Rig) -> list[object]:
    return rig.tick(temperature_1={3: 45.5})  # type: ignore[return-value]


def _cold(rig: Rig) -> list[object]:
    return rig.tick(temperature_2={1: -1.0})  # type: ignore[return-value]


def _protection(rig: Rig) -> list[object]:
    return rig.tick(protection={4: "cell_over_voltage"})  # type: ignore[return-value]


def _stale(rig: Rig) -> list[object]:
    rig.now += 10
    rig.state.packs[3].last_seen = rig.now - 181
    return rig.run.on_update(rig.state, rig.now)  # type: ignore[return-value]


def _stale_flag(rig: Rig) -> list[object]:
    rig.now += 10
    rig.state.stale.add(rig.state.packs[2].source)
    return rig.run.on_update(rig.state, rig.now)  # type: ignore[return-value]


BREACHES: list[tuple[Callable[[Rig], list[object]], StopReason, str]] = [
    (_cell, StopReason.CELL_OVER_VOLTAGE, "cell_over_voltage pack_2: 3.61 V"),
    (_hot, StopReason.OVER_TEMPERATURE, "over_temperature pack_3: 45.5 °C"),
    (_cold, StopReason.UNDER_TEMPERATURE, "under_temperature pack_1: -1 °C"),
    (_protection, StopReason.PROTECTION, "protection pack_4: cell_over_voltage"),
    (_stale, StopReason.TELEMETRY_STALE, "telemetry_stale pack_3: 181 s"),
    (_stale_flag, StopReason.TELEMETRY_STALE, "telemetry_stale pack_2: "),
]
REACH: dict[str, Callable[[Rig], object]] = {
    "writing": lambda r: r.engaging(confirmed=False),
    "engaging": lambda r: r.engaging(),
    "bulk": Rig.bulk,
    "absorption": Rig.absorption,
    "verifying": Rig.verifying,
}


@pytest.mark.parametrize("where", list(REACH))
@pytest.mark.parametrize(
    ("spoil", "reason", "detail"), BREACHES, ids=[f"{b[1].value}-{b[0].__name__}" for b in BREACHES]
)
def test_breach_aborts_on_the_update_that_carries_it(
    where: str, spoil: Callable[[Rig], list[object]], reason: StopReason, detail: str
) -> None:
    rig = Rig()
    REACH[where](rig)
    phase = rig.run.phase
    assert phase in SUPERVISED_PHASES
    assert rig.run.on_update(rig.state, rig.now) == []  # the update before: all well
    assert spoil(rig) == reverting(rig, reason)
    assert rig.run.reason is reason
    assert rig.run.detail.startswith(detail)
    assert rig.run.revert_started_at == rig.now
    assert rig.run.history[-2].phase is phase


def test_every_breach_is_in_the_detail_most_urgent_first() -> None:
    rig = Rig().bulk()
    actions = rig.tick(**{**BULK, "protection": {1: "x"}, "cell_voltage_max": {2: 3.62}})
    assert actions == reverting(rig, StopReason.CELL_OVER_VOLTAGE)
    assert rig.run.detail == "cell_over_voltage pack_2: 3.62 V; protection pack_1: x"


def test_stricter_user_limit_aborts_earlier() -> None:
    rig = Rig(config=RunConfig(limits=Limits(cell_voltage_max=3.50))).absorption()
    assert rig.tick(**{**ABSORB, "cell_voltage_max": 3.51}) == reverting(
        rig, StopReason.CELL_OVER_VOLTAGE
    )


def test_max_duration() -> None:
    rig = Rig().bulk()
    started = rig.run.started_at
    assert started is not None
    rig.hold(8 * 3600 - (rig.now - started) - 1, step=300, **BULK)
    assert rig.run.phase is Phase.BULK
    assert rig.tick(1, **BULK) == reverting(rig, StopReason.MAX_DURATION)
    assert rig.run.detail == "28800 s"


def test_max_duration_configurable() -> None:
    rig = Rig(config=RunConfig(max_duration_s=3600)).absorption()
    assert rig.hold(3600, step=300, **ABSORB)[-1] == StartRevert(
        StopReason.MAX_DURATION, rig.run.revert_items
    )


def test_updates_while_reverting_only_record() -> None:
    rig = Rig().bulk()
    rig.run.cancel(rig.now)
    assert rig.tick(**{**BULK, "cell_voltage_max": 3.63, "temperature_1": 47.0}) == []
    assert rig.run.phase is REVERT
    assert rig.run.reason is StopReason.CANCELLED
    assert rig.run.max_cell_voltage == 3.63
    assert rig.run.max_temperature == 47.0


# ---- cancel ----------------------------------------------------------------------------------


def test_cancel_before_start_writes_nothing() -> None:
    rig = Rig()
    actions = rig.run.cancel(T0 + 5)
    assert actions == [EnterPhase(Phase.ABORTED), Finish(Outcome.ABORTED, StopReason.CANCELLED)]
    assert rig.run.finished_at == T0 + 5
    assert rig.run.duration is None
    assert rig.run.cancel(T0 + 6) == []
    assert rig.run.start(T0 + 7) == []


@pytest.mark.parametrize("where", list(REACH))
def test_cancel_reverts_from_every_supervised_phase(where: str) -> None:
    rig = Rig()
    REACH[where](rig)
    assert rig.run.cancel(rig.now) == reverting(rig, StopReason.CANCELLED)
    assert rig.run.cancel(rig.now) == []  # already reverting
    actions = rig.run.revert_confirmed(rig.now + 5, rig.restored())
    assert actions == [EnterPhase(Phase.ABORTED), Finish(Outcome.ABORTED, StopReason.CANCELLED)]
    assert rig.run.cancel(rig.now) == []


@pytest.mark.parametrize("where", list(REACH))
def test_a_fault_while_judging_stops_and_reverts_from_every_supervised_phase(where: str) -> None:
    """The supervisor calls ``fault`` when judging an update raised: the run stops rather
    than go on blind, with the error in its detail; once reverting or ended, nothing more."""
    rig = Rig()
    REACH[where](rig)
    assert rig.run.fault(rig.now, "ZeroDivisionError: float division by zero") == reverting(
        rig, StopReason.ERROR
    )
    assert rig.run.detail == "ZeroDivisionError: float division by zero"
    assert rig.run.fault(rig.now, "again") == []  # already reverting
    rig.run.revert_confirmed(rig.now + 5, rig.restored())
    assert rig.run.outcome is Outcome.ABORTED
    assert rig.run.fault(rig.now, "after the end") == []


def test_a_fault_before_the_start_changes_nothing() -> None:
    rig = Rig()
    assert rig.run.fault(T0, "ValueError: early") == []
    assert rig.run.phase is Phase.PREFLIGHT


def test_solar_cancel_finishes_without_a_revert() -> None:
    rig = Rig(Method.SOLAR).bulk()
    assert rig.run.cancel(rig.now) == [
        EnterPhase(REVERT),
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.CANCELLED),
    ]
    assert rig.run.restored_at == rig.now


def test_solar_success_needs_no_revert() -> None:
    rig = Rig(Method.SOLAR)
    actions = rig.verified()
    assert actions == [
        EnterPhase(REVERT),
        EnterPhase(Phase.SUCCEEDED),
        Finish(Outcome.SUCCEEDED, StopReason.COMPLETED),
    ]
    assert rig.run.outcome is Outcome.SUCCEEDED


# ---- revert ----------------------------------------------------------------------------------


def test_revert_not_confirmed_fails() -> None:
    rig = Rig().absorption()
    rig.tick(**{**ABSORB, "temperature_1": 46.0})
    actions = rig.run.revert_failed(rig.now + 60, "inverter_1 output_priority still sub")
    assert actions == [
        EnterPhase(Phase.FAILED),
        Finish(Outcome.FAILED, StopReason.OVER_TEMPERATURE),
    ]
    assert rig.run.revert_detail == "inverter_1 output_priority still sub"
    assert rig.run.restored_at is None
    assert rig.run.revert_failed(rig.now, "again") == []


def test_a_read_back_that_does_not_match_fails() -> None:
    """An acknowledged write is not an applied write."""
    rig = Rig()
    rig.verified()
    wrong = rig.restored()
    wrong[2] = {**wrong[2], SettingKey.OUTPUT_PRIORITY: rig.plan[-1].to_value}
    actions = rig.run.revert_confirmed(rig.now, wrong)
    assert actions == [EnterPhase(Phase.FAILED), Finish(Outcome.FAILED, StopReason.COMPLETED)]
    assert rig.run.revert_detail == "inverter_2 output_priority: sub != sbu"
    assert not rig.run.restored_at


def test_late_confirmation_after_failure_is_recorded_only() -> None:
    rig = Rig().bulk()
    rig.run.cancel(rig.now)
    rig.run.revert_failed(rig.now + 60, "timeout")
    assert rig.run.revert_confirmed(rig.now + 600, {}) == []  # still not matching
    assert rig.run.restored_at is None
    assert rig.run.revert_confirmed(rig.now + 900, rig.restored()) == []
    assert rig.run.restored_at == rig.now + 900
    assert rig.run.outcome is Outcome.FAILED


def test_awaits_revert_until_the_everyday_settings_are_confirmed_back() -> None:
    """What a stop or a start must still put back: active runs and unconfirmed failures."""
    rig = Rig()
    assert not rig.run.awaits_revert  # pre-flight: nothing written yet
    rig.bulk()
    assert rig.run.awaits_revert
    rig.run.cancel(rig.now)
    assert rig.run.phase is REVERT
    assert rig.run.awaits_revert
    rig.run.revert_failed(rig.now + 60, "timeout")
    assert rig.run.outcome is Outcome.FAILED
    assert rig.run.awaits_revert
    loaded = CalibrationRun.from_dict(rig.run.to_dict())
    assert loaded.awaits_revert  # across a restart too
    rig.run.revert_confirmed(rig.now + 900, rig.restored())
    assert not rig.run.awaits_revert
    done = Rig()
    done.verified()
    done.run.revert_confirmed(done.now, done.restored())
    assert done.run.outcome is Outcome.SUCCEEDED
    assert not done.run.awaits_revert


def test_events_out_of_phase_are_ignored() -> None:
    rig = Rig().bulk()
    before = rig.run.to_dict()
    assert rig.run.engaged(rig.now) == []
    assert rig.run.engage_failed(rig.now, "x") == []
    assert rig.run.revert_confirmed(rig.now, rig.restored()) == []
    assert rig.run.revert_failed(rig.now, "x") == []
    assert rig.run.start(rig.now) == []
    assert rig.run.to_dict() == before


def test_terminal_runs_ignore_everything() -> None:
    rig = Rig()
    rig.verified()
    rig.run.revert_confirmed(rig.now, rig.restored())
    assert rig.run.phase in TERMINAL_PHASES
    before = rig.run.to_dict()
    assert rig.tick(cell_voltage_max=3.7) == []
    assert rig.run.cancel(rig.now) == []
    assert rig.run.recover(rig.now) == []
    assert rig.run.to_dict() == before


# ---- recovery after a restart ----------------------------------------------------------------


@pytest.mark.parametrize("where", list(REACH))
def test_recover_reverts_an_interrupted_run(where: str) -> None:
    rig = Rig()
    REACH[where](rig)
    loaded = CalibrationRun.from_dict(rig.run.to_dict())
    assert loaded.awaits_revert
    assert loaded.phase in ACTIVE_PHASES
    actions = loaded.recover(rig.now + 120)
    assert actions == [
        EnterPhase(REVERT),
        StartRevert(StopReason.INTERRUPTED, loaded.revert_items),
    ]
    assert loaded.interrupted
    assert loaded.detail == f"restarted during {rig.run.phase.value}"
    assert loaded.revert_confirmed(rig.now + 150, rig.restored()) == [
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.INTERRUPTED),
    ]


def test_recover_while_reverting_keeps_the_reason() -> None:
    rig = Rig()
    rig.verified()  # verified, reverting
    loaded = CalibrationRun.from_dict(rig.run.to_dict())
    assert loaded.awaits_revert
    assert loaded.recover(rig.now + 60) == [StartRevert(StopReason.COMPLETED, loaded.revert_items)]
    assert loaded.recover(rig.now + 90) == [StartRevert(StopReason.COMPLETED, loaded.revert_items)]
    assert loaded.interrupted
    assert loaded.revert_confirmed(rig.now + 120, rig.restored())[-1] == Finish(
        Outcome.SUCCEEDED, StopReason.COMPLETED
    )


def test_recover_a_run_never_started() -> None:
    rig = Rig()
    loaded = CalibrationRun.from_dict(rig.run.to_dict())
    assert not loaded.awaits_revert
    assert loaded.recover(T0 + 60) == [
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.INTERRUPTED),
    ]


def test_recover_a_solar_run_finishes_at_once() -> None:
    rig = Rig(Method.SOLAR).absorption()
    loaded = CalibrationRun.from_dict(rig.run.to_dict())
    assert loaded.awaits_revert
    assert loaded.recover(rig.now)[-1] == Finish(Outcome.ABORTED, StopReason.INTERRUPTED)
    assert not loaded.awaits_revert


# ---- a realistic grid charge, minute by minute -----------------------------------------------


def _lfp_cell(soc: float) -> float:
    """A rough LFP charge curve: flat plateau, knee above 90 %."""
    if soc < 90:
        return 3.30 + 0.0008 * soc
    return 3.372 + (soc - 90) * 0.013


def test_realistic_grid_charge_succeeds_only_after_taper_and_hold() -> None:
    state = bank(4, soc=[76.0, 52.0, 55.0, 50.0])
    plan = build_plan(Method.GRID, state, PI_FAMILY_LEVERS)
    run = CalibrationRun.create(run_id="r", method=Method.GRID, plan=plan, state=state, now=T0)
    run.start(T0)
    run.engaged(T0 + 30)
    true_soc = 55.0  # the packs are paralleled: one true charge, four drifted counters
    counters = [76.0, 52.0, 55.0, 50.0]
    phases: list[tuple[Phase, float, list[float]]] = []
    now = T0 + 30
    for _ in range(8 * 60):
        now += 60
        current = 25.0 if true_soc < 97 else max(0.5, 25.0 * (100 - true_soc) / 3)
        true_soc = min(100.0, true_soc + current * 4 * 60 / 3600 / 4)  # 100 Ah packs
        counters = [min(100.0, c + current * 60 / 3600) for c in counters]
        if current < 2.0:  # the BMS terminates: high voltage + low taper current
            counters = [100.0] * 4
        cell = min(3.55, _lfp_cell(true_soc))
        update(
            state,
            now,
            current=current,
            soc=counters,
            voltage=round(cell * 16, 2),
            cell_voltage_max=cell,
            cell_voltage_min=cell - 0.01,
        )
        entered = [a.phase for a in run.on_update(state, now) if isinstance(a, EnterPhase)]
        phases.extend((phase, true_soc, list(counters)) for phase in entered)
        if run.phase is REVERT:
            break
    assert [p for p, _, _ in phases] == [
        Phase.BULK,
        Phase.ABSORPTION,
        Phase.VERIFYING,
        REVERT,
    ]
    bulk_counters = phases[0][2]
    assert bulk_counters[0] > 76.0  # pack 1 counted on while the others lagged
    verifying_true_soc = phases[2][1]
    assert verifying_true_soc > 99.0  # the taper finished before verification began
    assert run.verified
    assert run.reason is StopReason.COMPLETED
    assert run.max_cell_voltage is not None
    assert run.max_cell_voltage <= 3.55
    assert run.soc_spread_after == 0.0


def test_state_without_packs_never_advances() -> None:
    run = CalibrationRun(run_id="x", method=Method.SOLAR, plan=[], created_at=T0)
    run.start(T0)
    state = SystemState.empty(1, 0)
    state.inverters[1].last_seen = T0 + 10
    assert run.on_update(state, T0 + 10) == []
    assert run.phase is Phase.ENGAGING
