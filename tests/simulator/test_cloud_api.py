"""The real cloud client against the simulator's portal on 127.0.0.1, driven by a twin."""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.cloud import (
    Eg4AuthError,
    Eg4CloudClient,
    Eg4DeviceRejectedError,
    Eg4PermissionError,
    Eg4TransientError,
    ModelFamily,
    encode_write,
    model_family,
    readback_from_params,
    readback_window,
)
from custom_components.eg4.model import ChargerPriority, SettingKey
from simulator import OutputPriority, Setting, Twin, build_twin
from simulator.cloud_api import CloudApiServer
from simulator.inverter import QuickTask
from simulator.portal_energy import KINDS, EnergyMeter

RUNTIME = "/WManage/api/inverter/getInverterRuntime"
BATTERY = "/WManage/api/battery/getBatteryInfo"
LOGIN = "/WManage/api/login"
READ = "/WManage/web/maintain/remoteRead/read"
ENERGY = "/WManage/api/inverter/getInverterEnergyInfo"
GROUP_ENERGY = "/WManage/api/inverter/getInverterEnergyInfoParallel"
INFO = "/WManage/api/inverter/getInverterInfo"
BATTERY_SET = "/WManage/api/battery/getBatteryInfoForSet"
QUICK_CHARGE = "/WManage/web/config/quickCharge/getStatusInfo"


@pytest.fixture
def twin() -> Twin:
    return build_twin("drifted", inverters=2, packs=6, seed=0)


@pytest.fixture
async def server(twin: Twin, socket_enabled: None) -> AsyncIterator[CloudApiServer]:
    portal = CloudApiServer(twin)
    await portal.start()
    yield portal
    await portal.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:  # default jar: drops cookies of IP hosts
        yield http


DEMO = "demo"


def make_client(
    session: aiohttp.ClientSession, server: CloudApiServer, secret: str = DEMO
) -> Eg4CloudClient:
    return Eg4CloudClient(
        session,
        base_url=server.base_url,
        username=DEMO,
        password=secret,
        retry_delays=(0.0, 0.0, 0.0),
    )


@pytest.fixture
def client(session: aiohttp.ClientSession, server: CloudApiServer) -> Eg4CloudClient:
    return make_client(session, server)


async def refresh(client: Eg4CloudClient, serials: tuple[str, ...]) -> None:
    """One steady-state cycle: runtime + battery of every inverter, concurrently."""
    calls = [client.runtime(s) for s in serials] + [client.battery(s) for s in serials]
    await asyncio.gather(*calls)


async def test_discovery(client: Eg4CloudClient, server: CloudApiServer) -> None:
    account = await client.login()
    (plant,) = account.plants
    assert plant.plant_id == server.plant_id
    assert [i.serial for i in plant.inverters] == list(server.serials)
    assert model_family(plant.inverters[0].model) is ModelFamily.HYBRID
    assert plant.parallel_groups[0].first_serial == server.serials[0]
    (info,) = await client.plants()
    assert info.plant_id == server.plant_id
    rows = await client.devices(plant.plant_id)
    assert [r.serial for r in rows] == list(server.serials)
    assert all(r.parallel_group == "A" for r in rows)
    group = await client.parallel_group(server.serials[1])
    assert {m.serial for m in group.members} - {group.midbox_serial} == set(server.serials)
    assert server.logins == 1


