"""The transport interface the coordinator drives (no Home Assistant imports)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..model import SettingKey, SettingValue
from ..profiles.base import Capabilities, CommandResult, Decoded, Rejected

type MessageHandler = Callable[[Decoded | Rejected | CommandResult], None]


class TransportError(Exception):
    """The transport could not deliver a command."""


class Transport(Protocol):
    """Start/stop, push decoded messages to a handler, send setting commands."""

    @property
    def capabilities(self) -> Capabilities:
        """What this transport can read and write."""

    async def async_start(self, handler: MessageHandler) -> None:
        """Begin delivering decoded messages to ``handler``."""

    async def async_stop(self) -> None:
        """Stop delivering messages and release subscriptions."""

    async def async_send(
        self, key: SettingKey, value: SettingValue, unit: int | None, attempt: int = 0
    ) -> None:
        """Send the command (encoding ``attempt``: 0 = primary, 1.. = alternatives)."""

    def encodings(self, key: SettingKey, value: SettingValue, unit: int | None) -> int:
        """How many encodings of this command exist (primary included)."""

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters, for diagnostics."""
