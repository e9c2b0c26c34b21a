"""lxp-bridge / eg4-bridge: EG4 hybrid inverters (18kPV, 12kPV, FlexBOSS, 6000XP) on local MQTT.

Telemetry: ``<prefix>/<datalog>/inputs/all`` (JSON, not retained). Settings read back from the
retained ``<prefix>/<datalog>/hold/<register>`` topics. Commands go to
``<prefix>/cmd/<datalog>/set/...`` and the bridge answers on ``<prefix>/result/<datalog>/...``
with ``OK`` (the inverter echoed the value) or ``FAIL``. One datalog per inverter; the battery
bank each inverter's BMS port reports is shown as that unit's battery.

The subscriptions cover every datalog of the namespace: a datalog the entry does not list joins
as the next unit when its inputs arrive (lxp-bridge never retains them, so only a live
inverter joins); its retained holding registers, delivered before that, are kept until then
and become its first read-backs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from ..const import (
    CONF_DATALOGS,
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_TOPIC_PREFIX,
    MAX_INVERTERS,
    PROFILE_LXP_BRIDGE,
)
from ..energy import BATTERY_FLOW, GRID_POWER, EnergyKind
from ..model import BANK_CAPACITY, ChargerPriority, SettingKey, SettingValue, SourceId, SourceKind
from ..numbers import is_number
from ..settings import (
    AC_CHARGE_SOC_LIMIT,
    AC_CHARGE_TIMES,
    CHARGE_SOC_LIMIT,
    HYBRID_CHARGE_CURRENT,
    HYBRID_DISCHARGE_CURRENT,
    OptionSetting,
    SettingDef,
)
from ..transport.base import Capabilities, CommandResult, Decoded, Reading, Rejected
from .base import (
    CURRENT,
    ENERGY,
    PERCENT,
    POWER,
    TEMPERATURE,
    VOLTAGE_AC,
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    Bounds,
    Command,
    DecodeResult,
    EntriesData,
    cannot_encode,
    plausible,
)
from .lxp_func import FORCED_DISCHARGE_SETTINGS, FUNC_REGISTER, decode_func, encode_func
from .lxp_windows import TIME_REGISTER_OF, TIME_REGISTERS, decode_time_register, decode_window, pack

# inputs/all key -> (source kind, canonical key, bounds)
INPUT_KEYS: dict[str, tuple[SourceKind, str, Bounds]] = {
    "v_bat": (SourceKind.INVERTER, "battery_voltage", VOLTAGE_BANK),
    "soc": (SourceKind.INVERTER, "battery_soc", PERCENT),
    "p_pv": (SourceKind.INVERTER, "pv_power", POWER),
    "p_inv": (SourceKind.INVERTER, "output_power", POWER),
    "v_ac_r": (SourceKind.INVERTER, "grid_voltage", VOLTAGE_AC),
    "t_inner": (SourceKind.INVERTER, "temperature", TEMPERATURE),
    "p_battery": (SourceKind.INVERTER, BATTERY_FLOW, POWER),  # + charging, like the model
    "p_grid": (SourceKind.INVERTER, GRID_POWER, POWER),  # + importing, like the model
    # Lifetime energy counters (kWh); the load is the inverter's output, as p_inv above.
    "e_pv_all": (SourceKind.INVERTER, EnergyKind.PV, ENERGY),
    "e_chg_all": (SourceKind.INVERTER, EnergyKind.BATTERY_CHARGE, ENERGY),
    "e_dischg_all": (SourceKind.INVERTER, EnergyKind.BATTERY_DISCHARGE, ENERGY),
    "e_to_user_all": (SourceKind.INVERTER, EnergyKind.GRID_IMPORT, ENERGY),
    "e_to_grid_all": (SourceKind.INVERTER, EnergyKind.GRID_EXPORT, ENERGY),
    "e_inv_all": (SourceKind.INVERTER, EnergyKind.LOAD, ENERGY),
    "bat_current": (SourceKind.PACK, "current", CURRENT),
    "max_cell_voltage": (SourceKind.PACK, "cell_voltage_max", VOLTAGE_CELL),
    "min_cell_voltage": (SourceKind.PACK, "cell_voltage_min", VOLTAGE_CELL),
    "max_cell_temp": (SourceKind.PACK, "temperature_cell_max", TEMPERATURE),
    "min_cell_temp": (SourceKind.PACK, "temperature_cell_min", TEMPERATURE),
    "bat_capacity": (SourceKind.PACK, BANK_CAPACITY, Bounds(0.0, 100_000.0)),  # Ah, the bank's
}
# BMS fields the bridges publish as unsigned 16-bit numbers although the inverter's register
# map says they are signed (lxp-bridge and eg4-bridge alike): a discharge of 10 A arrives as
# 645.36, -5 °C as 6548.6. Key -> the register's scale (units per count); a value above the
# signed maximum can only be a wrapped negative one.
WRAPPED_SIGNED: dict[str, float] = {
    "bat_current": 0.01,
    "max_cell_temp": 0.1,
    "min_cell_temp": 0.1,
}
# The bank's SoC and voltage belong to the pack as well as to the inverter's view.
PACK_COPIES = {"soc": "soc", "v_bat": "voltage"}

HOLD_REGISTERS: dict[int, SettingKey] = {
    101: SettingKey.MAX_CHARGE_CURRENT,
    102: SettingKey.DISCHARGE_CURRENT,
    67: SettingKey.AC_CHARGE_SOC_LIMIT,
    227: SettingKey.CHARGE_SOC_LIMIT,
}
REGISTER_OF = {key: register for register, key in HOLD_REGISTERS.items()}
READ_BACK_REGISTERS = frozenset({*HOLD_REGISTERS, *TIME_REGISTERS})
# What each register can hold: a read-back outside it is garbage (101 on 67 / 227: no limit).
HOLD_BOUNDS: dict[int, Bounds] = {
    101: Bounds(0, 1000),
    102: Bounds(0, 1000),
    67: Bounds(0, 101),
    227: Bounds(0, 101),
}
# Integers beyond this are no reading (and float() of one above 1e308 raises OverflowError).
_MAX_INT = 2**53
_DATALOG = re.compile(r"[A-Za-z0-9]{1,16}")
MAX_JSON = 8192
# Levels under the namespace that are the bridge's own, not a datalog.
BRIDGE_LEVELS = frozenset({"cmd", "result", "LWT"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LxpBridgeProfile:
    """Topic map and codecs for lxp-bridge."""

    topic_prefix: str
    datalogs: tuple[str, ...]
    name: str = PROFILE_LXP_BRIDGE
    max_payload: int = MAX_JSON  # inputs/all is one JSON object of ~1.7 KB
    # The datalogs in unit order: the configured ones, then those that joined.
    _units: list[str] = field(init=False, repr=False, compare=False)
    # Retained holding registers of datalogs that have not joined (yet): datalog -> register
    # -> payload, at most MAX_INVERTERS datalogs.
    _held: dict[str, dict[int, str]] = field(init=False, repr=False, compare=False)
    # The data of the other entries (another system on the same bridge lists its datalogs).
    _others: list[EntriesData] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Start from the configured datalogs."""
        object.__setattr__(self, "_units", list(self.datalogs))
        object.__setattr__(self, "_held", {})
        object.__setattr__(self, "_others", [])

    def share_with(self, others: EntriesData) -> None:
        """A datalog another entry of this namespace lists is that system's: it never joins."""
        self._others[:] = [others]

    def _claimed_elsewhere(self, datalog: str) -> bool:
        return any(
            data.get(CONF_PROFILE) == self.name
            and str(data.get(CONF_TOPIC_PREFIX, "")).strip("/") == self.topic_prefix
            and datalog in data.get(CONF_DATALOGS, ())
            for others in self._others
            for data in others()
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LxpBridgeProfile:
        """Build from config-entry data."""
        datalogs = config[CONF_DATALOGS]
        if isinstance(datalogs, str):
            datalogs = [part.strip() for part in datalogs.split(",") if part.strip()]
        return cls(topic_prefix=str(config[CONF_TOPIC_PREFIX]).strip("/"), datalogs=tuple(datalogs))

    @property
    def inverter_count(self) -> int:
        """One inverter per datalog."""
        return len(self.datalogs)

    @property
    def pack_count(self) -> int:
        """Each inverter's BMS port reports its bank as one battery."""
        return len(self.datalogs)

    @property
    def capabilities(self) -> Capabilities:
        """Charge/discharge current, the two charge SoC limits and AC charge on/off."""
        writable: dict[SettingKey, SettingDef] = {
            SettingKey.MAX_CHARGE_CURRENT: HYBRID_CHARGE_CURRENT,
            SettingKey.DISCHARGE_CURRENT: HYBRID_DISCHARGE_CURRENT,
            SettingKey.AC_CHARGE_SOC_LIMIT: AC_CHARGE_SOC_LIMIT,
            SettingKey.CHARGE_SOC_LIMIT: CHARGE_SOC_LIMIT,
            SettingKey.CHARGER_PRIORITY: OptionSetting(
                key=SettingKey.CHARGER_PRIORITY,
                options=(ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY),
            ),
            **AC_CHARGE_TIMES,  # the three AC-charge windows (registers 68-73)
            **FORCED_DISCHARGE_SETTINGS,  # forced discharge (21 bit 10) and its window 1
        }
        return Capabilities(
            inverter_metrics=frozenset(
                canonical
                for kind, canonical, _ in INPUT_KEYS.values()
                if kind is SourceKind.INVERTER
            ),
            pack_metrics=frozenset(
                [c for kind, c, _ in INPUT_KEYS.values() if kind is SourceKind.PACK]
                + list(PACK_COPIES.values())
                + ["cell_voltage_delta", "temperature_max"]
            ),
            readable_settings=frozenset(writable),
            writable=writable,
            broadcast_writes=False,
            command_replies=True,
        )

    def subscriptions(self) -> list[str]:
        """Inputs, retained holding registers and command results of every datalog."""
        prefix = self.topic_prefix
        return [
            f"{prefix}/+/inputs/all",
            f"{prefix}/+/hold/+",
            f"{prefix}/+/ac_charge/+",
            f"{prefix}/result/#",
        ]

    def _unit(self, datalog: str) -> int | None:
        try:
            return self._units.index(datalog) + 1
        except ValueError:
            return None

    def _join(self, datalog: str, payload: str) -> DecodeResult:
        """A datalog's first inputs: it becomes the next unit if they are readable.

        Its readings come with the read-backs held since before it joined.
        """
        if datalog in BRIDGE_LEVELS or not _DATALOG.fullmatch(datalog):
            return None
        if len(self._units) >= MAX_INVERTERS or self._claimed_elsewhere(datalog):
            return None
        unit = len(self._units) + 1
        inputs = _decode_inputs(unit, payload)
        if not isinstance(inputs, Decoded):
            return None  # not a unit of ours yet: its garbage is not counted either
        self._units.append(datalog)
        readings = list(inputs.readings)
        for register, text in sorted(self._held.pop(datalog, {}).items()):
            held = _decode_hold(unit, register, text)
            if isinstance(held, Decoded):
                readings.extend(held.readings)
        return Decoded(tuple(readings))

    def _hold_for_later(self, datalog: str, register: int, payload: str) -> None:
        """Keep a register of a datalog that has not joined: its read-back once it does."""
        if register != FUNC_REGISTER and register not in READ_BACK_REGISTERS:
            return
        if datalog in BRIDGE_LEVELS or not _DATALOG.fullmatch(datalog) or len(payload) > 8:
            return
        if datalog not in self._held and len(self._held) >= MAX_INVERTERS:
            return
        self._held.setdefault(datalog, {})[register] = payload

    def decode(self, topic: str, payload: str) -> DecodeResult:
        """Decode inputs, register read-backs and command results."""
        head = self.topic_prefix + "/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head) :].split("/")
        if parts[0] == "result" and len(parts) >= 3:
            unit = self._unit(parts[1])
            if unit is None:
                return None
            return _decode_result(unit, payload)
        if len(parts) != 3:
            return None
        datalog = parts[0]
        unit = self._unit(datalog)
        if parts[1:] == ["inputs", "all"]:
            return (
                _decode_inputs(unit, payload) if unit is not None else self._join(datalog, payload)
            )
        if parts[1] == "hold" and parts[2].isascii() and parts[2].isdigit() and len(parts[2]) < 6:
            if unit is None:
                self._hold_for_later(datalog, int(parts[2]), payload)
                return None
            return _decode_hold(unit, int(parts[2]), payload)
        if parts[1] == "ac_charge" and unit is not None:
            return decode_window(unit, parts[2], payload)
        return None

    def encode(self, key: SettingKey, value: SettingValue, unit: int | None) -> list[Command]:
        """One command per datalog."""
        if unit is None or not 1 <= unit <= len(self._units):
            msg = "lxp-bridge needs one command per unit"
            raise ValueError(msg)
        base = f"{self.topic_prefix}/cmd/{self._units[unit - 1]}/set"
        if (switch := encode_func(base, key, value)) is not None:
            return switch  # register 21's bits: AC charge, forced discharge
        if key in REGISTER_OF and isinstance(value, float) and value.is_integer():
            return [Command(f"{base}/hold/{REGISTER_OF[key]}", str(int(value)))]
        if key in TIME_REGISTER_OF and isinstance(value, time):
            return [Command(f"{base}/hold/{TIME_REGISTER_OF[key]}", str(pack(value)))]
        raise cannot_encode("lxp-bridge", key, value)

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters for diagnostics (datalog serials are redacted there)."""
        return {
            "profile": self.name,
            "topic_prefix": self.topic_prefix,
            "inverter_count": len(self._units),
        }

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """The datalogs of the units (one battery each), in unit order."""
        del pack_count  # each unit's BMS port is one battery
        datalogs = self._units[:inverter_count]
        count = len(datalogs)
        return {CONF_DATALOGS: datalogs, CONF_INVERTER_COUNT: count, CONF_PACK_COUNT: count}


def _number(value: object, bounds: Bounds) -> float:
    if not is_number(value):
        raise ValueError("not a number")
    if isinstance(value, int) and not -_MAX_INT <= value <= _MAX_INT:
        raise ValueError("out of bounds")
    number = float(value)
    if not plausible(number, bounds):
        raise ValueError("out of bounds")
    return number


def _unwrap(key: str, value: object) -> object:
    """A signed register value the bridge published as unsigned, put back to its sign."""
    scale = WRAPPED_SIGNED.get(key)
    if scale is None or not is_number(value):
        return value
    if not -_MAX_INT <= value <= _MAX_INT:  # nothing to unwrap (and no float of it)
        return value
    if value > 0x7FFF * scale + scale / 2:
        return round(value - 0x10000 * scale, 6)
    return value


def _decode_inputs(unit: int, payload: str) -> DecodeResult:
    if len(payload) > MAX_JSON:
        return Rejected("inverter:inputs")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser's stack
        return Rejected("inverter:inputs")
    if not isinstance(data, dict):
        return Rejected("inverter:inputs")
    readings: list[Reading] = []
    for raw_key, (kind, canonical, bounds) in INPUT_KEYS.items():
        if raw_key not in data:
            continue
        try:
            value = _number(_unwrap(raw_key, data[raw_key]), bounds)
        except ValueError:  # this value only: the others still count
            continue
        readings.append(Reading(SourceId(kind, unit), canonical, value))
        if raw_key in PACK_COPIES:
            readings.append(Reading(SourceId(SourceKind.PACK, unit), PACK_COPIES[raw_key], value))
    if not readings:
        return Rejected("inverter:inputs")
    return Decoded(tuple(readings))


def _decode_hold(unit: int, register: int, payload: str) -> DecodeResult:
    source = SourceId(SourceKind.INVERTER, unit)
    if register != FUNC_REGISTER and register not in READ_BACK_REGISTERS:
        return None
    text = payload.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        return Rejected(f"inverter:hold_{register}")
    raw = int(text)
    if raw > 0xFFFF:
        return Rejected(f"inverter:hold_{register}")
    if register in TIME_REGISTERS:
        return decode_time_register(unit, register, raw)
    if register == FUNC_REGISTER:
        return decode_func(unit, raw)
    if not plausible(float(raw), HOLD_BOUNDS[register]):
        return Rejected(f"inverter:hold_{register}")
    key = HOLD_REGISTERS[register]
    return Decoded((Reading(source, key, float(raw), key),))


def _decode_result(unit: int, payload: str) -> DecodeResult:
    text = payload.strip().upper()
    if text == "OK":
        return CommandResult(ok=True, message="OK", unit=unit)
    if text == "FAIL":
        return CommandResult(ok=False, message="FAIL", unit=unit)
    return Rejected("result:invalid")
