"""What each portal answer means (cloud/wire.py's decode and check), at the edges.

A mutation run found these verdicts unpinned: the owner meets each of them as a different
message (re-authenticate, try later, the portal refused) in the config flow or a repair.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.eg4.cloud import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4CloudError,
    Eg4DeviceRejectedError,
    Eg4TransientError,
)
from custom_components.eg4.cloud.wire import check, decode

PATH = "/WManage/api/login"


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, Eg4ApiError, "HTTP_400"),  # the first client error, not a body to read
        (499, Eg4ApiError, "HTTP_499"),
        (429, Eg4TransientError, "HTTP_429"),
        (500, Eg4TransientError, "HTTP_500"),
    ],
)
def test_http_errors(status: int, error: type[Eg4CloudError], code: str) -> None:
    with pytest.raises(error) as err:
        decode(PATH, status, b'{"success": true}', 1, login=False)
    assert type(err.value) is error
    assert err.value.code == code


def test_http_399_is_a_body_to_read() -> None:
    assert decode(PATH, 399, b'{"success": true}', 1, login=False) == {"success": True}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # msgCode 101 is the portal's bad-credentials code, whatever its text says
        ({"success": False, "msg": "Wrong!", "msgCode": 101}, Eg4AuthError),
        ({"success": False, "msg": "Wrong!", "msgCode": 102}, Eg4ApiError),
        # a refused login whose text names the account is a credentials problem ...
        ({"success": False, "msg": "userNotExist"}, Eg4AuthError),
        ({"success": False, "msg": "passwordExpired"}, Eg4AuthError),
        ({"success": False, "msg": "ACCOUNT_LOCKED"}, Eg4AuthError),
        # ... and any other refused login is not
        ({"success": False, "msg": "SERVER_MAINTENANCE"}, Eg4ApiError),
    ],
)
def test_a_refused_login(body: dict[str, Any], error: type[Eg4CloudError]) -> None:
    with pytest.raises(error) as err:
        check(PATH, body, write=False, login=True)
    assert type(err.value) is error


def test_the_same_refusals_outside_the_login() -> None:
    """Outside the login, naming the account is no credentials verdict; a write's refusal is
    the device's, with the portal's words."""
    body = {"success": False, "msg": "userNotExist"}
    with pytest.raises(Eg4ApiError):
        check("/WManage/api/inverter/getInverterRuntime", body, write=False, login=False)
    with pytest.raises(Eg4DeviceRejectedError) as err:
        check("/WManage/web/maintain/remoteSet/write", body, write=True, login=False)
    assert err.value.code == "userNotExist"
    with pytest.raises(Eg4AuthError):  # msgCode 101 is the credentials' everywhere
        check(PATH, {**body, "msgCode": 101}, write=True, login=False)
