"""Pre-flight (safety.preflight): every refusal alone, and all of them together."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from custom_components.eg4.model import ChargerPriority, OutputPriority, SettingKey, SystemState
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.safety import Check, CheckFailure, Limits, preflight

from ..helpers import POWERMON_CONFIG, inv, pack
from .factory import T0, bank, field_drift_bank, update

LEVERS = (SettingKey.CHARGER_PRIORITY, SettingKey.OUTPUT_PRIORITY)
WRITABLE = build_profile(POWERMON_CONFIG).capabilities.writable


def run(state: SystemState, **kwargs: object) -> list[CheckFailure]:
    kwargs.setdefault("now", T0 + 10)
    return preflight(state, **kwargs)  # type: ignore[arg-type]


def test_healthy_bank_passes() -> None:
    assert run(bank(), required_settings=LEVERS) == []


def test_drift_alone_is_no_reason_to_refuse() -> None:
    """Drift is what a calibration fixes."""
    assert run(field_drift_bank(), required_settings=LEVERS) == []


def test_check_ids_are_stable() -> None:
    assert [c.value for c in Check] == [
        "run_active",
        "late_lever_on",
        "telemetry_stale",
        "telemetry_missing",
        "temperature_out_of_range",
        "protection_active",
        "cell_voltage_high",
        "cell_delta_high",
        "pack_voltage_imbalance",
        "settings_out_of_sync",
        "setting_unknown",
        "setting_not_restorable",
        "cold_derated",
    ]
    assert [c for c in Check if c is not Check.COLD_DERATED] == list(Check)[:-1]  # warnings last


def _stale_flag(state: SystemState) -> None:
    state.stale.add(pack(3))


def _stale_age(state: SystemState) -> None:
    state.packs[2].last_seen = T0 - 500


def _never_seen(state: SystemState) -> None:
    state.inverters[2].last_seen = None


def _missing_metric(state: SystemState) -> None:
    del state.packs[4].metrics["temperature_max"]
    del state.packs[4].metrics["cell_voltage_max"]


def _hot(state: SystemState) -> None:
    update(state, T0, temperature_2={2: 47.0})


def _cold(state: SystemState) -> None:
    update(state, T0, temperature_1={5: 3.0}, temperature_2={5: 2.5})


def _protection_flags(state: SystemState) -> None:
    update(state, T0, protection={6: "cell_over_voltage,over_current"})


def _protection_bool(state: SystemState) -> None:
    state.packs[1].metrics["protection"] = True


def _cell_high(state: SystemState) -> None:
    update(state, T0, cell_voltage_max={3: 3.62}, cell_voltage_min={3: 3.60})


def _cell_delta(state: SystemState) -> None:
    update(state, T0, cell_voltage_max={2: 3.402}, cell_voltage_min={2: 3.340})


def _imbalance(state: SystemState) -> None:
    update(state, T0, voltage={6: 51.5})


def _out_of_sync(state: SystemState) -> None:
    state.inverters[2].settings[SettingKey.CHARGER_PRIORITY] = ChargerPriority.SOLAR_AND_UTILITY


def _unknown_setting(state: SystemState) -> None:
    del state.inverters[1].settings[SettingKey.OUTPUT_PRIORITY]


CASES: list[tuple[str, Callable[[SystemState], None], Check, dict[str, str]]] = [
    ("stale_flag", _stale_flag, Check.TELEMETRY_STALE, {"sources": "pack_3", "limit": "180"}),
    ("stale_age", _stale_age, Check.TELEMETRY_STALE, {"values": "pack_2: 510 s"}),
    ("never_seen", _never_seen, Check.TELEMETRY_STALE, {"values": "inverter_2: never"}),
    (
        "missing",
        _missing_metric,
        Check.TELEMETRY_MISSING,
        {"sources": "pack_4", "values": "pack_4: cell_voltage_max, temperature_max"},
    ),
    (
        "hot",
        _hot,
        Check.TEMPERATURE_OUT_OF_RANGE,
        {"sources": "pack_2", "values": "pack_2: 47 °C", "minimum": "5", "maximum": "45"},
    ),
    ("cold", _cold, Check.TEMPERATURE_OUT_OF_RANGE, {"values": "pack_5: 2.5 °C"}),
    (
        "protection_flags",
        _protection_flags,
        Check.PROTECTION_ACTIVE,
        {"sources": "pack_6", "values": "pack_6: cell_over_voltage+over_current"},
    ),
    (
        "protection_bool",
        _protection_bool,
        Check.PROTECTION_ACTIVE,
        {"values": "pack_1: protection"},
    ),
    (
        "cell_high",
        _cell_high,
        Check.CELL_VOLTAGE_HIGH,
        {"sources": "pack_3", "values": "pack_3: 3.62 V", "limit": "3.6"},
    ),
    (
        "cell_delta",
        _cell_delta,
        Check.CELL_DELTA_HIGH,
        {"sources": "pack_2", "values": "pack_2: 62 mV", "limit": "50"},
    ),
    (
        "imbalance",
        _imbalance,
        Check.PACK_VOLTAGE_IMBALANCE,
        {"spread": "1.90", "limit": "0.1"},
    ),
    (
        "out_of_sync",
        _out_of_sync,
        Check.SETTINGS_OUT_OF_SYNC,
        {
            "settings": "charger_priority",
            "values": "charger_priority: inverter_1 solar_first, inverter_2 solar_and_utility",
        },
    ),
    (
        "unknown_setting",
        _unknown_setting,
        Check.SETTING_UNKNOWN,
        {"settings": "output_priority", "values": "output_priority: inverter_1"},
    ),
]


@pytest.mark.parametrize(("name", "spoil", "check", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_refusal_alone(
    name: str,
    spoil: Callable[[SystemState], None],
    check: Check,
    expected: dict[str, str],
) -> None:
    state = bank()
    spoil(state)
    failures = run(state, required_settings=LEVERS)
    assert [f.check for f in failures] == [check], name
    placeholders = failures[0].placeholders
    for key, value in expected.items():
        assert placeholders[key] == value
    assert all(isinstance(v, str) for v in placeholders.values())


def test_run_active_alone() -> None:
    failures = run(bank(), run_active=True)
    assert failures == [CheckFailure(Check.RUN_ACTIVE)]


def test_a_late_lever_still_on_refuses_and_is_named() -> None:
    late = ["inverter 1 charger_priority", "inverter 2 charger_priority"]
    failures = run(bank(), late_levers=iter(late), run_active=True)
    assert failures == [
        CheckFailure(Check.RUN_ACTIVE),
        CheckFailure(
            Check.LATE_LEVER_ON,
            {"settings": "inverter 1 charger_priority, inverter 2 charger_priority"},
        ),
    ]
    assert failures[1].blocks
    assert run(bank(), late_levers=[]) == []


def test_imbalance_lists_every_pack_voltage() -> None:
    state = bank(3)
    update(state, T0, voltage=[53.4, 53.42, 51.5])
    (failure,) = run(state)
    assert failure.placeholders["values"] == "pack_1: 53.4 V; pack_2: 53.42 V; pack_3: 51.5 V"
    assert failure.placeholders["sources"] == "pack_1, pack_2, pack_3"


def test_every_refusal_at_once_in_a_stable_order() -> None:
    state = bank()
    for _, spoil, _, _ in CASES[3:]:
        spoil(state)
    update(state, T0, temperature_1={1: 12.0}, temperature_2={1: 12.0})  # cold, not refused
    for _, spoil, _, _ in CASES[:3]:  # readings revive stale sources: last
        spoil(state)
    state.inverters[2].settings[SettingKey.OUTPUT_PRIORITY] = OutputPriority.USB
    late = ["inverter 1 charger_priority"]
    failures = run(
        state,
        run_active=True,
        late_levers=late,
        required_settings=LEVERS,
        writable=WRITABLE,
        warnings=True,
    )
    assert [f.check for f in failures] == list(Check)
    assert [f.blocks for f in failures] == [True] * (len(Check) - 1) + [False]
    stale = failures[2].placeholders
    assert stale["sources"] == "inverter_2, pack_2, pack_3"
    assert failures[-1].placeholders["sources"] == "pack_1"
    assert run(state, run_active=True, late_levers=late, required_settings=LEVERS) == [
        f for f in failures if f.blocks and f.check is not Check.SETTING_NOT_RESTORABLE
    ]


def test_several_sources_in_one_failure() -> None:
    state = bank()
    update(state, T0, temperature_1={1: 46.0, 4: 4.0})
    (failure,) = run(state)
    assert failure.check is Check.TEMPERATURE_OUT_OF_RANGE
    assert failure.placeholders["sources"] == "pack_1, pack_4"
    assert failure.placeholders["values"] == "pack_1: 46 °C; pack_4: 4 °C"


@pytest.mark.parametrize(
    ("temperature", "ok"), [(5.0, True), (45.0, True), (4.9, False), (45.1, False)]
)
def test_temperature_window_edges(temperature: float, ok: bool) -> None:
    state = bank(temperature_1=temperature, temperature_2=temperature)
    assert (run(state) == []) is ok


@pytest.mark.parametrize(("cell", "ok"), [(3.60, True), (3.601, False)])
def test_cell_voltage_edge(cell: float, ok: bool) -> None:
    """At the abort limit is allowed (the live monitor aborts only above it)."""
    state = bank(cell_voltage_max=cell, cell_voltage_min=cell - 0.01)
    assert [f.check for f in run(state)] == ([] if ok else [Check.CELL_VOLTAGE_HIGH])


@pytest.mark.parametrize(
    ("voltages", "ok"),
    [
        # 50.4 - 50.3 is 0.10000000000000142 in floats: still the 0.1 V that agrees.
        ([50.3, 50.4], True),
        ([50.3, 50.41], False),
    ],
)
def test_pack_voltage_spread_edge(voltages: list[float], ok: bool) -> None:
    state = bank(2)
    update(state, T0, voltage=voltages)
    assert [f.check for f in run(state)] == ([] if ok else [Check.PACK_VOLTAGE_IMBALANCE])


@pytest.mark.parametrize(("delta_mv", "ok"), [(50.0, True), (50.5, False)])
def test_cell_delta_edge(delta_mv: float, ok: bool) -> None:
    state = bank(cell_voltage_delta=delta_mv)
    assert (run(state) == []) is ok


def test_stricter_user_limits_apply() -> None:
    state = bank(temperature_1=38.0, cell_voltage_max=3.36, cell_voltage_min=3.33)
    limits = Limits(charge_temperature_max=35.0, cell_delta_max_mv=20.0)
    assert [f.check for f in run(state, limits=limits)] == [
        Check.TEMPERATURE_OUT_OF_RANGE,
        Check.CELL_DELTA_HIGH,
    ]


def test_stale_bound_is_the_stricter_of_limits_and_option() -> None:
    state = bank()
    now = T0 + 100
    assert run(state, now=now) == []
    assert [f.check for f in run(state, now=now, stale_after_s=60)] == [Check.TELEMETRY_STALE]
    assert run(state, now=now, stale_after_s=3600) == []


def test_no_packs_is_missing_telemetry() -> None:
    state = SystemState.empty(1, 0)
    state.inverters[1].last_seen = T0
    (failure,) = run(state)
    assert failure == CheckFailure(Check.TELEMETRY_MISSING, {"sources": "packs", "values": "none"})


def test_unknown_setting_lists_each_unit_and_setting() -> None:
    state = bank()
    for inverter in state.inverters.values():
        inverter.settings.clear()
    (failure,) = run(state, required_settings=[*LEVERS, SettingKey.CHARGER_PRIORITY])
    assert failure.check is Check.SETTING_UNKNOWN
    assert failure.placeholders["settings"] == "charger_priority, output_priority"
    assert failure.placeholders["values"] == (
        "charger_priority: inverter_1; charger_priority: inverter_2; "
        "output_priority: inverter_1; output_priority: inverter_2"
    )


def test_no_inverters_with_required_settings() -> None:
    state = bank(inverters=0)
    (failure,) = run(state, required_settings=LEVERS)
    assert failure.check is Check.SETTING_UNKNOWN


def test_out_of_sync_numbers_and_options() -> None:
    state = bank()
    state.inverters[1].settings[SettingKey.OUTPUT_PRIORITY] = OutputPriority.SUB
    state.inverters[2].settings[SettingKey.BULK_VOLTAGE] = 56.0
    (failure,) = run(state)
    assert failure.placeholders["settings"] == "output_priority, bulk_voltage"
    assert "bulk_voltage: inverter_1 56.4, inverter_2 56" in failure.placeholders["values"]


def test_inverter_seen_recently_but_marked_stale() -> None:
    state = bank()
    state.stale.add(inv(1))
    (failure,) = run(state)
    assert failure.placeholders["values"] == "inverter_1: 10 s"
