"""lxp-bridge face: inputs/all JSON, retained holding registers, commands with OK / FAIL.

The round-trip tests decode what the face publishes with the integration's own
``LxpBridgeProfile`` and feed the face the commands that profile encodes.
"""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest

from custom_components.eg4.model import ChargerPriority as HaChargerPriority
from custom_components.eg4.model import SettingKey, SettingValue, SourceId, SourceKind
from custom_components.eg4.profiles.lxp_bridge import MAX_JSON, LxpBridgeProfile
from custom_components.eg4.settings import AC_CHARGE_TIMES
from custom_components.eg4.transport.base import CommandResult, Decoded
from simulator import (
    ChargerPriority,
    LxpBridgeFace,
    OutputPriority,
    Setting,
    Twin,
    build_twin,
)
from simulator.__main__ import build_parser
from simulator.bms import Protection
from simulator.faces import FACES, Message
from simulator.faces.lxp_bridge import default_datalogs, parse_u16, payload_bool
from simulator.inverter import QuickTask
from simulator.portal_models import WHOLE_AMPS_0_250
from simulator.runner import make_face

from .helpers import as_dict, engage_grid_charge

DL1, DL2 = "BA12345678", "BA87654321"
FUNC_OFF = 29521  # register 21 with every fixed bit, AC charge (bit 7) off
FUNC_ON = FUNC_OFF | 0x80
# lxp-bridge's ReadInputAll, in its serialisation order
INPUT_KEYS = (
    "status", "v_pv_1", "v_pv_2", "v_pv_3", "v_bat", "soc", "soh", "internal_fault", "p_pv",
    "p_pv_1", "p_pv_2", "p_pv_3", "p_battery", "p_charge", "p_discharge", "v_ac_r", "v_ac_s",
    "v_ac_t", "f_ac", "p_inv", "p_rec", "pf", "v_eps_r", "v_eps_s", "v_eps_t", "f_eps", "p_eps",
    "s_eps", "p_grid", "p_to_grid", "p_to_user", "e_pv_day", "e_pv_day_1", "e_pv_day_2",
    "e_pv_day_3", "e_inv_day", "e_rec_day", "e_chg_day", "e_dischg_day", "e_eps_day",
    "e_to_grid_day", "e_to_user_day", "v_bus_1", "v_bus_2", "e_pv_all", "e_pv_all_1",
    "e_pv_all_2", "e_pv_all_3", "e_inv_all", "e_rec_all", "e_chg_all", "e_dischg_all",
    "e_eps_all", "e_to_grid_all", "e_to_user_all", "fault_code", "warning_code", "t_inner",
    "t_rad_1", "t_rad_2", "t_bat", "runtime", "max_chg_curr", "max_dischg_curr",
    "charge_volt_ref", "dischg_cut_volt", "bat_status_0", "bat_status_1", "bat_status_2",
    "bat_status_3", "bat_status_4", "bat_status_5", "bat_status_6", "bat_status_7",
    "bat_status_8", "bat_status_9", "bat_status_inv", "bat_count", "bat_capacity",
    "bat_current", "bms_event_1", "bms_event_2", "max_cell_voltage", "min_cell_voltage",
    "max_cell_temp", "min_cell_temp", "bms_fw_update_state", "cycle_count", "vbat_inv", "v_gen",
    "f_gen", "p_gen", "e_gen_day", "e_gen_all", "v_eps_l1", "v_eps_l2", "p_eps_l1", "p_eps_l2",
    "s_eps_l1", "s_eps_l2", "e_eps_l1_day", "e_eps_l2_day", "e_eps_l1_all", "e_eps_l2_all",
    "time", "datalog",
)  # fmt: skip


def inputs(face: LxpBridgeFace, datalog: str = DL1) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(as_dict(face.telemetry())[f"lxp/{datalog}/inputs/all"])
    return data


def hold(face: LxpBridgeFace, register: int, datalog: str = DL1) -> int:
    return int(as_dict(face.telemetry())[f"lxp/{datalog}/hold/{register}"])


def cmd(datalog: str, path: str) -> str:
    return f"lxp/cmd/{datalog}/{path}"


def result(datalog: str, path: str, payload: str) -> Message:
    return Message(f"lxp/result/{datalog}/{path}", payload)


def echo(register: int, value: int, datalog: str = DL1) -> Message:
    return Message(f"lxp/{datalog}/hold/{register}", str(value), retain=True)


def bits_of(messages: list[Message], datalog: str = DL1) -> list[str]:
    """The ac_charge_en flag of every hold/21/bits message, in order."""
    return [
        json.loads(m.payload)["ac_charge_en"]
        for m in messages
        if m.topic == f"lxp/{datalog}/hold/21/bits"
    ]


