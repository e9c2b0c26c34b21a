"""Before a run: the pre-flight, the plan, and the answer the action gives (``answers``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import ServiceValidationError

from ..calibration import (
    CLOUD_FAMILY_LEVERS,
    PI_FAMILY_LEVERS,
    Method,
    PlanItem,
    RunConfig,
    build_plan,
    estimate,
)
from ..const import DOMAIN
from ..drift import analyze
from ..model import SettingKey, SettingValue
from ..refusal import RefusedError
from ..safety import CheckFailure, Limits, preflight
from .answers import before_response, notes_response, plan_response
from .host import RunHost


def levers(supervisor: RunHost) -> dict[SettingKey, SettingValue]:
    """The settings that force a grid charge on this transport's family."""
    writable = supervisor.coordinator.capabilities.writable
    family = PI_FAMILY_LEVERS if SettingKey.OUTPUT_PRIORITY in writable else CLOUD_FAMILY_LEVERS
    return {key: value for key, value in family.items() if key in writable}


def run_config_for(supervisor: RunHost, config: RunConfig) -> RunConfig:
    """The run's limits for this transport: a polled source is judged on its poll interval."""
    poll = supervisor.coordinator.transport.poll_interval
    seconds = None if poll is None else poll.total_seconds()
    return replace(config, limits=config.limits.with_poll_interval(seconds))


def host_preflight(
    supervisor: RunHost,
    config: RunConfig,
    required: Iterable[SettingKey],
    *,
    now: float,
    warnings: bool = False,
) -> list[CheckFailure]:
    """The pre-flight of any supervised run on this host's bank, for the levers it writes."""
    coordinator = supervisor.coordinator
    return preflight(
        coordinator.data,
        now=now,
        limits=config.limits,
        stale_after_s=coordinator.stale_timeout,
        # A failed run stays until its revert is confirmed: the inverters may still hold
        # its settings, which a new plan would save as the ones to restore.
        run_active=supervisor.run is not None,
        # A new run would save a late lever still on as the everyday value to put back.
        late_levers=supervisor.late.stuck(),
        required_settings=required,
        writable=coordinator.capabilities.writable,
        warnings=warnings,
    )


def plan_run(
    supervisor: RunHost,
    method: Method,
    config: RunConfig,
    *,
    now: float,
    dry_run: bool,
) -> tuple[list[PlanItem], dict[str, Any]]:
    """Pre-flight and plan; the plan and the response. Raises what refuses a real run."""
    coordinator = supervisor.coordinator
    state = coordinator.data
    wanted = levers(supervisor) if method is Method.GRID else {}
    writable = coordinator.capabilities.writable
    found = host_preflight(supervisor, config, wanted, now=now, warnings=True)
    failures = [f for f in found if f.blocks]
    checks = answered(failures)
    notes = answered(f for f in found if not f.blocks)
    if method is Method.GRID and not wanted:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="calibration_unsupported"
        )
    try:
        plan = build_plan(method, state, wanted, writable=writable.keys())
    except RefusedError as err:
        if not failures:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=err.translation_key,
                translation_placeholders=err.translation_placeholders,
            ) from err
        plan = []
    report = analyze(state, now=now, stale_after_s=coordinator.stale_timeout)
    words = supervisor.notifier.words
    response: dict[str, Any] = {
        "run_id": None,
        "dry_run": dry_run,
        "method": method.value,
        "preflight": {"ok": not failures, "failed_checks": checks, "warnings": notes},
        "plan": plan_response(plan, words, writable),
        "before": before_response(state, report),
        "estimate": estimate(state, wanted, config).to_dict(),
        "notes": notes_response(words, report),
    }
    if failures and not dry_run:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="preflight_failed",
            translation_placeholders={"checks": describe_checks(checks)},
        )
    return plan, response


def answered(found: Iterable[CheckFailure]) -> list[dict[str, str]]:
    """Failed checks as an action answers them: ``{"check": id, **placeholders}``."""
    return [{"check": f.check.value, **f.placeholders} for f in found]


def describe_checks(checks: Iterable[dict[str, str]]) -> str:
    """Failed checks in a refusal: ``late_lever_on (settings: inverter 1 charger_priority)``."""
    return "; ".join(_describe(check) for check in checks)


def _describe(check: dict[str, str]) -> str:
    details = ", ".join(f"{k}: {v}" for k, v in check.items() if k != "check")
    return f"{check['check']} ({details})" if details else check["check"]


def limits_from(cell_voltage_limit: float | None, temperature_limit: float | None) -> Limits:
    """Default limits, made stricter where the caller asks (never looser)."""
    kwargs: dict[str, float] = {}
    if cell_voltage_limit is not None:
        kwargs["cell_voltage_max"] = float(cell_voltage_limit)
    if temperature_limit is not None:
        kwargs["temperature_max"] = float(temperature_limit)
        # A stricter abort limit also narrows the pre-flight window: never start a charge that
        # the monitor would abort on its first update.
        kwargs["charge_temperature_max"] = min(
            Limits().charge_temperature_max, float(temperature_limit)
        )
    return Limits(**kwargs)


def refuse_if_running_elsewhere(supervisor: RunHost) -> None:
    """One run per system: another eg4 entry may reach the same inverters.

    The MQTT bridges name no serial, so two entries cannot be told apart from two systems:
    while any other entry's run has settings not confirmed back, or a late lever of its not
    yet put back, a new run is refused.
    """
    hass = supervisor.hass
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.entry_id == supervisor.entry_id or entry.state is not ConfigEntryState.LOADED:
            continue
        other: RunHost = entry.runtime_data.supervisor
        if other.run is not None and other.run.awaits_revert:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="calibration_running_elsewhere",
                translation_placeholders={"title": entry.title},
            )
        if stuck := other.late.stuck():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="late_lever_elsewhere",
                translation_placeholders={"title": entry.title, "settings": ", ".join(stuck)},
            )
