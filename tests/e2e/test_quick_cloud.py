"""``eg4.quick_charge`` and ``eg4.forced_discharge`` through the cloud transport.

Home Assistant -> the real portal client -> the simulator's portal on 127.0.0.1 -> the twin,
on one frozen clock (``CloudRig`` from the calibration's cloud tests). The portal's quick
tasks run on the twin (a quick charge charges the bank from the grid, a quick discharge
discharges it); an acknowledged start is not taken for a task under way: the run waits for
``getStatusInfo`` to show it, and its stop is confirmed the same way.
"""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.eg4.supervisor.quick_words import EVENT_QUICK_ENDED
from simulator.inverter import QuickTask

from .test_calibration_cloud import (  # noqa: F401 - the fixtures
    EVERYDAY,
    SCAN_S,
    CloudRig,
    portal,
    rig,
    started_again,
)

STATUS = "/WManage/web/config/quickCharge/getStatusInfo"
CHARGE_START = "/WManage/web/config/quickCharge/start"
CHARGE_STOP = "/WManage/web/config/quickCharge/stop"
DISCHARGE_START = "/WManage/web/config/quickDischarge/start"
DISCHARGE_STOP = "/WManage/web/config/quickDischarge/stop"


@pytest.fixture
def scenario() -> str:
    """A healthy bank at 60 %, everyday settings, 21:00."""
    return "healthy"


def tasks(rig: CloudRig) -> list[QuickTask | None]:
    """The quick task each unit of the twin runs."""
    return [inv.quick for inv in rig.twin.inverters]


def stored_tasks(rig: CloudRig) -> list[tuple[float | None, float | None]]:
    """Each unit's quick-charge / quick-discharge read-back, as Home Assistant holds it."""
    return [
        (inv.settings.get("quick_charge"), inv.settings.get("quick_discharge"))  # type: ignore[call-overload]
        for _, inv in sorted(rig.entry.runtime_data.coordinator.data.inverters.items())
    ]


@pytest.mark.timeout(300)
async def test_quick_charge_runs_its_duration_and_is_stopped_and_confirmed(
    rig: CloudRig,
) -> None:
    """Start seen by the portal, status read back, the bank charges, the stop confirmed."""
    ended = async_capture_events(rig.hass, EVENT_QUICK_ENDED)
    await rig.advance(SCAN_S)
    assert stored_tasks(rig) == [(0.0, 0.0)] * 2
    statuses = rig.portal.requests[STATUS]
    response = await rig.call("quick_charge", duration=30)
    assert response is not None
    assert (response["action"], response["duration_min"], response["units"]) == (
        "quick_charge",
        30,
        [1, 2],
    )
    assert "30 minutes" in response["message"]
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="the quick charge")
    assert rig.portal.requests[CHARGE_START] == 2  # one task per inverter
    assert rig.portal.requests[STATUS] > statuses  # confirmed by the status, not the ack
    assert tasks(rig) == [QuickTask.CHARGE] * 2
    assert stored_tasks(rig) == [(1.0, 0.0)] * 2
    # The portal ends the task by itself a little after the run would (its backstop).
    until = [inv.quick_until_s for inv in rig.twin.inverters]
    assert all(u is not None and u >= rig.twin.clock_s + 34 * 60 for u in until)
    soc = rig.twin.bank_soc_pct
    for _ in range(10):
        await rig.advance(SCAN_S)
    assert rig.twin.grid_charge_a > 0  # from the grid, whatever the everyday priorities
    assert rig.priorities() == EVERYDAY  # (they are not what a quick charge changes)

    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=3600, what="the end")
    assert 15 * 60 <= took <= 25 * 60  # 30 minutes after the writes were confirmed
    assert rig.twin.bank_soc_pct > soc
    assert rig.portal.requests[CHARGE_STOP] == 2
    assert tasks(rig) == [None] * 2
    assert stored_tasks(rig) == [(0.0, 0.0)] * 2
    (event,) = ended
    assert (event.data["ending"], event.data["action"], event.data["run_id"]) == (
        "succeeded",
        "quick_charge",
        response["run_id"],
    )
    assert "confirmed by read-back" in event.data["message"]
    assert rig.supervisor.last_charge_to is None  # a charge to a target's record is its own
    assert rig.stored_run() is None


@pytest.mark.timeout(300)
async def test_forced_discharge_cancelled_stops_the_task_and_confirms_it(
    rig: CloudRig,
) -> None:
    """``eg4.cancel_calibration`` stops a quick run too: stop sent, status read back."""
    ended = async_capture_events(rig.hass, EVENT_QUICK_ENDED)
    await rig.advance(SCAN_S)
    response = await rig.call("forced_discharge", duration=120)
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="the discharge")
    assert rig.portal.requests[DISCHARGE_START] == 2
    assert tasks(rig) == [QuickTask.DISCHARGE] * 2
    soc = rig.twin.bank_soc_pct
    for _ in range(20):
        await rig.advance(SCAN_S)
    assert rig.twin.bank_soc_pct < soc

    cancelled = await rig.call("cancel_calibration")
    assert cancelled is not None
    assert (cancelled["outcome"], cancelled["confirmed"]) == ("aborted", True)
    assert cancelled["message"] == (
        "Cancelled. Stopped and confirmed by read-back: Quick discharge: stopped (inverters: 1, 2)."
    )
    await rig.settle()
    assert rig.portal.requests[DISCHARGE_STOP] == 2
    assert tasks(rig) == [None] * 2
    assert stored_tasks(rig) == [(0.0, 0.0)] * 2
    assert rig.supervisor.run is None
    (event,) = ended
    assert (event.data["ending"], event.data["reason"]) == ("aborted", "cancelled")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("scenario", ["cell_runaway"])