def bank_soc(twin: Twin) -> int:
    return round(sum(p.bms.soc_exact_pct for p in twin.packs) / len(twin.packs))


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic-filter matching (+ and #)."""
    want, got = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(want):
        if part == "#":
            return True
        if i >= len(got) or (part not in ("+", got[i])):
            return False
    return len(want) == len(got)


# ---------------------------------------------------------------------- telemetry


def test_topics_retain_and_payload_shape() -> None:
    face = LxpBridgeFace(build_twin("drifted"))
    messages = face.telemetry()
    by_topic = {m.topic: m for m in messages}
    assert len(by_topic) == len(messages)
    for datalog in (DL1, DL2):
        message = by_topic[f"lxp/{datalog}/inputs/all"]
        assert not message.retain
        assert len(message.payload) < MAX_JSON
        assert " " not in message.payload  # compact, as serde_json writes it
        data = json.loads(message.payload)
        assert tuple(data) == INPUT_KEYS
        assert data["datalog"] == datalog
        for register in (21, 67, 99, 101, 102, 144, 160, 161, 168, 227):
            held = by_topic[f"lxp/{datalog}/hold/{register}"]
            assert held.retain
            assert held.payload.isdigit()
        assert by_topic[f"lxp/{datalog}/hold/21/bits"].retain
    assert face.command_subscriptions() == ["lxp/cmd/all/#", f"lxp/cmd/{DL1}/#", f"lxp/cmd/{DL2}/#"]


def test_inverter_fields_follow_each_unit() -> None:
    twin = build_twin("drifted")
    face = LxpBridgeFace(twin)
    for unit, datalog in ((1, DL1), (2, DL2)):
        data = inputs(face, datalog)
        fl = twin.inverter(unit).flows
        assert data["v_bat"] == round(fl.battery_v, 1) == data["vbat_inv"]
        assert data["p_inv"] == round(fl.load_w) == 600  # 1200 W shared by two units
        assert data["v_ac_r"] == 120.0
        assert data["t_inner"] == round(fl.temperature_c)
        assert data["p_pv"] == 0  # 21:00
        assert data["p_battery"] == round(fl.battery_current_a * fl.battery_v) < 0
        assert data["p_discharge"] == -data["p_battery"]
        assert data["p_charge"] == 0
        assert data["status"] == 0x10  # "Battery On-grid"


def test_bank_is_aggregated_like_the_master_bms() -> None:
    """Each unit's BMS port reports the whole bank: mean SoC, summed current, extremes."""
    twin = build_twin("hot")  # pack 3 is the hot one
    for pack, soc in zip(twin.packs, (40, 50, 60, 70, 80, 91), strict=True):
        pack.bms.set_soc_pct(soc)
    face = LxpBridgeFace(twin)
    for datalog in (DL1, DL2):
        data = inputs(face, datalog)
        assert data["soc"] == 65  # mean of 40..91 = 65.17, not the master pack's 40
        assert data["bat_count"] == 6
        assert data["bat_capacity"] == 600
        assert data["bat_current"] == round(sum(p.current_a for p in twin.packs), 2)
        assert data["bat_current"] < 0  # the evening load
        assert data["max_cell_voltage"] == round(max(max(p.cell_voltages) for p in twin.packs), 3)
        assert data["min_cell_voltage"] == round(min(min(p.cell_voltages) for p in twin.packs), 3)
        hot_pack = max(twin.pack(3).temperatures[:2])
        assert data["max_cell_temp"] == round(hot_pack, 1) > 43
        coolest = min(t for p in twin.packs for t in p.temperatures[:2])
        assert data["min_cell_temp"] == round(coolest, 1) < 26
        assert data["cycle_count"] == max(p.cycles for p in twin.packs)


def test_bms_limits_drop_a_pack_that_blocks_charge() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    assert inputs(face)["max_chg_curr"] == 300.0  # 6 x 0.5 C of 100 Ah
    twin.pack(2).bms.protections.add(Protection.CELL_OVER_VOLTAGE)
    data = inputs(face)
    assert data["max_chg_curr"] == 250.0
    assert data["max_dischg_curr"] == 300.0
    assert data["bms_event_1"] == 1


def test_unsigned_bms_fields_wrap_like_the_real_bridge() -> None:
    """lxp-bridge parses bat_current as u16 / 100: a discharge comes out as a large number."""
    twin = build_twin("drifted")
    signed = inputs(LxpBridgeFace(twin))["bat_current"]
    assert signed < 0
    wrapped = inputs(LxpBridgeFace(twin, unsigned_bms_fields=True))["bat_current"]
    assert wrapped == (round(signed * 100) & 0xFFFF) / 100
    assert wrapped > 600
    # positive values are the same either way
    assert inputs(LxpBridgeFace(twin, unsigned_bms_fields=True))["max_cell_temp"] > 0


def test_hold_registers_map_the_twin() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    states = as_dict(face.telemetry())
    assert {r: int(states[f"lxp/{DL1}/hold/{r}"]) for r in (21, 67, 99, 101, 102, 144, 168)} == {
        21: FUNC_OFF,
        67: 100,  # AC charge to full
        99: 564,
        101: 80,
        102: 200,
        144: 540,
        168: 60,
    }
    bits = json.loads(states[f"lxp/{DL1}/hold/21/bits"])
    assert bits["ac_charge_en"] == "OFF"
    assert bits["eps_en"] == bits["set_to_standby"] == "ON"
    assert bits["forced_discharge_en"] == "OFF"

    twin.force_settings([1], charger_priority=ChargerPriority.SOLAR_AND_UTILITY)
    assert hold(face, 21) == FUNC_OFF  # SBU never grid-charges a healthy bank
    twin.force_settings([1], output_priority=OutputPriority.SUB)
    assert hold(face, 21) == FUNC_ON
    assert hold(face, 21, DL2) == FUNC_OFF
    twin.force_settings([1], charger_priority=ChargerPriority.SOLAR_FIRST)
    assert hold(face, 21) == FUNC_OFF


def test_dropout_silences_telemetry_but_not_commands() -> None:
    twin = build_twin("telemetry_dropout")
    face = LxpBridgeFace(twin)
    twin.step(400)
    assert face.telemetry() == []
    replies = face.handle(cmd(DL1, "set/hold/101"), "60")
    assert replies[-1] == result(DL1, "set/hold/101", "OK")
    assert twin.inverter(1).settings.max_charge_current_a == 60


# ---------------------------------------------------------------------- commands


def test_set_hold_twin_setting_replies_echo_then_ok() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL1, "set/hold/101"), "60")
    assert replies == [echo(101, 60), result(DL1, "set/hold/101", "OK")]
    assert twin.inverter(1).settings.max_charge_current_a == 60
    assert twin.inverter(2).settings.max_charge_current_a == 80
    entry = twin.journal[-1]
    assert (entry.source, entry.units, entry.accepted) == ("lxp_bridge", (1,), True)
    assert hold(face, 101) == 60


