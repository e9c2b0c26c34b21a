"""powermon (PI18) telemetry + lvx-control commands: the EG4 LVX6048 installation.

Telemetry: ``<state_prefix>/<inverter_prefix>_<n>_<key>/state`` and
``<state_prefix>/<battery_prefix>_<n>_<key>/state``, plain scalars, not retained.
Commands: ``<command_prefix>/<setting>``; the bridge applies each to every parallel unit,
and each unit's state topics carry the readback.

powermon's ``PIRI`` publishes the inverter's ratings on the topics ``GS`` uses for its
measurements: ``powermon_ratings`` keeps them out (its docstring has the design) and, while it
sees them, ``advice`` asks the user for powermon's own ``excl_filter``. A topic whose key has an
extra level (``dc/ac_power_direction``) or a character powermon should not have put there
(``unknown_flags?``) is ignored without a word and counted (``describe()``, in diagnostics).
The subscription matches ``<prefix>/+/state`` only: the ``/config`` discovery messages powermon
re-publishes every poll, and the extra-level topics, stay at the broker. Units and packs beyond
the configured counts are decoded too (up to the integration's limits): they join the system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..const import (
    CONF_BATTERY_PREFIX,
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
    CONF_COMMAND_TOPIC_PREFIX,
    CONF_INVERTER_COUNT,
    CONF_INVERTER_PREFIX,
    CONF_PACK_COUNT,
    CONF_STATE_TOPIC_PREFIX,
    DEFAULT_CMD_MAX_CHARGE_CURRENT,
    DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT,
    DEFAULT_CMD_STOP_CHARGE_VOLTAGE,
    MAX_INVERTERS,
    MAX_PACKS,
    PROFILE_POWERMON_LVX,
)
from ..model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SourceId,
    SourceKind,
)
from ..settings import (
    MAX_CHARGE_CURRENT,
    MAX_UTILITY_CHARGE_CURRENT,
    STOP_CHARGE_VOLTAGE,
)
from ..transport.base import Capabilities, Decoded, Reading, Rejected
from .base import (
    CURRENT,
    DEFAULT_MAX_PAYLOAD,
    LOAD_PERCENT,
    MILLIVOLT_DELTA,
    PERCENT,
    POWER,
    TEMPERATURE,
    VOLTAGE_AC,
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    VOLTAGE_PV,
    Command,
    DecodeResult,
    Parser,
    RepairAdvice,
    cannot_encode,
    decode_scalar,
    number_parser,
    option_parser,
    parse_device_mode,
    parse_version,
    table_capabilities,
)
from .common import (
    BATTERY_DIRECTIONS,
    CHARGER_PRIORITY_READBACK,
    LINE_DIRECTIONS,
    OUTPUT_PRIORITY_READBACK,
    CountedSources,
    command_payload,
    parse_protection,
    priority_settings,
    state_path,
)
from .powermon_ratings import RatingGuard

# PIRI words its third charger priority "Only solar charging permitted".
PI18_CHARGER_PRIORITY_READBACK: dict[str, ChargerPriority] = {
    **CHARGER_PRIORITY_READBACK,
    "onlysolarchargingpermitted": ChargerPriority.SOLAR_ONLY,
}
# A key as powermon should spell it; anything else (a '/' or a '?') is ignored and counted.
_WELL_FORMED_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}")
# Parsed topics kept: an installation has a few hundred; a flood of foreign ones is not kept.
TOPICS_REMEMBERED = 4096

# powermon key -> (canonical key, parser, setting it reports or None)
INVERTER_KEYS: dict[str, tuple[str, Parser, SettingKey | None]] = {
    "battery_voltage": ("battery_voltage", number_parser(VOLTAGE_BANK), None),
    "battery_charging_current": ("battery_charge_current", number_parser(CURRENT), None),
    "battery_discharge_current": ("battery_discharge_current", number_parser(CURRENT), None),
    "battery_capacity": ("battery_soc", number_parser(PERCENT), None),
    "mppt1_input_power": ("pv_power", number_parser(POWER), None),
    "mppt1_input_voltage": ("pv_voltage", number_parser(VOLTAGE_PV), None),
    "ac_output_active_power": ("output_power", number_parser(POWER), None),
    "ac_output_load": ("output_load", number_parser(LOAD_PERCENT), None),
    "ac_input_voltage": ("grid_voltage", number_parser(VOLTAGE_AC), None),
    "ac_output_voltage": ("output_voltage", number_parser(VOLTAGE_AC), None),
    "device_mode": ("device_mode", parse_device_mode, None),
    "line_power_direction": ("line_direction", option_parser(LINE_DIRECTIONS), None),
    "battery_power_direction": ("battery_direction", option_parser(BATTERY_DIRECTIONS), None),
    # PI18 VFW, when powermon is set to poll it: the main CPU's firmware version ("05220").
    "main_cpu_version": ("firmware", parse_version, None),
    "output_source_priority": (
        SettingKey.OUTPUT_PRIORITY,
        option_parser(OUTPUT_PRIORITY_READBACK),
        SettingKey.OUTPUT_PRIORITY,
    ),
    "charger_source_priority": (
        SettingKey.CHARGER_PRIORITY,
        option_parser(PI18_CHARGER_PRIORITY_READBACK),
        SettingKey.CHARGER_PRIORITY,
    ),
    "max_charging_current": (
        SettingKey.MAX_CHARGE_CURRENT,
        number_parser(CURRENT),
        SettingKey.MAX_CHARGE_CURRENT,
    ),
    "max_ac_charging_current": (
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        number_parser(CURRENT),
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
    ),
    "battery_re-discharge_voltage": (
        SettingKey.STOP_CHARGE_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.STOP_CHARGE_VOLTAGE,
    ),
    "battery_re-charge_voltage": (
        SettingKey.RECHARGE_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.RECHARGE_VOLTAGE,
    ),
    "battery_bulk_charge_voltage": (
        SettingKey.BULK_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.BULK_VOLTAGE,
    ),
    "battery_float_charge_voltage": (
        SettingKey.FLOAT_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.FLOAT_VOLTAGE,
    ),
}

PACK_KEYS: dict[str, tuple[str, Parser]] = {
    "soc": ("soc", number_parser(PERCENT)),
    "pack_voltage": ("voltage", number_parser(VOLTAGE_BANK)),
    "pack_current": ("current", number_parser(CURRENT)),
    "cell_voltage_max": ("cell_voltage_max", number_parser(VOLTAGE_CELL)),
    "cell_voltage_min": ("cell_voltage_min", number_parser(VOLTAGE_CELL)),
    "cell_voltage_delta_mv": ("cell_voltage_delta", number_parser(MILLIVOLT_DELTA)),
}
_TEMPERATURE_KEY = re.compile(r"temperature_[a-z0-9]{1,16}")
# Pack temperatures that get their own sensor; any other ``temperature_*`` still counts
# towards the pack's maximum temperature.
PACK_TEMPERATURE_SENSORS = ("temperature_1", "temperature_2", "temperature_pcb")
_TEMPERATURE = number_parser(TEMPERATURE)

OUTPUT_PRIORITY_COMMANDS: dict[OutputPriority, str] = {
    OutputPriority.SUB: "solar_utility_battery",
    OutputPriority.SBU: "solar_battery_utility",
}
CHARGER_PRIORITY_COMMANDS: dict[ChargerPriority, str] = {
    ChargerPriority.SOLAR_FIRST: "solar_first",
    ChargerPriority.SOLAR_AND_UTILITY: "solar_and_utility",
    ChargerPriority.SOLAR_ONLY: "solar_only",
}


@dataclass(slots=True)
class _Counter:
    count: int = 0


@dataclass(slots=True)
class _Topic:
    """What a state topic carries (it never changes), and its last payload as decoded.

    Most messages repeat their topic's last payload, and decoding is a function of the topic
    and the payload (the ratings guard, which is not, still sees every message).
    """

    source: SourceId
    key: str
    payload: str | None = None
    result: DecodeResult = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PowermonLvxProfile(CountedSources):
    """Topic map and codecs for powermon + lvx-control."""

    state_topic_prefix: str
    inverter_prefix: str
    battery_prefix: str
    command_topic_prefix: str
    inverter_count: int
    pack_count: int
    number_commands: Mapping[SettingKey, str]
    name: str = PROFILE_POWERMON_LVX
    max_payload: int = DEFAULT_MAX_PAYLOAD
    # Source prefixes (with their trailing ``_``) and the highest number each may carry,
    # longest prefix first: built once, read per message.
    _sources: tuple[tuple[str, SourceKind, int], ...] = field(init=False, repr=False, compare=False)
    # What the decoder remembers between messages: where each unit's blocks stand, counters.
    _guard: RatingGuard = field(init=False, repr=False, compare=False)
    _odd: _Counter = field(init=False, repr=False, compare=False)
    # Each topic parsed once, with its last payload decoded (bounded: TOPICS_REMEMBERED).
    _topics: dict[str, _Topic] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Order the source prefixes so a longer one wins (``lvx_bat_`` before ``lvx_``)."""
        sources = (
            (self.inverter_prefix + "_", SourceKind.INVERTER, MAX_INVERTERS),
            (self.battery_prefix + "_", SourceKind.PACK, MAX_PACKS),
        )
        object.__setattr__(self, "_sources", tuple(sorted(sources, key=lambda item: -len(item[0]))))
        object.__setattr__(self, "_guard", RatingGuard(self._publisher))
        object.__setattr__(self, "_odd", _Counter())
        object.__setattr__(self, "_topics", {})

    def _publisher(self, unit: int) -> str:
        """The powermon ``entity_id_prefix`` of a unit, as this entry expects it."""
        return f"{self.inverter_prefix}_{unit}"

    @property
    def advice(self) -> RepairAdvice | None:
        """Set while a unit's powermon publishes PIRI's ratings: add the ``excl_filter``."""
        return self._guard.advice

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PowermonLvxProfile:
        """Build from config-entry data."""
        names = {
            SettingKey.MAX_CHARGE_CURRENT: config.get(
                CONF_CMD_MAX_CHARGE_CURRENT, DEFAULT_CMD_MAX_CHARGE_CURRENT
            ),
            SettingKey.MAX_UTILITY_CHARGE_CURRENT: config.get(
                CONF_CMD_MAX_UTILITY_CHARGE_CURRENT, DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT
            ),
            SettingKey.STOP_CHARGE_VOLTAGE: config.get(
                CONF_CMD_STOP_CHARGE_VOLTAGE, DEFAULT_CMD_STOP_CHARGE_VOLTAGE
            ),
        }
        return cls(
            state_topic_prefix=str(config[CONF_STATE_TOPIC_PREFIX]).strip("/"),
            inverter_prefix=str(config[CONF_INVERTER_PREFIX]),
            battery_prefix=str(config[CONF_BATTERY_PREFIX]),
            command_topic_prefix=str(config[CONF_COMMAND_TOPIC_PREFIX]).strip("/"),
            inverter_count=int(config[CONF_INVERTER_COUNT]),
            pack_count=int(config[CONF_PACK_COUNT]),
            number_commands={key: str(name) for key, name in names.items() if name},
        )

    @property
    def capabilities(self) -> Capabilities:
        """What this installation can read and write."""
        writable = priority_settings(OUTPUT_PRIORITY_COMMANDS, CHARGER_PRIORITY_COMMANDS)
        for setting in (MAX_CHARGE_CURRENT, MAX_UTILITY_CHARGE_CURRENT, STOP_CHARGE_VOLTAGE):
            if setting.key in self.number_commands:
                writable[setting.key] = setting
        return table_capabilities(
            INVERTER_KEYS,
            PACK_KEYS,
            more_pack_metrics=[*PACK_TEMPERATURE_SENSORS, "temperature_max", "protection"],
            writable=writable,
            broadcast_writes=True,
            command_replies=False,
        )

    def subscriptions(self) -> list[str]:
        """One wildcard over the state prefix; foreign topics are dropped by prefix."""
        return [f"{self.state_topic_prefix}/+/state"]

    def decode(self, topic: str, payload: str) -> DecodeResult:
        """Decode one telemetry message."""
        known = self._topics.get(topic)
        if known is None:
            parsed = self._parse_topic(topic)
            if parsed is None:
                return None
            known = _Topic(*parsed)
            if len(self._topics) < TOPICS_REMEMBERED:
                self._topics[topic] = known
        source, key = known.source, known.key
        if known.payload == payload:
            result = known.result
        else:
            if source.kind is SourceKind.INVERTER:
                result = decode_scalar(source, INVERTER_KEYS.get(key), payload)
            else:
                result = _decode_pack(source, key, payload)
            known.payload, known.result = payload, result
        if source.kind is SourceKind.INVERTER:
            return self._guard.admit(source.index, key, result)
        return result

    def _parse_topic(self, topic: str) -> tuple[SourceId, str] | None:
        """The source and powermon key a state topic carries, or None for a foreign one."""
        level = state_path(topic, self.state_topic_prefix)
        if level is None:
            return None
        for prefix, kind, count in self._sources:
            if level.startswith(prefix):
                return self._parse_source(level[len(prefix) :], kind, count)
        return None

    def _parse_source(self, rest: str, kind: SourceKind, count: int) -> tuple[SourceId, str] | None:
        index_text, sep, key = rest.partition("_")
        if not sep or not (index_text.isascii() and index_text.isdigit()) or len(index_text) > 3:
            return None
        index = int(index_text)
        if not 1 <= index <= count:
            return None  # beyond the integration's limits
        if not _WELL_FORMED_KEY.fullmatch(key):
            self._odd.count += 1
            return None
        return SourceId(kind, index), key

    def encode(self, key: SettingKey, value: SettingValue, unit: int | None) -> list[Command]:
        """lvx-control takes one command for the whole parallel group."""
        del unit  # the bridge applies every command to each parallel unit
        topics = {
            SettingKey.OUTPUT_PRIORITY: "output_priority",
            SettingKey.CHARGER_PRIORITY: "charger_priority",
            **self.number_commands,
        }
        payload = command_payload(key, value, OUTPUT_PRIORITY_COMMANDS, CHARGER_PRIORITY_COMMANDS)
        if key not in topics or payload is None:
            raise cannot_encode(self.name, key, value)
        return [Command(f"{self.command_topic_prefix}/{topics[key]}", payload)]

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters for diagnostics."""
        return {
            "profile": self.name,
            "state_topic_prefix": self.state_topic_prefix,
            "inverter_prefix": self.inverter_prefix,
            "battery_prefix": self.battery_prefix,
            "command_topic_prefix": self.command_topic_prefix,
            "inverter_count": self.inverter_count,
            "pack_count": self.pack_count,
            "topics_ignored": self._odd.count,
            "ratings_dropped": self._guard.ratings_dropped,
        }


def _decode_pack(source: SourceId, key: str, payload: str) -> DecodeResult:
    try:
        if key == "protection":
            flags = parse_protection(payload)
            return Decoded((Reading(source, "protection", ",".join(flags)),))
        if _TEMPERATURE_KEY.fullmatch(key) and key != "temperature_max":
            return Decoded((Reading(source, key, _TEMPERATURE(payload)),))
        spec = PACK_KEYS.get(key)
        if spec is None:
            return None
        canonical, parser = spec
        return Decoded((Reading(source, canonical, parser(payload)),))
    except ValueError:
        spec = PACK_KEYS.get(key)
        return Rejected(f"{source.kind}:{spec[0] if spec else key}")
