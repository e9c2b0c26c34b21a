"""Applying decoded readings to the SystemState, and staleness (ingest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.ingest import (
    DERIVED_TEMPERATURE,
    PROTECTION,
    Change,
    apply_readings,
    mark_stale,
)
from custom_components.eg4.model import (
    OutputPriority,
    SettingKey,
    SourceId,
    SystemState,
)
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.transport.base import Decoded, Reading

from .helpers import POWERMON_CONFIG, SA_CONFIG, inv, pack, reading

INV1, INV2, PACK1, PACK2 = inv(1), inv(2), pack(1), pack(2)


@pytest.fixture
def state() -> SystemState:
    return SystemState.empty(2, 2)


def test_change_truthiness() -> None:
    assert not Change()
    assert Change(keys={(INV1, "x")})
    assert Change(revived={INV1})
    assert Change(keys={(INV1, "x")}, revived={INV1})


def test_constants() -> None:
    assert DERIVED_TEMPERATURE == "temperature_max"
    assert PROTECTION == "protection"


# ---- metrics and freshness ---------------------------------------------------------------


def test_first_reading_revives_the_source_and_reports_the_key(state: SystemState) -> None:
    change = apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=10.0)
    assert change.keys == {(INV1, "battery_voltage")}
    assert change.revived == {INV1}
    assert change
    assert state.inverters[1].metrics == {"battery_voltage": 53.4}
    assert state.inverters[1].last_seen == 10.0
    assert state.is_fresh(INV1)
    assert not state.is_fresh(INV2)


def test_repeated_value_changes_nothing_but_refreshes_last_seen(state: SystemState) -> None:
    apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=10.0)
    change = apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=20.0)
    assert change.keys == set()
    assert change.revived == set()
    assert not change
    assert state.inverters[1].last_seen == 20.0


def test_changes_of_later_messages_do_not_leak_into_an_unchanged_result(
    state: SystemState,
) -> None:
    """The result of a message that changed nothing is shared: nothing may write into it."""
    apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=10.0)
    quiet = apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=11.0)
    moved = apply_readings(state, [reading(INV1, "battery_voltage", 53.6)], now=12.0)
    again = apply_readings(state, [reading(INV1, "battery_voltage", 53.6)], now=13.0)
    assert moved.keys == {(INV1, "battery_voltage")}
    assert moved is not quiet
    assert (quiet.keys, quiet.revived, quiet.crossed) == (set(), set(), set())
    assert not again


def test_a_reported_delta_equal_to_the_derived_one_still_wins_from_then_on(
    state: SystemState,
) -> None:
    """The BMS's own delta takes over even when its first figure matches max - min."""
    apply_readings(state, [reading(PACK1, "cell_voltage_max", 3.40)], now=1.0)
    apply_readings(state, [reading(PACK1, "cell_voltage_min", 3.38)], now=1.0)
    assert state.packs[1].metrics["cell_voltage_delta"] == 20.0
    apply_readings(state, [reading(PACK1, "cell_voltage_delta", 20.0)], now=2.0)
    apply_readings(state, [reading(PACK1, "cell_voltage_max", 3.45)], now=3.0)
    assert state.packs[1].metrics["cell_voltage_delta"] == 20.0


def test_new_value_is_reported_without_revival(state: SystemState) -> None:
    apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=10.0)
    change = apply_readings(state, [reading(INV1, "battery_voltage", 53.5)], now=11.0)
    assert change.keys == {(INV1, "battery_voltage")}
    assert change.revived == set()
    assert state.inverters[1].metrics["battery_voltage"] == 53.5


@pytest.mark.parametrize(
    ("key", "first", "second"),
    [
        ("device_mode", "line", "battery"),
        ("line_direction", "input", "idle"),
        ("grid_voltage", 0.0, 230.0),
        ("pv_power", -5.0, 0.0),
    ],
)
def test_metric_types_stored_and_changes_detected(
    state: SystemState, key: str, first: object, second: object
) -> None:
    assert apply_readings(state, [reading(INV2, key, first)], now=1.0).keys == {(INV2, key)}
    assert not apply_readings(state, [reading(INV2, key, first)], now=2.0)
    assert apply_readings(state, [reading(INV2, key, second)], now=3.0).keys == {(INV2, key)}
    assert state.inverters[2].metrics[key] == second


