"""Property-based: arbitrary payloads and portal answers never raise or show garbage.

MQTT (powermon, Solar Assistant, lxp-bridge): random and hostile payloads on every subscribed
topic, up to and beyond the size caps. The cloud: portal answers with hostile fields (integers
beyond a float's range or ``str()``'s digit limit, NaN, wrong types, nesting), unreadable and
oversized bodies. Nothing escapes a message handler or a poll (no error is logged but the
coordinator's own "error fetching" for a failed poll), what was refused is counted, and genuine
data recovers the entities.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import UpdateFailed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.cloud.wire import MAX_BODY_BYTES
from custom_components.eg4.const import DOMAIN
from custom_components.eg4.profiles.base import ENERGY
from custom_components.eg4.profiles.lxp_bridge import INPUT_KEYS, MAX_JSON
from custom_components.eg4.profiles.powermon_lvx import INVERTER_KEYS, PACK_KEYS
from custom_components.eg4.profiles.solar_assistant import BATTERY_METRICS, INVERTER_METRICS
from simulator import build_twin
from simulator import cloud_payloads as bodies
from simulator.cloud_api import CloudApiServer

from .conftest import fire, load_messages, setup_entry

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
        elif domain == "time":
            assert dt.time.fromisoformat(value).second == 0, (state.entity_id, value)
        elif state.entity_id.endswith("_firmware_version"):  # the device's own words
            assert 0 < len(value) <= 32, (state.entity_id, value)
            assert value.isprintable(), (state.entity_id, value)
            assert value == value.strip(), (state.entity_id, value)
        elif domain == "select" or attrs.get("device_class") == "enum":
            assert value in attrs["options"], (state.entity_id, value)
        elif domain in {"sensor", "number"}:
            number = float(value)
            assert math.isfinite(number), (state.entity_id, value)
            # A lifetime energy counter may be as large as the profiles' ENERGY bound allows.
            limit = ENERGY.high if attrs.get("device_class") == "energy" else 100_000
            assert abs(number) <= limit, (state.entity_id, value)
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


# ---- lxp-bridge ----------------------------------------------------------------------------

DATALOGS = ("BA12345678", "BA87654321")
LXP_INPUTS = {
    "v_bat": 53.1,
    "soc": 87,
    "p_pv": 4120,
    "p_inv": 1450,
    "v_ac_r": 241.2,
    "t_inner": 38,
    "bat_current": 34.4,
    "max_cell_voltage": 3.342,
    "min_cell_voltage": 3.331,
    "max_cell_temp": 26.0,
    "min_cell_temp": 23.0,
}
LXP_TOPICS = [
    *(f"lxp/{d}/inputs/all" for d in (*DATALOGS, "BA00000000")),
    *(f"lxp/{d}/hold/{r}" for d in DATALOGS for r in (21, 67, 101, 102, 999, "x")),
    *(f"lxp/result/{d}/set/hold/101" for d in DATALOGS),
    "lxp/BA12345678/inputs/all/extra",
]
# Values no JSON number from a bridge should ever hold, and the ones just past the caps.
HOSTILE_VALUES = st.one_of(
    st.sampled_from([309, 400, 4299]).map(lambda exponent: 10**exponent),
    st.sampled_from([309, 400]).map(lambda exponent: -(10**exponent)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([None, True, "53.4", "", [], {}, [[[1]]], {"v": 1}]),
)
LXP_JSON = st.dictionaries(st.sampled_from(list(INPUT_KEYS)), HOSTILE_VALUES, max_size=6).map(
    lambda fields: json.dumps({**LXP_INPUTS, **fields})
)
LXP_EXPLICIT = [
    "[" * 4000 + "]" * 4000,  # nesting deeper than the JSON parser's stack
    "[" * (MAX_JSON // 2) + "]" * (MAX_JSON // 2),  # exactly the cap
    json.dumps({"v_bat": "x" * MAX_JSON}),  # just beyond the cap
    '{"soc": 1' + "0" * 5000 + "}",  # beyond str()'s digit limit
    json.dumps({**LXP_INPUTS, "p_inv": 10**400, "bat_current": -(10**309)}),  # beyond a float
    '{"v_bat": NaN, "soc": Infinity}',
    "65535",
    "65536",
    "37845",
    "99999",
]
LXP_PAYLOADS = st.one_of(
    LXP_JSON,
    NASTY,
    st.sampled_from(LXP_EXPLICIT),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
)


@pytest.fixture
async def lxp_bridge_loaded(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> MockConfigEntry:
    """An lxp-bridge entry for two datalogs, fed genuine inputs and read-backs."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 via lxp-bridge (lxp)",
        data={
            "transport": "mqtt",
            "profile": "lxp_bridge",
            "topic_prefix": "lxp",
            "datalogs": list(DATALOGS),
            "inverter_count": 2,
            "pack_count": 2,
        },
        unique_id="lxp_bridge:lxp:" + ",".join(DATALOGS),
    )
    await setup_entry(hass, entry)
    fire(hass, LXP_GENUINE)
    await hass.async_block_till_done()
    return entry


