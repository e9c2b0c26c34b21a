"""build_profile (profiles/__init__.py) and what both profiles share."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.eg4 import profiles
from custom_components.eg4.const import PROFILES
from custom_components.eg4.model import SettingKey
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.profiles.base import Profile
from custom_components.eg4.profiles.powermon_lvx import PowermonLvxProfile
from custom_components.eg4.profiles.solar_assistant import SolarAssistantProfile
from custom_components.eg4.settings import (
    MAX_CHARGE_CURRENT,
    MAX_UTILITY_CHARGE_CURRENT,
    STOP_CHARGE_VOLTAGE,
)
from custom_components.eg4.transport.base import Capabilities

from .helpers import PI_FAMILY_SETTINGS, POWERMON_CONFIG, SA_CONFIG

LXP_CONFIG = {"profile": "lxp_bridge", "topic_prefix": "lxp", "datalogs": ["BA12345678"]}
CONFIGS = {
    "powermon_lvx": POWERMON_CONFIG,
    "solar_assistant": SA_CONFIG,
    "lxp_bridge": LXP_CONFIG,
}


def test_exports() -> None:
    assert set(profiles.__all__) == {"Profile", "build_profile"}


@pytest.mark.parametrize(
    ("config", "cls"),
    [(POWERMON_CONFIG, PowermonLvxProfile), (SA_CONFIG, SolarAssistantProfile)],
)
def test_build_profile_dispatches_on_the_profile_name(
    config: dict[str, Any], cls: type[object]
) -> None:
    profile = build_profile(config)
    assert type(profile) is cls
    assert profile.name == config["profile"]
    assert profile.describe()["profile"] == config["profile"]


def test_every_known_profile_name_builds() -> None:
    assert set(CONFIGS) == set(PROFILES)
    for name in PROFILES:
        assert build_profile(CONFIGS[name]).name == name


@pytest.mark.parametrize("name", ["", "powermon", "Solar_Assistant", "mqtt", None, 1])
def test_unknown_profile_raises_value_error(name: object) -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        build_profile({**POWERMON_CONFIG, "profile": name})


def test_build_profile_ignores_other_profiles_keys() -> None:
    # A powermon entry carrying Solar Assistant's keys (or vice versa) still builds.
    merged = {**SA_CONFIG, **POWERMON_CONFIG}
    assert isinstance(build_profile(merged), PowermonLvxProfile)
    assert isinstance(
        build_profile({**merged, "profile": "solar_assistant"}), SolarAssistantProfile
    )


@pytest.mark.parametrize("name", ["powermon_lvx", "solar_assistant"])
def test_profiles_implement_the_protocol(name: str) -> None:
    profile: Profile = build_profile(CONFIGS[name])
    caps = profile.capabilities
    assert isinstance(caps, Capabilities)
    assert caps.readable_settings == PI_FAMILY_SETTINGS
    # the numeric definitions are the shared ones from settings.py
    for definition in (MAX_CHARGE_CURRENT, MAX_UTILITY_CHARGE_CURRENT, STOP_CHARGE_VOLTAGE):
        assert caps.writable[definition.key] is definition
    # metrics and settings never share a name
    assert not (caps.inverter_metrics & {k.value for k in SettingKey})
    subs = profile.subscriptions()
    assert subs
    assert all(s.endswith("/state") for s in subs)
    assert isinstance(profile.describe(), dict)
    for value in profile.describe().values():
        assert isinstance(value, str | int)


def test_capabilities_default_values() -> None:
    caps = Capabilities(
        inverter_metrics=frozenset(), pack_metrics=frozenset(), readable_settings=frozenset()
    )
    assert dict(caps.writable) == {}
    assert caps.broadcast_writes is True
    assert caps.command_replies is False
