"""The bridge registry: what every bridge definition must satisfy (one contract, each bridge)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.eg4.const import PROFILES
from custom_components.eg4.profiles.bridge import FieldKind
from custom_components.eg4.profiles.registry import BRIDGES, bridge_of, build_profile

# A valid form submission per bridge, as the form sends it (text not yet stripped).
FORMS: dict[str, dict[str, Any]] = {
    "powermon_lvx": {
        "state_topic_prefix": " homeassistant/sensor ",
        "inverter_prefix": "lvx6048",
        "battery_prefix": "lifepower4",
        "command_topic_prefix": "solar/control/lvx6048",
        "inverter_count": 2.0,
        "pack_count": 6,
        "max_charge_current_command": "max_charge_current",
    },
    "solar_assistant": {"topic_prefix": "solar_assistant ", "inverter_count": 1, "pack_count": 3},
    "lxp_bridge": {"topic_prefix": "lxp", "datalogs": "BA12345678 ,BA87654321"},
}


def test_the_registry_offers_every_profile_in_order() -> None:
    assert tuple(BRIDGES) == PROFILES
    assert set(FORMS) == set(BRIDGES)


@pytest.mark.parametrize("name", PROFILES)
def test_a_valid_form_becomes_entry_data_that_builds_the_profile(name: str) -> None:
    bridge = BRIDGES[name]
    data = bridge.normalize(FORMS[name])
    assert bridge.validate(data) == {}
    assert data["transport"] == "mqtt"
    assert data["profile"] == name
    assert isinstance(data["inverter_count"], int)
    assert isinstance(data["pack_count"], int)
    assert bridge_of(data) is bridge
    profile = build_profile(data)
    assert profile.name == name
    assert profile.describe()["profile"] == name


@pytest.mark.parametrize("name", PROFILES)
def test_reconfigure_shows_what_is_stored(name: str) -> None:
    """The stored data, shown in the form and sent back unchanged, is stored again as it was."""
    bridge = BRIDGES[name]
    data = bridge.normalize(FORMS[name])
    shown = bridge.form_values(data)
    submitted = {field.key: shown[field.key] for field in bridge.fields if field.key in shown}
    assert bridge.normalize(submitted) == data


@pytest.mark.parametrize("name", PROFILES)
def test_an_installations_identity_begins_its_unique_id(name: str) -> None:
    """A discovered installation (keyed by identity) and its entry (by unique id) agree."""
    bridge = BRIDGES[name]
    data = bridge.normalize(FORMS[name])
    assert bridge.unique_id(data).startswith(bridge.identity(data))
    assert bridge.title(data).startswith("EG4")


@pytest.mark.parametrize("name", PROFILES)
def test_the_form_has_one_field_per_key_and_counts_have_a_range(name: str) -> None:
    fields = BRIDGES[name].fields
    assert len({field.key for field in fields}) == len(fields)
    for field in fields:
        assert (field.kind is FieldKind.COUNT) == (field.maximum > 0)
