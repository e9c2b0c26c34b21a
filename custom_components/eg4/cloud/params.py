"""Our setting keys <-> the portal's named parameters (pure, no I/O).

Cloud parameter reads return engineering units as strings (``"250"`` A, ``"90"`` %), and named
writes take engineering units in ``valueText``: no scaling happens here.

Families: the grid-tied hybrids (18kPV, 12kPV, FlexBOSS) stop AC charging at
``HOLD_AC_CHARGE_SOC_LIMIT`` (register 67); the off-grid XP units (6000XP, 12000XP, portal model
SNA...) reject that name with ``REMOTE_SET_ERROR`` and stop at ``HOLD_AC_CHARGE_END_BATTERY_SOC``
(register 161). ``FUNC_AC_CHARGE`` is the hybrids' grid-charge switch; on the XP units AC charge
is defined by schedules, so charger priority is not offered there.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Literal, NamedTuple

from ..model import ChargerPriority, SettingKey, SettingValue
from ..numbers import finite
from ..settings import AC_CHARGE_WINDOWS
from .models import is_gridboss_model
from .parse import flag, number


class ModelFamily(StrEnum):
    """Control family of an inverter model."""

    HYBRID = "hybrid"  # 18kPV, 12kPV, FlexBOSS 18/21, LXP (grid-tied)
    OFF_GRID = "off_grid"  # 6000XP, 12000XP (SNA12K-US, SNA-US 15K)
    GRIDBOSS = "gridboss"  # GridBOSS / MID box: no inverter, no battery, no settings here
    UNKNOWN = "unknown"


class ParamWrite(NamedTuple):
    """``remoteSet/write``: one ``HOLD_*`` name and its value text."""

    kind: Literal["write"]
    param: str
    value: str


class FunctionWrite(NamedTuple):
    """``remoteSet/functionControl``: one ``FUNC_*`` bit."""

    kind: Literal["function"]
    param: str
    enable: bool


class TimeWrite(NamedTuple):
    """``remoteSet/writeTime``: one composite ``*_TIME*`` name, its hour and minute."""

    kind: Literal["time"]
    param: str
    hour: int
    minute: int


type CloudWrite = ParamWrite | FunctionWrite | TimeWrite

AC_CHARGE_FUNCTION = "FUNC_AC_CHARGE"
HOLD_PARAMS: dict[SettingKey, str] = {
    SettingKey.MAX_CHARGE_CURRENT: "HOLD_LEAD_ACID_CHARGE_RATE",
    SettingKey.DISCHARGE_CURRENT: "HOLD_LEAD_ACID_DISCHARGE_RATE",
    SettingKey.AC_CHARGE_SOC_LIMIT: "HOLD_AC_CHARGE_SOC_LIMIT",
    SettingKey.CHARGE_SOC_LIMIT: "HOLD_SYSTEM_CHARGE_SOC_LIMIT",
}
OFF_GRID_HOLD_PARAMS: dict[SettingKey, str] = {
    **HOLD_PARAMS,
    SettingKey.AC_CHARGE_SOC_LIMIT: "HOLD_AC_CHARGE_END_BATTERY_SOC",
}
# The hybrids' AC-charge window boundaries: written as one composite time through writeTime,
# read back as ``<base>_HOUR<suffix>`` and ``<base>_MINUTE<suffix>`` (windows 1-3: suffixes
# "", "_1", "_2"), held in registers 68-73.
TIME_PARAMS: dict[SettingKey, str] = {
    key: f"HOLD_AC_CHARGE_{edge}_TIME{suffix}"
    for (_, start, end), suffix in zip(AC_CHARGE_WINDOWS, ("", "_1", "_2"), strict=True)
    for edge, key in (("START", start), ("END", end))
}
# Holding register of each parameter: a single-register read (start=register, count=1)
# confirms a write for one request.
REGISTERS: dict[str, int] = {
    "HOLD_LEAD_ACID_CHARGE_RATE": 101,
    "HOLD_LEAD_ACID_DISCHARGE_RATE": 102,
    "HOLD_AC_CHARGE_SOC_LIMIT": 67,
    "HOLD_SYSTEM_CHARGE_SOC_LIMIT": 227,
    "HOLD_AC_CHARGE_END_BATTERY_SOC": 161,
    AC_CHARGE_FUNCTION: 21,
    **{name: 66 + position for position, name in enumerate(TIME_PARAMS.values(), start=2)},
}
# The two standard windows that hold every parameter above.
READ_WINDOWS: tuple[tuple[int, int], ...] = ((0, 127), (127, 127))

_OFF_GRID = re.compile(r"\dXP|SNA")  # 6000XP, 12000XP, SNA12K-US, SNA-US 15K (not "LXP")
_HYBRID_MARKERS = ("KPV", "FLEXBOSS", "LXP", "18K", "12K")
# HOLD_DEVICE_TYPE_CODE values seen in remoteRead sweeps.
_OFF_GRID_CODES = frozenset({38, 54})
_HYBRID_CODES = frozenset({2092, 10284})
_GRIDBOSS_CODES = frozenset({50})


def model_family(model: str | None, device_type_code: int | str | None = None) -> ModelFamily:
    """Family from the portal model text (deviceTypeText4APP) or ``HOLD_DEVICE_TYPE_CODE``."""
    code = number(device_type_code)
    if code is not None:
        if int(code) in _OFF_GRID_CODES:
            return ModelFamily.OFF_GRID
        if int(code) in _HYBRID_CODES:
            return ModelFamily.HYBRID
        if int(code) in _GRIDBOSS_CODES:
            return ModelFamily.GRIDBOSS
    if is_gridboss_model(model):
        return ModelFamily.GRIDBOSS
    name = (model or "").upper().replace(" ", "").replace("-", "")
    if _OFF_GRID.search(name):
        return ModelFamily.OFF_GRID
    if any(marker in name for marker in _HYBRID_MARKERS):
        return ModelFamily.HYBRID
    return ModelFamily.UNKNOWN


def supported_keys(family: ModelFamily) -> tuple[SettingKey, ...]:
    """Settings the cloud can read and write on this family."""
    if family is ModelFamily.GRIDBOSS:
        return ()
    keys = list(HOLD_PARAMS)
    if family is not ModelFamily.OFF_GRID:  # the XP units charge by their own schedules
        keys.append(SettingKey.CHARGER_PRIORITY)
        keys.extend(TIME_PARAMS)
    return tuple(keys)


def cloud_param(key: SettingKey, family: ModelFamily = ModelFamily.HYBRID) -> str:
    """The portal's name for a setting; ValueError when the family has none."""
    if key not in supported_keys(family):
        raise ValueError(f"{key.value} is not available over the cloud on {family.value}")
    if key is SettingKey.CHARGER_PRIORITY:
        return AC_CHARGE_FUNCTION
    if key in TIME_PARAMS:
        return TIME_PARAMS[key]
    table = OFF_GRID_HOLD_PARAMS if family is ModelFamily.OFF_GRID else HOLD_PARAMS
    return table[key]


