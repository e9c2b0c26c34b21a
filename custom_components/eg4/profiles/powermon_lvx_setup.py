"""powermon + lvx-control: the form, the entry it makes, and how the bridge is discovered (pure).

powermon's Home Assistant output announces each reading on
``<discovery prefix>/sensor/<entity_id_prefix>_<key>/config`` (a JSON config naming its
``state_topic``) before publishing ``…/state``, on every poll. The unit number is the end of
the entity_id_prefix (``lvx6048_1``); packs come from a separate BMS reader on the same
layout (``lifepower4_1_soc``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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
    DEFAULT_BATTERY_PREFIX,
    DEFAULT_CMD_MAX_CHARGE_CURRENT,
    DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT,
    DEFAULT_CMD_STOP_CHARGE_VOLTAGE,
    DEFAULT_COMMAND_TOPIC_PREFIX,
    DEFAULT_INVERTER_COUNT,
    DEFAULT_INVERTER_PREFIX,
    DEFAULT_PACK_COUNT,
    DEFAULT_STATE_TOPIC_PREFIX,
    MAX_INVERTERS,
    MAX_PACKS,
    PROFILE_POWERMON_LVX,
)
from .bridge import (
    Bridge,
    Discovery,
    count,
    count_errors,
    entry_data,
    keyed,
    optional_text,
    seen_count,
    text,
    titled,
    valid_topic_prefix,
)
from .powermon_lvx import INVERTER_KEYS, PACK_KEYS, PACK_TEMPERATURE_SENSORS, PowermonLvxProfile

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COMMAND_NAME = re.compile(r"^[A-Za-z0-9_\-/]{0,64}$")
COMMAND_FIELDS = (
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
)
DISCOVERY_TOPIC = "homeassistant/sensor/+/config"
# Longest first, so ``battery_re-charge_voltage`` is not read as a shorter key's suffix.
_INVERTER_KEYS = tuple(sorted(INVERTER_KEYS, key=len, reverse=True))
_PACK_KEYS = tuple(
    sorted((*PACK_KEYS, *PACK_TEMPERATURE_SENSORS, "protection"), key=len, reverse=True)
)
_UNIT = re.compile(r"[0-9]{1,3}")


def _normalize(user_input: Mapping[str, Any]) -> dict[str, Any]:
    data = entry_data(PROFILE_POWERMON_LVX, user_input)
    # A cleared optional field is left out of the submission: it means "no such command".
    for key in COMMAND_FIELDS:
        data.setdefault(key, "")
    return data


def _validate(data: Mapping[str, Any]) -> dict[str, str]:
    errors = count_errors(data)
    for key in (CONF_STATE_TOPIC_PREFIX, CONF_COMMAND_TOPIC_PREFIX):
        if not valid_topic_prefix(data.get(key, "")):
            errors[key] = "invalid_topic"
    for key in (CONF_INVERTER_PREFIX, CONF_BATTERY_PREFIX):
        if not _NAME.match(str(data.get(key, ""))):
            errors[key] = "invalid_name"
    if CONF_INVERTER_PREFIX not in errors and CONF_BATTERY_PREFIX not in errors:
        inverter, battery = data[CONF_INVERTER_PREFIX], data[CONF_BATTERY_PREFIX]
        if (
            inverter == battery
            or inverter.startswith(battery + "_")
            or battery.startswith(inverter + "_")
        ):
            errors[CONF_BATTERY_PREFIX] = "prefix_conflict"
    for key in COMMAND_FIELDS:
        name = str(data.get(key, ""))
        if not _COMMAND_NAME.match(name) or name.startswith("/") or name.endswith("/"):
            errors[key] = "invalid_command_name"
    return errors


def split_object_id(object_id: str, keys: tuple[str, ...]) -> tuple[str, int, str] | None:
    """``<prefix>_<n>_<key>`` -> (prefix, n, key) for one of ``keys``, else None."""
    for key in keys:
        if object_id.endswith("_" + key):
            prefix, sep, unit = object_id[: -len(key) - 1].rpartition("_")
            if sep and prefix and _UNIT.fullmatch(unit):
                return prefix, int(unit), key
    return None


class PowermonSurvey:
    """The inverter units and the battery packs seen under one state prefix."""

    def __init__(self, state_prefix: str, inverter_prefix: str, unit: int) -> None:
        """Start from the unit that announced the bridge."""
        self.state_prefix = state_prefix
        self.inverter_prefix = inverter_prefix
        self.units = {unit}
        self.packs: dict[str, set[int]] = {}  # battery prefix -> pack numbers

    def watch(self) -> list[str]:
        """The state topics of every unit and pack under the prefix."""
        return [f"{self.state_prefix}/+/state"]

    def observe(self, topic: str, payload: str) -> None:
        """Count an inverter unit or a battery pack by its state topic."""
        head = self.state_prefix + "/"
        if not topic.startswith(head) or not topic.endswith("/state"):
            return
        object_id = topic[len(head) : -len("/state")]
        inverter = split_object_id(object_id, _INVERTER_KEYS)
        if inverter is not None and inverter[0] == self.inverter_prefix:
            self.units.add(inverter[1])
            return
        pack = split_object_id(object_id, _PACK_KEYS)
        if pack is not None and pack[0] != self.inverter_prefix:
            self.packs.setdefault(pack[0], set()).add(pack[1])

    def values(self) -> dict[str, Any]:
        """The form as seen; the battery prefix with the most packs (first seen on a tie)."""
        battery = max(self.packs, key=lambda prefix: len(self.packs[prefix]), default=None)
        packs = self.packs.get(battery, set()) if battery else set()
        return {
            CONF_STATE_TOPIC_PREFIX: self.state_prefix,
            CONF_INVERTER_PREFIX: self.inverter_prefix,
            CONF_BATTERY_PREFIX: battery or DEFAULT_BATTERY_PREFIX,
            CONF_COMMAND_TOPIC_PREFIX: DEFAULT_COMMAND_TOPIC_PREFIX,
            CONF_INVERTER_COUNT: seen_count(self.units, DEFAULT_INVERTER_COUNT, MAX_INVERTERS),
            CONF_PACK_COUNT: seen_count(packs, DEFAULT_PACK_COUNT, MAX_PACKS),
            CONF_CMD_MAX_CHARGE_CURRENT: DEFAULT_CMD_MAX_CHARGE_CURRENT,
            CONF_CMD_MAX_UTILITY_CHARGE_CURRENT: DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT,
            CONF_CMD_STOP_CHARGE_VOLTAGE: DEFAULT_CMD_STOP_CHARGE_VOLTAGE,
        }


def announce(topic: str, payload: str) -> PowermonSurvey | None:
    """An inverter reading's discovery config, as powermon's hass output publishes it."""
    state_prefix, _, rest = topic.rpartition("/")
    state_prefix, _, object_id = state_prefix.rpartition("/")
    if rest != "config" or not state_prefix:
        return None
    found = split_object_id(object_id, _INVERTER_KEYS)
    if found is None or not _NAME.match(found[0]):
        return None
    try:
        config = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(config, dict) or config.get("state_topic") != (
        f"{state_prefix}/{object_id}/state"
    ):
        return None
    return PowermonSurvey(state_prefix, found[0], found[1])


POWERMON_LVX = Bridge(
    name=PROFILE_POWERMON_LVX,
    fields=(
        text(CONF_STATE_TOPIC_PREFIX, DEFAULT_STATE_TOPIC_PREFIX),
        text(CONF_INVERTER_PREFIX, DEFAULT_INVERTER_PREFIX),
        text(CONF_BATTERY_PREFIX, DEFAULT_BATTERY_PREFIX),
        text(CONF_COMMAND_TOPIC_PREFIX, DEFAULT_COMMAND_TOPIC_PREFIX),
        count(CONF_INVERTER_COUNT, DEFAULT_INVERTER_COUNT, MAX_INVERTERS),
        count(CONF_PACK_COUNT, DEFAULT_PACK_COUNT, MAX_PACKS),
        optional_text(CONF_CMD_MAX_CHARGE_CURRENT, DEFAULT_CMD_MAX_CHARGE_CURRENT),
        optional_text(CONF_CMD_MAX_UTILITY_CHARGE_CURRENT, DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT),
        optional_text(CONF_CMD_STOP_CHARGE_VOLTAGE, DEFAULT_CMD_STOP_CHARGE_VOLTAGE),
    ),
    normalize=_normalize,
    validate=_validate,
    unique_id=keyed(
        PROFILE_POWERMON_LVX, CONF_STATE_TOPIC_PREFIX, CONF_INVERTER_PREFIX, CONF_BATTERY_PREFIX
    ),
    title=titled("EG4 {}", CONF_INVERTER_PREFIX),
    build=PowermonLvxProfile.from_config,
    # The inverters' topics make the system; the pack reader is found beside them.
    identity=keyed(PROFILE_POWERMON_LVX, CONF_STATE_TOPIC_PREFIX, CONF_INVERTER_PREFIX),
    discovery=Discovery(topics=(DISCOVERY_TOPIC,), announce=announce),
)
