"""Envelope classification, retries with backoff, writes rejected by the device."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.eg4.cloud import (
    Eg4ApiError,
    Eg4CloudClient,
    Eg4CloudError,
    Eg4DeviceRejectedError,
    Eg4PermissionError,
    Eg4TransientError,
    FunctionWrite,
    ParamWrite,
)

from .conftest import make_client
from .portal import (
    FUNCTION,
    PARAM_READ,
    PARAM_WRITE,
    RUNTIME,
    FakePortal,
    Status,
    fixture,
)

TIMEOUT = fixture("error_dataframe_timeout.json")
BLOCKED = fixture("error_api_blocked.json")
REJECTED = fixture("error_remote_set.json")


async def test_transient_error_is_retried_then_succeeds(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.login()
    portal.script(PARAM_READ, TIMEOUT)
    params = await client.read_parameters("5210048817")
    assert params["HOLD_LEAD_ACID_CHARGE_RATE"] == "120"
    assert client.request_count == 3  # login + timeout + success
    assert portal.counts[PARAM_READ] == 2


async def test_transient_error_gives_up_after_the_retries(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.login()
    portal.script(RUNTIME, *[TIMEOUT] * 5)
    with pytest.raises(Eg4TransientError) as err:
        await client.runtime("5210048817")
    assert err.value.code == "DATAFRAME_TIMEOUT"
    assert err.value.path == RUNTIME
    assert portal.counts[RUNTIME] == 4  # 1 + len(retry_delays)
    assert client.request_count == 5


@pytest.mark.parametrize("code", ["TIMEOUT", "BUSY", "COMMUNICATION_ERROR", "DEVICE_BUSY"])
async def test_every_transient_code_is_retried(
    client: Eg4CloudClient, portal: FakePortal, code: str
) -> None:
    await client.login()
    portal.script(RUNTIME, {"success": False, "message": code})
    assert (await client.runtime("5210048817")).online
    assert portal.counts[RUNTIME] == 2


@pytest.mark.parametrize("status", [500, 502, 503])  # 429: test_rate_limit.py
async def test_server_errors_are_transient(
    client: Eg4CloudClient, portal: FakePortal, status: int
) -> None:
    await client.login()
    portal.script(RUNTIME, Status(status), Status(status))
    assert (await client.runtime("5210048817")).online
    assert portal.counts[RUNTIME] == 3


async def test_no_retries_when_none_configured(
    session: aiohttp.ClientSession, base_url: str, portal: FakePortal
) -> None:
    client = make_client(session, base_url, retry_delays=())
    await client.login()
    portal.script(RUNTIME, TIMEOUT)
    with pytest.raises(Eg4TransientError):
        await client.runtime("5210048817")
    assert portal.counts[RUNTIME] == 1


async def test_api_blocked_is_permission_error_without_retry(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.login()
    portal.script(PARAM_READ, BLOCKED, BLOCKED)
    with pytest.raises(Eg4PermissionError) as err:
        await client.read_parameters("5210048817")
    assert err.value.code == "apiBlocked"
    assert portal.counts[PARAM_READ] == 1
    assert client.request_count == 2


async def test_remote_set_error_carries_the_portal_message(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(PARAM_WRITE, REJECTED)
    with pytest.raises(Eg4DeviceRejectedError) as err:
        await client.write_parameter("5210048817", "HOLD_AC_CHARGE_SOC_LIMIT", "90")
    assert err.value.message == "REMOTE_SET_ERROR"
    assert "REMOTE_SET_ERROR" in str(err.value)
    assert portal.counts[PARAM_WRITE] == 1  # a rejection is final


async def test_function_rejection_with_free_text_message(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(FUNCTION, {"success": False, "msg": "Parameter not supported by device"})
    with pytest.raises(Eg4DeviceRejectedError) as err:
        await client.function_control("5210048817", "FUNC_AC_CHARGE", True)
    assert err.value.message == "Parameter not supported by device"


async def test_writes_send_the_documented_form(client: Eg4CloudClient, portal: FakePortal) -> None:
    await client.apply("5210048817", ParamWrite("write", "HOLD_LEAD_ACID_CHARGE_RATE", "60"))
    await client.apply("5210048817", FunctionWrite("function", "FUNC_AC_CHARGE", enable=False))
    write, function = portal.calls[-2:]
    assert write.path == PARAM_WRITE
    assert write.form == {
        "inverterSn": "5210048817",
        "holdParam": "HOLD_LEAD_ACID_CHARGE_RATE",
        "valueText": "60",
        "clientType": "WEB",
        "remoteSetType": "NORMAL",
    }
    assert function.path == FUNCTION
    assert function.form["functionParam"] == "FUNC_AC_CHARGE"
    assert function.form["enable"] == "false"


async def test_write_transient_is_retried(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.script(PARAM_WRITE, TIMEOUT)
    await client.write_parameter("5210048817", "HOLD_LEAD_ACID_CHARGE_RATE", "60")
    assert portal.counts[PARAM_WRITE] == 2


async def test_unknown_read_failure_is_api_error(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    portal.script(RUNTIME, {"success": False, "msg": "DEVICE_ERROR_UNSUPPORT_DEVICE_TYPE"})
    with pytest.raises(Eg4ApiError) as err:
        await client.runtime("5360011204")
    assert err.value.code == "DEVICE_ERROR_UNSUPPORT_DEVICE_TYPE"


@pytest.mark.parametrize("reply", ["[1, 2]", '"text"', "null"])
async def test_json_that_is_not_an_object_is_api_error(
    client: Eg4CloudClient, portal: FakePortal, reply: str
) -> None:
    portal.script(RUNTIME, reply)
    with pytest.raises(Eg4ApiError):
        await client.runtime("5210048817")


async def test_http_404_is_api_error(client: Eg4CloudClient, portal: FakePortal) -> None:
    portal.script(RUNTIME, Status(404))
    with pytest.raises(Eg4ApiError) as err:
        await client.runtime("5210048817")
    assert err.value.code == "HTTP_404"


async def test_every_error_is_a_cloud_error() -> None:
    for cls in (Eg4ApiError, Eg4DeviceRejectedError, Eg4PermissionError, Eg4TransientError):
        assert issubclass(cls, Eg4CloudError)


async def test_bad_arguments_never_reach_the_portal(client: Eg4CloudClient) -> None:
    with pytest.raises(ValueError, match="serial"):
        await client.runtime("../etc")
    with pytest.raises(ValueError, match="parameter"):
        await client.write_parameter("5210048817", "HOLD X", "1")
    with pytest.raises(ValueError, match="value_text"):
        await client.write_parameter("5210048817", "HOLD_X", "1&x=2")
    with pytest.raises(ValueError, match="window"):
        await client.read_parameters("5210048817", 0, 128)
    assert client.request_count == 0
