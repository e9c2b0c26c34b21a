"""The charge-to planner: the lowest step that gets there, or what is missing (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration.estimate import LIFEPOWER4, charge_between_s
from custom_components.eg4.chargeto import (
    ChargeMethod,
    ChargeRequest,
    CurrentSteps,
    plan_charge,
)
from custom_components.eg4.chargeto.planner import BankCapacity, CapacitySource, bank_capacity
from custom_components.eg4.model import BANK_CAPACITY, PACK_CAPACITY, SettingKey, SystemState
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.settings import HYBRID_CHARGE_CURRENT, MAX_CHARGE_CURRENT

from ..calibration.factory import T0, bank

HOUR = 3600.0
PI = CurrentSteps.of(
    MAX_CHARGE_CURRENT,
    (SettingKey.MAX_CHARGE_CURRENT, SettingKey.MAX_UTILITY_CHARGE_CURRENT),
    2,
    grid_key=SettingKey.MAX_UTILITY_CHARGE_CURRENT,
)
HYBRID = CurrentSteps.of(HYBRID_CHARGE_CURRENT, (SettingKey.MAX_CHARGE_CURRENT,), 2)


def request(target: float, hours: float, method: ChargeMethod = ChargeMethod.GRID) -> ChargeRequest:
    return ChargeRequest(target_soc=target, deadline=T0 + hours * HOUR, method=method)


def seconds(soc: float, target: float, current: float, packs: int = 6) -> float:
    got = charge_between_s(
        soc, target, current, packs, 5.0, LIFEPOWER4, efficiency=LIFEPOWER4.charge_efficiency
    )
    assert got is not None
    return got


def test_steps_of_each_family() -> None:
    assert PI.values() == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
    assert HYBRID.values()[:3] == [1.0, 2.0, 3.0]
    assert HYBRID.highest == 250.0  # 0-250 A, zero left out
    assert PI.at_least(11) == 20.0
    assert PI.at_least(500) == 80.0


def test_the_lowest_pi_step_that_reaches_the_target() -> None:
    """60 -> 80 % of 600 Ah in 4 h: ~31 A, so 2 x 20 A (2 x 10 A would take 6+ h)."""
    plan = plan_charge(bank(), request(80, 4), PI, now=T0)
    assert (plan.per_unit_a, plan.grid_per_unit_a, plan.current_a) == (20.0, 20.0, 40.0)
    assert 30 < plan.needed_a < 32
    assert plan.finish_at - T0 == pytest.approx(seconds(60, 80, 40))
    assert seconds(60, 80, 20) > 4 * HOUR


def test_the_hybrid_family_plans_to_the_amp() -> None:
    plan = plan_charge(bank(), request(80, 4), HYBRID, now=T0)
    assert (plan.per_unit_a, plan.current_a) == (16.0, 32.0)


def test_above_the_cc_stage_the_taper_is_planned_for() -> None:
    """60 -> 100 % takes longer than the CC rate alone says (the taper above 97 %)."""
    plan = plan_charge(bank(), request(100, 8), HYBRID, now=T0)
    assert plan.finish_at - T0 <= 8 * HOUR
    cc_only = 600 * 0.40 / LIFEPOWER4.charge_efficiency / plan.current_a * HOUR
    assert plan.finish_at - T0 > cc_only


@pytest.mark.parametrize(
    ("state", "target", "hours", "key", "placeholders"),
    [
        (bank(), 60, 4, "charge_to_already_reached", {"soc": "60", "target": "60"}),
        (bank(), 80, -1, "charge_to_deadline_passed", {"minutes": "60"}),
        (bank(packs=0), 80, 4, "charge_to_soc_unknown", {}),
        (bank(), 100, 0.5, "charge_to_too_little_time", {"available": "160", "minutes": "30"}),
        (
            bank(temperature_1=6.0, temperature_2=6.0),
            100,
            2,
            "charge_to_too_cold",
            {"available": "72", "coldest": "6"},
        ),
    ],
    ids=["reached", "deadline_passed", "soc_unknown", "too_little_time", "too_cold"],
)
def test_refusals_name_what_is_missing(
    state: SystemState,
    target: float,
    hours: float,
    key: str,
    placeholders: dict[str, str],
) -> None:
    with pytest.raises(RefusedError) as err:
        plan_charge(state, request(target, hours), PI, now=T0)
    assert err.value.translation_key == key
    assert placeholders.items() <= err.value.translation_placeholders.items()


def test_cold_packs_are_not_blamed_when_warm_ones_would_not_make_it_either() -> None:
    """At 6 C the BMSs allow 72 A, but 60 -> 100 % in 30 min is too fast even at 2 x 80 A.

    Waiting for the batteries to warm would not help: the refusal is *too little time*, with
    what the inverters' highest setting gives the bank.
    """
    cold = bank(temperature_1=6.0, temperature_2=6.0)
    with pytest.raises(RefusedError) as err:
        plan_charge(cold, request(100, 0.5), PI, now=T0)
    assert err.value.translation_key == "charge_to_too_little_time"
    assert err.value.translation_placeholders["available"] == "160"


def test_solar_first_leaves_the_sun_free_and_plans_the_grid_share() -> None:
    """PI family: the charge current at its highest, the utility current covers the gap."""
    state = bank()
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": 2000.0, "output_power": 400.0})
    plan = plan_charge(state, request(80, 4, ChargeMethod.SOLAR_FIRST), PI, now=T0)
    assert plan.sun_a == pytest.approx(3200 / 53.4)
    assert (plan.per_unit_a, plan.grid_per_unit_a) == (80.0, 10.0)
    assert plan.values(PI) == {
        SettingKey.MAX_CHARGE_CURRENT: 80.0,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT: 10.0,
    }


def test_solar_first_without_a_grid_share_never_holds_the_sun_back() -> None:
    state = bank()
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": 3000.0, "output_power": 0.0})
    plan = plan_charge(state, request(80, 8, ChargeMethod.SOLAR_FIRST), HYBRID, now=T0)
    assert plan.per_unit_a * 2 >= plan.sun_a  # 6000 W / 53.4 V ~ 112 A
    assert plan.per_unit_a == 57.0


def test_solar_first_with_a_little_sun_keeps_the_current_the_target_needs() -> None:
    """Sun below what the plan needs (2 x 500 W, 18.7 A, against 2 x 16 A): the plan's current
    stays; only sun above it raises the current (never hold the sun back), never lowers it."""
    state = bank()
    needed = plan_charge(state, request(80, 4), HYBRID, now=T0).per_unit_a
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": 500.0, "output_power": 0.0})
    plan = plan_charge(state, request(80, 4, ChargeMethod.SOLAR_FIRST), HYBRID, now=T0)
    assert plan.sun_a < needed * 2
    assert plan.per_unit_a == needed


def test_sun_beyond_the_highest_charge_current_is_not_planned_with() -> None:
    """One hybrid unit with 15 kW to spare (281 A at 53.4 V) charges the bank at its highest
    setting, 250 A: 60 -> 100 % of 600 Ah then takes 1.05 h, so a 1 h deadline is refused and a
    2 h one finishes when 250 A says, not when 281 A would."""
    hybrid_one = CurrentSteps.of(HYBRID_CHARGE_CURRENT, (SettingKey.MAX_CHARGE_CURRENT,), 1)
    state = bank(inverters=1)
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": 15_000.0, "output_power": 0.0})
    with pytest.raises(RefusedError) as err:
        plan_charge(state, request(100, 1, ChargeMethod.SOLAR_FIRST), hybrid_one, now=T0)
    assert err.value.translation_key == "charge_to_too_little_time"
    assert err.value.translation_placeholders["available"] == "250"
    plan = plan_charge(state, request(100, 2, ChargeMethod.SOLAR_FIRST), hybrid_one, now=T0)
    assert plan.sun_a == pytest.approx(15_000 / 53.4)
    assert (plan.per_unit_a, plan.current_a) == (250.0, 250.0)
    assert plan.finish_at - T0 == pytest.approx(seconds(60, 100, 250.0))
    assert seconds(60, 100, 250.0) > HOUR > seconds(60, 100, plan.sun_a)


@settings(max_examples=150, deadline=None)
@given(
    soc=st.floats(min_value=5, max_value=95),
    gain=st.floats(min_value=1, max_value=60),
    hours=st.floats(min_value=0.2, max_value=24),
    hybrid=st.booleans(),
)
def test_the_chosen_step_is_the_lowest_that_makes_it(
    soc: float, gain: float, hours: float, hybrid: bool
) -> None:
    """Whatever the bank and the deadline: the step reaches in time, the one below does not."""
    steps = HYBRID if hybrid else PI
    target = min(100.0, round(soc) + max(1, round(gain)))
    state = bank(soc=float(round(soc)))
    if seconds(round(soc), target, steps.highest * 2) > hours * HOUR:
        with pytest.raises(RefusedError, match="charge_to_too_little_time"):
            plan_charge(state, request(target, hours), steps, now=T0)
        return
    plan = plan_charge(state, request(target, hours), steps, now=T0)
    assert plan.finish_at - T0 <= hours * HOUR + 1e-6
    lower = [v for v in steps.values() if v < plan.per_unit_a]
    if lower:
        assert seconds(round(soc), target, lower[-1] * 2) > hours * HOUR
    assert 0 < plan.per_unit_a <= 250


# ---- the bank's capacity: reported first, assumed only when nothing is ----------------------


def test_the_first_plan_counts_the_packs_reported_capacity() -> None:
    """Six 280 Ah packs (the cloud's full capacity per pack), 60 -> 80 % in 4 h: ~87 A."""
    state = bank()
    for pack in state.packs.values():
        pack.metrics[PACK_CAPACITY] = 280.0
    plan = plan_charge(state, request(80, 4), HYBRID, now=T0)
    assert plan.capacity == BankCapacity(ah=1680.0, source=CapacitySource.PACKS)
    # 20 % of 1680 Ah / 0.97 in 4 h is 86.6 A: 2 x 44 A, where 100 Ah packs would say 2 x 16 A.
    assert (plan.per_unit_a, plan.current_a) == (44.0, 88.0)
    assert plan.finish_at - T0 <= 4 * HOUR


def test_a_pack_without_its_capacity_counts_as_the_others() -> None:
    state = bank()
    for number, pack in state.packs.items():
        if number != 3:
            pack.metrics[PACK_CAPACITY] = 50.0
    assert bank_capacity(state).ah == 300.0


def test_units_reporting_one_shared_bank_count_it_once() -> None:
    """lxp-bridge: each unit's BMS port reports the whole 600 Ah bank."""
    state = bank(2)
    for pack in state.packs.values():
        pack.metrics[BANK_CAPACITY] = 600.0
    assert bank_capacity(state) == BankCapacity(ah=600.0, source=CapacitySource.BANK)
    plan = plan_charge(state, request(80, 4), HYBRID, now=T0)
    assert (plan.per_unit_a, plan.current_a) == (16.0, 32.0)  # as six 100 Ah packs


def test_units_reporting_different_banks_add_them_up() -> None:
    state = bank(2)
    for number, pack in state.packs.items():
        pack.metrics[BANK_CAPACITY] = 200.0 * number
    assert bank_capacity(state).ah == 600.0


def test_nothing_reported_assumes_100_ah_per_pack_and_says_so() -> None:
    plan = plan_charge(bank(), request(80, 4), HYBRID, now=T0)
    assert plan.capacity == BankCapacity(ah=600.0, source=CapacitySource.ASSUMED)


@settings(max_examples=60, deadline=None)
@given(ah=st.floats(min_value=20, max_value=600), target=st.integers(min_value=65, max_value=95))
def test_the_plan_reaches_the_target_in_time_whatever_the_packs_hold(
    ah: float, target: int
) -> None:
    """Whatever the packs' capacity, the planned current gets there by the deadline, and one
    amp less per unit would not (unless it is the lowest step)."""
    state = bank()
    for pack in state.packs.values():
        pack.metrics[PACK_CAPACITY] = ah
    plan = plan_charge(state, request(target, 6), HYBRID, now=T0)  # at most ~220 A
    capacity = 6 * ah * (target - 60) / 100 / LIFEPOWER4.charge_efficiency
    assert capacity / plan.current_a * HOUR <= 6 * HOUR + 1
    if plan.per_unit_a > 1:
        assert capacity / (plan.current_a - 2) * HOUR > 6 * HOUR
