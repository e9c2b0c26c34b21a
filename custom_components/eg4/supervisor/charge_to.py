"""``eg4.charge_to`` inside Home Assistant: plan, answer, and start the supervised run.

The planning is pure (``chargeto``); the run is hosted by the calibration's supervisor
(``core.RunHost.async_begin``): stored before its first write, the safety
monitor and the held-lever watch on every update, the revert confirmed by read-back, a
restart mid-run reverting. One supervised run per bank: a calibration and a charge exclude
each other.
"""

from __future__ import annotations

import uuid
from typing import Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..calibration import Method, PlanItem, RunConfig, build_plan
from ..chargeto import ChargePlan, ChargeRequest, ChargeToRun, CurrentSteps, plan_charge
from ..const import DOMAIN
from ..model import SettingKey, SettingValue
from ..refusal import RefusedError
from ..settings import NumberSetting
from .answers import plan_response
from .host import RunHost
from .plan_check import (
    answered,
    describe_checks,
    host_preflight,
    levers,
    refuse_if_running_elsewhere,
    run_config_for,
)

# The settings that carry the charge current, written alike (the first must be writable).
CURRENT_KEYS = (SettingKey.MAX_CHARGE_CURRENT, SettingKey.MAX_UTILITY_CHARGE_CURRENT)


def _refused(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def current_steps(sup: RunHost) -> CurrentSteps:
    """The family's charge-current settings; refused where it has none to write."""
    writable = sup.coordinator.capabilities.writable
    setting = writable.get(SettingKey.MAX_CHARGE_CURRENT)
    if not isinstance(setting, NumberSetting) or not levers(sup):
        raise _refused("charge_to_unsupported")
    keys = tuple(key for key in CURRENT_KEYS if key in writable)
    units = len(sup.coordinator.data.inverters)
    return CurrentSteps.of(setting, keys, units, grid_key=SettingKey.MAX_UTILITY_CHARGE_CURRENT)


def when(timestamp: float | None) -> str | None:
    """A run-clock time as the owner reads it (local, to the minute)."""
    if timestamp is None:
        return None
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).strftime("%Y-%m-%d %H:%M")


def _plan(
    sup: RunHost, request: ChargeRequest, steps: CurrentSteps, config: RunConfig
) -> tuple[ChargePlan, list[PlanItem]]:
    state = sup.coordinator.data
    try:
        charge = plan_charge(
            state, request, steps, now=sup.now(), taper_current_a=config.taper_current_a
        )
        wanted: dict[SettingKey, SettingValue] = dict(charge.values(steps))
        wanted.update(levers(sup))  # the current first, the levers that start the charge last
        writable = sup.coordinator.capabilities.writable
        return charge, build_plan(Method.GRID, state, wanted, writable=writable.keys())
    except RefusedError as err:
        raise _refused(err.translation_key, **err.translation_placeholders) from err


def charge_answer(
    sup: RunHost, request: ChargeRequest, charge: ChargePlan, steps: CurrentSteps
) -> dict[str, Any]:
    """The plan in figures (units at the end of each key) and in a sentence."""
    now = sup.now()
    figures = {
        "soc_pct": round(charge.soc, 1),
        "target_soc_pct": request.target_soc,
        "deadline": when(request.deadline),
        "current_a": round(charge.current_a, 1),
        "per_unit_current_a": charge.per_unit_a,
        "grid_per_unit_current_a": charge.grid_per_unit_a,
        "needed_a": round(charge.needed_a, 1),
        "sun_a": round(charge.sun_a, 1),
        "expected_finish": when(charge.finish_at),
        "duration_min": round((charge.finish_at - now) / 60),
        "settings": [key.value for key in steps.keys],
        "capacity_ah": round(charge.capacity.ah, 1),
        "capacity_source": charge.capacity.source.value,
    }
    words = sup.notifier.words
    per_pack = charge.capacity.ah / max(1, len(sup.coordinator.data.packs))
    capacity_from = words.message(
        translation_domain=DOMAIN,
        translation_key=f"charge_to_capacity_{charge.capacity.source.value}",
        translation_placeholders={"per_pack": f"{per_pack:g}"},
    )
    message = words.message(
        translation_domain=DOMAIN,
        translation_key="charge_to_plan",
        translation_placeholders={
            "capacity": f"{charge.capacity.ah:g}",
            "capacity_from": capacity_from,
            "soc": f"{charge.soc:.0f}",
            "target": f"{request.target_soc:g}",
            "deadline": str(figures["deadline"]),
            "current": f"{charge.current_a:g}",
            "per_unit": f"{charge.per_unit_a:g}",
            "units": str(steps.units),
            "finish": str(figures["expected_finish"]),
        },
    )
    return {**figures, "message": message}


async def async_charge_to(sup: RunHost, request: ChargeRequest, *, dry_run: bool) -> dict[str, Any]:
    """Plan the charge, answer with the plan, and (unless a dry run) start it."""
    coordinator = sup.coordinator
    steps = current_steps(sup)
    config = run_config_for(sup, RunConfig())
    charge, items = _plan(sup, request, steps, config)
    found = host_preflight(sup, config, [item.setting for item in items], now=sup.now())
    checks = answered(f for f in found if f.blocks)
    writable = coordinator.capabilities.writable
    response: dict[str, Any] = {
        "run_id": None,
        "dry_run": dry_run,
        "method": request.method.value,
        "preflight": {"ok": not checks, "failed_checks": checks},
        "charge": charge_answer(sup, request, charge, steps),
        "plan": plan_response(items, sup.notifier.words, writable),
    }
    if dry_run:
        return response
    if sup.run is not None:
        raise _refused("supervised_run_active", kind=sup.run.kind)
    if checks:
        raise _refused("run_preflight_failed", checks=describe_checks(checks))
    refuse_if_running_elsewhere(sup)
    run = ChargeToRun.create_charge(
        run_id=uuid.uuid4().hex[:12],
        request=request,
        steps=steps,
        charge_plan=charge,
        plan=items,
        state=coordinator.data,
        now=sup.now(),
        config=config,
    )
    await sup.async_begin(run)
    response["run_id"] = run.run_id
    return response
