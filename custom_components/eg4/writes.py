"""Verified writes: validate, send to every unit, confirm by read-back, roll back on failure.

A restore (``restore=True``: the calibration's revert) is different: every unit that is not
already at the value is sent it, even after another unit refused, and nothing is rolled back.
Each unit that takes a restored setting is safer than one that does not; rolling it back would
put it back on the calibration's grid charge.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util.async_ import create_eager_task

from .const import DOMAIN
from .model import SettingKey, SettingValue, setting_text, values_match
from .profiles.base import CommandResult
from .settings import SettingDef, SettingRejectedError, validate
from .transport.base import TransportError

if TYPE_CHECKING:
    from .coordinator import Eg4Coordinator

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """The result of a confirmed write."""

    key: SettingKey
    value: SettingValue
    changed: bool


@dataclass(frozen=True, slots=True)
class WritePlan:
    """A validated write: what to send, to which units, and what they had before."""

    setting: SettingDef
    value: SettingValue
    previous: dict[int, SettingValue | None]
    attempt: int = 0
    restore: bool = False

    @property
    def key(self) -> SettingKey:
        """The setting being written."""
        return self.setting.key

    @classmethod
    def build(
        cls,
        coordinator: Eg4Coordinator,
        key: SettingKey,
        value: object,
        *,
        attempt: int = 0,
        restore: bool = False,
    ) -> WritePlan:
        """Validate a request against the capabilities, the limits and the live state."""
        setting = coordinator.capabilities.writable.get(key)
        if setting is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="setting_not_supported",
                translation_placeholders={"setting": key.value},
            )
        try:
            validated = validate(setting, value, coordinator.data)
        except SettingRejectedError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"rejected_{err.reason}",
                translation_placeholders={"setting": key.value, **err.placeholders},
            ) from err
        # A restore is sent even while the telemetry is silent: the command path may well
        # work, and ending a grid charge must not wait for it (its read-back confirms it).
        if not restore and not coordinator.is_available(None):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="telemetry_stale",
                translation_placeholders={"setting": key.value},
            )
        return cls(setting, validated, coordinator.data.setting_values(key), attempt, restore)


def _off_target(coordinator: Eg4Coordinator, plan: WritePlan, units: list[int]) -> list[int]:
    """The units whose read-back does not show the plan's value (yet)."""
    inverters = coordinator.data.inverters
    return [
        u
        for u in units
        if not values_match(inverters[u].settings.get(plan.key), plan.value, plan.setting.tolerance)
    ]


async def run_write(coordinator: Eg4Coordinator, plan: WritePlan) -> WriteOutcome:
    """Carry out a validated write plan."""
    units = sorted(plan.previous)
    if not _off_target(coordinator, plan, units):
        return WriteOutcome(plan.key, plan.value, changed=False)
    if plan.restore:
        await _write_restore(coordinator, plan, units)
    elif coordinator.capabilities.broadcast_writes:
        await _write_broadcast(coordinator, plan, units)
    else:
        await _write_per_unit(coordinator, plan, units)
    _LOGGER.info(
        "%s set to %s on %d unit(s), confirmed by read-back",
        plan.key,
        setting_text(plan.value),
        len(units),
    )
    return WriteOutcome(plan.key, plan.value, changed=True)


async def _send_and_confirm(
    coordinator: Eg4Coordinator,
    key: SettingKey,
    value: SettingValue,
    unit: int | None,
    units: frozenset[int],
    tolerance: float,
    attempt: int = 0,
) -> tuple[bool, list[CommandResult]]:
    """Send one command and wait for its read-back (the wait starts before the send)."""
    try:
        return await coordinator.async_send_and_confirm(
            key, value, unit, units, tolerance, coordinator.confirm_timeout, attempt
        )
    except TransportError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="send_failed",
            translation_placeholders={"setting": key.value, "error": str(err)},
        ) from err


async def _write_broadcast(coordinator: Eg4Coordinator, plan: WritePlan, units: list[int]) -> None:
    ok, replies = await _send_and_confirm(
        coordinator,
        plan.key,
        plan.value,
        None,
        frozenset(units),
        plan.setting.tolerance,
        plan.attempt,
    )
    if ok:
        return
    missing = _off_target(coordinator, plan, units)
    changed = [
        u
        for u in units
        if u not in missing
        and not values_match(plan.previous[u], plan.value, plan.setting.tolerance)
    ]
    rolled_back = await _rollback_broadcast(coordinator, plan, changed)
    _raise_not_confirmed(
        plan, [u for u in units if u not in changed], replies, rolled_back, changed
    )