def test_zero_is_a_value_not_an_absence(state: SystemState) -> None:
    change = apply_readings(state, [reading(PACK2, "current", 0.0)], now=1.0)
    assert change.keys == {(PACK2, "current")}
    assert state.packs[2].metrics["current"] == 0.0


@pytest.mark.parametrize("source", [inv(0), inv(3), pack(0), pack(3), pack(-1)])
def test_readings_for_unknown_sources_are_ignored(state: SystemState, source: SourceId) -> None:
    change = apply_readings(state, [reading(source, "battery_voltage", 53.4)], now=5.0)
    assert not change
    assert change.keys == set()
    assert change.revived == set()
    assert state.stale == set()
    for device in [*state.inverters.values(), *state.packs.values()]:
        assert device.last_seen is None
        assert device.metrics == {}


def test_unknown_sources_do_not_hide_known_ones(state: SystemState) -> None:
    change = apply_readings(
        state,
        [reading(inv(7), "pv_power", 1.0), reading(INV1, "pv_power", 2.0)],
        now=1.0,
    )
    assert change.keys == {(INV1, "pv_power")}
    assert change.revived == {INV1}


def test_stale_source_is_revived_even_if_nothing_changed(state: SystemState) -> None:
    apply_readings(state, [reading(PACK1, "soc", 80.0)], now=0.0)
    assert mark_stale(state, now=500.0, timeout=180.0) == {PACK1}
    assert not state.is_fresh(PACK1)
    change = apply_readings(state, [reading(PACK1, "soc", 80.0)], now=501.0)
    assert change.revived == {PACK1}
    assert change.keys == set()
    assert change
    assert PACK1 not in state.stale
    assert state.is_fresh(PACK1)
    assert state.packs[1].last_seen == 501.0


def test_only_the_stale_source_that_reports_is_revived(state: SystemState) -> None:
    apply_readings(state, [reading(PACK1, "soc", 80.0), reading(INV1, "pv_power", 1.0)], 0.0)
    apply_readings(state, [reading(INV1, "pv_power", 1.0)], now=400.0)
    assert mark_stale(state, now=500.0, timeout=180.0) == {PACK1}
    change = apply_readings(state, [reading(INV1, "pv_power", 2.0)], now=501.0)
    assert change.revived == set()  # inverter 1 was never stale
    assert state.stale == {PACK1}


def test_a_reading_carried_on_a_source_stores_its_value_but_does_not_keep_it_fresh(
    state: SystemState,
) -> None:
    """A bridge's system total carried on unit 1 is not unit 1 reporting."""
    total = Reading(INV1, "system_pv_energy", 12.5, alive=False)
    change = apply_readings(state, [total], now=10.0)
    assert change.keys == {(INV1, "system_pv_energy")}
    assert change.revived == set()
    assert state.inverters[1].last_seen is None
    assert state.inverters[1].metrics == {"system_pv_energy": 12.5}

    apply_readings(state, [reading(INV1, "battery_voltage", 53.4)], now=20.0)
    assert mark_stale(state, now=500.0, timeout=180.0) == {INV1}
    change = apply_readings(state, [replace(total, value=12.6)], now=501.0)
    assert change.revived == set()
    assert INV1 in state.stale
    assert state.inverters[1].last_seen == 20.0


def test_one_message_across_sources(state: SystemState) -> None:
    change = apply_readings(
        state,
        [
            reading(INV1, "pv_power", 100.0),
            reading(INV2, "pv_power", 200.0),
            reading(PACK1, "soc", 50.0),
            reading(INV1, "pv_power", 100.0),
        ],
        now=3.0,
    )
    assert change.revived == {INV1, INV2, PACK1}
    assert change.keys == {(INV1, "pv_power"), (INV2, "pv_power"), (PACK1, "soc")}
    assert state.packs[2].last_seen is None


