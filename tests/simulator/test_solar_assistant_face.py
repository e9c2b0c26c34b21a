"""Solar Assistant face: topics, one command per unit, Saved / Error responses."""

from __future__ import annotations

import pytest

from simulator import OutputPriority, SolarAssistantFace, build_twin
from simulator.faces import Message

from .helpers import as_dict

RESPONSE = "solar_assistant/set/response_message/state"
INVERTER_METRICS = {
    "device_mode", "battery_voltage", "battery_current", "pv_power", "pv_voltage", "load_power",
    "grid_voltage", "ac_output_voltage", "temperature", "output_source_priority",
    "charger_source_priority", "max_charge_current", "max_grid_charge_current",
    "back_to_battery_voltage", "to_grid_battery_voltage", "battery_float_charge_voltage",
    "battery_absorption_charge_voltage",
}  # fmt: skip
BATTERY_METRICS = {
    "state_of_charge", "voltage", "current", "power", "temperature", "cell_voltage_-_highest",
    "cell_voltage_-_lowest", "cell_voltage_-_average", "cycles",
}  # fmt: skip


def test_telemetry_topics_and_values() -> None:
    face = SolarAssistantFace(build_twin("drifted"))
    states = as_dict(face.telemetry())
    for n in (1, 2):
        for metric in INVERTER_METRICS:
            assert f"solar_assistant/inverter_{n}/{metric}/state" in states
    for m in range(1, 7):
        for metric in BATTERY_METRICS:
            assert f"solar_assistant/battery_{m}/{metric}/state" in states
    assert "solar_assistant/total/battery_state_of_charge/state" in states
    assert "solar_assistant/total/battery_power/state" in states
    assert states["solar_assistant/inverter_1/output_source_priority/state"] == (
        "Solar/Battery/Utility"
    )
    assert states["solar_assistant/inverter_1/charger_source_priority/state"] == "Solar first"
    assert states["solar_assistant/inverter_1/back_to_battery_voltage/state"] == "54.0"
    assert states["solar_assistant/inverter_1/to_grid_battery_voltage/state"] == "48.0"
    assert states["solar_assistant/inverter_1/battery_absorption_charge_voltage/state"] == "56.4"
    assert states["solar_assistant/inverter_1/device_mode/state"] == "Battery"
    assert states["solar_assistant/battery_6/state_of_charge/state"] == "76"
    assert float(states["solar_assistant/inverter_1/battery_current/state"]) < 0
    assert not any(m.retain for m in face.telemetry())
    assert face.command_subscriptions() == ["solar_assistant/+/+/set"]


def test_one_command_changes_one_unit() -> None:
    twin = build_twin("healthy")
    face = SolarAssistantFace(twin)
    reply = face.handle(
        "solar_assistant/inverter_1/output_source_priority/set", "Solar/Utility/Battery"
    )
    assert reply == [Message(RESPONSE, "Saved")]
    assert twin.inverter(1).settings.output_priority is OutputPriority.SUB
    assert twin.inverter(2).settings.output_priority is OutputPriority.SBU
    states = as_dict(face.telemetry())
    assert states["solar_assistant/inverter_1/output_source_priority/state"] == (
        "Solar/Utility/Battery"
    )
    assert states["solar_assistant/inverter_2/output_source_priority/state"] == (
        "Solar/Battery/Utility"
    )


@pytest.mark.parametrize(
    ("setting", "payload", "readback"),
    [
        ("charger_source_priority", "Solar and utility simultaneously", None),
        ("charger_source_priority", "Solar only", None),
        ("output_source_priority", "Utility first", None),
        ("max_charge_current", "60", "60"),
        ("max_grid_charge_current", "40", "40"),
        ("max_grid_charge_current", "2", "2"),
        ("back_to_battery_voltage", "52.5", "52.5"),
        ("to_grid_battery_voltage", "47.0", "47.0"),
        ("battery_absorption_charge_voltage", "54.0", "54.0"),
    ],
)
def test_saved(setting: str, payload: str, readback: str | None) -> None:
    twin = build_twin("healthy")
    face = SolarAssistantFace(twin)
    assert face.handle(f"solar_assistant/inverter_2/{setting}/set", payload) == [
        Message(RESPONSE, "Saved")
    ]
    states = as_dict(face.telemetry())
    assert states[f"solar_assistant/inverter_2/{setting}/state"] == (readback or payload)


@pytest.mark.parametrize(
    ("topic", "payload", "needle"),
    [
        ("inverter_1/back_to_battery_voltage/set", "54.5", "above float"),
        ("inverter_1/back_to_battery_voltage/set", "0", "0 (full)"),
        ("inverter_1/output_source_priority/set", "SBU", "Invalid value"),
        ("inverter_1/charger_source_priority/set", "solar_and_utility", "Invalid value"),
        ("inverter_1/max_charge_current/set", "65", "10..80"),
        ("inverter_1/max_charge_current/set", "lots", "Invalid value"),
        ("inverter_3/max_charge_current/set", "60", "Unknown inverter"),
        ("inverter_1/bogus_setting/set", "1", "Unknown setting"),
    ],
)
def test_errors(topic: str, payload: str, needle: str) -> None:
    twin = build_twin("healthy")
    face = SolarAssistantFace(twin)
    before = as_dict(face.telemetry())
    reply = face.handle(f"solar_assistant/{topic}", payload)
    assert len(reply) == 1
    assert reply[0].topic == RESPONSE
    assert reply[0].payload.startswith("Error: ")
    assert needle in reply[0].payload
    assert as_dict(face.telemetry()) == before


def test_foreign_topics_are_ignored() -> None:
    face = SolarAssistantFace(build_twin("healthy"))
    assert face.handle("other/inverter_1/max_charge_current/set", "60") == []
    assert face.handle("solar_assistant/inverter_1/max_charge_current/state", "60") == []
    assert face.handle("solar_assistant/battery_1/x/set", "60") == []


def test_custom_prefix() -> None:
    twin = build_twin("healthy", inverters=1, packs=2)
    face = SolarAssistantFace(twin, topic_prefix="sa")
    topics = {m.topic for m in face.telemetry()}
    assert "sa/inverter_1/device_mode/state" in topics
    assert "sa/battery_2/voltage/state" in topics
    assert not any("inverter_2" in t or "battery_3" in t for t in topics)
    assert face.handle("sa/inverter_1/max_charge_current/set", "70") == [
        Message("sa/set/response_message/state", "Saved")
    ]
