"""The expected current and duration of a calibration charge (calibration/estimate.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import PI_FAMILY_LEVERS, RunConfig, estimate
from custom_components.eg4.calibration.estimate import charger_current
from custom_components.eg4.model import SettingKey, SettingValue, SystemState
from custom_components.eg4.safety import derating

from .factory import EVERYDAY_PI, bank

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)
# The field's installation: two units, 60 A from the grid each (about 120 A), 80 A maximum.
FIELD: dict[SettingKey, SettingValue] = {
    **EVERYDAY_PI,
    SettingKey.MAX_CHARGE_CURRENT: 80.0,
    SettingKey.MAX_UTILITY_CHARGE_CURRENT: 60.0,
}
CONFIG = RunConfig()


def field_bank(temperature: float = 25.0, soc: float | list[float] = 55.0) -> SystemState:
    return bank(
        6, settings=FIELD, soc=soc, temperature_1=temperature, temperature_2=temperature + 1
    )


@pytest.mark.parametrize(
    ("celsius", "rate"),
    [(-5.0, 0.0), (0.0, 0.0), (2.5, 0.05), (5.0, 0.1), (12.5, 0.3), (20.0, 1.0), (35.0, 1.0)],
)
def test_the_derating_curve(celsius: float, rate: float) -> None:
    assert derating(celsius) == pytest.approx(rate)


@PROPERTY
@given(st.floats(-40, 60), st.floats(-40, 60))
def test_colder_never_allows_more(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= derating(low) <= derating(high) <= 1


def test_a_warm_bank_at_the_field_settings() -> None:
    """CC to 97 % at 120 A, the taper at ~75 A, the holds: a realistic 2-4 h."""
    result = estimate(field_bank(), PI_FAMILY_LEVERS, CONFIG)
    assert result.charger_current_a == 120.0
    assert result.current_a == 120.0
    assert result.derated_by == 0.0
    assert result.coldest_c == 25.0
    assert result.soc == 55.0
    cc = 600 * 0.42 / 120 * 3600
    taper = 600 * 0.03 / 75 * 3600
    assert result.duration_s == pytest.approx(cc + taper + 600 + 300)
    assert 2 * 3600 < result.duration_s < 4 * 3600  # type: ignore[operator]
    assert result.to_dict() == {
        "current_a": 120.0,
        "charger_current_a": 120.0,
        "bms_current_a": 600.0,
        "derated_by": 0.0,
        "coldest_c": 25.0,
        "soc_pct": 55.0,
        "duration_s": round(cc + taper + 900),
        "duration_min": round((cc + taper + 900) / 60),
    }


def test_the_cold_derates_the_current_and_stretches_the_run() -> None:
    """At 5 °C each BMS allows 0.1 C: 60 A for the bank instead of the charger's 120 A."""
    warm = estimate(field_bank(), PI_FAMILY_LEVERS, CONFIG)
    cold = estimate(field_bank(5.0), PI_FAMILY_LEVERS, CONFIG)
    assert cold.bms_current_a == pytest.approx(60.0)
    assert cold.current_a == pytest.approx(60.0)
    assert cold.derated_by == pytest.approx(0.5)
    assert cold.coldest_c == 5.0
    assert cold.duration_s > 1.8 * warm.duration_s  # type: ignore[operator]


def test_below_freezing_nothing_charges() -> None:
    result = estimate(field_bank(-1.0), PI_FAMILY_LEVERS, CONFIG)
    assert result.current_a == 0.0
    assert result.derated_by == 1.0
    assert result.duration_s is None


def test_one_drifted_pack_does_not_move_the_estimate() -> None:
    drifted = field_bank(soc=[76.0, 55.0, 55.0, 54.0, 56.0, 55.0])
    assert estimate(drifted, PI_FAMILY_LEVERS, CONFIG).soc == 55.0


def test_unknown_soc_or_current_settings() -> None:
    state = bank(2, settings=EVERYDAY_PI)
    for pack in state.packs.values():
        del pack.metrics["soc"]
    result = estimate(state, PI_FAMILY_LEVERS, CONFIG)
    assert result.charger_current_a is None
    assert result.current_a == 200.0  # only the BMSs bound it
    assert result.soc is None
    assert result.duration_s is None


def test_levers_win_over_the_read_backs_and_solar_ignores_the_utility_current() -> None:
    state = field_bank()
    assert charger_current(state, {SettingKey.MAX_UTILITY_CHARGE_CURRENT: 30.0}) == 60.0
    assert charger_current(state, {}) == 160.0  # the sun: up to the maximum charge current


def test_a_full_bank_needs_only_the_holds() -> None:
    result = estimate(field_bank(soc=100.0), PI_FAMILY_LEVERS, CONFIG)
    assert result.duration_s == CONFIG.taper_hold_s + CONFIG.verify_hold_s


@PROPERTY
@given(
    soc=st.floats(0, 100),
    cold=st.floats(0.5, 40),
    warmer=st.floats(0, 20),
)
def test_a_colder_or_emptier_bank_never_finishes_sooner(
    soc: float, cold: float, warmer: float
) -> None:
    slow = estimate(field_bank(cold, soc), PI_FAMILY_LEVERS, CONFIG).duration_s
    fast = estimate(field_bank(cold + warmer, soc), PI_FAMILY_LEVERS, CONFIG).duration_s
    fuller = estimate(field_bank(cold, min(100.0, soc + 10)), PI_FAMILY_LEVERS, CONFIG).duration_s
    assert slow is not None
    assert fast is not None
    assert fuller is not None
    assert fast <= slow * (1 + 1e-9)
    assert fuller <= slow * (1 + 1e-9)
    assert math.isfinite(slow)
