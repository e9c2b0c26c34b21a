"""Shared scalar parsers (profiles/base.py) and PI-family option tables (common.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.eg4.model import ChargerPriority, OutputPriority
from custom_components.eg4.profiles import base
from custom_components.eg4.profiles.base import (
    COUNT,
    CURRENT,
    DEVICE_MODE_OPTIONS,
    DEVICE_MODES,
    LOAD_PERCENT,
    MAX_VERSION,
    MILLIVOLT_DELTA,
    PERCENT,
    POWER,
    TEMPERATURE,
    VOLTAGE_AC,
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    VOLTAGE_PV,
    Bounds,
    normalize,
    number_parser,
    option_parser,
    parse_device_mode,
    parse_number,
    parse_version,
)
from custom_components.eg4.profiles.common import (
    BATTERY_DIRECTIONS,
    CHARGER_PRIORITY_READBACK,
    LINE_DIRECTIONS,
    MAX_FLAGS,
    OUTPUT_PRIORITY_READBACK,
    parse_protection,
)

from .helpers import NASTY_PAYLOADS, payloads

ALL_BOUNDS = [
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    VOLTAGE_AC,
    VOLTAGE_PV,
    CURRENT,
    POWER,
    PERCENT,
    LOAD_PERCENT,
    TEMPERATURE,
    MILLIVOLT_DELTA,
    COUNT,
]
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


# ---- bounds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "low", "high"),
    [
        (VOLTAGE_BANK, 0.0, 80.0),
        (VOLTAGE_CELL, 0.0, 5.0),
        (VOLTAGE_AC, 0.0, 400.0),
        (VOLTAGE_PV, 0.0, 1000.0),
        (CURRENT, -1000.0, 1000.0),
        (POWER, -100_000.0, 100_000.0),
        (PERCENT, 0.0, 100.0),
        (LOAD_PERCENT, 0.0, 300.0),
        (TEMPERATURE, -50.0, 150.0),
        (MILLIVOLT_DELTA, 0.0, 5000.0),
        (COUNT, 0.0, 1_000_000.0),
    ],
)
def test_bounds_constants(bounds: Bounds, low: float, high: float) -> None:
    assert (bounds.low, bounds.high) == (low, high)
    assert bounds.low < bounds.high


def test_bounds_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PERCENT.low = -1.0  # type: ignore[misc]


# ---- parse_number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "bounds", "expected"),
    [
        ("53.4", VOLTAGE_BANK, 53.4),
        (" 53.4 ", VOLTAGE_BANK, 53.4),
        ("53.4\n", VOLTAGE_BANK, 53.4),
        ("\t3.305\r\n", VOLTAGE_CELL, 3.305),
        ("0", PERCENT, 0.0),
        ("100", PERCENT, 100.0),  # upper bound inclusive
        ("0.0", PERCENT, 0.0),  # lower bound inclusive
        ("-0", PERCENT, 0.0),
        ("1e2", PERCENT, 100.0),
        ("3.7e1", TEMPERATURE, 37.0),
        ("-50", TEMPERATURE, -50.0),
        ("150", TEMPERATURE, 150.0),
        ("-12.5", CURRENT, -12.5),
        ("+12.5", CURRENT, 12.5),
        ("-1000", CURRENT, -1000.0),
        ("-100000", POWER, -100_000.0),
        ("1000000", COUNT, 1_000_000.0),
        ("5", VOLTAGE_CELL, 5.0),
        ("0" * 31 + "1", COUNT, 1.0),  # 32 characters: the longest accepted
        (" " * 40 + "42" + " " * 40, PERCENT, 42.0),  # whitespace is not counted
    ],
)
def test_parse_number_accepts(payload: str, bounds: Bounds, expected: float) -> None:
    value = parse_number(payload, bounds)
    assert value == expected
    assert type(value) is float


@pytest.mark.parametrize(
    ("payload", "bounds"),
    [
        ("", PERCENT),
        ("   ", PERCENT),
        ("\n", PERCENT),
        ("nan", PERCENT),
        ("NaN", PERCENT),
        ("inf", COUNT),
        ("-inf", CURRENT),
        ("Infinity", COUNT),
        ("1e400", COUNT),  # overflows to inf
        ("-1e400", CURRENT),
        ("abc", PERCENT),
        ("53,4", VOLTAGE_BANK),
        ("0x10", PERCENT),
        ("1/2", PERCENT),
        ("None", PERCENT),
        ("true", PERCENT),
        ("53.4 V", VOLTAGE_BANK),
        ("100.0001", PERCENT),
        ("-0.1", PERCENT),
        ("5.01", VOLTAGE_CELL),
        ("-50.1", TEMPERATURE),
        ("150.1", TEMPERATURE),
        ("80.5", VOLTAGE_BANK),
        ("1000000.5", COUNT),
        ("1e308", POWER),
        ("0" * 32 + "1", COUNT),  # 33 characters: oversized even though it is a number
        ("9" * 400, COUNT),
        ("53.4\x00", VOLTAGE_BANK),
    ],
)
def test_parse_number_rejects(payload: str, bounds: Bounds) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the parser's only error type
        parse_number(payload, bounds)


@PROPERTY
@given(text=st.one_of(payloads, st.text()), bounds=st.sampled_from(ALL_BOUNDS))
@example(text="1e400", bounds=COUNT)
@example(text="-0.0", bounds=PERCENT)
@example(text="\u00b2", bounds=COUNT)
def test_parse_number_only_finite_in_bounds_or_value_error(text: str, bounds: Bounds) -> None:
    try:
        value = parse_number(text, bounds)
    except ValueError:
        return
    assert isinstance(value, float)
    assert math.isfinite(value)
    assert bounds.low <= value <= bounds.high


@PROPERTY
@given(data=st.data(), bounds=st.sampled_from(ALL_BOUNDS))
def test_parse_number_round_trips_every_in_bounds_float(
    data: st.DataObject, bounds: Bounds
) -> None:
    number = data.draw(st.floats(min_value=bounds.low, max_value=bounds.high))
    assert parse_number(repr(number), bounds) == number
    assert parse_number(f" {number!r}\n", bounds) == number


@PROPERTY
@given(
    data=st.data(),
    bounds=st.sampled_from(ALL_BOUNDS),
)
def test_parse_number_refuses_every_out_of_bounds_float(
    data: st.DataObject, bounds: Bounds
) -> None:
    excess = data.draw(st.floats(min_value=1e-6, max_value=1e300))
    number = data.draw(st.sampled_from([bounds.low - excess, bounds.high + excess]))
    assert number < bounds.low or number > bounds.high
    with pytest.raises(ValueError):  # noqa: PT011
        parse_number(repr(number), bounds)


@pytest.mark.parametrize("bounds", ALL_BOUNDS)
def test_number_parser_is_parse_number_with_bounds(bounds: Bounds) -> None:
    parse = number_parser(bounds)
    assert parse(repr(bounds.high)) == bounds.high
    assert parse(f"{bounds.low}") == bounds.low
    with pytest.raises(ValueError):  # noqa: PT011
        parse(repr(bounds.high + 1))
    with pytest.raises(ValueError):  # noqa: PT011
        parse("nan")


# ---- normalize / option_parser ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Solar - Utility - Battery", "solarutilitybattery"),
        ("Solar-Utility-Battery", "solarutilitybattery"),
        ("Solar/Battery/Utility", "solarbatteryutility"),
        ("  S.U.B  ", "sub"),
        ("Only_Solar", "onlysolar"),
        ("MPPT1 Input", "mppt1input"),
        ("", ""),
        ("---", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@given(st.text())
@settings(deadline=None, derandomize=True)
def test_normalize_is_idempotent_and_alphanumeric(text: str) -> None:
    folded = normalize(text)
    assert normalize(folded) == folded
    assert all(ch.isalnum() for ch in folded)


@pytest.mark.parametrize(
    "table",
    [
        OUTPUT_PRIORITY_READBACK,
        CHARGER_PRIORITY_READBACK,
        LINE_DIRECTIONS,
        BATTERY_DIRECTIONS,
        DEVICE_MODES,
    ],
)
def test_table_keys_are_already_normalized(table: dict[str, object]) -> None:
    for key in table:
        assert normalize(key) == key, key


def test_every_output_priority_has_a_readback() -> None:
    assert set(OUTPUT_PRIORITY_READBACK.values()) == set(OutputPriority)


def test_every_charger_priority_has_a_readback() -> None:
    assert set(CHARGER_PRIORITY_READBACK.values()) == set(ChargerPriority)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Solar - Utility - Battery", OutputPriority.SUB),
        ("Solar-Utility-Battery", OutputPriority.SUB),
        ("Solar Utility Battery", OutputPriority.SUB),
        ("Solar/Utility/Battery", OutputPriority.SUB),
        ("SUB", OutputPriority.SUB),
        ("sub", OutputPriority.SUB),
        ("Solar - Battery - Utility", OutputPriority.SBU),
        ("Solar/Battery/Utility", OutputPriority.SBU),
        ("SBU", OutputPriority.SBU),
        ("Utility - Solar - Battery", OutputPriority.USB),
        ("Utility first", OutputPriority.USB),
        ("USB", OutputPriority.USB),
        ("  sbu\n", OutputPriority.SBU),
    ],
)
def test_output_priority_readback(payload: str, expected: OutputPriority) -> None:
    assert option_parser(OUTPUT_PRIORITY_READBACK)(payload) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Solar First", ChargerPriority.SOLAR_FIRST),
        ("solar_first", ChargerPriority.SOLAR_FIRST),
        ("Solar and Utility", ChargerPriority.SOLAR_AND_UTILITY),
        ("Solar + Utility", ChargerPriority.SOLAR_AND_UTILITY),
        ("Solar and utility simultaneously", ChargerPriority.SOLAR_AND_UTILITY),
        ("Only Solar", ChargerPriority.SOLAR_ONLY),
        ("Solar only", ChargerPriority.SOLAR_ONLY),
        ("Utility First", ChargerPriority.UTILITY_FIRST),
    ],
)
def test_charger_priority_readback(payload: str, expected: ChargerPriority) -> None:
    assert option_parser(CHARGER_PRIORITY_READBACK)(payload) is expected


@pytest.mark.parametrize(
    ("table", "payload", "expected"),
    [
        (LINE_DIRECTIONS, "Input", "input"),
        (LINE_DIRECTIONS, "output", "output"),
        (LINE_DIRECTIONS, "Do nothing", "idle"),
        (BATTERY_DIRECTIONS, "donothing", "idle"),
        (BATTERY_DIRECTIONS, "Idle", "idle"),
        (BATTERY_DIRECTIONS, "Charge", "charge"),
        (BATTERY_DIRECTIONS, "Discharge", "discharge"),
    ],
)
def test_direction_readback(table: dict[str, str], payload: str, expected: str) -> None:
    assert option_parser(table)(payload) == expected


@pytest.mark.parametrize(
    "payload",
    [
        "",
        " ",
        "Solar",
        "Battery - Solar - Utility",
        "SUBX",
        "solar utility battery please",
        "0",
        "sub" + " " * 62,  # 65 characters, although it would normalize to a valid key
    ],
)
def test_option_parser_rejects(payload: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        option_parser(OUTPUT_PRIORITY_READBACK)(payload)


def test_option_parser_accepts_exactly_64_characters() -> None:
    assert option_parser(OUTPUT_PRIORITY_READBACK)("sub" + " " * 61) is OutputPriority.SUB


def test_option_parser_works_on_any_table() -> None:
    parse = option_parser({"one": 1, "two": 2})
    assert parse("ONE") == 1
    assert parse("t-w-o") == 2
    with pytest.raises(ValueError):  # noqa: PT011
        parse("three")


@PROPERTY
@given(text=st.one_of(payloads, st.text()))
def test_option_parsers_raise_only_value_error(text: str) -> None:
    for table in (
        OUTPUT_PRIORITY_READBACK,
        CHARGER_PRIORITY_READBACK,
        LINE_DIRECTIONS,
        BATTERY_DIRECTIONS,
    ):
        try:
            value = option_parser(table)(text)
        except ValueError:
            continue
        assert value in table.values()
        assert len(text) <= 64


# ---- parse_device_mode -------------------------------------------------------------------


def test_device_mode_options_are_the_sorted_distinct_modes() -> None:
    assert sorted(set(DEVICE_MODES.values())) == DEVICE_MODE_OPTIONS
    assert DEVICE_MODE_OPTIONS == [
        "battery",
        "bypass",
        "eco",
        "fault",
        "hybrid",
        "line",
        "power_on",
        "shutdown",
        "standby",
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Hybrid mode(Line mode, Grid mode)", "hybrid"),
        ("Hybrid mode (Battery mode)", "hybrid"),
        ("Power on mode", "power_on"),
        ("PowerOn", "power_on"),
        ("Standby mode", "standby"),
        ("Standby", "standby"),
        ("Bypass mode", "bypass"),
        ("Line mode", "line"),
        ("Line Mode", "line"),
        ("Grid mode", "line"),
        ("Grid", "line"),
        ("Battery mode", "battery"),
        ("Battery", "battery"),
        ("Solar mode", "battery"),
        ("Fault mode", "fault"),
        ("FAULT", "fault"),
        ("ECO mode", "eco"),
        ("Shutdown mode", "shutdown"),
        ("  line mode \n", "line"),
    ],
)
def test_parse_device_mode(payload: str, expected: str) -> None:
    assert parse_device_mode(payload) == expected


def test_a_device_mode_is_read_up_to_64_characters() -> None:
    words = "Line mode(" + "x" * 53 + ")"
    assert (len(words), parse_device_mode(words)) == (64, "line")
    with pytest.raises(ValueError, match="bad device mode"):
        parse_device_mode(words[:-1] + "x)")


# ---- parse_version ---------------------------------------------------------------------


@pytest.mark.parametrize("payload", ["FAAB-2122", " 05220\n", "2.17", "v" * MAX_VERSION])
def test_a_version_is_the_device_s_own_short_printable_words(payload: str) -> None:
    assert parse_version(payload) == payload.strip()


@pytest.mark.parametrize("payload", ["", "   ", "v" * (MAX_VERSION + 1), "1.0\x00", "1\u200b.0"])
def test_a_version_that_is_empty_long_or_unprintable_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="not a version"):
        parse_version(payload)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "   ",
        "mode",
        "(Line mode)",
        "Unknown mode",
        "Charging",
        "42",
        "x" * 65,
        "Line mode" + " " * 10 + "x" * 50,  # 69 characters
    ],
)
def test_parse_device_mode_rejects(payload: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_device_mode(payload)


@PROPERTY
@given(text=st.one_of(payloads, st.text()))
@example(text="(")
@example(text="mode(")
def test_parse_device_mode_raises_only_value_error(text: str) -> None:
    try:
        mode = parse_device_mode(text)
    except ValueError:
        return
    assert mode in DEVICE_MODE_OPTIONS


def test_module_exports_parsers() -> None:
    # The profiles rely on these names; keep them importable from profiles.base.
    for name in ("parse_number", "number_parser", "option_parser", "parse_device_mode"):
        assert callable(getattr(base, name))


# ---- parse_protection --------------------------------------------------------------------

_FLAG_OR_CODE = re.compile(r"^(?:[a-z][a-z0-9_]{0,40}|code_\d+)$")


@pytest.mark.parametrize(
    "payload",
    ["", " ", "none", "None", "NONE", "ok", "OK", "normal", "0", "no", "off", "false", " none\n"],
)
def test_parse_protection_no_protection(payload: str) -> None:
    assert parse_protection(payload) == ()


@pytest.mark.parametrize("payload", ["00", "000"])
def test_parse_protection_zero_bitmask_means_no_protection(payload: str) -> None:
    # Docstring: "a non-zero integer bitmask (reported as code_<n>)". A zero mask written
    # with leading zeros is still zero and must not raise a protection flag.
    assert parse_protection(payload) == ()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("ovp", ("ovp",)),
        ("cell_over_voltage", ("cell_over_voltage",)),
        ("ovp,otp", ("ovp", "otp")),
        ("OVP, OTP", ("ovp", "otp")),
        ("ovp;otp", ("ovp", "otp")),
        ("ovp otp", ("ovp", "otp")),
        ("ovp,,otp", ("ovp", "otp")),
        (" ovp ; otp\t uvp ", ("ovp", "otp", "uvp")),
        ("ovp,", ("ovp",)),
        ("a" + "b" * 40, ("a" + "b" * 40,)),  # 41 characters: the longest flag
        (",".join(f"f{i}" for i in range(MAX_FLAGS)), tuple(f"f{i}" for i in range(MAX_FLAGS))),
        ("1", ("code_1",)),
        ("12", ("code_12",)),
        ("0012", ("code_12",)),
        ("65535", ("code_65535",)),
    ],
)
def test_parse_protection_flags(payload: str, expected: tuple[str, ...]) -> None:
    assert parse_protection(payload) == expected


@pytest.mark.parametrize(
    "payload",
    [
        ",",
        ";;",
        "ovp!",
        "over-voltage",
        "1ovp",
        "_ovp",
        "-1",
        "1.5",
        "ovp,1",
        "a" + "b" * 41,  # 42 characters
        ",".join(f"f{i}" for i in range(MAX_FLAGS + 1)),
        "x" * 257,
        "\u00e9t\u00e9",
        "{}",
    ],
)
def test_parse_protection_rejects(payload: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_protection(payload)


def test_parse_protection_length_limit_is_256_after_strip() -> None:
    flags = "a" * 40 + "," + "b" * 40
    assert parse_protection(" " * 300 + flags + " " * 300) == ("a" * 40, "b" * 40)
    with pytest.raises(ValueError):  # noqa: PT011
        parse_protection("1" * 257)
    assert parse_protection("0" * 255 + "7") == ("code_7",)


@PROPERTY
@given(text=st.one_of(payloads, st.text(), st.text(alphabet="abcxyz_019,; \t", max_size=60)))
@example(text="\u00b2")
@example(text="\u0661")
def test_parse_protection_raises_only_value_error(text: str) -> None:
    try:
        flags = parse_protection(text)
    except ValueError:
        return
    assert isinstance(flags, tuple)
    assert len(flags) <= MAX_FLAGS
    for flag in flags:
        assert _FLAG_OR_CODE.match(flag), flag
        assert "," not in flag  # ingest joins and splits on commas


def test_nasty_payloads_parse_or_raise_value_error() -> None:
    def outcome(parse: Callable[[str], object], payload: str) -> object:
        try:
            return parse(payload)
        except ValueError:
            return None

    for payload in NASTY_PAYLOADS:
        number = outcome(number_parser(COUNT), payload)
        assert number is None or (isinstance(number, float) and math.isfinite(number))
        assert outcome(option_parser(OUTPUT_PRIORITY_READBACK), payload) in (None, *OutputPriority)
        assert outcome(parse_device_mode, payload) in (None, *DEVICE_MODE_OPTIONS)
        flags = outcome(parse_protection, payload)
        assert flags is None or isinstance(flags, tuple)