@pytest.mark.parametrize(
    ("register", "payload", "attribute", "value"),
    [
        (99, "570", "bulk_v", 57.0),
        (144, "550", "float_v", 55.0),
        (168, "20", "max_utility_charge_current_a", 20),
    ],
)
def test_set_hold_other_twin_settings(
    register: int, payload: str, attribute: str, value: float
) -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL2, f"set/hold/{register}"), payload)
    assert replies == [echo(register, int(payload), DL2), result(DL2, f"set/hold/{register}", "OK")]
    assert getattr(twin.inverter(2).settings, attribute) == value


@pytest.mark.parametrize(
    ("register", "payload"),
    [(102, "150"), (160, "30"), (161, "95")],
)
def test_set_hold_stored_register_changes_no_physics(register: int, payload: str) -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    settings = [inv.settings for inv in twin.inverters]
    replies = face.handle(cmd(DL1, f"set/hold/{register}"), payload)
    assert replies == [echo(register, int(payload)), result(DL1, f"set/hold/{register}", "OK")]
    assert hold(face, register) == int(payload)
    assert [inv.settings for inv in twin.inverters] == settings
    assert twin.journal[-1].accepted


@pytest.mark.parametrize(
    ("register", "payload", "attribute"),
    [
        (67, "90", "ac_charge_soc_limit_pct"),
        (67, "0", "ac_charge_soc_limit_pct"),
        (227, "95", "system_charge_soc_limit_pct"),
    ],
)
def test_set_hold_soc_limit_is_the_twins_setting(
    register: int, payload: str, attribute: str
) -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL1, f"set/hold/{register}"), payload)
    assert replies == [echo(register, int(payload)), result(DL1, f"set/hold/{register}", "OK")]
    assert hold(face, register) == int(payload)
    assert getattr(twin.inverter(1).settings, attribute) == int(payload)
    assert getattr(twin.inverter(2).settings, attribute) == (
        101 if register == 227 else 100
    )  # unit 2 untouched
    assert twin.journal[-1].accepted


@pytest.mark.parametrize(
    ("register", "payload", "before"),
    [
        (101, "100", 80),  # the PI-family firmware takes 10..80 A in steps of 10
        (101, "65", 80),
        (101, "0", 80),
        (99, "600", 564),  # 60.0 V: above the bulk range
        (144, "570", 540),  # float above bulk
        (102, "251", 200),  # stored, 0..250
        (67, "101", 100),  # the AC-charge SoC limit: 0..100
        (227, "9", 101),  # the system charge SoC limit: 10..101
        (21, FUNC_OFF | 0x800, FUNC_OFF),  # charge priority: a fixed bit
    ],
)
def test_set_hold_refused_value_fails_with_unchanged_echo(
    register: int, payload: str | int, before: int
) -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    states = as_dict(face.telemetry())
    replies = face.handle(cmd(DL1, f"set/hold/{register}"), str(payload))
    assert replies[0] == echo(register, before)
    assert replies[-1] == result(DL1, f"set/hold/{register}", "FAIL")
    assert as_dict(face.telemetry()) == states
    assert not twin.journal[-1].accepted