LXP_GENUINE = [
    *((f"lxp/{d}/inputs/all", json.dumps(LXP_INPUTS)) for d in DATALOGS),
    *((f"lxp/{d}/hold/{r}", v) for d in DATALOGS for r, v in ((101, "100"), (67, "90"))),
]


async def test_arbitrary_payloads_lxp_bridge(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, lxp_bridge_loaded: MockConfigEntry
) -> None:
    """Hostile JSON fields, huge integers, deep nesting and payloads at and past the cap."""
    coordinator = lxp_bridge_loaded.runtime_data.coordinator
    caplog.set_level(logging.ERROR)

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        batch=st.lists(st.tuples(st.sampled_from(LXP_TOPICS), LXP_PAYLOADS), min_size=1, max_size=6)
    )
    def feed(batch: list[tuple[str, str]]) -> None:
        for topic, payload in batch:
            async_fire_mqtt_message(hass, topic, payload)
        check_states(hass)

    feed()
    # The hostile cases once more, every one, whatever the search drew.
    for payload in LXP_EXPLICIT:
        for topic in ("lxp/BA12345678/inputs/all", "lxp/BA12345678/hold/67"):
            async_fire_mqtt_message(hass, topic, payload)
    await hass.async_block_till_done()
    check_states(hass)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert coordinator.rejected["inverter:inputs"] > 0
    assert coordinator.rejected["inverter:hold_67"] > 0

    fire(hass, LXP_GENUINE)
    await hass.async_block_till_done()
    check_states(hass)
    assert hass.states.get("sensor.eg4_via_lxp_bridge_lxp_battery_2_state_of_charge").state == (
        "87.0"
    )


# ---- the cloud -----------------------------------------------------------------------------

CLOUD_USER = "fuzz@example.com"
CLOUD_PASSWORD = "fuzzing is fun"  # noqa: S105 - test credentials
RUNTIME = "/WManage/api/inverter/getInverterRuntime"
BATTERY = "/WManage/api/battery/getBatteryInfo"


_TWIN_BODY = bodies.runtime(build_twin("drifted", inverters=1, packs=1, seed=0), 1, "4500000001")
RUNTIME_KEYS = sorted(_TWIN_BODY)
PACK_KEYS_CLOUD = sorted(
    bodies.battery(build_twin("drifted", inverters=1, packs=1, seed=0), "x", with_packs=True)[
        "batteryArray"
    ][0]
)


def _json_text(value: Any) -> str:
    """JSON text of ``value``, NaN and integers of any length included."""
    try:
        return json.dumps(value)
    except ValueError:  # an integer too long for str(): spell one out
        return "1" + "0" * 5000


def _body_text(base: dict[str, Any], hostile: dict[str, Any]) -> str:
    fields = {**base, **hostile}
    return "{" + ", ".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in fields.items()) + "}"


