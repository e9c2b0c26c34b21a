"""Solar Assistant's MQTT interface (profiles/solar_assistant.py): what only it does.

What every bridge profile must do (decoding its key tables, the write round trip, never
raising) is in ``test_profile_contract.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from custom_components.eg4.energy import EnergyKind
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
)
from custom_components.eg4.profiles.base import Command
from custom_components.eg4.profiles.solar_assistant import (
    CHARGER_PRIORITY_COMMANDS,
    MAX_RESPONSE,
    OUTPUT_PRIORITY_ALTERNATIVES,
    OUTPUT_PRIORITY_COMMANDS,
    SETTING_TOPICS,
    SolarAssistantProfile,
)
from custom_components.eg4.settings import OptionSetting
from custom_components.eg4.transport.base import CommandResult, Rejected

from .helpers import PI_FAMILY_SETTINGS, SA_CONFIG, inv, pack, payloads, single

P = "solar_assistant"
RESPONSE = f"{P}/set/response_message/state"


def make(**overrides: Any) -> SolarAssistantProfile:
    profile = SolarAssistantProfile.from_config({**SA_CONFIG, **overrides})
    assert isinstance(profile, SolarAssistantProfile)
    return profile


@pytest.fixture
def profile() -> SolarAssistantProfile:
    return make()


# ---- construction ------------------------------------------------------------------------


def test_from_config(profile: SolarAssistantProfile) -> None:
    assert profile.name == "solar_assistant"
    assert profile.topic_prefix == "solar_assistant"
    assert profile.inverter_count == 2
    assert profile.pack_count == 4


def test_from_config_strips_slashes_and_coerces_counts() -> None:
    profile = make(topic_prefix="/home/solar_assistant/", inverter_count="3", pack_count=2.0)
    assert profile.topic_prefix == "home/solar_assistant"
    assert (profile.inverter_count, profile.pack_count) == (3, 2)
    assert profile.subscriptions() == ["home/solar_assistant/+/+/state"]
    r = single(profile.decode("home/solar_assistant/inverter_3/pv_power/state", "10"))
    assert r.source == inv(3)


def test_describe(profile: SolarAssistantProfile) -> None:
    assert profile.describe() == {
        "profile": "solar_assistant",
        "topic_prefix": "solar_assistant",
        "inverter_count": 2,
        "pack_count": 4,
    }


def test_subscriptions_include_the_response_topic(profile: SolarAssistantProfile) -> None:
    assert profile.subscriptions() == ["solar_assistant/+/+/state"]


def test_capabilities(profile: SolarAssistantProfile) -> None:
    caps = profile.capabilities
    assert caps.inverter_metrics == {
        "battery_voltage",
        "battery_current",
        "pv_power",
        "pv_voltage",
        "output_power",
        "grid_voltage",
        "output_voltage",
        "temperature",
        "device_mode",
        "grid_power",
        *(f"system_{kind}" for kind in EnergyKind),
    }
    assert caps.pack_metrics == {
        "soc",
        "voltage",
        "current",
        "power",
        "temperature_1",
        "cell_voltage_max",
        "cell_voltage_min",
        "cycles",
        "cell_voltage_delta",
        "temperature_max",
    }
    assert caps.readable_settings == PI_FAMILY_SETTINGS
    assert set(caps.writable) == set(SETTING_TOPICS)
    for key, definition in caps.writable.items():
        assert definition.key is key
    assert caps.broadcast_writes is False  # one command per unit
    assert caps.command_replies is True


def test_writable_options_match_the_command_tables(profile: SolarAssistantProfile) -> None:
    caps = profile.capabilities
    out = caps.writable[SettingKey.OUTPUT_PRIORITY]
    chg = caps.writable[SettingKey.CHARGER_PRIORITY]
    assert isinstance(out, OptionSetting)
    assert isinstance(chg, OptionSetting)
    assert set(out.options) == set(OUTPUT_PRIORITY_COMMANDS) == set(OutputPriority)
    assert set(chg.options) == set(CHARGER_PRIORITY_COMMANDS)


# ---- decoding: topic edge cases ----------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        f"{P}/inverter_1/pv_power",
        f"{P}/inverter_1/pv_power/set",
        f"{P}/inverter_1/pv_power/state/",
        f"{P}/inverter_1/state",
        f"{P}/inverter_1/pv_power/x/state",
        f"{P}/x/inverter_1/pv_power/state",
        f"{P}x/inverter_1/pv_power/state",
        f"x{P}/inverter_1/pv_power/state",
        f"/{P}/inverter_1/pv_power/state",
        "other/inverter_1/pv_power/state",
        f"{P}/inverter_0/pv_power/state",
        f"{P}/inverter_10/pv_power/state",  # 9 units at most
        f"{P}/inverter_-1/pv_power/state",
        f"{P}/inverter_x/pv_power/state",
        f"{P}/inverter_/pv_power/state",
        f"{P}/inverter/pv_power/state",
        f"{P}/inverter1/pv_power/state",
        f"{P}/my_inverter_1/pv_power/state",
        f"{P}/inverter_1_2/pv_power/state",
        f"{P}/Inverter_1/pv_power/state",
        f"{P}/inverter_1/unknown_metric/state",
        f"{P}/inverter_1/PV_power/state",
        f"{P}/inverter_1/state_of_charge/state",  # a battery metric on an inverter
        f"{P}/battery_1/pv_power/state",  # an inverter metric on a battery
        f"{P}/battery_0/voltage/state",
        f"{P}/battery_33/voltage/state",  # 32 packs at most
        f"{P}/battery/voltage/state",
        f"{P}/total/pv_power/state",
        f"{P}/total/battery_state_of_charge/state",
        f"{P}/set/other/state",
        f"{P}/set/response_message",
        f"{P}/set/response_message/x/state",
        f"{P}/inverter_1/response_message/state",
        f"{P}//pv_power/state",
        f"{P}/inverter_1//state",
        f"{P}/state",
        "",
        "/state",
    ],
)
def test_decode_ignores_topics_that_are_not_ours(
    profile: SolarAssistantProfile, topic: str
) -> None:
    assert profile.decode(topic, "50") is None


@pytest.mark.parametrize(
    ("metric", "kind"),
    [
        ("pv_energy", EnergyKind.PV),
        ("battery_energy_in", EnergyKind.BATTERY_CHARGE),
        ("battery_energy_out", EnergyKind.BATTERY_DISCHARGE),
        ("grid_energy_in", EnergyKind.GRID_IMPORT),
        ("grid_energy_out", EnergyKind.GRID_EXPORT),
        ("load_energy", EnergyKind.LOAD),
    ],
)
def test_system_totals_ride_on_inverter_1_without_showing_it_reporting(
    profile: SolarAssistantProfile, metric: str, kind: EnergyKind
) -> None:
    """The system's energy totals are carried on unit 1; they do not keep unit 1 fresh."""
    total = single(profile.decode(f"{P}/total/{metric}/state", "1234.5"))
    assert (total.source, total.key, total.value) == (inv(1), f"system_{kind}", 1234.5)
    assert total.alive is False
    assert single(profile.decode(f"{P}/inverter_1/pv_power/state", "1200")).alive is True


