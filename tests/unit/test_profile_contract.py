"""The contract every MQTT bridge profile meets (powermon + lvx-control, Solar Assistant).

Each bridge is described once (its configuration, key tables, topic shapes, samples and how the
bridge reports an applied command); every test here runs against each of them. What only one
bridge does (powermon's rating collision, Solar Assistant's command responses, option
spellings) stays in that bridge's own test module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.eg4.const import MAX_INVERTERS, MAX_PACKS
from custom_components.eg4.ingest import apply_readings
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SourceKind,
    SystemState,
    values_match,
)
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.profiles.base import Command, Profile
from custom_components.eg4.profiles.powermon_lvx import INVERTER_KEYS, PACK_KEYS, PowermonLvxProfile
from custom_components.eg4.profiles.registry import BRIDGES
from custom_components.eg4.profiles.solar_assistant import (
    BATTERY_METRICS,
    INVERTER_METRICS,
    SolarAssistantProfile,
)
from custom_components.eg4.settings import NumberSetting, OptionSetting
from custom_components.eg4.transport.base import CommandResult, Decoded, Reading, Rejected

from .helpers import POWERMON_CONFIG, SA_CONFIG, inv, pack, payloads, single

type InverterSample = tuple[str, str, str, object, SettingKey | None]
type PackSample = tuple[str, str, str, float]
type Messages = list[tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class Case:
    """One bridge with decoding tables, as the contract sees it."""

    name: str
    config: Mapping[str, Any]
    profile_type: type
    inverter_keys: Mapping[str, tuple[Any, ...]]  # the bridge's key -> (canonical, parser, ...)
    pack_keys: Mapping[str, tuple[Any, ...]]
    inverter_topic: Callable[[str, str], str]  # (unit as written, key) -> state topic
    pack_topic: Callable[[str, str], str]
    inverter_samples: list[InverterSample]
    inverter_bad: list[tuple[str, str]]
    pack_samples: list[PackSample]
    pack_bad: list[tuple[str, str]]
    # The bridge applying a command: every way it may report it, each a list of messages.
    readbacks: Callable[[Command, Profile], list[Messages]]
    writable: dict[SettingKey, int]  # what it writes, and how many values each takes
    replies: bool  # whether the bridge answers commands (CommandResult)
    # Decode one message as the integration sees it settle (powermon holds an opener back).
    decode: Callable[[Profile, str, str], object] = lambda p, topic, payload: p.decode(
        topic, payload
    )

    def make(self) -> Profile:
        profile = self.profile_type.from_config(dict(self.config))
        assert isinstance(profile, self.profile_type)
        return profile


# ---- powermon + lvx-control ----------------------------------------------------------------

S = "homeassistant/sensor"
C = "solar/control/lvx6048"


def _powermon_decode(profile: Profile, topic: str, payload: str) -> object:
    """ "ac_input_voltage" comes out with its unit's next message (the rating guard)."""
    result = profile.decode(topic, payload)
    if topic.endswith("_ac_input_voltage/state") and result == Decoded(()):
        follower = topic.replace("_ac_input_voltage/", "_ac_input_frequency/")  # GS's next key
        return profile.decode(follower, "50.0")
    return result


_POWERMON_STATE_KEY = {
    "output_priority": "output_source_priority",
    "charger_priority": "charger_source_priority",
    "max_charge_current": "max_charging_current",
    "max_utility_charge_current": "max_ac_charging_current",
    "stop_charge_voltage": "battery_re-discharge_voltage",
}
_POWERMON_READBACKS = {
    "solar_utility_battery": [
        "Solar - Utility - Battery",
        "Solar-Utility-Battery",
        "Solar Utility Battery",
    ],
    "solar_battery_utility": [
        "Solar - Battery - Utility",
        "Solar-Battery-Utility",
        "Solar Battery Utility",
    ],
    "solar_first": ["Solar First"],
    "solar_and_utility": ["Solar and Utility"],
    "solar_only": ["Only Solar"],
}


def _powermon_readbacks(command: Command, profile: Profile) -> list[Messages]:
    """lvx-control sets every unit; powermon reports each unit's value, in any of its forms."""
    state_key = _POWERMON_STATE_KEY[command.topic.removeprefix(C + "/")]
    if command.payload in _POWERMON_READBACKS:
        texts = _POWERMON_READBACKS[command.payload]
    else:
        number = float(command.payload)
        texts = [command.payload, f"{number:.1f}", f"{number:g}", f"{number:.0f}"]
    units = range(1, profile.inverter_count + 1)
    return [[(f"{S}/lvx6048_{n}_{state_key}/state", text) for n in units] for text in texts]


