"""The portal's quick tasks: the start/stop calls and the status read-back (pure)."""

from __future__ import annotations

import pytest

from custom_components.eg4.cloud import Eg4ApiError
from custom_components.eg4.cloud.quick import (
    QuickWrite,
    quick_form,
    quick_status,
    quick_write,
)
from custom_components.eg4.model import ChargerPriority, SettingKey

CHARGE, DISCHARGE = SettingKey.QUICK_CHARGE, SettingKey.QUICK_DISCHARGE


def test_a_quick_charge_carries_its_own_end_and_a_discharge_none() -> None:
    start = quick_write(CHARGE, 1.0, 65)
    assert start == QuickWrite("quick", "/WManage/web/config/quickCharge/start", 65)
    assert quick_form("4500000001", start) == {
        "inverterSn": "4500000001",
        "clientType": "WEB",
        "minute": "65",
    }
    assert quick_write(CHARGE, 1.0, 5000).minute == 1440  # the portal's longest
    assert quick_write(CHARGE, 1.0, 1440).minute == 1440
    assert quick_write(CHARGE, 1.0, 1).minute == 1
    assert quick_write(CHARGE, 1.0, 0).minute == 1  # the portal's shortest
    assert quick_write(CHARGE, 1.0, None).minute is None
    assert quick_write(DISCHARGE, 1.0, 65) == QuickWrite(
        "quick", "/WManage/web/config/quickDischarge/start", None
    )
    stop = quick_write(DISCHARGE, 0.0, 65)
    assert stop.path == "/WManage/web/config/quickDischarge/stop"
    assert quick_form("4500000001", stop) == {"inverterSn": "4500000001", "clientType": "WEB"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (CHARGE, 0.5),
        (CHARGE, 2.0),
        (SettingKey.MAX_CHARGE_CURRENT, 1.0),
        (CHARGE, ChargerPriority.SOLAR_FIRST),
    ],
)
def test_anything_but_start_or_stop_of_a_task_is_refused(key: SettingKey, value: object) -> None:
    with pytest.raises(ValueError, match="takes 1"):
        quick_write(key, value, 10)  # type: ignore[arg-type]


def test_the_status_reads_back_both_tasks() -> None:
    body = {
        "success": True,
        "hasUnclosedQuickChargeTask": True,
        "hasUnclosedQuickDischargeTask": False,
        "remainTimeBeforeQuickChargeStop": 1800,
        "unclosedQuickChargeTaskId": 7,
        "unclosedQuickChargeTaskStatus": "WAIT_CHARGE",
        "lowVoltProtect": False,
    }
    assert quick_status(body) == {CHARGE: 1.0, DISCHARGE: 0.0}
    assert quick_status({"hasUnclosedQuickDischargeTask": "true"}) == {DISCHARGE: 1.0}


@pytest.mark.parametrize("body", [{}, {"success": True}, {"hasUnclosedQuickChargeTask": "maybe"}])
def test_a_status_without_either_task_is_unreadable(body: dict[str, object]) -> None:
    with pytest.raises(Eg4ApiError) as err:
        quick_status(body)
    assert err.value.code == "BAD_RESPONSE"
