"""A held lever changed outside eg4 (calibration/levers.py and the machine's use of it).

The run stops with ``lever_changed`` on the update whose read-back contradicts a lever it saw
confirmed, and leaves that setting as the owner set it; transients never stop it.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import (
    CalibrationRun,
    EnterPhase,
    Finish,
    Method,
    Outcome,
    Phase,
    PlanItem,
    RunDataError,
    StartRevert,
    StopReason,
)
from custom_components.eg4.calibration.levers import (
    LEVER_TOLERANCE,
    LeverChange,
    restorable,
    watch_levers,
)
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SystemState,
)

from .factory import bank
from .rig import ABSORB, Rig

OUTPUT = SettingKey.OUTPUT_PRIORITY
CHARGER = SettingKey.CHARGER_PRIORITY
SOC_LIMIT = SettingKey.AC_CHARGE_SOC_LIMIT
LEVERS: dict[SettingKey, SettingValue] = {
    CHARGER: ChargerPriority.SOLAR_AND_UTILITY,
    OUTPUT: OutputPriority.SUB,
}


def set_readback(
    rig: Rig, key: SettingKey, value: SettingValue | None, units: tuple[int, ...]
) -> None:
    """What the units read back for ``key`` from now on (None: nothing readable)."""
    for unit in units:
        if value is None:
            rig.state.inverters[unit].settings.pop(key, None)
        else:
            rig.state.inverters[unit].settings[key] = value


def applied(rig: Rig) -> Rig:
    """The inverters took the levers (their read-backs show them)."""
    for key, value in LEVERS.items():
        set_readback(rig, key, value, (1, 2))
    return rig


def absorbing() -> Rig:
    """A grid run in absorption whose levers read back as applied."""
    rig = applied(Rig())
    rig.absorption()
    assert rig.run.phase is Phase.ABSORPTION
    return rig


# ---- the change ------------------------------------------------------------------------------


def test_a_lever_changed_outside_eg4_stops_the_run_and_leaves_it_to_the_owner() -> None:
    rig = absorbing()
    set_readback(rig, OUTPUT, OutputPriority.USB, (1,))
    actions = rig.tick(**ABSORB)

    charger_back = tuple(item for item in rig.run.revert_items if item.setting is CHARGER)
    assert actions == [
        EnterPhase(Phase.REVERTING),
        StartRevert(StopReason.LEVER_CHANGED, charger_back),
    ]
    assert [item.unit for item in charger_back] == [2, 1]
    assert rig.run.reason is StopReason.LEVER_CHANGED
    assert rig.run.detail == "inverter_1 output_priority: sub -> usb"
    assert rig.run.owner_settings == {OUTPUT}
    # The revert is confirmed by the settings it puts back; the owner's USB is not a failure.
    restored = {
        unit: {CHARGER: ChargerPriority.SOLAR_FIRST, OUTPUT: OutputPriority.USB} for unit in (1, 2)
    }
    assert rig.run.revert_confirmed(rig.now + 5, restored) == [
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.LEVER_CHANGED),
    ]
    assert rig.run.summary()["reason"] == "lever_changed"


def test_the_reporting_order_does_not_change_what_is_left_alone() -> None:
    """Unit 1's read-back shows the change first: the setting is the owner's on every unit."""
    rig = absorbing()
    set_readback(rig, OUTPUT, OutputPriority.SBU, (1,))
    rig.tick(**ABSORB)
    assert {item.setting for item in rig.run.revert_items} == {CHARGER}
    set_readback(rig, OUTPUT, OutputPriority.SBU, (2,))
    assert rig.tick(**ABSORB) == []  # reverting: judged once
    assert rig.run.detail == "inverter_1 output_priority: sub -> sbu"


def test_every_lever_changed_ends_the_run_with_nothing_to_write() -> None:
    rig = absorbing()
    set_readback(rig, OUTPUT, OutputPriority.SBU, (1, 2))
    set_readback(rig, CHARGER, ChargerPriority.SOLAR_ONLY, (1, 2))
    actions = rig.tick(**ABSORB)
    assert actions == [
        EnterPhase(Phase.REVERTING),
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.LEVER_CHANGED),
    ]
    assert rig.run.revert_items == ()
    assert rig.run.restored_at == rig.now
    assert "inverter_2 charger_priority: solar_and_utility -> solar_only" in rig.run.detail


def test_a_breach_in_the_same_update_names_the_breach_and_still_spares_the_owner() -> None:
    rig = absorbing()
    set_readback(rig, OUTPUT, OutputPriority.SBU, (1, 2))
    actions = rig.tick(**{**ABSORB, "cell_voltage_max": 3.7})
    assert rig.run.reason is StopReason.CELL_OVER_VOLTAGE
    assert actions[-1] == StartRevert(StopReason.CELL_OVER_VOLTAGE, rig.run.revert_items)
    assert {item.setting for item in rig.run.revert_items} == {CHARGER}


# ---- transients ------------------------------------------------------------------------------


def test_read_backs_during_the_engage_are_not_changes() -> None:
    """Before every write is confirmed, an old value (or a rolled-back one) is expected."""
    rig = applied(Rig()).engaging(confirmed=False)
    rig.tick()
    set_readback(rig, OUTPUT, OutputPriority.SBU, (1, 2))  # e.g. a partial write rolled back
    assert rig.tick() == []
    assert rig.run.phase is Phase.ENGAGING
    assert rig.run.levers_seen == set()


def test_a_lever_never_read_back_is_not_a_change() -> None:
    """A unit that has not reported, or applies the lever late, still shows the old value."""
    rig = Rig()  # the read-backs stay on the everyday settings
    rig.absorption()
    assert rig.hold(600, **ABSORB) == []
    set_readback(rig, OUTPUT, None, (1, 2))
    assert rig.tick(**ABSORB) == []
    assert rig.run.phase is Phase.ABSORPTION


def test_a_lever_read_back_late_is_watched_from_then_on() -> None:
    rig = Rig()
    rig.absorption()
    set_readback(rig, OUTPUT, OutputPriority.SUB, (1, 2))  # applied late, now shown
    assert rig.tick(**ABSORB) == []
    set_readback(rig, OUTPUT, OutputPriority.SBU, (2,))
    assert rig.tick(**ABSORB)[0] == EnterPhase(Phase.REVERTING)
    assert rig.run.detail == "inverter_2 output_priority: sub -> sbu"


def test_a_unit_that_stops_reporting_a_lever_is_not_a_change() -> None:
    rig = absorbing()
    set_readback(rig, OUTPUT, None, (1,))
    assert rig.tick(**ABSORB) == []
    set_readback(rig, OUTPUT, OutputPriority.SUB, (1,))
    assert rig.tick(**ABSORB) == []
    assert rig.run.phase is Phase.ABSORPTION


def test_the_solar_method_holds_nothing_to_watch() -> None:
    rig = Rig(Method.SOLAR)
    rig.absorption()
    set_readback(rig, OUTPUT, OutputPriority.SUB, (1, 2))
    assert rig.tick(**ABSORB) == []
    assert rig.run.phase is Phase.ABSORPTION


def soc_limit_plan(units: int = 1) -> list[PlanItem]:
    return [
        PlanItem(setting=SOC_LIMIT, unit=unit, from_value=90.0, to_value=100.0)
        for unit in range(1, units + 1)
    ]


def reading(value: SettingValue | None, unit: int = 1, key: SettingKey = SOC_LIMIT) -> SystemState:
    state = bank(1, 1)
    if value is not None:
        state.inverters[unit].settings[key] = value
    return state


@pytest.mark.parametrize(
    ("value", "changed"),
    [(100.0, False), (99.6, False), (100.4, False), (99.0, True), (90.0, True)],
)
def test_a_numeric_lever_within_tolerance_is_the_same(value: float, changed: bool) -> None:
    plan = soc_limit_plan()
    seen: set[tuple[int, SettingKey]] = set()
    assert watch_levers(plan, reading(100.0), seen) == []
    got = watch_levers(plan, reading(value), seen)
    assert got == ([LeverChange(1, SOC_LIMIT, 100.0, value)] if changed else [])


def test_a_unit_missing_from_the_state_is_skipped() -> None:
    plan = [*soc_limit_plan(), PlanItem(setting=SOC_LIMIT, unit=7, from_value=90.0, to_value=100.0)]
    seen: set[tuple[int, SettingKey]] = {(7, SOC_LIMIT)}
    assert watch_levers(plan, reading(100.0), seen) == []


# The read-backs of one lever over a run's updates, after the engage: None (not reported),
# the lever, the lever within tolerance, or another value.
READBACKS = st.lists(st.sampled_from([None, 100.0, 100.0 - LEVER_TOLERANCE / 2, 95.0]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(READBACKS)
def test_a_change_is_a_contradiction_of_a_lever_seen_before(readbacks: list[float | None]) -> None:
    """The watch reports a change exactly when a readable value other than the lever follows
    a read-back of the lever; never for None, and never before the lever was seen."""
    plan = soc_limit_plan()
    seen: set[tuple[int, SettingKey]] = set()
    saw_lever = False
    for value in readbacks:
        got = watch_levers(plan, reading(value), seen)
        is_lever = value is not None and abs(value - 100.0) <= LEVER_TOLERANCE
        expect_change = value is not None and not is_lever and saw_lever
        assert bool(got) is expect_change, (readbacks, value)
        saw_lever = saw_lever or is_lever


def test_restorable_leaves_out_the_owners_settings_on_every_unit() -> None:
    plan = soc_limit_plan(2)
    assert restorable(plan, {SOC_LIMIT}) == []
    assert restorable(plan, set()) == plan


# ---- the record ------------------------------------------------------------------------------


def round_trip(run: CalibrationRun) -> CalibrationRun:
    return CalibrationRun.from_dict(json.loads(json.dumps(run.to_dict())))


def test_the_owners_settings_survive_a_restart_and_the_revert_spares_them() -> None:
    rig = absorbing()
    set_readback(rig, OUTPUT, OutputPriority.SBU, (1,))
    rig.tick(**ABSORB)
    loaded = round_trip(rig.run)
    assert loaded.owner_settings == {OUTPUT}
    assert loaded.revert_items == rig.run.revert_items
    assert loaded.recover(rig.now + 60) == [
        StartRevert(StopReason.LEVER_CHANGED, loaded.revert_items)
    ]


def test_a_record_from_before_the_field_loads_with_no_owner_settings() -> None:
    data = Rig().run.to_dict()
    del data["owner_settings"]
    assert CalibrationRun.from_dict(data).owner_settings == set()


@pytest.mark.parametrize("junk", [["bulk_voltage"], ["no_such_setting"], [1], "output_priority"])
def test_owner_settings_outside_the_plan_are_refused(junk: object) -> None:
    data = Rig().run.to_dict()
    data["owner_settings"] = junk
    with pytest.raises(RunDataError):
        CalibrationRun.from_dict(data)
