"""MQTT bridge profiles: topic maps and payload codecs, one module per bridge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..const import PROFILE_LXP_BRIDGE, PROFILE_POWERMON_LVX, PROFILE_SOLAR_ASSISTANT
from .base import Profile
from .lxp_bridge import LxpBridgeProfile
from .powermon_lvx import PowermonLvxProfile
from .solar_assistant import SolarAssistantProfile


def build_profile(config: Mapping[str, Any]) -> Profile:
    """Build the profile a config entry's data describes."""
    name = config["profile"]
    if name == PROFILE_POWERMON_LVX:
        return PowermonLvxProfile.from_config(config)
    if name == PROFILE_SOLAR_ASSISTANT:
        return SolarAssistantProfile.from_config(config)
    if name == PROFILE_LXP_BRIDGE:
        return LxpBridgeProfile.from_config(config)
    msg = f"unknown profile {name!r}"
    raise ValueError(msg)


__all__ = ["Profile", "build_profile"]
