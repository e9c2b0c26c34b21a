"""Energy counters (energy.py): the guard of a source's counter, the integrator, the group sum."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from custom_components.eg4.energy import (
    MAX_GAP_S,
    RESET_FRACTION,
    CounterGuard,
    EnergyKind,
    GroupLedger,
    PowerIntegrator,
    Verdict,
    can_integrate,
    directional_power,
)


def ha_sum(shown: list[float]) -> float:
    """What Home Assistant's statistics add up for a total_increasing sensor.

    An increase counts as itself; a decrease is a new meter cycle, whose value counts whole.
    """
    total = 0.0
    for before, after in pairwise(shown):
        total += after - before if after >= before else after
    return total


def shown_values(readings: list[float]) -> tuple[CounterGuard, list[float], list[Verdict]]:
    guard = CounterGuard()
    shown: list[float] = []
    verdicts: list[Verdict] = []
    for reading in readings:
        verdicts.append(guard.update(reading))
        assert guard.value is not None
        shown.append(guard.value)
    return guard, shown, verdicts


# One meter cycle: its first reading and the energy (kWh) added before each later reading.
INCREMENTS = st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=2, max_size=12)


@st.composite
def counter_history(draw: st.DrawFn) -> tuple[list[float], float, int]:
    """A counter's readings with resets and lone glitches; the true energy; the resets.

    The first cycle starts at a lifetime value; each later cycle restarts from zero (a daily
    counter's midnight, a replaced unit). A glitch is one reading anywhere below the counter,
    never the last one and never two in a row.
    """
    start = draw(st.floats(min_value=0, max_value=10_000, allow_nan=False))
    cycles = draw(st.lists(INCREMENTS, min_size=1, max_size=4))
    readings: list[float] = []
    energy = 0.0
    last_shown: float | None = None
    for number, increments in enumerate(cycles):
        value = start if number == 0 else increments[0] * 0.01
        cycle = [value]
        for inc in increments[1:]:
            value += inc
            cycle.append(value)
        if number == 0:
            energy += cycle[-1] - cycle[0]
        else:
            assert last_shown is not None
            # A genuine reset: to near zero, and the next reading still below the old counter.
            assume(cycle[0] < RESET_FRACTION * last_shown and cycle[1] < last_shown)
            energy += cycle[-1]
        for index, reading in enumerate(cycle):
            readings.append(reading)
            glitch_allowed = 0 < index < len(cycle) - 1 and not (number > 0 and index == 0)
            if glitch_allowed and draw(st.booleans()):
                readings.append(draw(st.floats(min_value=0, max_value=reading)) * 0.999)
        last_shown = cycle[-1]
    return readings, energy, len(cycles) - 1


@given(counter_history())
def test_the_counter_shown_never_decreases_but_on_a_reset_and_counts_the_true_energy(
    history: tuple[list[float], float, int],
) -> None:
    readings, energy, resets = history
    _, shown, verdicts = shown_values(readings)
    decreases = sum(1 for a, b in pairwise(shown) if b < a)
    assert decreases == verdicts.count(Verdict.RESET) == resets
    assert ha_sum(shown) == pytest.approx(energy, rel=1e-9, abs=1e-6)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=40))
def test_whatever_arrives_the_guard_total_never_decreases(readings: list[float]) -> None:
    guard = CounterGuard()
    totals = []
    for reading in readings:
        guard.update(reading)
        totals.append(guard.total)
    assert totals == sorted(totals)


def test_a_lone_zero_is_a_glitch_not_a_reset() -> None:
    _, shown, verdicts = shown_values([1200.0, 0.0, 1200.4])
    assert shown == [1200.0, 1200.0, 1200.4]
    assert verdicts == [Verdict.ACCEPTED, Verdict.HELD, Verdict.ACCEPTED]


def test_a_small_dip_is_held_and_never_starts_a_cycle() -> None:
    _, shown, verdicts = shown_values([50.0, 49.0, 48.5, 50.2])
    assert shown == [50.0, 50.0, 50.0, 50.2]
    assert Verdict.RESET not in verdicts


def test_a_daily_counter_restarting_at_midnight_is_a_new_cycle_once_confirmed() -> None:
    guard, shown, verdicts = shown_values([18.2, 18.6, 0.0, 0.1, 0.4])
    assert shown == [18.2, 18.6, 18.6, 0.1, 0.4]
    assert verdicts[2:4] == [Verdict.HELD, Verdict.RESET]
    assert guard.total == pytest.approx(19.0)
    assert ha_sum(shown) == pytest.approx(0.4 + 0.4)


def test_a_small_counter_restarting_is_confirmed_by_any_lower_next_reading() -> None:
    # 0.3 kWh exported yesterday: the new day's 0.1 is above 10 % of it, still below it.
    _, shown, _ = shown_values([0.3, 0.0, 0.1])
    assert shown == [0.3, 0.3, 0.1]


# ---- the integrator ------------------------------------------------------------------------

# (seconds since the previous sample, watts or None for "no reading now")
SAMPLES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=2 * MAX_GAP_S, allow_nan=False),
        st.one_of(st.none(), st.floats(min_value=-5000, max_value=20_000, allow_nan=False)),
    ),
    max_size=60,
)


@given(SAMPLES)
@example([(0.0, 1000.0), (MAX_GAP_S, 1000.0)])  # exactly 5 minutes apart: still integrated
@example([(0.0, 1000.0), (MAX_GAP_S + 0.001, 1000.0)])
def test_the_integral_is_the_left_sum_over_gaps_within_the_limit(
    samples: list[tuple[float, float | None]],
) -> None:
    integrator = PowerIntegrator()
    now, expected, values = 0.0, 0.0, []
    previous: float | None = None
    for gap, watts in samples:
        now += gap
        if previous is not None and 0 < gap <= MAX_GAP_S:
            expected += max(0.0, previous) * gap / 3_600_000
        previous = watts
        integrator.sample(now, watts)
        values.append(integrator.value)
    assert values == sorted(values)
    assert integrator.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_steady_power_sampled_each_minute_counts_its_energy() -> None:
    integrator = PowerIntegrator()
    for minute in range(61):
        integrator.sample(minute * 60.0, 1200.0)
    assert integrator.value == pytest.approx(1.2)


def test_a_dropout_is_not_integrated_across() -> None:
    integrator = PowerIntegrator()
    integrator.sample(0.0, 3000.0)
    integrator.sample(60.0, 3000.0)  # 0.05 kWh
    integrator.sample(60.0 + MAX_GAP_S + 1, 3000.0)  # the bridge was silent: nothing
    assert integrator.value == pytest.approx(0.05)
    integrator.sample(600.0, None)  # the reading went stale: counted up to here, no further
    integrator.sample(660.0, 3000.0)
    assert integrator.value == pytest.approx(0.05 + 3000 * (600 - 60 - MAX_GAP_S - 1) / 3.6e6)


def test_a_restored_integrator_starts_a_new_chain() -> None:
    integrator = PowerIntegrator(value=12.5)  # what the sensor restored
    integrator.sample(10_000.0, 2000.0)  # the first sample after the restart adds nothing
    assert integrator.value == 12.5
    integrator.sample(10_060.0, 2000.0)
    assert integrator.value == pytest.approx(12.5 + 2000 * 60 / 3.6e6)


# ---- directional powers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"battery_flow": 1500.0}, (1500.0, 0.0)),
        ({"battery_flow": -800.0}, (0.0, 800.0)),
        ({"battery_voltage": 52.0, "battery_current": -10.0}, (0.0, 520.0)),
        (
            {
                "battery_voltage": 50.0,
                "battery_charge_current": 20.0,
                "battery_discharge_current": 0.0,
            },
            (1000.0, 0.0),
        ),
        (  # powermon's PI18 while discharging: the discharge current is energy out
            {
                "battery_voltage": 50.0,
                "battery_charge_current": 0.0,
                "battery_discharge_current": 12.0,
            },
            (0.0, 600.0),
        ),
        ({"battery_voltage": 50.0}, (None, None)),
    ],
)
def test_battery_charge_and_discharge_power(
    metrics: dict[str, float], expected: tuple[float | None, float | None]
) -> None:
    got = (
        directional_power(EnergyKind.BATTERY_CHARGE, metrics),  # type: ignore[arg-type]
        directional_power(EnergyKind.BATTERY_DISCHARGE, metrics),  # type: ignore[arg-type]
    )
    assert got == expected


def test_grid_import_export_pv_and_load_power() -> None:
    metrics = {"grid_power": -400.0, "pv_power": 2500.0, "output_power": 900.0}
    assert directional_power(EnergyKind.GRID_IMPORT, metrics) == 0.0  # type: ignore[arg-type]
    assert directional_power(EnergyKind.GRID_EXPORT, metrics) == 400.0  # type: ignore[arg-type]
    assert directional_power(EnergyKind.PV, metrics) == 2500.0  # type: ignore[arg-type]
    assert directional_power(EnergyKind.LOAD, metrics) == 900.0  # type: ignore[arg-type]


def test_what_a_powermon_unit_can_integrate() -> None:
    pi18 = frozenset(
        {
            "battery_voltage",
            "battery_charge_current",
            "battery_discharge_current",
            "pv_power",
            "output_power",
        }
    )
    assert [k for k in EnergyKind if can_integrate(k, pi18)] == [
        EnergyKind.PV,
        EnergyKind.BATTERY_CHARGE,
        EnergyKind.BATTERY_DISCHARGE,
        EnergyKind.LOAD,
    ]  # PI18 measures no grid power: no grid energies are invented


def test_a_reported_battery_power_alone_is_enough_to_integrate() -> None:
    """A bridge that reports the battery's power (``battery_flow``) needs no voltage."""
    assert [k for k in EnergyKind if can_integrate(k, frozenset({"battery_flow"}))] == [
        EnergyKind.BATTERY_CHARGE,
        EnergyKind.BATTERY_DISCHARGE,
    ]


# ---- the group ------------------------------------------------------------------------------


def test_the_group_waits_for_every_unit_then_sums_them() -> None:
    ledger = GroupLedger(offsets={})
    assert ledger.value({1: 100.0}, expected=2) is None
    assert ledger.value({1: 100.0, 2: 50.0}, expected=2) == 150.0
    assert ledger.value({1: 101.0, 2: 50.5}, expected=2) == 151.5


def test_a_unit_joining_later_adds_only_what_it_counts_from_then() -> None:
    ledger = GroupLedger(offsets={})
    assert ledger.value({1: 100.0}, expected=1) == 100.0
    assert ledger.value({1: 100.0, 2: 4000.0}, expected=2) == 100.0  # a lifetime counter
    assert ledger.value({1: 100.5, 2: 4001.0}, expected=2) == pytest.approx(101.5)
    assert ledger.offsets == {1: 0.0, 2: 4000.0}


@given(st.lists(st.tuples(st.integers(1, 3), st.floats(0, 10, allow_nan=False)), max_size=50))
def test_the_group_sum_never_decreases(steps: list[tuple[int, float]]) -> None:
    ledger = GroupLedger(offsets={})
    totals: dict[int, float] = {}
    values = []
    for unit, increase in steps:
        totals[unit] = totals.get(unit, 1000.0 * unit) + increase
        value = ledger.value(totals, expected=1)
        assert value is not None
        values.append(value)
    assert values == sorted(values)