def test_set_hold_unmodelled_register_fails_without_echo() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    assert face.handle(cmd(DL1, "set/hold/64"), "50") == [result(DL1, "set/hold/64", "FAIL")]
    assert not twin.journal[-1].accepted


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("set/hold/101", "60.0"),
        ("set/hold/101", "-10"),
        ("set/hold/101", " 60"),
        ("set/hold/101", "sixty"),
        ("set/hold/101", ""),
        ("set/hold/101", "70000"),
        ("set/hold/x", "60"),
        ("set/hold/-1", "60"),
        ("set/ac_charge_soc_limit_pct", "95%"),
        ("read/hold/abc", "1"),
        ("set/charge_priority", "true"),  # a real command this face does not model
        ("set/bogus", "1"),
    ],
)
def test_unparsable_command_is_dropped_without_a_reply(path: str, payload: str) -> None:
    """lxp-bridge cannot build a command from these, so it logs and never answers."""
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    states = as_dict(face.telemetry())
    assert face.handle(cmd(DL1, path), payload) == []
    assert as_dict(face.telemetry()) == states
    rejected = twin.journal[-1]
    assert not rejected.accepted
    assert rejected.units == ()  # the bridge never sent it to the inverter
    assert "without a reply" in rejected.reason


def test_parse_u16_follows_rust() -> None:
    assert [parse_u16(t) for t in ("0", "60", "+60", "060", "65535")] == [0, 60, 60, 60, 65535]
    assert [parse_u16(t) for t in ("", "+", "-0", "65536", "6 0", "٣", "1e2")] == [None] * 7


@pytest.mark.parametrize(
    ("payload", "on"),
    [
        ("true", True),
        ("TRUE", True),
        ("On", True),
        ("1", True),
        ("t", True),
        ("Y", True),
        ("yes", True),
        ("false", False),
        ("off", False),
        ("0", False),
        ("enable", False),
        ("", False),
    ],
)
def test_ac_charge_payloads(payload: str, on: bool) -> None:
    twin = build_twin("healthy")
    twin.force_settings(
        [1], output_priority=OutputPriority.SUB, charger_priority=ChargerPriority.SOLAR_FIRST
    )
    face = LxpBridgeFace(twin)
    assert payload_bool(payload) is on
    replies = face.handle(cmd(DL1, "set/ac_charge"), payload)
    assert replies[-1] == result(DL1, "set/ac_charge", "OK")
    settings = twin.inverter(1).settings
    if on:
        assert settings.output_priority is OutputPriority.SUB
        assert settings.charger_priority is ChargerPriority.SOLAR_AND_UTILITY
    else:
        assert settings.output_priority is OutputPriority.SBU
        assert settings.charger_priority is ChargerPriority.SOLAR_FIRST
    assert twin.inverter(2).settings.charger_priority is ChargerPriority.SOLAR_FIRST


def test_ac_charge_reads_register_21_then_echoes_the_write() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL1, "set/ac_charge"), "true")
    assert [m.topic for m in replies] == [
        f"lxp/{DL1}/hold/21",
        f"lxp/{DL1}/hold/21/bits",
        f"lxp/{DL1}/hold/21",
        f"lxp/{DL1}/hold/21/bits",
        f"lxp/result/{DL1}/set/ac_charge",
    ]
    assert [replies[0].payload, replies[2].payload, replies[4].payload] == [
        str(FUNC_OFF),
        str(FUNC_ON),
        "OK",
    ]
    assert bits_of(replies) == ["OFF", "ON"]


def test_ac_charge_on_makes_the_twin_grid_charge() -> None:
    twin = build_twin("drifted")
    face = LxpBridgeFace(twin)
    twin.step(600)
    assert twin.grid_charge_a == 0
    assert inputs(face)["p_rec"] == 0
    for datalog in (DL1, DL2):
        assert face.handle(cmd(datalog, "set/ac_charge"), "true")[-1].payload == "OK"
    twin.step(600)
    assert twin.grid_charge_a == pytest.approx(120, abs=1)  # 2 units x 60 A utility current
    for datalog in (DL1, DL2):
        data = inputs(face, datalog)
        assert data["status"] == 0x20  # "AC Charge"
        assert data["p_rec"] > 0
        assert data["bat_current"] > 0
        assert hold(face, 21, datalog) == FUNC_ON
    for datalog in (DL1, DL2):
        assert face.handle(cmd(datalog, "set/ac_charge"), "false")[-1].payload == "OK"
    twin.step(600)
    assert twin.grid_charge_a == 0
    assert inputs(face)["bat_current"] < 0
    assert all(i.settings.output_priority is OutputPriority.SBU for i in twin.inverters)