async def test_a_breach_during_a_quick_charge_stops_it(rig: CloudRig) -> None:
    """The safety monitor stops a quick charge as it stops a calibration."""
    ended = async_capture_events(rig.hass, EVENT_QUICK_ENDED)
    await rig.advance(SCAN_S)
    await rig.call("quick_charge", duration=1440)
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="the quick charge")
    await rig.drive(lambda: rig.supervisor.run is None, limit_s=12 * 3600, what="the breach")
    assert tasks(rig) == [None] * 2
    assert stored_tasks(rig) == [(0.0, 0.0)] * 2
    (event,) = ended
    assert (event.data["ending"], event.data["reason"]) == ("aborted", "cell_over_voltage")
    assert all(not pack.bms.protection_list() for pack in rig.twin.packs)


@pytest.mark.parametrize(
    ("duration", "value"), [(0, "0"), (1441, "1441"), (12.5, "12.5"), (-3, "-3")]
)
async def test_a_bad_duration_is_refused_in_words(
    rig: CloudRig, duration: float, value: str
) -> None:
    """Translated, naming the value and the range; nothing is sent."""
    await rig.advance(SCAN_S)
    sent = rig.portal.total_requests
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("quick_charge", duration=duration)
    assert err.value.translation_key == "quick_duration_invalid"
    assert f"{value} minutes" in str(err.value)
    assert "from 1 to 1440" in str(err.value)
    assert rig.portal.total_requests == sent
    assert rig.supervisor.run is None


async def test_a_task_started_elsewhere_is_not_taken_over(rig: CloudRig) -> None:
    """A quick charge the app started: refused (its stop would not be ours to send)."""
    for unit in rig.twin.inverters:
        unit.quick = QuickTask.CHARGE
    for unit in rig.entry.runtime_data.coordinator.transport.units:
        unit.params_read_at = None  # the hourly read falls due
    await rig.advance(SCAN_S)
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("quick_charge", duration=10)
    assert err.value.translation_key == "quick_charge_already_running"
    assert rig.portal.requests[CHARGE_START] == 0


async def test_one_supervised_run_per_bank(rig: CloudRig) -> None:
    """A quick run and a calibration exclude each other."""
    await rig.advance(SCAN_S)
    await rig.call("quick_charge", duration=10)
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("forced_discharge", duration=10)
    assert err.value.translation_key == "supervised_run_active"
    with pytest.raises(ServiceValidationError):
        await rig.call("run_calibration")
    await rig.call("cancel_calibration")


@pytest.mark.timeout(300)
async def test_restart_mid_quick_charge_stops_it_through_the_portal(
    hass: HomeAssistant,
    rig: CloudRig,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A real restart while the portal refuses the stop: the next start stops the task."""
    await rig.advance(SCAN_S)
    response = await rig.call("quick_charge", duration=240)
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=600, what="the quick charge")
    rig.portal.inject_error("REMOTE_SET_ERROR", count=1000, path="quickCharge/stop")

    await hass.async_stop()
    stored = rig.stored_run()
    assert stored is not None
    assert (stored["kind"], stored["phase"], stored["quick"]["action"]) == (
        "quick",
        "bulk",
        "quick_charge",
    )
    assert tasks(rig) == [QuickTask.CHARGE] * 2  # the stop at shutdown was refused
    rig.portal.clear_errors()
    await rig.entry.runtime_data.coordinator.async_shutdown()
    rig.twin.step(600)
    freezer.tick(600)

    async with started_again(rig, freezer, hass_storage) as again:
        await again.drive(lambda: again.supervisor.run is None, limit_s=600, what="the revert")
        assert tasks(again) == [None] * 2
        assert stored_tasks(again) == [(0.0, 0.0)] * 2
        assert again.stored_run() is None
        assert again.supervisor.last is None  # the calibration's record is untouched
        last = again.events[-1].data
        assert (last["run_id"], last["kind"], last["phase"], last["reason"]) == (
            response["run_id"],
            "quick",
            "aborted",
            "interrupted",
        )


async def test_only_administrators_may_start_a_quick_run(
    rig: CloudRig,
    hass_admin_user: Any,  # (the first user would be the owner)
) -> None:
    """Like every action that changes settings: a non-admin user is refused, nothing sent."""
    await rig.advance(SCAN_S)
    user = await rig.hass.auth.async_create_user("guest", group_ids=["system-users"])
    assert not user.is_admin
    sent = rig.portal.total_requests
    for service in ("quick_charge", "forced_discharge"):
        with pytest.raises(Unauthorized):
            await rig.call(service, context=Context(user_id=user.id), duration=10)
    assert rig.portal.total_requests == sent
    assert rig.supervisor.run is None