def test_hyphenated_battery_metrics(profile: SolarAssistantProfile) -> None:
    hi = single(profile.decode(f"{P}/battery_1/cell_voltage_-_highest/state", "3.4"))
    assert hi.key == "cell_voltage_max"
    assert profile.decode(f"{P}/battery_1/cell_voltage_highest/state", "3.4") is None


# ---- command responses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("Saved", "Saved"),
        ("  Saved\n", "Saved"),
        ("saved", "saved"),
        ("OK", "OK"),
        ("Setting applied", "Setting applied"),
        ("x" * MAX_RESPONSE, "x" * MAX_RESPONSE),
    ],
)
def test_response_ok(profile: SolarAssistantProfile, payload: str, message: str) -> None:
    assert profile.decode(RESPONSE, payload) == CommandResult(ok=True, message=message)


@pytest.mark.parametrize(
    "payload",
    [
        "Error: x",
        "Error: value out of range",
        "error",
        "ERROR 42",
        "Invalid value",
        "invalid",
        "Value is INVALID",
        "FAILED",
        "Command failed",
        "Failure",
    ],
)
def test_response_refused(profile: SolarAssistantProfile, payload: str) -> None:
    assert profile.decode(RESPONSE, payload) == CommandResult(ok=False, message=payload.strip())


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "   ",
        "\n",
        "x" * (MAX_RESPONSE + 1),
        "Saved\x00",
        "Sa\nved",
        "Saved\x1b[0m",
        "Error:\tbad",
        "\ud800",
    ],
)
def test_response_untrusted_is_rejected(profile: SolarAssistantProfile, payload: str) -> None:
    assert profile.decode(RESPONSE, payload) == Rejected("response:invalid")


