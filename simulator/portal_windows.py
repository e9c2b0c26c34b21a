"""The hybrids' three AC-charge time windows of each unit, as the portal and lxp-bridge see them.

Holding registers 68-73 hold the boundaries (window 1: 68 start, 69 end; window 2: 70 / 71;
window 3: 72 / 73), each a time of day packed as ``hour | minute << 8``. All zero (00:00 to
00:00) is a window that is off, the twin's default. The portal reads each boundary as two
named parameters, ``HOLD_AC_CHARGE_{START,END}_{HOUR,MINUTE}`` plus the window's suffix (``""``,
``_1``, ``_2``), with two-digit strings (``"07"``); it writes a boundary either with one
``remoteSet/writeTime`` of the composite ``HOLD_AC_CHARGE_{START,END}_TIME<suffix>`` or with
``remoteSet/write`` of the hour and the minute names one at a time. The windows are stored
only: the twin's physics does not follow a clock schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUFFIXES = ("", "_1", "_2")
# register -> (the portal's base name, the window's suffix)
WINDOW_REGISTERS: dict[int, tuple[str, str]] = {
    66 + 2 * window + offset: (f"HOLD_AC_CHARGE_{edge}", suffix)
    for window, suffix in enumerate(SUFFIXES, start=1)
    for offset, edge in enumerate(("START", "END"))
}
TIME_PARAMS: dict[str, int] = {
    f"{base}_TIME{suffix}": register for register, (base, suffix) in WINDOW_REGISTERS.items()
}
# "HOLD_AC_CHARGE_START_HOUR_1" -> (register, "hour")
PART_PARAMS: dict[str, tuple[int, str]] = {
    f"{base}_{part.upper()}{suffix}": (register, part)
    for register, (base, suffix) in WINDOW_REGISTERS.items()
    for part in ("hour", "minute")
}


def window_registers(window: int) -> tuple[int, int]:
    """The start and end registers of window 1-3."""
    return 66 + 2 * window, 67 + 2 * window


def pack(hour: int, minute: int) -> int:
    """A boundary's register word."""
    return hour | minute << 8


def unpack(word: int) -> tuple[int, int]:
    """(hour, minute) of a register word."""
    return word & 0xFF, word >> 8


def check(hour: int, minute: int) -> str | None:
    """The firmware's rule: a reason when the time is not one of the day."""
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return None
    return f"{hour:02d}:{minute:02d} is not a time of day"


@dataclass
class WindowStore:
    """Per-unit register words of the three windows."""

    words: dict[int, dict[int, int]] = field(default_factory=dict)

    def unit(self, unit: int) -> dict[int, int]:
        """One unit's words (every window off until written)."""
        return self.words.setdefault(unit, dict.fromkeys(WINDOW_REGISTERS, 0))

    def read(self, unit: int, start: int, end: int) -> dict[str, str]:
        """The portal's named parameters of the boundaries in ``[start, end)``."""
        out: dict[str, str] = {}
        for register, word in self.unit(unit).items():
            if start <= register < end:
                base, suffix = WINDOW_REGISTERS[register]
                hour, minute = unpack(word)
                out[f"{base}_HOUR{suffix}"] = f"{hour:02d}"
                out[f"{base}_MINUTE{suffix}"] = f"{minute:02d}"
        return out

    def set(self, unit: int, register: int, hour: int, minute: int) -> str | None:
        """Set one boundary; a reason (nothing changed) when the time is not one of the day."""
        reason = check(hour, minute)
        if reason is None:
            self.unit(unit)[register] = pack(hour, minute)
        return reason

    def set_part(self, unit: int, name: str, text: str) -> str | None:
        """``remoteSet/write`` of one ``_HOUR`` or ``_MINUTE`` name."""
        register, part = PART_PARAMS[name]
        if not (text.isascii() and text.isdigit()) or len(text) > 2:
            return f"{name} {text!r} is not a number of {part}s"
        hour, minute = unpack(self.unit(unit)[register])
        if part == "hour":
            return self.set(unit, register, int(text), minute)
        return self.set(unit, register, hour, int(text))

    def window(self, unit: int, window: int) -> dict[str, str]:
        """lxp-bridge's ``ac_charge/<n>`` JSON object of one window."""
        words = self.unit(unit)
        start, end = (unpack(words[r]) for r in window_registers(window))
        return {"start": f"{start[0]:02d}:{start[1]:02d}", "end": f"{end[0]:02d}:{end[1]:02d}"}
