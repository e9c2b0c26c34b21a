"""What the PI-family profiles share (pure): option tables, commands, topics, pack protection.

Solar Assistant and powermon + lvx-control speak to the same inverters: the same two priority
selects and three numbers, worded by each bridge's own command tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..const import CONF_INVERTER_COUNT, CONF_PACK_COUNT
from ..model import ChargerPriority, OutputPriority, SettingKey, SettingValue
from ..settings import OptionSetting, SettingDef

OUTPUT_PRIORITY_READBACK: dict[str, OutputPriority] = {
    "solarutilitybattery": OutputPriority.SUB,
    "sub": OutputPriority.SUB,
    "solarbatteryutility": OutputPriority.SBU,
    "sbu": OutputPriority.SBU,
    "utilitysolarbattery": OutputPriority.USB,
    "utilityfirst": OutputPriority.USB,
    "usb": OutputPriority.USB,
}

CHARGER_PRIORITY_READBACK: dict[str, ChargerPriority] = {
    "solarfirst": ChargerPriority.SOLAR_FIRST,
    "solarandutility": ChargerPriority.SOLAR_AND_UTILITY,
    "solarutility": ChargerPriority.SOLAR_AND_UTILITY,
    "solarandutilitysimultaneously": ChargerPriority.SOLAR_AND_UTILITY,
    "onlysolar": ChargerPriority.SOLAR_ONLY,
    "solaronly": ChargerPriority.SOLAR_ONLY,
    "utilityfirst": ChargerPriority.UTILITY_FIRST,
}

# Power-flow directions as powermon words them, one table per sensor: a word that belongs to
# the other sensor is refused at decoding, never handed to an entity whose options lack it.
LINE_DIRECTIONS: dict[str, str] = {
    "input": "input",
    "output": "output",
    "donothing": "idle",
    "idle": "idle",
}
BATTERY_DIRECTIONS: dict[str, str] = {
    "charge": "charge",
    "discharge": "discharge",
    "donothing": "idle",
    "idle": "idle",
}
LINE_DIRECTION_OPTIONS: list[str] = list(dict.fromkeys(LINE_DIRECTIONS.values()))
BATTERY_DIRECTION_OPTIONS: list[str] = list(dict.fromkeys(BATTERY_DIRECTIONS.values()))

_NO_PROTECTION = {"", "none", "ok", "normal", "0", "no", "off", "false"}
_FLAG = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
MAX_FLAGS = 8


def parse_protection(payload: str) -> tuple[str, ...]:
    """Parse a BMS protection payload into flag names; () means no protection active.

    Accepts "none"-like words, a comma/semicolon/space separated list of flag names,
    or a non-zero integer bitmask (reported as ``code_<n>``). Anything else raises.
    """
    text = payload.strip().lower()
    if len(text) > 256:
        raise ValueError("oversized protection payload")
    if text in _NO_PROTECTION:
        return ()
    if text.isascii() and text.isdigit():
        code = int(text)  # at most 256 digits: well within int()'s limit
        return (f"code_{code}",) if code else ()
    flags = tuple(part for part in re.split(r"[,;\s]+", text) if part)
    if not flags or len(flags) > MAX_FLAGS or not all(_FLAG.match(flag) for flag in flags):
        raise ValueError("unrecognised protection payload")
    return flags


# The numbers a PI-family bridge takes as a number: a voltage in tenths, currents whole.
NUMBER_KEYS = frozenset(
    {
        SettingKey.MAX_CHARGE_CURRENT,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        SettingKey.STOP_CHARGE_VOLTAGE,
    }
)


def priority_settings(
    outputs: Mapping[OutputPriority, str], chargers: Mapping[ChargerPriority, str]
) -> dict[SettingKey, SettingDef]:
    """The two priority selects, with the options the bridge has a command for."""
    return {
        SettingKey.OUTPUT_PRIORITY: OptionSetting(
            key=SettingKey.OUTPUT_PRIORITY, options=tuple(outputs)
        ),
        SettingKey.CHARGER_PRIORITY: OptionSetting(
            key=SettingKey.CHARGER_PRIORITY, options=tuple(chargers)
        ),
    }


def command_payload(
    key: SettingKey,
    value: SettingValue,
    outputs: Mapping[OutputPriority, str],
    chargers: Mapping[ChargerPriority, str],
) -> str | None:
    """The payload that sets ``key`` to ``value``: the option's word, or the number as text.

    None when the bridge has no word for the option, or the key takes no number.
    """
    if key is SettingKey.OUTPUT_PRIORITY and value in outputs:
        return outputs[value]  # type: ignore[index]
    if key is SettingKey.CHARGER_PRIORITY and value in chargers:
        return chargers[value]  # type: ignore[index]
    if key in NUMBER_KEYS and isinstance(value, float):
        return f"{value:.1f}" if key is SettingKey.STOP_CHARGE_VOLTAGE else f"{value:.0f}"
    return None


def state_path(topic: str, prefix: str) -> str | None:
    """``<prefix>/<path>/state`` -> ``<path>``; None for a topic outside the prefix."""
    head = prefix + "/"
    if not topic.startswith(head) or not topic.endswith("/state"):
        return None
    return topic[len(head) : -len("/state")]


class CountedSources:
    """A PI-family profile: its units and packs are counted, and the counts are all it stores."""

    __slots__ = ()

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """The entry data that describes this many units and packs."""
        return {CONF_INVERTER_COUNT: inverter_count, CONF_PACK_COUNT: pack_count}
