"""HTTP 429 (and 503 with ``Retry-After``): the client waits as long as the portal asks.

``Retry-After`` is read in both forms (seconds, HTTP date), bounded, and every request (the
login too) is held back until then without being sent: the caller gets
``Eg4RateLimitedError`` with the seconds left.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from custom_components.eg4.cloud import Eg4CloudClient, Eg4RateLimitedError, Eg4TransientError
from custom_components.eg4.cloud.wire import (
    RETRY_AFTER_DEFAULT_S,
    RETRY_AFTER_MAX_S,
    RETRY_AFTER_MIN_S,
    retry_after_seconds,
)

from .portal import LOGIN, PASSWORD, RUNTIME, USERNAME, FakePortal, Raw, Status

NOW = datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC)


class Clocks:
    """A monotonic and a wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.mono = 5000.0
        self.wall = NOW.timestamp()

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def client(session: aiohttp.ClientSession, base_url: str, clocks: Clocks) -> Eg4CloudClient:
    return Eg4CloudClient(
        session,
        base_url=base_url,
        username=USERNAME,
        password=PASSWORD,
        retry_delays=(0.0, 0.0, 0.0),
        clock=lambda: clocks.mono,
        wall_clock=lambda: clocks.wall,
    )


def too_many(retry_after: str | None = None, status: int = 429) -> Raw:
    headers = () if retry_after is None else (("Retry-After", retry_after),)
    return Raw("Too Many Requests", status=status, content_type="text/plain", headers=headers)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("Sun, 06 Dec 2026 10:02:00 GMT", 120.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("9" * 400, None),
        ("Mon, 99 Foo 2026 99:99:99 GMT", None),
    ],
)
def test_retry_after_forms(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, NOW.timestamp()) == expected


async def test_429_holds_every_request_until_retry_after(
    client: Eg4CloudClient, portal: FakePortal, clocks: Clocks
) -> None:
    await client.runtime("5210048817")
    portal.script(RUNTIME, too_many("120"))
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.runtime("5210048817")
    assert isinstance(err.value, Eg4TransientError)
    assert err.value.code == "HTTP_429"
    assert err.value.retry_after == 120
    assert portal.counts[RUNTIME] == 2  # not retried within the call
    sent = len(portal.calls)

    clocks.advance(60)  # the next poll, too early: nothing is sent, the login neither
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.runtime("5210048817")
    assert err.value.retry_after == 60
    portal.expire()
    with pytest.raises(Eg4RateLimitedError):
        await client.login()
    assert len(portal.calls) == sent

    clocks.advance(60)  # the portal's time is up
    portal.expire()
    runtime = await client.runtime("5210048817")
    assert runtime.soc == 82
    assert [c.path for c in portal.calls[sent:]] == [RUNTIME, LOGIN, RUNTIME]


async def test_429_as_an_http_date(
    client: Eg4CloudClient, portal: FakePortal, clocks: Clocks
) -> None:
    portal.script(RUNTIME, too_many(format_datetime(NOW + timedelta(minutes=5), usegmt=True)))
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.runtime("5210048817")
    assert err.value.retry_after == 300


@pytest.mark.parametrize(
    ("header", "hold"),
    [
        (None, RETRY_AFTER_DEFAULT_S),
        ("garbage", RETRY_AFTER_DEFAULT_S),
        ("86400", RETRY_AFTER_MAX_S),
        ("0", RETRY_AFTER_MIN_S),
    ],
)
async def test_429_hold_is_bounded(
    client: Eg4CloudClient, portal: FakePortal, header: str | None, hold: float
) -> None:
    portal.script(RUNTIME, too_many(header))
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.runtime("5210048817")
    assert err.value.retry_after == hold


async def test_429_on_the_login(client: Eg4CloudClient, portal: FakePortal, clocks: Clocks) -> None:
    portal.script(LOGIN, too_many("30"))
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.login()
    assert err.value.retry_after == 30
    assert portal.logins == 1
    clocks.advance(30)
    assert (await client.login()).user_id == 73012


async def test_503_with_retry_after_is_honoured_without_it_retried(
    client: Eg4CloudClient, portal: FakePortal, clocks: Clocks
) -> None:
    await client.login()
    portal.script(RUNTIME, too_many("45", status=503))
    with pytest.raises(Eg4RateLimitedError) as err:
        await client.runtime("5210048817")
    assert (err.value.code, err.value.retry_after) == ("HTTP_503", 45)
    assert portal.counts[RUNTIME] == 1
    clocks.advance(45)
    portal.script(RUNTIME, Status(503), Status(503))  # without a hint: retried at once
    assert (await client.runtime("5210048817")).soc == 82
    assert portal.counts[RUNTIME] == 1 + 3
