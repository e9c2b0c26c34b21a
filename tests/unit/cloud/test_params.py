"""SettingKey <-> cloud parameter names, encodings and read-back."""

from __future__ import annotations

from datetime import time

import pytest

from custom_components.eg4.cloud import (
    FunctionWrite,
    ModelFamily,
    ParamWrite,
    TimeWrite,
    encode_write,
    model_family,
    parse,
    readback_from_params,
    readback_window,
    supported_keys,
)
from custom_components.eg4.model import ChargerPriority, SettingKey, SettingValue

from .portal import fixture


def _params(*names: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name in names:
        merged.update(parse.parameters(fixture(name)))
    return merged


@pytest.mark.parametrize(
    ("model", "code", "family"),
    [
        ("18KPV", None, ModelFamily.HYBRID),
        ("12KPV", None, ModelFamily.HYBRID),
        ("FlexBOSS21", None, ModelFamily.HYBRID),
        ("LXP-US 8-10K", None, ModelFamily.HYBRID),
        ("6000XP", None, ModelFamily.OFF_GRID),
        ("12000XP", None, ModelFamily.OFF_GRID),
        ("SNA12K-US", None, ModelFamily.OFF_GRID),
        ("SNA-US 15K", None, ModelFamily.OFF_GRID),
        ("Grid Boss", None, ModelFamily.GRIDBOSS),
        (None, None, ModelFamily.UNKNOWN),
        (None, "2092", ModelFamily.HYBRID),
        (None, 10284, ModelFamily.HYBRID),
        ("mystery", "54", ModelFamily.OFF_GRID),
        ("18KPV", "38", ModelFamily.OFF_GRID),  # the device's own code wins
    ],
)
def test_model_family(model: str | None, code: str | int | None, family: ModelFamily) -> None:
    assert model_family(model, code) is family


def test_hybrid_readback() -> None:
    values = readback_from_params(_params("params_0_127.json", "params_127_127.json"))
    assert values == {
        SettingKey.MAX_CHARGE_CURRENT: 120.0,
        SettingKey.DISCHARGE_CURRENT: 150.0,
        SettingKey.AC_CHARGE_SOC_LIMIT: 95.0,
        SettingKey.CHARGE_SOC_LIMIT: 100.0,
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_AND_UTILITY,
        # The capture's first AC-charge window (its other two windows are not in it).
        SettingKey.AC_CHARGE_START_1: time(1, 30),
        SettingKey.AC_CHARGE_END_1: time(5, 0),
    }


def test_off_grid_readback_uses_end_battery_soc() -> None:
    params = _params("params_0_127.json", "params_offgrid_127_127.json")
    values = readback_from_params(params, ModelFamily.OFF_GRID)
    assert values[SettingKey.AC_CHARGE_SOC_LIMIT] == 90.0  # not HOLD_AC_CHARGE_SOC_LIMIT (95)
    assert SettingKey.CHARGER_PRIORITY not in values
    assert SettingKey.AC_CHARGE_START_1 not in values  # the XP units charge by other schedules


def test_readback_skips_missing_and_garbage() -> None:
    values = readback_from_params(
        {"HOLD_LEAD_ACID_CHARGE_RATE": "abc", "FUNC_AC_CHARGE": "maybe", "OTHER": "1"}
    )
    assert values == {}
    assert readback_from_params({"FUNC_AC_CHARGE": "false"}) == {
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST
    }


def test_encode_numbers() -> None:
    assert encode_write(SettingKey.MAX_CHARGE_CURRENT, 60.0) == (
        "write",
        "HOLD_LEAD_ACID_CHARGE_RATE",
        "60",
    )
    assert encode_write(SettingKey.DISCHARGE_CURRENT, 100) == ParamWrite(
        "write", "HOLD_LEAD_ACID_DISCHARGE_RATE", "100"
    )
    assert encode_write(SettingKey.CHARGE_SOC_LIMIT, 101.0).param == "HOLD_SYSTEM_CHARGE_SOC_LIMIT"
    assert encode_write(SettingKey.AC_CHARGE_SOC_LIMIT, 90.0) == (
        "write",
        "HOLD_AC_CHARGE_SOC_LIMIT",
        "90",
    )
    assert encode_write(SettingKey.AC_CHARGE_SOC_LIMIT, 90.0, ModelFamily.OFF_GRID) == (
        "write",
        "HOLD_AC_CHARGE_END_BATTERY_SOC",
        "90",
    )


def test_encode_charger_priority() -> None:
    assert encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY) == (
        "function",
        "FUNC_AC_CHARGE",
        True,
    )
    off = encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST)
    assert off == FunctionWrite("function", "FUNC_AC_CHARGE", enable=False)
    with pytest.raises(ValueError, match="no cloud equivalent"):
        encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_ONLY)
    with pytest.raises(ValueError, match="not available"):
        encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST, ModelFamily.OFF_GRID)


