"""Which changes deserve a state row: steps per kind of value, safety thresholds (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.ingest import apply_readings
from custom_components.eg4.model import SourceId, SourceKind, SystemState
from custom_components.eg4.significance import (
    THRESHOLDS,
    crossed,
    significant,
    step_for,
)
from custom_components.eg4.transport.base import Reading

PACK_1 = SourceId(SourceKind.PACK, 1)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@pytest.mark.parametrize(
    ("device_class", "precision", "step"),
    [
        ("battery", 0, 1.0),  # a whole percent of SoC, whatever the display says
        ("temperature", None, 0.5),
        ("voltage", 1, 0.1),
        ("voltage", 3, 0.001),
        ("power", 0, 1.0),
        (None, None, 0.0),  # no display precision: every change
    ],
)
def test_step_per_kind(device_class: str | None, precision: int | None, step: float) -> None:
    assert step_for(device_class, precision) == pytest.approx(step)


@pytest.mark.parametrize(
    ("written", "value", "step", "expected"),
    [
        (53.4, 53.49, 0.1, False),
        (53.4, 53.5, 0.1, True),  # 0.0999... in floats: still a step
        (53.4, 53.3, 0.1, True),
        (52.0, 52.9, 1.0, False),
        (None, 52.0, 1.0, True),  # unknown -> known
        (52.0, None, 1.0, True),
        ("charge", "discharge", 0.0, True),
        ("charge", "charge", 0.0, False),
        (1.0, 1.0, 0.0, False),
        (1.0, 1.0000001, 0.0, True),
    ],
)
def test_significant(written: object, value: object, step: float, expected: bool) -> None:
    assert significant(written, value, step) is expected


@given(finite, finite, st.sampled_from([0.0, 0.001, 0.01, 0.1, 0.5, 1.0]))
def test_significant_is_a_symmetric_deadband(a: float, b: float, step: float) -> None:
    assert significant(a, b, step) == significant(b, a, step)
    if abs(a - b) >= step + 1e-6 and a != b:
        assert significant(a, b, step)
    if abs(a - b) < step - 1e-6:
        assert not significant(a, b, step)


@given(finite, finite)
def test_crossed_means_a_threshold_lies_between(a: float, b: float) -> None:
    thresholds = THRESHOLDS["temperature_1"]  # 0, 5, 45 °C
    between = any((a <= t < b) or (b <= t < a) for t in thresholds)
    assert crossed(thresholds, a, b) is between


def test_thresholds_are_the_default_safety_limits() -> None:
    assert THRESHOLDS["cell_voltage_max"] == (3.60,)
    assert THRESHOLDS["cell_voltage_delta"] == (50.0,)
    assert THRESHOLDS["temperature_max"] == (0.0, 5.0, 45.0)
    assert not crossed((3.60,), 3.59, 3.60)  # the limit trips above 3.60 V
    assert crossed((3.60,), 3.60, 3.601)
    assert not crossed((3.60,), None, 3.7)  # a first value is written anyway
    assert not crossed((3.60,), math.nan, 3.7)


def test_ingest_names_the_keys_that_crossed() -> None:
    state = SystemState.empty(1, 1)
    apply_readings(state, [Reading(PACK_1, "cell_voltage_max", 3.45)], 0.0)
    apply_readings(state, [Reading(PACK_1, "temperature_1", 30.0)], 0.0)
    change = apply_readings(
        state,
        [Reading(PACK_1, "cell_voltage_max", 3.61), Reading(PACK_1, "temperature_1", 31.0)],
        1.0,
    )
    assert change.crossed == {(PACK_1, "cell_voltage_max")}
    assert (PACK_1, "temperature_1") in change.keys
    # The derived maximum temperature crosses with the reading that moves it.
    change = apply_readings(state, [Reading(PACK_1, "temperature_1", 46.0)], 2.0)
    assert change.crossed == {(PACK_1, "temperature_1"), (PACK_1, "temperature_max")}