async def test_telemetry_matches_the_twin(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    twin.step(60)
    primary, other = server.serials
    rt = await client.runtime(primary)
    assert rt.online
    assert rt.battery_voltage == pytest.approx(twin.inverter(1).flows.battery_v, abs=0.05)
    assert rt.soc == round(sum(p.bms.soc_exact_pct for p in twin.packs) / 6)
    bank = await client.battery(primary)
    assert [p.soc for p in bank.packs] == twin.soc_readings()
    assert [p.number for p in bank.packs] == [1, 2, 3, 4, 5, 6]
    for pack, model in zip(bank.packs, twin.packs, strict=True):
        assert pack.voltage == pytest.approx(model.voltage, abs=0.005)
        assert pack.current == pytest.approx(model.current_a, abs=0.05)
        assert pack.cell_voltage_max == pytest.approx(model.cell_max, abs=0.0005)
        assert pack.cell_voltage_min == pytest.approx(model.cell_min, abs=0.0005)
        assert pack.temperature_max == pytest.approx(max(model.temperatures[:2]), abs=0.05)
        assert pack.cycle_count == model.cycles
    assert (await client.battery(other)).packs == ()  # the BMS link is on the first unit


async def test_steady_state_request_budget(client: Eg4CloudClient, server: CloudApiServer) -> None:
    await client.login()
    start = client.request_count
    for _ in range(3):
        await refresh(client, server.serials)
    per_cycle = (client.request_count - start) / 3
    assert per_cycle == 2 * len(server.serials)  # runtime + battery per inverter
    assert server.total_requests == client.request_count
    assert server.requests[LOGIN] == 1


@pytest.mark.parametrize("style", ["html", "401"])
async def test_session_expiry_mid_run_costs_one_relogin(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin, style: str
) -> None:
    await refresh(client, server.serials)
    before = client.request_count
    server.expire_sessions(style)  # type: ignore[arg-type]
    twin.step(30)
    await refresh(client, server.serials)
    assert server.logins == 2
    assert client.login_count == 2
    # 4 calls expire together, ONE login, 4 replays
    assert client.request_count - before == 4 + 1 + 4
    assert server.total_requests == client.request_count


async def test_session_ttl_expiry(
    session: aiohttp.ClientSession, twin: Twin, socket_enabled: None
) -> None:
    now = [0.0]
    server = CloudApiServer(twin, session_ttl_s=7200, clock=lambda: now[0])
    await server.start()
    try:
        client = make_client(session, server)
        await client.runtime(server.serials[0])
        now[0] = 7199.0
        await client.runtime(server.serials[0])
        assert server.logins == 1
        now[0] = 7200.0
        await client.runtime(server.serials[0])
        assert server.logins == 2
    finally:
        await server.stop()


async def test_bad_password(session: aiohttp.ClientSession, server: CloudApiServer) -> None:
    client = make_client(session, server, "nope")
    with pytest.raises(Eg4AuthError):
        await client.login()
    assert server.total_requests == 1


async def test_max_charge_current_write_confirmed_by_read(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    serial = server.serials[0]
    await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, 60.0))
    params = await client.read_parameters(serial, *readback_window(SettingKey.MAX_CHARGE_CURRENT))
    assert params == {"HOLD_LEAD_ACID_CHARGE_RATE": "60"}
    assert readback_from_params(params) == {SettingKey.MAX_CHARGE_CURRENT: 60.0}
    assert twin.inverter(1).settings.max_charge_current_a == 60
    assert twin.inverter(2).settings.max_charge_current_a == 80  # per unit
    assert twin.journal[-1].source == "cloud"


async def test_ac_charge_function_drives_grid_charging(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    for serial in server.serials:
        on = encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY)
        await client.apply(serial, on)
    for unit, serial in enumerate(server.serials, start=1):
        params = await client.read_parameters(serial, 0, 127)
        assert readback_from_params(params)[SettingKey.CHARGER_PRIORITY] is (
            ChargerPriority.SOLAR_AND_UTILITY
        )
        assert twin.inverter(unit).settings.output_priority is OutputPriority.SUB
    twin.step(600)
    assert twin.grid_charge_a > 10
    rt = await client.runtime(server.serials[0])
    assert rt.battery_power is not None
    assert rt.battery_power > 0
    for serial in server.serials:
        off = encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_FIRST)
        await client.apply(serial, off)
    params = await client.read_parameters(server.serials[1], 21, 1)
    assert params["FUNC_AC_CHARGE"] == "false"
    assert twin.inverter(2).settings.output_priority is OutputPriority.SBU


