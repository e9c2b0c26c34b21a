"""Typed results and their scaling, from the client's point of view."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.cloud import Eg4CloudClient, parse

from .portal import (
    BATTERY,
    DEVICES,
    GROUP,
    LOGIN,
    PARAM_READ,
    PLANTS_INSTALLER,
    PLANTS_VIEWER,
    RUNTIME,
    FakePortal,
    fixture,
)


async def test_runtime_scaling(client: Eg4CloudClient, portal: FakePortal) -> None:
    rt = await client.runtime("5210048817")
    assert portal.calls[-1].form == {"serialNum": "5210048817"}
    assert rt.serial == "5210048817"
    assert rt.online is True
    assert rt.status_text == "normal"
    assert rt.status == 40
    assert rt.battery_voltage == pytest.approx(53.4)
    assert rt.battery_power == 2210
    assert rt.battery_current == pytest.approx(41.4)
    assert rt.soc == 82
    assert rt.pv_power == 4315
    assert rt.grid_power == 312
    assert rt.output_power == 1820
    assert rt.load_power == 2100  # consumptionPower114 (register 170) before consumptionPower
    assert rt.grid_voltage == pytest.approx(241.8)
    assert rt.grid_frequency == pytest.approx(59.98)
    assert rt.inverter_temperature == 38
    assert rt.bms_max_charge_current == pytest.approx(200.0)
    assert rt.firmware == "fAAB-2525"


async def test_offline_inverter_is_not_online(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.defaults[RUNTIME] = fixture("runtime_offline.json")
    rt = await client.runtime("5210048823")
    assert rt.online is False
    assert rt.status_text == "offline"
    assert rt.soc is None
    assert rt.battery_voltage is None
    assert rt.battery_power is None
    assert rt.battery_current is None
    assert rt.pv_power is None
    assert rt.grid_voltage == pytest.approx(241.1)  # frozen mirror still served


async def test_strings_with_units_and_garbage(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.defaults[RUNTIME] = fixture("runtime_strings.json")
    rt = await client.runtime("4880023311")
    assert rt.online is True
    assert rt.soc == 82  # "82 %"
    assert rt.status == 32
    assert rt.battery_voltage == pytest.approx(53.1)
    assert rt.battery_power == -1967
    assert rt.battery_current == pytest.approx(-37.0)
    assert rt.pv_power == 1520  # "1520 W"
    assert rt.output_power == 2010
    assert rt.grid_power is None  # "" is unknown
    assert rt.grid_frequency == pytest.approx(59.99)
    assert rt.bms_max_charge_current is None  # "--"
    assert rt.bms_max_discharge_current is None  # nested object
    assert rt.load_power is None
    assert rt.device_time is None


async def test_battery_packs_scaling(client: Eg4CloudClient, portal: FakePortal) -> None:
    info = await client.battery("5210048817")
    assert portal.calls[-1].path == BATTERY
    assert info.online
    assert info.soc == 82
    assert info.voltage == pytest.approx(53.4)
    assert info.current == pytest.approx(41.4)
    assert info.power == 2210
    assert info.status_text == "Charging"
    assert info.pack_count == 4
    assert info.full_capacity_ah == 400
    assert [p.number for p in info.packs] == [1, 2, 3, 4]
    first = info.packs[0]
    assert first.key == "5210048817_Battery_ID_01"
    assert first.serial == "Battery_ID_01"
    assert first.voltage == pytest.approx(53.42)
    assert first.current == pytest.approx(10.4)
    assert first.soc == 81
    assert first.soh == 99
    assert first.cell_voltage_max == pytest.approx(3.341)
    assert first.cell_voltage_min == pytest.approx(3.336)
    assert first.temperature_max == pytest.approx(26.2)
    assert first.temperature_min == pytest.approx(25.1)
    assert first.cycle_count == 212
    assert first.remaining_capacity_ah == 81
    assert first.full_capacity_ah == 100
    assert first.firmware == "2.20"
    third = info.packs[2]  # numbers as strings
    assert third.voltage == pytest.approx(53.43)
    assert third.current == pytest.approx(-1.2)
    assert third.soc == 76
    assert third.soh is None
    lost = info.packs[3]
    assert lost.online is False
    assert lost.cell_voltage_max is None
    assert lost.temperature_max is None


async def test_battery_offline(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.defaults[BATTERY] = fixture("battery_offline.json")
    info = await client.battery("5210048823")
    assert info.online is False
    assert info.packs == ()
    assert info.pack_count == 0
    assert info.current is None
    assert info.voltage is None


def test_discharge_current_is_negative() -> None:
    body = {"currentText": "12.5", "currentType": "discharge", "batteryArray": "junk"}
    info = parse.battery("x", body)
    assert info.current == pytest.approx(-12.5)
    assert info.packs == ()
    assert info.online is True


async def test_parameters_are_flat_strings(client: Eg4CloudClient, portal: FakePortal) -> None:
    params = await client.read_parameters("5210048817", 0, 127)
    form = portal.calls[-1].form
    assert form == {
        "inverterSn": "5210048817",
        "startRegister": "0",
        "pointNumber": "127",
        "autoRetry": "true",
    }
    assert params["HOLD_LEAD_ACID_CHARGE_RATE"] == "120"
    assert params["HOLD_LEAD_ACID_CHARGE_VOLT_REF"] == "56.4"
    assert params["FUNC_AC_CHARGE"] == "true"
    assert params["FUNC_FEED_IN_GRID_EN"] == "false"
    assert params["BIT_AC_CHARGE_TYPE"] == "1"
    assert params["INPUT_BATTERY_VOLTAGE"] == "53.4"
    for envelope in ("success", "inverterSn", "startRegister", "valueFrame", "deviceType"):
        assert envelope not in params
    assert "UNUSED_NULL_FIELD" not in params
    assert "NESTED_IGNORED" not in params


async def test_devices_overview(client: Eg4CloudClient, portal: FakePortal) -> None:
    rows = await client.devices(42017)
    assert portal.calls[-1].path == DEVICES
    assert portal.calls[-1].form["plantId"] == "42017"
    assert [r.serial for r in rows] == ["5210048817", "5210048823", "5360011204"]
    first, offline, gridboss = rows
    assert first.soc == 82  # "82 %"
    assert first.battery_voltage == pytest.approx(53.4)
    assert first.parallel_group == "A"
    assert first.parallel_index == 1
    assert not first.lost
    assert offline.lost
    assert offline.battery_voltage == pytest.approx(53.3)
    assert gridboss.is_gridboss
    assert gridboss.soc is None


async def test_devices_pages_until_total(client: Eg4CloudClient, portal: FakePortal) -> None:
    row = fixture("device_list.json")["rows"][0]
    page1 = [{**row, "serialNum": f"52100{n:05d}"} for n in range(30)]
    page2 = [{**row, "serialNum": "5210099999"}]
    portal.script(
        DEVICES,
        {"success": True, "total": 31, "rows": page1},
        {"success": True, "total": 31, "rows": page2},
    )
    rows = await client.devices(-1)
    assert len(rows) == 31
    assert [c.form["page"] for c in portal.calls if c.path == DEVICES] == ["1", "2"]


async def test_parallel_group(client: Eg4CloudClient, portal: FakePortal) -> None:
    group = await client.parallel_group("5210048823")
    assert portal.calls[-1].path == GROUP
    assert portal.calls[-1].form == {"serialNum": "5210048823"}
    assert group.midbox_serial == "5360011204"
    inverters = {m.serial for m in group.members} - {group.midbox_serial}
    assert inverters == {"5210048817", "5210048823"}
    roles = {m.serial: m.role for m in group.members}
    assert roles["5210048817"] == "Primary"
    assert next(m for m in group.members if m.serial == "5210048823").lost is True


async def test_plants_use_the_role_endpoint(client: Eg4CloudClient, portal: FakePortal) -> None:
    plants = await client.plants()
    assert [c.path for c in portal.calls] == [LOGIN, PLANTS_VIEWER]
    assert [(p.plant_id, p.name) for p in plants] == [
        (42017, "Maple Ridge Home"),
        (42101, "Workshop"),
    ]
    assert plants[0].daylight_saving is False
    assert plants[1].daylight_saving is True


async def test_installer_accounts_use_the_installer_list(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.login_body = {**portal.login_body, "role": "INSTALLER"}
    await client.plants()
    assert portal.calls[-1].path == PLANTS_INSTALLER


async def test_read_window_is_sent(client: Eg4CloudClient, portal: FakePortal) -> None:
    await client.read_parameters("5210048817", 161, 1)
    assert portal.calls[-1].path == PARAM_READ
    assert portal.calls[-1].form["startRegister"] == "161"
    assert portal.calls[-1].form["pointNumber"] == "1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (82, 82.0),
        ("82 %", 82.0),
        (" 53.7 V", 53.7),
        ("-12", -12.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("", None),
        ("--", None),
        ("[0]", None),
        (True, None),
        (None, None),
        (float("nan"), None),
        ("inf", None),
        ([1], None),
    ],
)
def test_number(raw: Any, expected: float | None) -> None:
    assert parse.number(raw) == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "lost",
        "soc",
        "vBat",
        "batPower",
        "pCharge",
        "pDisCharge",
        "pToUser",
        "pToGrid",
        "batteryArray",
        "currentText",
        "currentType",
        "plants",
        "rows",
        "devices",
        "totalVoltage",
        "batIndex",
        "serialNum",
    ]
)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(_keys | st.text(max_size=6), _json, max_size=12), _json)
def test_parsers_never_raise(body: dict[str, Any], nested: Any) -> None:
    body = {**body, "batteryArray": [nested, body], "plants": [{"plantId": 1, "inverters": nested}]}
    parse.runtime("x", body)
    parse.battery("x", body)
    parse.account(body)
    parse.plant_list(body)
    parse.device_rows(body)
    parse.parallel_group(body)
    parse.parameters(body)
