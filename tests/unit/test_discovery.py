"""The bridge definitions' discovery side: announcements, surveys, and the manifest's topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.const import MAX_INVERTERS, MAX_PACKS
from custom_components.eg4.profiles.powermon_lvx import INVERTER_KEYS, PACK_KEYS
from custom_components.eg4.profiles.powermon_lvx_setup import split_object_id
from custom_components.eg4.profiles.registry import BRIDGES, announce, discovery_topics

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "custom_components/eg4/manifest.json").read_text())
POWERMON_TOPIC = "homeassistant/sensor/+/config"
SA_TOPIC = "solar_assistant/+/device_mode/state"
LXP_TOPIC = "lxp/LWT"


def _config(object_id: str) -> tuple[str, str]:
    topic = f"homeassistant/sensor/{object_id}"
    return f"{topic}/config", json.dumps({"state_topic": f"{topic}/state"})


def test_manifest_lists_every_bridges_announcement_topics() -> None:
    assert MANIFEST["mqtt"] == discovery_topics()
    assert discovery_topics() == sorted([POWERMON_TOPIC, SA_TOPIC, LXP_TOPIC])


def test_a_topic_belongs_to_the_bridge_that_lists_it() -> None:
    """A powermon-looking message on another bridge's topic is not announced."""
    topic, payload = _config("lvx6048_1_battery_voltage")
    assert announce(SA_TOPIC, topic, payload) is None
    found = announce(POWERMON_TOPIC, topic, payload)
    assert found is not None
    assert found[0] is BRIDGES["powermon_lvx"]


# ---- powermon --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("object_id", "expected"),
    [
        ("lvx6048_1_battery_voltage", ("lvx6048", 1, "battery_voltage")),
        ("my_lvx_2_battery_re-charge_voltage", ("my_lvx", 2, "battery_re-charge_voltage")),
        ("lvx_2_1_ac_output_voltage", ("lvx_2", 1, "ac_output_voltage")),
        ("lvx6048_12_device_mode", ("lvx6048", 12, "device_mode")),
        ("lvx6048_battery_voltage", None),  # no unit number
        ("1_battery_voltage", None),  # no prefix
        ("lvx6048_1_battery_voltage_x", None),
        ("lvx6048_x1_battery_voltage", None),
    ],
)
def test_split_object_id(object_id: str, expected: tuple[str, int, str] | None) -> None:
    keys = tuple(sorted(INVERTER_KEYS, key=len, reverse=True))
    assert split_object_id(object_id, keys) == expected


def test_no_reading_key_ends_with_another() -> None:
    """What makes ``<prefix>_<n>_<key>`` unambiguous for any prefix."""
    for keys in (INVERTER_KEYS, PACK_KEYS):
        for key in keys:
            assert not [other for other in keys if other != key and key.endswith("_" + other)]


@given(
    prefix=st.text(alphabet="abcXYZ019_-", min_size=1, max_size=20),
    unit=st.integers(min_value=1, max_value=999),
    key=st.sampled_from(sorted(INVERTER_KEYS)),
)
def test_split_object_id_finds_the_unit_of_any_prefix(prefix: str, unit: int, key: str) -> None:
    """Whatever the prefix (underscores and digits included), the unit and key come back."""
    keys = tuple(sorted(INVERTER_KEYS, key=len, reverse=True))
    assert split_object_id(f"{prefix}_{unit}_{key}", keys) == (prefix, unit, key)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[]",
        json.dumps({"state_topic": "homeassistant/sensor/other/state"}),
        json.dumps({"name": "no state topic"}),
    ],
)
def test_powermon_needs_a_config_naming_its_own_state_topic(payload: str) -> None:
    assert announce(POWERMON_TOPIC, "homeassistant/sensor/lvx6048_1_soc/config", payload) is None
    topic, _ = _config("lvx6048_1_battery_voltage")
    assert announce(POWERMON_TOPIC, topic, payload) is None