def test_register_21_write_toggles_ac_charge() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL2, "set/hold/21"), str(FUNC_ON))
    assert replies[0] == echo(21, FUNC_ON, DL2)
    assert replies[-1] == result(DL2, "set/hold/21", "OK")
    assert twin.inverter(2).settings.charger_priority is ChargerPriority.SOLAR_AND_UTILITY
    assert face.handle(cmd(DL2, "set/hold/21"), str(FUNC_OFF))[-1].payload == "OK"
    assert twin.inverter(2).settings.output_priority is OutputPriority.SBU


def test_ac_charge_soc_limit_pct_writes_register_67() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    assert face.handle(cmd(DL1, "set/ac_charge_soc_limit_pct"), "95") == [
        echo(67, 95),
        result(DL1, "set/ac_charge_soc_limit_pct", "OK"),
    ]
    assert hold(face, 67) == 95
    assert twin.inverter(1).settings.ac_charge_soc_limit_pct == 95
    assert hold(face, 67, DL2) == 100


def test_all_target_writes_every_unit_with_a_result_each() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle("lxp/cmd/all/set/hold/102", "120")
    assert replies == [
        echo(102, 120, DL1),
        result(DL1, "set/hold/102", "OK"),
        echo(102, 120, DL2),
        result(DL2, "set/hold/102", "OK"),
    ]
    assert hold(face, 102) == hold(face, 102, DL2) == 120


def test_read_hold_publishes_the_registers_in_range() -> None:
    face = LxpBridgeFace(build_twin("healthy"))
    assert face.handle(cmd(DL1, "read/hold/101"), "") == [
        echo(101, 80),
        result(DL1, "read/hold/101", "OK"),
    ]
    replies = face.handle(cmd(DL2, "read/hold/60"), "50")
    registers = [m.topic.rsplit("/", 1)[-1] for m in replies[:-1]]
    windows = ["68", "69", "70", "71", "72", "73"]  # the AC-charge windows
    forced = ["84", "85", "86", "87", "88", "89"]  # the forced-discharge windows
    assert registers == ["67", *windows, *forced, "99", "101", "102"]
    assert replies[-1] == result(DL2, "read/hold/60", "OK")
    replies = face.handle(cmd(DL1, "read/hold/0"), "40")
    assert [m.topic for m in replies] == [
        f"lxp/{DL1}/hold/21",
        f"lxp/{DL1}/hold/21/bits",
        f"lxp/result/{DL1}/read/hold/0",
    ]


def test_foreign_topics_are_ignored() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    assert face.handle("lxp/cmd/BA00000000/set/hold/101", "60") == []
    assert face.handle("other/cmd/BA12345678/set/hold/101", "60") == []
    assert face.handle("lxp/BA12345678/hold/101", "60") == []
    assert twin.journal == []
    assert twin.inverter(1).settings.max_charge_current_a == 80


# ---------------------------------------------------------------------- faults


def test_nak_fails_ac_charge_and_leaves_the_twin() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    twin.faults.nak_next(1)
    replies = face.handle(cmd(DL1, "set/ac_charge"), "true")
    assert replies[-1] == result(DL1, "set/ac_charge", "FAIL")
    assert bits_of(replies) == ["OFF", "OFF"]
    assert twin.inverter(1).settings.charger_priority is ChargerPriority.SOLAR_FIRST
    assert twin.journal[-1].reason == "NAK (injected)"
    # the rule is used up: the retry goes through
    assert face.handle(cmd(DL1, "set/ac_charge"), "true")[-1].payload == "OK"


def test_nak_on_a_setting_fails_set_hold() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    twin.faults.nak_setting(Setting.MAX_CHARGE_CURRENT, unit=2)
    assert face.handle(cmd(DL2, "set/hold/101"), "60") == [
        echo(101, 80, DL2),
        result(DL2, "set/hold/101", "FAIL"),
    ]
    assert face.handle(cmd(DL1, "set/hold/101"), "60")[-1].payload == "OK"
    assert [i.settings.max_charge_current_a for i in twin.inverters] == [60, 80]


def test_nak_next_also_refuses_a_stored_register() -> None:
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    twin.faults.nak_next(1)
    assert face.handle(cmd(DL1, "set/hold/102"), "150") == [
        echo(102, 200),
        result(DL1, "set/hold/102", "FAIL"),
    ]
    assert twin.journal[-1].reason == "NAK (injected)"
    assert face.handle(cmd(DL1, "set/hold/102"), "150")[-1].payload == "OK"
    assert hold(face, 102) == 150


