"""powermon + lvx-control face: exact topics, payload formats and command semantics."""

from __future__ import annotations

import re

import pytest

from simulator import OutputPriority, PowermonLvxFace, build_twin
from simulator.protocols import Protocol

from .helpers import as_dict

INVERTER_KEYS = [
    "battery_voltage",
    "battery_charging_current",
    "battery_discharge_current",
    "battery_capacity",
    "mppt1_input_power",
    "mppt1_input_voltage",
    "ac_output_active_power",
    "ac_output_load",
    "ac_input_voltage",
    "ac_output_voltage",
    "device_mode",
    "line_power_direction",
    "battery_power_direction",
    "output_source_priority",
    "charger_source_priority",
    "max_charging_current",
    "max_ac_charging_current",
    "battery_re-charge_voltage",
    "battery_re-discharge_voltage",
    "battery_bulk_charge_voltage",
    "battery_float_charge_voltage",
    "battery_under_voltage",
]
PACK_KEYS = [
    "soc",
    "pack_voltage",
    "pack_current",
    "cell_voltage_max",
    "cell_voltage_min",
    "cell_voltage_delta_mv",
    "temperature_1",
    "temperature_2",
    "temperature_pcb",
    "protection",
    "charge_current_limit",
]
FORMATS = {
    "battery_voltage": r"\d+\.\d",
    "battery_charging_current": r"\d+",
    "battery_discharge_current": r"\d+",
    "battery_capacity": r"\d+",
    "mppt1_input_power": r"\d+",
    "mppt1_input_voltage": r"\d+\.\d",
    "ac_output_active_power": r"\d+",
    "ac_output_load": r"\d+",
    "ac_input_voltage": r"\d+\.\d",
    "ac_output_voltage": r"\d+\.\d",
    "device_mode": r"Hybrid mode\(Line mode, Grid mode\)|Battery mode|Standby mode|Fault mode",
    "line_power_direction": r"input|output|donothing",
    "battery_power_direction": r"charge|discharge|donothing",
    "max_charging_current": r"\d+",
    "max_ac_charging_current": r"\d+",
    "soc": r"\d{1,3}",
    "pack_voltage": r"\d+\.\d\d",
    "pack_current": r"-?\d+\.\d",
    "cell_voltage_max": r"\d\.\d{3}",
    "cell_voltage_min": r"\d\.\d{3}",
    "cell_voltage_delta_mv": r"\d+",
    "temperature_1": r"-?\d+\.\d",
    "temperature_2": r"-?\d+\.\d",
    "temperature_pcb": r"-?\d+\.\d",
    "protection": r"none|[a-z_]+(,[a-z_]+)*",
    "charge_current_limit": r"\d+\.\d",
}


def _topic(prefix: str, n: int, key: str) -> str:
    return f"homeassistant/sensor/{prefix}_{n}_{key}/state"


def test_topics_are_exactly_as_specified() -> None:
    face = PowermonLvxFace(build_twin("healthy"))
    messages = face.telemetry()
    expected = {_topic("lvx6048", n, k) for n in (1, 2) for k in INVERTER_KEYS}
    expected |= {_topic("lifepower4", m, k) for m in range(1, 7) for k in PACK_KEYS}
    assert {m.topic for m in messages} == expected
    assert len(messages) == len(expected)
    assert not any(m.retain for m in messages)
    assert "homeassistant/sensor/lvx6048_2_battery_re-discharge_voltage/state" in expected
    assert "homeassistant/sensor/lvx6048_1_battery_re-charge_voltage/state" in expected


def test_payload_formats() -> None:
    face = PowermonLvxFace(build_twin("drifted"))
    for message in face.telemetry():
        key = message.topic.split("/")[2].split("_", 2)[2]
        if key in FORMATS:
            assert re.fullmatch(FORMATS[key], message.payload), (message.topic, message.payload)


def test_everyday_readbacks() -> None:
    face = PowermonLvxFace(build_twin("drifted"))
    states = as_dict(face.telemetry())
    for n in (1, 2):

        def get(key: str, n: int = n) -> str:
            return states[_topic("lvx6048", n, key)]

        assert get("output_source_priority") == "Solar - Battery - Utility"
        assert get("charger_source_priority") == "Solar First"
        assert get("max_charging_current") == "80"
        assert get("max_ac_charging_current") == "60"
        assert get("battery_bulk_charge_voltage") == "56.4"
        assert get("battery_float_charge_voltage") == "54.0"
        assert get("battery_re-charge_voltage") == "48.0"
        assert get("battery_re-discharge_voltage") == "54.0"
        assert get("battery_under_voltage") == "44.0"
        assert get("device_mode") == "Battery mode"
        assert get("battery_power_direction") == "discharge"
        assert get("line_power_direction") == "donothing"
        assert get("ac_input_voltage") == "120.0"
        assert get("mppt1_input_power") == "0"
    assert [states[_topic("lifepower4", m, "soc")] for m in range(1, 7)] == [
        "53", "51", "54", "52", "55", "76",
    ]  # fmt: skip
    assert all(states[_topic("lifepower4", m, "protection")] == "none" for m in range(1, 7))
    volts = [float(states[_topic("lifepower4", m, "pack_voltage")]) for m in range(1, 7)]
    assert min(volts) >= 53.0
    assert max(volts) <= 53.4


def test_grid_down_reads_zero_input_voltage() -> None:
    twin = build_twin("healthy")
    twin.grid_available = False
    twin.step(10.0)
    states = as_dict(PowermonLvxFace(twin).telemetry())
    assert states[_topic("lvx6048", 1, "ac_input_voltage")] == "0.0"