POWERMON = Case(
    name="powermon_lvx",
    config=POWERMON_CONFIG,
    profile_type=PowermonLvxProfile,
    inverter_keys=INVERTER_KEYS,
    pack_keys=PACK_KEYS,
    inverter_topic=lambda unit, key: f"{S}/lvx6048_{unit}_{key}/state",
    pack_topic=lambda unit, key: f"{S}/lifepower4_{unit}_{key}/state",
    inverter_samples=[
        ("battery_voltage", "53.4", "battery_voltage", 53.4, None),
        ("battery_charging_current", "12", "battery_charge_current", 12.0, None),
        ("battery_discharge_current", "0", "battery_discharge_current", 0.0, None),
        ("battery_capacity", "87", "battery_soc", 87.0, None),
        ("mppt1_input_power", "1520", "pv_power", 1520.0, None),
        ("mppt1_input_voltage", "312.5", "pv_voltage", 312.5, None),
        ("ac_output_active_power", "850", "output_power", 850.0, None),
        ("ac_output_load", "17", "output_load", 17.0, None),
        ("ac_input_voltage", "240.1", "grid_voltage", 240.1, None),
        ("ac_output_voltage", "239.8", "output_voltage", 239.8, None),
        ("device_mode", "Hybrid mode(Line mode, Grid mode)", "device_mode", "hybrid", None),
        ("line_power_direction", "Input", "line_direction", "input", None),
        ("battery_power_direction", "Do nothing", "battery_direction", "idle", None),
        (
            "output_source_priority",
            "Solar - Battery - Utility",
            "output_priority",
            OutputPriority.SBU,
            SettingKey.OUTPUT_PRIORITY,
        ),
        (
            "charger_source_priority",
            "Solar and Utility",
            "charger_priority",
            ChargerPriority.SOLAR_AND_UTILITY,
            SettingKey.CHARGER_PRIORITY,
        ),
        ("max_charging_current", "60", "max_charge_current", 60.0, SettingKey.MAX_CHARGE_CURRENT),
        (
            "max_ac_charging_current",
            "30",
            "max_utility_charge_current",
            30.0,
            SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        ),
        (
            "battery_re-discharge_voltage",
            "54.0",
            "stop_charge_voltage",
            54.0,
            SettingKey.STOP_CHARGE_VOLTAGE,
        ),
        (
            "battery_re-charge_voltage",
            "52.0",
            "recharge_voltage",
            52.0,
            SettingKey.RECHARGE_VOLTAGE,
        ),
        ("battery_bulk_charge_voltage", "56.4", "bulk_voltage", 56.4, SettingKey.BULK_VOLTAGE),
        ("battery_float_charge_voltage", "54", "float_voltage", 54.0, SettingKey.FLOAT_VOLTAGE),
    ],
    inverter_bad=[
        ("battery_voltage", "80.1"),
        ("battery_voltage", "-1"),
        ("battery_voltage", "nan"),
        ("battery_charging_current", "1001"),
        ("battery_capacity", "101"),
        ("mppt1_input_power", "inf"),
        ("mppt1_input_voltage", "1000.5"),
        ("ac_output_load", "301"),
        ("ac_input_voltage", "401"),
        ("ac_output_voltage", ""),
        ("device_mode", "Warp mode"),
        ("device_mode", ""),
        ("line_power_direction", "sideways"),
        ("battery_power_direction", "x" * 65),
        ("output_source_priority", "Battery first"),
        ("output_source_priority", ""),
        ("charger_source_priority", "Wind first"),
        ("max_charging_current", "abc"),
        ("max_ac_charging_current", "1e400"),
        ("battery_re-discharge_voltage", "81"),
        ("battery_re-charge_voltage", "fifty"),
        ("battery_bulk_charge_voltage", "56.4V"),
        ("battery_float_charge_voltage", "-0.5"),
    ],
    pack_samples=[
        ("soc", "76", "soc", 76.0),
        ("pack_voltage", "53.12", "voltage", 53.12),
        ("pack_current", "-20.5", "current", -20.5),
        ("cell_voltage_max", "3.401", "cell_voltage_max", 3.401),
        ("cell_voltage_min", "3.385", "cell_voltage_min", 3.385),
        ("cell_voltage_delta_mv", "16", "cell_voltage_delta", 16.0),
    ],
    pack_bad=[
        ("soc", "100.5"),
        ("pack_voltage", "81"),
        ("pack_current", "nan"),
        ("cell_voltage_max", "5.1"),
        ("cell_voltage_min", "3,3"),
        ("cell_voltage_delta_mv", "5001"),
        ("cell_voltage_delta_mv", "-1"),
    ],
    readbacks=_powermon_readbacks,
    writable={
        SettingKey.OUTPUT_PRIORITY: 2,
        SettingKey.CHARGER_PRIORITY: 3,
        SettingKey.MAX_CHARGE_CURRENT: 8,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT: 8,
        SettingKey.STOP_CHARGE_VOLTAGE: 11,
    },
    replies=False,
    decode=_powermon_decode,
)

