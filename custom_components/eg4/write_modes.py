"""How a validated write reaches the units: broadcast, one unit after another, or a restore.

A normal write sends to every unit that is not already at the value, confirms each by its
read-back and rolls the units that took it back when another did not. A restore (the
calibration's revert) is different: the value is sent to every unit the run touched whatever
the cached read-back says, only a read-back received after the command confirms it, and
nothing is rolled back — each unit that takes a restored setting is safer than one that does
not; rolling it back would put it back on the calibration's grid charge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util.async_ import create_eager_task

from .const import DOMAIN
from .model import SettingKey, SettingValue, SystemState, setting_text, values_match
from .refusal import RefusedError
from .settings import SettingDef, validate
from .transport.base import Capabilities, CommandResult

_LOGGER = logging.getLogger(__name__)

type Guard = Callable[[], bool]


class Writer(Protocol):
    """What the modes need of ``writes.Writer``: the state, the capabilities, send-and-confirm.

    A protocol, so this room never imports the one that calls it.
    """

    @property
    def state(self) -> SystemState:
        """The coordinator's current state."""

    @property
    def capabilities(self) -> Capabilities:
        """What the transport can write."""

    async def async_send_and_confirm(
        self,
        key: SettingKey,
        value: SettingValue,
        unit: int | None,
        units: frozenset[int],
        tolerance: float,
        *,
        attempt: int = 0,
        fresh: bool = False,
        guard: Guard | None = None,
    ) -> tuple[bool, list[CommandResult]]:
        """Send a command, then wait until every unit in ``units`` reads back ``value``."""


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
    guard: Guard | None = None

    @property
    def key(self) -> SettingKey:
        """The setting being written."""
        return self.setting.key


def validated(writer: Writer, key: SettingKey, value: object) -> tuple[SettingDef, SettingValue]:
    """The setting's definition and the value as it will be sent; raises a translated error."""
    setting = writer.capabilities.writable.get(key)
    if setting is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="setting_not_supported",
            translation_placeholders={"setting": key.value},
        )
    try:
        return setting, validate(setting, value, writer.state)
    except RefusedError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders={"setting": key.value, **err.translation_placeholders},
        ) from err


def off_target(
    state: SystemState, key: SettingKey, value: SettingValue, tolerance: float, units: list[int]
) -> list[int]:
    """The units whose read-back does not show ``value`` (yet)."""
    inverters = state.inverters
    return [u for u in units if not values_match(inverters[u].settings.get(key), value, tolerance)]


async def run_write(writer: Writer, plan: WritePlan) -> WriteOutcome:
    """Carry out a validated (normal) write plan."""
    units = sorted(plan.previous)
    tolerance = plan.setting.tolerance
    if not off_target(writer.state, plan.key, plan.value, tolerance, units):
        return WriteOutcome(plan.key, plan.value, changed=False)
    if writer.capabilities.broadcast_writes:
        await _write_broadcast(writer, plan, units)
    else:
        await _write_per_unit(writer, plan, units)
    _LOGGER.info(
        "%s set to %s on %d unit(s), confirmed by read-back",
        plan.key,
        setting_text(plan.value),
        len(units),
    )
    return WriteOutcome(plan.key, plan.value, changed=True)


async def _write_broadcast(writer: Writer, plan: WritePlan, units: list[int]) -> None:
    ok, replies = await writer.async_send_and_confirm(
        plan.key,
        plan.value,
        None,
        frozenset(units),
        plan.setting.tolerance,
        attempt=plan.attempt,
        guard=plan.guard,
    )
    if ok:
        return
    missing = off_target(writer.state, plan.key, plan.value, plan.setting.tolerance, units)
    changed = [
        u
        for u in units
        if u not in missing
        and not values_match(plan.previous[u], plan.value, plan.setting.tolerance)
    ]
    rolled_back = await _rollback_broadcast(writer, plan, changed)
    _raise_not_confirmed(
        plan.key, plan.value, [u for u in units if u not in changed], replies, rolled_back, changed
    )


