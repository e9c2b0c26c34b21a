"""Safety readings carry their own age (issue 11): a frozen cell voltage is stale telemetry.

Freshness used to be per device: a pack whose cell-voltage topic stopped (or sent only values
the profile refused) while its SoC kept arriving was judged on the frozen cell voltage. Now the
pre-flight and the live monitor name the reading: ``pack_3 cell_voltage_max: 312 s``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.model import SystemState
from custom_components.eg4.safety import (
    SAFETY_READINGS,
    Breach,
    BreachReason,
    Check,
    Limits,
    breaches,
    is_safety_reading,
    preflight,
    stale_readings,
)

from ..helpers import inv, pack
from .factory import HEALTHY, T0, bank, feed

TEMPERATURES = ("temperature_1", "temperature_2")
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


def soc_only(state: SystemState, until: float, step: float = 10.0, index: int = 3) -> None:
    """Pack ``index`` keeps sending its SoC (and every other source everything) until ``until``."""
    now = T0
    while now < until:
        now = min(now + step, until)
        for n in state.packs:
            if n == index:
                feed(state, now, pack(n), soc=61.0, voltage=53.4, current=0.0)
            else:
                feed(state, now, pack(n), **HEALTHY)
        for n in state.inverters:
            feed(state, now, inv(n), heartbeat=1.0)


def test_frozen_cell_voltage_is_a_stale_breach_while_the_soc_is_fresh() -> None:
    state = bank(6)
    soc_only(state, T0 + 312)
    assert state.packs[3].last_seen == T0 + 312  # the device itself is fresh
    found = breaches(state, now=T0 + 312)
    assert [(b.reason, b.source, b.value, b.limit) for b in found] == [
        (BreachReason.TELEMETRY_STALE, "pack_3 cell_voltage_max", "312 s", "180 s"),
        (BreachReason.TELEMETRY_STALE, "pack_3 cell_voltage_min", "312 s", "180 s"),
        (BreachReason.TELEMETRY_STALE, "pack_3 protection", "312 s", "180 s"),
        (BreachReason.TELEMETRY_STALE, "pack_3 temperature_1", "312 s", "180 s"),
        (BreachReason.TELEMETRY_STALE, "pack_3 temperature_2", "312 s", "180 s"),
    ]
    assert found[0].placeholders == {
        "source": "pack_3 cell_voltage_max",
        "value": "312 s",
        "limit": "180 s",
    }


def test_frozen_cell_voltage_refuses_the_preflight_naming_the_reading() -> None:
    state = bank(6)
    soc_only(state, T0 + 312)
    failures = preflight(state, now=T0 + 312)
    assert [f.check for f in failures] == [Check.TELEMETRY_STALE]
    placeholders = failures[0].placeholders
    assert placeholders["sources"] == "pack_3"
    assert placeholders["values"] == (
        "pack_3 cell_voltage_max: 312 s; pack_3 cell_voltage_min: 312 s; "
        "pack_3 protection: 312 s; pack_3 temperature_1: 312 s; pack_3 temperature_2: 312 s"
    )
    assert placeholders["limit"] == "180"


def test_only_the_silent_reading_is_named() -> None:
    state = bank(2)

    def everything_but_temperature_2(now: float) -> None:
        feed(state, now, pack(1), **HEALTHY)
        feed(state, now, pack(2), **{k: v for k, v in HEALTHY.items() if k != "temperature_2"})
        feed(state, now, inv(1), heartbeat=1.0)
        feed(state, now, inv(2), heartbeat=1.0)

    everything_but_temperature_2(T0 + 100)
    everything_but_temperature_2(T0 + 180)
    assert breaches(state, now=T0 + 180) == []  # at the bound: still fresh
    everything_but_temperature_2(T0 + 200)
    assert breaches(state, now=T0 + 200) == [
        Breach(BreachReason.TELEMETRY_STALE, "pack_2 temperature_2", "200 s", "180 s")
    ]


def test_a_device_silent_as_a_whole_is_named_once_not_per_reading() -> None:
    state = bank(2)
    feed(state, T0 + 300, pack(1), **HEALTHY)
    feed(state, T0 + 300, inv(1), heartbeat=1.0)
    feed(state, T0 + 300, inv(2), heartbeat=1.0)
    assert [(b.source, b.value) for b in breaches(state, now=T0 + 300)] == [("pack_2", "300 s")]


def test_a_reading_judged_stale_cannot_hide_a_cell_breach() -> None:
    """The last accepted cell voltage is over the limit and then freezes: both are reported."""
    state = bank(2)
    feed(state, T0 + 1, pack(2), cell_voltage_max=3.62)
    for now in (T0 + 120, T0 + 240):
        feed(state, now, pack(1), **HEALTHY)
        feed(state, now, pack(2), **{k: v for k, v in HEALTHY.items() if k != "cell_voltage_max"})
        feed(state, now, inv(1), heartbeat=1.0)
        feed(state, now, inv(2), heartbeat=1.0)
    assert [(b.reason, b.source) for b in breaches(state, now=T0 + 240)] == [
        (BreachReason.CELL_OVER_VOLTAGE, "pack_2"),
        (BreachReason.TELEMETRY_STALE, "pack_2 cell_voltage_max"),
    ]


def test_non_safety_readings_may_age() -> None:
    """A pack's cycle count or SoC going quiet is not a safety matter (drift handles SoC)."""
    state = bank(1, inverters=1, cycles=12.0)
    feed(state, T0 + 400, pack(1), **HEALTHY)
    feed(state, T0 + 400, inv(1), heartbeat=1.0)
    assert state.packs[1].reading_age("cycles", T0 + 400) == 400
    assert breaches(state, now=T0 + 400) == []
    assert preflight(state, now=T0 + 400) == []