# ---- Solar Assistant -----------------------------------------------------------------------

P = "solar_assistant"


def _solar_assistant_readbacks(command: Command, profile: Profile) -> list[Messages]:
    """Solar Assistant applies a command and shows the option string on the state topic."""
    assert command.topic.endswith("/set")
    return [[(command.topic.removesuffix("/set") + "/state", command.payload)]]


SOLAR_ASSISTANT = Case(
    name="solar_assistant",
    config=SA_CONFIG,
    profile_type=SolarAssistantProfile,
    inverter_keys=INVERTER_METRICS,
    pack_keys=BATTERY_METRICS,
    inverter_topic=lambda unit, key: f"{P}/inverter_{unit}/{key}/state",
    pack_topic=lambda unit, key: f"{P}/battery_{unit}/{key}/state",
    inverter_samples=[
        ("battery_voltage", "53.4", "battery_voltage", 53.4, None),
        ("battery_current", "-12.5", "battery_current", -12.5, None),
        ("pv_power", "1520", "pv_power", 1520.0, None),
        ("pv_voltage", "312.5", "pv_voltage", 312.5, None),
        ("load_power", "850", "output_power", 850.0, None),
        ("grid_power", "-310", "grid_power", -310.0, None),
        ("grid_voltage", "240.1", "grid_voltage", 240.1, None),
        ("ac_output_voltage", "239.8", "output_voltage", 239.8, None),
        ("temperature", "41", "temperature", 41.0, None),
        ("device_mode", "Grid", "device_mode", "line", None),
        (
            "output_source_priority",
            "Solar/Battery/Utility",
            "output_priority",
            OutputPriority.SBU,
            SettingKey.OUTPUT_PRIORITY,
        ),
        (
            "charger_source_priority",
            "Solar and utility simultaneously",
            "charger_priority",
            ChargerPriority.SOLAR_AND_UTILITY,
            SettingKey.CHARGER_PRIORITY,
        ),
        ("max_charge_current", "60", "max_charge_current", 60.0, SettingKey.MAX_CHARGE_CURRENT),
        (
            "max_grid_charge_current",
            "30",
            "max_utility_charge_current",
            30.0,
            SettingKey.MAX_UTILITY_CHARGE_CURRENT,
        ),
        (
            "back_to_battery_voltage",
            "54.0",
            "stop_charge_voltage",
            54.0,
            SettingKey.STOP_CHARGE_VOLTAGE,
        ),
        ("to_grid_battery_voltage", "52", "recharge_voltage", 52.0, SettingKey.RECHARGE_VOLTAGE),
        (
            "battery_absorption_charge_voltage",
            "56.4",
            "bulk_voltage",
            56.4,
            SettingKey.BULK_VOLTAGE,
        ),
        ("battery_float_charge_voltage", "54", "float_voltage", 54.0, SettingKey.FLOAT_VOLTAGE),
    ],
    inverter_bad=[
        ("battery_voltage", "81"),
        ("battery_current", "nan"),
        ("pv_power", "1e6"),
        ("pv_voltage", "-1"),
        ("load_power", ""),
        ("grid_voltage", "401"),
        ("ac_output_voltage", "abc"),
        ("temperature", "151"),
        ("device_mode", "Teleport"),
        ("output_source_priority", "Battery first"),
        ("charger_source_priority", "Wind"),
        ("max_charge_current", "inf"),
        ("max_grid_charge_current", "1001"),
        ("back_to_battery_voltage", "54 V"),
        ("to_grid_battery_voltage", "-3"),
        ("battery_absorption_charge_voltage", "99"),
        ("battery_float_charge_voltage", "x"),
    ],
    pack_samples=[
        ("state_of_charge", "76", "soc", 76.0),
        ("voltage", "53.12", "voltage", 53.12),
        ("current", "-20.5", "current", -20.5),
        ("power", "-1100", "power", -1100.0),
        ("temperature", "27.5", "temperature_1", 27.5),
        ("cell_voltage_-_highest", "3.401", "cell_voltage_max", 3.401),
        ("cell_voltage_-_lowest", "3.385", "cell_voltage_min", 3.385),
        ("cycles", "412", "cycles", 412.0),
    ],
    pack_bad=[
        ("state_of_charge", "101"),
        ("voltage", "nan"),
        ("current", "-1001"),
        ("power", "inf"),
        ("temperature", "-51"),
        ("cell_voltage_-_highest", "5.01"),
        ("cell_voltage_-_lowest", ""),
        ("cycles", "-1"),
        ("cycles", "1000001"),
    ],
    readbacks=_solar_assistant_readbacks,
    writable={
        SettingKey.OUTPUT_PRIORITY: 3,
        SettingKey.CHARGER_PRIORITY: 3,
        SettingKey.MAX_CHARGE_CURRENT: 8,
        SettingKey.MAX_UTILITY_CHARGE_CURRENT: 8,
        SettingKey.STOP_CHARGE_VOLTAGE: 11,
    },
    replies=True,
)

