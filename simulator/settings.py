"""Inverter settings, the commands that change them and the firmware's validation rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class OutputPriority(StrEnum):
    """Output source priority."""

    SBU = "SBU"  # Solar - Battery - Utility
    SUB = "SUB"  # Solar - Utility - Battery
    USB = "USB"  # Utility - Solar - Battery ("utility first")


class ChargerPriority(StrEnum):
    """Charger source priority."""

    SOLAR_FIRST = "solar_first"
    SOLAR_AND_UTILITY = "solar_and_utility"
    SOLAR_ONLY = "solar_only"


class Setting(StrEnum):
    """The writable settings of one inverter unit."""

    OUTPUT_PRIORITY = "output_priority"
    CHARGER_PRIORITY = "charger_priority"
    MAX_CHARGE_CURRENT = "max_charge_current"
    MAX_UTILITY_CHARGE_CURRENT = "max_utility_charge_current"
    BULK_VOLTAGE = "bulk_voltage"
    FLOAT_VOLTAGE = "float_voltage"
    RECHARGE_VOLTAGE = "recharge_voltage"
    REDISCHARGE_VOLTAGE = "redischarge_voltage"
    AC_CHARGE_SOC_LIMIT = "ac_charge_soc_limit"
    SYSTEM_CHARGE_SOC_LIMIT = "system_charge_soc_limit"


SettingValue = OutputPriority | ChargerPriority | int | float

MAX_CHARGE_CHOICES: tuple[int, ...] = tuple(range(10, 81, 10))
MAX_UTILITY_CHOICES: tuple[int, ...] = (2, *range(10, 81, 10))
CHARGE_VOLTAGE_RANGE = (48.0, 58.4)
RECHARGE_RANGE = (44.0, 51.0)
REDISCHARGE_RANGE = (48.0, 58.0)
# Charge SoC limits (%, as the EG4 hybrid family's registers 67 and 227): the charge ends when
# the bank's reported SoC reaches the limit. The AC-charge limit (0..100) charges to full at
# 100; the system limit (10..101) still ends the charge at a reading of 100, and 101 means none.
SOC_LIMIT_RANGES: dict[Setting, tuple[int, int]] = {
    Setting.AC_CHARGE_SOC_LIMIT: (0, 100),
    Setting.SYSTEM_CHARGE_SOC_LIMIT: (10, 101),
}
NO_SOC_LIMIT = 101
AC_CHARGE_TO_FULL = 100

_ATTR: dict[Setting, str] = {
    Setting.OUTPUT_PRIORITY: "output_priority",
    Setting.CHARGER_PRIORITY: "charger_priority",
    Setting.MAX_CHARGE_CURRENT: "max_charge_current_a",
    Setting.MAX_UTILITY_CHARGE_CURRENT: "max_utility_charge_current_a",
    Setting.BULK_VOLTAGE: "bulk_v",
    Setting.FLOAT_VOLTAGE: "float_v",
    Setting.RECHARGE_VOLTAGE: "recharge_v",
    Setting.REDISCHARGE_VOLTAGE: "redischarge_v",
    Setting.AC_CHARGE_SOC_LIMIT: "ac_charge_soc_limit_pct",
    Setting.SYSTEM_CHARGE_SOC_LIMIT: "system_charge_soc_limit_pct",
}
_INTEGER_SETTINGS = (
    Setting.MAX_CHARGE_CURRENT,
    Setting.MAX_UTILITY_CHARGE_CURRENT,
    Setting.AC_CHARGE_SOC_LIMIT,
    Setting.SYSTEM_CHARGE_SOC_LIMIT,
)


@dataclass(frozen=True, kw_only=True)
class InverterSettings:
    """Settings of one unit. Defaults are the field installation's everyday profile.

    A grid charge runs at 60 A per unit (about 120 A across two units); the stop-charge
    (back-to-battery) voltage is 54.0 V. The charge SoC limits default to none (AC charge to
    100 %, system limit 101).
    """

    output_priority: OutputPriority = OutputPriority.SBU
    charger_priority: ChargerPriority = ChargerPriority.SOLAR_FIRST
    max_charge_current_a: int = 80
    max_utility_charge_current_a: int = 60
    bulk_v: float = 56.4
    float_v: float = 54.0
    recharge_v: float = 48.0
    redischarge_v: float = 54.0
    under_voltage_v: float = 44.0
    ac_charge_soc_limit_pct: int = AC_CHARGE_TO_FULL
    system_charge_soc_limit_pct: int = NO_SOC_LIMIT

    def charge_soc_limit(self, *, grid: bool) -> int | None:
        """The SoC (%) at which this unit stops charging (grid: the AC charge too), or None."""
        limits = []
        if self.system_charge_soc_limit_pct < NO_SOC_LIMIT:
            limits.append(self.system_charge_soc_limit_pct)
        if grid and self.ac_charge_soc_limit_pct < AC_CHARGE_TO_FULL:
            limits.append(self.ac_charge_soc_limit_pct)
        return min(limits) if limits else None

    def get(self, setting: Setting) -> SettingValue:
        """Current value of one setting."""
        value: SettingValue = getattr(self, _ATTR[setting])
        return value

    def with_changes(self, changes: tuple[tuple[Setting, SettingValue], ...]) -> InverterSettings:
        """A copy with the changes applied (no validation)."""
        kwargs: dict[str, Any] = {_ATTR[s]: v for s, v in changes}
        return replace(self, **kwargs)


@dataclass(frozen=True)
class Command:
    """One firmware command: one or more settings written together (e.g. bulk + float)."""

    changes: tuple[tuple[Setting, SettingValue], ...]

    @classmethod
    def single(cls, setting: Setting, value: SettingValue) -> Command:
        """A command that writes one setting."""
        return cls(((setting, value),))

    @property
    def settings(self) -> tuple[Setting, ...]:
        """The settings this command touches."""
        return tuple(s for s, _ in self.changes)

    def describe(self) -> str:
        """Human-readable form for logs."""
        return ", ".join(f"{s.value}={_fmt(v)}" for s, v in self.changes)


def _fmt(value: SettingValue) -> str:
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def _tenths(value: float) -> bool:
    return abs(value * 10.0 - round(value * 10.0)) < 1e-6


def _check_value(setting: Setting, value: SettingValue) -> str | None:
    """Type and range check of one value, without cross-setting rules."""
    if setting is Setting.OUTPUT_PRIORITY:
        return None if isinstance(value, OutputPriority) else "invalid output priority"
    if setting is Setting.CHARGER_PRIORITY:
        return None if isinstance(value, ChargerPriority) else "invalid charger priority"
    if isinstance(value, OutputPriority | ChargerPriority | bool):
        return f"invalid value for {setting.value}"
    if setting in SOC_LIMIT_RANGES:
        low_pct, high_pct = SOC_LIMIT_RANGES[setting]
        ok = value == int(value) and low_pct <= value <= high_pct
        return None if ok else f"{setting.value} {value} is not {low_pct}..{high_pct} %"
    if setting is Setting.MAX_CHARGE_CURRENT:
        ok = value in MAX_CHARGE_CHOICES
        return None if ok else f"max charge current {value} A is not one of 10..80 step 10"
    if setting is Setting.MAX_UTILITY_CHARGE_CURRENT:
        ok = value in MAX_UTILITY_CHOICES
        return None if ok else f"max utility charge current {value} A is not 2 or 10..80 step 10"
    volts = float(value)
    if not _tenths(volts):
        return f"{setting.value} {volts} V is not a multiple of 0.1 V"
    if setting is Setting.REDISCHARGE_VOLTAGE and volts == 0.0:
        return "stop-charge voltage 0 (full) is not supported by this firmware"
    low, high = {
        Setting.BULK_VOLTAGE: CHARGE_VOLTAGE_RANGE,
        Setting.FLOAT_VOLTAGE: CHARGE_VOLTAGE_RANGE,
        Setting.RECHARGE_VOLTAGE: RECHARGE_RANGE,
        Setting.REDISCHARGE_VOLTAGE: REDISCHARGE_RANGE,
    }[setting]
    if not low <= volts <= high:
        return f"{setting.value} {volts:.1f} V is outside {low:.1f}..{high:.1f} V"
    return None


def _check_cross(s: InverterSettings) -> str | None:
    """Rules that relate settings to each other."""
    if s.float_v > s.bulk_v + 1e-9:
        return f"float voltage {s.float_v:.1f} V is above bulk voltage {s.bulk_v:.1f} V"
    if s.redischarge_v > s.float_v + 1e-9:
        return (
            f"stop-charge voltage {s.redischarge_v:.1f} V is above float voltage {s.float_v:.1f} V"
        )
    if s.recharge_v >= s.redischarge_v - 1e-9:
        return (
            f"re-charge voltage {s.recharge_v:.1f} V must be below stop-charge voltage "
            f"{s.redischarge_v:.1f} V"
        )
    return None


def validate(current: InverterSettings, command: Command) -> str | None:
    """Firmware check of a command against a unit's current settings: a reason, or None."""
    if not command.changes:
        return "empty command"
    for setting, value in command.changes:
        reason = _check_value(setting, value)
        if reason is not None:
            return reason
    return _check_cross(current.with_changes(command.changes))


def normalise(command: Command) -> Command:
    """Store currents as int and voltages rounded to 0.1 V."""
    out: list[tuple[Setting, SettingValue]] = []
    for setting, value in command.changes:
        if setting in _INTEGER_SETTINGS and not isinstance(value, StrEnum):
            out.append((setting, int(value)))
        elif isinstance(value, OutputPriority | ChargerPriority):
            out.append((setting, value))
        else:
            out.append((setting, round(float(value), 1)))
    return Command(tuple(out))
