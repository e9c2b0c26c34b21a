"""The bridge profile interface and the scalar parsers every profile shares (pure).

The messages a profile decodes to (``Reading``, ``Decoded``, ``Rejected``, ``CommandResult``)
and ``Capabilities`` are the transport interface's: they live in ``transport.base``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..model import MetricValue, SettingKey, SettingValue, SourceId
from ..settings import SettingDef
from ..transport.base import Capabilities, CommandResult, Decoded, Reading, Rejected


@dataclass(frozen=True, slots=True)
class Command:
    """One MQTT publish that asks the bridge to change a setting."""

    topic: str
    payload: str


type DecodeResult = Decoded | Rejected | CommandResult | None


@dataclass(frozen=True, slots=True)
class RepairAdvice:
    """A fault in the bridge's own configuration that the user should fix (a repair issue).

    ``issue_id`` is also the issue's key in the translations' ``issues`` section.
    """

    issue_id: str
    placeholders: Mapping[str, str]


@runtime_checkable
class AdvisingProfile(Protocol):
    """A profile that can tell, from what it decodes, that the bridge is misconfigured."""

    @property
    def advice(self) -> RepairAdvice | None:
        """The repair to suggest now; the same object for as long as it stays the same."""


type EntriesData = Callable[[], Iterable[Mapping[str, Any]]]


@runtime_checkable
class SharingProfile(Protocol):
    """A profile whose bridge may serve other entries too (one lxp-bridge, several systems)."""

    def share_with(self, others: EntriesData) -> None:
        """How to read the other entries' data: a unit one of them lists never joins this one."""


DEFAULT_MAX_PAYLOAD = 1024  # characters: a bridge publishing one value per topic


class Profile(Protocol):
    """A bridge's topic map and codecs."""

    @property
    def name(self) -> str:
        """The profile's identifier."""

    @property
    def max_payload(self) -> int:
        """The longest payload this bridge sends; longer ones are dropped unread."""

    @property
    def capabilities(self) -> Capabilities:
        """What the bridge can read and write."""

    def subscriptions(self) -> list[str]:
        """MQTT topic filters to subscribe to."""

    def decode(self, topic: str, payload: str) -> DecodeResult:
        """Decode one message; None when the topic is not ours."""

    def encode(self, key: SettingKey, value: SettingValue, unit: int | None) -> list[Command]:
        """Commands that set ``key`` to ``value`` (on ``unit``, or all when None)."""

    def describe(self) -> dict[str, str | int]:
        """The non-secret parameters, for diagnostics."""

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """The entry data that describes this many units and packs (stored when one joins)."""


@runtime_checkable
class RetryingProfile(Protocol):
    """A profile that knows more than one way to word a command (Solar Assistant versions)."""

    def alternative_encodings(
        self, key: SettingKey, value: SettingValue, unit: int | None
    ) -> list[list[Command]]:
        """Other encodings of the same command, tried when the first is not applied."""


def alternatives(
    profile: Profile, key: SettingKey, value: SettingValue, unit: int | None
) -> list[list[Command]]:
    """The other encodings of a command: a retrying profile's, none for any other."""
    if isinstance(profile, RetryingProfile):
        return profile.alternative_encodings(key, value, unit)
    return []


def cannot_encode(bridge: str, key: SettingKey, value: SettingValue) -> ValueError:
    """What ``encode`` raises for a value its bridge has no command for."""
    return ValueError(f"{bridge} cannot write {key} = {value!r}")


