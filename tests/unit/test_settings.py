"""Setting definitions and write validation (settings.py)."""

from __future__ import annotations

import math
from datetime import UTC, time
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SystemState,
    setting_text,
    values_match,
)
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.settings import (
    AC_CHARGE_TIMES,
    AC_CHARGE_WINDOWS,
    MAX_CHARGE_CURRENT,
    MAX_UTILITY_CHARGE_CURRENT,
    STOP_CHARGE_VOLTAGE,
    NumberSetting,
    OptionSetting,
    validate,
)

from .helpers import POWERMON_CONFIG, SA_CONFIG, state_with

NUMBERS = [MAX_CHARGE_CURRENT, MAX_UTILITY_CHARGE_CURRENT, STOP_CHARGE_VOLTAGE]
NUMBER_IDS = [s.key.value for s in NUMBERS]

OUTPUT_ALL = OptionSetting(key=SettingKey.OUTPUT_PRIORITY, options=tuple(OutputPriority))
CHARGER_ALL = OptionSetting(key=SettingKey.CHARGER_PRIORITY, options=tuple(ChargerPriority))
OUTPUT_TWO = OptionSetting(
    key=SettingKey.OUTPUT_PRIORITY, options=(OutputPriority.SUB, OutputPriority.SBU)
)


def permissive_state() -> SystemState:
    """A state in which every in-range stop-charge value passes the firmware rule."""
    return state_with(2, 1, float_voltage=[58.0, 58.0])


def on_step_values(setting: NumberSetting) -> list[float]:
    count = round((setting.maximum - setting.minimum) / setting.step)
    return [setting.minimum + i * setting.step for i in range(count + 1)]


def rejected(
    setting: NumberSetting | OptionSetting, value: object, state: SystemState
) -> RefusedError:
    with pytest.raises(RefusedError) as info:
        validate(setting, value, state)
    return info.value


# ---- definitions -------------------------------------------------------------------------


def test_refused_error() -> None:
    err = RefusedError("rejected_out_of_range", value="90", unit="A")
    assert isinstance(err, ValueError)
    assert err.translation_key == "rejected_out_of_range"
    assert err.translation_placeholders == {"value": "90", "unit": "A"}
    assert str(err) == "rejected_out_of_range"
    assert RefusedError("x").translation_placeholders == {}


@pytest.mark.parametrize(
    ("setting", "key", "unit", "minimum", "maximum", "step"),
    [
        (MAX_CHARGE_CURRENT, SettingKey.MAX_CHARGE_CURRENT, "A", 10, 80, 10),
        (MAX_UTILITY_CHARGE_CURRENT, SettingKey.MAX_UTILITY_CHARGE_CURRENT, "A", 10, 80, 10),
        (STOP_CHARGE_VOLTAGE, SettingKey.STOP_CHARGE_VOLTAGE, "V", 48, 58, 1),
    ],
    ids=NUMBER_IDS,
)
def test_number_definitions(
    setting: NumberSetting,
    key: SettingKey,
    unit: str,
    minimum: float,
    maximum: float,
    step: float,
) -> None:
    assert setting.key is key
    assert setting.unit == unit
    assert (setting.minimum, setting.maximum, setting.step) == (minimum, maximum, step)
    assert setting.tolerance == step / 2


def test_option_tolerance_is_zero() -> None:
    assert OUTPUT_ALL.tolerance == 0.0
    assert CHARGER_ALL.tolerance == 0.0


def test_definitions_are_frozen_keyword_only() -> None:
    with pytest.raises(TypeError):
        NumberSetting(SettingKey.MAX_CHARGE_CURRENT, "A", 10, 80, 10)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        MAX_CHARGE_CURRENT.maximum = 100  # type: ignore[misc]


