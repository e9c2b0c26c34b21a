"""The calibration plan (calibration/plan.py): what is written, and what is restored."""

from __future__ import annotations

import pytest

from custom_components.eg4.calibration import (
    CLOUD_FAMILY_LEVERS,
    PI_FAMILY_LEVERS,
    Method,
    PlanItem,
    build_plan,
    revert_plan,
    saved_settings,
)
from custom_components.eg4.calibration.plan import restore_mismatches
from custom_components.eg4.model import ChargerPriority, OutputPriority, SettingKey, SystemState
from custom_components.eg4.refusal import RefusedError

from ..helpers import state_with

OUT, CHG, AC = (
    SettingKey.OUTPUT_PRIORITY,
    SettingKey.CHARGER_PRIORITY,
    SettingKey.AC_CHARGE_SOC_LIMIT,
)
SBU, SUB = OutputPriority.SBU, OutputPriority.SUB
FIRST, BOTH = ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY


def everyday(units: int = 2) -> SystemState:
    return state_with(units, 1, output_priority=[SBU] * units, charger_priority=[FIRST] * units)


def test_levers() -> None:
    """Grid charge on the PI family needs SUB + solar_and_utility; the trigger is written last."""
    assert list(PI_FAMILY_LEVERS.items()) == [(CHG, BOTH), (OUT, SUB)]
    assert dict(CLOUD_FAMILY_LEVERS) == {AC: 100.0, CHG: BOTH}
    assert list(CLOUD_FAMILY_LEVERS)[-1] is CHG


def test_pi_plan_every_unit() -> None:
    plan = build_plan(Method.GRID, everyday(), PI_FAMILY_LEVERS)
    assert plan == [
        PlanItem(setting=CHG, unit=1, from_value=FIRST, to_value=BOTH),
        PlanItem(setting=CHG, unit=2, from_value=FIRST, to_value=BOTH),
        PlanItem(setting=OUT, unit=1, from_value=SBU, to_value=SUB),
        PlanItem(setting=OUT, unit=2, from_value=SBU, to_value=SUB),
    ]
    assert all(item.changes for item in plan)


def test_cloud_plan() -> None:
    state = state_with(1, 1, ac_charge_soc_limit=[90.0], charger_priority=[FIRST])
    assert build_plan(Method.GRID, state, CLOUD_FAMILY_LEVERS) == [
        PlanItem(setting=AC, unit=1, from_value=90.0, to_value=100.0),
        PlanItem(setting=CHG, unit=1, from_value=FIRST, to_value=BOTH),
    ]


def test_solar_plan_is_empty() -> None:
    assert build_plan(Method.SOLAR, everyday(), PI_FAMILY_LEVERS) == []
    assert build_plan(Method.SOLAR, SystemState.empty(0, 0), {}) == []


def test_units_already_at_target_stay_in_the_plan() -> None:
    state = state_with(2, 1, output_priority=[SUB, SUB], charger_priority=[FIRST, FIRST])
    plan = build_plan(Method.GRID, state, PI_FAMILY_LEVERS)
    assert [(i.setting, i.unit, i.changes) for i in plan] == [
        (CHG, 1, True),
        (CHG, 2, True),
        (OUT, 1, False),
        (OUT, 2, False),
    ]
    state = state_with(1, 1, ac_charge_soc_limit=[100.0], charger_priority=[BOTH])
    assert not any(i.changes for i in build_plan(Method.GRID, state, CLOUD_FAMILY_LEVERS))


def test_unknown_read_back_refuses_the_plan() -> None:
    state = state_with(2, 1, output_priority=[SBU, None], charger_priority=[FIRST, FIRST])
    with pytest.raises(RefusedError) as info:
        build_plan(Method.GRID, state, PI_FAMILY_LEVERS)
    assert isinstance(info.value, ValueError)
    assert info.value.translation_key == "plan_setting_unknown"
    assert info.value.translation_placeholders == {"setting": "output_priority", "unit": "2"}


def test_grid_needs_levers_and_units() -> None:
    with pytest.raises(RefusedError) as info:
        build_plan(Method.GRID, everyday(), {})
    assert info.value.translation_key == "plan_no_levers"
    with pytest.raises(RefusedError) as info:
        build_plan(Method.GRID, SystemState.empty(0, 1), PI_FAMILY_LEVERS)
    assert info.value.translation_key == "plan_no_inverters"


def test_revert_is_the_reverse() -> None:
    state = state_with(2, 1, output_priority=[SBU, SBU], charger_priority=[FIRST, FIRST])
    plan = build_plan(Method.GRID, state, PI_FAMILY_LEVERS)
    revert = revert_plan(plan)
    assert revert == [
        PlanItem(setting=OUT, unit=2, from_value=SUB, to_value=SBU),
        PlanItem(setting=OUT, unit=1, from_value=SUB, to_value=SBU),
        PlanItem(setting=CHG, unit=2, from_value=BOTH, to_value=FIRST),
        PlanItem(setting=CHG, unit=1, from_value=BOTH, to_value=FIRST),
    ]
    assert revert[0].setting is OUT  # the first revert write stops the grid charge
    assert revert_plan(revert) == plan
    assert revert_plan([]) == []


def test_saved_settings_and_restore_check() -> None:
    plan = build_plan(Method.GRID, everyday(), PI_FAMILY_LEVERS)
    saved = saved_settings(plan)
    assert saved == {1: {CHG: FIRST, OUT: SBU}, 2: {CHG: FIRST, OUT: SBU}}
    assert restore_mismatches(plan, saved) == []
    wrong = {1: {CHG: FIRST, OUT: SUB}, 2: {CHG: FIRST}}
    assert restore_mismatches(plan, wrong) == [
        "inverter_1 output_priority: sub != sbu",
        "inverter_2 output_priority: unknown != sbu",
    ]


def test_float_restore_tolerance() -> None:
    state = state_with(1, 1, ac_charge_soc_limit=[90.0], charger_priority=[FIRST])
    plan = build_plan(Method.GRID, state, CLOUD_FAMILY_LEVERS)
    assert restore_mismatches(plan, {1: {AC: 90.0004, CHG: FIRST}}) == []
    assert restore_mismatches(plan, {1: {AC: 100.0, CHG: FIRST}}) == [
        "inverter_1 ac_charge_soc_limit: 100 != 90"
    ]
