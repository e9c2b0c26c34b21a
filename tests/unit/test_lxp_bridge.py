"""lxp-bridge profile: inputs JSON, retained register read-backs, per-datalog commands."""

from __future__ import annotations

import json
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.energy import EnergyKind
from custom_components.eg4.model import ChargerPriority, SettingKey, SourceId, SourceKind
from custom_components.eg4.profiles.base import Command
from custom_components.eg4.profiles.lxp_bridge import LxpBridgeProfile
from custom_components.eg4.settings import AC_CHARGE_TIMES
from custom_components.eg4.transport.base import CommandResult, Decoded, Reading, Rejected

PROFILE = LxpBridgeProfile.from_config(
    {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"}
)
INV1 = SourceId(SourceKind.INVERTER, 1)
INV2 = SourceId(SourceKind.INVERTER, 2)
PACK2 = SourceId(SourceKind.PACK, 2)
INPUTS = {
    "v_bat": 53.1,
    "soc": 87,
    "p_pv": 4120,
    "p_inv": 2210,
    "v_ac_r": 241.2,
    "t_inner": 41,
    "bat_current": 34.4,
    "max_cell_voltage": 3.342,
    "min_cell_voltage": 3.331,
    "max_cell_temp": 26.0,
    "min_cell_temp": 23.0,
    "bat_count": 6,
}


def fresh() -> LxpBridgeProfile:
    """A profile of its own (datalogs that join change a profile)."""
    return LxpBridgeProfile.from_config(
        {"topic_prefix": "lxp", "datalogs": "BA12345678, BA87654321"}
    )


def test_config_splits_datalogs_in_unit_order() -> None:
    assert PROFILE.datalogs == ("BA12345678", "BA87654321")
    assert PROFILE.inverter_count == 2
    # Every datalog of the namespace: one that is not configured may join.
    assert PROFILE.subscriptions() == [
        "lxp/+/inputs/all",
        "lxp/+/hold/+",
        "lxp/+/ac_charge/+",
        "lxp/result/#",
    ]


def test_a_new_datalog_joins_as_the_next_unit_with_its_held_registers() -> None:
    profile = fresh()
    # Its retained registers arrive first: held, not decoded (no unit yet).
    assert profile.decode("lxp/BA55555555/hold/101", "90") is None
    assert profile.decode("lxp/BA55555555/hold/21", str(1 << 7)) is None
    assert profile.decode("lxp/result/BA55555555/set/hold/101", "OK") is None
    result = profile.decode("lxp/BA55555555/inputs/all", json.dumps(INPUTS))
    assert isinstance(result, Decoded)
    sources = {r.source for r in result.readings}
    assert sources == {SourceId(SourceKind.INVERTER, 3), SourceId(SourceKind.PACK, 3)}
    settings = {r.setting: r.value for r in result.readings if r.setting is not None}
    assert settings == {
        SettingKey.MAX_CHARGE_CURRENT: 90.0,
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_AND_UTILITY,
        SettingKey.QUICK_DISCHARGE: 0.0,  # register 21 bit 10: no forced discharge
    }
    # From now on it is unit 3: its registers, results and commands.
    assert profile.decode("lxp/BA55555555/hold/101", "80") is not None
    assert profile.decode("lxp/result/BA55555555/set/hold/101", "OK") == CommandResult(
        ok=True, message="OK", unit=3
    )
    assert profile.encode(SettingKey.MAX_CHARGE_CURRENT, 80.0, 3) == [
        Command("lxp/cmd/BA55555555/set/hold/101", "80")
    ]
    assert profile.config_for_sources(3, 3) == {
        "datalogs": ["BA12345678", "BA87654321", "BA55555555"],
        "inverter_count": 3,
        "pack_count": 3,
    }
    # A unit the system did not take (its only inputs were retained) is not stored.
    assert profile.config_for_sources(2, 2)["datalogs"] == ["BA12345678", "BA87654321"]


@pytest.mark.parametrize("payload", ["garbage", "[]", json.dumps({"bat_count": 6})])
def test_unreadable_inputs_of_a_new_datalog_do_not_make_it_a_unit(payload: str) -> None:
    profile = fresh()
    assert profile.decode("lxp/BA55555555/inputs/all", payload) is None
    assert profile.config_for_sources(3, 3)["datalogs"] == ["BA12345678", "BA87654321"]


def test_datalogs_join_up_to_nine_units() -> None:
    profile = fresh()
    assert profile.decode("lxp/cmd/inputs/all", json.dumps(INPUTS)) is None  # not a datalog
    for n in range(3, 10):
        result = profile.decode(f"lxp/BA0000000{n}/inputs/all", json.dumps(INPUTS))
        assert isinstance(result, Decoded)
        assert {r.source.index for r in result.readings} == {n}
    assert profile.decode("lxp/BA00000010/inputs/all", json.dumps(INPUTS)) is None


def test_inputs_all_feed_inverter_and_its_battery() -> None:
    result = PROFILE.decode("lxp/BA87654321/inputs/all", json.dumps(INPUTS))
    assert isinstance(result, Decoded)
    got = {(r.source, r.key): r.value for r in result.readings}
    assert got[(INV2, "battery_voltage")] == 53.1
    assert got[(INV2, "battery_soc")] == 87.0
    assert got[(PACK2, "soc")] == 87.0
    assert got[(PACK2, "voltage")] == 53.1
    assert got[(PACK2, "cell_voltage_max")] == 3.342
    assert got[(PACK2, "temperature_cell_max")] == 26.0
    assert (INV2, "bat_count") not in got


@pytest.mark.parametrize(
    ("field", "published", "key", "value"),
    [
        # The bridges publish these signed registers unsigned: a wrapped value is negative.
        ("bat_current", 645.36, "current", -10.0),  # 10 A discharge
        ("bat_current", 327.68, "current", -327.68),
        ("bat_current", 327.67, "current", 327.67),  # the largest charge current there is
        ("bat_current", -10.0, "current", -10.0),  # a bridge that publishes it signed
        ("bat_current", 0, "current", 0.0),
        ("max_cell_temp", 6548.6, "temperature_cell_max", -5.0),
        ("min_cell_temp", 6553.5, "temperature_cell_min", -0.1),
        ("min_cell_temp", 23.0, "temperature_cell_min", 23.0),
    ],
)
def test_unsigned_bms_fields_are_read_with_their_sign(
    field: str, published: float, key: str, value: float
) -> None:
    result = PROFILE.decode("lxp/BA12345678/inputs/all", json.dumps({**INPUTS, field: published}))
    assert isinstance(result, Decoded)
    got = {(r.source, r.key): r.value for r in result.readings}
    assert got[(SourceId(SourceKind.PACK, 1), key)] == pytest.approx(value)


def test_real_size_inputs_fit_the_payload_limit() -> None:
    """The real inputs/all is ~1.7 KB: far above the one-value bridges' 1 KB limit."""
    assert PROFILE.max_payload >= 4096


@pytest.mark.parametrize(
    "payload", ["", "not json", "[]", "null", json.dumps({"v_bat": "x"}), "{" * 9000]
)
def test_bad_inputs_are_rejected(payload: str) -> None:
    assert isinstance(PROFILE.decode("lxp/BA12345678/inputs/all", payload), Rejected)


def test_out_of_range_values_are_dropped_not_stored() -> None:
    result = PROFILE.decode(
        "lxp/BA12345678/inputs/all", json.dumps({"v_bat": 1e9, "soc": 50, "t_inner": True})
    )
    assert isinstance(result, Decoded)
    assert {r.key for r in result.readings} == {"battery_soc", "soc"}


@pytest.mark.parametrize(
    ("register", "payload", "key", "value"),
    [
        (101, "100", SettingKey.MAX_CHARGE_CURRENT, 100.0),
        (102, "150", SettingKey.DISCHARGE_CURRENT, 150.0),
        (67, "90", SettingKey.AC_CHARGE_SOC_LIMIT, 90.0),
        (227, "95", SettingKey.CHARGE_SOC_LIMIT, 95.0),
        (227, "101", SettingKey.CHARGE_SOC_LIMIT, 101.0),
        (21, str(30033), SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST),
        (21, str(30033 | 0x80), SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY),
    ],
)
def test_hold_registers_read_back(
    register: int, payload: str, key: SettingKey, value: object
) -> None:
    result = PROFILE.decode(f"lxp/BA12345678/hold/{register}", payload)
    assert isinstance(result, Decoded)
    (reading,) = [r for r in result.readings if r.setting is key]
    assert (reading.source, reading.setting, reading.value) == (INV1, key, value)


@pytest.mark.parametrize(("raw", "forced"), [(30033 & ~(1 << 10), 0.0), (30033, 1.0)])
def test_register_21_carries_the_forced_discharge(raw: int, forced: float) -> None:
    """Bit 10 is the forced discharge (``quick_discharge``), beside bit 7's AC charge."""
    result = PROFILE.decode("lxp/BA12345678/hold/21", str(raw))
    assert isinstance(result, Decoded)
    assert {r.setting: r.value for r in result.readings} == {
        SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST,
        SettingKey.QUICK_DISCHARGE: forced,
    }


def test_forced_discharge_window_1_reads_back_from_84_and_85() -> None:
    for register, key, word, value in (
        (84, SettingKey.FORCED_DISCHARGE_START_1, 0, time(0, 0)),
        (85, SettingKey.FORCED_DISCHARGE_END_1, 23 | 59 << 8, time(23, 59)),
    ):
        result = PROFILE.decode(f"lxp/BA12345678/hold/{register}", str(word))
        assert isinstance(result, Decoded)
        (reading,) = result.readings
        assert (reading.setting, reading.value) == (key, value)


def test_forced_discharge_is_switched_like_ac_charge_and_its_window_by_register() -> None:
    assert PROFILE.encode(SettingKey.QUICK_DISCHARGE, 1.0, 1) == [
        Command("lxp/cmd/BA12345678/set/forced_discharge", "true")
    ]
    assert PROFILE.encode(SettingKey.QUICK_DISCHARGE, 0.0, 2) == [
        Command("lxp/cmd/BA87654321/set/forced_discharge", "false")
    ]
    assert PROFILE.encode(SettingKey.FORCED_DISCHARGE_END_1, time(23, 59), 1) == [
        Command("lxp/cmd/BA12345678/set/hold/85", str(23 | 59 << 8))
    ]
    with pytest.raises(ValueError, match="lxp-bridge"):
        PROFILE.encode(SettingKey.QUICK_DISCHARGE, 0.5, 1)
    with pytest.raises(ValueError, match="lxp-bridge"):
        PROFILE.encode(SettingKey.QUICK_CHARGE, 1.0, 1)  # the portal's alone


@pytest.mark.parametrize("payload", ["", "-1", "65536", "1.5", "abc", "1" * 10])
def test_bad_register_payloads_rejected(payload: str) -> None:
    assert isinstance(PROFILE.decode("lxp/BA12345678/hold/101", payload), Rejected)


@pytest.mark.parametrize(("register", "payload"), [(67, "102"), (227, "102"), (227, "65535")])
def test_charge_soc_limits_beyond_101_are_garbage_not_settings(register: int, payload: str) -> None:
    """101 means "no limit" on both registers; anything above is no setting of theirs."""
    assert isinstance(PROFILE.decode(f"lxp/BA12345678/hold/{register}", payload), Rejected)


@pytest.mark.parametrize(
    "topic",
    [
        "lxp/BA00000000/hold/101",  # not our datalog (held until its inputs arrive)
        "lxp/BA12345678/hold/999",  # a register we do not read
        "lxp/BA12345678/hold/21/bits",
        "lxp/LWT",
        "other/BA12345678/hold/101",
        "lxp/BA12345678/inputs/1",
    ],
)
def test_foreign_topics_are_not_ours(topic: str) -> None:
    assert PROFILE.decode(topic, "1") is None


@pytest.mark.parametrize(
    ("payload", "ok"), [("OK", True), ("ok\n", True), ("FAIL", False), ("fail", False)]
)
def test_command_results(payload: str, ok: bool) -> None:
    """The result topic names the datalog: the reply is about that unit (unit 2 here)."""
    result = PROFILE.decode("lxp/result/BA87654321/set/hold/101", payload)
    assert result == CommandResult(ok=ok, message=payload.strip().upper(), unit=2)


def test_result_for_another_datalog_is_ignored() -> None:
    assert PROFILE.decode("lxp/result/BA00000000/set/hold/101", "OK") is None


def test_encode_per_datalog() -> None:
    assert PROFILE.encode(SettingKey.MAX_CHARGE_CURRENT, 80.0, 2) == [
        Command("lxp/cmd/BA87654321/set/hold/101", "80")
    ]
    assert PROFILE.encode(SettingKey.DISCHARGE_CURRENT, 120.0, 1) == [
        Command("lxp/cmd/BA12345678/set/hold/102", "120")
    ]
    assert PROFILE.encode(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, 1) == [
        Command("lxp/cmd/BA12345678/set/hold/67", "100")
    ]
    assert PROFILE.encode(SettingKey.CHARGE_SOC_LIMIT, 101.0, 2) == [
        Command("lxp/cmd/BA87654321/set/hold/227", "101")
    ]
    assert PROFILE.encode(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY, 1) == [
        Command("lxp/cmd/BA12345678/set/ac_charge", "true")
    ]
    assert PROFILE.encode(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST, 2) == [
        Command("lxp/cmd/BA87654321/set/ac_charge", "false")
    ]


@pytest.mark.parametrize(
    ("key", "value", "unit"),
    [
        (SettingKey.MAX_CHARGE_CURRENT, 80.0, None),
        (SettingKey.MAX_CHARGE_CURRENT, 80.0, 3),
        (SettingKey.MAX_CHARGE_CURRENT, 80.5, 1),
        (SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_ONLY, 1),
        (SettingKey.OUTPUT_PRIORITY, 1.0, 1),
    ],
)
def test_encode_refuses_what_it_cannot_write(
    key: SettingKey, value: object, unit: int | None
) -> None:
    with pytest.raises(ValueError, match="lxp-bridge"):
        PROFILE.encode(key, value, unit)  # type: ignore[arg-type]


def test_capabilities() -> None:
    caps = PROFILE.capabilities
    assert set(caps.writable) == {
        SettingKey.MAX_CHARGE_CURRENT,
        SettingKey.DISCHARGE_CURRENT,
        SettingKey.AC_CHARGE_SOC_LIMIT,
        SettingKey.CHARGE_SOC_LIMIT,
        SettingKey.CHARGER_PRIORITY,
        *AC_CHARGE_TIMES,  # the three AC-charge windows
        SettingKey.QUICK_DISCHARGE,  # the forced discharge (register 21 bit 10) ...
        SettingKey.FORCED_DISCHARGE_START_1,  # ... and its window 1
        SettingKey.FORCED_DISCHARGE_END_1,
    }
    assert caps.readable_settings == set(caps.writable)
    assert caps.writable[SettingKey.CHARGE_SOC_LIMIT].maximum == 101  # type: ignore[union-attr]
    assert caps.writable[SettingKey.MAX_CHARGE_CURRENT].maximum == 250  # type: ignore[union-attr]
    assert not caps.broadcast_writes
    assert caps.command_replies
    assert caps.inverter_metrics == {
        "battery_flow",
        "battery_soc",
        "battery_voltage",
        "grid_power",
        "grid_voltage",
        "output_power",
        "pv_power",
        "temperature",
        *EnergyKind,  # the unit's own day counters, all six
    }
    assert caps.pack_metrics == {
        "bank_capacity",
        "soc",
        "voltage",
        "current",
        "cell_voltage_max",
        "cell_voltage_min",
        "cell_voltage_delta",
        "temperature_cell_max",
        "temperature_cell_min",
        "temperature_max",
    }


@given(topic=st.text(max_size=60), payload=st.text(max_size=200))
def test_decode_never_raises(topic: str, payload: str) -> None:
    result = fresh().decode("lxp/" + topic, payload)
    assert result is None or isinstance(result, Decoded | Rejected | CommandResult)


def test_a_datalog_another_entry_lists_never_joins() -> None:
    """Two systems on one bridge: the barn's datalog is the barn entry's, not the house's."""
    profile = fresh()
    others = [
        {"profile": "lxp_bridge", "topic_prefix": "lxp", "datalogs": ["BA55555555"]},
        {"profile": "lxp_bridge", "topic_prefix": "other", "datalogs": ["BA66666666"]},
        {"profile": "solar_assistant", "topic_prefix": "lxp"},
        {},  # an ignored discovery
    ]
    profile.share_with(lambda: others)
    assert profile.decode("lxp/BA55555555/inputs/all", json.dumps(INPUTS)) is None
    joined = profile.decode("lxp/BA66666666/inputs/all", json.dumps(INPUTS))  # another namespace
    assert isinstance(joined, Decoded)
    assert {r.source.index for r in joined.readings} == {3}


# ---- AC-charge windows: registers 68-73 and ac_charge/<n> -------------------------------------

WINDOW_REGISTERS = {
    68: SettingKey.AC_CHARGE_START_1,
    69: SettingKey.AC_CHARGE_END_1,
    70: SettingKey.AC_CHARGE_START_2,
    71: SettingKey.AC_CHARGE_END_2,
    72: SettingKey.AC_CHARGE_START_3,
    73: SettingKey.AC_CHARGE_END_3,
}


@pytest.mark.parametrize(("register", "key"), list(WINDOW_REGISTERS.items()))
@given(hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_a_window_boundary_is_written_packed_and_read_back_from_its_register(
    register: int, key: SettingKey, hour: int, minute: int
) -> None:
    """hour in the low byte, minute in the high byte: what the bridge echoes reads back."""
    [command] = PROFILE.encode(key, time(hour, minute), 2)
    assert command == Command(f"lxp/cmd/BA87654321/set/hold/{register}", str(hour | minute << 8))
    got = PROFILE.decode(f"lxp/BA87654321/hold/{register}", command.payload)
    source = SourceId(SourceKind.INVERTER, 2)
    assert got == Decoded((Reading(source, key, time(hour, minute), key),))


@pytest.mark.parametrize("payload", ["24", str(60 << 8), str(0xFFFF), "-1", "7.5", "x"])
def test_a_register_word_that_is_no_time_of_day_is_rejected(payload: str) -> None:
    assert isinstance(PROFILE.decode("lxp/BA12345678/hold/69", payload), Rejected)


def test_the_ac_charge_topic_reports_both_boundaries_of_its_window() -> None:
    got = PROFILE.decode("lxp/BA12345678/ac_charge/3", '{"start":"22:30","end":"06:00"}')
    source = SourceId(SourceKind.INVERTER, 1)
    start, end = SettingKey.AC_CHARGE_START_3, SettingKey.AC_CHARGE_END_3
    assert got == Decoded(
        (Reading(source, start, time(22, 30), start), Reading(source, end, time(6, 0), end))
    )


@pytest.mark.parametrize(
    ("window", "payload"),
    [
        ("1", '{"start":"24:00","end":"06:00"}'),
        ("1", '{"start":"22:30"}'),
        ("2", '{"start":"22:30","end":"6"}'),
        ("2", '["22:30","06:00"]'),
        ("3", "not json"),
        ("3", '{"start":"22:30","end":"06:00","pad":"' + "x" * 80 + '"}'),
    ],
)
def test_an_ac_charge_payload_that_is_no_window_is_rejected(window: str, payload: str) -> None:
    assert isinstance(PROFILE.decode(f"lxp/BA12345678/ac_charge/{window}", payload), Rejected)


@pytest.mark.parametrize("window", ["0", "4", "x", "1a"])
def test_a_window_number_the_inverter_has_not_is_not_ours(window: str) -> None:
    payload = '{"start":"22:30","end":"06:00"}'
    assert PROFILE.decode(f"lxp/BA12345678/ac_charge/{window}", payload) is None


def test_a_time_is_not_written_as_a_number_nor_a_number_as_a_time() -> None:
    with pytest.raises(ValueError, match="lxp-bridge"):
        PROFILE.encode(SettingKey.AC_CHARGE_START_1, 1350.0, 1)
    with pytest.raises(ValueError, match="lxp-bridge"):
        PROFILE.encode(SettingKey.MAX_CHARGE_CURRENT, time(1, 0), 1)
