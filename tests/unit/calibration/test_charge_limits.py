"""A charge SoC limit that would end the charge early is part of the plan, or the plan is refused.

The hybrid family stops charging when the bank's SoC reads its limit: a drifted-high pack would
end the charge before the others re-anchor. A grid run raises the limit for the run (the
system one to 101, "no limit"; the AC-charge one to 100) and restores it with the other
levers; when it cannot be written, or the method writes nothing (solar), the plan says why.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import (
    CHARGE_LIMITS,
    CLOUD_FAMILY_LEVERS,
    PLAN_ERROR_REASONS,
    Method,
    PlanItem,
    build_plan,
    revert_plan,
)
from custom_components.eg4.model import ChargerPriority, SettingKey, SettingValue
from custom_components.eg4.refusal import RefusedError

from ..helpers import state_with

AC, LIMIT, CHG = (
    SettingKey.AC_CHARGE_SOC_LIMIT,
    SettingKey.CHARGE_SOC_LIMIT,
    SettingKey.CHARGER_PRIORITY,
)
FIRST, BOTH = ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY
CLOUD_WRITABLE = frozenset({AC, LIMIT, CHG, SettingKey.MAX_CHARGE_CURRENT})
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


def hybrid(limit: list[float | None], ac: list[float | None] | None = None):  # type: ignore[no-untyped-def]
    units = len(limit)
    return state_with(
        units,
        2,
        charge_soc_limit=limit,  # type: ignore[arg-type]
        ac_charge_soc_limit=ac or [90.0] * units,  # type: ignore[arg-type]
        charger_priority=[FIRST] * units,
    )


def test_a_low_charge_limit_is_raised_first_and_restored_last() -> None:
    plan = build_plan(
        Method.GRID, hybrid([95.0, 95.0]), CLOUD_FAMILY_LEVERS, writable=CLOUD_WRITABLE
    )
    assert plan == [
        PlanItem(setting=LIMIT, unit=1, from_value=95.0, to_value=101.0),
        PlanItem(setting=LIMIT, unit=2, from_value=95.0, to_value=101.0),
        PlanItem(setting=AC, unit=1, from_value=90.0, to_value=100.0),
        PlanItem(setting=AC, unit=2, from_value=90.0, to_value=100.0),
        PlanItem(setting=CHG, unit=1, from_value=FIRST, to_value=BOTH),
        PlanItem(setting=CHG, unit=2, from_value=FIRST, to_value=BOTH),
    ]
    revert = revert_plan(plan)
    assert [(i.setting, i.to_value) for i in revert[-2:]] == [(LIMIT, 95.0), (LIMIT, 95.0)]
    assert revert[0].setting is CHG  # the charge stops with the first write


def test_one_unit_low_raises_it_on_every_unit() -> None:
    plan = build_plan(
        Method.GRID, hybrid([101.0, 95.0]), CLOUD_FAMILY_LEVERS, writable=CLOUD_WRITABLE
    )
    assert [(i.setting, i.unit, i.from_value, i.changes) for i in plan[:2]] == [
        (LIMIT, 1, 101.0, False),  # already no limit: kept, so the revert restores it too
        (LIMIT, 2, 95.0, True),
    ]


def test_a_system_limit_of_100_is_lifted_too() -> None:
    """At 100 the charge still ends when the bank reads 100 %, which a drifted pack hastens."""
    plan = build_plan(
        Method.GRID, hybrid([100.0, 100.0]), CLOUD_FAMILY_LEVERS, writable=CLOUD_WRITABLE
    )
    assert [(i.setting, i.from_value, i.to_value) for i in plan[:2]] == [(LIMIT, 100.0, 101.0)] * 2


@pytest.mark.parametrize("value", [101.0, None])
def test_no_limit_or_none_reported_adds_nothing(value: float | None) -> None:
    plan = build_plan(
        Method.GRID, hybrid([value, value]), CLOUD_FAMILY_LEVERS, writable=CLOUD_WRITABLE
    )
    assert LIMIT not in {item.setting for item in plan}


def test_a_low_limit_that_cannot_be_written_refuses_the_plan() -> None:
    """By default only the levers are writable: the old call refuses rather than stop early."""
    with pytest.raises(RefusedError) as info:
        build_plan(Method.GRID, hybrid([95.0, 90.0]), CLOUD_FAMILY_LEVERS)
    assert info.value.translation_key == "plan_charge_limit_not_writable"
    assert info.value.translation_placeholders == {
        "setting": "charge_soc_limit",
        "value": "inverter_1 95, inverter_2 90",
        "limit": "101",
    }


def test_an_ac_limit_left_out_of_the_levers_refuses_when_not_writable() -> None:
    """A unit family whose AC-charge stop SoC cannot be written: refused, with the value."""
    levers = {CHG: BOTH}
    with pytest.raises(RefusedError) as info:
        build_plan(Method.GRID, hybrid([101.0, 101.0]), levers, writable={CHG})
    assert info.value.translation_key == "plan_charge_limit_not_writable"
    assert info.value.translation_placeholders["setting"] == "ac_charge_soc_limit"
    plan = build_plan(Method.GRID, hybrid([101.0, 101.0]), levers, writable={CHG, AC})
    assert [i.setting for i in plan] == [AC, AC, CHG, CHG]


def test_solar_refuses_a_limit_on_all_charging_but_not_the_ac_one() -> None:
    with pytest.raises(RefusedError) as info:
        build_plan(Method.SOLAR, hybrid([95.0, 95.0]), {})
    assert info.value.translation_key == "plan_charge_limited"
    assert info.value.translation_placeholders["setting"] == "charge_soc_limit"
    assert build_plan(Method.SOLAR, hybrid([101.0, 101.0], ac=[50.0, 50.0]), {}) == []


def test_every_reason_is_listed_for_translation() -> None:
    reasons = set()
    for call in (
        lambda: build_plan(Method.GRID, hybrid([95.0]), CLOUD_FAMILY_LEVERS),
        lambda: build_plan(Method.SOLAR, hybrid([95.0]), {}),
        lambda: build_plan(Method.GRID, hybrid([95.0]), {}),
        lambda: build_plan(Method.GRID, state_with(0, 1), CLOUD_FAMILY_LEVERS),
        lambda: build_plan(Method.GRID, hybrid([None]), {LIMIT: 100.0, AC: 100.0}),
    ):
        with pytest.raises(RefusedError) as info:
            call()
        reasons.add(info.value.translation_key)
    assert reasons == set(PLAN_ERROR_REASONS)


LIMIT_VALUE = st.one_of(st.none(), st.integers(10, 101).map(float))


@PROPERTY
@given(
    units=st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            st.lists(LIMIT_VALUE, min_size=n, max_size=n),
            st.lists(LIMIT_VALUE, min_size=n, max_size=n),
        )
    ),
    writable=st.sets(st.sampled_from([AC, LIMIT])),
    ac_lever=st.booleans(),
)
def test_a_plan_never_leaves_a_limit_that_ends_the_charge(
    units: tuple[list[float | None], list[float | None]],
    writable: set[SettingKey],
    ac_lever: bool,
) -> None:
    """Either refused with a reason, or no limit ends the charge and every value comes back."""
    limit, ac = units
    state = hybrid(limit, ac)
    levers: dict[SettingKey, SettingValue] = {AC: 100.0, CHG: BOTH} if ac_lever else {CHG: BOTH}
    refusal: RefusedError | None = None
    try:
        plan = build_plan(Method.GRID, state, levers, writable={CHG, *writable})
    except RefusedError as err:
        refusal = err
    if refusal is not None:
        key = SettingKey(refusal.translation_placeholders["setting"])
        values = state.setting_values(key).values()
        if refusal.translation_key == "plan_setting_unknown":  # a value to restore is unknown
            assert None in values
            return
        assert refusal.translation_key == "plan_charge_limit_not_writable"
        assert key not in writable
        assert key not in levers
        assert any(v is not None and v < CHARGE_LIMITS[key] for v in values)
        return
    during = {(i.setting, i.unit): i.to_value for i in plan}
    for key, target in CHARGE_LIMITS.items():
        for unit, value in state.setting_values(key).items():
            if value is not None:
                assert during.get((key, unit), value) >= target  # type: ignore[operator]
    restored = {(i.setting, i.unit): i.to_value for i in revert_plan(plan)}
    for (key, unit), value in restored.items():
        assert state.inverters[unit].settings[key] == value
