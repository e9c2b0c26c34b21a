"""Hostile portal answers: nothing but the client's typed errors ever leaves the client.

A field that cannot be read becomes None (or is left out); an answer that cannot be read at
all is an ``Eg4ApiError`` with code ``BAD_RESPONSE``. Never an OverflowError, ValueError,
TypeError or RecursionError: those would escape the poll and, during a calibration, the revert.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.eg4.cloud import Eg4ApiError, Eg4CloudClient, Eg4CloudError, parse
from custom_components.eg4.cloud.wire import MAX_BODY_BYTES, NotJsonError, load_json

from .portal import BATTERY, LOGIN, PARAM_READ, RUNTIME, FakePortal, Raw, fixture

HUGE = 10**400  # a JSON integer above 1e308: float() of it raises OverflowError
ENORMOUS = 10**5000  # more digits than str()/int() convert (ValueError since Python 3.11)


# ---- the scalar readers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [HUGE, -HUGE, ENORMOUS, "9" * 100_000, "1e999", "-1e999"],
    ids=["1e400", "-1e400", "1e5000", "100k-nines", "1e999-text", "-1e999-text"],
)
def test_numbers_too_large_for_a_float_are_unknown(raw: Any) -> None:
    assert parse.number(raw) is None
    assert parse.integer(raw) is None
    assert parse.scaled(raw, 10) is None
    assert parse.flag(raw) is None


def test_text_of_an_enormous_integer_is_unknown() -> None:
    assert parse.text(ENORMOUS) is None
    assert parse.text(HUGE) is None  # 401 digits is no name, serial or status
    assert parse.text(12) == "12"
    assert parse.text("x" * 1_000_000) == "x" * 200


def test_parameters_leave_out_what_cannot_be_rendered() -> None:
    body = {"HOLD_A": ENORMOUS, "HOLD_B": float("nan"), "HOLD_C": HUGE, "HOLD_D": "90"}
    assert parse.parameters(body) == {"HOLD_D": "90"}


def test_every_field_enormous() -> None:
    """Every field the parsers read holds an enormous integer: all unknown, nothing raises."""
    keys = ("lost", "soc", "vBat", "batPower", "pCharge", "pDisCharge", "pToUser", "pToGrid")
    body: dict[str, Any] = dict.fromkeys(keys, ENORMOUS)
    body |= {"status": HUGE, "serialNum": ENORMOUS, "currentText": HUGE, "totalNumber": HUGE}
    body["batteryArray"] = [dict.fromkeys(("batIndex", "current", "soc", "cycleCnt"), HUGE)]
    body["plants"] = [{"plantId": HUGE, "inverters": []}, {"plantId": 7, "name": ENORMOUS}]
    body["rows"] = [{"serialNum": "1234", "plantId": HUGE, "parallelIndex": ENORMOUS}]
    runtime = parse.runtime("1111111111", body)
    assert runtime.serial == "1111111111"
    assert (runtime.soc, runtime.battery_voltage, runtime.battery_current) == (None, None, None)
    battery = parse.battery("1111111111", body)
    assert battery.current is None
    assert battery.packs[0].index == 0
    assert battery.packs[0].cycle_count is None
    assert [p.plant_id for p in parse.account(body).plants] == [7]
    assert parse.device_rows(body)[0].plant_id is None


# ---- the wire: bytes in, a JSON object or a typed error out ---------------------------------


def test_json_numbers_beyond_range_become_unknown() -> None:
    raw = b'{"success": true, "soc": 1' + b"0" * 5000 + b', "vBat": NaN, "ppv": -Infinity}'
    assert load_json(raw) == {"success": True, "soc": None, "vBat": None, "ppv": None}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"success": true, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"success": tru',
        b"[1, 2, 3]",
        b'"a string"',
        b'{"a": "\xff\xfe"}',
    ],
    ids=["deep", "truncated", "array", "string", "bad-utf8"],
)
def test_json_that_cannot_be_read_is_a_bad_response(raw: bytes) -> None:
    with pytest.raises(Eg4ApiError) as err:
        load_json(raw)
    assert err.value.code == "BAD_RESPONSE"


@pytest.mark.parametrize("raw", [b"", b"   ", b"<!DOCTYPE html><html></html>", b"Service down"])
def test_a_page_that_is_no_json_at_all_is_told_apart(raw: bytes) -> None:
    with pytest.raises(NotJsonError):
        load_json(raw)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([19, 63, 309, 400, 5000]).map(lambda exponent: 10**exponent)
    | st.sampled_from([19, 309, 5000]).map(lambda exponent: -(10**exponent))
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=30,
)
_FIELDS = st.sampled_from(
    [
        "success",
        "msg",
        "msgCode",
        "soc",
        "vBat",
        "batPower",
        "lost",
        "batteryArray",
        "currentText",
        "currentType",
        "plants",
        "rows",
        "inverters",
        "plantId",
        "serialNum",
        "total",
        "consumptionPower",
        "pLoad170",
        "deviceType",
    ]
)


def _dump(value: Any) -> bytes:
    try:
        return json.dumps(value).encode()
    except ValueError:  # an integer too long to print: write its digits by hand
        return b'{"soc": 1' + b"0" * 5000 + b"}"


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.dictionaries(_FIELDS | st.text(max_size=6), _json, max_size=10).map(_dump),
        st.binary(max_size=200),
        _json.map(_dump),
    )
)
def test_whatever_the_bytes_only_typed_errors_leave(raw: bytes) -> None:
    try:
        body = load_json(raw)
    except (Eg4CloudError, NotJsonError):
        return
    assert isinstance(body, dict)
    parse.runtime("x", body)
    parse.battery("x", body)
    parse.account(body)
    parse.plant_list(body)
    parse.device_rows(body)
    parse.parallel_group(body)
    parse.parameters(body)


# ---- through the client ---------------------------------------------------------------------


async def test_runtime_with_an_integer_above_1e308(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    body = json.dumps(fixture("runtime.json")).replace('"soc": 82', f'"soc": {HUGE}')
    portal.script(RUNTIME, body)
    runtime = await client.runtime("5210048817")
    assert runtime.soc is None
    assert runtime.battery_voltage == pytest.approx(53.4)


async def test_runtime_with_an_integer_too_long_to_convert(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    body = json.dumps(fixture("runtime.json")).replace('"soc": 82', f'"soc": 1{"0" * 5000}')
    portal.script(RUNTIME, body)
    runtime = await client.runtime("5210048817")
    assert runtime.soc is None
    assert runtime.pv_power == 4315
    assert portal.logins == 1  # not mistaken for an expired session


async def test_deeply_nested_answer_is_a_bad_response(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.login()
    portal.script(BATTERY, Raw('{"batteryArray": ' + "[" * 50_000 + "]" * 50_000 + "}"))
    with pytest.raises(Eg4ApiError) as err:
        await client.battery("5210048817")
    assert err.value.code == "BAD_RESPONSE"
    assert portal.logins == 1


async def test_error_envelope_with_a_huge_code(client: Eg4CloudClient, portal: FakePortal) -> None:
    await client.login()
    portal.script(PARAM_READ, f'{{"success": false, "msg": "ODD", "msgCode": {HUGE}}}')
    with pytest.raises(Eg4ApiError) as err:
        await client.read_parameters("5210048817")
    assert err.value.code == "ODD"


async def test_an_oversized_answer_is_refused_unread(
    client: Eg4CloudClient, portal: FakePortal
) -> None:
    await client.login()
    padding = "x" * (MAX_BODY_BYTES + 1)
    portal.script(RUNTIME, Raw(f'{{"success": true, "pad": "{padding}"}}'))
    with pytest.raises(Eg4ApiError) as err:
        await client.runtime("5210048817")
    assert err.value.code == "BAD_RESPONSE"
    assert portal.logins == 1


async def test_login_answer_with_hostile_values(client: Eg4CloudClient, portal: FakePortal) -> None:
    login = fixture("login_success.json")
    login["userId"] = HUGE
    login["plants"][0]["plantId"] = HUGE
    portal.login_body = login
    account = await client.login()
    assert account.user_id is None
    assert all(plant.plant_id != HUGE for plant in account.plants)
    assert portal.counts[LOGIN] == 1


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=st.dictionaries(_FIELDS, _json, max_size=8).map(_dump))
async def test_client_answers_only_typed_errors(
    client: Eg4CloudClient, portal: FakePortal, body: bytes
) -> None:
    portal.script(RUNTIME, Raw(body))
    with contextlib.suppress(Eg4CloudError):
        runtime = await client.runtime("5210048817")
        assert runtime.online in (True, False)
