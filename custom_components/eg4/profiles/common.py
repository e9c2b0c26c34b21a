"""Option tables and pack-protection parsing shared by the PI-family profiles (pure)."""

from __future__ import annotations

import re

from ..model import ChargerPriority, OutputPriority

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