# ---- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("setting", NUMBERS, ids=NUMBER_IDS)
def test_every_on_step_value_is_accepted_as_float(setting: NumberSetting) -> None:
    state = permissive_state()
    for value in on_step_values(setting):
        for given_value in (value, int(value)):
            result = validate(setting, given_value, state)
            assert result == value
            assert type(result) is float


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        (MAX_CHARGE_CURRENT, 30.0000001, 30.0),
        (MAX_CHARGE_CURRENT, 29.9999999, 30.0),
        (MAX_UTILITY_CHARGE_CURRENT, 79.9999999999, 80.0),
        (STOP_CHARGE_VOLTAGE, 54.0000001, 54.0),
        (STOP_CHARGE_VOLTAGE, 0.1 + 53.9, 54.0),
    ],
)
def test_values_within_rounding_snap_to_the_step(
    setting: NumberSetting, value: float, expected: float
) -> None:
    assert validate(setting, value, permissive_state()) == expected


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        (MAX_CHARGE_CURRENT, 0, "0"),
        (MAX_CHARGE_CURRENT, 9.99, "9.99"),
        (MAX_CHARGE_CURRENT, 90, "90"),
        (MAX_CHARGE_CURRENT, -10, "-10"),
        (MAX_CHARGE_CURRENT, 80.5, "80.5"),
        (MAX_CHARGE_CURRENT, 1e300, "1e+300"),
        (MAX_UTILITY_CHARGE_CURRENT, 5, "5"),
        (MAX_UTILITY_CHARGE_CURRENT, 100.0, "100"),
        (STOP_CHARGE_VOLTAGE, 47, "47"),
        (STOP_CHARGE_VOLTAGE, 47.9, "47.9"),
        (STOP_CHARGE_VOLTAGE, 58.5, "58.5"),
        (STOP_CHARGE_VOLTAGE, 59, "59"),
    ],
)
def test_out_of_range(setting: NumberSetting, value: float, shown: str) -> None:
    err = rejected(setting, value, permissive_state())
    assert err.translation_key == "rejected_out_of_range"
    assert err.translation_placeholders == {
        "value": shown,
        "minimum": f"{setting.minimum:g}",
        "maximum": f"{setting.maximum:g}",
        "unit": setting.unit,
    }


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        (MAX_CHARGE_CURRENT, 15, "15"),
        (MAX_CHARGE_CURRENT, 31, "31"),
        (MAX_CHARGE_CURRENT, 79.9, "79.9"),
        (MAX_CHARGE_CURRENT, 10.001, "10.001"),
        (MAX_UTILITY_CHARGE_CURRENT, 25, "25"),
        (STOP_CHARGE_VOLTAGE, 54.5, "54.5"),
        (STOP_CHARGE_VOLTAGE, 48.1, "48.1"),
        (STOP_CHARGE_VOLTAGE, 57.99, "57.99"),
    ],
)
def test_not_on_step(setting: NumberSetting, value: float, shown: str) -> None:
    err = rejected(setting, value, permissive_state())
    assert err.translation_key == "rejected_not_on_step"
    assert err.translation_placeholders == {
        "value": shown,
        "step": f"{setting.step:g}",
        "unit": setting.unit,
    }


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        "30",
        "54",
        "",
        None,
        math.nan,
        math.inf,
        -math.inf,
        Decimal(30),
        Fraction(30),
        complex(30, 0),
        [30],
        (30,),
        {"value": 30},
        OutputPriority.SUB,
    ],
    ids=repr,
)
def test_not_a_number(value: object) -> None:
    for setting in NUMBERS:
        err = rejected(setting, value, permissive_state())
        assert err.translation_key == "rejected_not_a_number"
        assert err.translation_placeholders == {"value": str(value)}


@pytest.mark.parametrize("setting", NUMBERS, ids=NUMBER_IDS)
def test_integer_too_large_for_float_is_rejected_not_crashed(setting: NumberSetting) -> None:
    # float(10**400) raises OverflowError; validation must refuse it, not crash.
    for value in (10**400, -(10**400)):
        err = rejected(setting, value, permissive_state())
        assert err.translation_key in {"rejected_out_of_range", "rejected_not_a_number"}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    setting=st.sampled_from(NUMBERS),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(min_value=0, max_value=100),
    ),
)
def test_validate_number_returns_in_range_on_step_or_rejects(
    setting: NumberSetting, value: float
) -> None:
    try:
        result = validate(setting, value, permissive_state())
    except RefusedError as err:
        refusal = err.translation_key
    else:
        refusal = None
    if refusal is not None:
        assert refusal in {"rejected_not_a_number", "rejected_out_of_range", "rejected_not_on_step"}
        return
    assert type(result) is float
    assert setting.minimum <= result <= setting.maximum
    assert result in on_step_values(setting)
    assert abs(result - value) <= 1e-5


# ---- options -----------------------------------------------------------------------------

PROFILE_OPTIONS = [
    (name, key, setting)
    for name, config in (("powermon", POWERMON_CONFIG), ("solar_assistant", SA_CONFIG))
    for key, setting in build_profile(config).capabilities.writable.items()
    if isinstance(setting, OptionSetting)
]


@pytest.mark.parametrize(
    "setting",
    [OUTPUT_ALL, CHARGER_ALL, OUTPUT_TWO] + [s for _, _, s in PROFILE_OPTIONS],
    ids=lambda s: f"{s.key.value}:{'/'.join(o.value for o in s.options)}",
)
def test_option_accepts_enum_or_value_string(setting: OptionSetting) -> None:
    state = SystemState.empty(2, 0)
    for option in setting.options:
        assert validate(setting, option, state) is option
        assert validate(setting, option.value, state) is option
        assert validate(setting, str(option.value), state) is option