CASES = [POWERMON, SOLAR_ASSISTANT]
# Every registered bridge's profile: lxp-bridge's JSON and register codecs have no key tables
# to share, so it meets the table-free part of the contract (its codecs: test_lxp_bridge.py).
CONFIGS: dict[str, Mapping[str, Any]] = {
    POWERMON.name: POWERMON.config,
    SOLAR_ASSISTANT.name: SOLAR_ASSISTANT.config,
    "lxp_bridge": {
        "profile": "lxp_bridge",
        "transport": "mqtt",
        "topic_prefix": "lxp",
        "datalogs": "BA12345678, BA87654321",
    },
}


def _cases[T](pick: Callable[[Case], list[T]]) -> list[Any]:
    """One pytest param per (bridge, item), named by both."""
    return [
        pytest.param(bridge, item, id=f"{bridge.name}-{item[0]}-{i}")
        for bridge in CASES
        for i, item in enumerate(pick(bridge))
    ]


BY_NAME = pytest.mark.parametrize("bridge", CASES, ids=[b.name for b in CASES])
EVERY_PROFILE = pytest.mark.parametrize("name", sorted(CONFIGS))

# ---- construction --------------------------------------------------------------------------


def test_the_contract_covers_every_registered_bridge() -> None:
    assert set(CONFIGS) == set(BRIDGES)
    assert {case.name for case in CASES} <= set(CONFIGS)


@BY_NAME
def test_build_profile_returns_the_bridge_profile(bridge: Case) -> None:
    profile = build_profile(dict(bridge.config))
    assert isinstance(profile, bridge.profile_type)
    assert profile == bridge.make()


@EVERY_PROFILE
def test_every_setting_written_is_read_back(name: str) -> None:
    """A write is confirmed by read-back: nothing is writable that is never reported."""
    caps = build_profile(dict(CONFIGS[name])).capabilities
    assert caps.writable
    assert set(caps.writable) <= caps.readable_settings


@BY_NAME
def test_the_key_tables_are_the_capabilities(bridge: Case) -> None:
    caps = bridge.make().capabilities
    reported = {spec[2] for spec in bridge.inverter_keys.values() if spec[2] is not None}
    assert reported == caps.readable_settings


# ---- decoding ------------------------------------------------------------------------------


@BY_NAME
def test_samples_cover_every_key(bridge: Case) -> None:
    assert {s[0] for s in bridge.inverter_samples} == set(bridge.inverter_keys)
    assert {s[0] for s in bridge.pack_samples} == set(bridge.pack_keys)


@pytest.mark.parametrize(("bridge", "sample"), _cases(lambda b: b.inverter_samples))
def test_decode_inverter_key(bridge: Case, sample: InverterSample) -> None:
    key, payload, canonical, value, setting = sample
    profile = bridge.make()
    for unit in (1, 2):
        r = single(bridge.decode(profile, bridge.inverter_topic(str(unit), key), payload))
        assert r.source == inv(unit)
        assert r.key == canonical
        assert r.value == value
        assert type(r.value) is type(value)
        assert r.setting is setting