def test_delayed_write_is_ok_at_once_and_read_back_later() -> None:
    """Acknowledged is not applied: the echo keeps the old value until the twin applies it."""
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    twin.faults.delay(120)
    replies = face.handle(cmd(DL1, "set/ac_charge"), "true")
    assert replies[-1].payload == "OK"
    assert bits_of(replies) == ["OFF", "OFF"]
    twin.step(60)
    assert hold(face, 21) == FUNC_OFF
    twin.step(70)  # the twin applies it on the first step after 120 s
    assert hold(face, 21) == FUNC_ON


# ---------------------------------------------------------------------- round trip


def decode_all(profile: LxpBridgeProfile, messages: list[Message]) -> dict[tuple[str, str], Any]:
    """(source, key) -> value for everything the profile reads from these messages."""
    subscriptions = profile.subscriptions()
    out: dict[tuple[str, str], Any] = {}
    for message in messages:
        decoded = profile.decode(message.topic, message.payload)
        if decoded is None:
            # the profile ignores only what it does not subscribe to, or hold registers it
            # does not read (hold/21/bits is one level deeper than hold/+)
            assert "/hold/" in message.topic, message
            continue
        assert any(matches(f, message.topic) for f in subscriptions), message.topic
        assert isinstance(decoded, Decoded), (message, decoded)
        for reading in decoded.readings:
            out[(str(reading.source), reading.key)] = reading.value
    return out


ENERGY_KEYS = (
    "pv_energy",
    "battery_charge_energy",
    "battery_discharge_energy",
    "grid_import_energy",
    "grid_export_energy",
    "load_energy",
)


def energy_of(kwh: dict[str, float]) -> list[float]:
    """The meter's counters in the order of ENERGY_KEYS."""
    kinds = ("Yielding", "Charging", "Discharging", "Import", "Export", "Usage")
    return [kwh[kind] for kind in kinds]


def expected(twin: Twin, face: LxpBridgeFace) -> dict[tuple[str, str], Any]:
    """What the profile should read, straight from the twin."""
    packs = twin.packs
    cell_temps = [t for p in packs for t in p.temperatures[:2]]
    out: dict[tuple[str, str], Any] = {}
    for unit in range(1, len(face.datalogs) + 1):
        inv = twin.inverter(unit)
        fl = inv.flows
        s = inv.settings
        inverter = str(SourceId(SourceKind.INVERTER, unit))
        pack = str(SourceId(SourceKind.PACK, unit))
        volts = round(fl.battery_v, 1)
        grid_on = s.output_priority is not OutputPriority.SBU and (
            s.charger_priority is ChargerPriority.SOLAR_AND_UTILITY
        )
        out.update(
            {
                (inverter, "battery_voltage"): volts,
                (inverter, "battery_soc"): bank_soc(twin),
                (inverter, "pv_power"): round(fl.pv_w),
                (inverter, "output_power"): round(fl.load_w),
                (inverter, "grid_voltage"): round(fl.grid_v, 1),
                (inverter, "temperature"): round(fl.temperature_c),
                (inverter, "battery_flow"): round(fl.battery_current_a * fl.battery_v),
                (inverter, "grid_power"): round(fl.grid_in_w),
                **{
                    (inverter, key): kwh
                    for key, kwh in zip(
                        ENERGY_KEYS, energy_of(face.energy.kwh([unit])), strict=True
                    )
                },
                (inverter, "max_charge_current"): s.max_charge_current_a,
                (inverter, "discharge_current"): 200,
                (inverter, "ac_charge_soc_limit"): s.ac_charge_soc_limit_pct,
                (inverter, "charge_soc_limit"): s.system_charge_soc_limit_pct,
                (inverter, "charger_priority"): HaChargerPriority.SOLAR_AND_UTILITY
                if grid_on
                else HaChargerPriority.SOLAR_FIRST,
                (pack, "soc"): bank_soc(twin),
                (pack, "voltage"): volts,
                (pack, "current"): round(sum(p.current_a for p in packs), 2),
                (pack, "bank_capacity"): round(sum(p.capacity_ah for p in packs)),
                (pack, "cell_voltage_max"): round(max(p.cell_max for p in packs), 3),
                (pack, "cell_voltage_min"): round(min(p.cell_min for p in packs), 3),
                (pack, "temperature_cell_max"): round(max(cell_temps), 1),
                (pack, "temperature_cell_min"): round(min(cell_temps), 1),
                # The AC-charge windows: off (00:00 to 00:00) until written.
                **{(inverter, key): time(0, 0) for key in AC_CHARGE_TIMES},
                # The forced discharge: off, its window 1 off too.
                (inverter, "quick_discharge"): 0.0,
                (inverter, "forced_discharge_start_1"): time(0, 0),
                (inverter, "forced_discharge_end_1"): time(0, 0),
            }
        )
    return out