async def _rollback_broadcast(
    coordinator: Eg4Coordinator, plan: WritePlan, changed: list[int]
) -> bool | None:
    """Put back the old value where some units took the new one; None if nothing to undo."""
    if not changed:
        return None
    previous = {plan.previous[u] for u in plan.previous}
    old = next(iter(previous))
    if len(previous) != 1 or old is None:
        return False  # units disagreed before: no single value to restore
    _LOGGER.warning(
        "%s applied on only some units: rolling back to %s", plan.key, setting_text(old)
    )
    ok, _ = await _send_and_confirm(
        coordinator, plan.key, old, None, frozenset(plan.previous), plan.setting.tolerance
    )
    return ok


async def _write_per_unit(coordinator: Eg4Coordinator, plan: WritePlan, units: list[int]) -> None:
    done: list[int] = []
    for unit in units:
        ok, replies = await _send_and_confirm(
            coordinator,
            plan.key,
            plan.value,
            unit,
            frozenset([unit]),
            plan.setting.tolerance,
            plan.attempt,
        )
        if not ok:
            rolled_back = await _rollback_per_unit(coordinator, plan, done)
            _raise_not_confirmed(plan, [unit], replies, rolled_back, done)
        done.append(unit)


async def _write_restore(coordinator: Eg4Coordinator, plan: WritePlan, units: list[int]) -> None:
    """Send to every unit not yet at the value, all at once; never roll back.

    The units are not taken one after the other: a unit whose read-back is late (a silent
    bridge) must not hold back the next unit's command. Raises for the units that did not
    read the value back.
    """
    tolerance = plan.setting.tolerance
    waiting = _off_target(coordinator, plan, units)
    targets: list[int | None] = (
        [None] if coordinator.capabilities.broadcast_writes else list(waiting)
    )
    # Eager: the first command is published before this returns control (a breach's revert
    # leaves while the breaching message is being handled).
    results = await asyncio.gather(
        *(
            create_eager_task(
                _send_and_confirm(
                    coordinator,
                    plan.key,
                    plan.value,
                    target,
                    frozenset(waiting if target is None else [target]),
                    tolerance,
                    plan.attempt,
                )
            )
            for target in targets
        ),
        return_exceptions=True,
    )
    replies: list[CommandResult] = []
    errors: list[HomeAssistantError] = []
    for result in results:
        if isinstance(result, HomeAssistantError):  # that unit's send failed; not the others'
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            replies.extend(result[1])
    failed = _off_target(coordinator, plan, units)
    if not failed:
        return
    if errors and not replies:
        raise errors[0]
    _raise_not_confirmed(plan, failed, replies, None, [])


async def _rollback_per_unit(
    coordinator: Eg4Coordinator, plan: WritePlan, done: list[int]
) -> bool | None:
    if not done:
        return None
    all_ok = True
    for unit in done:
        old = plan.previous[unit]
        if old is None:
            all_ok = False
            continue
        _LOGGER.warning("Rolling %s back to %s on unit %d", plan.key, setting_text(old), unit)
        ok, _ = await _send_and_confirm(
            coordinator, plan.key, old, unit, frozenset([unit]), plan.setting.tolerance
        )
        all_ok = all_ok and ok
    return all_ok


def _raise_not_confirmed(
    plan: WritePlan,
    failed: list[int],
    replies: list[CommandResult],
    rolled_back: bool | None,
    changed: list[int],
) -> None:
    refusal = next((r for r in replies if getattr(r, "ok", True) is False), None)
    placeholders = {
        "setting": plan.key.value,
        "value": setting_text(plan.value),
        "units": ", ".join(str(u) for u in failed) or "-",
    }
    if refusal is not None:
        key = "write_refused"
        placeholders["message"] = refusal.message
    elif rolled_back is None:
        key = "write_not_confirmed"
    elif rolled_back:
        key = "write_rolled_back"
        placeholders["changed"] = ", ".join(str(u) for u in changed)
    else:
        key = "write_rollback_failed"
        placeholders["changed"] = ", ".join(str(u) for u in changed)
    raise HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