def readback_window(key: SettingKey, family: ModelFamily = ModelFamily.HYBRID) -> tuple[int, int]:
    """``(start_register, count)`` of the smallest read that reports this setting."""
    return (REGISTERS[cloud_param(key, family)], 1)


def _whole(value: float, key: SettingKey) -> str:
    number = finite(value)
    if number is None:
        raise TypeError(f"{key.value} needs a number")
    if abs(number - round(number)) > 1e-6:
        raise ValueError(f"{key.value} takes whole numbers only")
    return str(round(number))


def encode_write(
    key: SettingKey,
    value: SettingValue,
    family: ModelFamily = ModelFamily.HYBRID,
) -> CloudWrite:
    """The portal call that sets ``key`` to ``value``.

    Raises ValueError (or TypeError for a wrong kind of value) when it cannot be expressed.
    """
    param = cloud_param(key, family)
    if key is SettingKey.CHARGER_PRIORITY:
        if value == ChargerPriority.SOLAR_FIRST:
            return FunctionWrite("function", param, enable=False)
        if value == ChargerPriority.SOLAR_AND_UTILITY:
            return FunctionWrite("function", param, enable=True)
        raise ValueError(f"charger priority {value} has no cloud equivalent")
    if key in TIME_PARAMS:
        if not isinstance(value, time):
            raise TypeError(f"{key.value} needs a time of day")
        return TimeWrite("time", param, value.hour, value.minute)
    if isinstance(value, time | StrEnum):
        raise TypeError(f"{key.value} needs a number")
    return ParamWrite("write", param, _whole(value, key))


def _time_of(params: dict[str, str], composite: str) -> time | None:
    """A window boundary from its ``_HOUR`` / ``_MINUTE`` names (``HOLD_..._TIME_1``)."""
    base, _, suffix = composite.partition("_TIME")
    hour, minute = (
        number(params.get(f"{base}_HOUR{suffix}")),
        number(params.get(f"{base}_MINUTE{suffix}")),
    )
    if hour is None or minute is None or not hour.is_integer() or not minute.is_integer():
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(int(hour), int(minute))


def readback_from_params(
    params: dict[str, str], family: ModelFamily = ModelFamily.HYBRID
) -> dict[SettingKey, SettingValue]:
    """Our settings from a flat parameter read; absent or unreadable values are left out."""
    out: dict[SettingKey, SettingValue] = {}
    for key in supported_keys(family):
        if key in TIME_PARAMS:
            boundary = _time_of(params, TIME_PARAMS[key])
            if boundary is not None:
                out[key] = boundary
            continue
        raw = params.get(cloud_param(key, family))
        if raw is None:
            continue
        if key is SettingKey.CHARGER_PRIORITY:
            enabled = flag(raw)
            if enabled is not None:
                out[key] = (
                    ChargerPriority.SOLAR_AND_UTILITY if enabled else ChargerPriority.SOLAR_FIRST
                )
            continue
        value = number(raw)
        if value is not None:
            out[key] = value
    return out