def test_response_topic_follows_the_prefix() -> None:
    profile = make(topic_prefix="site/sa")
    assert profile.decode("site/sa/set/response_message/state", "Saved") == CommandResult(
        ok=True, message="Saved"
    )
    assert profile.decode(RESPONSE, "Saved") is None


# ---- encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "metric", "payload"),
    [
        (
            SettingKey.OUTPUT_PRIORITY,
            OutputPriority.SBU,
            "output_source_priority",
            "Solar/Battery/Utility",
        ),
        (
            SettingKey.OUTPUT_PRIORITY,
            OutputPriority.SUB,
            "output_source_priority",
            "Solar/Utility/Battery",
        ),
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.USB, "output_source_priority", "Utility first"),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_FIRST,
            "charger_source_priority",
            "Solar first",
        ),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_AND_UTILITY,
            "charger_source_priority",
            "Solar and utility simultaneously",
        ),
        (
            SettingKey.CHARGER_PRIORITY,
            ChargerPriority.SOLAR_ONLY,
            "charger_source_priority",
            "Solar only",
        ),
        (SettingKey.MAX_CHARGE_CURRENT, 60.0, "max_charge_current", "60"),
        (SettingKey.MAX_UTILITY_CHARGE_CURRENT, 30.0, "max_grid_charge_current", "30"),
        (SettingKey.STOP_CHARGE_VOLTAGE, 54.0, "back_to_battery_voltage", "54.0"),
        (SettingKey.STOP_CHARGE_VOLTAGE, 48.0, "back_to_battery_voltage", "48.0"),
    ],
)
def test_encode_one_command_per_unit(
    profile: SolarAssistantProfile,
    key: SettingKey,
    value: SettingValue,
    metric: str,
    payload: str,
) -> None:
    for unit in (1, 2):
        assert profile.encode(key, value, unit) == [
            Command(f"{P}/inverter_{unit}/{metric}/set", payload)
        ]


