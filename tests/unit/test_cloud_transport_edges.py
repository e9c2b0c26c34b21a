"""The cloud transport's edges, against a scripted portal client (no network, no HA).

The simulated portal (``tests/integration/test_cloud_transport.py``) covers the ordinary
paths; these are the answers it does not give on cue: a station with no inverters, one
inverter failing on its own, errors the client never maps, wrong kinds of values, and
read-backs that fail or lag behind a write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from custom_components.eg4.cloud import (
    Account,
    BatteryInfo,
    Eg4ApiError,
    Eg4AuthError,
    Eg4PermissionError,
    EnergyTotals,
    InverterRef,
    ModelFamily,
    Plant,
    Runtime,
    parse,
)
from custom_components.eg4.cloud.params import CloudWrite, ParamWrite
from custom_components.eg4.cloud.quick import QUICK_KEYS, QuickWrite
from custom_components.eg4.model import ChargerPriority, SettingKey, SourceId, SourceKind
from custom_components.eg4.transport.base import (
    CommandResult,
    Decoded,
    TransportAuthError,
    TransportError,
    TransportResult,
    TransportUnavailableError,
)
from custom_components.eg4.transport.cloud import CloudTransport, CloudUnit
from custom_components.eg4.transport.cloud_setup import grow_packs

from .cloud.portal import fixture

SERIALS = ("1111111111", "2222222222")
QUICK_CHARGE = SettingKey.QUICK_CHARGE
STOP_SOC = "HOLD_AC_CHARGE_SOC_LIMIT"


@dataclass
class ScriptedClient:
    """Answers the transport's calls from plain data; raises what it is told to."""

    account: Account = field(default_factory=lambda: Account(plants=()))
    runtimes: dict[str, Runtime | Exception] = field(default_factory=dict)
    batteries: dict[str, BatteryInfo] = field(default_factory=dict)
    energies: dict[str, EnergyTotals] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    read_errors: list[Exception] = field(default_factory=list)
    apply_error: Exception | None = None
    applies_take_effect: bool = True
    applied: list[tuple[str, CloudWrite | QuickWrite]] = field(default_factory=list)
    # Each serial's open quick tasks (none unless told), as getStatusInfo reads them.
    quick: dict[str, dict[SettingKey, float]] = field(default_factory=dict)
    reads: int = 0
    quick_reads: int = 0
    base_url: str = "https://portal.invalid"
    request_count: int = 0
    login_count: int = 0

    async def login(self) -> Account:
        return self.account

    async def battery(self, serial: str) -> BatteryInfo:
        return self.batteries.get(serial, BatteryInfo(serial=serial, online=True))

    async def energy(self, serial: str) -> EnergyTotals:
        return self.energies.get(serial, EnergyTotals())

    async def runtime(self, serial: str) -> Runtime:
        answer = self.runtimes.get(serial, Runtime(serial=serial, online=True, soc=50.0))
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def read_parameters(
        self, serial: str, start: int = 0, count: int = 127
    ) -> dict[str, str]:
        del start, count
        self.reads += 1
        if self.read_errors:
            raise self.read_errors.pop(0)
        return dict(self.params.get(serial, {}))

    async def quick_tasks(self, serial: str) -> dict[SettingKey, float]:
        self.quick_reads += 1
        return {**dict.fromkeys(QUICK_KEYS, 0.0), **self.quick.get(serial, {})}

    async def apply(self, serial: str, write: CloudWrite | QuickWrite) -> None:
        if self.apply_error is not None:
            raise self.apply_error
        self.applied.append((serial, write))
        if self.applies_take_effect and isinstance(write, ParamWrite):
            self.params.setdefault(serial, {})[write.param] = write.value
        if self.applies_take_effect and isinstance(write, QuickWrite):
            key = QUICK_CHARGE if "quickCharge" in write.path else SettingKey.QUICK_DISCHARGE
            self.quick.setdefault(serial, {})[key] = 1.0 if write.path.endswith("start") else 0.0


