"""lxp-bridge's function register 21 and the forced-discharge window (pure).

Register 21 is a bit field; lxp-bridge publishes it on ``<dl>/hold/21`` (retained) and
changes one bit with a read-modify-write command: ``set/ac_charge`` (bit 7, AC charge: our
charger priority solar_and_utility) and ``set/forced_discharge`` (bit 10: a forced discharge,
our ``QUICK_DISCHARGE``). A forced discharge discharges the bank while the inverter's clock is
inside one of its time windows (registers 84-89, packed like the AC-charge windows); eg4
writes window 1 (84 / 85) for the while it holds the forced discharge, and puts it back.
"""

from __future__ import annotations

from ..model import ChargerPriority, SettingKey, SettingValue, SourceId, SourceKind
from ..settings import FORCED_DISCHARGE_TIMES, NumberSetting, SettingDef
from ..transport.base import Decoded, Reading
from .base import Command

FUNC_REGISTER = 21
AC_CHARGE_BIT = 1 << 7
FORCED_DISCHARGE_BIT = 1 << 10
FORCED_DISCHARGE_REGISTERS: dict[int, SettingKey] = {
    84: SettingKey.FORCED_DISCHARGE_START_1,
    85: SettingKey.FORCED_DISCHARGE_END_1,
}
FORCED_DISCHARGE_SETTINGS: dict[SettingKey, SettingDef] = {
    SettingKey.QUICK_DISCHARGE: NumberSetting(
        key=SettingKey.QUICK_DISCHARGE, unit="", minimum=0, maximum=1, step=1
    ),
    **FORCED_DISCHARGE_TIMES,
}
_SWITCHES = {
    SettingKey.CHARGER_PRIORITY: "ac_charge",
    SettingKey.QUICK_DISCHARGE: "forced_discharge",
}


def decode_func(unit: int, raw: int) -> Decoded:
    """AC charge (as charger priority) and the forced discharge from register 21."""
    source = SourceId(SourceKind.INVERTER, unit)
    priority = (
        ChargerPriority.SOLAR_AND_UTILITY if raw & AC_CHARGE_BIT else ChargerPriority.SOLAR_FIRST
    )
    forced = 1.0 if raw & FORCED_DISCHARGE_BIT else 0.0
    return Decoded(
        (
            Reading(source, SettingKey.CHARGER_PRIORITY, priority, SettingKey.CHARGER_PRIORITY),
            Reading(source, SettingKey.QUICK_DISCHARGE, forced, SettingKey.QUICK_DISCHARGE),
        )
    )


def encode_func(base: str, key: SettingKey, value: SettingValue) -> list[Command] | None:
    """``set/ac_charge`` or ``set/forced_discharge`` with a bool; None for anything else."""
    switch = _SWITCHES.get(key)
    if switch is None:
        return None
    if key is SettingKey.CHARGER_PRIORITY and value in (
        ChargerPriority.SOLAR_FIRST,
        ChargerPriority.SOLAR_AND_UTILITY,
    ):
        on = value is ChargerPriority.SOLAR_AND_UTILITY
    elif key is SettingKey.QUICK_DISCHARGE and value in (0.0, 1.0):
        on = value == 1.0
    else:
        return None
    return [Command(f"{base}/{switch}", "true" if on else "false")]