async def test_firmware_rejection_surfaces(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    with pytest.raises(Eg4DeviceRejectedError) as err:  # the 18kPV takes whole amps 0..250
        await client.apply(server.serials[0], encode_write(SettingKey.MAX_CHARGE_CURRENT, 251))
    assert err.value.message == "REMOTE_SET_ERROR"
    assert not twin.journal[-1].accepted
    twin.faults.nak_next(1)
    on = encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY)
    with pytest.raises(Eg4DeviceRejectedError):
        await client.apply(server.serials[0], on)
    assert twin.inverter(1).settings.output_priority is OutputPriority.SBU


async def test_hybrid_charge_currents_take_whole_amps_0_to_250(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    """Real 18kPV captures show 25 A and 215 A: the hybrid family is not the twin's LVX6048."""
    serial = server.serials[0]
    for amps in (25, 215, 0, 250, 60):
        await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, amps))
        params = await client.read_parameters(serial, 101, 1)
        assert params == {"HOLD_LEAD_ACID_CHARGE_RATE": str(amps)}
        assert twin.inverter(1).settings.max_charge_current_a == amps
        assert twin.journal[-1].accepted
    await client.write_parameter(serial, "HOLD_AC_CHARGE_BATTERY_CURRENT", "125")
    assert twin.inverter(1).settings.max_utility_charge_current_a == 125
    for text, reason in (
        ("251", "charge current 251 A is outside 0..250 A"),
        ("-1", "charge current -1 A is outside 0..250 A"),
        ("65.5", "charge current 65.5 A is not a whole number of amps"),
        ("lots", "charge current 'lots' is not a number"),
    ):
        with pytest.raises(Eg4DeviceRejectedError):
            await client.write_parameter(serial, "HOLD_LEAD_ACID_CHARGE_RATE", text)
        assert (twin.journal[-1].accepted, twin.journal[-1].reason) == (False, reason)
    assert twin.inverter(1).settings.max_charge_current_a == 60
    twin.step(60)  # the twin runs on the value the portal set
    assert twin.inverter(2).settings.max_charge_current_a == 80


async def test_lvx6048_keeps_ten_amp_steps(
    session: aiohttp.ClientSession, twin: Twin, socket_enabled: None
) -> None:
    server = CloudApiServer(twin, model="LVX6048")
    await server.start()
    try:
        client = make_client(session, server)
        serial = server.serials[0]
        for amps in (65, 25, 90, 215):
            with pytest.raises(Eg4DeviceRejectedError):
                await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, amps))
        await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, 60))
        assert await client.read_parameters(serial, 101, 1) == {"HOLD_LEAD_ACID_CHARGE_RATE": "60"}
        assert twin.journal[-2].reason == "max charge current 215 A is not one of 10..80 step 10"
    finally:
        await server.stop()


async def test_hybrid_only_value_takes_the_twins_nak_and_delay_rules(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    serial = server.serials[1]
    twin.faults.nak_setting(Setting.MAX_CHARGE_CURRENT, 1, unit=2)
    with pytest.raises(Eg4DeviceRejectedError):
        await client.write_parameter(serial, "HOLD_LEAD_ACID_CHARGE_RATE", "25")
    assert (twin.journal[-1].accepted, twin.journal[-1].reason) == (False, "NAK (injected)")
    twin.faults.delay(120, setting=Setting.MAX_CHARGE_CURRENT, unit=2)
    await client.write_parameter(serial, "HOLD_LEAD_ACID_CHARGE_RATE", "25")
    assert twin.journal[-1].apply_at_s == twin.clock_s + 120
    assert (await client.read_parameters(serial, 101, 1))["HOLD_LEAD_ACID_CHARGE_RATE"] == "80"
    twin.step(121)
    assert (await client.read_parameters(serial, 101, 1))["HOLD_LEAD_ACID_CHARGE_RATE"] == "25"
    assert twin.inverter(2).settings.max_charge_current_a == 25


async def test_delayed_write_is_acknowledged_before_it_applies(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    twin.faults.delay(120, setting=Setting.MAX_CHARGE_CURRENT)
    serial = server.serials[0]
    await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, 40))
    params = await client.read_parameters(serial, 101, 1)
    assert params["HOLD_LEAD_ACID_CHARGE_RATE"] == "80"  # acknowledged is not applied
    twin.step(121)
    params = await client.read_parameters(serial, 101, 1)
    assert params["HOLD_LEAD_ACID_CHARGE_RATE"] == "40"