@pytest.mark.parametrize(("bridge", "bad"), _cases(lambda b: b.inverter_bad))
def test_decode_inverter_rejects_bad_payload(bridge: Case, bad: tuple[str, str]) -> None:
    key, payload = bad
    canonical = bridge.inverter_keys[key][0]
    result = bridge.make().decode(bridge.inverter_topic("1", key), payload)
    assert result == Rejected(f"inverter:{canonical}")


@pytest.mark.parametrize(("bridge", "sample"), _cases(lambda b: b.pack_samples))
def test_decode_pack_key(bridge: Case, sample: PackSample) -> None:
    key, payload, canonical, value = sample
    profile = bridge.make()
    for unit in (1, profile.pack_count):
        r = single(profile.decode(bridge.pack_topic(str(unit), key), payload))
        assert r == Reading(pack(unit), canonical, value)


@pytest.mark.parametrize(("bridge", "bad"), _cases(lambda b: b.pack_bad))
def test_decode_pack_rejects_bad_payload(bridge: Case, bad: tuple[str, str]) -> None:
    """The reason names the canonical metric, like the inverter rejections."""
    key, payload = bad
    result = bridge.make().decode(bridge.pack_topic("2", key), payload)
    assert result == Rejected(f"pack:{bridge.pack_keys[key][0]}")


@BY_NAME
@pytest.mark.parametrize(
    "index",
    [
        "\u00b9",  # superscript 1: str.isdigit() is True but int() refuses it
        "\u00b2\u00b3",
        "\u0661",  # Arabic-Indic 1
        "\uff11",  # full-width 1
        "1" * 5000,  # beyond int()'s 4300-digit limit
        "0",
        "-1",
        "99",  # more than configured
    ],
    ids=[
        *("superscript-1", "superscript-23", "arabic-indic-1", "fullwidth-1", "5000-digits"),
        *("zero", "negative", "unconfigured"),
    ],
)
def test_a_unit_that_is_not_configured_is_not_ours(bridge: Case, index: str) -> None:
    """Never raises; a unit number in non-ASCII digits is not a configured unit either."""
    profile = bridge.make()
    inverter_key = bridge.inverter_samples[0][0]
    pack_key = bridge.pack_samples[0][0]
    assert profile.decode(bridge.inverter_topic(index, inverter_key), "50") is None
    assert profile.decode(bridge.pack_topic(index, pack_key), "50") is None


@BY_NAME
def test_leading_zero_index_is_that_unit(bridge: Case) -> None:
    topic = bridge.inverter_topic("02", bridge.inverter_samples[0][0])
    assert single(bridge.make().decode(topic, "50")).source == inv(2)


# ---- encode -> bridge -> read-back -> decode -----------------------------------------------


def _values(profile: Profile, key: SettingKey) -> list[SettingValue]:
    """Every value the entity offers for ``key``."""
    definition = profile.capabilities.writable[key]
    if isinstance(definition, OptionSetting):
        return list(definition.options)
    assert isinstance(definition, NumberSetting)
    steps = round((definition.maximum - definition.minimum) / definition.step)
    return [float(definition.minimum + i * definition.step) for i in range(steps + 1)]


@BY_NAME
def test_round_trip_covers_every_writable_setting(bridge: Case) -> None:
    profile = bridge.make()
    assert set(profile.capabilities.writable) == set(bridge.writable)
    for key, count in bridge.writable.items():
        assert len(_values(profile, key)) == count, key


@pytest.mark.parametrize(
    ("bridge", "key"),
    [
        pytest.param(bridge, key, id=f"{bridge.name}-{key}")
        for bridge in CASES
        for key in sorted(bridge.writable)
    ],
)
def test_encode_bridge_readback_decode_round_trip(bridge: Case, key: SettingKey) -> None:
    """Every value written, in every encoding, reads back as that value on every unit."""
    profile = bridge.make()
    definition = profile.capabilities.writable[key]
    units: list[int | None] = (
        [None]
        if profile.capabilities.broadcast_writes
        else list(range(1, profile.inverter_count + 1))
    )
    for value in _values(profile, key):
        encodings = {
            unit: [
                profile.encode(key, value, unit),
                *profile.alternative_encodings(key, value, unit),
            ]
            for unit in units
        }
        for option in range(len(encodings[units[0]])):
            ways = len(bridge.readbacks(encodings[units[0]][option][0], profile))
            for way in range(ways):
                state = SystemState.empty(profile.inverter_count, profile.pack_count)
                for unit in units:
                    for command in encodings[unit][option]:
                        messages = bridge.readbacks(command, profile)[way]
                        for topic, payload in messages:
                            r = single(profile.decode(topic, payload))
                            assert r.setting is key
                            assert r.key == key
                            assert unit is None or r.source == inv(unit)
                            apply_readings(state, [r], now=1.0)
                assert state.group_setting(key) == value, (value, option, way)
                assert values_match(state.group_setting(key), value, definition.tolerance)
                assert state.mismatched_settings() == []


