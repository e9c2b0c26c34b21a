"""Builders shared by the pure unit tests (no Home Assistant involved)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from custom_components.eg4.model import (
    SettingKey,
    SettingValue,
    SourceId,
    SourceKind,
    SystemState,
)
from custom_components.eg4.transport.base import Decoded, Reading

POWERMON_CONFIG: dict[str, Any] = {
    "profile": "powermon_lvx",
    "transport": "mqtt",
    "state_topic_prefix": "homeassistant/sensor",
    "inverter_prefix": "lvx6048",
    "battery_prefix": "lifepower4",
    "command_topic_prefix": "solar/control/lvx6048",
    "inverter_count": 2,
    "pack_count": 6,
    "max_charge_current_command": "max_charge_current",
    "max_utility_charge_current_command": "max_utility_charge_current",
    "stop_charge_voltage_command": "stop_charge_voltage",
}

SA_CONFIG: dict[str, Any] = {
    "profile": "solar_assistant",
    "transport": "mqtt",
    "topic_prefix": "solar_assistant",
    "inverter_count": 2,
    "pack_count": 4,
}


def inv(n: int) -> SourceId:
    """Inverter ``n``."""
    return SourceId(SourceKind.INVERTER, n)


def pack(n: int) -> SourceId:
    """Pack ``n``."""
    return SourceId(SourceKind.PACK, n)


def single(result: object) -> Reading:
    """The one reading a decoded message carried."""
    assert isinstance(result, Decoded), result
    assert len(result.readings) == 1
    return result.readings[0]


def reading(source: SourceId, key: str, value: Any, setting: SettingKey | None = None) -> Reading:
    """A Reading, shorter to write."""
    return Reading(source, key, value, setting)


def state_with(
    inverter_count: int = 2,
    pack_count: int = 2,
    **settings: list[SettingValue | None],
) -> SystemState:
    """An empty state whose inverters report the given settings (None = not reported).

    ``state_with(float_voltage=[55.2, 56.4])`` sets unit 1's float voltage to 55.2 and unit 2's
    to 56.4.
    """
    state = SystemState.empty(inverter_count, pack_count)
    for name, values in settings.items():
        key = SettingKey(name)
        assert len(values) == inverter_count
        for n, value in enumerate(values, start=1):
            if value is not None:
                state.inverters[n].settings[key] = value
    return state


# Payloads that have tripped parsers elsewhere: empties, non-finite, huge, odd unicode.
NASTY_PAYLOADS = [
    "",
    " ",
    "\n",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "-1e308",
    "1e400",
    "1e-320",
    "9" * 400,
    "0x10",
    "1_000",
    "\uff13",  # full-width 3, float() accepts it
    "\u00b2",  # superscript 2: isdigit() but not int()
    "\u0661\u0662",  # Arabic-Indic 12
    "53.4\x00",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "-0",
    "101",
    "-5",
    "3.7e1",
    "Solar - Battery - Utility" * 10,
    "cell_over_voltage," * 20,
    "\ud800",
    "\x1b[31m",
]

payloads = st.one_of(
    st.sampled_from(NASTY_PAYLOADS),
    st.text(max_size=80),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
)


# The settings a Voltronic/PI-family bridge (powermon + lvx-control, Solar Assistant) reports.
PI_FAMILY_SETTINGS = frozenset(
    {
        SettingKey.OUTPUT_PRIORITY,
        SettingKey.CHARGER_PRIORITY,
        SettingKey.MAX_CHARGE_CURRENT,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        SettingKey.STOP_CHARGE_VOLTAGE,
        SettingKey.RECHARGE_VOLTAGE,
        SettingKey.BULK_VOLTAGE,
        SettingKey.FLOAT_VOLTAGE,
    }
)
