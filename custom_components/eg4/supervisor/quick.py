"""``eg4.quick_charge`` and ``eg4.forced_discharge`` inside Home Assistant: check and start.

The run is pure (``quick``) and hosted by the calibration's supervisor
(``core.RunHost.async_begin``): stored before its first write, the safety monitor and the
held-lever watch on every update, the revert confirmed by read-back, a restart mid-run
reverting. One supervised run per bank: a calibration, a charge to a target and a quick run
exclude each other.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

from homeassistant.exceptions import ServiceValidationError

from ..calibration import PlanItem, RunConfig
from ..const import DOMAIN
from ..model import SettingKey, SettingValue
from ..quick import MAX_MINUTES, MIN_MINUTES, QuickAction, QuickRun
from ..safety import Check
from .charge_to import when
from .host import RunHost
from .plan_check import (
    answered,
    describe_checks,
    host_preflight,
    refuse_if_running_elsewhere,
    run_config_for,
)

# The setting each action holds (one per family that has the action).
LEVERS: dict[QuickAction, SettingKey] = {
    QuickAction.CHARGE: SettingKey.QUICK_CHARGE,
    QuickAction.DISCHARGE: SettingKey.QUICK_DISCHARGE,
}
ON = 1.0
# lxp-bridge's forced discharge discharges inside its time window: window 1 is opened to the
# whole day for the run (the inverter's clock may differ from Home Assistant's), put back after.
WHOLE_DAY: dict[SettingKey, SettingValue] = {
    SettingKey.FORCED_DISCHARGE_START_1: time(0, 0),
    SettingKey.FORCED_DISCHARGE_END_1: time(23, 59),
}


def _refused(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def check_minutes(minutes: float) -> int:
    """A duration the action takes: whole minutes, 1 to 1440 (a day)."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES or minutes != int(minutes):
        raise _refused(
            "quick_duration_invalid",
            value=f"{minutes:g}",
            minimum=str(MIN_MINUTES),
            maximum=str(MAX_MINUTES),
        )
    return int(minutes)


def quick_levers(sup: RunHost, action: QuickAction) -> dict[SettingKey, SettingValue]:
    """What the action holds on this family, the setting that starts it last."""
    key = LEVERS[action]
    writable = sup.coordinator.capabilities.writable
    if key not in writable:
        raise _refused(f"{action.value}_unsupported")
    window = {k: v for k, v in WHOLE_DAY.items() if k in writable}
    return {**(window if action is QuickAction.DISCHARGE else {}), key: ON}


def quick_plan(sup: RunHost, action: QuickAction) -> list[PlanItem]:
    """Every lever on every unit, from its read-back to the run's value; refused when unknown."""
    levers = quick_levers(sup, action)
    state = sup.coordinator.data
    running = [str(u) for u, v in sorted(state.setting_values(LEVERS[action]).items()) if v == ON]
    if running:
        raise _refused(f"{action.value}_already_running", units=", ".join(running))
    items: list[PlanItem] = []
    unknown: list[str] = []
    for key, target in levers.items():
        for unit, value in sorted(state.setting_values(key).items()):
            if value is None:
                unknown.append(f"{key.value} (inverter {unit})")
            else:
                items.append(PlanItem(setting=key, unit=unit, from_value=value, to_value=target))
    if unknown or not items:
        raise _refused("quick_status_unknown", settings=", ".join(unknown) or "-")
    return items


def _preflight(sup: RunHost, action: QuickAction, config: RunConfig, key: SettingKey) -> None:
    """What refuses any supervised run (a discharge is not held to the charge temperatures)."""
    found = host_preflight(sup, config, [key], now=sup.now())
    if action is QuickAction.DISCHARGE:
        found = [f for f in found if f.check is not Check.TEMPERATURE_OUT_OF_RANGE]
    checks = answered(f for f in found if f.blocks)
    if checks:
        raise _refused("run_preflight_failed", checks=describe_checks(checks))


async def async_quick(sup: RunHost, action: QuickAction, minutes: float) -> dict[str, Any]:
    """Start a supervised quick charge or forced discharge for ``minutes``; answer with it."""
    duration = check_minutes(minutes)
    if sup.run is not None:
        raise _refused("supervised_run_active", kind=sup.run.kind)
    plan = quick_plan(sup, action)
    config = run_config_for(sup, RunConfig())
    _preflight(sup, action, config, LEVERS[action])
    refuse_if_running_elsewhere(sup)
    # Where the device can, it ends the task by itself a little after the run would (should
    # Home Assistant be gone); the run itself stops it at its end.
    sup.coordinator.transport.hold_backstop(duration + 5)
    run = QuickRun.create_quick(
        run_id=uuid.uuid4().hex[:12],
        action=action,
        duration_s=duration * 60.0,
        plan=plan,
        state=sup.coordinator.data,
        now=sup.now(),
        config=config,
    )
    await sup.async_begin(run)
    planned_end = sup.now() + duration * 60.0
    message = sup.notifier.words.message(
        translation_domain=DOMAIN,
        translation_key=f"{action.value}_started",
        translation_placeholders={"minutes": str(duration), "end": str(when(planned_end))},
    )
    return {
        "run_id": run.run_id,
        "action": action.value,
        "duration_min": duration,
        "expected_end": when(planned_end),
        "units": sorted({item.unit for item in plan}),
        "message": message,
    }