def test_custom_prefixes_and_command_names() -> None:
    twin = build_twin("healthy")
    face = PowermonLvxFace(
        twin,
        state_topic_prefix="ha/sensor",
        inverter_prefix="inv",
        battery_prefix="bat",
        command_topic_prefix="ctl/lvx",
        max_charge_current_command="mcc",
        max_utility_charge_current_command="mucc",
        stop_charge_voltage_command="scv",
    )
    topics = {m.topic for m in face.telemetry()}
    assert "ha/sensor/inv_1_battery_voltage/state" in topics
    assert "ha/sensor/bat_6_soc/state" in topics
    assert face.command_subscriptions() == [
        "ctl/lvx/output_priority",
        "ctl/lvx/charger_priority",
        "ctl/lvx/mcc",
        "ctl/lvx/mucc",
        "ctl/lvx/scv",
    ]
    face.handle("ctl/lvx/mcc", "50")
    assert all(inv.settings.max_charge_current_a == 50 for inv in twin.inverters)


def test_default_command_subscriptions() -> None:
    face = PowermonLvxFace(build_twin("healthy"))
    assert face.command_subscriptions() == [
        "solar/control/lvx6048/output_priority",
        "solar/control/lvx6048/charger_priority",
        "solar/control/lvx6048/max_charge_current",
        "solar/control/lvx6048/max_utility_charge_current",
        "solar/control/lvx6048/stop_charge_voltage",
    ]


def test_commands_apply_to_every_unit_and_show_in_next_publish() -> None:
    twin = build_twin("healthy")
    face = PowermonLvxFace(twin)
    p = "solar/control/lvx6048/"
    assert face.handle(p + "output_priority", "solar_utility_battery") == []  # no ack topic
    assert face.handle(p + "charger_priority", "solar_and_utility") == []
    face.handle(p + "max_charge_current", "60")
    face.handle(p + "max_utility_charge_current", "40")
    face.handle(p + "stop_charge_voltage", "52.0")
    states = as_dict(face.telemetry())
    for n in (1, 2):
        assert states[_topic("lvx6048", n, "output_source_priority")] == "Solar - Utility - Battery"
        assert states[_topic("lvx6048", n, "charger_source_priority")] == "Solar and Utility"
        assert states[_topic("lvx6048", n, "max_charging_current")] == "60"
        assert states[_topic("lvx6048", n, "max_ac_charging_current")] == "40"
        assert states[_topic("lvx6048", n, "battery_re-discharge_voltage")] == "52.0"
    twin.step(60.0)
    states = as_dict(face.telemetry())
    assert states[_topic("lvx6048", 1, "device_mode")] == "Hybrid mode(Line mode, Grid mode)"
    assert states[_topic("lvx6048", 1, "line_power_direction")] == "input"
    assert states[_topic("lvx6048", 1, "battery_power_direction")] == "charge"
    assert states[_topic("lvx6048", 1, "battery_charging_current")] == "40"
    face.handle(p + "output_priority", "solar_battery_utility")
    face.handle(p + "charger_priority", "solar_only")
    states = as_dict(face.telemetry())
    assert states[_topic("lvx6048", 2, "output_source_priority")] == "Solar - Battery - Utility"
    assert states[_topic("lvx6048", 2, "charger_source_priority")] == "Only Solar"


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        ("output_priority", "SBU"),
        ("output_priority", "Solar - Battery - Utility"),
        ("output_priority", "solar_utility_battery "),
        ("output_priority", "utility_solar_battery"),
        ("charger_priority", "Solar First"),
        ("charger_priority", "solar_and_utility\n"),
        ("max_charge_current", "65"),
        ("max_charge_current", "sixty"),
        ("max_utility_charge_current", "100"),
        ("stop_charge_voltage", "54.5"),  # above float: firmware NAK
        ("stop_charge_voltage", "0"),  # "0 = Full": firmware NAK
        ("stop_charge_voltage", "abc"),
    ],
)
def test_rejected_commands_leave_readbacks_unchanged(command: str, payload: str) -> None:
    twin = build_twin("healthy")
    face = PowermonLvxFace(twin)
    before = as_dict(face.telemetry())
    assert face.handle(f"solar/control/lvx6048/{command}", payload) == []
    after = as_dict(face.telemetry())
    settings_keys = [k for k in before if "priority" in k or "current/state" in k or "volt" in k]
    assert {k: after[k] for k in settings_keys} == {k: before[k] for k in settings_keys}
    assert twin.journal[-1].accepted is False


def test_wrong_bridge_encoding_is_nakd_by_the_device() -> None:
    """The field failure: the bridge speaks PI30, the units speak PI18; nothing applies."""
    twin = build_twin("healthy")
    face = PowermonLvxFace(twin, bridge_protocol=Protocol.PI30)
    face.handle("solar/control/lvx6048/output_priority", "solar_utility_battery")
    assert all(inv.settings.output_priority is OutputPriority.SBU for inv in twin.inverters)
    assert "POP01" in twin.journal[-1].request
    assert twin.journal[-1].reason.startswith("NAK")


def test_foreign_topics_are_ignored() -> None:
    twin = build_twin("healthy")
    face = PowermonLvxFace(twin)
    assert face.handle("solar/control/other/output_priority", "solar_utility_battery") == []
    assert face.handle("solar/control/lvx6048/unknown", "1") == []
    assert twin.journal == []