def test_empty_readings(state: SystemState) -> None:
    assert not apply_readings(state, [], now=1.0)
    assert not apply_readings(state, iter(()), now=1.0)


# ---- settings ----------------------------------------------------------------------------


def test_setting_reading_goes_to_settings_not_metrics(state: SystemState) -> None:
    r = reading(INV1, SettingKey.FLOAT_VOLTAGE, 54.0, SettingKey.FLOAT_VOLTAGE)
    change = apply_readings(state, [r], now=1.0)
    assert change.keys == {(INV1, SettingKey.FLOAT_VOLTAGE)}
    assert change.revived == {INV1}
    assert state.inverters[1].settings == {SettingKey.FLOAT_VOLTAGE: 54.0}
    assert state.inverters[1].metrics == {}
    assert state.inverters[1].last_seen == 1.0


def test_setting_changes_reported_only_when_the_value_moves(state: SystemState) -> None:
    def op(value: OutputPriority) -> Change:
        r = reading(INV2, SettingKey.OUTPUT_PRIORITY, value, SettingKey.OUTPUT_PRIORITY)
        return apply_readings(state, [r], now=1.0)

    assert op(OutputPriority.SBU).keys == {(INV2, "output_priority")}
    assert not op(OutputPriority.SBU)
    assert op(OutputPriority.SUB).keys == {(INV2, "output_priority")}
    assert state.inverters[2].settings[SettingKey.OUTPUT_PRIORITY] is OutputPriority.SUB
    assert state.group_setting(SettingKey.OUTPUT_PRIORITY) is None  # unit 1 unknown
    assert state.setting_values(SettingKey.OUTPUT_PRIORITY) == {1: None, 2: OutputPriority.SUB}


# ---- protection --------------------------------------------------------------------------


def test_protection_flags_and_bool_metric(state: SystemState) -> None:
    def prot(text: str) -> Change:
        return apply_readings(state, [reading(PACK1, PROTECTION, text)], now=1.0)

    device = state.packs[1]
    assert prot("ovp,otp").keys == {(PACK1, PROTECTION)}
    assert device.protection_flags == ("ovp", "otp")
    assert device.metrics[PROTECTION] is True

    assert not prot("ovp,otp")

    assert prot("ovp").keys == {(PACK1, PROTECTION)}
    assert device.protection_flags == ("ovp",)
    assert device.metrics[PROTECTION] is True

    assert prot("").keys == {(PACK1, PROTECTION)}
    assert device.protection_flags == ()
    assert device.metrics[PROTECTION] is False

    assert not prot("")


def test_first_protection_report_of_none_is_a_change(state: SystemState) -> None:
    change = apply_readings(state, [reading(PACK2, PROTECTION, "")], now=1.0)
    assert change.keys == {(PACK2, PROTECTION)}
    assert state.packs[2].metrics[PROTECTION] is False
    assert state.packs[2].protection_flags == ()


def test_protection_ignores_empty_segments(state: SystemState) -> None:
    apply_readings(state, [reading(PACK1, PROTECTION, ",ovp,,code_4,")], now=1.0)
    assert state.packs[1].protection_flags == ("ovp", "code_4")


# ---- derived pack values -----------------------------------------------------------------


def _pack_apply(state: SystemState, *pairs: tuple[str, float]) -> Change:
    return apply_readings(state, [reading(PACK1, k, v) for k, v in pairs], now=1.0)


def test_delta_derived_from_max_minus_min(state: SystemState) -> None:
    change = _pack_apply(state, ("cell_voltage_max", 3.350))
    assert change.keys == {(PACK1, "cell_voltage_max")}
    assert "cell_voltage_delta" not in state.packs[1].metrics

    change = _pack_apply(state, ("cell_voltage_min", 3.300))
    assert change.keys == {(PACK1, "cell_voltage_min"), (PACK1, "cell_voltage_delta")}
    assert state.packs[1].metrics["cell_voltage_delta"] == 50.0

    change = _pack_apply(state, ("cell_voltage_max", 3.412))
    assert change.keys == {(PACK1, "cell_voltage_max"), (PACK1, "cell_voltage_delta")}
    assert state.packs[1].metrics["cell_voltage_delta"] == 112.0
    assert state.packs[1].delta_reported is False