@pytest.mark.parametrize(
    ("setting", "value", "options"),
    [
        (OUTPUT_TWO, OutputPriority.USB, "sub, sbu"),
        (OUTPUT_TWO, "usb", "sub, sbu"),
        (OUTPUT_TWO, "SUB", "sub, sbu"),
        (OUTPUT_TWO, " sub", "sub, sbu"),
        (OUTPUT_TWO, "Solar - Utility - Battery", "sub, sbu"),
        (OUTPUT_TWO, ChargerPriority.SOLAR_FIRST, "sub, sbu"),
        (OUTPUT_TWO, None, "sub, sbu"),
        (OUTPUT_TWO, 1, "sub, sbu"),
        (OUTPUT_TWO, "", "sub, sbu"),
        (OUTPUT_ALL, "utility_first", "sub, sbu, usb"),
        (
            CHARGER_ALL,
            OutputPriority.SUB,
            "solar_first, solar_and_utility, solar_only, utility_first",
        ),
        (CHARGER_ALL, "solar first", "solar_first, solar_and_utility, solar_only, utility_first"),
        (CHARGER_ALL, 30.0, "solar_first, solar_and_utility, solar_only, utility_first"),
    ],
)
def test_option_rejects_others_listing_the_options(
    setting: OptionSetting, value: object, options: str
) -> None:
    err = rejected(setting, value, SystemState.empty(1, 0))
    assert err.translation_key == "rejected_invalid_option"
    assert err.translation_placeholders == {"value": str(value), "options": options}


def test_profile_option_lists() -> None:
    found = {(name, key): tuple(s.options) for name, key, s in PROFILE_OPTIONS}
    assert found == {
        ("powermon", SettingKey.OUTPUT_PRIORITY): (OutputPriority.SUB, OutputPriority.SBU),
        ("powermon", SettingKey.CHARGER_PRIORITY): (
            ChargerPriority.SOLAR_FIRST,
            ChargerPriority.SOLAR_AND_UTILITY,
            ChargerPriority.SOLAR_ONLY,
        ),
        ("solar_assistant", SettingKey.OUTPUT_PRIORITY): (
            OutputPriority.SBU,
            OutputPriority.SUB,
            OutputPriority.USB,
        ),
        ("solar_assistant", SettingKey.CHARGER_PRIORITY): (
            ChargerPriority.SOLAR_FIRST,
            ChargerPriority.SOLAR_AND_UTILITY,
            ChargerPriority.SOLAR_ONLY,
        ),
    }


def test_options_ignore_state() -> None:
    # The firmware rule only concerns the stop-charge voltage.
    state = state_with(2, 0, float_voltage=[None, None])
    assert validate(OUTPUT_TWO, "sbu", state) is OutputPriority.SBU


# ---- stop-charge firmware rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("floats", "recharges", "value", "expected"),
    [
        ([56.4, 55.2], [None, None], 55, 55.0),
        ([56.0, 56.0], [None, None], 56, 56.0),  # exactly float is allowed
        ([55.0, 57.0], [None, None], 55, 55.0),  # exactly the lowest float
        ([55.0000004, 55.0], [None, None], 55, 55.0),
        ([58.0, 58.0], [52.0, 51.0], 53, 53.0),  # just above the highest re-charge
        ([58.0, 58.0], [None, 52.0], 53, 53.0),
        ([58.0, 58.0], [None, None], 48, 48.0),  # re-charge unknown: no lower limit known
        ([58.0], [47.0], 48, 48.0),
    ],
)
def test_stop_charge_accepted(
    floats: list[float | None], recharges: list[float | None], value: float, expected: float
) -> None:
    state = state_with(len(floats), 0, float_voltage=list(floats), recharge_voltage=list(recharges))
    assert validate(STOP_CHARGE_VOLTAGE, value, state) == expected


@pytest.mark.parametrize(
    ("floats", "recharges", "value", "reason", "placeholders"),
    [
        # above any unit's float: the lowest float is named
        ([56.4, 55.2], [None, None], 56, "above_float_voltage", {"value": "56", "limit": "55.2"}),
        ([55.2, 56.4], [None, None], 58, "above_float_voltage", {"value": "58", "limit": "55.2"}),
        ([54.0], [None], 55, "above_float_voltage", {"value": "55", "limit": "54"}),
        ([54.9, 54.9], [None, None], 55, "above_float_voltage", {"value": "55", "limit": "54.9"}),
        # float not known on one unit (or any)
        ([55.0, None], [None, None], 50, "float_voltage_unknown", {"value": "50"}),
        ([None, 55.0], [None, None], 50, "float_voltage_unknown", {"value": "50"}),
        ([None, None], [None, None], 50, "float_voltage_unknown", {"value": "50"}),
        # at or below the re-charge voltage
        ([58.0, 58.0], [52.0, 51.0], 52, "below_recharge_voltage", {"value": "52", "limit": "52"}),
        ([58.0, 58.0], [52.0, 51.0], 51, "below_recharge_voltage", {"value": "51", "limit": "52"}),
        (
            [58.0, 58.0],
            [51.0, 52.5],
            52,
            "below_recharge_voltage",
            {"value": "52", "limit": "52.5"},
        ),
        ([58.0, 58.0], [None, 53.0], 53, "below_recharge_voltage", {"value": "53", "limit": "53"}),
        # the float rule is checked first
        ([50.0, 50.0], [52.0, 52.0], 55, "above_float_voltage", {"value": "55", "limit": "50"}),
    ],
)
def test_stop_charge_refused(
    floats: list[float | None],
    recharges: list[float | None],
    value: float,
    reason: str,
    placeholders: dict[str, str],
) -> None:
    state = state_with(len(floats), 0, float_voltage=list(floats), recharge_voltage=list(recharges))
    err = rejected(STOP_CHARGE_VOLTAGE, value, state)
    assert err.translation_key == f"rejected_{reason}"
    assert err.translation_placeholders == placeholders