@pytest.fixture
async def cloud_loaded(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncIterator[tuple[MockConfigEntry, CloudApiServer]]:
    """A cloud entry against the simulated portal (one inverter, four packs)."""
    twin = build_twin("drifted", inverters=1, packs=4, seed=0)
    portal = CloudApiServer(twin, username=CLOUD_USER, password=CLOUD_PASSWORD)
    await portal.start()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 fuzzed station",
        data={
            "transport": "cloud",
            "server": portal.base_url,
            "username": CLOUD_USER,
            "password": CLOUD_PASSWORD,
            "plant_id": portal.plant_id,
        },
        options={"scan_interval": 60},
        unique_id=f"cloud:{portal.base_url}:{portal.plant_id}",
    )
    await setup_entry(hass, entry)
    yield entry, portal
    await hass.config_entries.async_unload(entry.entry_id)
    await portal.stop()


def _serve(
    monkeypatch: pytest.MonkeyPatch, portal: CloudApiServer, answers: dict[str, bytes]
) -> None:
    """Answer these paths with exactly these bodies (the session check still applies)."""

    def injected(path: str) -> web.Response | None:
        body = answers.get(path)
        return None if body is None else web.Response(body=body, content_type="application/json")

    monkeypatch.setattr(portal, "_injected", injected)


def _unexpected(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Errors other than the coordinator's own line for a failed poll (no traceback)."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR
        and (r.exc_info is not None or not r.getMessage().startswith("Error fetching"))
    ]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    runtime_fields=st.dictionaries(st.sampled_from(RUNTIME_KEYS), HOSTILE_VALUES, max_size=6),
    pack_fields=st.dictionaries(st.sampled_from(PACK_KEYS_CLOUD), HOSTILE_VALUES, max_size=6),
    battery_fields=st.dictionaries(
        st.sampled_from(["currentText", "currentType", "batPower", "batteryArray", "lost"]),
        HOSTILE_VALUES,
        max_size=3,
    ),
)
async def test_arbitrary_portal_answers(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    cloud_loaded: tuple[MockConfigEntry, CloudApiServer],
    monkeypatch: pytest.MonkeyPatch,
    runtime_fields: dict[str, Any],
    pack_fields: dict[str, Any],
    battery_fields: dict[str, Any],
) -> None:
    """Hostile fields in the runtime and battery answers: a poll fails cleanly or shows sense."""
    entry, portal = cloud_loaded
    coordinator = entry.runtime_data.coordinator
    caplog.set_level(logging.ERROR)
    runtime = bodies.runtime(portal.twin, 1, portal.serials[0])
    battery = bodies.battery(portal.twin, portal.serials[0], with_packs=True)
    packs = [{**battery["batteryArray"][0], **pack_fields}, *battery["batteryArray"][1:]]
    answers = {
        RUNTIME: _body_text(runtime, runtime_fields).encode(),
        BATTERY: _body_text({**battery, "batteryArray": packs}, battery_fields).encode(),
    }
    _serve(monkeypatch, portal, answers)
    await coordinator.async_refresh()
    assert coordinator.last_exception is None or isinstance(
        coordinator.last_exception, UpdateFailed
    )
    check_states(hass)
    assert _unexpected(caplog) == []
    assert entry.state is ConfigEntryState.LOADED


async def test_unreadable_portal_answers_are_counted_and_recovered(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    cloud_loaded: tuple[MockConfigEntry, CloudApiServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nested too deep, past the size cap, integers past the limits, a page, nothing."""
    entry, portal = cloud_loaded
    coordinator = entry.runtime_data.coordinator
    caplog.set_level(logging.ERROR)
    runtime = bodies.runtime(portal.twin, 1, portal.serials[0])
    for body in (
        b"[" * 100_000,
        b'{"success": true, "pad": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}',
        _body_text(runtime, {"soc": 10**5000, "vBat": 10**400, "ppv": float("nan")}).encode(),
        b"<html>maintenance</html>",
        b"",
    ):
        _serve(monkeypatch, portal, {RUNTIME: body, BATTERY: body})
        await coordinator.async_refresh()
        assert coordinator.last_exception is None or isinstance(
            coordinator.last_exception, UpdateFailed
        ), body[:20]
        check_states(hass)
    assert coordinator.rejected["inverter:bad_response"] >= 2  # the deep and the oversized
    assert entry.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert _unexpected(caplog) == []

    monkeypatch.undo()  # genuine answers again
    portal.expire_sessions()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    check_states(hass)
    assert hass.states.get("sensor.eg4_fuzzed_station_battery_1_state_of_charge") is not None
