"""Raw Voltronic-family command encodings (PI18 and PI30) for the settings the twin models.

A bridge encodes a setting change with :func:`encode`; the device decodes it with
:func:`decode` in *its own* protocol. A string the device cannot parse is a NAK, which is how
the twin reproduces the field failure "wrong encoding for this protocol variant".
Unit indexes in the strings are 0-based (PI18 ``PCP<m>,<n>``); the twin's units are 1-based.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .settings import ChargerPriority, Command, InverterSettings, OutputPriority, Setting


class Protocol(StrEnum):
    """Serial protocol families."""

    PI18 = "PI18"
    PI30 = "PI30"


class EncodingError(ValueError):
    """A command cannot be expressed in, or parsed from, a protocol."""


@dataclass(frozen=True)
class Decoded:
    """A parsed command and the 0-based unit it names (None if the command has no unit)."""

    unit: int | None
    command: Command


_PI18_CHARGER = {
    ChargerPriority.SOLAR_FIRST: 0,
    ChargerPriority.SOLAR_AND_UTILITY: 1,
    ChargerPriority.SOLAR_ONLY: 2,
}
_PI30_OUTPUT = {OutputPriority.USB: 0, OutputPriority.SUB: 1, OutputPriority.SBU: 2}
_PI30_CHARGER = {
    ChargerPriority.SOLAR_FIRST: 1,
    ChargerPriority.SOLAR_AND_UTILITY: 2,
    ChargerPriority.SOLAR_ONLY: 3,
}
_PI30_VOLT = {
    Setting.BULK_VOLTAGE: "PCVV",
    Setting.FLOAT_VOLTAGE: "PBFT",
    Setting.RECHARGE_VOLTAGE: "PBCV",
    Setting.REDISCHARGE_VOLTAGE: "PBDV",
}


def _d(volts: float) -> int:
    return round(volts * 10.0)


def encode(protocol: Protocol, unit: int, command: Command, current: InverterSettings) -> str:
    """Encode a one-setting command for 0-based unit, in the given protocol."""
    if len(command.changes) != 1:
        raise EncodingError("only one setting per raw command")
    setting, value = command.changes[0]
    if protocol is Protocol.PI18:
        return _encode_pi18(unit, setting, value, current)
    return _encode_pi30(unit, setting, value)


def _encode_pi18(unit: int, setting: Setting, value: object, current: InverterSettings) -> str:
    if setting is Setting.OUTPUT_PRIORITY:
        if value is OutputPriority.SUB:
            return "POP0"
        if value is OutputPriority.SBU:
            return "POP1"
        raise EncodingError(f"PI18 has no output priority {value}")
    if setting is Setting.CHARGER_PRIORITY and isinstance(value, ChargerPriority):
        return f"PCP{unit},{_PI18_CHARGER[value]}"
    if isinstance(value, ChargerPriority | OutputPriority) or not isinstance(value, int | float):
        raise EncodingError(f"bad value {value!r} for {setting.value}")
    if setting is Setting.MAX_CHARGE_CURRENT:
        return f"MCHGC{unit},{int(value):03d}"
    if setting is Setting.MAX_UTILITY_CHARGE_CURRENT:
        return f"MUCHGC{unit},{int(value):03d}"
    if setting is Setting.BULK_VOLTAGE:
        return f"MCHGV{_d(value):03d},{_d(current.float_v):03d}"
    if setting is Setting.FLOAT_VOLTAGE:
        return f"MCHGV{_d(current.bulk_v):03d},{_d(value):03d}"
    if setting is Setting.RECHARGE_VOLTAGE:
        return f"BUCD{_d(value):03d},{_d(current.redischarge_v):03d}"
    return f"BUCD{_d(current.recharge_v):03d},{_d(value):03d}"


def _encode_pi30(unit: int, setting: Setting, value: object) -> str:
    if setting is Setting.OUTPUT_PRIORITY and isinstance(value, OutputPriority):
        return f"POP0{_PI30_OUTPUT[value]}"
    if setting is Setting.CHARGER_PRIORITY and isinstance(value, ChargerPriority):
        return f"PCP0{_PI30_CHARGER[value]}"
    if isinstance(value, ChargerPriority | OutputPriority) or not isinstance(value, int | float):
        raise EncodingError(f"bad value {value!r} for {setting.value}")
    if setting is Setting.MAX_CHARGE_CURRENT:
        return f"MCHGC{unit}{int(value):02d}"
    if setting is Setting.MAX_UTILITY_CHARGE_CURRENT:
        return f"MUCHGC{unit}{int(value):02d}"
    return f"{_PI30_VOLT[setting]}{float(value):04.1f}"


_PI18_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"POP([01])"), "pop"),
    (re.compile(r"PCP(\d),([012])"), "pcp"),
    (re.compile(r"MCHGC(\d),(\d{3})"), "mchgc"),
    (re.compile(r"MUCHGC(\d),(\d{3})"), "muchgc"),
    (re.compile(r"MCHGV(\d{3}),(\d{3})"), "mchgv"),
    (re.compile(r"BUCD(\d{3}),(\d{3})"), "bucd"),
)
_PI30_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"POP0([012])"), "pop"),
    (re.compile(r"PCP0([0-3])"), "pcp"),
    (re.compile(r"MCHGC(\d)(\d\d)"), "mchgc"),
    (re.compile(r"MUCHGC(\d)(\d\d)"), "muchgc"),
    (re.compile(r"(PCVV|PBFT|PBCV|PBDV)(\d\d\.\d)"), "volt"),
)


def decode(protocol: Protocol, raw: str) -> Decoded:
    """Parse a raw command as the device would; raise EncodingError (NAK) if it cannot."""
    text = raw.strip()
    patterns = _PI18_PATTERNS if protocol is Protocol.PI18 else _PI30_PATTERNS
    for pattern, kind in patterns:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        if protocol is Protocol.PI18:
            return _decode_pi18(kind, m.groups())
        return _decode_pi30(kind, m.groups())
    raise EncodingError(f"{protocol.value} does not understand {text!r}")


def _decode_pi18(kind: str, g: tuple[str, ...]) -> Decoded:
    if kind == "pop":
        value = OutputPriority.SUB if g[0] == "0" else OutputPriority.SBU
        return Decoded(None, Command.single(Setting.OUTPUT_PRIORITY, value))
    if kind == "pcp":
        prio = {v: k for k, v in _PI18_CHARGER.items()}[int(g[1])]
        return Decoded(int(g[0]), Command.single(Setting.CHARGER_PRIORITY, prio))
    if kind == "mchgc":
        return Decoded(int(g[0]), Command.single(Setting.MAX_CHARGE_CURRENT, int(g[1])))
    if kind == "muchgc":
        return Decoded(int(g[0]), Command.single(Setting.MAX_UTILITY_CHARGE_CURRENT, int(g[1])))
    first, second = int(g[0]) / 10.0, int(g[1]) / 10.0
    if kind == "mchgv":
        changes = ((Setting.BULK_VOLTAGE, first), (Setting.FLOAT_VOLTAGE, second))
    else:
        changes = ((Setting.RECHARGE_VOLTAGE, first), (Setting.REDISCHARGE_VOLTAGE, second))
    return Decoded(None, Command(changes))


def _decode_pi30(kind: str, g: tuple[str, ...]) -> Decoded:
    if kind == "pop":
        value = {v: k for k, v in _PI30_OUTPUT.items()}[int(g[0])]
        return Decoded(None, Command.single(Setting.OUTPUT_PRIORITY, value))
    if kind == "pcp":
        code = int(g[0])
        if code == 0:
            raise EncodingError("PI30 PCP00 (utility first) is not modelled")
        prio = {v: k for k, v in _PI30_CHARGER.items()}[code]
        return Decoded(None, Command.single(Setting.CHARGER_PRIORITY, prio))
    if kind == "mchgc":
        return Decoded(int(g[0]), Command.single(Setting.MAX_CHARGE_CURRENT, int(g[1])))
    if kind == "muchgc":
        return Decoded(int(g[0]), Command.single(Setting.MAX_UTILITY_CHARGE_CURRENT, int(g[1])))
    setting = {v: k for k, v in _PI30_VOLT.items()}[g[0]]
    return Decoded(None, Command.single(setting, float(g[1])))
