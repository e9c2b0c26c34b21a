"""Property-based: arbitrary payloads on every subscribed topic never raise or show garbage."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.profiles.powermon_lvx import INVERTER_KEYS, PACK_KEYS
from custom_components.eg4.profiles.solar_assistant import BATTERY_METRICS, INVERTER_METRICS

from .conftest import fire, load_messages

POWERMON_TOPICS = [
    f"homeassistant/sensor/lvx6048_{n}_{key}/state" for n in (1, 2, 3) for key in INVERTER_KEYS
] + [
    f"homeassistant/sensor/lifepower4_{n}_{key}/state"
    for n in (1, 6, 7)
    for key in [*PACK_KEYS, "protection", "temperature_1", "temperature_pcb", "temperature_x9"]
]
SA_TOPICS = (
    [f"solar_assistant/inverter_{n}/{key}/state" for n in (1, 2, 3) for key in INVERTER_METRICS]
    + [f"solar_assistant/battery_{n}/{key}/state" for n in (1, 6, 7) for key in BATTERY_METRICS]
    + ["solar_assistant/set/response_message/state"]
)

NASTY = st.sampled_from(
    [
        "",
        " ",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e308",
        "-1e308",
        "1e-320",
        "9" * 400,
        "0x10",
        "1_000",
        "３",  # noqa: RUF001 - a full-width digit that float() accepts
        "53.4\x00",
        "None",
        "null",
        "true",
        "[]",
        "{}",
        "-0",
        "101",
        "-5",
        "3.7e1",
        "Solar - Battery - Utility" * 10,
        "cell_over_voltage," * 20,
        b"\xed\xa0\x80",  # invalid UTF-8 on the wire
        b"\xff\xfe53.4",
    ]
)
PAYLOADS = st.one_of(
    NASTY,
    st.text(max_size=80),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.binary(max_size=40),
)
SENTINELS = {"unknown", "unavailable"}


def check_states(hass: HomeAssistant) -> None:
    """Every eg4 entity shows a sentinel or a well-formed value."""
    for state in hass.states.async_all():
        if not state.entity_id.split(".")[1].startswith("eg4_"):
            continue
        value = state.state
        if value in SENTINELS:
            continue
        domain = state.domain
        attrs: dict[str, Any] = dict(state.attributes)
        if domain == "binary_sensor":
            assert value in {"on", "off"}, (state.entity_id, value)
        elif domain == "select" or attrs.get("device_class") == "enum":
            assert value in attrs["options"], (state.entity_id, value)
        elif domain in {"sensor", "number"}:
            number = float(value)
            assert math.isfinite(number), (state.entity_id, value)
            assert abs(number) <= 100_000, (state.entity_id, value)
            if attrs.get("unit_of_measurement") == "%":
                assert 0 <= number <= 300, (state.entity_id, value)
            if attrs.get("device_class") == "temperature":
                assert -50 <= number <= 150, (state.entity_id, value)


async def test_arbitrary_payloads_powermon(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, powermon_loaded: MockConfigEntry
) -> None:
    """Random and hostile payloads on every powermon topic."""
    await _fuzz(hass, caplog, powermon_loaded, POWERMON_TOPICS, "powermon_lvx.json")


async def test_arbitrary_payloads_solar_assistant(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, solar_assistant_loaded: MockConfigEntry
) -> None:
    """Random and hostile payloads on every Solar Assistant topic."""
    await _fuzz(hass, caplog, solar_assistant_loaded, SA_TOPICS, "solar_assistant.json")


async def _fuzz(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    entry: MockConfigEntry,
    topics: list[str],
    messages: str,
) -> None:
    """No error is logged, no garbage is shown, genuine telemetry recovers the entities."""
    coordinator = entry.runtime_data.coordinator
    caplog.set_level(logging.ERROR)

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(batch=st.lists(st.tuples(st.sampled_from(topics), PAYLOADS), min_size=1, max_size=8))
    def feed(batch: list[tuple[str, str | bytes]]) -> None:
        for topic, payload in batch:
            async_fire_mqtt_message(hass, topic, payload)
        check_states(hass)

    # Message delivery is synchronous (callbacks), so hypothesis can drive it directly.
    feed()
    await hass.async_block_till_done()
    check_states(hass)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert sum(coordinator.rejected.values()) > 0  # garbage was seen and counted

    # After all that, genuine telemetry is shown again.
    fire(hass, load_messages(messages))
    await hass.async_block_till_done()
    check_states(hass)
