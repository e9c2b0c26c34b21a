"""The registry of MQTT bridges: one definition per bridge, looked up by name (pure).

The config flow shows, validates and stores a bridge's settings through its definition; entry
set-up builds the running profile through it; discovery asks each definition whether a
message on its announcement topics is its bridge. Adding a bridge is adding its
``<bridge>.py`` (codecs) and ``<bridge>_setup.py`` (definition) and listing it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .base import Profile
from .bridge import Bridge, Survey
from .lxp_bridge_setup import LXP_BRIDGE
from .powermon_lvx_setup import POWERMON_LVX
from .solar_assistant_setup import SOLAR_ASSISTANT

# In the order the form offers them.
BRIDGES: Mapping[str, Bridge] = MappingProxyType(
    {bridge.name: bridge for bridge in (POWERMON_LVX, SOLAR_ASSISTANT, LXP_BRIDGE)}
)


def bridge_of(config: Mapping[str, Any]) -> Bridge:
    """The definition of the bridge a config entry's data names; ValueError if none."""
    name = config["profile"]
    bridge = BRIDGES.get(name) if isinstance(name, str) else None
    if bridge is None:
        msg = f"unknown profile {name!r}"
        raise ValueError(msg)
    return bridge


def build_profile(config: Mapping[str, Any]) -> Profile:
    """Build the profile a config entry's data describes."""
    return bridge_of(config).build(config)


def discovery_topics() -> list[str]:
    """Every bridge's announcement topics: the manifest's ``mqtt`` list."""
    return sorted({topic for bridge in BRIDGES.values() for topic in bridge.discovery.topics})


def announce(subscribed_topic: str, topic: str, payload: str) -> tuple[Bridge, Survey] | None:
    """The bridge a discovery message announces, with a survey of it; None if no bridge's."""
    for bridge in BRIDGES.values():
        if subscribed_topic in bridge.discovery.topics:
            survey = bridge.discovery.announce(topic, payload)
            if survey is not None:
                return bridge, survey
    return None
