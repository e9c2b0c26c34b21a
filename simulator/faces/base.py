"""What every face shares: the Message type, the Face protocol and number formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One MQTT message; retained only where the real bridge retains it (lxp-bridge's hold/...)."""

    topic: str
    payload: str
    retain: bool = False


class Face(Protocol):
    """A bridge's MQTT contract, as a pure codec over a twin."""

    def telemetry(self) -> list[Message]:
        """All current states (empty during a telemetry dropout)."""
        ...

    def handle(self, topic: str, payload: str) -> list[Message]:
        """Apply one incoming command; return any immediate reply messages."""
        ...

    def command_subscriptions(self) -> list[str]:
        """MQTT topic filters this face listens to."""
        ...


def f1(value: float) -> str:
    """One decimal, never "-0.0"."""
    out = f"{value:.1f}"
    return "0.0" if out == "-0.0" else out


def f2(value: float) -> str:
    """Two decimals, never "-0.00"."""
    out = f"{value:.2f}"
    return "0.00" if out == "-0.00" else out


def f3(value: float) -> str:
    """Three decimals."""
    return f"{value:.3f}"


def i0(value: float) -> str:
    """Rounded integer."""
    return str(round(value))


def parse_int(payload: str) -> int | None:
    """An integer amp value: "60" or "60.0"; anything else is None."""
    number = parse_float(payload)
    if number is None or number != int(number):
        return None
    return int(number)


def parse_float(payload: str) -> float | None:
    """A plain decimal number, or None."""
    text = payload.strip()
    if not text or any(ch not in "0123456789.-" for ch in text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
