"""The transport interface the coordinator drives, and the messages it delivers (pure).

Every transport (the MQTT bridges through their profiles, the cloud) delivers ``Decoded``
readings, ``Rejected`` payloads, ``CommandResult`` replies and ``Offline`` notices, and
describes what it can read and write as ``Capabilities``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from ..model import MetricValue, SettingKey, SettingValue, SourceId
from ..settings import SettingDef


@dataclass(frozen=True, slots=True)
class Reading:
    """One decoded value from one source: a metric or a reported setting.

    ``alive``: the reading shows its source is reporting (it keeps the source fresh and
    brings a stale one back). False for a value carried on a source without coming from it,
    such as a bridge's system totals carried on unit 1.
    """

    source: SourceId
    key: str
    value: MetricValue | SettingValue
    setting: SettingKey | None = None
    alive: bool = True


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one message carried.

    ``retained`` marks a message the broker kept and replayed on subscribing: it updates the
    sources the system has, but a source it alone names does not join (the broker may keep
    a removed pack's topics forever).
    """

    readings: tuple[Reading, ...]
    retained: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message on one of our topics whose payload could not be trusted."""

    reason: str


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A bridge's reply to a command (Solar Assistant's response message).

    ``unit`` is the inverter the reply is about, where the bridge says (lxp-bridge's result
    topic names the datalog, the cloud answers each unit's call); None when it does not
    (Solar Assistant has one response topic for every unit).
    """

    ok: bool
    message: str
    unit: int | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a profile can read and write; entities are created from this."""

    inverter_metrics: frozenset[str]
    pack_metrics: frozenset[str]
    readable_settings: frozenset[SettingKey]
    writable: Mapping[SettingKey, SettingDef] = field(default_factory=dict)
    # True when one command reaches every parallel unit (the bridge fans it out);
    # False when the integration must send one command per unit.
    broadcast_writes: bool = True
    # True when the bridge answers each command (so a refusal is known at once).
    command_replies: bool = False


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


class TransportRateLimitedError(TransportUnavailableError):
    """The service asked to wait; nothing is sent before ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: float) -> None:
        """Say how long, in whole seconds (rounded up)."""
        self.retry_after = retry_after
        self.seconds = max(1, math.ceil(retry_after))
        super().__init__(f"the portal asked to wait {self.seconds} s before the next request")


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

    def hold_backstop(self, minutes: int | None) -> None:
        """Where the device can, have it end what a run holds by itself after ``minutes``.

        A backstop should Home Assistant be gone (the run itself ends what it holds before):
        the portal's quick charge takes its own end with its start; a bridge has nothing like
        it and ignores this. None: no backstop.
        """

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters, for diagnostics."""

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """Entry data recording this many units and packs; empty when nothing is stored.

        Called when a source joins (a pack or unit beyond the configured ones reports), so a
        restart creates it at once.
        """