def transport(client: ScriptedClient, *, delays: tuple[float, ...] = (0.0,)) -> CloudTransport:
    units = [
        CloudUnit(number=n, serial=serial, family=ModelFamily.HYBRID, packs=[] if n > 1 else [1])
        for n, serial in enumerate(SERIALS, start=1)
    ]
    return CloudTransport(
        client,  # type: ignore[arg-type]
        units,
        scan_interval=timedelta(seconds=60),
        readback_delays=delays,
    )


async def started(t: CloudTransport) -> list[TransportResult]:
    seen: list[TransportResult] = []
    await t.async_start(seen.append)
    return seen


def readings_of(seen: list[TransportResult], unit: int) -> list[Any]:
    source = SourceId(SourceKind.INVERTER, unit)
    return [
        r
        for result in seen
        if isinstance(result, Decoded)
        for r in result.readings
        if r.source == source
    ]


# ---- discovery ------------------------------------------------------------------------------


async def test_a_station_with_only_a_gridboss_has_no_inverters_to_watch() -> None:
    gridboss = InverterRef(serial="9999999999", model="GridBOSS", device_type=9)
    client = ScriptedClient(account=Account(plants=(Plant(plant_id=7, inverters=(gridboss,)),)))
    with pytest.raises(TransportUnavailableError, match="no inverters"):
        await CloudTransport.async_discover(
            client,  # type: ignore[arg-type]
            7,
            scan_interval=timedelta(seconds=60),
        )


async def test_a_gridboss_is_skipped_with_a_note_never_an_unknown_inverter() -> None:
    """Recognised by its login device type (9) or by its model text alone."""
    inverter = InverterRef(serial="1111111111", model="FlexBOSS21", device_type=6)
    by_type = InverterRef(serial="9999999999", model="Grid Boss", device_type=9)
    by_text = InverterRef(serial="8888888888", model="GridBOSS")
    plant = Plant(plant_id=7, inverters=(by_text, inverter, by_type))
    client = ScriptedClient(account=Account(plants=(plant,)))
    t = await CloudTransport.async_discover(
        client,  # type: ignore[arg-type]
        7,
        scan_interval=timedelta(seconds=60),
    )
    assert [(u.serial, u.family) for u in t.units] == [("1111111111", ModelFamily.HYBRID)]
    assert t.describe()["gridboss_skipped"] == 2


# ---- polls ----------------------------------------------------------------------------------


async def test_one_inverter_failing_does_not_fail_the_poll() -> None:
    client = ScriptedClient(runtimes={SERIALS[1]: Eg4ApiError("DATAFRAME_TIMEOUT")})
    t = transport(client)
    seen = await started(t)
    await t.async_poll()
    assert readings_of(seen, 1)  # unit 1 reported
    assert readings_of(seen, 2) == []  # unit 2 goes stale on its own


async def test_every_inverter_refused_by_permission_is_unavailable() -> None:
    denied = Eg4PermissionError("apiBlocked")
    t = transport(ScriptedClient(runtimes=dict.fromkeys(SERIALS, denied)))
    with pytest.raises(TransportUnavailableError, match="may not read this station"):
        await t.async_poll()


async def test_battery_current_is_the_bms_current_and_output_is_the_load() -> None:
    """One inverter: the bank current is the BMS's own (18.1 A), not batPower / vBat (19.7 A);
    the output power is the load the model reports (pLoad170), not the inverter's pinv."""
    serial = "4410077001"
    client = ScriptedClient(
        runtimes={serial: parse.runtime(serial, fixture("runtime_flexboss_pload170.json"))},
        batteries={serial: parse.battery(serial, fixture("battery_bms_current.json"))},
    )
    unit = CloudUnit(number=1, serial=serial, family=ModelFamily.HYBRID, packs=[1])
    t = CloudTransport(
        client,  # type: ignore[arg-type]
        [unit],
        scan_interval=timedelta(seconds=60),
        readback_delays=(0.0,),
    )
    seen = await started(t)
    await t.async_poll()
    values = {r.key: r.value for r in readings_of(seen, 1)}
    assert values["battery_current"] == pytest.approx(18.1)
    assert values["output_power"] == 2365