def test_encode_topic_example(profile: SolarAssistantProfile) -> None:
    assert profile.encode(SettingKey.MAX_UTILITY_CHARGE_CURRENT, 20.0, 2) == [
        Command("solar_assistant/inverter_2/max_grid_charge_current/set", "20")
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.SBU),
        (SettingKey.MAX_CHARGE_CURRENT, 30.0),
        (SettingKey.STOP_CHARGE_VOLTAGE, 54.0),
    ],
)
def test_encode_without_unit_raises(
    profile: SolarAssistantProfile, key: SettingKey, value: SettingValue
) -> None:
    with pytest.raises(ValueError, match="one command per unit"):
        profile.encode(key, value, None)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (SettingKey.FLOAT_VOLTAGE, 54.0),  # readable only
        (SettingKey.BULK_VOLTAGE, 56.0),
        (SettingKey.RECHARGE_VOLTAGE, 52.0),
        (SettingKey.CHARGER_PRIORITY, ChargerPriority.UTILITY_FIRST),  # not offered
        (SettingKey.MAX_CHARGE_CURRENT, OutputPriority.SBU),  # wrong kind of value
        (SettingKey.OUTPUT_PRIORITY, ChargerPriority.SOLAR_FIRST),
    ],
)
def test_encode_refuses_what_it_cannot_write(
    profile: SolarAssistantProfile, key: SettingKey, value: SettingValue
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        profile.encode(key, value, 1)


@pytest.mark.parametrize("unit", [1, 2])
@pytest.mark.parametrize(
    ("value", "short"), [(OutputPriority.SBU, "SBU"), (OutputPriority.SUB, "SUB")]
)
def test_alternative_encodings_short_forms(
    profile: SolarAssistantProfile, unit: int, value: OutputPriority, short: str
) -> None:
    assert profile.alternative_encodings(SettingKey.OUTPUT_PRIORITY, value, unit) == [
        [Command(f"{P}/inverter_{unit}/output_source_priority/set", short)]
    ]


@pytest.mark.parametrize(
    ("key", "value", "unit"),
    [
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.USB, 1),  # no short form
        (SettingKey.OUTPUT_PRIORITY, OutputPriority.SBU, None),
        (SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST, 1),
        (SettingKey.MAX_CHARGE_CURRENT, 30.0, 1),
        (SettingKey.STOP_CHARGE_VOLTAGE, 54.0, 2),
    ],
)
def test_no_alternative_encodings(
    profile: SolarAssistantProfile, key: SettingKey, value: SettingValue, unit: int | None
) -> None:
    assert profile.alternative_encodings(key, value, unit) == []


def test_alternatives_table() -> None:
    assert OUTPUT_PRIORITY_ALTERNATIVES == {
        OutputPriority.SBU: "SBU",
        OutputPriority.SUB: "SUB",
    }


# ---- read-back spellings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("SBU", OutputPriority.SBU),
        ("SUB", OutputPriority.SUB),
        ("Solar/Battery/Utility", OutputPriority.SBU),
        ("Solar/Utility/Battery", OutputPriority.SUB),
        ("Utility first", OutputPriority.USB),
    ],
)
def test_output_priority_readbacks(
    profile: SolarAssistantProfile, payload: str, expected: OutputPriority
) -> None:
    r = single(profile.decode(f"{P}/inverter_2/output_source_priority/state", payload))
    assert r.value is expected


# ---- property: any response is a result or refused ----------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(payload=payloads)
def test_response_any_payload_is_a_result_or_rejected(payload: str) -> None:
    result = make().decode(RESPONSE, payload)
    assert isinstance(result, CommandResult | Rejected)
    if isinstance(result, CommandResult):
        assert len(result.message) <= MAX_RESPONSE
        lowered = result.message.lower()
        assert result.ok is not (
            lowered.startswith("error") or "invalid" in lowered or "fail" in lowered
        )


def test_units_and_batteries_beyond_the_configured_counts_are_decoded_up_to_the_limits() -> None:
    """Beyond the configured counts a source is decoded (it joins); beyond 9 / 32 it is not."""
    profile = make(inverter_count=1, pack_count=1)
    assert single(profile.decode(f"{P}/inverter_9/pv_power/state", "10")).source == inv(9)
    assert profile.decode(f"{P}/inverter_10/pv_power/state", "10") is None
    assert single(profile.decode(f"{P}/battery_32/voltage/state", "53")).source == pack(32)
    assert profile.decode(f"{P}/battery_33/voltage/state", "53") is None
    assert profile.config_for_sources(3, 7) == {"inverter_count": 3, "pack_count": 7}
