"""A full run at DEBUG never logs (or raises with) the password or the session cookie."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.eg4.cloud import (
    Eg4AuthError,
    Eg4CloudClient,
    Eg4CloudError,
    Eg4OutageError,
)

from .conftest import make_client
from .portal import (
    COOKIE_PREFIX,
    PARAM_READ,
    PARAM_WRITE,
    PASSWORD,
    RUNTIME,
    FakePortal,
    Html,
    fixture,
)


async def test_no_secret_in_logs_or_errors(
    client: Eg4CloudClient,
    portal: FakePortal,
    session: aiohttp.ClientSession,
    base_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[Eg4CloudError] = []
    await client.login()
    await client.plants()
    await client.devices(42017)
    await client.parallel_group("5210048817")
    await client.runtime("5210048817")
    await client.battery("5210048817")
    portal.script(PARAM_READ, fixture("error_dataframe_timeout.json"))
    await client.read_parameters("5210048817")
    portal.expire()
    await client.runtime("5210048817")
    portal.script(PARAM_WRITE, fixture("error_remote_set.json"))
    try:
        await client.write_parameter("5210048817", "HOLD_AC_CHARGE_SOC_LIMIT", "90")
    except Eg4CloudError as err:
        errors.append(err)
    portal.script(RUNTIME, Html(), Html())
    try:
        await client.runtime("5210048817")
    except Eg4OutageError as err:
        errors.append(err)
    bad = make_client(session, base_url, password=PASSWORD + "x")
    try:
        await bad.login()
    except Eg4AuthError as err:
        errors.append(err)
    assert len(errors) == 3
    assert portal.issued  # cookies were handed out ...
    text = caplog.text + " ".join(f"{e!s} {e!r}" for e in errors) + repr(client)
    assert PASSWORD not in text  # ... and neither they nor the password were logged
    assert COOKIE_PREFIX not in text
    for token in portal.issued:
        assert token not in text
    assert "getInverterRuntime" in caplog.text  # paths are logged
    assert "DATAFRAME_TIMEOUT" in caplog.text  # and error codes
