"""The transport interface the coordinator drives (no Home Assistant imports)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from ..model import SettingKey, SettingValue, SourceId
from ..profiles.base import Capabilities, CommandResult, Decoded, Rejected


@dataclass(frozen=True, slots=True)
class Offline:
    """Sources the transport knows to be offline (e.g. the cloud's ``lost`` flag)."""

    sources: frozenset[SourceId]


type TransportResult = Decoded | Rejected | CommandResult | Offline
type MessageHandler = Callable[[TransportResult], None]


class TransportError(Exception):
    """The transport could not deliver a command."""


class TransportAuthError(TransportError):
    """The credentials were refused: the user must re-authenticate."""


class TransportUnavailableError(TransportError):
    """The service could not be reached this time (retried on the next refresh)."""


class Transport(Protocol):
    """Start/stop, push decoded messages to a handler, send setting commands."""

    @property
    def capabilities(self) -> Capabilities:
        """What this transport can read and write."""

    @property
    def inverter_count(self) -> int:
        """Units of the parallel group."""

    @property
    def pack_count(self) -> int:
        """Battery packs of the bank."""

    @property
    def poll_interval(self) -> timedelta | None:
        """How often to poll; None for push transports."""

    async def async_poll(self) -> None:
        """Fetch fresh data and deliver it to the handler (polling transports only)."""

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

    def watch_settings(self, keys: frozenset[SettingKey]) -> None:
        """Read these settings back on every poll (a running calibration's levers)."""

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters, for diagnostics."""