def test_derived_delta_rounded_to_a_tenth_of_a_millivolt(state: SystemState) -> None:
    _pack_apply(state, ("cell_voltage_max", 3.3456), ("cell_voltage_min", 3.3001))
    assert state.packs[1].metrics["cell_voltage_delta"] == 45.5
    _pack_apply(state, ("cell_voltage_max", 3.34567))  # 45.57 mV
    assert state.packs[1].metrics["cell_voltage_delta"] == 45.6


def test_derived_delta_unchanged_is_not_reported(state: SystemState) -> None:
    _pack_apply(state, ("cell_voltage_max", 3.35), ("cell_voltage_min", 3.30))
    change = _pack_apply(state, ("cell_voltage_max", 3.35))
    assert not change


def test_no_delta_when_min_exceeds_max(state: SystemState) -> None:
    _pack_apply(state, ("cell_voltage_max", 3.30), ("cell_voltage_min", 3.35))
    assert "cell_voltage_delta" not in state.packs[1].metrics


def test_equal_max_and_min_give_zero_delta(state: SystemState) -> None:
    change = _pack_apply(state, ("cell_voltage_max", 3.3), ("cell_voltage_min", 3.3))
    assert (PACK1, "cell_voltage_delta") in change.keys
    assert state.packs[1].metrics["cell_voltage_delta"] == 0.0


def test_reported_delta_is_never_overwritten(state: SystemState) -> None:
    _pack_apply(state, ("cell_voltage_max", 3.35), ("cell_voltage_min", 3.30))
    change = _pack_apply(state, ("cell_voltage_delta", 12.0))
    assert change.keys == {(PACK1, "cell_voltage_delta")}
    assert state.packs[1].delta_reported is True
    change = _pack_apply(state, ("cell_voltage_max", 3.45))
    assert change.keys == {(PACK1, "cell_voltage_max")}
    assert state.packs[1].metrics["cell_voltage_delta"] == 12.0


def test_reported_delta_before_max_min_disables_derivation(state: SystemState) -> None:
    _pack_apply(state, ("cell_voltage_delta", 7.0))
    change = _pack_apply(state, ("cell_voltage_max", 3.5), ("cell_voltage_min", 3.2))
    assert change.keys == {(PACK1, "cell_voltage_max"), (PACK1, "cell_voltage_min")}
    assert state.packs[1].metrics["cell_voltage_delta"] == 7.0


def test_reported_delta_equal_to_derived_value_still_stops_derivation(state: SystemState) -> None:
    # The BMS reports the same delta that was derived a moment ago: the value does not move,
    # but from now on the BMS owns the delta and max/min updates must not overwrite it.
    _pack_apply(state, ("cell_voltage_max", 3.35), ("cell_voltage_min", 3.30))
    assert state.packs[1].metrics["cell_voltage_delta"] == 50.0
    _pack_apply(state, ("cell_voltage_delta", 50.0))
    assert state.packs[1].delta_reported is True
    _pack_apply(state, ("cell_voltage_max", 3.45))
    assert state.packs[1].metrics["cell_voltage_delta"] == 50.0


def test_derivation_is_per_pack(state: SystemState) -> None:
    apply_readings(state, [reading(PACK2, "cell_voltage_delta", 5.0)], now=1.0)
    _pack_apply(state, ("cell_voltage_max", 3.35), ("cell_voltage_min", 3.30))
    assert state.packs[1].metrics["cell_voltage_delta"] == 50.0
    assert state.packs[2].metrics["cell_voltage_delta"] == 5.0


