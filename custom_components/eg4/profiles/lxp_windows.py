"""lxp-bridge's AC-charge time windows: holding registers 68-73 and ``ac_charge/<n>`` (pure).

Each window boundary is one holding register holding a time of day packed as
``hour | minute << 8`` (the low byte is the hour): window 1 is 68 (start) / 69 (end), window 2
70 / 71, window 3 72 / 73. lxp-bridge publishes the registers it reads on ``<dl>/hold/<reg>``
and, after a ``read/ac_charge/<n>`` or ``set/ac_charge/<n>``, the window as JSON
``{"start":"HH:MM","end":"HH:MM"}`` on ``<dl>/ac_charge/<n>`` (both retained). A boundary is
written with ``set/hold/<reg>``: the bridge checks the inverter's echo against the request and
answers FAIL when they differ, and it needs nothing but the boundary itself (``set/ac_charge/<n>``
takes both times at once).
"""

from __future__ import annotations

import json
import re
from datetime import time

from ..model import SettingKey, SourceId, SourceKind
from ..settings import AC_CHARGE_WINDOWS
from ..transport.base import Decoded, Reading, Rejected
from .lxp_func import FORCED_DISCHARGE_REGISTERS

# register -> the window boundary it holds (and the forced-discharge window 1's, 84 / 85)
TIME_REGISTERS: dict[int, SettingKey] = {
    **{
        register: key
        for (window, start, end) in AC_CHARGE_WINDOWS
        for register, key in ((66 + 2 * window, start), (67 + 2 * window, end))
    },
    **FORCED_DISCHARGE_REGISTERS,
}
TIME_REGISTER_OF = {key: register for register, key in TIME_REGISTERS.items()}
WINDOW_KEYS: dict[int, tuple[SettingKey, SettingKey]] = {
    window: (start, end) for window, start, end in AC_CHARGE_WINDOWS
}
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
MAX_WINDOW_JSON = 64


def pack(value: time) -> int:
    """The register word of a time of day (minutes only)."""
    return value.hour | value.minute << 8


def unpack(raw: int) -> time | None:
    """The time of day a register word holds; None for a word that is none."""
    hour, minute = raw & 0xFF, raw >> 8
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def decode_time_register(unit: int, register: int, raw: int) -> Decoded | Rejected:
    """One boundary's read-back from its holding register."""
    value = unpack(raw)
    if value is None:
        return Rejected(f"inverter:hold_{register}")
    key = TIME_REGISTERS[register]
    return Decoded((Reading(SourceId(SourceKind.INVERTER, unit), key, value, key),))


def decode_window(unit: int, window_text: str, payload: str) -> Decoded | Rejected | None:
    """Both boundaries of ``ac_charge/<n>``; None for a window number that is not 1-3."""
    if not window_text.isascii() or not window_text.isdigit():
        return None
    keys = WINDOW_KEYS.get(int(window_text))
    if keys is None:
        return None
    reason = f"inverter:ac_charge_{window_text}"
    if len(payload) > MAX_WINDOW_JSON:
        return Rejected(reason)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return Rejected(reason)
    if not isinstance(data, dict):
        return Rejected(reason)
    start, end = _hhmm(data.get("start")), _hhmm(data.get("end"))
    if start is None or end is None:
        return Rejected(reason)
    source = SourceId(SourceKind.INVERTER, unit)
    return Decoded(
        (Reading(source, keys[0], start, keys[0]), Reading(source, keys[1], end, keys[1]))
    )


def _hhmm(value: object) -> time | None:
    if not isinstance(value, str):
        return None
    match = _HHMM.fullmatch(value.strip())
    return None if match is None else time(int(match[1]), int(match[2]))