async def test_in_a_parallel_group_each_inverter_keeps_its_own_current() -> None:
    """The BMS current is the whole bank's: it is not any one inverter's battery current."""
    client = ScriptedClient(
        runtimes={
            SERIALS[0]: Runtime(serial=SERIALS[0], online=True, battery_current=10.0),
            SERIALS[1]: Runtime(serial=SERIALS[1], online=True, battery_current=9.0),
        },
        batteries={SERIALS[0]: BatteryInfo(serial=SERIALS[0], online=True, current=18.1)},
    )
    t = transport(client)
    seen = await started(t)
    await t.async_poll()
    assert [r.value for r in readings_of(seen, 1) if r.key == "battery_current"] == [10.0]
    assert [r.value for r in readings_of(seen, 2) if r.key == "battery_current"] == [9.0]


async def test_an_unexpected_error_in_a_poll_is_not_swallowed() -> None:
    t = transport(ScriptedClient(runtimes={SERIALS[0]: RuntimeError("parser bug")}))
    with pytest.raises(RuntimeError, match="parser bug"):
        await t.async_poll()


async def test_an_expired_login_while_reading_parameters_fails_the_poll() -> None:
    client = ScriptedClient(read_errors=[Eg4AuthError("session expired")])
    with pytest.raises(TransportAuthError):
        await transport(client).async_poll()


# ---- writes ---------------------------------------------------------------------------------


async def test_a_cloud_write_needs_one_unit() -> None:
    t = transport(ScriptedClient())
    for unit in (None, 0, 3):
        with pytest.raises(TransportError, match="one write per inverter"):
            await t.async_send(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, unit)


async def test_a_value_of_the_wrong_kind_is_refused_before_sending() -> None:
    client = ScriptedClient()
    with pytest.raises(TransportError):
        await transport(client).async_send(
            SettingKey.AC_CHARGE_SOC_LIMIT, ChargerPriority.SOLAR_FIRST, 1
        )
    assert client.applied == []


async def test_an_expired_login_on_a_write_is_an_auth_error() -> None:
    client = ScriptedClient(apply_error=Eg4AuthError("session expired"))
    with pytest.raises(TransportAuthError):
        await transport(client).async_send(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, 1)


async def test_a_failed_read_back_is_read_again_after_its_delay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first read-back fails, the next one (after its delay) shows the value."""
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr("custom_components.eg4.transport.cloud.asyncio.sleep", sleep)
    client = ScriptedClient(read_errors=[Eg4ApiError("DATAFRAME_TIMEOUT")])
    t = transport(client, delays=(0.0, 3.0))
    seen = await started(t)
    await t.async_send(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, 1)
    assert slept == [3.0]
    assert client.reads == 2
    assert CommandResult(ok=True, message="accepted", unit=1) in seen
    values = [r.value for r in readings_of(seen, 1) if r.key == SettingKey.AC_CHARGE_SOC_LIMIT]
    assert values == [100.0]
    assert t.units[0].unconfirmed == {}


async def test_a_write_not_yet_applied_is_read_again_on_the_next_polls() -> None:
    """Read-backs still show the old value: the next polls read it again, a bounded number."""
    client = ScriptedClient(params={SERIALS[0]: {STOP_SOC: "90"}}, applies_take_effect=False)
    t = transport(client)
    seen = await started(t)
    await t.async_send(SettingKey.AC_CHARGE_SOC_LIMIT, 100.0, 1)
    target, left = t.units[0].unconfirmed[SettingKey.AC_CHARGE_SOC_LIMIT]
    assert target == 100.0
    polls = 0
    while SettingKey.AC_CHARGE_SOC_LIMIT in t.units[0].unconfirmed:
        await t.async_poll()
        polls += 1
        assert polls <= left
    assert polls == left  # given up after its polls: the coordinator's wait decides
    values = [r.value for r in readings_of(seen, 1) if r.key == SettingKey.AC_CHARGE_SOC_LIMIT]
    assert set(values) == {90.0}


def _units(*packs: list[int]) -> list[CloudUnit]:
    return [
        CloudUnit(number=n, serial=f"SN{n}", family=ModelFamily.HYBRID, packs=list(numbers))
        for n, numbers in enumerate(packs, start=1)
    ]


def test_a_pack_joins_the_last_unit_with_packs_under_the_number_set_up_would_give() -> None:
    units = _units([1, 2, 3], [])
    assert grow_packs(units, units[0], 5) == [4, 5]
    assert units[0].packs == [1, 2, 3, 4, 5]
    assert grow_packs(units, units[0], 5) == []  # already known
    assert grow_packs(units, units[0], 4) == []  # a pack gone from the list: nothing to add


def test_a_pack_on_an_earlier_unit_waits_for_the_next_set_up() -> None:
    """Numbered now, it would take the next unit's first number at the next set-up."""
    units = _units([1, 2], [3, 4])
    assert grow_packs(units, units[0], 3) == []
    assert units[0].packs == [1, 2]
    assert grow_packs(units, units[1], 3) == [5]
    assert units[1].packs == [3, 4, 5]