@pytest.mark.parametrize("scenario", ["drifted", "hot", "imbalanced", "cold"])
@pytest.mark.parametrize("grid_charge", [False, True])
def test_profile_decodes_every_message_to_the_twins_values(
    scenario: str, grid_charge: bool
) -> None:
    twin = build_twin(scenario)
    if grid_charge:
        engage_grid_charge(twin)
    twin.step(900)
    face = LxpBridgeFace(twin)
    profile = LxpBridgeProfile.from_config(
        {"topic_prefix": "lxp", "datalogs": "BA12345678,BA87654321"}
    )
    decoded = decode_all(profile, face.telemetry())
    assert decoded == pytest.approx(expected(twin, face))
    current = decoded[("pack_1", "current")]
    assert current > 0 if grid_charge else current < 0


def test_profile_subscriptions_all_receive_something() -> None:
    face = LxpBridgeFace(build_twin("healthy"))
    profile = LxpBridgeProfile(topic_prefix="lxp", datalogs=face.datalogs)
    published = [m.topic for m in face.telemetry()]
    published += [m.topic for m in face.handle(cmd(DL1, "set/hold/101"), "60")]
    published += [m.topic for m in face.handle(cmd(DL2, "set/hold/101"), "60")]
    published += [m.topic for m in face.handle(cmd(DL1, "read/ac_charge/1"), "")]
    for topic_filter in profile.subscriptions():
        assert any(matches(topic_filter, topic) for topic in published), topic_filter


WRITES: list[tuple[SettingKey, SettingValue]] = [
    (SettingKey.MAX_CHARGE_CURRENT, 60.0),
    (SettingKey.MAX_CHARGE_CURRENT, 10.0),
    (SettingKey.DISCHARGE_CURRENT, 150.0),
    (SettingKey.DISCHARGE_CURRENT, 0.0),
    (SettingKey.AC_CHARGE_SOC_LIMIT, 95.0),
    (SettingKey.AC_CHARGE_SOC_LIMIT, 35.0),
    (SettingKey.CHARGE_SOC_LIMIT, 95.0),
    (SettingKey.CHARGE_SOC_LIMIT, 10.0),
    (SettingKey.CHARGER_PRIORITY, HaChargerPriority.SOLAR_AND_UTILITY),
    (SettingKey.CHARGER_PRIORITY, HaChargerPriority.SOLAR_FIRST),
    (SettingKey.AC_CHARGE_START_1, time(22, 30)),
    (SettingKey.AC_CHARGE_END_3, time(5, 45)),
    (SettingKey.QUICK_DISCHARGE, 1.0),
    (SettingKey.FORCED_DISCHARGE_END_1, time(23, 59)),
]


@pytest.mark.parametrize(("key", "value"), WRITES)
@pytest.mark.parametrize("unit", [1, 2])
def test_every_profile_command_is_accepted_and_read_back(
    key: SettingKey, value: SettingValue, unit: int
) -> None:
    twin = build_twin("drifted")
    if value == HaChargerPriority.SOLAR_FIRST:
        engage_grid_charge(twin)
    face = LxpBridgeFace(twin)
    profile = LxpBridgeProfile(topic_prefix="lxp", datalogs=face.datalogs)
    commands = profile.encode(key, value, unit)
    assert commands
    replies: list[Message] = []
    for command in commands:
        assert any(matches(f, command.topic) for f in face.command_subscriptions())
        replies.extend(face.handle(command.topic, command.payload))
    decoded = [profile.decode(m.topic, m.payload) for m in replies]
    assert decoded[-1] == CommandResult(ok=True, message="OK", unit=unit)
    readings = [r for d in decoded if isinstance(d, Decoded) for r in d.readings]
    assert readings
    last = [r for r in readings if r.setting is key][-1]
    assert (last.source, last.key, last.value) == (SourceId(SourceKind.INVERTER, unit), key, value)
    # the next telemetry agrees, and only that unit changed
    after = decode_all(profile, face.telemetry())
    assert after[(f"inverter_{unit}", key.value)] == value
    other = 3 - unit
    assert after[(f"inverter_{other}", key.value)] != value


def test_profile_reads_a_refusal_as_a_failed_command() -> None:
    twin = build_twin("drifted")
    face = LxpBridgeFace(twin)
    profile = LxpBridgeProfile(topic_prefix="lxp", datalogs=face.datalogs)
    twin.faults.nak_next(1)
    (command,) = profile.encode(SettingKey.CHARGER_PRIORITY, HaChargerPriority.SOLAR_AND_UTILITY, 1)
    replies = face.handle(command.topic, command.payload)
    assert profile.decode(replies[-1].topic, replies[-1].payload) == CommandResult(
        ok=False, message="FAIL", unit=1
    )
    (out_of_range,) = profile.encode(SettingKey.MAX_CHARGE_CURRENT, 100.0, 2)
    replies = face.handle(out_of_range.topic, out_of_range.payload)
    assert profile.decode(replies[-1].topic, replies[-1].payload) == CommandResult(
        ok=False, message="FAIL", unit=2
    )


