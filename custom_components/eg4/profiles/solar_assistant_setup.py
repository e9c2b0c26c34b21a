"""Solar Assistant: the form, the entry it makes, and how it is discovered (pure).

Solar Assistant publishes ``<prefix>/inverter_<n>/<metric>/state`` and
``<prefix>/battery_<n>/<metric>/state`` under its default prefix ``solar_assistant``. Each
inverter's ``device_mode`` changes seldom, which makes it the announcement; the units and
batteries are then counted from every state topic under the prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..const import (
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_TOPIC_PREFIX,
    DEFAULT_INVERTER_COUNT,
    DEFAULT_PACK_COUNT,
    DEFAULT_TOPIC_PREFIX,
    MAX_INVERTERS,
    MAX_PACKS,
    PROFILE_SOLAR_ASSISTANT,
)
from .bridge import (
    Bridge,
    Discovery,
    count,
    count_errors,
    entry_data,
    keyed,
    seen_count,
    text,
    titled,
    valid_topic_prefix,
)
from .solar_assistant import SolarAssistantProfile

DISCOVERY_TOPIC = f"{DEFAULT_TOPIC_PREFIX}/+/device_mode/state"
_DEVICE = re.compile(r"^(inverter|battery)_([0-9]{1,3})$")


def _normalize(user_input: Mapping[str, Any]) -> dict[str, Any]:
    return entry_data(PROFILE_SOLAR_ASSISTANT, user_input)


def _validate(data: Mapping[str, Any]) -> dict[str, str]:
    errors = count_errors(data)
    if not valid_topic_prefix(data.get(CONF_TOPIC_PREFIX, "")):
        errors[CONF_TOPIC_PREFIX] = "invalid_topic"
    return errors


def _device(topic: str, prefix: str) -> tuple[str, int] | None:
    """``<prefix>/<inverter|battery>_<n>/<metric>/state`` -> (kind, n)."""
    head = prefix + "/"
    if not topic.startswith(head) or not topic.endswith("/state"):
        return None
    device, sep, metric = topic[len(head) : -len("/state")].partition("/")
    match = _DEVICE.match(device)
    if not sep or not metric or "/" in metric or match is None:
        return None
    return match.group(1), int(match.group(2))


class SolarAssistantSurvey:
    """The inverters and batteries seen under one Solar Assistant prefix."""

    def __init__(self, prefix: str, unit: int) -> None:
        """Start from the inverter that announced Solar Assistant."""
        self.prefix = prefix
        self.seen: dict[str, set[int]] = {"inverter": {unit}, "battery": set()}

    def watch(self) -> list[str]:
        """Every device's state topics (what the entry will subscribe to)."""
        return [f"{self.prefix}/+/+/state"]

    def observe(self, topic: str, payload: str) -> None:
        """Count the inverter or battery a state topic belongs to."""
        if (device := _device(topic, self.prefix)) is not None:
            self.seen[device[0]].add(device[1])

    def values(self) -> dict[str, Any]:
        """The form as seen."""
        return {
            CONF_TOPIC_PREFIX: self.prefix,
            CONF_INVERTER_COUNT: seen_count(
                self.seen["inverter"], DEFAULT_INVERTER_COUNT, MAX_INVERTERS
            ),
            CONF_PACK_COUNT: seen_count(self.seen["battery"], DEFAULT_PACK_COUNT, MAX_PACKS),
        }


def announce(topic: str, payload: str) -> SolarAssistantSurvey | None:
    """An inverter's device mode under the default prefix."""
    device = _device(topic, DEFAULT_TOPIC_PREFIX)
    if device is None or device[0] != "inverter" or not topic.endswith("/device_mode/state"):
        return None
    return SolarAssistantSurvey(DEFAULT_TOPIC_PREFIX, device[1])


SOLAR_ASSISTANT = Bridge(
    name=PROFILE_SOLAR_ASSISTANT,
    fields=(
        text(CONF_TOPIC_PREFIX, DEFAULT_TOPIC_PREFIX),
        count(CONF_INVERTER_COUNT, DEFAULT_INVERTER_COUNT, MAX_INVERTERS),
        count(CONF_PACK_COUNT, DEFAULT_PACK_COUNT, MAX_PACKS),
    ),
    normalize=_normalize,
    validate=_validate,
    unique_id=keyed(PROFILE_SOLAR_ASSISTANT, CONF_TOPIC_PREFIX),
    title=titled("EG4 via Solar Assistant ({})", CONF_TOPIC_PREFIX),
    build=SolarAssistantProfile.from_config,
    identity=keyed(PROFILE_SOLAR_ASSISTANT, CONF_TOPIC_PREFIX),
    discovery=Discovery(topics=(DISCOVERY_TOPIC,), announce=announce),
)
