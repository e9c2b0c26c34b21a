"""powermon (PI18) telemetry + lvx-control commands (profiles/powermon_lvx.py): what only it does.

What every bridge profile must do (decoding its key tables, the write round trip, never
raising) is in ``test_profile_contract.py``.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.ingest import apply_readings
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SystemState,
)
from custom_components.eg4.profiles.base import Command, alternatives
from custom_components.eg4.profiles.powermon_lvx import (
    CHARGER_PRIORITY_COMMANDS,
    INVERTER_KEYS,
    OUTPUT_PRIORITY_COMMANDS,
    PACK_TEMPERATURE_SENSORS,
    PowermonLvxProfile,
)
from custom_components.eg4.profiles.powermon_ratings import EXCL_FILTER
from custom_components.eg4.settings import OptionSetting
from custom_components.eg4.transport.base import Decoded, Reading, Rejected

from .helpers import PI_FAMILY_SETTINGS, POWERMON_CONFIG, inv, pack, single

S = "homeassistant/sensor"


def make(**overrides: Any) -> PowermonLvxProfile:
    profile = PowermonLvxProfile.from_config({**POWERMON_CONFIG, **overrides})
    assert isinstance(profile, PowermonLvxProfile)
    return profile


@pytest.fixture
def profile() -> PowermonLvxProfile:
    return make()


# ---- construction ------------------------------------------------------------------------


def test_from_config(profile: PowermonLvxProfile) -> None:
    assert profile.name == "powermon_lvx"
    assert profile.state_topic_prefix == "homeassistant/sensor"
    assert profile.inverter_prefix == "lvx6048"
    assert profile.battery_prefix == "lifepower4"
    assert profile.command_topic_prefix == "solar/control/lvx6048"
    assert profile.inverter_count == 2
    assert profile.pack_count == 6
    assert dict(profile.number_commands) == {
        SettingKey.MAX_CHARGE_CURRENT: "max_charge_current",
        SettingKey.MAX_UTILITY_CHARGE_CURRENT: "max_utility_charge_current",
        SettingKey.STOP_CHARGE_VOLTAGE: "stop_charge_voltage",
    }


def test_from_config_strips_slashes_and_coerces_counts() -> None:
    profile = make(
        state_topic_prefix="/homeassistant/sensor/",
        command_topic_prefix="solar/control/lvx6048/",
        inverter_count="3",
        pack_count=4.0,
    )
    assert profile.state_topic_prefix == "homeassistant/sensor"
    assert profile.command_topic_prefix == "solar/control/lvx6048"
    assert profile.inverter_count == 3
    assert profile.pack_count == 4
    assert profile.subscriptions() == ["homeassistant/sensor/+/state"]


def test_from_config_default_command_names() -> None:
    config = {k: v for k, v in POWERMON_CONFIG.items() if not k.endswith("_command")}
    profile = PowermonLvxProfile.from_config(config)
    assert dict(profile.number_commands) == {
        SettingKey.MAX_CHARGE_CURRENT: "max_charge_current",
        SettingKey.MAX_UTILITY_CHARGE_CURRENT: "max_utility_charge_current",
        SettingKey.STOP_CHARGE_VOLTAGE: "stop_charge_voltage",
    }


@pytest.mark.parametrize(
    ("conf", "key"),
    [
        ("max_charge_current_command", SettingKey.MAX_CHARGE_CURRENT),
        ("max_utility_charge_current_command", SettingKey.MAX_UTILITY_CHARGE_CURRENT),
        ("stop_charge_voltage_command", SettingKey.STOP_CHARGE_VOLTAGE),
    ],
)
def test_empty_command_name_makes_the_number_read_only(conf: str, key: SettingKey) -> None:
    profile = make(**{conf: ""})
    assert key not in profile.number_commands
    caps = profile.capabilities
    assert key not in caps.writable
    assert key in caps.readable_settings  # still read back
    with pytest.raises(ValueError, match="cannot write"):
        profile.encode(key, 50.0, None)


def test_custom_command_names_are_used() -> None:
    profile = make(
        max_charge_current_command="mchgc",
        max_utility_charge_current_command="muchgc",
        stop_charge_voltage_command="bucd_stop",
    )
    assert profile.encode(SettingKey.MAX_CHARGE_CURRENT, 30.0, None) == [
        Command("solar/control/lvx6048/mchgc", "30")
    ]
    assert profile.encode(SettingKey.MAX_UTILITY_CHARGE_CURRENT, 20.0, None) == [
        Command("solar/control/lvx6048/muchgc", "20")
    ]
    assert profile.encode(SettingKey.STOP_CHARGE_VOLTAGE, 54.0, None) == [
        Command("solar/control/lvx6048/bucd_stop", "54.0")
    ]


def test_describe(profile: PowermonLvxProfile) -> None:
    assert profile.describe() == {
        "profile": "powermon_lvx",
        "state_topic_prefix": "homeassistant/sensor",
        "inverter_prefix": "lvx6048",
        "battery_prefix": "lifepower4",
        "command_topic_prefix": "solar/control/lvx6048",
        "inverter_count": 2,
        "pack_count": 6,
        "topics_ignored": 0,
        "ratings_dropped": 0,
    }


def test_subscriptions(profile: PowermonLvxProfile) -> None:
    assert profile.subscriptions() == ["homeassistant/sensor/+/state"]


def test_capabilities(profile: PowermonLvxProfile) -> None:
    caps = profile.capabilities
    assert caps.inverter_metrics == {
        "battery_voltage",
        "battery_charge_current",
        "battery_discharge_current",
        "battery_soc",
        "pv_power",
        "pv_voltage",
        "output_power",
        "output_load",
        "grid_voltage",
        "output_voltage",
        "device_mode",
        "line_direction",
        "battery_direction",
        "firmware",  # PI18 VFW's main CPU version, when powermon polls it
    }
    assert caps.pack_metrics == {
        "soc",
        "voltage",
        "current",
        "cell_voltage_max",
        "cell_voltage_min",
        "cell_voltage_delta",
        "temperature_1",
        "temperature_2",
        "temperature_pcb",
        "temperature_max",
        "protection",
    }
    assert caps.readable_settings == PI_FAMILY_SETTINGS
    assert set(caps.writable) == {
        SettingKey.OUTPUT_PRIORITY,
        SettingKey.CHARGER_PRIORITY,
        SettingKey.MAX_CHARGE_CURRENT,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        SettingKey.STOP_CHARGE_VOLTAGE,
    }
    for key, definition in caps.writable.items():
        assert definition.key is key
    assert caps.broadcast_writes is True
    assert caps.command_replies is False


def test_profile_is_frozen(profile: PowermonLvxProfile) -> None:
    with pytest.raises(AttributeError):
        profile.inverter_count = 3  # type: ignore[misc]


# ---- decoding: pack keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "temperature_1",
        "temperature_2",
        "temperature_pcb",
        "temperature_x9",
        "temperature_" + "a" * 16,
    ],
)
def test_decode_pack_temperatures(profile: PowermonLvxProfile, key: str) -> None:
    for payload, value in [("25.5", 25.5), ("-10", -10.0), ("-50", -50.0), ("150", 150.0)]:
        r = single(profile.decode(f"{S}/lifepower4_3_{key}/state", payload))
        assert r == Reading(pack(3), key, value)


def test_temperature_sensor_keys_decode(profile: PowermonLvxProfile) -> None:
    for key in PACK_TEMPERATURE_SENSORS:
        assert single(profile.decode(f"{S}/lifepower4_1_{key}/state", "20")).key == key


@pytest.mark.parametrize(
    "key",
    [
        "temperature_max",  # derived by the integration, never taken from the bridge
        "temperature_",
        "temperature",
        "temperature_" + "a" * 17,
        "temperature_PCB",
        "temperature_a-b",
        "temperature_a_b",
        "temperature_1 ",
        "temperature_1\n",
        "temperatures_1",
        "xtemperature_1",
    ],
)
def test_decode_pack_ignores_invalid_temperature_keys(
    profile: PowermonLvxProfile, key: str
) -> None:
    result = profile.decode(f"{S}/lifepower4_1_{key}/state", "25")
    assert result is None, result


@pytest.mark.parametrize("payload", ["150.5", "-51", "nan", "", "hot"])
def test_decode_pack_temperature_rejects_bad_payload(
    profile: PowermonLvxProfile, payload: str
) -> None:
    assert profile.decode(f"{S}/lifepower4_1_temperature_1/state", payload) == Rejected(
        "pack:temperature_1"
    )


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        ("none", ""),
        ("", ""),
        ("Normal", ""),
        ("0", ""),
        ("ovp", "ovp"),
        ("OVP,OTP", "ovp,otp"),
        ("ovp; otp", "ovp,otp"),
        ("cell_over_voltage pack_over_temp", "cell_over_voltage,pack_over_temp"),
        ("12", "code_12"),
    ],
)
def test_decode_protection_forms(profile: PowermonLvxProfile, payload: str, value: str) -> None:
    r = single(profile.decode(f"{S}/lifepower4_4_protection/state", payload))
    assert r == Reading(pack(4), "protection", value)


@pytest.mark.parametrize(
    "payload", ["ovp!", "over-voltage", ",", "a,b,c,d,e,f,g,h,i", "x" * 257, "1.5"]
)
def test_decode_protection_rejects(profile: PowermonLvxProfile, payload: str) -> None:
    assert profile.decode(f"{S}/lifepower4_4_protection/state", payload) == Rejected(
        "pack:protection"
    )


def test_inverter_keys_are_not_pack_keys(profile: PowermonLvxProfile) -> None:
    assert profile.decode(f"{S}/lifepower4_1_battery_voltage/state", "53") is None
    assert profile.decode(f"{S}/lvx6048_1_pack_voltage/state", "53") is None
    assert profile.decode(f"{S}/lvx6048_1_protection/state", "none") is None
    assert profile.decode(f"{S}/lvx6048_1_temperature_1/state", "25") is None


# ---- decoding: topic edge cases ----------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "homeassistant/sensor/lvx6048_1_battery_voltage",  # no /state
        "homeassistant/sensor/lvx6048_1_battery_voltage/state/",
        "homeassistant/sensor/lvx6048_1_battery_voltage/config",
        "homeassistant/sensors/lvx6048_1_battery_voltage/state",
        "homeassistant/lvx6048_1_battery_voltage/state",
        "other/sensor/lvx6048_1_battery_voltage/state",
        "xhomeassistant/sensor/lvx6048_1_battery_voltage/state",
        "/homeassistant/sensor/lvx6048_1_battery_voltage/state",
        "homeassistant/sensor/state",
        "homeassistant/sensor//state",
        "homeassistant/sensor/lvx6048/state",
        "homeassistant/sensor/lvx6048_/state",
        "homeassistant/sensor/lvx6048_1/state",
        "homeassistant/sensor/lvx6048_1_/state",
        "homeassistant/sensor/lvx6048_0_battery_voltage/state",  # units are 1-based
        "homeassistant/sensor/lvx6048_10_battery_voltage/state",
        "homeassistant/sensor/lvx6048_-1_battery_voltage/state",
        "homeassistant/sensor/lvx6048_x_battery_voltage/state",
        "homeassistant/sensor/lvx6048_1a_battery_voltage/state",
        "homeassistant/sensor/lvx6048_ 1_battery_voltage/state",
        "homeassistant/sensor/lvx6048_1.0_battery_voltage/state",
        "homeassistant/sensor/lvx6048_battery_voltage/state",
        "homeassistant/sensor/lvx60481_battery_voltage/state",
        "homeassistant/sensor/lvx6048x_1_battery_voltage/state",
        "homeassistant/sensor/xlvx6048_1_battery_voltage/state",
        "homeassistant/sensor/LVX6048_1_battery_voltage/state",
        "homeassistant/sensor/lvx6048_1_Battery_Voltage/state",
        "homeassistant/sensor/lvx6048_1_battery_voltage_2/state",
        "homeassistant/sensor/lvx6048_1_unknown_key/state",
        "homeassistant/sensor/lvx6048_1_dc/ac_power_direction/state",  # extra level
        "homeassistant/sensor/lvx6048_1_battery_voltage/x/state",
        "homeassistant/sensor/x/lvx6048_1_battery_voltage/state",
        "homeassistant/sensor/lvx6048_1/battery_voltage/state",
        "homeassistant/sensor/lifepower4_0_soc/state",
        "homeassistant/sensor/lifepower4_33_soc/state",  # 32 packs at most
        "homeassistant/sensor/lifepower4_soc/state",
        "homeassistant/sensor/lifepower4_1_unknown/state",
        "homeassistant/sensor/lifepower4_1_temperature_1/x/state",
        "homeassistant/sensor/solar_assistant_1_battery_voltage/state",
        "",
        "/state",
        "state",
    ],
)
def test_decode_ignores_topics_that_are_not_ours(profile: PowermonLvxProfile, topic: str) -> None:
    assert profile.decode(topic, "53.4") is None


@pytest.mark.parametrize(
    ("key", "setting"),
    [
        ("battery_re-discharge_voltage", SettingKey.STOP_CHARGE_VOLTAGE),
        ("battery_re-charge_voltage", SettingKey.RECHARGE_VOLTAGE),
    ],
)
def test_hyphenated_keys(profile: PowermonLvxProfile, key: str, setting: SettingKey) -> None:
    r = single(profile.decode(f"{S}/lvx6048_2_{key}/state", "52.0"))
    assert r == Reading(inv(2), setting, 52.0, setting)
    # the underscore spelling is not what powermon publishes
    underscored = key.replace("-", "_")
    assert profile.decode(f"{S}/lvx6048_2_{underscored}/state", "52.0") is None


def test_state_prefix_with_several_levels() -> None:
    profile = make(state_topic_prefix="site/a/b/sensor")
    assert (
        single(profile.decode("site/a/b/sensor/lvx6048_1_battery_voltage/state", "50")).value
        == 50.0
    )
    assert profile.decode("homeassistant/sensor/lvx6048_1_battery_voltage/state", "50") is None
    assert profile.subscriptions() == ["site/a/b/sensor/+/state"]


@pytest.mark.parametrize(
    ("inverter_prefix", "battery_prefix"),
    [("lvx", "lvx_bat"), ("lvx_bat", "lvx"), ("eg4", "eg4_pack_bms")],
)
def test_overlapping_prefixes_longest_wins(inverter_prefix: str, battery_prefix: str) -> None:
    profile = make(inverter_prefix=inverter_prefix, battery_prefix=battery_prefix)
    r = single(profile.decode(f"{S}/{battery_prefix}_3_soc/state", "80"))
    assert r.source == pack(3)
    assert r.key == "soc"
    r = single(profile.decode(f"{S}/{inverter_prefix}_2_battery_capacity/state", "80"))
    assert r.source == inv(2)
    assert r.key == "battery_soc"


def test_overlapping_prefix_shorter_one_still_matches_its_own_topics() -> None:
    profile = make(inverter_prefix="lvx", battery_prefix="lvx_bat")
    # "lvx_battery_voltage" is an inverter topic missing its index, not a pack topic
    assert profile.decode(f"{S}/lvx_battery_voltage/state", "50") is None
    r = single(profile.decode(f"{S}/lvx_1_battery_voltage/state", "50"))
    assert r.source == inv(1)


@pytest.mark.parametrize(("inverter_count", "pack_count"), [(1, 1), (2, 6), (9, 32)])
def test_units_and_packs_decode_up_to_the_limits_whatever_is_configured(
    inverter_count: int, pack_count: int
) -> None:
    """Beyond the configured counts a source is decoded (it joins); beyond 9 / 32 it is not."""
    profile = make(inverter_count=inverter_count, pack_count=pack_count)
    for unit in (1, inverter_count, inverter_count + 1, 9):
        if unit <= 9:
            r = single(profile.decode(f"{S}/lvx6048_{unit}_battery_voltage/state", "50"))
            assert r.source == inv(unit)
    assert profile.decode(f"{S}/lvx6048_10_battery_voltage/state", "50") is None
    for number in (1, pack_count, 32):
        assert single(profile.decode(f"{S}/lifepower4_{number}_soc/state", "50")).source == pack(
            number
        )
    assert profile.decode(f"{S}/lifepower4_33_soc/state", "50") is None
    assert profile.config_for_sources(3, 7) == {"inverter_count": 3, "pack_count": 7}


# ---- encoding ----------------------------------------------------------------------------

C = "solar/control/lvx6048"


@pytest.mark.parametrize(
    ("key", "value", "topic", "payload"),
    [
        (
            SettingKey.OUTPUT_PRIORITY,
            OutputPriority.SUB,
            f"{C}/output_priority",
            "solar_utility_battery",
        ),
        (
            SettingKey.OUTPUT_PRIORITY,
            OutputPriority.SBU,
            f"{C}/output_priority",
            "solar_battery_utility",
        ),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_FIRST,
            f"{C}/charger_priority",
            "solar_first",
        ),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_AND_UTILITY,
            f"{C}/charger_priority",
            "solar_and_utility",
        ),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_ONLY,
            f"{C}/charger_priority",
            "solar_only",
        ),
        (SettingKey.MAX_CHARGE_CURRENT, 10.0, f"{C}/max_charge_current", "10"),
        (SettingKey.MAX_CHARGE_CURRENT, 80.0, f"{C}/max_charge_current", "80"),
        (SettingKey.MAX_UTILITY_CHARGE_CURRENT, 30.0, f"{C}/max_utility_charge_current", "30"),
        (SettingKey.STOP_CHARGE_VOLTAGE, 54.0, f"{C}/stop_charge_voltage", "54.0"),
        (SettingKey.STOP_CHARGE_VOLTAGE, 48.0, f"{C}/stop_charge_voltage", "48.0"),
    ],
)
def test_encode(
    profile: PowermonLvxProfile,
    key: SettingKey,
    value: SettingValue,
    topic: str,
    payload: str,
) -> None:
    # One command for the whole parallel group, whatever unit is asked for.
    for unit in (None, 1, 2):
        assert profile.encode(key, value, unit) == [Command(topic, payload)]
        assert alternatives(profile, key, value, unit) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.USB),  # readable, lvx-control cannot set it
        (SettingKey.CHARGER_PRIORITY, ChargerPriority.UTILITY_FIRST),
        (SettingKey.OUTPUT_PRIORITY, ChargerPriority.SOLAR_FIRST),
        (SettingKey.CHARGER_PRIORITY, OutputPriority.SUB),
        (SettingKey.OUTPUT_PRIORITY, 1.0),
        (SettingKey.MAX_CHARGE_CURRENT, OutputPriority.SUB),
        (SettingKey.MAX_CHARGE_CURRENT, 30),  # validated values are floats
        (SettingKey.FLOAT_VOLTAGE, 54.0),
        (SettingKey.BULK_VOLTAGE, 56.0),
        (SettingKey.RECHARGE_VOLTAGE, 52.0),
    ],
)
def test_encode_refuses_what_it_cannot_write(
    profile: PowermonLvxProfile, key: SettingKey, value: SettingValue
) -> None:
    with pytest.raises(ValueError, match="cannot write"):
        profile.encode(key, value, None)


def test_encode_tables_cover_the_writable_options(profile: PowermonLvxProfile) -> None:
    caps = profile.capabilities
    out = caps.writable[SettingKey.OUTPUT_PRIORITY]
    chg = caps.writable[SettingKey.CHARGER_PRIORITY]
    assert isinstance(out, OptionSetting)
    assert isinstance(chg, OptionSetting)
    assert set(out.options) == set(OUTPUT_PRIORITY_COMMANDS)
    assert set(chg.options) == set(CHARGER_PRIORITY_COMMANDS)


# ---- read-back spellings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Solar - Utility - Battery", OutputPriority.SUB),
        ("Solar-Utility-Battery", OutputPriority.SUB),
        ("Solar Utility Battery", OutputPriority.SUB),
        ("Solar - Battery - Utility", OutputPriority.SBU),
        ("Utility - Solar - Battery", OutputPriority.USB),
    ],
)
def test_output_priority_readbacks(
    profile: PowermonLvxProfile, payload: str, expected: OutputPriority
) -> None:
    r = single(profile.decode(f"{S}/lvx6048_1_output_source_priority/state", payload))
    assert r.value is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Solar First", ChargerPriority.SOLAR_FIRST),
        ("Solar and Utility", ChargerPriority.SOLAR_AND_UTILITY),
        ("Only Solar", ChargerPriority.SOLAR_ONLY),
        ("Utility First", ChargerPriority.UTILITY_FIRST),
    ],
)
def test_charger_priority_readbacks(
    profile: PowermonLvxProfile, payload: str, expected: ChargerPriority
) -> None:
    r = single(profile.decode(f"{S}/lvx6048_2_charger_source_priority/state", payload))
    assert r.value is expected


# ---- direction words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "payload"),
    [("line_power_direction", "charge"), ("battery_power_direction", "input")],
)
def test_a_direction_word_of_the_other_sensor_is_refused(
    profile: PowermonLvxProfile, key: str, payload: str
) -> None:
    """Each direction sensor takes only its own words (its entity has no option for others)."""
    canonical = INVERTER_KEYS[key][0]
    assert profile.decode(f"{S}/lvx6048_1_{key}/state", payload) == Rejected(
        f"inverter:{canonical}"
    )


# ---- real powermon 1.0.18: PIRI's ratings share GS's topics -------------------------------
# The capture (fixtures/powermon_1_0_18_pi18_poll.json) is one poll of real powermon with its
# PI18 test port: GS's measurements, then PIRI's ratings and settings, then MOD, each command's
# /config messages before its /state messages. PIRI's "AC Input Voltage", "AC Output Voltage",
# "AC Output Active Power" and "Battery Voltage" are ratings (230.0 V, 230.0 V, 5000 W, 48.0 V)
# published on the topics GS uses for the measured values (223.2 V, 223.2 V, 1376 W, 54.9 V).

CAPTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "powermon_1_0_18_pi18_poll.json").read_text()
)
PLAIN, FILTERED = "plain", "excl_filter"
# powermon key -> eg4's canonical key, for the keys both GS and PIRI publish
SHARED = {
    "ac_input_voltage": "grid_voltage",
    "ac_output_voltage": "output_voltage",
    "ac_output_active_power": "output_power",
    "battery_voltage": "battery_voltage",
}


def poll(variant: str, unit: int) -> list[tuple[str, str]]:
    """One poll of unit ``unit`` (the capture's topics carry unit 1)."""
    return [
        (topic.replace("/lvx6048_1_", f"/lvx6048_{unit}_"), payload)
        for topic, payload in CAPTURE[variant]
    ]


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic-filter matching (``+`` one level, ``#`` the rest), as the broker does it."""
    want, have = topic_filter.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or (level not in ("+", have[i])):
            return False
    return len(want) == len(have)


def delivered(
    profile: PowermonLvxProfile, messages: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """What the broker hands the integration: the messages its subscriptions match."""
    filters = profile.subscriptions()
    return [m for m in messages if any(topic_matches(f, m[0]) for f in filters)]


def key_of(topic: str) -> str:
    return topic.split("/")[2].split("_", 2)[2]


def gs_and_piri(variant: str = PLAIN) -> tuple[dict[str, str], dict[str, str]]:
    """powermon's own GS values (first of each key in the poll) and PIRI's (the last)."""
    states = [(key_of(t), p) for t, p in CAPTURE[variant] if t.endswith("/state")]
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for key, payload in states:
        first.setdefault(key, payload)
        last[key] = payload
    return first, last


def replay(
    profile: PowermonLvxProfile, messages: list[tuple[str, str]]
) -> tuple[SystemState, dict[tuple[int, str], list[object]]]:
    """Feed ``messages`` through the subscription and decoder into a SystemState.

    Returns the state and every value each inverter key took, in order (its history).
    """
    state = SystemState.empty(profile.inverter_count, profile.pack_count)
    history: dict[tuple[int, str], list[object]] = {}
    for topic, payload in delivered(profile, messages):
        result = profile.decode(topic, payload)
        if isinstance(result, Decoded):
            apply_readings(state, result.readings, now=0.0)
            for r in result.readings:
                history.setdefault((r.source.index, r.key), []).append(r.value)
    return state, history


def interleave(streams: list[list[tuple[str, str]]], order: list[int]) -> list[tuple[str, str]]:
    """Merge per-unit streams, keeping each unit's own order (``order`` picks the next unit)."""
    queues = [list(s) for s in streams]
    out: list[tuple[str, str]] = []
    for pick in order:
        live = [q for q in queues if q]
        if not live:
            break
        out.append(live[pick % len(live)].pop(0))
    for q in queues:
        out.extend(q)
    return out


def assert_measurements_only(
    state: SystemState, history: dict[tuple[int, str], list[object]], units: tuple[int, ...]
) -> None:
    gs, piri = gs_and_piri()
    for unit in units:
        inverter = state.inverters[unit]
        for key, canonical in SHARED.items():
            seen = history.get((unit, canonical), [])
            assert seen, f"unit {unit} never showed {canonical}"
            # every value it ever took is GS's measurement, never PIRI's rating
            assert set(seen) == {float(gs[key])}, (unit, canonical, seen, piri[key])
            assert inverter.metrics[canonical] == float(gs[key])
        assert inverter.settings[SettingKey.OUTPUT_PRIORITY] is OutputPriority.SBU
        assert inverter.settings[SettingKey.CHARGER_PRIORITY] is ChargerPriority.SOLAR_AND_UTILITY
        assert inverter.settings[SettingKey.MAX_CHARGE_CURRENT] == float(
            piri["max_charging_current"]
        )
        assert inverter.settings[SettingKey.STOP_CHARGE_VOLTAGE] == float(
            piri["battery_re-discharge_voltage"]
        )


def test_capture_has_the_collision() -> None:
    """The premise: PIRI re-publishes each shared key with a different (rated) value."""
    gs, piri = gs_and_piri()
    for key in SHARED:
        assert gs[key] != piri[key], key
    assert (piri["battery_voltage"], piri["ac_output_active_power"]) == ("48.0", "5000")


def test_a_rating_never_overwrites_a_measurement(profile: PowermonLvxProfile) -> None:
    """Three polls of both units: the entities only ever show what GS measured."""
    messages = [m for _ in range(3) for unit in (1, 2) for m in poll(PLAIN, unit)]
    state, history = replay(profile, messages)
    assert_measurements_only(state, history, (1, 2))
    assert profile.describe()["ratings_dropped"] == 3 * 2 * 6  # 6 rating keys PIRI shares with GS


@settings(max_examples=60, deadline=None, derandomize=True)
@given(order=st.lists(st.integers(min_value=0, max_value=1), max_size=400))
def test_a_rating_never_overwrites_a_measurement_whatever_the_interleaving(
    order: list[int],
) -> None:
    """Two powermon processes publish at once: their messages interleave arbitrarily."""
    profile = make()
    streams = [[m for _ in range(2) for m in poll(PLAIN, unit)] for unit in (1, 2)]
    state, history = replay(profile, interleave(streams, order))
    assert_measurements_only(state, history, (1, 2))


def test_with_the_excl_filter_nothing_is_dropped_and_values_are_the_same(
    profile: PowermonLvxProfile,
) -> None:
    messages = [m for _ in range(2) for unit in (1, 2) for m in poll(FILTERED, unit)]
    state, history = replay(profile, messages)
    assert_measurements_only(state, history, (1, 2))
    assert profile.describe()["ratings_dropped"] == 0
    assert profile.advice is None


def test_the_collision_asks_for_the_excl_filter(profile: PowermonLvxProfile) -> None:
    assert profile.advice is None
    replay(profile, poll(PLAIN, 2))
    advice = profile.advice
    assert advice is not None
    assert advice.issue_id == "powermon_pi18_ratings"
    assert advice.placeholders == {
        "excl_filter": EXCL_FILTER,
        "publishers": "lvx6048_2",
    }
    replay(profile, poll(PLAIN, 1))
    assert profile.advice is not None
    assert profile.advice.placeholders["publishers"] == "lvx6048_1, lvx6048_2"
    # The user adds the filter to unit 2's powermon: unit 1 still collides.
    replay(profile, poll(FILTERED, 2))
    assert profile.advice is not None
    assert profile.advice.placeholders["publishers"] == "lvx6048_1"
    replay(profile, poll(FILTERED, 1))
    assert profile.advice is None


def test_the_excl_filter_removes_exactly_piris_ratings() -> None:
    """Applied as powermon applies it (re.search on the key), the filter drops every PIRI key
    that GS also publishes, keeps every PIRI setting eg4 reads, and drops the '?' key."""
    keys = [key_of(t) for t, _ in CAPTURE[PLAIN] if t.endswith("/state")]
    piri_start = keys.index("ac_input_voltage", 1)  # PIRI opens with the key GS opens with
    gs_keys, piri_keys = set(keys[:piri_start]), keys[piri_start:-1]  # MOD's device_mode last
    assert keys[-1] == "device_mode"
    assert piri_keys[-1] == "unknown_flags?"
    excluded = {k for k in piri_keys if re.search(EXCL_FILTER, k)}
    assert excluded == (
        {k for k in piri_keys if k in gs_keys}
        | {
            "ac_input_current",
            "ac_output_current",
            "unknown_flags?",
        }
    )
    settings_read = {k for k, (_, _, setting) in INVERTER_KEYS.items() if setting is not None}
    assert settings_read <= set(piri_keys) - excluded
    # and it is what the filtered capture (real powermon with this filter) published
    filtered_piri = [key_of(t) for t, _ in CAPTURE[FILTERED] if t.endswith("/state")]
    assert set(piri_keys) - excluded <= set(filtered_piri)
    assert not excluded & set(filtered_piri[piri_start:])


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Solar First", ChargerPriority.SOLAR_FIRST),
        ("Solar + Utility", ChargerPriority.SOLAR_AND_UTILITY),
        ("Only solar charging permitted", ChargerPriority.SOLAR_ONLY),
    ],
)
def test_every_piri_charger_priority_maps_to_an_option(
    profile: PowermonLvxProfile, payload: str, expected: ChargerPriority
) -> None:
    """powermon's PI18 option list for "Charger Source Priority", word for word."""
    r = single(profile.decode(f"{S}/lvx6048_1_charger_source_priority/state", payload))
    assert r.value is expected
    options = profile.capabilities.writable[SettingKey.CHARGER_PRIORITY]
    assert isinstance(options, OptionSetting)
    assert expected in options.options


def test_odd_topics_are_ignored_quietly_and_counted(
    profile: PowermonLvxProfile, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        assert profile.decode(f"{S}/lvx6048_1_unknown_flags?/state", "00") is None
        assert profile.decode(f"{S}/lvx6048_1_dc/ac_power_direction/state", "AC-DC") is None
        # a well-formed key eg4 does not read is not odd: not counted
        assert profile.decode(f"{S}/lvx6048_1_ac_input_frequency/state", "49.9") is None
    assert profile.describe()["topics_ignored"] == 10
    assert not caplog.records


def test_a_poll_logs_nothing(profile: PowermonLvxProfile, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replay(profile, [m for unit in (1, 2) for m in poll(PLAIN, unit)])
    assert not caplog.records
    assert profile.describe()["topics_ignored"] == 2  # unknown_flags? of each unit


def test_config_messages_cost_nothing(profile: PowermonLvxProfile) -> None:
    """Each poll re-publishes every /config: the subscription leaves them at the broker."""
    messages = poll(PLAIN, 1)
    configs = [m for m in messages if m[0].endswith("/config")]
    assert len(configs) == 55
    assert not delivered(profile, configs)
    before = profile.describe()
    for topic, payload in configs:  # and were one to arrive, it is dropped by its suffix
        assert profile.decode(topic, payload) is None
    assert profile.describe() == before


def test_the_opener_waits_for_the_next_message_of_its_unit(profile: PowermonLvxProfile) -> None:
    """ "ac_input_voltage" opens both GS and PIRI: the key after it tells which."""
    opener = f"{S}/lvx6048_1_ac_input_voltage/state"
    assert profile.decode(opener, "223.2") == Decoded(())
    # another unit's message does not decide it
    assert single(profile.decode(f"{S}/lvx6048_2_battery_capacity/state", "95")).source == inv(2)
    # GS's second key (not read by eg4) releases the measurement
    assert profile.decode(f"{S}/lvx6048_1_ac_input_frequency/state", "49.9") == Decoded(
        (Reading(inv(1), "grid_voltage", 223.2),)
    )
    # PIRI's second key drops the rating
    assert profile.decode(opener, "230.0") == Decoded(())
    assert profile.decode(f"{S}/lvx6048_1_ac_input_current/state", "21.7") is None
    assert profile.decode(f"{S}/lvx6048_1_ac_output_voltage/state", "230.0") is None
    # a key eg4 reads, right after it, comes out with it
    assert profile.decode(opener, "221.0") == Decoded(())
    assert profile.decode(f"{S}/lvx6048_1_device_mode/state", "Battery mode") == Decoded(
        (Reading(inv(1), "grid_voltage", 221.0), Reading(inv(1), "device_mode", "battery"))
    )


def test_a_rejected_follower_does_not_lose_the_held_measurement(
    profile: PowermonLvxProfile,
) -> None:
    assert profile.decode(f"{S}/lvx6048_1_ac_input_voltage/state", "223.2") == Decoded(())
    assert profile.decode(f"{S}/lvx6048_1_ac_output_voltage/state", "x") == Rejected(
        "inverter:output_voltage"
    )
    assert profile.decode(f"{S}/lvx6048_1_ac_input_current/state", "21.7") == Decoded(
        (Reading(inv(1), "grid_voltage", 223.2),)
    )


def test_a_bad_opener_is_rejected_at_once(profile: PowermonLvxProfile) -> None:
    assert profile.decode(f"{S}/lvx6048_1_ac_input_voltage/state", "nan") == Rejected(
        "inverter:grid_voltage"
    )


def test_an_opener_with_no_follower_is_released_by_the_next_opener(
    profile: PowermonLvxProfile,
) -> None:
    """A GS filtered down to ac_input_voltage: each poll's value comes out with the next."""
    opener = f"{S}/lvx6048_2_ac_input_voltage/state"
    assert profile.decode(opener, "229.0") == Decoded(())
    assert profile.decode(opener, "231.0") == Decoded((Reading(inv(2), "grid_voltage", 229.0),))
    assert profile.describe()["ratings_dropped"] == 0


# ---- a topic's last payload is decoded once ------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from((PLAIN, FILTERED)), st.integers(1, 2), st.integers(0, 9)),
        min_size=1,
        max_size=12,
    )
)
def test_remembering_a_topics_last_payload_changes_no_result(
    polls: list[tuple[str, int, int]],
) -> None:
    """Decoding a repeated payload from memory gives what decoding it again would give.

    Polls with and without PIRI's ratings, on either unit, some messages' payloads changed:
    every result (readings, ratings dropped, the repair advice) equals that of a profile
    that forgets every payload before each message.
    """
    remembering, forgetting = make(), make()
    for variant, unit, tweak in polls:
        for n, (topic, sent) in enumerate(delivered(remembering, poll(variant, unit))):
            payload = sent
            if n % 10 == tweak and sent.replace(".", "", 1).isdigit():
                payload = str(float(sent) + 1)
            forgetting._topics.clear()  # the memory under test (and the parsed topics)
            assert remembering.decode(topic, payload) == forgetting.decode(topic, payload)
            assert remembering.advice == forgetting.advice
    assert remembering.describe() == forgetting.describe()