# ---------------------------------------------------------------------- construction, CLI


def test_datalogs_must_match_the_units() -> None:
    twin = build_twin("healthy", inverters=3)
    assert LxpBridgeFace(twin).datalogs == (DL1, DL2, "BA00000003")
    assert default_datalogs(1) == (DL1,)
    with pytest.raises(ValueError, match="3 distinct datalogs"):
        LxpBridgeFace(twin, datalogs=[DL1, DL2])
    with pytest.raises(ValueError, match="distinct"):
        LxpBridgeFace(twin, datalogs=[DL1, DL1, DL2])
    with pytest.raises(ValueError, match="letters and digits"):
        LxpBridgeFace(twin, datalogs=[DL1, DL2, "BA/1"])


def test_custom_prefix_and_datalogs() -> None:
    twin = build_twin("healthy", inverters=1, packs=2)
    face = LxpBridgeFace(twin, topic_prefix="home/lxp/", datalogs=["XY00000001"])
    topics = {m.topic for m in face.telemetry()}
    assert "home/lxp/XY00000001/inputs/all" in topics
    assert json.loads(as_dict(face.telemetry())["home/lxp/XY00000001/inputs/all"])["bat_count"] == 2
    assert face.handle("home/lxp/cmd/XY00000001/set/hold/101", "50") == [
        Message("home/lxp/XY00000001/hold/101", "50", retain=True),
        Message("home/lxp/result/XY00000001/set/hold/101", "OK"),
    ]


def test_runner_and_cli_select_the_face() -> None:
    assert FACES["lxp_bridge"] is LxpBridgeFace
    twin = build_twin("healthy")
    face = make_face(
        "lxp_bridge", twin, {"datalogs": "AA00000001, AA00000002", "unsigned_bms_fields": "true"}
    )
    assert isinstance(face, LxpBridgeFace)
    assert face.datalogs == ("AA00000001", "AA00000002")
    assert face.unsigned_bms_fields
    assert build_parser().parse_args(["--profile", "lxp_bridge"]).profile == "lxp_bridge"


def test_forced_discharge_discharges_inside_its_window_while_the_bit_is_on() -> None:
    """Bit 10 and window 1: the bank discharges; the bit off, or an empty window, it stops."""
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin)
    replies = face.handle(cmd(DL1, "set/forced_discharge/1"), '{"start":"00:00","end":"23:59"}')
    assert replies[-1] == result(DL1, "set/forced_discharge/1", "OK")
    assert Message(f"lxp/{DL1}/forced_discharge/1", '{"start":"00:00","end":"23:59"}', True) in (
        replies
    )
    assert [echo(84, 0), echo(85, 23 | 59 << 8)] == replies[:2]
    assert twin.inverter(1).quick is None  # a window alone does nothing
    replies = face.handle(cmd(DL1, "set/forced_discharge"), "true")
    assert replies[-1] == result(DL1, "set/forced_discharge", "OK")
    bits = json.loads(replies[-2].payload)
    assert bits["forced_discharge_en"] == "ON"
    assert twin.inverter(1).quick is QuickTask.DISCHARGE
    assert twin.inverter(2).quick is None  # one datalog, one unit
    soc = twin.bank_soc_pct
    for _ in range(30):
        twin.step(60)
        face.telemetry()
    assert twin.bank_soc_pct < soc
    assert twin.inverter(1).flows.discharge_a > 0
    face.handle(cmd(DL1, "set/forced_discharge"), "false")
    assert twin.inverter(1).quick is None
    face.handle(cmd(DL1, "set/forced_discharge"), "on")
    face.handle(cmd(DL1, "set/hold/85"), "0")  # 00:00 to 00:00: the window is off
    assert twin.inverter(1).quick is None
    assert face.handle(cmd(DL1, "read/forced_discharge/1"), "")[-2].payload == (
        '{"start":"00:00","end":"00:00"}'
    )


def test_the_charge_current_takes_whole_amps_as_the_hybrids_firmware_does() -> None:
    """Register 101 takes 16 A (the twin's LVX-like 10 A steps would refuse it), not 251 A."""
    twin = build_twin("healthy")
    face = LxpBridgeFace(twin, currents=WHOLE_AMPS_0_250)
    assert face.handle(cmd(DL1, "set/hold/101"), "16")[-1] == result(DL1, "set/hold/101", "OK")
    assert twin.inverter(1).settings.max_charge_current_a == 16
    assert hold(face, 101) == 16
    assert face.handle(cmd(DL1, "set/hold/101"), "251")[-1] == result(DL1, "set/hold/101", "FAIL")
    assert twin.inverter(1).settings.max_charge_current_a == 16
