"""A cold bank (issue 12): the pre-flight reports the BMS's derated charge current.

Between the charge window's floor (5 °C) and 20 °C an LFP BMS lets less current in: the
pre-flight says how much, as a warning-level check that does not refuse the run. Below the
floor it still refuses, and below 0 °C a charge is never allowed.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.eg4.safety import (
    CHARGE_DERATING,
    DERATING_BELOW_C,
    Check,
    CheckFailure,
    CheckLevel,
    Limits,
    derated_charge_rate,
    derating,
    preflight,
)

from .factory import T0, bank, update

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


def warnings_of(state: object, **kwargs: object) -> list[CheckFailure]:
    return preflight(state, now=T0 + 10, warnings=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("temperature", "rate"),
    [
        (-10.0, 0.0),
        (-0.1, 0.0),
        (0.0, 0.0),
        (2.5, 0.05),
        (5.0, 0.1),
        (6.5, 0.13),  # the twin's cold_derate garage: ~13 A a 100-Ah pack
        (10.0, 0.2),
        (12.5, 0.3),
        (15.0, 0.4),
        (19.9, 0.988),
        (20.0, None),
        (35.0, None),
    ],
)
def test_the_derating_curve(temperature: float, rate: float | None) -> None:
    assert derated_charge_rate(temperature) == (None if rate is None else pytest.approx(rate))


def test_the_curve_is_ordered_and_ends_at_the_derating_threshold() -> None:
    temps = [t for t, _ in CHARGE_DERATING]
    assert temps == sorted(temps)
    assert temps[0] == 0.0
    assert temps[-1] == DERATING_BELOW_C == 20.0
    rates = [rate for _, rate in CHARGE_DERATING]
    assert rates == sorted(rates)
    assert (rates[0], rates[-1]) == (0.0, 1.0)


@PROPERTY
@given(st.floats(-40, 60, allow_nan=False))
def test_one_curve_for_the_warning_and_the_estimate(temperature: float) -> None:
    """The pre-flight's rate is the estimate's: one table, not two that disagree."""
    rate = derated_charge_rate(temperature)
    assert (rate is None) is (temperature >= DERATING_BELOW_C)
    assert derating(temperature) == (1.0 if rate is None else rate)


def test_a_cool_bank_gets_a_warning_not_a_refusal() -> None:
    state = bank(4, temperature_1=[22.0, 8.0, 12.0, 25.0], temperature_2=[21.0, 9.0, 14.0, 24.0])
    assert preflight(state, now=T0 + 10) == []  # the default list only holds refusals
    (warning,) = warnings_of(state)
    assert warning.check is Check.COLD_DERATED
    assert warning.level is CheckLevel.WARNING
    assert not warning.blocks
    assert warning.placeholders == {
        "sources": "pack_2, pack_3",
        "values": "pack_2: 8 °C, 0.16 C; pack_3: 12 °C, 0.28 C",
        "rate": "0.16 C",
        "per_100ah": "16 A",
        "below": "20",
    }


def test_a_warm_bank_has_no_warning() -> None:
    assert warnings_of(bank(4)) == []


def test_below_the_floor_it_is_still_a_refusal_and_not_a_warning() -> None:
    state = bank(2, temperature_1=[3.0, 25.0], temperature_2=[3.0, 25.0])
    failures = warnings_of(state)
    assert [(f.check, f.level) for f in failures] == [
        (Check.TEMPERATURE_OUT_OF_RANGE, CheckLevel.ERROR)
    ]
    assert failures[0].blocks


def test_warnings_come_after_every_refusal() -> None:
    state = bank(2, temperature_1=[8.0, 25.0])
    update(state, T0, cell_voltage_max={2: 3.62}, cell_voltage_min={2: 3.60})
    assert [f.check for f in warnings_of(state)] == [Check.CELL_VOLTAGE_HIGH, Check.COLD_DERATED]


def test_a_stricter_charge_window_moves_the_refusal_up_not_the_warning() -> None:
    state = bank(2, temperature_1=[8.0, 12.0], temperature_2=[8.0, 12.0])
    limits = Limits(charge_temperature_min=10.0)
    failures = warnings_of(state, limits=limits)
    assert [f.check for f in failures] == [Check.TEMPERATURE_OUT_OF_RANGE, Check.COLD_DERATED]
    assert failures[1].placeholders["sources"] == "pack_2"  # pack 1 is refused, not derated


@PROPERTY
@given(
    temps=st.lists(st.floats(min_value=-20, max_value=44, allow_nan=False), min_size=1, max_size=6)
)
@example(temps=[5.0])  # the window's lower edge: charged, and derated
@example(temps=[4.99, 20.0])
@example(temps=[20.0])  # the curve's top: no warning
def test_never_a_charge_below_the_floor_and_a_warning_exactly_in_between(
    temps: list[float],
) -> None:
    state = bank(len(temps), temperature_1=temps, temperature_2=temps)
    failures = warnings_of(state)
    checks = {f.check for f in failures}
    refused = any(t < 5.0 for t in temps)
    assert (Check.TEMPERATURE_OUT_OF_RANGE in checks) is refused
    assert (Check.COLD_DERATED in checks) is any(5.0 <= t < 20.0 for t in temps)
    assert all(f.blocks is (f.check is not Check.COLD_DERATED) for f in failures)
    # Whatever is refused, the default pre-flight (what the run obeys) lists no warning.
    blocking = preflight(state, now=T0 + 10)
    assert Check.COLD_DERATED not in {f.check for f in blocking}
    assert (blocking != []) is refused