def test_inverters_get_no_derived_values(state: SystemState) -> None:
    change = apply_readings(
        state,
        [
            reading(INV1, "cell_voltage_max", 3.35),
            reading(INV1, "cell_voltage_min", 3.30),
            reading(INV1, "temperature_1", 40.0),
        ],
        now=1.0,
    )
    assert change.keys == {
        (INV1, "cell_voltage_max"),
        (INV1, "cell_voltage_min"),
        (INV1, "temperature_1"),
    }
    assert set(state.inverters[1].metrics) == {
        "cell_voltage_max",
        "cell_voltage_min",
        "temperature_1",
    }


def test_temperature_max_over_every_temperature_key(state: SystemState) -> None:
    metrics = state.packs[1].metrics
    change = _pack_apply(state, ("temperature_1", 25.0))
    assert change.keys == {(PACK1, "temperature_1"), (PACK1, DERIVED_TEMPERATURE)}
    assert metrics[DERIVED_TEMPERATURE] == 25.0

    change = _pack_apply(state, ("temperature_pcb", 31.0))
    assert change.keys == {(PACK1, "temperature_pcb"), (PACK1, DERIVED_TEMPERATURE)}
    assert metrics[DERIVED_TEMPERATURE] == 31.0

    change = _pack_apply(state, ("temperature_x9", 45.5))  # no sensor of its own, still counts
    assert metrics[DERIVED_TEMPERATURE] == 45.5

    change = _pack_apply(state, ("temperature_1", 26.0))  # lower than the max: max unchanged
    assert change.keys == {(PACK1, "temperature_1")}
    assert metrics[DERIVED_TEMPERATURE] == 45.5

    change = _pack_apply(state, ("temperature_x9", 20.0))  # the hottest cools: max falls
    assert change.keys == {(PACK1, "temperature_x9"), (PACK1, DERIVED_TEMPERATURE)}
    assert metrics[DERIVED_TEMPERATURE] == 31.0


def test_temperature_max_handles_negative_values(state: SystemState) -> None:
    _pack_apply(state, ("temperature_1", -12.0), ("temperature_2", -3.5))
    assert state.packs[1].metrics[DERIVED_TEMPERATURE] == -3.5


def test_non_temperature_keys_do_not_touch_temperature_max(state: SystemState) -> None:
    change = _pack_apply(state, ("soc", 99.0), ("voltage", 53.0))
    assert DERIVED_TEMPERATURE not in state.packs[1].metrics
    assert (PACK1, DERIVED_TEMPERATURE) not in change.keys


# ---- through a real profile --------------------------------------------------------------


def _decode_all(config: dict[str, object], messages: list[tuple[str, str]]) -> list:
    profile = build_profile(config)
    out = []
    for topic, payload in messages:
        result = profile.decode(topic, payload)
        assert isinstance(result, Decoded), (topic, payload, result)
        out.extend(result.readings)
    return out


def test_powermon_pack_messages_end_to_end(state: SystemState) -> None:
    readings = _decode_all(
        POWERMON_CONFIG,
        [
            ("homeassistant/sensor/lifepower4_1_cell_voltage_max/state", "3.401"),
            ("homeassistant/sensor/lifepower4_1_cell_voltage_min/state", "3.385"),
            ("homeassistant/sensor/lifepower4_1_temperature_1/state", "24"),
            ("homeassistant/sensor/lifepower4_1_temperature_pcb/state", "29.5"),
            ("homeassistant/sensor/lifepower4_1_protection/state", "OVP; OTP"),
            ("homeassistant/sensor/lvx6048_2_battery_float_charge_voltage/state", "54.0"),
        ],
    )
    change = apply_readings(state, readings, now=1.0)
    device = state.packs[1]
    assert device.metrics["cell_voltage_delta"] == 16.0
    assert device.metrics[DERIVED_TEMPERATURE] == 29.5
    assert device.protection_flags == ("ovp", "otp")
    assert device.metrics[PROTECTION] is True
    assert state.inverters[2].settings == {SettingKey.FLOAT_VOLTAGE: 54.0}
    assert change.revived == {PACK1, INV2}
    assert (PACK1, "cell_voltage_delta") in change.keys
    assert (INV2, "float_voltage") in change.keys