def test_powermon_survey_counts_units_and_finds_the_pack_prefix() -> None:
    found = announce(POWERMON_TOPIC, *_config("lvx6048_1_battery_voltage"))
    assert found is not None
    _, survey = found
    assert survey.watch() == ["homeassistant/sensor/+/state"]
    for topic in (
        "homeassistant/sensor/lvx6048_2_ac_output_voltage/state",
        "homeassistant/sensor/lvx6048_2_unknown_key/state",  # not a reading eg4 knows
        "homeassistant/sensor/other_3_battery_voltage/state",  # another group
        "homeassistant/sensor/kitchen_temperature/state",
        "garage/sensor/lvx6048_4_battery_voltage/state",  # another prefix
        "homeassistant/sensor/lvx6048_5_battery_voltage/config",
        *(f"homeassistant/sensor/bms_{n}_soc/state" for n in (1, 2, 3, 4)),
        *(f"homeassistant/sensor/bank_{n}_{key}/state" for n in (1, 2) for key in PACK_KEYS),
    ):
        survey.observe(topic, "1")
    values = survey.values()
    assert values["inverter_count"] == 2
    assert values["battery_prefix"] == "bms"  # four packs beat two
    assert values["pack_count"] == 4
    assert values["state_topic_prefix"] == "homeassistant/sensor"
    assert values["inverter_prefix"] == "lvx6048"


def test_powermon_survey_without_packs_keeps_the_defaults() -> None:
    found = announce(POWERMON_TOPIC, *_config("lvx6048_3_battery_voltage"))
    assert found is not None
    values = found[1].values()
    assert (values["inverter_count"], values["battery_prefix"], values["pack_count"]) == (
        3,
        "lifepower4",
        6,
    )


def test_counts_stay_within_what_the_form_accepts() -> None:
    found = announce(POWERMON_TOPIC, *_config("lvx6048_1_battery_voltage"))
    assert found is not None
    _, survey = found
    survey.observe(f"homeassistant/sensor/lvx6048_{MAX_INVERTERS + 1}_device_mode/state", "x")
    survey.observe(f"homeassistant/sensor/bank_{MAX_PACKS + 1}_soc/state", "1")
    survey.observe("homeassistant/sensor/bank_0_soc/state", "1")
    values = survey.values()
    assert values["inverter_count"] == 1
    assert values["pack_count"] == 6  # nothing in range was seen


# ---- Solar Assistant -------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "solar_assistant/battery_1/device_mode/state",
        "solar_assistant/total/device_mode/state",
        "solar_assistant/inverter_x/device_mode/state",
        "other/inverter_1/device_mode/state",
    ],
)
def test_solar_assistant_is_announced_by_an_inverter_only(topic: str) -> None:
    assert announce(SA_TOPIC, topic, "Grid") is None


def test_solar_assistant_survey_counts_inverters_and_batteries() -> None:
    found = announce(SA_TOPIC, "solar_assistant/inverter_2/device_mode/state", "Grid")
    assert found is not None
    _, survey = found
    assert survey.watch() == ["solar_assistant/+/+/state"]
    for topic in (
        "solar_assistant/inverter_1/pv_power/state",
        "solar_assistant/battery_3/voltage/state",
        "solar_assistant/battery_1/voltage/state",
        "solar_assistant/total/battery_power/state",
        "solar_assistant/battery_7/voltage/set",
        "solar_assistant/set/response_message/state",
        "other/battery_9/voltage/state",
    ):
        survey.observe(topic, "1")
    assert survey.values() == {
        "topic_prefix": "solar_assistant",
        "inverter_count": 2,
        "pack_count": 3,
    }


# ---- lxp-bridge ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "announced"), [("online", True), ("offline", True), ("", False)]
)
def test_lxp_bridge_is_announced_by_its_last_will(payload: str, announced: bool) -> None:
    assert (announce(LXP_TOPIC, LXP_TOPIC, payload) is not None) is announced


def test_lxp_survey_reads_datalogs_from_their_topics() -> None:
    found = announce(LXP_TOPIC, LXP_TOPIC, "online")
    assert found is not None
    _, survey = found
    assert survey.watch() == ["lxp/+/inputs/all", "lxp/+/hold/+"]
    for topic in (
        "lxp/BA87654321/inputs/all",
        "lxp/BA12345678/hold/101",
        "lxp/BA12345678/inputs/all",
        "lxp/cmd/hold/1",
        "lxp/result/inputs/all",
        "lxp/BAD-LOG/inputs/all",
        "lxp/BA00000009/hold/x",
        "other/BA00000008/inputs/all",
    ):
        survey.observe(topic, "{}")
    assert survey.values() == {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"}
