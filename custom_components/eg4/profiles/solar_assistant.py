"""Solar Assistant's MQTT interface for Voltronic-family (EG4 LVX) inverters.

Telemetry: ``<prefix>/inverter_<n>/<metric>/state`` and ``<prefix>/battery_<n>/<metric>/state``;
the system's energy totals: ``<prefix>/total/<metric>/state``.
Commands: ``<prefix>/inverter_<n>/<setting>/set`` with Solar Assistant's own option strings,
one per unit; the reply arrives on ``<prefix>/set/response_message/state``. Units and batteries
beyond the configured counts are decoded too (up to the integration's limits): they join.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..const import (
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_TOPIC_PREFIX,
    MAX_INVERTERS,
    MAX_PACKS,
    PROFILE_SOLAR_ASSISTANT,
)
from ..energy import GRID_POWER, SYSTEM_PREFIX, EnergyKind
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
    SettingDef,
)
from ..transport.base import Capabilities, CommandResult, Rejected
from .base import (
    COUNT,
    CURRENT,
    DEFAULT_MAX_PAYLOAD,
    ENERGY,
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
    cannot_encode,
    decode_scalar,
    number_parser,
    option_parser,
    parse_device_mode,
    table_capabilities,
)
from .common import (
    CHARGER_PRIORITY_READBACK,
    OUTPUT_PRIORITY_READBACK,
    CountedSources,
    command_payload,
    priority_settings,
    state_path,
)

INVERTER_METRICS: dict[str, tuple[str, Parser, SettingKey | None]] = {
    "battery_voltage": ("battery_voltage", number_parser(VOLTAGE_BANK), None),
    "battery_current": ("battery_current", number_parser(CURRENT), None),
    "pv_power": ("pv_power", number_parser(POWER), None),
    "pv_voltage": ("pv_voltage", number_parser(VOLTAGE_PV), None),
    "load_power": ("output_power", number_parser(POWER), None),
    "grid_power": (GRID_POWER, number_parser(POWER), None),  # + importing
    "grid_voltage": ("grid_voltage", number_parser(VOLTAGE_AC), None),
    "ac_output_voltage": ("output_voltage", number_parser(VOLTAGE_AC), None),
    "temperature": ("temperature", number_parser(TEMPERATURE), None),
    "device_mode": ("device_mode", parse_device_mode, None),
    "output_source_priority": (
        SettingKey.OUTPUT_PRIORITY,
        option_parser(OUTPUT_PRIORITY_READBACK),
        SettingKey.OUTPUT_PRIORITY,
    ),
    "charger_source_priority": (
        SettingKey.CHARGER_PRIORITY,
        option_parser(CHARGER_PRIORITY_READBACK),
        SettingKey.CHARGER_PRIORITY,
    ),
    "max_charge_current": (
        SettingKey.MAX_CHARGE_CURRENT,
        number_parser(CURRENT),
        SettingKey.MAX_CHARGE_CURRENT,
    ),
    "max_grid_charge_current": (
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        number_parser(CURRENT),
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
    ),
    "back_to_battery_voltage": (
        SettingKey.STOP_CHARGE_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.STOP_CHARGE_VOLTAGE,
    ),
    "to_grid_battery_voltage": (
        SettingKey.RECHARGE_VOLTAGE,
        number_parser(VOLTAGE_BANK),
        SettingKey.RECHARGE_VOLTAGE,
    ),
    "battery_absorption_charge_voltage": (
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

# ``total/<metric>``: the system's energy counters (kWh; Solar Assistant's own, which restart at
# its midnight), carried on unit 1 under ``system_<kind>`` (the group's sensors read them there).
TOTAL_METRICS: dict[str, tuple[str, Parser, SettingKey | None]] = {
    topic: (SYSTEM_PREFIX + kind, number_parser(ENERGY), None)
    for topic, kind in (
        ("pv_energy", EnergyKind.PV),
        ("battery_energy_in", EnergyKind.BATTERY_CHARGE),
        ("battery_energy_out", EnergyKind.BATTERY_DISCHARGE),
        ("grid_energy_in", EnergyKind.GRID_IMPORT),
        ("grid_energy_out", EnergyKind.GRID_EXPORT),
        ("load_energy", EnergyKind.LOAD),
    )
}

BATTERY_METRICS: dict[str, tuple[str, Parser]] = {
    "state_of_charge": ("soc", number_parser(PERCENT)),
    "voltage": ("voltage", number_parser(VOLTAGE_BANK)),
    "current": ("current", number_parser(CURRENT)),
    "power": ("power", number_parser(POWER)),
    "temperature": ("temperature_1", number_parser(TEMPERATURE)),
    "cell_voltage_-_highest": ("cell_voltage_max", number_parser(VOLTAGE_CELL)),
    "cell_voltage_-_lowest": ("cell_voltage_min", number_parser(VOLTAGE_CELL)),
    "cycles": ("cycles", number_parser(COUNT)),
}

SETTING_TOPICS: dict[SettingKey, str] = {
    SettingKey.OUTPUT_PRIORITY: "output_source_priority",
    SettingKey.CHARGER_PRIORITY: "charger_source_priority",
    SettingKey.MAX_CHARGE_CURRENT: "max_charge_current",
    SettingKey.MAX_UTILITY_CHARGE_CURRENT: "max_grid_charge_current",
    SettingKey.STOP_CHARGE_VOLTAGE: "back_to_battery_voltage",
}
OUTPUT_PRIORITY_COMMANDS: dict[OutputPriority, str] = {
    OutputPriority.SBU: "Solar/Battery/Utility",
    OutputPriority.SUB: "Solar/Utility/Battery",
    OutputPriority.USB: "Utility first",
}
CHARGER_PRIORITY_COMMANDS: dict[ChargerPriority, str] = {
    ChargerPriority.SOLAR_FIRST: "Solar first",
    ChargerPriority.SOLAR_AND_UTILITY: "Solar and utility simultaneously",
    ChargerPriority.SOLAR_ONLY: "Solar only",
}
# Some Solar Assistant versions show the short forms; tried when the long form is refused.
OUTPUT_PRIORITY_ALTERNATIVES: dict[OutputPriority, str] = {
    OutputPriority.SBU: "SBU",
    OutputPriority.SUB: "SUB",
}
MAX_RESPONSE = 256
_UNIT_INDEX = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SolarAssistantProfile(CountedSources):
    """Topic map and codecs for Solar Assistant."""

    topic_prefix: str
    inverter_count: int
    pack_count: int
    name: str = PROFILE_SOLAR_ASSISTANT
    max_payload: int = DEFAULT_MAX_PAYLOAD

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SolarAssistantProfile:
        """Build from config-entry data."""
        return cls(
            topic_prefix=str(config[CONF_TOPIC_PREFIX]).strip("/"),
            inverter_count=int(config[CONF_INVERTER_COUNT]),
            pack_count=int(config[CONF_PACK_COUNT]),
        )

    @property
    def capabilities(self) -> Capabilities:
        """What Solar Assistant exposes for these inverters."""
        writable: dict[SettingKey, SettingDef] = {
            **priority_settings(OUTPUT_PRIORITY_COMMANDS, CHARGER_PRIORITY_COMMANDS),
            SettingKey.MAX_CHARGE_CURRENT: MAX_CHARGE_CURRENT,
            SettingKey.MAX_UTILITY_CHARGE_CURRENT: MAX_UTILITY_CHARGE_CURRENT,
            SettingKey.STOP_CHARGE_VOLTAGE: STOP_CHARGE_VOLTAGE,
        }
        return table_capabilities(
            {**INVERTER_METRICS, **TOTAL_METRICS},
            BATTERY_METRICS,
            more_pack_metrics=["cell_voltage_delta", "temperature_max"],
            writable=writable,
            broadcast_writes=False,
            command_replies=True,
        )

    def subscriptions(self) -> list[str]:
        """Every device/metric state topic (the response message included)."""
        return [f"{self.topic_prefix}/+/+/state"]

    def decode(self, topic: str, payload: str) -> DecodeResult:
        """Decode one state message or command reply."""
        path = state_path(topic, self.topic_prefix)
        if path is None:
            return None
        device, sep, metric = path.partition("/")
        if not sep or "/" in metric:
            return None
        if device == "set" and metric == "response_message":
            return _decode_response(payload)
        if device == "total":  # carried on unit 1, but not unit 1 reporting
            unit_1 = SourceId(SourceKind.INVERTER, 1)
            return decode_scalar(unit_1, TOTAL_METRICS.get(metric), payload, alive=False)
        kind, _, index_text = device.rpartition("_")
        if not _UNIT_INDEX.fullmatch(index_text):
            return None
        index = int(index_text)
        if kind == "inverter" and 1 <= index <= MAX_INVERTERS:
            source = SourceId(SourceKind.INVERTER, index)
            return decode_scalar(source, INVERTER_METRICS.get(metric), payload)
        if kind == "battery" and 1 <= index <= MAX_PACKS:
            source = SourceId(SourceKind.PACK, index)
            return decode_scalar(source, BATTERY_METRICS.get(metric), payload)
        return None

    def encode(self, key: SettingKey, value: SettingValue, unit: int | None) -> list[Command]:
        """One command to one unit: Solar Assistant addresses inverters one by one."""
        if unit is None:
            msg = "Solar Assistant needs one command per unit"
            raise ValueError(msg)
        payload = _payload(key, value)
        return [Command(self._set_topic(key, unit), payload)]

    def alternative_encodings(
        self, key: SettingKey, value: SettingValue, unit: int | None
    ) -> list[list[Command]]:
        """Short option forms some Solar Assistant versions use."""
        if unit is None or not isinstance(value, OutputPriority):
            return []
        short = OUTPUT_PRIORITY_ALTERNATIVES.get(value)
        return [[Command(self._set_topic(key, unit), short)]] if short else []

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters for diagnostics."""
        return {
            "profile": self.name,
            "topic_prefix": self.topic_prefix,
            "inverter_count": self.inverter_count,
            "pack_count": self.pack_count,
        }

    def _set_topic(self, key: SettingKey, unit: int) -> str:
        return f"{self.topic_prefix}/inverter_{unit}/{SETTING_TOPICS[key]}/set"


def _payload(key: SettingKey, value: SettingValue) -> str:
    payload = command_payload(key, value, OUTPUT_PRIORITY_COMMANDS, CHARGER_PRIORITY_COMMANDS)
    if payload is None:
        raise cannot_encode("Solar Assistant", key, value)
    return payload


def _decode_response(payload: str) -> DecodeResult:
    text = payload.strip()
    if not text or len(text) > MAX_RESPONSE or not text.isprintable():
        return Rejected("response:invalid")
    lowered = text.lower()
    if lowered.startswith("error") or "invalid" in lowered or "fail" in lowered:
        return CommandResult(ok=False, message=text)
    return CommandResult(ok=True, message=text)