@EVERY_PROFILE
def test_encode_refuses_what_it_cannot_write(name: str) -> None:
    profile = build_profile(dict(CONFIGS[name]))
    writable = profile.capabilities.writable
    for key in SettingKey:
        if key not in writable:
            with pytest.raises(ValueError):  # noqa: PT011
                profile.encode(key, 54.0, 1)
    for key, definition in writable.items():  # the wrong kind of value
        wrong: SettingValue = 54.0 if isinstance(definition, OptionSetting) else OutputPriority.SBU
        with pytest.raises(ValueError):  # noqa: PT011
            profile.encode(key, wrong, 1)


# ---- property: decoding never raises -------------------------------------------------------

_indices = st.one_of(
    st.integers(min_value=-2, max_value=40).map(str),
    st.sampled_from(["", "01", "\u00b9", "\u00b2", "\u0661", "\uff11", " 1", "1 "]),
    st.text(max_size=4),
)


def _check_result(bridge: Case, profile: Profile, result: object, topic: str) -> None:
    assert result is None or isinstance(result, Decoded | Rejected | CommandResult)
    if isinstance(result, CommandResult):
        assert bridge.replies
        assert result.message
        assert result.message.isprintable()
    if isinstance(result, Rejected):
        assert result.reason
    if isinstance(result, Decoded):
        for r in result.readings:
            # Above the configured count is a source that joins (dynamic devices), up to the most
            # a system may have.
            limit = MAX_INVERTERS if r.source.kind is SourceKind.INVERTER else MAX_PACKS
            assert 1 <= r.source.index <= limit, topic
            assert isinstance(r.value, float | str | bool)
            if isinstance(r.value, float):
                assert math.isfinite(r.value)


_KEYS = sorted({key for b in CASES for key in (*b.inverter_keys, *b.pack_keys)})


@BY_NAME
@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    key=st.one_of(st.sampled_from(_KEYS), st.text(max_size=24)),
    index=_indices,
    payload=payloads,
    noise=st.text(max_size=80),
)
@example(key="battery_voltage", index="\u00b9", payload="50", noise="")
def test_decode_never_raises(bridge: Case, key: str, index: str, payload: str, noise: str) -> None:
    profile = bridge.make()
    for topic in (
        bridge.inverter_topic(index, key),
        bridge.pack_topic(index, key),
        noise,
        bridge.inverter_topic("1", key) + noise,
    ):
        _check_result(bridge, profile, profile.decode(topic, payload), topic)


@EVERY_PROFILE
@settings(max_examples=200, deadline=None, derandomize=True)
@given(topic=st.text(max_size=80), payload=payloads)
def test_a_topic_of_no_bridge_is_not_decoded(name: str, topic: str, payload: str) -> None:
    """Whatever else reaches a subscription, the profile says None or refuses; it never raises."""
    profile = build_profile(dict(CONFIGS[name]))
    result = profile.decode(topic, payload)
    assert result is None or isinstance(result, Decoded | Rejected | CommandResult)


@BY_NAME
@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data(), unit=st.integers(min_value=1, max_value=2), payload=payloads)
def test_decode_known_topic_any_payload_is_decoded_or_rejected(
    bridge: Case, data: st.DataObject, unit: int, payload: str
) -> None:
    profile = bridge.make()
    key = data.draw(st.sampled_from([*bridge.inverter_keys, *bridge.pack_keys]))
    topic = (
        bridge.inverter_topic(str(unit), key)
        if key in bridge.inverter_keys
        else bridge.pack_topic(str(unit), key)
    )
    result = profile.decode(topic, payload)
    assert isinstance(result, Decoded | Rejected)
    _check_result(bridge, profile, result, topic)