def test_solar_assistant_battery_messages_end_to_end() -> None:
    state = SystemState.empty(2, 4)
    readings = _decode_all(
        SA_CONFIG,
        [
            ("solar_assistant/battery_3/cell_voltage_-_highest/state", "3.40"),
            ("solar_assistant/battery_3/cell_voltage_-_lowest/state", "3.38"),
            ("solar_assistant/battery_3/temperature/state", "27.5"),
        ],
    )
    apply_readings(state, readings, now=1.0)
    metrics = state.packs[3].metrics
    assert metrics["cell_voltage_delta"] == 20.0
    assert metrics["temperature_1"] == 27.5
    assert metrics[DERIVED_TEMPERATURE] == 27.5


# ---- staleness ---------------------------------------------------------------------------


def test_mark_stale_only_sources_past_the_timeout_each_once(state: SystemState) -> None:
    state.inverters[1].last_seen = 0.0
    state.packs[1].last_seen = 50.0
    state.inverters[2].last_seen = 100.0
    # pack 2 never reported

    assert mark_stale(state, now=100.0, timeout=60.0) == {INV1}
    assert state.stale == {INV1}

    assert mark_stale(state, now=100.0, timeout=60.0) == set()  # already stale: not again

    assert mark_stale(state, now=120.0, timeout=60.0) == {PACK1}
    assert state.stale == {INV1, PACK1}

    assert mark_stale(state, now=161.0, timeout=60.0) == {INV2}
    assert mark_stale(state, now=10_000.0, timeout=60.0) == set()
    assert state.stale == {INV1, PACK1, INV2}
    assert PACK2 not in state.stale


def test_mark_stale_timeout_is_strict(state: SystemState) -> None:
    state.inverters[1].last_seen = 10.0
    assert mark_stale(state, now=70.0, timeout=60.0) == set()
    assert mark_stale(state, now=70.001, timeout=60.0) == {INV1}


def test_never_seen_sources_are_never_stale(state: SystemState) -> None:
    assert mark_stale(state, now=1e12, timeout=0.0) == set()
    assert state.stale == set()


def test_stale_revive_stale_again(state: SystemState) -> None:
    apply_readings(state, [reading(INV2, "pv_power", 1.0)], now=0.0)
    assert mark_stale(state, now=200.0, timeout=180.0) == {INV2}
    apply_readings(state, [reading(INV2, "pv_power", 1.0)], now=300.0)
    assert INV2 not in state.stale
    assert mark_stale(state, now=400.0, timeout=180.0) == set()
    assert mark_stale(state, now=481.0, timeout=180.0) == {INV2}
    assert not state.is_fresh(INV2)


# ---- per-reading timestamps (issue 11: freshness is per device) ------------------------------


def test_each_accepted_reading_carries_its_own_timestamp(state: SystemState) -> None:
    apply_readings(
        state, [reading(PACK1, "soc", 80.0), reading(PACK1, "cell_voltage_max", 3.4)], 1.0
    )
    apply_readings(state, [reading(PACK1, "soc", 80.0)], now=50.0)  # unchanged value, fresh key
    device = state.packs[1]
    assert device.last_seen == 50.0
    assert device.seen_at == {"soc": 50.0, "cell_voltage_max": 1.0}
    assert device.reading_age("soc", 60.0) == 10.0
    assert device.reading_age("cell_voltage_max", 60.0) == 59.0


def test_settings_and_protection_are_stamped_too(state: SystemState) -> None:
    r = reading(INV1, SettingKey.OUTPUT_PRIORITY, OutputPriority.SBU, SettingKey.OUTPUT_PRIORITY)
    apply_readings(state, [r, reading(PACK2, PROTECTION, "")], now=7.0)
    assert state.inverters[1].seen_at == {"output_priority": 7.0}
    assert state.inverters[1].seen_at[SettingKey.OUTPUT_PRIORITY] == 7.0
    assert state.packs[2].seen_at == {PROTECTION: 7.0}


