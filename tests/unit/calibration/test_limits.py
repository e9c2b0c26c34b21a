"""Safety limits (safety.Limits): stricter user limits are accepted, looser ones refused."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.safety import (
    CELL_VOLTAGE_CEILING,
    DEFAULT_LIMITS,
    TEMPERATURE_CEILING,
    Limits,
)

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


def refused(**kwargs: object) -> RefusedError:
    with pytest.raises(RefusedError) as info:
        Limits(**kwargs)  # type: ignore[arg-type]
    return info.value


def test_defaults_are_the_field_limits() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.cell_voltage_max == 3.60
    assert DEFAULT_LIMITS.temperature_max == 45.0
    assert DEFAULT_LIMITS.temperature_min == 0.0
    assert DEFAULT_LIMITS.charge_temperature_min == 5.0
    assert DEFAULT_LIMITS.charge_temperature_max == 45.0
    assert DEFAULT_LIMITS.cell_delta_max_mv == 50.0
    assert DEFAULT_LIMITS.voltage_spread_max == 0.1
    assert DEFAULT_LIMITS.stale_after_s == 180.0
    assert CELL_VOLTAGE_CEILING == 3.65
    assert TEMPERATURE_CEILING == 50.0


def test_stricter_limits_are_accepted() -> None:
    limits = Limits(
        cell_voltage_max=3.55,
        temperature_max=40.0,
        temperature_min=2.0,
        charge_temperature_min=10.0,
        charge_temperature_max=35.0,
        cell_delta_max_mv=30.0,
        voltage_spread_max=0.05,
        stale_after_s=60.0,
    )
    assert limits.cell_voltage_max == 3.55
    assert limits.charge_temperature_min == 10.0


def test_the_ceilings_themselves_are_accepted() -> None:
    limits = Limits(cell_voltage_max=3.65, temperature_max=50, charge_temperature_max=50)
    assert limits.cell_voltage_max == 3.65
    assert limits.temperature_max == 50


@pytest.mark.parametrize(
    ("field", "value", "reason", "limit"),
    [
        ("cell_voltage_max", 3.66, "above_ceiling", "3.65"),
        ("cell_voltage_max", 3.70, "above_ceiling", "3.65"),
        ("cell_voltage_max", 4.2, "above_ceiling", "3.65"),
        ("temperature_max", 50.5, "above_ceiling", "50"),
        ("temperature_max", 60, "above_ceiling", "50"),
        ("charge_temperature_max", 51, "above_ceiling", "50"),
        ("temperature_min", -5, "below_floor", "0"),
        ("charge_temperature_min", -0.5, "below_floor", "0"),
        ("cell_delta_max_mv", 60, "above_ceiling", "50"),
        ("voltage_spread_max", 0.2, "above_ceiling", "0.1"),
        ("stale_after_s", 3600, "above_ceiling", "600"),
        ("stale_after_s", 1, "below_floor", "5"),
        ("cell_voltage_max", 3.3, "below_floor", "3.4"),
        ("cell_delta_max_mv", 0, "below_floor", "0"),
        ("voltage_spread_max", -0.1, "below_floor", "0"),
    ],
)
def test_looser_limits_are_refused(field: str, value: float, reason: str, limit: str) -> None:
    err = refused(**{field: value})
    assert isinstance(err, ValueError)
    assert err.translation_key == f"limit_{reason}"
    assert err.translation_placeholders["field"] == field
    assert err.translation_placeholders["value"] == f"{value:g}"
    assert err.translation_placeholders["limit"] == limit
    assert str(err) == f"limit_{reason}"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "3.6", True, None])
def test_non_numbers_are_refused(value: object) -> None:
    err = refused(cell_voltage_max=value)
    assert err.translation_key == "limit_not_a_number"
    assert err.translation_placeholders["field"] == "cell_voltage_max"


def test_empty_windows_are_refused() -> None:
    err = refused(charge_temperature_min=30.0, charge_temperature_max=30.0)
    assert err.translation_key == "limit_empty_window"
    assert err.translation_placeholders == {
        "field": "charge_temperature_min",
        "value": "30",
        "limit": "30",
    }
    assert (
        refused(temperature_min=20.0, temperature_max=15.0).translation_key == "limit_empty_window"
    )


def test_round_trip() -> None:
    limits = Limits(cell_voltage_max=3.5, stale_after_s=90)
    data = limits.to_dict()
    assert data["cell_voltage_max"] == 3.5
    assert all(isinstance(v, float) for v in data.values())
    assert Limits.from_dict(data) == limits


def test_from_dict_revalidates_and_refuses_junk() -> None:
    assert Limits.from_dict({}) == DEFAULT_LIMITS
    with pytest.raises(RefusedError) as info:
        Limits.from_dict({"cell_voltage_max": 3.9})
    assert info.value.translation_key == "limit_above_ceiling"
    with pytest.raises(RefusedError) as info:
        Limits.from_dict({"max_cell": 3.5})
    assert info.value.translation_key == "limit_unknown_field"
    with pytest.raises(RefusedError) as info:
        Limits.from_dict([3.5])
    assert info.value.translation_key == "limit_not_a_mapping"


def test_effective_stale_bound_is_the_stricter() -> None:
    limits = Limits(stale_after_s=180)
    assert limits.effective_stale_after(None) == 180
    assert limits.effective_stale_after(60) == 60
    assert limits.effective_stale_after(3600) == 180
    assert limits.effective_stale_after(math.nan) == 180
    assert limits.effective_stale_after(0) == 180


def test_limits_are_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.cell_voltage_max = 3.7  # type: ignore[misc]


@PROPERTY
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_cell_limit_accepted_only_within_floor_and_ceiling(value: float) -> None:
    ok = math.isfinite(value) and 3.40 - 1e-9 <= value <= 3.65 + 1e-9
    if ok:
        assert Limits(cell_voltage_max=value).cell_voltage_max == value
    else:
        with pytest.raises(RefusedError):
            Limits(cell_voltage_max=value)


@PROPERTY
@given(st.floats(min_value=-100, max_value=200))
def test_temperature_limit_never_looser_than_50(value: float) -> None:
    if 0 < value <= 50:
        assert Limits(temperature_max=value).temperature_max == value
    else:
        with pytest.raises(RefusedError):
            Limits(temperature_max=value)