async def test_stored_parameters_and_families(
    session: aiohttp.ClientSession, twin: Twin, socket_enabled: None
) -> None:
    for model in ("18KPV", "12000XP"):
        server = CloudApiServer(twin, model=model)
        await server.start()
        try:
            client = make_client(session, server)
            account = await client.login()
            family = model_family(account.plants[0].inverters[0].model)
            serial = server.serials[0]
            for key, value in (
                (SettingKey.DISCHARGE_CURRENT, 120.0),
                (SettingKey.CHARGE_SOC_LIMIT, 95.0),
                (SettingKey.AC_CHARGE_SOC_LIMIT, 85.0),
            ):
                await client.apply(serial, encode_write(key, value, family))
                params = await client.read_parameters(serial, *readback_window(key, family))
                assert readback_from_params(params, family)[key] == value
            if family is ModelFamily.OFF_GRID:
                with pytest.raises(Eg4DeviceRejectedError):
                    await client.write_parameter(serial, "HOLD_AC_CHARGE_SOC_LIMIT", "85")
            with pytest.raises(Eg4DeviceRejectedError):
                await client.write_parameter(serial, "HOLD_SYSTEM_CHARGE_SOC_LIMIT", "102")
        finally:
            await server.stop()


async def test_stored_parameter_writes_take_nak_rules_and_are_journaled(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    """A parameter the portal keeps itself is refused and journaled like a twin setting."""
    serial = server.serials[1]
    twin.faults.nak_next(1, unit=2)
    with pytest.raises(Eg4DeviceRejectedError) as err:
        await client.write_parameter(serial, "HOLD_LEAD_ACID_DISCHARGE_RATE", "150")
    assert err.value.message == "REMOTE_SET_ERROR"
    assert server.params.read(2, 102, 1)["HOLD_LEAD_ACID_DISCHARGE_RATE"] == "200"
    with pytest.raises(Eg4DeviceRejectedError):
        await client.write_parameter(serial, "HOLD_LEAD_ACID_DISCHARGE_RATE", "251")
    await client.write_parameter(serial, "HOLD_LEAD_ACID_DISCHARGE_RATE", "150")
    assert server.params.read(2, 102, 1)["HOLD_LEAD_ACID_DISCHARGE_RATE"] == "150"
    assert [(e.source, e.units, e.request, e.accepted, e.reason) for e in twin.journal] == [
        ("cloud", (2,), "HOLD_LEAD_ACID_DISCHARGE_RATE=150", False, "NAK (injected)"),
        (
            "cloud",
            (2,),
            "HOLD_LEAD_ACID_DISCHARGE_RATE=251",
            False,
            "HOLD_LEAD_ACID_DISCHARGE_RATE 251 is outside 0..250",
        ),
        ("cloud", (2,), "HOLD_LEAD_ACID_DISCHARGE_RATE=150", True, ""),
    ]


async def test_charge_soc_limits_are_the_twins_own(
    client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    """Registers 67 and 227 are the twin's charge SoC limits, as on the lxp-bridge face.

    A read shows what the twin holds, a write goes through its firmware (range, NAK rules),
    and what it takes ends the twin's grid charge at that SoC.
    """
    serial = server.serials[0]
    twin.force_settings(system_charge_soc_limit=95)
    assert server.params.read(1, 67, 1) == {"HOLD_AC_CHARGE_SOC_LIMIT": "100"}
    assert server.params.read(1, 227, 1) == {"HOLD_SYSTEM_CHARGE_SOC_LIMIT": "95"}
    await client.write_parameter(serial, "HOLD_AC_CHARGE_SOC_LIMIT", "90")
    assert twin.inverter(1).settings.ac_charge_soc_limit_pct == 90
    assert twin.inverter(2).settings.ac_charge_soc_limit_pct == 100  # only the unit written
    assert twin.inverter(1).settings.charge_soc_limit(grid=True) == 90
    twin.faults.nak_next(1, unit=1)
    with pytest.raises(Eg4DeviceRejectedError):
        await client.write_parameter(serial, "HOLD_SYSTEM_CHARGE_SOC_LIMIT", "101")
    for value in ("9", "102", "95.5"):  # outside the firmware's 10..101, or not whole
        with pytest.raises(Eg4DeviceRejectedError):
            await client.write_parameter(serial, "HOLD_SYSTEM_CHARGE_SOC_LIMIT", value)
    assert twin.inverter(1).settings.system_charge_soc_limit_pct == 95
    await client.write_parameter(serial, "HOLD_SYSTEM_CHARGE_SOC_LIMIT", "101")
    assert server.params.read(1, 227, 1) == {"HOLD_SYSTEM_CHARGE_SOC_LIMIT": "101"}
    assert twin.inverter(1).settings.charge_soc_limit(grid=False) is None
    requests = [(e.request, e.accepted) for e in twin.journal]
    assert requests[0] == ("ac_charge_soc_limit=90", True)
    assert requests[-1] == ("system_charge_soc_limit=101", True)
    assert [accepted for _, accepted in requests[1:-1]] == [False] * 4


async def test_error_injection(client: Eg4CloudClient, server: CloudApiServer) -> None:
    serial = server.serials[0]
    server.inject_error("DATAFRAME_TIMEOUT", count=2, path="getInverterRuntime")
    assert (await client.runtime(serial)).online
    assert server.requests[RUNTIME] == 3
    server.inject_error("apiBlocked", path="remoteRead/read")
    with pytest.raises(Eg4PermissionError):
        await client.read_parameters(serial)
    server.inject_error("REMOTE_SET_ERROR", path="remoteSet/write")
    with pytest.raises(Eg4DeviceRejectedError):
        await client.write_parameter(serial, "HOLD_LEAD_ACID_CHARGE_RATE", "50")
    server.inject_error("busy", count=1, status=503)
    assert (await client.battery(serial)).online
    assert server.requests[BATTERY] == 2


async def test_offline_inverter(client: Eg4CloudClient, server: CloudApiServer, twin: Twin) -> None:
    serial = server.serials[1]
    before = await client.runtime(serial)
    server.set_offline(serial)
    twin.step(1800)
    rt = await client.runtime(serial)
    assert rt.online is False
    assert rt.soc is None
    assert rt.battery_voltage is None
    assert rt.grid_voltage == before.grid_voltage  # frozen mirror
    bank = await client.battery(serial)
    assert bank.online is False
    rows = {r.serial: r for r in await client.devices(server.plant_id)}
    assert rows[serial].lost
    assert not rows[server.serials[0]].lost
    with pytest.raises(Eg4TransientError):
        await client.read_parameters(serial)
    server.set_offline(serial, offline=False)
    assert (await client.runtime(serial)).online


async def test_latency_and_in_flight_limit(client: Eg4CloudClient, server: CloudApiServer) -> None:
    await client.login()
    server.latency_s = 0.02
    await asyncio.gather(*(refresh(client, server.serials) for _ in range(3)))
    assert server.peak_in_flight == 3


def test_serials_must_match_the_twin(twin: Twin) -> None:
    with pytest.raises(ValueError, match="serial"):
        CloudApiServer(twin, serials=["1111111111"])
    assert CloudApiServer(twin, serials=["AB12345678", "CD12345678"]).serials[1] == "CD12345678"


class Portal:
    """Raw calls to the portal with a logged-in session (for what our client does not use)."""

    def __init__(self, http: aiohttp.ClientSession, server: CloudApiServer) -> None:
        self.http = http
        self.server = server

    async def login(self) -> dict[str, Any]:
        return await self.call(LOGIN, account=DEMO, password=DEMO)

    async def call(self, path: str, **form: str) -> dict[str, Any]:
        async with self.http.post(self.server.base_url + path, data=form) as response:
            body: dict[str, Any] = await response.json()
            return body


@pytest.fixture
async def portal(server: CloudApiServer) -> AsyncIterator[Portal]:
    jar = aiohttp.CookieJar(unsafe=True)  # the portal runs on 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        raw = Portal(http, server)
        await raw.login()
        yield raw


def frame_words(body: dict[str, Any]) -> list[int]:
    raw = base64.b64decode(body["valueFrame"])
    return [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]


async def test_parameter_read_carries_the_raw_value_frame(
    portal: Portal, client: Eg4CloudClient, server: CloudApiServer, twin: Twin
) -> None:
    serial = server.serials[0]
    await client.apply(serial, encode_write(SettingKey.MAX_CHARGE_CURRENT, 25))
    body = await portal.call(READ, inverterSn=serial, startRegister="0", pointNumber="127")
    words = frame_words(body)
    assert len(words) == 127
    settings = twin.inverter(1).settings
    assert words[101] == 25 == int(body["HOLD_LEAD_ACID_CHARGE_RATE"])
    assert words[99] == round(settings.bulk_v * 10)
    assert words[102] == int(body["HOLD_LEAD_ACID_DISCHARGE_RATE"])
    assert words[19] == body["HOLD_DEVICE_TYPE_CODE"] == 2092  # the PV series
    assert bool(words[21] >> 7 & 1) is body["FUNC_AC_CHARGE"] is False
    on = encode_write(SettingKey.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY)
    await client.apply(serial, on)
    body = await portal.call(READ, inverterSn=serial, startRegister="21", pointNumber="1")
    (word,) = frame_words(body)
    assert word >> 7 & 1 == 1
    assert body["FUNC_AC_CHARGE"] is True


async def test_energy_counters_integrate_the_twin(
    portal: Portal, server: CloudApiServer, twin: Twin
) -> None:
    """Counters in 0.1 kWh that only grow, the day's restart at midnight, the group sums."""
    first, second = server.serials
    usage_wh = 0.0
    totals: list[int] = []
    for _ in range(24):  # 21:00 -> 01:00, one observation every 10 min
        usage_wh += twin.inverter(1).flows.load_w * 600 / 3600
        twin.step(600)
        body = await portal.call(ENERGY, serialNum=first)
        totals.append(body["totalUsage"])
    assert body["serialNum"] == first
    assert body["totalUsage"] == int(usage_wh // 100)
    assert body["totalUsageText"] == f"{body['totalUsage'] / 10:g}"
    assert totals == sorted(totals)
    assert body["todayUsage"] < body["totalUsage"]  # midnight passed at 03:00 of sim time
    assert body["totalYielding"] == 0  # night: no PV
    group = await portal.call(GROUP_ENERGY, serialNum=second)
    other = await portal.call(ENERGY, serialNum=second)
    assert group["totalUsage"] == body["totalUsage"] + other["totalUsage"]
    assert "serialNum" not in group


async def test_energy_of_a_lost_unit_is_frozen(
    portal: Portal, server: CloudApiServer, twin: Twin
) -> None:
    serial = server.serials[1]
    load_w = twin.inverter(2).flows.load_w  # the night's steady house load on this unit
    twin.step(3600)
    before = await portal.call(ENERGY, serialNum=serial)
    assert before["totalUsage"] == int(load_w // 100)
    server.set_offline(serial)
    twin.step(7200)
    lost = await portal.call(ENERGY, serialNum=serial)
    assert lost["lost"] is True
    assert lost["totalUsage"] == before["totalUsage"]  # where the dongle left it
    server.set_offline(serial, offline=False)
    back = await portal.call(ENERGY, serialNum=serial)
    assert back["totalUsage"] == int(load_w * 3 // 100)  # the inverter itself kept counting


async def test_inverter_info_battery_identities_and_quick_charge(
    portal: Portal, server: CloudApiServer
) -> None:
    first, second = server.serials
    account = await portal.login()
    identity = account["plants"][0]["inverters"][0]
    info = await portal.call(INFO, serialNum=first)
    assert info["serialNum"] == first
    assert info["datalogSn"] == identity["datalogSn"]
    assert info["inverterDetail"]["fwCode"] == (
        f"{identity['standard']}-{identity['slaveVersion']:02X}{identity['fwVersion']:02X}"
    )
    runtime = await portal.call(RUNTIME, serialNum=first)
    assert runtime["fwCode"] == info["inverterDetail"]["fwCode"]
    packs = await portal.call(BATTERY_SET, serialNum=first)
    full = await portal.call(BATTERY, serialNum=first)
    assert [p["batteryKey"] for p in packs["batteryArray"]] == [
        p["batteryKey"] for p in full["batteryArray"]
    ]
    assert packs["totalNumber"] == 6
    assert (await portal.call(BATTERY_SET, serialNum=second))["batteryArray"] == []
    status = await portal.call(QUICK_CHARGE, inverterSn=first)
    assert status["hasUnclosedQuickChargeTask"] is False
    unknown = await portal.call(INFO, serialNum="0000000000")
    assert unknown == {"success": False, "msg": "DEVICE_NOT_EXIST"}


async def test_a_lost_runtime_keeps_its_frozen_measurements(
    portal: Portal, server: CloudApiServer, twin: Twin
) -> None:
    serial = server.serials[1]
    before = await portal.call(RUNTIME, serialNum=serial)
    server.set_offline(serial)
    twin.step(600)
    lost = await portal.call(RUNTIME, serialNum=serial)
    assert lost["lost"] is True
    assert "soc" not in lost
    assert "vBat" not in lost
    for key in ("vpv2", "vacs", "vepss", "seps", "tradiator1", "tBat", "vBus1"):
        assert lost[key] == before[key]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    value=st.one_of(
        st.integers(-20, 300),
        st.floats(-20, 300, allow_nan=False, allow_infinity=False),
        st.sampled_from(["", "abc", "1e3", "nan", "inf", "25.0"]),
    ),
    model=st.sampled_from(["18KPV", "FlexBOSS21", "12000XP", "LVX6048"]),
)
def test_charge_current_firmware_per_model(value: float | str, model: str) -> None:
    """Accepted exactly when the model's firmware takes it; then the twin and a read agree."""
    twin = build_twin("healthy", inverters=1, packs=1, seed=0)
    store = CloudApiServer(twin, model=model).params
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    whole = math.isfinite(number) and number == int(number)
    if model == "LVX6048":
        takes = whole and number in range(10, 81, 10)
    else:
        takes = whole and 0 <= number <= 250
    reply = store.write(1, "HOLD_LEAD_ACID_CHARGE_RATE", text)
    assert (reply is None) is takes
    expected = int(number) if takes else 80
    assert twin.inverter(1).settings.max_charge_current_a == expected
    assert store.read(1, 101, 1) == {"HOLD_LEAD_ACID_CHARGE_RATE": str(expected)}
    assert len(twin.journal) == 1
    assert twin.journal[0].accepted is takes


@settings(max_examples=25, deadline=None, derandomize=True)
@given(steps=st.lists(st.integers(0, 3 * 3600), min_size=1, max_size=6))
def test_energy_counters_only_grow_and_restart_at_midnight(steps: list[int]) -> None:
    twin = build_twin("drifted", inverters=2, packs=1, seed=0)
    meter = EnergyMeter(twin)
    before = meter.words([1, 2])
    for seconds in steps:
        start_day = (twin.config.start_hour * 3600 + twin.clock_s) // 86400
        twin.step(seconds)
        meter.observe()
        now = meter.words([1, 2])
        assert all(now[f"total{k}"] >= before[f"total{k}"] for k in KINDS)
        assert all(now[f"today{k}"] <= now[f"total{k}"] for k in KINDS)
        if (twin.config.start_hour * 3600 + twin.clock_s) // 86400 == start_day:
            assert all(now[f"today{k}"] >= before[f"today{k}"] for k in KINDS)
        assert now == {k: meter.words([1])[k] + meter.words([2])[k] for k in now}
        before = now


async def test_quick_tasks_run_on_the_twin_and_end_by_themselves(
    portal: Portal, server: CloudApiServer, twin: Twin
) -> None:
    """Start, status, the twin charging from the grid, the portal's own end, a stop, a refusal."""
    first, second = server.serials
    await portal.login()
    start = "/WManage/web/config/quickCharge/start"
    assert await portal.call(start, inverterSn=first, clientType="WEB", minute="30") == {
        "success": True
    }
    status = await portal.call(QUICK_CHARGE, inverterSn=first)
    assert status["hasUnclosedQuickChargeTask"] is True
    assert status["remainTimeBeforeQuickChargeStop"] == 1800
    assert (await portal.call(QUICK_CHARGE, inverterSn=second))[
        "hasUnclosedQuickChargeTask"
    ] is False
    assert (await portal.call(RUNTIME, serialNum=first))["hasUnclosedQuickChargeTask"] is True
    twin.step(600)
    assert twin.inverter(1).flows.grid_charge_a > 0
    assert twin.inverter(2).flows.grid_charge_a == 0  # everyday priorities: no grid charge
    # One task at a time: a discharge while the charge is open is refused.
    refused = await portal.call(
        "/WManage/web/config/quickDischarge/start", inverterSn=first, clientType="WEB"
    )
    assert refused["success"] is False
    twin.step(1200)  # 30 minutes in all: the portal closed the task itself
    status = await portal.call(QUICK_CHARGE, inverterSn=first)
    assert status["hasUnclosedQuickChargeTask"] is False
    assert twin.inverter(1).quick is None
    # A stop with nothing open is acknowledged; a minute outside 1..1440 is refused.
    stop = "/WManage/web/config/quickCharge/stop"
    assert (await portal.call(stop, inverterSn=first, clientType="WEB"))["success"] is True
    bad = await portal.call(start, inverterSn=first, clientType="WEB", minute="0")
    assert bad["success"] is False
    journal = [e.request for e in twin.journal if e.source == "cloud"]
    assert "quickCharge/start 30" in journal


async def test_quick_tasks_take_nak_rules_and_are_journaled(
    portal: Portal, server: CloudApiServer, twin: Twin
) -> None:
    """A NAK rule without a setting refuses a quick start and a quick stop (a portal that
    refuses every command refuses these too); the task is left as it was."""
    first, _second = server.serials
    await portal.login()
    start = "/WManage/web/config/quickDischarge/start"
    stop = "/WManage/web/config/quickDischarge/stop"
    twin.faults.nak_next(1, unit=1)
    assert (await portal.call(start, inverterSn=first, clientType="WEB"))["success"] is False
    assert twin.inverter(1).quick is None
    assert (await portal.call(start, inverterSn=first, clientType="WEB"))["success"] is True
    twin.faults.nak_next(1)
    assert (await portal.call(stop, inverterSn=first, clientType="WEB"))["success"] is False
    assert twin.inverter(1).quick is QuickTask.DISCHARGE
    assert (await portal.call(stop, inverterSn=first, clientType="WEB"))["success"] is True
    assert twin.inverter(1).quick is None
    refused = [e for e in twin.journal if e.source == "cloud" and not e.accepted]
    assert [e.request for e in refused] == ["quickDischarge/start", "quickDischarge/stop"]