def test_a_refused_value_does_not_refresh_its_reading(state: SystemState) -> None:
    apply_readings(state, [reading(PACK1, "cell_voltage_max", 3.4)], now=1.0)
    apply_readings(state, [reading(PACK1, "cell_voltage_max", None)], now=9.0)
    apply_readings(state, [reading(PACK1, "cell_voltage_max", [3.5])], now=9.0)
    assert state.packs[1].seen_at["cell_voltage_max"] == 1.0
    assert state.packs[1].metrics["cell_voltage_max"] == 3.4


def test_derived_values_have_no_timestamp_of_their_own(state: SystemState) -> None:
    _pack_apply(
        state, ("cell_voltage_max", 3.35), ("cell_voltage_min", 3.30), ("temperature_1", 9.0)
    )
    device = state.packs[1]
    assert "cell_voltage_delta" in device.metrics
    assert DERIVED_TEMPERATURE in device.metrics
    assert set(device.seen_at) == {"cell_voltage_max", "cell_voltage_min", "temperature_1"}
    # A value without a stamp of its own is as old as the device's last message.
    assert device.reading_age("cell_voltage_delta", 5.0) == 4.0
    assert state.packs[2].reading_age("soc", 5.0) is None


def test_a_payload_the_profile_refuses_leaves_the_reading_to_age() -> None:
    """powermon sends 'nan' for the cell voltage while the SoC keeps arriving."""
    state = SystemState.empty(2, 6)
    profile = build_profile(POWERMON_CONFIG)
    prefix = "homeassistant/sensor/lifepower4_3"
    for now, cell in ((0.0, "3.401"), (100.0, "nan"), (200.0, "inf"), (312.0, "-")):
        for topic, payload in (
            (f"{prefix}_cell_voltage_max/state", cell),
            (f"{prefix}_soc/state", "61"),
        ):
            result = profile.decode(topic, payload)
            if isinstance(result, Decoded):
                apply_readings(state, result.readings, now)
    device = state.packs[3]
    assert device.last_seen == 312.0
    assert device.metrics["cell_voltage_max"] == 3.401
    assert device.reading_age("cell_voltage_max", 312.0) == 312.0
    assert device.reading_age("soc", 312.0) == 0.0


_KEYS = ("soc", "cell_voltage_max", "temperature_1", PROTECTION)
_values = st.one_of(
    st.floats(allow_nan=False, min_value=-50, max_value=100),
    st.sampled_from(["", "ovp", None, 3, [1.0], b"3.4"]),  # None, int, list, bytes: refused
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=500, allow_nan=False),
            st.sampled_from([PACK1, PACK2]),
            st.sampled_from(_KEYS),
            _values,
        ),
        max_size=30,
    )
)
def test_each_stamp_is_the_time_of_the_keys_last_accepted_reading(
    events: list[tuple[float, SourceId, str, object]],
) -> None:
    """Model check of the stamps: every reading refreshes its device, only an accepted one its key.

    Protection payloads are always accepted (they are text once decoded); a metric only when
    it is a float, a string or a bool.
    """
    state = SystemState.empty(0, 2)
    now = 0.0
    device_seen: dict[SourceId, float] = {}
    key_seen: dict[tuple[SourceId, str], float] = {}
    for gap, source, key, value in events:
        now += gap
        apply_readings(state, [reading(source, key, value)], now)
        device_seen[source] = now
        if key == PROTECTION or isinstance(value, float | str | bool):
            key_seen[(source, key)] = now
    for source in (PACK1, PACK2):
        device = state.packs[source.index]
        assert device.last_seen == device_seen.get(source)
        assert device.seen_at == {k: t for (s, k), t in key_seen.items() if s == source}
        for key in _KEYS:
            expected = key_seen.get((source, key), device_seen.get(source))
            age = device.reading_age(key, now + 1)
            assert age == (None if expected is None else now + 1 - expected)