def test_inverter_readings_are_not_safety_readings() -> None:
    state = bank(1, inverters=1)
    feed(state, T0, inv(1), temperature=40.0, battery_voltage=53.0)
    feed(state, T0 + 400, pack(1), **HEALTHY)
    feed(state, T0 + 400, inv(1), heartbeat=1.0)
    assert breaches(state, now=T0 + 400) == []


def test_which_readings_are_safety_readings() -> None:
    assert {"cell_voltage_max", "cell_voltage_min", "cell_voltage_delta", "protection"} <= set(
        SAFETY_READINGS
    )
    for key in ("temperature_1", "temperature_pcb", "temperature_cell_max", "temperature_max"):
        assert is_safety_reading(key)
    for key in ("soc", "voltage", "current", "cycles", "heartbeat", "cell_voltage_average"):
        assert not is_safety_reading(key)


def test_stale_readings_sorted_with_ages() -> None:
    state = bank(1, inverters=1)
    feed(state, T0 + 50, pack(1), temperature_1=20.0, cell_voltage_max=3.4)
    assert stale_readings(state.packs[1], T0 + 200, 180.0) == [
        ("cell_voltage_min", 200.0),
        ("protection", 200.0),
        ("temperature_2", 200.0),
    ]
    assert stale_readings(state.packs[1], T0 + 180, 180.0) == []


@pytest.mark.parametrize("stale_after_s", [30.0, 60.0, 179.0])
def test_the_callers_stricter_bound_applies_per_reading(stale_after_s: float) -> None:
    state = bank(1, inverters=1)
    feed(state, T0 + stale_after_s + 1, pack(1), soc=60.0)
    feed(state, T0 + stale_after_s + 1, inv(1), heartbeat=1.0)
    found = breaches(state, now=T0 + stale_after_s + 1, stale_after_s=stale_after_s)
    assert {b.source for b in found} == {
        f"pack_1 {key}"
        for key in ("cell_voltage_max", "cell_voltage_min", "protection", *TEMPERATURES)
    }


# ---- the interplay, exhaustively -------------------------------------------------------------

KEYS = ("soc", "cell_voltage_max", "cell_voltage_min", "temperature_1", "protection")
VALUES = {"soc": 60.0, "cell_voltage_max": 3.34, "cell_voltage_min": 3.33}
VALUES |= {"temperature_1": 25.0, "protection": ""}

events = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=400, allow_nan=False),  # seconds after the last event
        st.sampled_from(KEYS),
    ),
    max_size=25,
)


@PROPERTY
@given(
    events=events,
    wait=st.floats(min_value=0, max_value=800, allow_nan=False),
    bound=st.floats(min_value=5, max_value=600, allow_nan=False),
)
def test_stale_exactly_when_some_safety_reading_is_older_than_the_bound(
    events: list[tuple[float, str]], wait: float, bound: float
) -> None:
    """Model check: a stale breach names every safety reading older than the bound, no other.

    One pack and one inverter; the inverter reports at every event, the pack only the key
    drawn. Expected ages come from the events themselves, not from the model's stamps.
    """
    state = SystemState.empty(1, 1)
    now = T0
    feed(state, now, pack(1), **VALUES)
    feed(state, now, inv(1), heartbeat=1.0)
    last = dict.fromkeys(KEYS, now)
    for gap, key in events:
        now += gap
        feed(state, now, pack(1), **{key: VALUES[key]})
        feed(state, now, inv(1), heartbeat=1.0)
        last[key] = now
    now += wait
    limits = Limits(stale_after_s=bound)
    found = breaches(state, now=now, limits=limits)
    assert all(b.reason is BreachReason.TELEMETRY_STALE for b in found)
    device_age = now - max(last.values())
    inverter_age = device_age  # the inverter reported at every event
    expected: set[str] = set()
    if inverter_age > bound:
        expected.add("inverter_1")
    if device_age > bound:
        expected.add("pack_1")
    else:
        expected |= {
            f"pack_1 {key}" for key in KEYS if is_safety_reading(key) and now - last[key] > bound
        }
    assert {b.source for b in found} == expected
    # The pre-flight agrees with the monitor on what is stale.
    failures = [
        f for f in preflight(state, now=now, limits=limits) if f.check is Check.TELEMETRY_STALE
    ]
    named = (
        set()
        if not failures
        else {v.split(":")[0] for v in failures[0].placeholders["values"].split("; ")}
    )
    assert named == expected