# ---- scalar parsers: return a value, or raise ValueError -------------------------------


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a physical reading can plausibly take."""

    low: float
    high: float


VOLTAGE_BANK = Bounds(0.0, 80.0)
VOLTAGE_CELL = Bounds(0.0, 5.0)
VOLTAGE_AC = Bounds(0.0, 400.0)
VOLTAGE_PV = Bounds(0.0, 1000.0)
CURRENT = Bounds(-1000.0, 1000.0)
POWER = Bounds(-100_000.0, 100_000.0)
PERCENT = Bounds(0.0, 100.0)
LOAD_PERCENT = Bounds(0.0, 300.0)
TEMPERATURE = Bounds(-50.0, 150.0)
MILLIVOLT_DELTA = Bounds(0.0, 5000.0)
COUNT = Bounds(0.0, 1_000_000.0)
ENERGY = Bounds(0.0, 100_000_000.0)  # kWh: a lifetime counter of a large installation
CAPACITY = Bounds(0.0, 100_000.0)  # Ah: a pack's, or a whole bank's, full capacity


def plausible(number: float, bounds: Bounds) -> bool:
    """True for a finite number within ``bounds`` (the one plausibility rule of every source)."""
    return math.isfinite(number) and bounds.low <= number <= bounds.high


def parse_number(payload: str, bounds: Bounds) -> float:
    """Parse a finite number within bounds from a scalar payload."""
    text = payload.strip()
    if not text or len(text) > 32:
        raise ValueError("empty or oversized number")
    number = float(text)  # raises ValueError on garbage
    if not plausible(number, bounds):
        raise ValueError("not finite or out of bounds")
    return number


def number_parser(bounds: Bounds) -> Callable[[str], float]:
    """Return a parser for numbers within ``bounds``."""

    def parse(payload: str) -> float:
        return parse_number(payload, bounds)

    return parse


type Parser = Callable[[str], MetricValue | SettingValue]
# A bridge's key as the integration names it, its parser and, for a setting's read-back, the
# setting it reports.
type ScalarSpec = tuple[str, Parser] | tuple[str, Parser, SettingKey | None]


def decode_scalar(
    source: SourceId, spec: ScalarSpec | None, payload: str, *, alive: bool = True
) -> DecodeResult:
    """One scalar payload as a reading (None for a key not in the table), or Rejected.

    ``alive`` False: a value carried on ``source`` that does not show it reporting.
    """
    if spec is None:
        return None
    canonical, parse = spec[0], spec[1]
    setting = spec[2] if len(spec) == 3 else None
    try:
        value = parse(payload)
    except ValueError:
        return Rejected(f"{source.kind}:{canonical}")
    return Decoded((Reading(source, canonical, value, setting, alive),))


def table_capabilities(
    inverter_keys: Mapping[str, tuple[str, Parser, SettingKey | None]],
    pack_keys: Mapping[str, tuple[str, Parser]],
    *,
    more_pack_metrics: Iterable[str],
    writable: Mapping[SettingKey, SettingDef],
    broadcast_writes: bool,
    command_replies: bool,
) -> Capabilities:
    """What a profile with scalar key tables reads: the tables' names and setting read-backs."""
    return Capabilities(
        inverter_metrics=frozenset(
            canonical for canonical, _, setting in inverter_keys.values() if setting is None
        ),
        pack_metrics=frozenset(
            [*(canonical for canonical, _ in pack_keys.values()), *more_pack_metrics]
        ),
        readable_settings=frozenset(
            setting for _, _, setting in inverter_keys.values() if setting is not None
        ),
        writable=writable,
        broadcast_writes=broadcast_writes,
        command_replies=command_replies,
    )


MAX_VERSION = 32  # characters: "FAAB-2122", "05220", "2.17"


def parse_version(payload: str) -> str:
    """A firmware version as the device words it: short, printable, not empty."""
    text = payload.strip()
    if not text or len(text) > MAX_VERSION or not text.isprintable():
        raise ValueError("not a version")
    return text


def normalize(text: str) -> str:
    """Fold a human-readable option to lowercase letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def option_parser[T](table: Mapping[str, T]) -> Callable[[str], T]:
    """Return a parser for option strings; ``table`` keys are normalized strings."""

    def parse(payload: str) -> T:
        if len(payload) > 64:
            raise ValueError("oversized option")
        key = normalize(payload)
        if key not in table:
            raise ValueError("unknown option")
        return table[key]

    return parse


DEVICE_MODES: dict[str, str] = {
    "poweron": "power_on",
    "standby": "standby",
    "bypass": "bypass",
    "line": "line",
    "grid": "line",
    "battery": "battery",
    "fault": "fault",
    "hybrid": "hybrid",
    "solar": "battery",
    "eco": "eco",
    "shutdown": "shutdown",
}
DEVICE_MODE_OPTIONS = sorted(set(DEVICE_MODES.values()))


def parse_device_mode(payload: str) -> str:
    """Map the bridges' device-mode strings to a small fixed set of states."""
    text = payload.strip().lower()
    if not text or len(text) > 64:
        raise ValueError("bad device mode")
    # PI18 strings look like "Hybrid mode(Line mode, Grid mode)": the first word decides.
    head = normalize(text.split("(")[0].replace("mode", ""))
    for token, mode in DEVICE_MODES.items():
        if head.startswith(token):
            return mode
    raise ValueError("unknown device mode")
