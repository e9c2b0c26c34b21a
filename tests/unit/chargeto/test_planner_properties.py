"""The charge-to planner over any bank, sun, cold, capacity and deadline (pure, properties).

Whatever the owner asks and whatever the bank reports, a plan is a current the family's
settings can take, that the units and the packs' BMSs allow, and that gets there in time; a
refusal means nothing the settings allow would, and blames the cold only when warm packs
would make it; more time never asks for more current; and the grid's share is the lowest step
that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration.config import RunConfig
from custom_components.eg4.calibration.estimate import LIFEPOWER4, estimate
from custom_components.eg4.chargeto import (
    ChargeMethod,
    ChargePlan,
    ChargeRequest,
    CurrentSteps,
    plan_charge,
)
from custom_components.eg4.chargeto.planner import bank_capacity, charge_time_s, sun_current
from custom_components.eg4.model import PACK_CAPACITY, SettingKey, SystemState
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.settings import HYBRID_CHARGE_CURRENT, MAX_CHARGE_CURRENT

from ..calibration.factory import T0, bank

HOUR = 3600.0
TAPER_A = RunConfig().taper_current_a


@dataclass(frozen=True, slots=True)
class Case:
    """A bank, the family's steps and what the owner asked."""

    state: SystemState
    steps: CurrentSteps
    target: float
    method: ChargeMethod

    def plan(self, hours: float) -> ChargePlan | RefusedError:
        request = ChargeRequest(
            target_soc=self.target, deadline=T0 + hours * HOUR, method=self.method
        )
        try:
            return plan_charge(self.state, request, self.steps, now=T0)
        except RefusedError as err:
            return err

    @property
    def sun(self) -> float:
        return sun_current(self.state) if self.method is ChargeMethod.SOLAR_FIRST else 0.0

    @property
    def bms(self) -> float:
        """What the packs' BMSs allow the bank at their temperatures and capacity."""
        per_pack = bank_capacity(self.state).ah / len(self.state.packs)
        return (
            estimate(self.state, {}, RunConfig()).bms_current_a * per_pack / LIFEPOWER4.capacity_ah
        )

    def charged(self, per_unit: float, grid: float) -> float:
        """The bank's current when every unit holds these settings and the sun gives its part."""
        units, sun = self.steps.units, self.sun
        if self.steps.grid_key is not None and sun > 0:
            each = min(per_unit, grid + sun / units)
        else:
            each = min(self.steps.highest, max(grid, sun / units))
        return min(each * units, self.bms)

    def hours_at(self, current: float) -> float:
        return charge_time_s(self.state, self.target, current, TAPER_A) / HOUR


@st.composite
def cases(draw: st.DrawFn, *, sun_up_to: float = 30_000.0) -> Case:
    """Any bank of 1-8 packs on 1-3 units of either family, warm or cold, in any sun."""
    soc = draw(st.integers(min_value=0, max_value=99))
    units = draw(st.integers(min_value=1, max_value=3))
    coldest = draw(st.floats(min_value=-5, max_value=30))
    state = bank(
        draw(st.integers(min_value=1, max_value=8)),
        units,
        soc=float(soc),
        temperature_1=coldest,
        temperature_2=coldest + 1,
    )
    pv = draw(st.floats(min_value=0, max_value=sun_up_to))
    load = draw(st.floats(min_value=0, max_value=8_000))
    for inverter in state.inverters.values():
        inverter.metrics.update({"pv_power": pv, "output_power": load})
    reported = draw(st.one_of(st.none(), st.floats(min_value=20, max_value=400)))
    if reported is not None:
        for pack in state.packs.values():
            pack.metrics[PACK_CAPACITY] = reported
    if draw(st.booleans()):
        steps = CurrentSteps.of(HYBRID_CHARGE_CURRENT, (SettingKey.MAX_CHARGE_CURRENT,), units)
    else:
        steps = CurrentSteps.of(
            MAX_CHARGE_CURRENT,
            (SettingKey.MAX_CHARGE_CURRENT, SettingKey.MAX_UTILITY_CHARGE_CURRENT),
            units,
            grid_key=SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        )
    target = float(min(100, soc + draw(st.integers(min_value=1, max_value=100))))
    return Case(state, steps, target, draw(st.sampled_from(ChargeMethod)))


HOURS = st.floats(min_value=0.05, max_value=30)


@settings(max_examples=400, deadline=None)
@given(case=cases(), hours=HOURS)
def test_a_plan_is_on_the_steps_allowed_and_in_time_and_a_refusal_means_nothing_is(
    case: Case, hours: float
) -> None:
    most = min(case.steps.highest * case.steps.units, case.bms)
    plan = case.plan(hours)
    if isinstance(plan, RefusedError):
        figures = plan.translation_placeholders
        assert plan.translation_key in {"charge_to_too_little_time", "charge_to_too_cold"}
        top = case.steps.highest * case.steps.units
        cold = case.bms < top and case.hours_at(top) <= hours  # warm packs would make it
        assert (plan.translation_key == "charge_to_too_cold") == cold
        assert case.hours_at(most) > hours
        available = float(figures["available"])
        assert float(figures["needed"]) >= available == round(case.bms if cold else top)
        return
    values = case.steps.values()
    assert plan.per_unit_a in values
    assert plan.grid_per_unit_a in values
    assert plan.current_a <= most + 1e-6  # neither the units' setting nor the BMSs exceeded
    assert plan.current_a <= case.charged(plan.per_unit_a, plan.grid_per_unit_a) + 1e-6
    assert plan.needed_a <= plan.current_a + 1e-3
    assert plan.finish_at - T0 == pytest.approx(case.hours_at(plan.current_a) * HOUR, abs=1e-3)
    assert plan.finish_at <= T0 + hours * HOUR + 1e-6
    if case.method is ChargeMethod.SOLAR_FIRST and case.steps.grid_key is None:
        assert plan.per_unit_a * case.steps.units >= min(case.sun, most) - 1e-6  # sun kept


@settings(max_examples=300, deadline=None)
@given(
    case=cases(sun_up_to=12_000.0),
    hours=HOURS,
    more=st.floats(min_value=0, max_value=10),
)
def test_more_time_never_asks_for_more_and_the_grid_share_is_the_lowest_that_makes_it(
    case: Case, hours: float, more: float
) -> None:
    sooner, later = case.plan(hours), case.plan(hours + more)
    if isinstance(sooner, RefusedError):
        return
    assert isinstance(later, ChargePlan)
    assert later.per_unit_a <= sooner.per_unit_a
    assert later.grid_per_unit_a <= sooner.grid_per_unit_a
    lower = [v for v in case.steps.values() if v < sooner.grid_per_unit_a]
    raised_for_the_sun = case.steps.grid_key is None and case.sun > 0
    if lower and not raised_for_the_sun:
        assert case.hours_at(case.charged(sooner.per_unit_a, lower[-1])) > hours
