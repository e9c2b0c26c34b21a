"""The in-flight limit, measured at the server."""

from __future__ import annotations

import asyncio

import aiohttp

from custom_components.eg4.cloud import Eg4CloudClient

from .conftest import make_client
from .portal import FakePortal


async def test_at_most_three_requests_in_flight(client: Eg4CloudClient, portal: FakePortal) -> None:
    await client.login()
    portal.delay_s = 0.03
    runtimes = [client.runtime("5210048817") for _ in range(5)]
    batteries = [client.battery("5210048817") for _ in range(5)]
    await asyncio.gather(*runtimes, *batteries)
    assert portal.peak_in_flight == 3
    assert client.peak_in_flight == 3
    assert client.in_flight == 0
    assert client.request_count == 11


async def test_custom_limit(
    session: aiohttp.ClientSession, base_url: str, portal: FakePortal
) -> None:
    client = make_client(session, base_url, max_in_flight=1)
    portal.delay_s = 0.01
    await asyncio.gather(*(client.runtime("5210048817") for _ in range(4)))
    assert portal.peak_in_flight == 1
    assert portal.logins == 1