def test_stop_charge_range_checked_before_firmware_rule() -> None:
    state = state_with(2, 0, float_voltage=[None, None])
    assert rejected(STOP_CHARGE_VOLTAGE, 59, state).translation_key == "rejected_out_of_range"
    assert rejected(STOP_CHARGE_VOLTAGE, 54.5, state).translation_key == "rejected_not_on_step"
    assert rejected(STOP_CHARGE_VOLTAGE, "54", state).translation_key == "rejected_not_a_number"


@pytest.mark.parametrize("setting", [MAX_CHARGE_CURRENT, MAX_UTILITY_CHARGE_CURRENT])
def test_firmware_rule_only_applies_to_stop_charge(setting: NumberSetting) -> None:
    state = state_with(2, 0, float_voltage=[None, 40.0], recharge_voltage=[70.0, 70.0])
    assert validate(setting, 80, state) == 80.0


def test_stop_charge_float_check_uses_every_unit() -> None:
    state = state_with(3, 0, float_voltage=[57.0, 56.0, 54.0])
    assert rejected(STOP_CHARGE_VOLTAGE, 55, state).translation_placeholders["limit"] == "54"
    state.inverters[3].settings[SettingKey.FLOAT_VOLTAGE] = 57.0
    assert validate(STOP_CHARGE_VOLTAGE, 55, state) == 55.0
    assert validate(STOP_CHARGE_VOLTAGE, 56, state) == 56.0
    assert rejected(STOP_CHARGE_VOLTAGE, 57, state).translation_placeholders["limit"] == "56"


# ---- AC-charge window boundaries (times of day) ---------------------------------------------


@pytest.mark.parametrize("key", list(AC_CHARGE_TIMES))
@given(hour=st.integers(0, 23), minute=st.integers(0, 59))
@settings(max_examples=30)
def test_a_whole_minute_time_of_day_is_taken_as_it_is(
    key: SettingKey, hour: int, minute: int
) -> None:
    value = time(hour, minute)
    assert validate(AC_CHARGE_TIMES[key], value, SystemState.empty(1, 0)) == value


@pytest.mark.parametrize(
    ("value", "reason", "shown"),
    [
        (time(22, 30, 15), "rejected_time_not_whole_minute", "22:30:15"),
        (time(6, 0, 0, 500), "rejected_time_not_whole_minute", "06:00:00.000500"),
        (time(6, 0, tzinfo=UTC), "rejected_not_a_time", "06:00:00+00:00"),
        ("22:30", "rejected_not_a_time", "22:30"),
        (1350.0, "rejected_not_a_time", "1350.0"),
        (None, "rejected_not_a_time", "None"),
    ],
)
def test_anything_but_a_whole_minute_is_refused_with_the_reason(
    value: object, reason: str, shown: str
) -> None:
    setting = AC_CHARGE_TIMES[SettingKey.AC_CHARGE_END_2]
    with pytest.raises(RefusedError) as err:
        validate(setting, value, SystemState.empty(1, 0))
    assert err.value.translation_key == reason
    assert err.value.translation_placeholders == {"value": shown}


def test_windows_are_three_start_end_pairs_that_match_exactly() -> None:
    assert [(w, s.value, e.value) for w, s, e in AC_CHARGE_WINDOWS] == [
        (1, "ac_charge_start_1", "ac_charge_end_1"),
        (2, "ac_charge_start_2", "ac_charge_end_2"),
        (3, "ac_charge_start_3", "ac_charge_end_3"),
    ]
    assert all(setting.tolerance == 0 for setting in AC_CHARGE_TIMES.values())
    assert values_match(time(22, 0), time(22, 0), 0.0)
    assert not values_match(time(22, 0), time(22, 1), 0.5)
    assert not values_match(time(22, 0), 1320.0, 0.5)
    assert setting_text(time(6, 5)) == "06:05"
