"""Setting definitions and write validation (pure, no Home Assistant imports).

Validation runs before anything is sent to a device, and every refusal carries a
reason key (translated by the integration) plus the placeholders that explain it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time

from .model import ChargerPriority, OutputPriority, SettingKey, SettingValue, SystemState
from .numbers import is_number
from .refusal import RefusedError


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberSetting:
    """A numeric setting with its unit, range and step."""

    key: SettingKey
    unit: str
    minimum: float
    maximum: float
    step: float

    @property
    def tolerance(self) -> float:
        """How far a read-back value may be from the target and still confirm it."""
        return self.step / 2


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionSetting:
    """A setting chosen from a fixed list of options."""

    key: SettingKey
    options: tuple[OutputPriority, ...] | tuple[ChargerPriority, ...]

    @property
    def tolerance(self) -> float:
        """Options match exactly."""
        return 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeSetting:
    """A time of day in whole minutes: one boundary of a charge window."""

    key: SettingKey

    @property
    def tolerance(self) -> float:
        """Times match exactly."""
        return 0.0


type SettingDef = NumberSetting | OptionSetting | TimeSetting

# Limits of the EG4 LVX6048 (PI18 protocol): MCHGC/MUCHGC take 010-080 A in 10 A steps,
# BUCD's stop-charge field takes whole volts 48-58 V (the firmware refuses anything above float).
MAX_CHARGE_CURRENT = NumberSetting(
    key=SettingKey.MAX_CHARGE_CURRENT, unit="A", minimum=10, maximum=80, step=10
)
MAX_UTILITY_CHARGE_CURRENT = NumberSetting(
    key=SettingKey.MAX_UTILITY_CHARGE_CURRENT, unit="A", minimum=10, maximum=80, step=10
)
STOP_CHARGE_VOLTAGE = NumberSetting(
    key=SettingKey.STOP_CHARGE_VOLTAGE, unit="V", minimum=48, maximum=58, step=1
)


# EG4 hybrid family (18kPV, 12kPV, FlexBOSS, 6000XP/12000XP): holding registers 101/102 take whole
# amps; the portal and EG4's own app allow 0-250 A. SoC limits are whole percent.
HYBRID_CHARGE_CURRENT = NumberSetting(
    key=SettingKey.MAX_CHARGE_CURRENT, unit="A", minimum=0, maximum=250, step=1
)
HYBRID_DISCHARGE_CURRENT = NumberSetting(
    key=SettingKey.DISCHARGE_CURRENT, unit="A", minimum=0, maximum=250, step=1
)
AC_CHARGE_SOC_LIMIT = NumberSetting(
    key=SettingKey.AC_CHARGE_SOC_LIMIT, unit="%", minimum=0, maximum=100, step=1
)
CHARGE_SOC_LIMIT = NumberSetting(
    key=SettingKey.CHARGE_SOC_LIMIT, unit="%", minimum=10, maximum=101, step=1
)


# A quick task (see ``SettingKey.QUICK_CHARGE``): 1 = under way, 0 = none.
QUICK_CHARGE_TASK = NumberSetting(
    key=SettingKey.QUICK_CHARGE, unit="", minimum=0, maximum=1, step=1
)
QUICK_DISCHARGE_TASK = NumberSetting(
    key=SettingKey.QUICK_DISCHARGE, unit="", minimum=0, maximum=1, step=1
)
QUICK_TASKS: dict[SettingKey, SettingDef] = {
    SettingKey.QUICK_CHARGE: QUICK_CHARGE_TASK,
    SettingKey.QUICK_DISCHARGE: QUICK_DISCHARGE_TASK,
}

# The hybrids' three AC-charge windows: (window, its start, its end). The inverter charges from
# the grid while the clock is inside a window; an end before the start is an overnight window
# (22:00-06:00), and a window whose start and end are equal is empty (00:00-00:00: off). Each
# boundary is one holding register (68-73), so each is written and confirmed on its own. The
# charge in a window stops at the AC charge SoC limit (``AC_CHARGE_SOC_LIMIT``).
AC_CHARGE_WINDOWS: tuple[tuple[int, SettingKey, SettingKey], ...] = (
    (1, SettingKey.AC_CHARGE_START_1, SettingKey.AC_CHARGE_END_1),
    (2, SettingKey.AC_CHARGE_START_2, SettingKey.AC_CHARGE_END_2),
    (3, SettingKey.AC_CHARGE_START_3, SettingKey.AC_CHARGE_END_3),
)
AC_CHARGE_TIMES: dict[SettingKey, TimeSetting] = {
    key: TimeSetting(key=key) for _, *keys in AC_CHARGE_WINDOWS for key in keys
}
# lxp-bridge's forced-discharge window 1 (registers 84 / 85), held by a forced discharge.
FORCED_DISCHARGE_TIMES: dict[SettingKey, TimeSetting] = {
    key: TimeSetting(key=key)
    for key in (SettingKey.FORCED_DISCHARGE_START_1, SettingKey.FORCED_DISCHARGE_END_1)
}
# Every setting whose value is a time of day (how a stored value is typed back).
TIME_KEYS = frozenset({*AC_CHARGE_TIMES, *FORCED_DISCHARGE_TIMES})


def _fmt(value: float) -> str:
    return f"{value:g}"


def validate(setting: SettingDef, value: object, state: SystemState) -> SettingValue:
    """Return the value to write, or raise RefusedError saying why not."""
    if isinstance(setting, OptionSetting):
        return _validate_option(setting, value)
    if isinstance(setting, TimeSetting):
        return _validate_time(value)
    number = _validate_number(setting, value)
    if setting.key is SettingKey.STOP_CHARGE_VOLTAGE:
        _check_stop_charge(number, state)
    return number


def _validate_option(setting: OptionSetting, value: object) -> SettingValue:
    for option in setting.options:
        if value in (option, option.value):
            return option
    raise RefusedError(
        "rejected_invalid_option",
        value=str(value),
        options=", ".join(option.value for option in setting.options),
    )


def _validate_time(value: object) -> time:
    """A time of day the inverter can hold: whole minutes, no time zone."""
    if not isinstance(value, time):
        raise RefusedError("rejected_not_a_time", value=str(value)[:20])
    if value.tzinfo is not None:
        raise RefusedError("rejected_not_a_time", value=value.isoformat())
    if value.second or value.microsecond:
        raise RefusedError("rejected_time_not_whole_minute", value=value.isoformat())
    return value


def _validate_number(setting: NumberSetting, value: object) -> float:
    if not is_number(value):
        raise RefusedError("rejected_not_a_number", value=str(value))
    try:
        number = float(value)
    except OverflowError as err:
        raise RefusedError("rejected_not_a_number", value=str(value)[:20]) from err
    if not math.isfinite(number):
        raise RefusedError("rejected_not_a_number", value=str(value))
    if not setting.minimum <= number <= setting.maximum:
        raise RefusedError(
            "rejected_out_of_range",
            value=_fmt(number),
            minimum=_fmt(setting.minimum),
            maximum=_fmt(setting.maximum),
            unit=setting.unit,
        )
    steps = (number - setting.minimum) / setting.step
    if abs(steps - round(steps)) > 1e-6:
        raise RefusedError(
            "rejected_not_on_step", value=_fmt(number), step=_fmt(setting.step), unit=setting.unit
        )
    return float(round(setting.minimum + round(steps) * setting.step, 6))


def _check_stop_charge(value: float, state: SystemState) -> None:
    """Firmware rule from the field: stop-charge must not exceed any unit's float voltage."""
    floats = [inv.settings.get(SettingKey.FLOAT_VOLTAGE) for inv in state.inverters.values()]
    known = [v for v in floats if isinstance(v, float)]
    if len(known) != len(floats):
        raise RefusedError("rejected_float_voltage_unknown", value=_fmt(value))
    limit = min(known)
    if value > limit + 1e-6:
        raise RefusedError("rejected_above_float_voltage", value=_fmt(value), limit=_fmt(limit))
    recharges = [inv.settings.get(SettingKey.RECHARGE_VOLTAGE) for inv in state.inverters.values()]
    known_recharge = [v for v in recharges if isinstance(v, float)]
    if known_recharge and value <= max(known_recharge) + 1e-6:
        raise RefusedError(
            "rejected_below_recharge_voltage", value=_fmt(value), limit=_fmt(max(known_recharge))
        )