def test_encode_refuses_what_the_portal_cannot_take() -> None:
    with pytest.raises(ValueError, match="whole"):
        encode_write(SettingKey.MAX_CHARGE_CURRENT, 60.5)
    with pytest.raises(TypeError):
        encode_write(SettingKey.MAX_CHARGE_CURRENT, float("nan"))
    with pytest.raises(TypeError):
        encode_write(SettingKey.MAX_CHARGE_CURRENT, ChargerPriority.SOLAR_FIRST)
    with pytest.raises(ValueError, match="not available"):
        encode_write(SettingKey.STOP_CHARGE_VOLTAGE, 53.0)


def test_supported_keys_and_windows() -> None:
    assert SettingKey.CHARGER_PRIORITY in supported_keys(ModelFamily.HYBRID)
    assert SettingKey.CHARGER_PRIORITY not in supported_keys(ModelFamily.OFF_GRID)
    assert SettingKey.OUTPUT_PRIORITY not in supported_keys(ModelFamily.HYBRID)
    assert readback_window(SettingKey.MAX_CHARGE_CURRENT) == (101, 1)
    assert readback_window(SettingKey.CHARGE_SOC_LIMIT) == (227, 1)
    assert readback_window(SettingKey.CHARGER_PRIORITY) == (21, 1)
    assert readback_window(SettingKey.AC_CHARGE_SOC_LIMIT) == (67, 1)
    assert readback_window(SettingKey.AC_CHARGE_SOC_LIMIT, ModelFamily.OFF_GRID) == (161, 1)


@pytest.mark.parametrize("key", list(supported_keys(ModelFamily.HYBRID)))
def test_encode_then_readback_round_trips(key: SettingKey) -> None:
    value: SettingValue = 42.0
    if key is SettingKey.CHARGER_PRIORITY:
        value = ChargerPriority.SOLAR_AND_UTILITY
    elif key.value.startswith("ac_charge_") and key.value[-1].isdigit():
        value = time(22, 5)
    op = encode_write(key, value)
    if isinstance(op, TimeWrite):  # read back as the boundary's hour and minute names
        base, _, suffix = op.param.partition("_TIME")
        params = {
            f"{base}_HOUR{suffix}": f"{op.hour:02d}",
            f"{base}_MINUTE{suffix}": f"{op.minute:02d}",
        }
    else:
        params = {op.param: op.value if isinstance(op, ParamWrite) else str(op.enable).lower()}
    assert readback_from_params(params) == {key: value}


@pytest.mark.parametrize(
    ("key", "param", "register"),
    [
        (SettingKey.AC_CHARGE_START_1, "HOLD_AC_CHARGE_START_TIME", 68),
        (SettingKey.AC_CHARGE_END_1, "HOLD_AC_CHARGE_END_TIME", 69),
        (SettingKey.AC_CHARGE_START_2, "HOLD_AC_CHARGE_START_TIME_1", 70),
        (SettingKey.AC_CHARGE_END_2, "HOLD_AC_CHARGE_END_TIME_1", 71),
        (SettingKey.AC_CHARGE_START_3, "HOLD_AC_CHARGE_START_TIME_2", 72),
        (SettingKey.AC_CHARGE_END_3, "HOLD_AC_CHARGE_END_TIME_2", 73),
    ],
)
def test_window_boundaries_are_written_by_time_and_read_by_register(
    key: SettingKey, param: str, register: int
) -> None:
    """One writeTime per boundary (hour and minute together), one register to read it back."""
    assert encode_write(key, time(23, 45)) == TimeWrite("time", param, 23, 45)
    assert readback_window(key) == (register, 1)
    with pytest.raises(TypeError, match="time of day"):
        encode_write(key, 1380.0)
    with pytest.raises(ValueError, match="not available"):
        encode_write(key, time(1, 0), ModelFamily.OFF_GRID)


@pytest.mark.parametrize(
    "params",
    [
        {"HOLD_AC_CHARGE_START_HOUR": "24", "HOLD_AC_CHARGE_START_MINUTE": "00"},
        {"HOLD_AC_CHARGE_START_HOUR": "01", "HOLD_AC_CHARGE_START_MINUTE": "60"},
        {"HOLD_AC_CHARGE_START_HOUR": "1.5", "HOLD_AC_CHARGE_START_MINUTE": "00"},
        {"HOLD_AC_CHARGE_START_HOUR": "-1", "HOLD_AC_CHARGE_START_MINUTE": "00"},
        {"HOLD_AC_CHARGE_START_HOUR": "07"},  # half a boundary
        {"HOLD_AC_CHARGE_START_HOUR": "", "HOLD_AC_CHARGE_START_MINUTE": "x"},
    ],
)
def test_a_boundary_that_is_no_time_of_day_is_not_read_back(params: dict[str, str]) -> None:
    assert SettingKey.AC_CHARGE_START_1 not in readback_from_params(params)


@pytest.mark.parametrize(("hour", "minute"), [("00", "00"), ("23", "59"), ("0", "5")])
def test_every_time_of_day_is_read_back_to_the_last_minute(hour: str, minute: str) -> None:
    params = {"HOLD_AC_CHARGE_END_HOUR": hour, "HOLD_AC_CHARGE_END_MINUTE": minute}
    assert readback_from_params(params) == {
        SettingKey.AC_CHARGE_END_1: time(int(hour), int(minute))
    }
