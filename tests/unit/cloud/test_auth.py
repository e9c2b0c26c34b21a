"""Login, bad credentials, session expiry (both forms), single-flight re-login, cookie jars."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from custom_components.eg4.cloud import (
    Eg4AuthError,
    Eg4CloudClient,
    Eg4ConnectionError,
    Eg4OutageError,
)

from .conftest import make_client
from .portal import LOGIN, PASSWORD, RUNTIME, USERNAME, FakePortal, Html, Raw, Status

MAINTENANCE = Raw(
    "<html><body><h1>Scheduled maintenance</h1>Back soon.</body></html>",
    content_type="text/html",
)


async def test_login_returns_account_tree(client: Eg4CloudClient, portal: FakePortal) -> None:
    account = await client.login()
    assert client.request_count == 1
    assert account.user_id == 73012
    assert account.role == "VIEWER"
    assert not account.is_installer
    assert [p.plant_id for p in account.plants] == [42017, 42101]
    home, workshop = account.plants
    assert home.name == "Maple Ridge Home"
    assert [i.serial for i in home.inverters] == ["5210048817", "5210048823", "5360011204"]
    assert home.inverters[0].model == "18KPV"
    assert home.inverters[1].lost is True
    assert home.inverters[2].is_gridboss
    assert home.parallel_groups[0].name == "A"
    assert home.parallel_groups[0].first_serial == "5210048817"
    assert [i.serial for i in workshop.inverters] == ["4880023311"]  # serial-less entry dropped
    assert workshop.parallel_groups == ()
    form = portal.calls[0].form
    assert form == {"account": USERNAME, "password": PASSWORD, "language": "ENGLISH"}


async def test_first_call_logs_in_implicitly(client: Eg4CloudClient, portal: FakePortal) -> None:
    runtime = await client.runtime("5210048817")
    assert runtime.online
    assert client.request_count == 2
    assert [c.path for c in portal.calls] == [LOGIN, RUNTIME]
    assert portal.calls[1].cookie == portal.issued[0]


async def test_bad_password_is_auth_error_after_one_request(
    session: aiohttp.ClientSession, base_url: str, portal: FakePortal
) -> None:
    client = make_client(session, base_url, password=PASSWORD[::-1])
    with pytest.raises(Eg4AuthError) as err:
        await client.login()
    assert err.value.code == "LOGIN_ERROR_DISMATCH"
    assert client.request_count == 1
    assert portal.logins == 1
    with pytest.raises(Eg4AuthError):
        await client.runtime("5210048817")  # an implicit login is refused the same way
    assert client.request_count == 1  # the refusal is remembered: no second login attempt


async def test_login_http_401_is_auth_error(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.script(LOGIN, Status(401))
    with pytest.raises(Eg4AuthError):
        await client.login()
    assert client.request_count == 1


@pytest.mark.parametrize("expiry", [Html(), Status(401)], ids=["html_login_page", "http_401"])
async def test_expired_session_relogs_in_once_and_replays(
    client: Eg4CloudClient, portal: FakePortal, expiry: Html | Status
) -> None:
    portal.expiry = expiry
    await client.runtime("5210048817")
    assert client.request_count == 2
    portal.expire()
    runtime = await client.runtime("5210048817")
    assert runtime.soc == 82
    # runtime (expired) + login + replayed runtime
    assert client.request_count == 5
    assert portal.logins == 2
    assert client.login_count == 2
    assert [c.path for c in portal.calls[2:]] == [RUNTIME, LOGIN, RUNTIME]
    assert portal.calls[-1].cookie == portal.issued[1]


@pytest.mark.parametrize("again", [Html(), Status(401)], ids=["html_page", "http_401"])
async def test_second_expiry_after_relogin_is_an_outage_not_a_loop(
    client: Eg4CloudClient, portal: FakePortal, again: Html | Status
) -> None:
    """The password was just accepted: a session refused again is the portal's trouble."""
    await client.runtime("5210048817")  # a session that has answered, then expires
    portal.script(RUNTIME, Html(), again, Html(), Html())
    with pytest.raises(Eg4OutageError) as err:
        await client.runtime("5210048817")
    assert not isinstance(err.value, Eg4AuthError)
    # runtime (expired), login, runtime (refused again) -> stop, no retries
    assert client.request_count == 2 + 3
    assert portal.logins == 2