def test_a_unit_without_packs_gains_none() -> None:
    units = _units([], [1, 2])
    assert grow_packs(units, units[0], 2) == []


# ---- quick tasks ----------------------------------------------------------------------------


async def test_a_quick_charge_starts_with_the_portals_own_end_and_is_confirmed_by_status() -> None:
    """The start carries ``minute``; the status, not the acknowledgement, reads it back."""
    client = ScriptedClient()
    t = transport(client)
    seen = await started(t)
    t.hold_backstop(35)
    await t.async_send(QUICK_CHARGE, 1.0, 2)
    assert client.applied == [
        (SERIALS[1], QuickWrite("quick", "/WManage/web/config/quickCharge/start", 35))
    ]
    assert [(r.setting, r.value) for r in readings_of(seen, 2) if r.setting is QUICK_CHARGE] == [
        (QUICK_CHARGE, 1.0)
    ]
    await t.async_send(QUICK_CHARGE, 0.0, 2)
    assert client.applied[-1][1] == QuickWrite(
        "quick", "/WManage/web/config/quickCharge/stop", None
    )


async def test_both_quick_tasks_watched_cost_one_status_read_per_unit_and_poll() -> None:
    """One getStatusInfo reports both tasks: watching both does not read it twice."""
    client = ScriptedClient()
    t = transport(client)
    seen = await started(t)
    await t.async_poll()  # the hourly read of every setting
    t.watch_settings(frozenset({QUICK_CHARGE, SettingKey.QUICK_DISCHARGE}))
    before = client.quick_reads
    await t.async_poll()
    assert client.quick_reads - before == len(SERIALS)
    assert {r.setting for r in readings_of(seen, 1)} >= {QUICK_CHARGE, SettingKey.QUICK_DISCHARGE}


async def test_a_start_the_portal_acknowledges_but_never_opens_stays_unconfirmed() -> None:
    client = ScriptedClient(applies_take_effect=False)
    t = transport(client, delays=(0.0, 0.0))
    seen = await started(t)
    await t.async_send(SettingKey.QUICK_DISCHARGE, 1.0, 1)
    values = [r.value for r in readings_of(seen, 1) if r.setting is SettingKey.QUICK_DISCHARGE]
    assert values == [0.0, 0.0]  # read back twice, never open
    assert t.units[0].unconfirmed == {SettingKey.QUICK_DISCHARGE: (1.0, 3)}  # polls look again


async def test_a_quick_task_takes_only_on_or_off() -> None:
    t = transport(ScriptedClient())
    with pytest.raises(TransportError, match="takes 1"):
        await t.async_send(QUICK_CHARGE, 0.5, 1)