async def _rollback_broadcast(writer: Writer, plan: WritePlan, changed: list[int]) -> bool | None:
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
    ok, _ = await writer.async_send_and_confirm(
        plan.key, old, None, frozenset(plan.previous), plan.setting.tolerance
    )
    return ok


async def _write_per_unit(writer: Writer, plan: WritePlan, units: list[int]) -> None:
    done: list[int] = []
    for unit in units:
        # The guard is asked before every unit's command: a stop between two units' writes
        # sends nothing more.
        ok, replies = await writer.async_send_and_confirm(
            plan.key,
            plan.value,
            unit,
            frozenset([unit]),
            plan.setting.tolerance,
            attempt=plan.attempt,
            guard=plan.guard,
        )
        if not ok:
            rolled_back = await _rollback_per_unit(writer, plan, done)
            _raise_not_confirmed(plan.key, plan.value, [unit], replies, rolled_back, done)
        done.append(unit)


async def _rollback_per_unit(writer: Writer, plan: WritePlan, done: list[int]) -> bool | None:
    if not done:
        return None
    all_ok = True
    for unit in done:
        old = plan.previous[unit]
        if old is None:
            all_ok = False
            continue
        _LOGGER.warning("Rolling %s back to %s on unit %d", plan.key, setting_text(old), unit)
        ok, _ = await writer.async_send_and_confirm(
            plan.key, old, unit, frozenset([unit]), plan.setting.tolerance
        )
        all_ok = all_ok and ok
    return all_ok


async def run_restore(
    writer: Writer,
    setting: SettingDef,
    value: SettingValue,
    units: Sequence[int],
    attempt: int,
) -> None:
    """Send ``value`` to every unit in ``units`` and confirm it by fresh read-backs.

    Whatever the cached read-back says: a unit that showed the value before the command may
    still apply an earlier command late. The units are sent their commands together (a unit
    whose read-back is late must not hold back the next unit's command); the first command
    is published before this returns control (a breach's revert leaves while the breaching
    message is being handled). Raises for the units that did not read the value back.
    """
    key, tolerance = setting.key, setting.tolerance
    targets: list[int | None] = [None] if writer.capabilities.broadcast_writes else list(units)
    results = await asyncio.gather(
        *(
            create_eager_task(
                writer.async_send_and_confirm(
                    key,
                    value,
                    target,
                    frozenset(units if target is None else [target]),
                    tolerance,
                    attempt=attempt,
                    fresh=True,
                )
            )
            for target in targets
        ),
        return_exceptions=True,
    )
    replies: list[CommandResult] = []
    errors: list[BaseException] = []
    failed: list[int] = []
    for target, result in zip(targets, results, strict=True):
        covered = list(units) if target is None else [target]
        if isinstance(result, BaseException):  # that unit's send failed; not the others'
            errors.append(result)
            failed.extend(covered)
        else:
            replies.extend(result[1])
            if not result[0]:
                # One command for the group: the units that still show another value, or
                # (none does: no fresh read-back came) all of them.
                off = off_target(writer.state, key, value, tolerance, covered)
                failed.extend(off or covered)
    if not failed:
        return
    if errors and not replies:
        raise errors[0]
    _raise_not_confirmed(key, value, sorted(failed), replies, None, [])


def _raise_not_confirmed(
    key: SettingKey,
    value: SettingValue,
    failed: list[int],
    replies: list[CommandResult],
    rolled_back: bool | None,
    changed: list[int],
) -> None:
    refusal = next((r for r in replies if not r.ok), None)
    placeholders = {
        "setting": key.value,
        "value": setting_text(value),
        "units": ", ".join(str(u) for u in failed) or "-",
    }
    if refusal is not None:
        translation_key = "write_refused"
        placeholders["message"] = refusal.message
    elif rolled_back is None:
        translation_key = "write_not_confirmed"
    elif rolled_back:
        translation_key = "write_rolled_back"
        placeholders["changed"] = ", ".join(str(u) for u in changed)
    else:
        translation_key = "write_rollback_failed"
        placeholders["changed"] = ", ".join(str(u) for u in changed)
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )
