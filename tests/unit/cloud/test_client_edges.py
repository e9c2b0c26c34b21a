"""The cloud client's edges: argument bounds, whose refusal a refusal is, paging, the cookie."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.eg4.cloud import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4CloudClient,
    Eg4DeviceRejectedError,
    TimeWrite,
)
from custom_components.eg4.cloud.client import TIME_WRITE
from custom_components.eg4.cloud.quick import quick_write
from custom_components.eg4.model import SettingKey

from .conftest import make_client
from .portal import DEVICES, LOGIN, PARAM_READ, RUNTIME, FakePortal, fixture

SERIAL = "5210048817"
OK = fixture("write_ok.json")
REJECTED = fixture("error_remote_set.json")
PAGE_ROWS = 30  # the client asks for 30 devices a page
MAX_PAGES = 20  # and reads at most 20 pages


@pytest.mark.parametrize(("hour", "minute"), [(-1, 0), (24, 0), (0, -1), (0, 60)])
async def test_a_schedule_boundary_off_the_clock_never_reaches_the_portal(
    client: Eg4CloudClient, hour: int, minute: int
) -> None:
    with pytest.raises(ValueError, match="hour"):
        await client.write_time(SERIAL, "HOLD_AC_CHARGE_START_TIME", hour, minute)
    assert client.request_count == 0


async def test_midnight_and_a_minute_to_midnight_are_sent(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(TIME_WRITE, OK, OK)
    await client.write_time(SERIAL, "HOLD_AC_CHARGE_START_TIME", 0, 0)
    await client.write_time(SERIAL, "HOLD_AC_CHARGE_END_TIME", 23, 59)
    sent = [(c.form["hour"], c.form["minute"]) for c in portal.calls if c.path == TIME_WRITE]
    assert sent == [("0", "0"), ("23", "59")]


@pytest.mark.parametrize(("start", "count"), [(-1, 1), (65536, 1), (0, 0), (0, 128)])
async def test_a_register_window_out_of_range_never_reaches_the_portal(
    client: Eg4CloudClient, start: int, count: int
) -> None:
    with pytest.raises(ValueError, match="window"):
        await client.read_parameters(SERIAL, start, count)
    assert client.request_count == 0


async def test_the_widest_register_windows_are_read(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.read_parameters(SERIAL, 65535, 1)
    await client.read_parameters(SERIAL, 0, 127)
    sent = [(c.form["startRegister"], c.form["pointNumber"]) for c in portal.calls[1:]]
    assert sent == [("65535", "1"), ("0", "127")]
    assert all(c.path == PARAM_READ for c in portal.calls[1:])


async def test_a_refused_schedule_boundary_is_the_device_refusing(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(TIME_WRITE, REJECTED)
    with pytest.raises(Eg4DeviceRejectedError):
        await client.apply(SERIAL, TimeWrite("time", "HOLD_AC_CHARGE_START_TIME", 1, 30))


async def test_a_refused_quick_charge_is_the_device_refusing(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    write = quick_write(SettingKey.QUICK_CHARGE, 1.0, 60)
    portal.script(write.path, REJECTED)
    with pytest.raises(Eg4DeviceRejectedError):
        await client.apply(SERIAL, write)


async def test_a_refused_read_naming_the_user_is_not_bad_credentials(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    """Only a login's refusal is read for account words: a read's stays the portal's."""
    portal.script(RUNTIME, {"success": False, "msg": "DEVICE_NOT_BOUND_TO_USER"})
    with pytest.raises(Eg4ApiError) as err:
        await client.runtime(SERIAL)
    assert not isinstance(err.value, Eg4AuthError)
    assert err.value.code == "DEVICE_NOT_BOUND_TO_USER"


async def test_a_login_refused_in_account_words_is_bad_credentials(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(LOGIN, {"success": False, "msg": "ACCOUNT_PASSWORD_WRONG_TIMES"})
    with pytest.raises(Eg4AuthError):
        await client.login()


def _page(first: int, rows: int, total: int) -> dict[str, Any]:
    row = fixture("device_list.json")["rows"][0]
    serials = (f"{5210000000 + n}" for n in range(first, first + rows))
    return {"success": True, "total": total, "rows": [{**row, "serialNum": s} for s in serials]}


async def test_a_full_last_page_is_the_last_one_read(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(DEVICES, _page(0, PAGE_ROWS, PAGE_ROWS))
    devices = await client.devices(-1)
    assert len(devices) == PAGE_ROWS
    assert portal.counts[DEVICES] == 1


async def test_paging_stops_after_the_last_page_it_reads(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    """A portal that always says there is more is read for 20 pages, not forever."""
    pages = [_page(n * PAGE_ROWS, PAGE_ROWS, 10_000) for n in range(MAX_PAGES + 2)]
    portal.script(DEVICES, *pages)
    devices = await client.devices(-1)
    assert portal.counts[DEVICES] == MAX_PAGES
    assert len(devices) == MAX_PAGES * PAGE_ROWS


async def test_a_login_never_presents_the_old_session(base_url: str, portal: FakePortal) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        client = make_client(http, base_url)
        await client.runtime(SERIAL)
        portal.expire()
        await client.runtime(SERIAL)
    logins = [c.cookie for c in portal.calls if c.path == LOGIN]
    reads = [c.cookie for c in portal.calls if c.path == RUNTIME]
    assert logins == [None, None]
    assert reads == [portal.issued[0], portal.issued[0], portal.issued[1]]
