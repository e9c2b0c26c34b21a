"""Fixtures: a fake portal on 127.0.0.1, an aiohttp session and a client bound to both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from custom_components.eg4.cloud import Eg4CloudClient

from .portal import PASSWORD, USERNAME, FakePortal


@pytest.fixture
def portal() -> FakePortal:
    return FakePortal()


@pytest.fixture
async def base_url(portal: FakePortal, socket_enabled: None) -> AsyncIterator[str]:
    """The fake portal's URL (the HA test plugin allows 127.0.0.1 once sockets are enabled)."""
    server = TestServer(portal.app(), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield http


@pytest.fixture
def client(session: aiohttp.ClientSession, base_url: str) -> Eg4CloudClient:
    return make_client(session, base_url)


def make_client(
    session: aiohttp.ClientSession,
    base_url: str,
    *,
    password: str = PASSWORD,
    max_in_flight: int = 3,
    retry_delays: tuple[float, ...] = (0.0, 0.0, 0.0),
) -> Eg4CloudClient:
    return Eg4CloudClient(
        session,
        base_url=base_url,
        username=USERNAME,
        password=password,
        max_in_flight=max_in_flight,
        retry_delays=retry_delays,
    )
