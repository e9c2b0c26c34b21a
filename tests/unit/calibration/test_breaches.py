"""The live monitor (safety.breaches): each breach, its edges, and its cost."""

from __future__ import annotations

import pytest

from custom_components.eg4.model import SystemState
from custom_components.eg4.safety import Breach, BreachReason, Limits, breaches

from ..helpers import inv, pack
from .factory import T0, bank, update

NOW = T0 + 5


def test_healthy_bank_has_no_breach() -> None:
    assert breaches(bank(), now=NOW, limits=Limits()) == []


def test_reason_ids_are_stable() -> None:
    assert [r.value for r in BreachReason] == [
        "cell_over_voltage",
        "over_temperature",
        "under_temperature",
        "protection",
        "telemetry_stale",
    ]


@pytest.mark.parametrize(("cell", "breach"), [(3.60, False), (3.601, True), (3.65, True)])
def test_cell_over_voltage(cell: float, breach: bool) -> None:
    state = bank()
    update(state, T0, cell_voltage_max={4: cell})
    found = breaches(state, now=NOW)
    if breach:
        assert found == [Breach(BreachReason.CELL_OVER_VOLTAGE, "pack_4", f"{cell:g} V", "3.6 V")]
        assert found[0].placeholders == {
            "source": "pack_4",
            "value": f"{cell:g} V",
            "limit": "3.6 V",
        }
    else:
        assert found == []


@pytest.mark.parametrize(
    ("key", "value", "breach"),
    [
        ("temperature_1", 45.0, False),
        ("temperature_1", 45.5, True),
        ("temperature_pcb", 46.0, True),  # any pack temperature counts
        ("temperature_cell_max", 52.0, True),
    ],
)
def test_over_temperature(key: str, value: float, breach: bool) -> None:
    state = bank()
    update(state, T0, **{key: {2: value}})
    found = breaches(state, now=NOW)
    assert [b.reason for b in found] == ([BreachReason.OVER_TEMPERATURE] if breach else [])
    if breach:
        assert found[0].value == f"{value:g} °C"


@pytest.mark.parametrize(("value", "breach"), [(0.0, False), (-0.1, True), (-0.5, True)])
def test_under_temperature(value: float, breach: bool) -> None:
    """Below 0 °C aborts; exactly 0 °C does not (the README: 'below 0 °C')."""
    state = bank()
    update(state, T0, temperature_2={1: value})
    expected = Breach(BreachReason.UNDER_TEMPERATURE, "pack_1", f"{value:g} °C", "0 °C")
    assert breaches(state, now=NOW) == ([expected] if breach else [])


def test_protection() -> None:
    state = bank()
    update(state, T0, protection={5: "charge_over_current"})
    assert breaches(state, now=NOW) == [
        Breach(BreachReason.PROTECTION, "pack_5", "charge_over_current", "none")
    ]
    update(state, T0, protection={5: ""})
    assert breaches(state, now=NOW) == []


def test_stale_by_flag_age_and_never() -> None:
    state = bank(3)
    state.stale.add(pack(1))
    state.packs[2].last_seen = NOW - 181
    state.inverters[2].last_seen = None
    found = breaches(state, now=NOW)
    assert [(b.reason, b.source, b.value) for b in found] == [
        (BreachReason.TELEMETRY_STALE, "inverter_2", "never"),
        (BreachReason.TELEMETRY_STALE, "pack_1", "5 s"),
        (BreachReason.TELEMETRY_STALE, "pack_2", "181 s"),
    ]
    assert found[0].limit == "180 s"


def test_stale_edge_and_option_bound() -> None:
    state = bank()
    assert breaches(state, now=T0 + 180) == []
    assert breaches(state, now=T0 + 180.5) != []
    assert breaches(state, now=T0 + 61, stale_after_s=60) != []
    assert breaches(state, now=T0 + 61, stale_after_s=6000) == []
    state.stale.add(inv(1))
    assert [b.source for b in breaches(state, now=T0)] == ["inverter_1"]


def test_stricter_limits() -> None:
    state = bank(cell_voltage_max=3.56, cell_voltage_min=3.52, temperature_1=41.0)
    assert breaches(state, now=NOW) == []
    limits = Limits(cell_voltage_max=3.55, temperature_max=40.0)
    assert [b.reason for b in breaches(state, now=NOW, limits=limits)] == [
        BreachReason.CELL_OVER_VOLTAGE
    ] * 6 + [BreachReason.OVER_TEMPERATURE] * 6


def test_most_urgent_first_then_source_order() -> None:
    state = bank(3)
    update(state, T0, protection={1: "x"}, temperature_1={3: 47.0}, cell_voltage_max={2: 3.61})
    state.stale.add(pack(1))
    found = breaches(state, now=NOW)
    assert [(b.reason, b.source) for b in found] == [
        (BreachReason.CELL_OVER_VOLTAGE, "pack_2"),
        (BreachReason.OVER_TEMPERATURE, "pack_3"),
        (BreachReason.PROTECTION, "pack_1"),
        (BreachReason.TELEMETRY_STALE, "pack_1"),
    ]


def test_missing_readings_are_not_breaches() -> None:
    state = SystemState.empty(1, 1)
    state.inverters[1].last_seen = T0
    state.packs[1].last_seen = T0
    assert breaches(state, now=NOW) == []