async def test_maintenance_page_right_after_the_first_login_is_an_outage(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    """A session issued a moment ago cannot have expired: the page is an outage."""
    portal.script(RUNTIME, MAINTENANCE)  # a retry would get data and raise nothing
    with pytest.raises(Eg4OutageError) as err:
        await client.runtime("5210048817")
    assert err.value.code == "NOT_JSON"
    assert [c.path for c in portal.calls] == [LOGIN, RUNTIME]  # no second login, no retry
    portal.expire()  # the maintenance forgot every session
    runtime = await client.runtime("5210048817")  # back: a doubted session is replaced first
    assert runtime.soc == 82
    assert [c.path for c in portal.calls[2:]] == [LOGIN, RUNTIME]


async def test_concurrent_expiry_shares_one_relogin(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.runtime("5210048817")
    portal.expire()
    portal.delay_s = 0.02
    results = await asyncio.gather(*(client.runtime("5210048817") for _ in range(6)))
    assert all(r.online for r in results)
    assert portal.logins == 2  # the first login and ONE shared re-login
    assert client.login_count == 2
    assert client.request_count == 2 + 6 + 1 + 6


async def test_concurrent_first_calls_share_one_login(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await asyncio.gather(client.runtime("5210048817"), client.battery("5210048817"))
    assert portal.logins == 1
    assert client.request_count == 3


@pytest.mark.parametrize(
    "jar",
    [aiohttp.DummyCookieJar, aiohttp.CookieJar],
    ids=["dummy_jar", "default_jar_drops_ip_cookies"],
)
async def test_session_survives_jars_that_keep_no_cookie(
    base_url: str, portal: FakePortal, jar: type[aiohttp.abc.AbstractCookieJar]
) -> None:
    async with aiohttp.ClientSession(cookie_jar=jar()) as http:
        client = make_client(http, base_url)
        await client.runtime("5210048817")
        await client.battery("5210048817")
    assert portal.logins == 1
    assert client.request_count == 3
    assert [c.cookie for c in portal.calls[1:]] == [portal.issued[0]] * 2


async def test_unreachable_portal_is_connection_error_after_retries(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = make_client(session, f"http://127.0.0.1:{port}")
    with pytest.raises(Eg4ConnectionError) as err:
        await client.login()
    assert err.value.code == "NETWORK"
    assert client.request_count == 4  # first try + 3 retries, never an auth error
    assert client.login_count == 0


def test_base_url_rules() -> None:
    from custom_components.eg4.cloud import SERVERS, resolve_base_url

    assert resolve_base_url("eg4") == "https://monitor.eg4electronics.com"
    assert resolve_base_url("EU") == "https://eu.luxpowertek.com"
    assert resolve_base_url("server") == SERVERS["server"]
    assert resolve_base_url("https://portal.example.com/") == "https://portal.example.com"
    assert resolve_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    for bad in ("http://portal.example.com", "ftp://x", "nonsense", "https://u:p@host.example"):
        with pytest.raises(ValueError, match="server"):
            resolve_base_url(bad)


async def test_two_accounts_sharing_one_jar_keep_their_own_sessions(
    session: aiohttp.ClientSession, base_url: str, portal: FakePortal
) -> None:
    first = make_client(session, base_url)
    second = make_client(session, base_url)
    await first.login()
    await second.login()  # the shared jar now holds the second session's cookie
    await first.runtime("5210048817")
    await second.runtime("5210048817")
    assert [c.cookie for c in portal.calls if c.path == RUNTIME] == portal.issued
    portal.valid.discard(portal.issued[1])  # only the second session expires
    await first.runtime("5210048817")
    assert portal.logins == 2
